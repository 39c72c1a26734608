//! `cargo xtask package [ARGS…]`: every publishable crate packaged and
//! verified, i.e. built from its own tarball (`cargo package --workspace`
//! without the `publish = false` crates, which are xtask and the bench).
//!
//! First the same checks as `cargo xtask check` (a vendor crate's spec link
//! `crates/<vendor>/<vendor>.yaml` is part of them), since a package built
//! from a stale spec proves nothing. `ARGS` go to `cargo package` as they are
//! (`--no-verify`, `--allow-dirty`, `-j N`).
//!
//! The verification builds share the workspace's build directory (cargo's
//! `build-dir`: intermediate artifacts) and its `[profile]` settings, so
//! that the third-party crates the checkout's build compiled are not
//! compiled again; final artifacts (the packages, the verified binaries)
//! go to `target/xtask-package/`.

use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, Package};

use crate::Mode;
use crate::workspace_copy;

/// Written in the build directory when a run starts: its builds of our
/// crates may be there, for [`forget_previous_run`].
const MARK: &str = "xtask-package.ran";

/// Runs the command.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    crate::run(root, Mode::Check)?;
    let (publishable, unpublished): (Vec<Package>, Vec<Package>) = workspace_packages(root)?
        .into_iter()
        .partition(|p| !p.publish.as_ref().is_some_and(Vec::is_empty));
    let target = workspace_copy::target_dir(root).join("xtask-package");
    let build_dir = workspace_copy::build_dir(root);
    let env = [
        ("CARGO_TARGET_DIR", target.as_os_str()),
        ("CARGO_BUILD_BUILD_DIR", build_dir.as_os_str()),
    ];
    forget_previous_run(root, &target, &build_dir, &publishable, &env)?;

    let mut cargo_args = Vec::new();
    for setting in profile_settings(&root.join("Cargo.toml"))? {
        cargo_args.push("--config".to_string());
        cargo_args.push(setting);
    }
    cargo_args.extend(["package".to_string(), "--workspace".to_string()]);
    for package in &unpublished {
        cargo_args.push("--exclude".into());
        cargo_args.push(package.name.to_string());
    }
    cargo_args.extend(args.iter().cloned());
    let cargo_args: Vec<&str> = cargo_args.iter().map(String::as_str).collect();
    crate::bench::cargo(root, &cargo_args, &env)
}

/// The root manifest's `[profile.*]` settings, each as a `--config`
/// value (`profile.dev.package."*".debug=false`). A packaged crate's
/// manifest carries no profile (cargo reads profiles from the workspace
/// root only), so without them the verification would build with cargo's
/// defaults (full debug info): slower, and sharing no third-party build
/// with the checkout's.
fn profile_settings(manifest: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut settings = Vec::new();
    if let Some(profiles) = doc.get("profile") {
        flatten("profile", profiles, &mut settings);
    }
    Ok(settings)
}

/// `item`'s leaves as `path.to.key=value`, keys quoted where TOML wants it.
fn flatten(path: &str, item: &toml_edit::Item, out: &mut Vec<String>) {
    let key = |k: &str| format!("{path}.{}", toml_edit::Key::new(k).display_repr());
    match item {
        toml_edit::Item::Table(table) => {
            for (k, v) in table.iter() {
                flatten(&key(k), v, out);
            }
        }
        toml_edit::Item::Value(toml_edit::Value::InlineTable(table)) => {
            for (k, v) in table.iter() {
                flatten(&key(k), &toml_edit::Item::Value(v.clone()), out);
            }
        }
        toml_edit::Item::Value(value) => {
            let mut value = value.clone();
            value.decor_mut().clear();
            out.push(format!("{path}={value}"));
        }
        _ => {}
    }
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
/// unpacked sources (local registries are the `registry/src` directories
/// whose name starts with `-`: no host) and, when a run has been in the
/// build directory before (its mark is there), the builds of our crates
/// there: `cargo clean -p` knows no source, so the checkout's builds of
/// them go too, and its next build compiles them again. A first run, as on
/// CI's clean clone, cleans nothing.
fn forget_previous_run(
    root: &Path,
    target: &Path,
    build_dir: &Path,
    packages: &[Package],
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<(), String> {
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
    let mark = build_dir.join(MARK);
    if mark.exists() {
        eprintln!(
            "package: cleaning an earlier run's builds of the workspace's crates from {}",
            build_dir.display()
        );
        let mut args = vec!["clean".to_string()];
        for package in packages {
            args.push("-p".into());
            args.push(package.name.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::bench::cargo(root, &args, env)?;
    }
    std::fs::create_dir_all(build_dir)
        .and_then(|()| {
            std::fs::write(
                &mark,
                "cargo xtask package built the workspace's crates as registry packages here\n",
            )
        })
        .map_err(|e| format!("cannot write {}: {e}", mark.display()))
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
    fn the_verification_gets_the_workspace_profiles() {
        let dir = crate::workspace_root()
            .join("target")
            .join("xtask-tests")
            .join("package-profiles");
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[workspace]\n\n[profile.dev]\ndebug = \"line-tables-only\" # why\n\n\
             [profile.dev.package.\"*\"]\ndebug = false\n\n\
             [profile.release]\npackage = { \"*\" = { opt-level = 2 } }\n",
        )
        .unwrap();
        assert_eq!(
            super::profile_settings(&manifest).unwrap(),
            [
                "profile.dev.debug=\"line-tables-only\"",
                "profile.dev.package.\"*\".debug=false",
                "profile.release.package.\"*\".opt-level=2",
            ]
        );
        // The real manifest has settings, and each is one `--config` value.
        let real = super::profile_settings(&crate::workspace_root().join("Cargo.toml")).unwrap();
        assert!(!real.is_empty());
        for setting in &real {
            let parsed: Result<toml_edit::DocumentMut, _> = setting.parse();
            assert!(parsed.is_ok(), "{setting}");
        }
    }

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
