//! `cargo xtask fixture-vendor`: proves ARCHITECTURE.md's "Adding a sixth
//! vendor" on a vendor the project has never seen, by doing exactly what
//! that section tells a contributor, in a copy of the workspace under
//! `target/fixture-vendor/` (the checkout is never edited):
//!
//! 1. the fixture spec (`xtask/fixtures/sixth-vendor/acmechat.yaml`) becomes
//!    `specs/acmechat.yaml`, and `cargo xtask generate` scaffolds its crate;
//! 2. the facade module (`xtask/fixtures/sixth-vendor/acmechat.rs`) becomes
//!    `crates/chatbots/src/vendors/acmechat.rs`, and one `registry!` line
//!    is added after the last one;
//! 3. `cargo xtask generate` again (the capability table gains the column),
//!    then `cargo xtask check`: nothing else drifts.
//!
//! Then the copy's `chatbots` binary is run against [`stub`], the vendor's
//! API in memory on loopback: `vendors`, `list`, `get`, `update`, `export`,
//! a fleet `plan` / `apply --yes` / `plan` again, and bad input refused with
//! nothing sent. Last, the copy's tests of the facade, the CLI, the sandbox
//! and the new vendor crate. Every step is named, timed and logged under
//! `target/fixture-vendor/logs/`; a failure says which step broke.
//!
//! The copy builds in the real workspace's build directory (cargo's
//! `build-dir`: intermediate artifacts), so that third-party dependencies
//! are not compiled again (the copy's own crates are: cargo tells path
//! packages apart by their location); its final artifacts go to
//! `target/fixture-vendor/target/`. The binary and the tests come from one
//! `cargo test -p … -p …` selection (built with `--no-run` before the CLI
//! runs, then run): cargo resolves features per selection, and a build per
//! package compiled the copy's runtime six times and each vendor crate four
//! times, with about fifty third-party crates the checkout's build does not
//! have. Only when something does not compile are the packages tested one
//! at a time, so that one hides no other's results.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::workspace_copy;

mod stub;

/// The fixture vendor's slug (its spec's file stem).
const SLUG: &str = "acmechat";
/// What the fixture folder holds, relative to the workspace root.
const FIXTURES: &str = "xtask/fixtures/sixth-vendor";
/// The facade's registry, relative to the workspace root.
const REGISTRY: &str = "crates/chatbots/src/vendors/mod.rs";
/// The registry line a contributor adds (with its doc line).
const REGISTRY_LINE: &str = "    /// AcmeChat: `persona`.\n    \
     \"acmechat\": chatbots_acmechat => acmechat::AcmeChat(types::UpdateBotRequest),\n";
/// The packages whose tests run in the copy (`{slug}`: the fixture's).
const TESTED: &[&str] = &[
    "chatbots",
    "chatbots-cli",
    "chatbots-sandbox",
    "chatbots-{slug}",
];
/// Selected with [`TESTED`] for the features cargo resolves, not for their
/// tests: cargo resolves features per selection, and only with these does
/// the copy's selection enable what `cargo test --workspace` enables
/// (serde_json's `unbounded_depth` comes from xtask's cargo_metadata,
/// zerocopy's `derive` from the bench's criterion), so that the copy
/// compiles almost none of the third-party crates the checkout's tests
/// were built with again (about 26 otherwise: reqwest, jsonschema,
/// progenitor-impl, typify-impl, axum, serde_json…; only console and
/// indicatif still are, about 2 s). [`TEST_TARGETS`] keeps their targets
/// out, but for the bench's library tests (which run).
const FOR_FEATURES: &[&str] = &["xtask", "chatbots-bench"];
/// The targets `cargo test` builds and runs by default, but for the
/// binaries' own tests, named: xtask's (about the real checkout, a git
/// repository with five vendors) are no test of the copy. Doc tests run
/// in a second `cargo test --doc` with the same selection.
const TEST_TARGETS: &[&str] = &[
    "--lib",
    "--bin",
    "chatbots",
    "--bin",
    "chatbots-sandbox",
    "--test",
    "*",
    "--examples",
];
/// The API key the stub wants and the CLI is given.
const API_KEY: &str = "acme-fixture-key-0123";

const USAGE: &str = "\
usage: cargo xtask fixture-vendor [--no-tests]

Adds a fixture sixth vendor to a copy of the workspace (target/fixture-vendor/workspace)
as ARCHITECTURE.md says, runs the copy's CLI against a stub of its API, then the copy's
tests of chatbots, chatbots-cli, chatbots-sandbox and the new crate (--no-tests: not those).
";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut tests = true;
    for arg in args {
        match arg.as_str() {
            "--no-tests" => tests = false,
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => {
                return Err(format!(
                    "fixture-vendor: unknown argument `{other}`\n{USAGE}"
                ));
            }
        }
    }
    let target = workspace_copy::target_dir(root);
    let base = target.join("fixture-vendor");
    let run = Run {
        copy: base.join("workspace"),
        logs: base.join("logs"),
        build_dir: workspace_copy::build_dir(root),
        artifacts: base.join("target"),
        times: Vec::new(),
        failures: Vec::new(),
    };
    run.all(root, tests)
}

/// One run: where the copy is, and what each step took.
struct Run {
    copy: PathBuf,
    logs: PathBuf,
    /// The real workspace's build directory, shared by the copy's builds.
    build_dir: PathBuf,
    /// The copy's own target directory (final artifacts only).
    artifacts: PathBuf,
    times: Vec<(String, Duration, bool)>,
    /// Steps that failed without stopping the run (the tests).
    failures: Vec<String>,
}

impl Run {
    fn all(mut self, root: &Path, tests: bool) -> Result<(), String> {
        std::fs::create_dir_all(&self.logs)
            .map_err(|e| format!("cannot create {}: {e}", self.logs.display()))?;
        let result = self.steps(root, tests);
        eprintln!("\nfixture-vendor: steps");
        for (name, time, ok) in &self.times {
            eprintln!(
                "  {:>7.1} s  {}  {name}",
                time.as_secs_f64(),
                if *ok { "ok    " } else { "FAILED" }
            );
        }
        result?;
        if self.failures.is_empty() {
            eprintln!("fixture-vendor: a sixth vendor works as ARCHITECTURE.md says");
            Ok(())
        } else {
            Err(format!(
                "fixture-vendor: {} step(s) failed (logs in {}):\n{}",
                self.failures.len(),
                self.logs.display(),
                self.failures.join("\n")
            ))
        }
    }

    fn steps(&mut self, root: &Path, tests: bool) -> Result<(), String> {
        let copy = self.copy.clone();
        let fixtures = root.join(FIXTURES);
        self.step("copy the workspace", |_| {
            workspace_copy::copy(root, &copy).map(|n| eprintln!("  {n} files"))
        })?;
        self.step("give the copy's crates a version of their own", |_| {
            set_own_version(&copy.join("Cargo.toml"))
        })?;
        self.step(&format!("add specs/{SLUG}.yaml"), |_| {
            copy_file(
                &fixtures.join(format!("{SLUG}.yaml")),
                &copy.join("specs").join(format!("{SLUG}.yaml")),
            )
        })?;
        self.step("cargo xtask generate (the new crate)", |run| {
            run.cargo("generate-1", &["xtask", "generate"]).map(drop)
        })?;
        self.step(
            &format!("add crates/chatbots/src/vendors/{SLUG}.rs"),
            |_| {
                copy_file(
                    &fixtures.join(format!("{SLUG}.rs")),
                    &copy
                        .join("crates/chatbots/src/vendors")
                        .join(format!("{SLUG}.rs")),
                )
            },
        )?;
        self.step("add the registry! line", |_| {
            let path = copy.join(REGISTRY);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            std::fs::write(&path, add_registry_line(&text, REGISTRY_LINE)?)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        })?;
        self.step("cargo xtask generate (the capability table)", |run| {
            run.cargo("generate-2", &["xtask", "generate"]).map(drop)
        })?;
        self.step("cargo xtask check (nothing else drifts)", |run| {
            run.cargo("check", &["xtask", "check"]).map(drop)
        })?;
        let packages: Vec<String> = TESTED.iter().map(|p| p.replace("{slug}", SLUG)).collect();
        // The tests' build makes the CLI's binary too, in one cargo
        // invocation with the selection the test run then uses: every
        // unit resolved once, so the run rebuilds nothing (a `-p` selection
        // of its own per package would resolve features anew and compile
        // the copy's runtime and vendor crates once per package).
        let tests_built = if tests {
            let built = self.step("build the tested packages and the chatbots binary", |run| {
                run.build_tests(&packages)
            });
            built.map_err(|e| self.failures.push(e)).ok()
        } else {
            None
        };
        let compiled = tests_built.is_some();
        let binary = match tests_built {
            Some(binary) => binary,
            None => self.step("build the copy's chatbots binary", |run| run.build_cli())?,
        };
        self.step("the CLI against the stub vendor", |run| run.cli(&binary))?;
        if compiled {
            // `--no-fail-fast`: every test binary runs, every failure is
            // reported.
            let name = format!("cargo {}", test_args(&packages, false).join(" "));
            if let Err(e) = self.step(&name, |run| {
                run.cargo("test", &test_args(&packages, false)).map(drop)
            }) {
                self.failures.push(e);
            }
            let name = format!("cargo {}", doc_test_args(&packages).join(" "));
            if let Err(e) = self.step(&name, |run| {
                run.cargo("test-doc", &doc_test_args(&packages)).map(drop)
            }) {
                self.failures.push(e);
            }
        } else if tests {
            // Something did not compile: one package at a time, so that
            // one that does not compile hides no other's results.
            for package in &packages {
                let name = format!("cargo test -p {package}");
                let log = format!("test-{package}");
                if let Err(e) = self.step(&name, |run| {
                    run.cargo(&log, &["test", "--no-fail-fast", "-p", package])
                        .map(drop)
                }) {
                    self.failures.push(e);
                }
            }
        }
        Ok(())
    }

    /// Runs one named step, timed; its error names it.
    fn step<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        eprintln!("==> fixture-vendor: {name}");
        let start = Instant::now();
        let result = f(self);
        self.times
            .push((name.to_string(), start.elapsed(), result.is_ok()));
        result.map_err(|e| format!("step `{name}` failed: {e}"))
    }

    /// A cargo command in the copy, with the shared target directory; its
    /// output is kept in `logs/<log>.log`, its failure told by the output's
    /// last lines.
    fn cargo(&self, log: &str, args: &[&str]) -> Result<Output, String> {
        let mut cmd = crate::cargo::command();
        cmd.current_dir(&self.copy).args(args);
        // Intermediate artifacts in the real workspace's build directory
        // (third-party crates are not compiled again), final ones (the
        // copy's xtask, examples, binaries) in a directory of the copy's
        // own: in a shared `debug/` they would replace the real
        // workspace's, and cargo, finding its own units fresh, would not
        // put those back.
        cmd.env("CARGO_BUILD_BUILD_DIR", &self.build_dir)
            .env("CARGO_TARGET_DIR", &self.artifacts);
        let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        let path = self.logs.join(format!("{log}.log"));
        let mut text = output.stdout.clone();
        text.extend_from_slice(&output.stderr);
        let _ = std::fs::write(&path, &text);
        if output.status.success() {
            Ok(output)
        } else {
            Err(format!(
                "`cargo {}` exited with {} (whole output: {}):\n{}",
                args.join(" "),
                output.status,
                path.display(),
                failure_lines(&String::from_utf8_lossy(&text))
            ))
        }
    }

    /// Builds the copy's `chatbots` binary alone and copies it next to the
    /// copy (so that its path does not depend on cargo's layout).
    fn build_cli(&self) -> Result<PathBuf, String> {
        let output = self.cargo(
            "build-cli",
            &[
                "build",
                "-p",
                "chatbots-cli",
                "--bin",
                "chatbots",
                "--message-format=json-render-diagnostics",
            ],
        )?;
        self.keep_cli(&output)
    }

    /// Builds `packages`' tests (`cargo test --no-run`), which builds the
    /// CLI's binary too; copies that binary next to the copy.
    fn build_tests(&self, packages: &[String]) -> Result<PathBuf, String> {
        let output = self.cargo("build-tests", &test_args(packages, true))?;
        self.keep_cli(&output)
    }

    /// Copies the `chatbots` binary cargo reported building next to the
    /// copy.
    fn keep_cli(&self, output: &Output) -> Result<PathBuf, String> {
        let built = cli_executable(&output.stdout)
            .ok_or("cargo reported no `chatbots` executable for chatbots-cli")?;
        let binary = self.copy.join("chatbots");
        std::fs::copy(&built, &binary)
            .map_err(|e| format!("cannot copy {built} to {}: {e}", binary.display()))?;
        Ok(binary)
    }

    /// The CLI scenario against the stub.
    fn cli(&self, binary: &Path) -> Result<(), String> {
        let bot = |id: &str, name: &str| {
            json!({"id": id, "name": name, "instructions": "Greet visitors.",
                   "temperature": 0.5, "persona": "friendly"})
            .as_object()
            .cloned()
            .unwrap_or_default()
        };
        let stub = stub::Stub::start(
            API_KEY,
            vec![
                bot("bot_1", "Front desk"),
                bot("bot_2", "Sales"),
                bot("bot_3", "Support"),
            ],
        )?;
        let cli = Cli {
            binary,
            dir: &self.copy,
            base_url: &stub.base_url,
        };

        let vendors = cli.json(&["vendors"], 0)?;
        let line = vendors
            .iter()
            .find(|l| l["vendor"] == SLUG)
            .ok_or_else(|| format!("`chatbots vendors` does not list {SLUG}"))?;
        let fields = line["fields"].to_string();
        if line["configured"] != true || line["get"] != true || line["list"] != true {
            return Err(format!("`chatbots vendors`: {SLUG} is {line}"));
        }
        for field in ["name", "instructions", "temperature"] {
            if !fields.contains(field) {
                return Err(format!(
                    "`chatbots vendors`: {SLUG} lacks `{field}`: {line}"
                ));
            }
        }

        let listed = cli.json(&["list", SLUG], 0)?;
        let bots = listed.iter().filter(|l| l["type"] == "bot").count();
        if bots != 3 {
            return Err(format!(
                "`chatbots list {SLUG}` found {bots} bots across the stub's pages of 2, not 3"
            ));
        }

        let got = cli.json(&["get", "acmechat:bot_1"], 0)?;
        if !got.iter().any(|l| l["fields"]["name"] == "Front desk") {
            return Err(format!("`chatbots get`: no name `Front desk` in {got:?}"));
        }

        cli.run(
            &["update", "acmechat:bot_1", "--name", "Front desk (xtask)"],
            0,
        )?;
        expect_field(&stub, "bot_1", "name", &json!("Front desk (xtask)"))?;

        let exported = cli.run(&["export", SLUG], 0)?;
        if !exported.contains("acmechat:bot_3") {
            return Err(format!("`chatbots export {SLUG}` lacks bot_3:\n{exported}"));
        }

        let fleet = self.copy.join("fleet.yaml");
        write(
            &fleet,
            "bots:\n  acmechat:bot_1:\n    instructions: Answer in one sentence.\n  \
             acmechat:bot_2:\n    temperature: 0.25\n    vendor:\n      persona: formal\n",
        )?;
        let fleet_arg = fleet.to_string_lossy().into_owned();
        let plan = cli.run(&["plan", &fleet_arg, "--detailed-exitcode"], 2)?;
        if !plan.contains("Answer in one sentence.") || !plan.contains("formal") {
            return Err(format!(
                "`chatbots plan` does not show the changes:\n{plan}"
            ));
        }
        cli.run(&["apply", &fleet_arg, "--yes"], 0)?;
        expect_field(
            &stub,
            "bot_1",
            "instructions",
            &json!("Answer in one sentence."),
        )?;
        expect_field(&stub, "bot_2", "temperature", &json!(0.25))?;
        expect_field(&stub, "bot_2", "persona", &json!("formal"))?;
        cli.run(&["plan", &fleet_arg, "--detailed-exitcode"], 0)?;

        // Bad input: refused before anything is sent.
        let sent = stub.requests();
        let refused = cli.run(&["update", "acmechat:bot_1", "--temperature", "1.5"], 1)?;
        if !refused.contains("temperature") {
            return Err(format!("the refusal does not name the field:\n{refused}"));
        }
        let bad_fleet = self.copy.join("bad-fleet.yaml");
        write(&bad_fleet, "bots:\n  acmechat:bot_1:\n    temperature: 3\n")?;
        let refused = cli.run(&["plan", &bad_fleet.to_string_lossy()], 1)?;
        if !refused.contains("bad-fleet.yaml:3") || !refused.contains("temperature") {
            return Err(format!(
                "the bad fleet's refusal does not name file, line and field:\n{refused}"
            ));
        }
        if stub.requests() != sent {
            return Err(format!(
                "bad input sent {} request(s) to the vendor",
                stub.requests() - sent
            ));
        }
        expect_field(&stub, "bot_1", "temperature", &json!(0.5))?;
        Ok(())
    }
}

/// The copy's `chatbots` binary, configured for the stub only.
struct Cli<'a> {
    binary: &'a Path,
    dir: &'a Path,
    base_url: &'a str,
}

impl Cli<'_> {
    /// Runs `chatbots ARGS`, expecting exit code `code`; stdout and stderr.
    fn run(&self, args: &[&str], code: i32) -> Result<String, String> {
        let prefix = SLUG.to_ascii_uppercase();
        let output = Command::new(self.binary)
            .current_dir(self.dir)
            .args(args)
            .env_remove("CHATBOTS_SANDBOX")
            .env("NO_COLOR", "1")
            .env(format!("{prefix}_API_KEY"), API_KEY)
            .env(format!("{prefix}_BASE_URL"), self.base_url)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.code() == Some(code) {
            Ok(text)
        } else {
            Err(format!(
                "`chatbots {}` exited with {} (expected {code}):\n{text}",
                args.join(" "),
                output.status
            ))
        }
    }

    /// `chatbots --json ARGS`: its lines as JSON.
    fn json(&self, args: &[&str], code: i32) -> Result<Vec<Value>, String> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.run(&all, code)?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

/// The `chatbots` binary in cargo's JSON messages: not the harness of its
/// unit tests, which `cargo test` builds under the same name.
fn cli_executable(messages: &[u8]) -> Option<cargo_metadata::camino::Utf8PathBuf> {
    cargo_metadata::Message::parse_stream(messages)
        .filter_map(Result::ok)
        .find_map(|m| match m {
            cargo_metadata::Message::CompilerArtifact(a)
                if a.target.name == "chatbots" && a.target.is_bin() && !a.profile.test =>
            {
                a.executable
            }
            _ => None,
        })
}

/// `cargo test` of `packages` together, `--no-run` (reporting artifacts
/// as JSON, for the CLI's binary) or `--no-fail-fast`. Both share one
/// package selection, hence one feature resolution: the run finds every
/// unit the build made fresh.
fn test_args(packages: &[String], no_run: bool) -> Vec<&str> {
    let mut args = vec!["test"];
    if no_run {
        args.extend(["--no-run", "--message-format=json-render-diagnostics"]);
    } else {
        args.push("--no-fail-fast");
    }
    args.extend(TEST_TARGETS);
    for package in packages
        .iter()
        .map(String::as_str)
        .chain(FOR_FEATURES.iter().copied())
    {
        args.extend(["-p", package]);
    }
    args
}

/// `cargo test --doc` of `packages`, with the selection of [`test_args`].
fn doc_test_args(packages: &[String]) -> Vec<&str> {
    let mut args = vec!["test", "--doc", "--no-fail-fast"];
    for package in packages
        .iter()
        .map(String::as_str)
        .chain(FOR_FEATURES.iter().copied())
    {
        args.extend(["-p", package]);
    }
    args
}

/// The stub holds `value` at `bot`'s `field`.
fn expect_field(stub: &stub::Stub, bot: &str, field: &str, value: &Value) -> Result<(), String> {
    let held: Option<Map<String, Value>> = stub.bot(bot);
    match held.as_ref().and_then(|b| b.get(field)) {
        Some(v) if v == value => Ok(()),
        other => Err(format!(
            "the stub's {bot} holds {field} = {other:?}, expected {value}"
        )),
    }
}

/// `registry` (the text of the facade's `vendors/mod.rs`) with `line`
/// inserted after the last line of its `registry! { … }` block.
fn add_registry_line(registry: &str, line: &str) -> Result<String, String> {
    let start = registry
        .find("\nregistry! {\n")
        .ok_or_else(|| format!("{REGISTRY}: no `registry! {{` block"))?;
    let end = start
        + registry[start..]
            .find("\n}\n")
            .ok_or_else(|| format!("{REGISTRY}: the `registry!` block does not end"))?;
    Ok(format!(
        "{}\n{line}{}",
        &registry[..end],
        &registry[end + 1..]
    ))
}

/// Bumps `[workspace.package] version`'s patch number in the copy's root
/// manifest. Not a contributor's step: cargo names the artifacts of a path
/// package by its name, version and path relative to the workspace root,
/// so without it the copy's crates would overwrite the checkout's in the
/// shared build directory (and each would then look fresh to the other).
fn set_own_version(manifest: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let version = doc["workspace"]["package"]["version"]
        .as_str()
        .ok_or_else(|| format!("{}: no [workspace.package] version", manifest.display()))?;
    let bumped = match version.split('.').collect::<Vec<_>>()[..] {
        [major, minor, patch] => patch
            .parse::<u64>()
            .ok()
            .map(|p| format!("{major}.{minor}.{}", p + 1)),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "{}: version `{version}` is not MAJOR.MINOR.PATCH",
            manifest.display()
        )
    })?;
    doc["workspace"]["package"]["version"] = toml_edit::value(bumped);
    write(manifest, &doc.to_string())
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What a failed cargo command said that matters: errors, failed tests and
/// panics, each once (a panic repeated by many threads shows once), at most
/// 60 lines; else its last 30 lines.
fn failure_lines(output: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let picked: Vec<&str> = output
        .lines()
        .filter(|l| {
            l.starts_with("error")
                || l.contains("FAILED")
                || l.contains("panicked at")
                || l.starts_with("test result:")
                || l.trim_start().starts_with("-->")
        })
        // `thread 'name' (id) panicked at file:line:` repeats per thread.
        .filter(|l| seen.insert(l.split_once("panicked at").map_or(*l, |(_, at)| at)))
        .take(60)
        .collect();
    let lines: Vec<&str> = if picked.is_empty() {
        let all: Vec<&str> = output.lines().collect();
        all[all.len().saturating_sub(30)..].to_vec()
    } else {
        picked
    };
    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "  | {line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Third-party packages' features as `cargo tree` resolves them for a
    /// package selection, tests and examples included (`name version` →
    /// features).
    fn third_party_features(
        selection: &[&str],
    ) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        let output = crate::cargo::command()
            .current_dir(crate::workspace_root())
            .args([
                "tree",
                "--offline",
                "--prefix",
                "none",
                "-e",
                "normal,build,dev",
            ])
            .args(["-f", "{p} {f}"])
            .args(selection)
            .output()
            .expect("cargo tree");
        assert!(output.status.success(), "{output:?}");
        let mut all = std::collections::BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            // Workspace packages carry their path; the copy's are built
            // anew anyway.
            if line.contains("(/") {
                continue;
            }
            let words: Vec<&str> = line
                .split_whitespace()
                .filter(|w| !w.starts_with('('))
                .collect();
            if let [name, version, rest @ ..] = words.as_slice() {
                let features: &mut std::collections::BTreeSet<String> =
                    all.entry(format!("{name} {version}")).or_default();
                for list in rest {
                    features.extend(list.split(',').map(str::to_string));
                }
            }
        }
        all
    }

    /// The copy's tests are built with one selection whose third-party
    /// features are those of `cargo test --workspace` in the checkout, so
    /// that the copy compiles none of those crates again. (The new crate
    /// is left out here: the checkout lacks it, and its dependencies are
    /// every vendor crate's, which `chatbots` already selects.)
    #[test]
    fn the_copys_selection_resolves_the_workspaces_features() {
        let mut selection = Vec::new();
        for package in TESTED
            .iter()
            .chain(FOR_FEATURES)
            .filter(|p| !p.contains("{slug}"))
        {
            selection.extend(["-p", *package]);
        }
        let copy = third_party_features(&selection);
        let workspace = third_party_features(&["--workspace"]);
        let differ: Vec<String> = copy
            .iter()
            .filter(|(package, features)| workspace.get(*package) != Some(*features))
            // Its `default` comes from expectorate, a dev-dependency of
            // chatbots-codegen, whose tests are no test of the copy (they
            // pin `specs/` as the checkout has it); a difference only
            // console and the CLI's indicatif are compiled again for (≈ 2 s).
            .filter(|(package, _)| !package.starts_with("console "))
            .map(|(package, features)| {
                format!("{package}: {features:?} vs {:?}", workspace.get(package))
            })
            .collect();
        assert!(differ.is_empty(), "{differ:#?}");
    }

    #[test]
    fn the_registry_line_goes_after_the_last_one() {
        let text = "x\nregistry! {\n    /// A.\n    \"a\": a => a::A(types::B),\n}\n\nfn f() {}\n";
        let out = add_registry_line(text, "    \"z\": z => z::Z(types::B),\n").unwrap();
        assert_eq!(
            out,
            "x\nregistry! {\n    /// A.\n    \"a\": a => a::A(types::B),\n    \"z\": z => z::Z(types::B),\n}\n\nfn f() {}\n"
        );
        assert!(add_registry_line("fn f() {}\n", "x").is_err());
    }

    #[test]
    fn the_real_registry_takes_the_line() {
        let path = crate::workspace_root().join(REGISTRY);
        let text = std::fs::read_to_string(&path).unwrap();
        let out = add_registry_line(&text, REGISTRY_LINE).unwrap();
        assert_eq!(out.len(), text.len() + REGISTRY_LINE.len());
        let block = &out[out.find("\nregistry! {\n").unwrap()..];
        let block = &block[..block.find("\n}\n").unwrap()];
        assert!(block.ends_with(REGISTRY_LINE.trim_end()), "{block}");
    }

    #[test]
    fn the_fixture_spec_is_valid_and_not_in_specs() {
        let root = crate::workspace_root();
        let spec = root.join(FIXTURES).join(format!("{SLUG}.yaml"));
        crate::validate(&[spec]).expect("the fixture spec generates");
        assert!(!root.join("specs").join(format!("{SLUG}.yaml")).exists());
    }

    #[test]
    fn the_tests_run_with_the_selection_they_were_built_with() {
        let packages = ["chatbots".to_string(), "chatbots-cli".to_string()];
        let selection = |args: Vec<&str>| -> Vec<String> {
            args.into_iter()
                .filter(|a| !["--no-run", "--no-fail-fast"].contains(a))
                .filter(|a| !a.starts_with("--message-format"))
                .map(String::from)
                .collect()
        };
        let built = test_args(&packages, true);
        assert!(built.contains(&"--no-run"), "{built:?}");
        let mut wanted = vec!["test"];
        wanted.extend(TEST_TARGETS);
        wanted.extend([
            "-p",
            "chatbots",
            "-p",
            "chatbots-cli",
            "-p",
            "xtask",
            "-p",
            "chatbots-bench",
        ]);
        assert_eq!(selection(built), wanted);
        let run = test_args(&packages, false);
        assert!(run.contains(&"--no-fail-fast"), "{run:?}");
        assert_eq!(selection(run), selection(test_args(&packages, true)));
        // The doc tests' run selects the same packages.
        let packages_of = |args: Vec<&str>| -> Vec<String> {
            args.windows(2)
                .filter(|w| w[0] == "-p")
                .map(|w| w[1].to_string())
                .collect()
        };
        let doc = doc_test_args(&packages);
        assert!(doc.contains(&"--doc"), "{doc:?}");
        assert_eq!(packages_of(doc), packages_of(test_args(&packages, true)));
    }

    #[test]
    fn the_cli_binary_is_not_its_test_harness() {
        let artifact = |kind: &str, test: bool, exe: &str| {
            json!({"reason": "compiler-artifact",
                   "package_id": "path+file:///w/crates/cli#chatbots-cli@0.1.1",
                   "manifest_path": "/w/crates/cli/Cargo.toml",
                   "target": {"kind": [kind], "crate_types": [kind], "name": "chatbots",
                              "src_path": "/w/crates/cli/src/main.rs", "edition": "2024",
                              "doctest": false, "test": true},
                   "profile": {"opt_level": "0", "debuginfo": 0, "debug_assertions": true,
                               "overflow_checks": true, "test": test},
                   "features": [], "filenames": [exe], "executable": exe, "fresh": false})
            .to_string()
        };
        let stream = [
            artifact("bin", true, "/t/deps/chatbots-1234"),
            artifact("lib", false, "/t/deps/libchatbots.rlib"),
            artifact("bin", false, "/t/debug/chatbots"),
        ]
        .join("\n");
        assert_eq!(
            cli_executable(stream.as_bytes()).map(String::from),
            Some("/t/debug/chatbots".to_string())
        );
        assert_eq!(cli_executable(b""), None);
    }

    #[test]
    fn a_failure_shows_each_panic_site_once() {
        let output = "   Compiling x\ntest a ... FAILED\n\
                      thread 'a' (1) panicked at src/f.rs:3:9:\n\
                      thread 'b' (2) panicked at src/f.rs:3:9:\n\
                      thread 'c' (3) panicked at src/g.rs:1:1:\n";
        let shown = failure_lines(output);
        assert_eq!(shown.lines().count(), 3, "{shown}");
        assert!(shown.contains("test a ... FAILED") && shown.contains("src/g.rs"));
    }
}
