//! Running cargo for a measurement: offline, with the target directory
//! given, timed, its JSON messages read for what was compiled.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cargo_metadata::{Message, MetadataCommand, PackageId};

use super::Build;

pub(super) struct Cargo {
    pub(super) program: String,
    jobs: Option<String>,
    /// Where each build's stderr is kept.
    logs: PathBuf,
}

/// Variables `cargo run` sets for the xtask that must not leak into the
/// builds measured.
const LEAKED_VARS: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    // A compiler cache would make "cold" builds warm.
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
];

impl Cargo {
    pub(super) fn new(jobs: Option<String>, logs: PathBuf) -> Self {
        Cargo {
            program: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            jobs,
            logs,
        }
    }

    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(dir);
        for var in LEAKED_VARS {
            cmd.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("CARGO_PKG_")) {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Downloads what `dir`'s crate needs (untimed): offline first.
    pub(super) fn fetch(&self, dir: &Path) -> Result<(), String> {
        let offline = self
            .command(dir)
            .args(["fetch", "--offline"])
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if offline.status.success() {
            return Ok(());
        }
        eprintln!("bench-build: fetching dependencies of {}", dir.display());
        let online = self
            .command(dir)
            .arg("fetch")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if online.status.success() {
            Ok(())
        } else {
            Err(last_error(&String::from_utf8_lossy(&online.stderr)))
        }
    }

    /// The name of every package in `dir`'s dependency graph, by package id
    /// (cargo's build messages name packages by id only).
    ///
    /// Only the host platform's graph: without `--filter-platform`, `cargo
    /// metadata` wants every platform's crates (Android's, Windows'…), which
    /// a cargo home that only ever built here has not downloaded, and
    /// `--offline` then fails.
    pub(super) fn package_names(&self, dir: &Path) -> Result<HashMap<PackageId, String>, String> {
        let host = host_platform()?;
        let mut cmd = MetadataCommand::new();
        cmd.cargo_path(&self.program)
            .current_dir(dir)
            .other_options(vec![
                "--offline".to_string(),
                "--filter-platform".to_string(),
                host,
            ]);
        for var in LEAKED_VARS {
            cmd.env_remove(*var);
        }
        let metadata = cmd
            .exec()
            .map_err(|e| format!("cargo metadata in {}: {e}", dir.display()))?;
        Ok(metadata
            .packages
            .into_iter()
            .map(|p| (p.id, p.name.to_string()))
            .collect())
    }

    /// `cargo build --offline ARGS` in `dir` with `target` as target
    /// directory, timed; its stderr goes to `target/bench-build/logs/LOG.log`.
    pub(super) fn build(
        &self,
        dir: &Path,
        target: &Path,
        args: &[&str],
        log: &str,
    ) -> Result<Build, String> {
        let names = self.package_names(dir)?;
        let mut cmd = self.command(dir);
        cmd.env("CARGO_TARGET_DIR", target)
            .args([
                "build",
                "--offline",
                "--message-format=json-render-diagnostics",
            ])
            .args(args);
        if let Some(j) = &self.jobs {
            cmd.args(["-j", j]);
        }
        eprintln!(
            "bench-build: cargo build{}{} (in {}, target {})",
            if args.is_empty() { "" } else { " " },
            args.join(" "),
            dir.display(),
            target.display()
        );
        let start = Instant::now();
        let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::create_dir_all(&self.logs);
        let _ = std::fs::write(self.logs.join(format!("{log}.log")), stderr.as_bytes());
        if !output.status.success() {
            return Err(last_error(&stderr));
        }
        let (compiled, built) = artifacts(&output.stdout, &names);
        eprintln!(
            "bench-build:   {:.1} s, {} packages compiled",
            wall.as_secs_f64(),
            compiled.len()
        );
        Ok(Build {
            wall,
            compiled,
            built,
        })
    }
}

/// The first `error` line of cargo's stderr (or its last line).
fn last_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("cargo failed")
        .trim()
        .to_string()
}

/// Package names of cargo's `compiler-artifact` messages: (compiled, all).
/// The host's target triple, from `rustc -vV` (`$RUSTC` when cargo set it).
fn host_platform() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .ok_or_else(|| format!("`{rustc} -vV` names no host platform"))
}

/// `names` maps cargo's package ids to names (from `cargo metadata`).
fn artifacts(
    messages: &[u8],
    names: &HashMap<PackageId, String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut compiled = BTreeSet::new();
    let mut built = BTreeSet::new();
    for message in Message::parse_stream(messages) {
        let Ok(Message::CompilerArtifact(artifact)) = message else {
            continue;
        };
        let Some(name) = names.get(&artifact.package_id) else {
            continue;
        };
        if !artifact.fresh {
            compiled.insert(name.clone());
        }
        built.insert(name.clone());
    }
    (compiled, built)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `compiler-artifact` message as cargo prints it.
    fn artifact(id: &str, name: &str, fresh: bool) -> String {
        serde_json::json!({
            "reason": "compiler-artifact",
            "package_id": id,
            "manifest_path": format!("/w/{name}/Cargo.toml"),
            "target": {
                "kind": ["lib"], "crate_types": ["lib"], "name": name,
                "src_path": format!("/w/{name}/src/lib.rs"), "edition": "2024",
                "doc": true, "doctest": true, "test": true
            },
            "profile": {
                "opt_level": "0", "debuginfo": 0, "debug_assertions": true,
                "overflow_checks": true, "test": false
            },
            "features": [],
            "filenames": [format!("/w/target/debug/lib{name}.rlib")],
            "executable": null,
            "fresh": fresh
        })
        .to_string()
    }

    #[test]
    fn package_names_come_from_cargo_metadata() {
        let root = crate::workspace_root();
        let cargo = Cargo::new(None, root.join("target").join("bench-build").join("logs"));
        let names = cargo.package_names(&root).expect("cargo metadata");
        let ours: BTreeSet<String> = names.into_values().collect();
        assert!(ours.contains("chatbots-runtime"), "{ours:?}");
        assert!(ours.contains("reqwest"), "{ours:?}");
    }

    #[test]
    fn artifacts_split_fresh_and_compiled() {
        let facade = "path+file:///w/crates/chatbots#0.1.0";
        let serde = "registry+https://x#serde@1.0.0";
        let out = [
            artifact(facade, "chatbots", false),
            artifact(serde, "serde", true),
            r#"{"reason":"build-finished","success":true}"#.to_string(),
            "not json at all".to_string(),
        ]
        .join("\n");
        let names: HashMap<PackageId, String> = [(facade, "chatbots"), (serde, "serde")]
            .into_iter()
            .map(|(id, name)| (PackageId { repr: id.into() }, name.into()))
            .collect();
        let (compiled, built) = artifacts(out.as_bytes(), &names);
        assert_eq!(compiled.into_iter().collect::<Vec<_>>(), ["chatbots"]);
        assert_eq!(built.into_iter().collect::<Vec<_>>(), ["chatbots", "serde"]);
    }
}
