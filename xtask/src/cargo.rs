//! Running cargo from xtask. `cargo xtask` starts xtask with `cargo run`,
//! which sets variables describing xtask's own package (`CARGO_PKG_NAME`,
//! `CARGO_MANIFEST_DIR`, …). A cargo started from xtask must not see them:
//! build scripts that declare `rerun-if-env-changed` on them (ring's does)
//! would run again, and everything above them would be rebuilt, here and in
//! the next build started from a shell.

use std::path::Path;
use std::process::{Command, Stdio};

use cargo_metadata::{Artifact, Message};

/// The variables `cargo run` sets for the program it runs, besides the
/// `CARGO_PKG_*` family.
const RUN_VARS: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
];

/// `cargo` (the one that started xtask, if any), without the variables
/// `cargo run` set for xtask.
pub fn command() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for var in RUN_VARS {
        cmd.env_remove(var);
    }
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("CARGO_PKG_")) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `cargo ARGS --message-format=json-render-diagnostics` in `root`
/// (its diagnostics and progress on stderr, as usual) and returns the
/// artifacts it reported, fresh ones included.
pub fn artifacts(root: &Path, args: &[&str]) -> Result<Vec<Artifact>, String> {
    let output = command()
        .current_dir(root)
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
    if !output.status.success() {
        return Err(format!(
            "cargo {} failed ({})",
            args.join(" "),
            output.status
        ));
    }
    Ok(Message::parse_stream(&output.stdout[..])
        .filter_map(Result::ok)
        .filter_map(|m| match m {
            Message::CompilerArtifact(a) => Some(a),
            _ => None,
        })
        .collect())
}

/// `cargo test --workspace`'s package selection. cargo resolves features
/// per selection: a build of one package (`-p chatbots-sandbox`) enables
/// fewer features of tokio, serde_json, hyper… than the workspace's tests
/// do, so it compiles them and everything above them again (≈ 50 s on CI's
/// 2 cores, once for the contract's sandbox and once for the bench).
/// Building a step's targets with this selection after `cargo test
/// --workspace` compiles nothing but targets it did not build.
pub const WORKSPACE_TESTS: &[&str] = &["test", "--workspace", "--no-run"];

/// Whether `artifact` belongs to the workspace package in `root/dir`.
pub fn is_of(artifact: &Artifact, root: &Path, dir: &str) -> bool {
    let manifest = root.join(dir).join("Cargo.toml");
    let manifest = std::fs::canonicalize(&manifest).unwrap_or(manifest);
    std::fs::canonicalize(&artifact.manifest_path).is_ok_and(|m| m == manifest)
}
