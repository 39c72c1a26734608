//! `cargo xtask package [ARGS…]`: every publishable crate packaged and
//! verified, i.e. built from its own tarball (`cargo package --workspace`
//! without the `publish = false` crates, which are xtask and the bench).
//!
//! First the same checks as `cargo xtask check` (a vendor crate's spec link
//! `crates/<vendor>/<vendor>.yaml` is part of them), since a package built
//! from a stale spec proves nothing. `ARGS` go to `cargo package` as they are
//! (`--no-verify`, `--allow-dirty`, `-j N`).

use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, Package};

use crate::Mode;

/// Runs the command.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    crate::run(root, Mode::Check)?;
    let (publishable, unpublished): (Vec<Package>, Vec<Package>) = workspace_packages(root)?
        .into_iter()
        .partition(|p| !p.publish.as_ref().is_some_and(Vec::is_empty));
    // A target directory of its own: the verification builds use packaged
    // sources, and cleaning them must not cost the everyday build.
    let target = root.join("target").join("xtask-package");
    forget_previous_run(root, &target, &publishable)?;

    let mut cargo_args = vec!["package".to_string(), "--workspace".to_string()];
    for package in &unpublished {
        cargo_args.push("--exclude".into());
        cargo_args.push(package.name.to_string());
    }
    cargo_args.extend(args.iter().cloned());
    let cargo_args: Vec<&str> = cargo_args.iter().map(String::as_str).collect();
    crate::bench::cargo(
        root,
        &cargo_args,
        &[("CARGO_TARGET_DIR", target.as_os_str())],
    )
}

/// The workspace's packages.
fn workspace_packages(root: &Path) -> Result<Vec<Package>, String> {
    let metadata = MetadataCommand::new()
        .current_dir(root)
        .no_deps()
        .exec()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    Ok(metadata.workspace_packages().into_iter().cloned().collect())
}

/// cargo takes a version from a registry to be immutable: it unpacks it
/// once (under `$CARGO_HOME/registry/src/<registry>/<name>-<version>`) and
/// compiles it once. `cargo package --workspace` verifies each crate against
/// a local registry of its freshly packaged siblings, whose version stays
/// the same while their contents change from run to run, so a second run
/// would build the first run's code. This removes that run's packages,
/// unpacked sources and builds of our crates (local registries are the
/// `registry/src` directories whose name starts with `-`: no host).
fn forget_previous_run(root: &Path, target: &Path, packages: &[Package]) -> Result<(), String> {
    remove_dir(&target.join("package"))?;
    if let Some(sources) = cargo_home().map(|home| home.join("registry").join("src")) {
        for entry in std::fs::read_dir(&sources).into_iter().flatten().flatten() {
            if !entry.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for package in packages {
                remove_dir(
                    &entry
                        .path()
                        .join(format!("{}-{}", package.name, package.version)),
                )?;
            }
        }
    }
    if target.exists() {
        let mut args = vec!["clean".to_string()];
        for package in packages {
            args.push("-p".into());
            args.push(package.name.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::bench::cargo(root, &args, &[("CARGO_TARGET_DIR", target.as_os_str())])?;
    }
    Ok(())
}

fn remove_dir(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", dir.display())),
    }
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn xtask_and_the_bench_are_the_unpublished_crates() {
        let packages = super::workspace_packages(&crate::workspace_root()).expect("metadata");
        let mut unpublished: Vec<String> = packages
            .iter()
            .filter(|p| p.publish.as_ref().is_some_and(Vec::is_empty))
            .map(|p| p.name.to_string())
            .collect();
        unpublished.sort();
        assert_eq!(unpublished, ["chatbots-bench", "xtask"]);
        for package in &packages {
            for (what, present) in [
                ("description", package.description.is_some()),
                ("license", package.license.is_some()),
                ("repository", package.repository.is_some()),
                ("readme", package.readme.is_some()),
                ("keywords", !package.keywords.is_empty()),
                ("categories", !package.categories.is_empty()),
            ] {
                assert!(present, "{}: no {what}", package.name);
            }
        }
    }
}
