//! Running cargo from xtask. `cargo xtask` starts xtask with `cargo run`,
//! which sets variables describing xtask's own package (`CARGO_PKG_NAME`,
//! `CARGO_MANIFEST_DIR`, …). A cargo started from xtask must not see them:
//! build scripts that declare `rerun-if-env-changed` on them (ring's does)
//! would run again, and everything above them would be rebuilt, here and in
//! the next build started from a shell.

use std::process::Command;

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
