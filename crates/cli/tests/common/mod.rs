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

/// `script` in one shell, as a reader types it (`export` carries over,
/// and the first failing command stops it), in the scratch directory, with
/// the binary under test first on PATH.
pub fn run_in_shell(harness: &Harness, script: &[String]) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_chatbots"))
        .parent()
        .expect("binary directory")
        .to_owned();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut shell = Command::new("sh");
    clean_env(&mut shell);
    run(shell
        .current_dir(harness.dir.path())
        .env("PATH", path)
        .arg("-exc")
        .arg(script.join("\n")))
}

/// The part of README.md between `<!-- NAME -->` and `<!-- /NAME -->`.
pub fn readme_part(name: &str) -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme).expect("README.md");
    let start = readme
        .find(&format!("<!-- {name} -->"))
        .unwrap_or_else(|| panic!("README.md has <!-- {name} -->"));
    let end = readme
        .find(&format!("<!-- /{name} -->"))
        .unwrap_or_else(|| panic!("README.md has <!-- /{name} -->"));
    readme[start..end].to_string()
}

/// The code blocks of `part` in `language` (` ```sh `), each as its lines.
fn blocks<'a>(part: &'a str, language: &str) -> Vec<Vec<&'a str>> {
    let mut found = Vec::new();
    // Inside a block: whether it is in `language`, and its lines.
    let mut block: Option<(bool, Vec<&str>)> = None;
    for line in part.lines() {
        let trimmed = line.trim();
        if let Some(fence) = trimmed.strip_prefix("```") {
            match block.take() {
                Some((true, lines)) => found.push(lines),
                Some((false, _)) => {}
                None => block = Some((fence == language, Vec::new())),
            }
            continue;
        }
        if let Some((_, lines)) = &mut block {
            lines.push(line);
        }
    }
    found
}

/// The commands between `<!-- NAME -->` and `<!-- /NAME -->` in
/// README.md, from its `sh` blocks, with continuation lines joined and
/// comments dropped.
pub fn walkthrough(name: &str) -> Vec<String> {
    let part = readme_part(name);
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in blocks(&part, "sh").into_iter().flatten() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
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

/// The files a walk-through writes: its `yaml` and `toml` blocks whose
/// first line is `# NAME`, as (NAME, the whole block).
pub fn walkthrough_files(name: &str) -> Vec<(String, String)> {
    let part = readme_part(name);
    let mut files = Vec::new();
    for language in ["yaml", "toml"] {
        for lines in blocks(&part, language) {
            if let Some(file) = lines.first().and_then(|l| l.trim().strip_prefix("# ")) {
                files.push((file.to_string(), lines.join("\n") + "\n"));
            }
        }
    }
    files
}

/// The output a walk-through shows: the lines of its `text` blocks.
pub fn walkthrough_output(name: &str) -> Vec<String> {
    let part = readme_part(name);
    blocks(&part, "text")
        .into_iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// A line as the walk-through shows it and as the CLI prints it compare:
/// a table row by its cells (column widths depend on the data), any other
/// line without trailing white space.
pub fn comparable(line: &str) -> String {
    let line = line.trim_end();
    if line.starts_with('|') {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        cells.join("|")
    } else {
        line.to_string()
    }
}
