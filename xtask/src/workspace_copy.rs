//! A copy of the workspace to work on, so that no xtask step ever edits
//! the real checkout: `fixture-vendor` adds a vendor to it, `bench-build`
//! edits a spec in it. Only the files git would commit are copied (tracked,
//! and untracked but not ignored: `git ls-files -co --exclude-standard`),
//! symbolic links as links (each vendor crate's spec is one).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Makes `dest` a copy of the workspace at `root`: files git would commit
/// are written where missing or different, everything else in `dest` is
/// removed. A file that is already the same is left alone, modification
/// time included, so that cargo's builds of an earlier copy stay fresh
/// where nothing changed (a file an earlier run edited in the copy differs,
/// is written again, and so is newer than those builds). Returns the number
/// of files written.
pub fn copy(root: &Path, dest: &Path) -> Result<usize, String> {
    if dest.starts_with(root) && !dest.starts_with(root.join("target")) {
        // A copy inside the checkout but outside target/ would be listed by
        // the next copy, and seen by git.
        return Err(format!(
            "{}: a workspace copy belongs under target/ or outside the checkout",
            dest.display()
        ));
    }
    let files: Vec<PathBuf> = listed_files(root)?
        .into_iter()
        // Tracked but deleted in the checkout: the copy lacks it too.
        .filter(|f| root.join(f).symlink_metadata().is_ok())
        .collect();
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let wanted: HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    remove_others(dest, dest, &wanted)?;
    let mut written = 0;
    for file in &files {
        if copy_one(&root.join(file), &dest.join(file))? {
            written += 1;
        }
    }
    Ok(written)
}

/// Copies one file or symbolic link unless `to` already is the same;
/// whether it wrote.
fn copy_one(from: &Path, to: &Path) -> Result<bool, String> {
    let meta = from
        .symlink_metadata()
        .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let existing = to.symlink_metadata().ok();
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from)
            .map_err(|e| format!("cannot read link {}: {e}", from.display()))?;
        if existing.is_some_and(|m| m.file_type().is_symlink())
            && std::fs::read_link(to).is_ok_and(|t| t == target)
        {
            return Ok(false);
        }
        remove_if_there(to)?;
        crate::symlink(&target, to).map_err(|e| format!("cannot link {}: {e}", to.display()))?;
        return Ok(true);
    }
    let bytes = std::fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    if existing.as_ref().is_some_and(|m| m.file_type().is_file())
        && std::fs::read(to).is_ok_and(|old| old == bytes)
    {
        return Ok(false);
    }
    remove_if_there(to)?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(to, &bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::fs::set_permissions(to, meta.permissions())
        .map_err(|e| format!("cannot set the mode of {}: {e}", to.display()))?;
    Ok(true)
}

fn remove_if_there(path: &Path) -> Result<(), String> {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    }
    .map_err(|e| format!("cannot remove {}: {e}", path.display()))
}

/// Removes everything under `dir` that is not one of `wanted` (paths
/// relative to `dest`), and directories left empty.
fn remove_others(dest: &Path, dir: &Path, wanted: &HashSet<&Path>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let relative = path.strip_prefix(dest).unwrap_or(&path);
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            remove_others(dest, &path, wanted)?;
            if std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none()) {
                remove_if_there(&path)?;
            }
        } else if !wanted.contains(relative) {
            remove_if_there(&path)?;
        }
    }
    Ok(())
}

/// The target directory cargo uses for the workspace at `root`:
/// `CARGO_TARGET_DIR` when set, else `root/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // `join` keeps an absolute path as it is.
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// The build directory cargo uses for the workspace at `root` (where
/// intermediate artifacts go): `CARGO_BUILD_BUILD_DIR` when set, else the
/// target directory.
pub fn build_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_BUILD_BUILD_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => target_dir(root),
    }
}

/// The files git would commit, relative to `root`.
fn listed_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .map_err(|e| format!("cannot run git ls-files in {}: {e}", root.display()))?;
    if !output.status.success() {
        return Err(format!(
            "git ls-files in {} failed: {}",
            root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut files: Vec<PathBuf> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
        .collect();
    // `--cached --others` lists a file both tracked and changed once, but a
    // path in a merge conflict once per stage.
    files.sort();
    files.dedup();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_git_would_commit_with_links_as_links() {
        let root = crate::workspace_root();
        let dest = root.join("target").join("xtask-tests").join("copy");
        let _ = std::fs::remove_dir_all(&dest);
        let copied = copy(&root, &dest).expect("copied");
        assert!(copied > 10, "{copied} files");
        assert!(dest.join("Cargo.toml").is_file());
        assert!(dest.join("xtask/src/workspace_copy.rs").is_file());
        assert!(
            !dest.join("target").exists(),
            "ignored files are not copied"
        );
        // Every vendor crate's spec is a link, and stays one.
        let spec = chatbots_codegen::spec_paths(&root.join("specs"))
            .expect("specs/")
            .into_iter()
            .next()
            .expect("a spec");
        let vendor = spec.file_stem().unwrap().to_str().unwrap();
        let link = dest
            .join("crates")
            .join(vendor)
            .join(format!("{vendor}.yaml"));
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(link.is_file(), "the link resolves inside the copy");

        // Copying again writes nothing, and leaves unchanged files as they
        // were (cargo's builds of the copy stay fresh); a file changed or
        // added in the copy is put back or removed, with empty directories.
        let manifest = dest.join("Cargo.toml");
        let before = manifest.metadata().unwrap().modified().unwrap();
        let readme = dest.join("README.md");
        std::fs::write(&readme, "edited").unwrap();
        std::fs::create_dir_all(dest.join("crates/stray")).unwrap();
        std::fs::write(dest.join("crates/stray/lib.rs"), "x").unwrap();
        assert_eq!(copy(&root, &dest).expect("copied again"), 1);
        assert_eq!(manifest.metadata().unwrap().modified().unwrap(), before);
        assert_eq!(
            std::fs::read(&readme).unwrap(),
            std::fs::read(root.join("README.md")).unwrap()
        );
        assert!(!dest.join("crates/stray").exists());
    }

    #[test]
    fn refuses_a_destination_inside_the_checkout_outside_target() {
        let root = crate::workspace_root();
        let err = copy(&root, &root.join("crates").join("copy")).expect_err("refused");
        assert!(err.contains("under target/"), "{err}");
    }
}
