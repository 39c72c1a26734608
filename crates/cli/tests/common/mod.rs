//! What the CLI's end-to-end tests share: a real sandbox on a free
//! loopback port, the binary under test with a clean environment, and
//! readers of its output.
#![allow(dead_code)] // Each test binary uses its own part.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use chatbots_sandbox::{Sandbox, Vendor};
use serde_json::Value;

/// The address the README's walk-through uses for the sandbox.
pub const README_SANDBOX: &str = "http://127.0.0.1:8080";

pub const OKCHAT_BOT: &str = "okchat:3317853e-0af2-427d-a56f-351a9587f48f";
pub const PURETALK_BOT: &str = "puretalk:123e4567-e89b-12d3-a456-426614174000";

/// A sandbox of its own (served by the runtime's workers while the test
/// runs the binary) and a scratch directory.
pub struct Harness {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    // Dropped last: the sandbox's server runs on it.
    _runtime: tokio::runtime::Runtime,
}

impl Harness {
    pub fn start() -> Harness {
        Harness::with_bots(0)
    }

    /// With `bots` more bots seeded per vendor (lists of several pages).
    pub fn with_bots(bots: usize) -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sandbox = runtime
            .block_on(
                Sandbox::builder()
                    .streamskill_rate_limit(None)
                    .bots(bots)
                    .start(),
            )
            .expect("sandbox");
        Harness {
            sandbox,
            dir: tempfile::tempdir().expect("temp dir"),
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.sandbox.addr())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    /// `chatbots --sandbox <url> ARGS`, in the scratch directory, with no
    /// vendor credentials from the test's own environment.
    pub fn chatbots(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
        clean_env(&mut command);
        command
            .current_dir(self.dir.path())
            .arg("--sandbox")
            .arg(self.url())
            .args(args);
        command
    }

    /// Requests the vendors' routes received so far, all vendors.
    pub fn vendor_requests(&self) -> u64 {
        Vendor::ALL.iter().map(|v| self.sandbox.requests(*v)).sum()
    }
}

/// Where the binary under test looks for its default config file: a
/// directory that does not exist, so that no config of the machine's
/// user is read.
pub fn no_config_home() -> PathBuf {
    std::env::temp_dir().join("chatbots-cli-tests-no-config-home")
}

/// No credential, base URL, config file or colour setting leaks in from
/// the outside.
pub fn clean_env(command: &mut Command) {
    for name in ["XDG_CONFIG_HOME", "HOME", "APPDATA"] {
        command.env(name, no_config_home());
    }
    for vendor in Vendor::ALL {
        for name in chatbots::credential_variables(vendor) {
            command.env_remove(name);
        }
        command.env_remove(format!("{}_BASE_URL", vendor.env_prefix()));
    }
    for name in [
        "CHATBOTS_SANDBOX",
        "CHATBOTS_CONFIG",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "CLICOLOR",
    ] {
        command.env_remove(name);
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn show(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

/// Every stdout line as JSON; the last one is the summary (or an error).
pub fn json_lines(output: &Output) -> Vec<Value> {
    let lines: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{}", show(output)))
        })
        .collect();
    assert!(!lines.is_empty(), "no output\n{}", show(output));
    lines
}

/// The commands between `<!-- NAME -->` and `<!-- /NAME -->` in
/// README.md, from its `sh` blocks, with continuation lines joined and
/// comments dropped.
pub fn walkthrough(name: &str) -> Vec<String> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme).expect("README.md");
    let start = readme
        .find(&format!("<!-- {name} -->"))
        .unwrap_or_else(|| panic!("README.md has <!-- {name} -->"));
    let end = readme
        .find(&format!("<!-- /{name} -->"))
        .unwrap_or_else(|| panic!("README.md has <!-- /{name} -->"));
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in readme[start..end].lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = trimmed == "```sh";
            continue;
        }
        if !in_block || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}
