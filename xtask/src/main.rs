//! `cargo xtask`: everything that derives from `specs/`.
//!
//! - `cargo xtask generate` validates every spec (rules, generation, and
//!   every request schema compiled as the runtime compiles it, a check that
//!   vendor build scripts leave out), creates the crate of a
//!   spec that has none, and rewrites the generated blocks (the vendor
//!   registry in `chatbots_runtime::Vendor`, workspace dependencies, the
//!   facade's vendor features, the README's endpoint table).
//!   Running it twice changes nothing the second time.
//! - `cargo xtask check` does the same validation, writes nothing, and fails
//!   on any spec problem or drift, saying what to run.
//! - `cargo xtask spec FILE…` validates single spec files.
//! - `cargo xtask package [ARGS…]` checks, then packages and verifies every
//!   publishable crate (see [`package`]).
//! - `cargo xtask bench [--quick | --smoke]` runs the request-overhead
//!   benchmark (`--smoke`: each benchmark once, nothing measured).
//! - `cargo xtask bench-build` measures build cost (see [`bench_build`]).
//! - `cargo xtask bench-fleet [--quick]` measures fleet work within the
//!   vendors' rate limits (see [`bench_fleet`]).
//! - `cargo xtask bench-sandbox [--quick]` measures the sandbox's throughput
//!   and memory under a soak.
//! - `cargo xtask contract [VENDOR…]` runs Schemathesis against the sandbox
//!   for every spec (see [`contract`]).
//! - `cargo xtask fixture-vendor [--no-tests]` adds a fixture sixth vendor to
//!   a copy of the workspace as ARCHITECTURE.md says and runs it (see
//!   [`fixture_vendor`]).
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chatbots_codegen::{Spec, operations};

mod bench;
mod bench_build;
mod bench_fleet;
mod bench_sandbox;
mod blocks;
mod capabilities;
mod cargo;
mod contract;
mod fixture_vendor;
mod package;
mod scaffold;
mod vendors;
mod workspace_copy;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate     validate specs/*.yaml, create missing vendor crates, sync generated blocks
  check        validate and report drift without writing (CI runs this)
  spec FILE..  validate the given spec files only
  bench [--quick|--smoke]  request-overhead benchmark (callgrind + criterion), table in
               target/bench/overhead.md; --smoke runs each benchmark once, measuring nothing
  package [ARGS..]  check, then `cargo package` every publishable crate (verified: each
               builds from its own tarball); ARGS go to cargo package
  bench-build  measure build cost (cold, one-vendor, incremental, TLS); see `bench-build --help`
  bench-sandbox [--quick]  sandbox throughput (64 connections, mixed vendors) and a 1M-request soak
  bench-fleet [--quick] [--processes P] [--debug]  1,000 updates per vendor within the rate limits, list_stream memory over 10,000 bots; P processes on one credential, shared pacing in Redis or not
  contract [VENDOR..]  Schemathesis against the standalone sandbox for every spec (or those named),
               settings in contract/schemathesis.toml; fails on any disagreement
  fixture-vendor [--no-tests]  add a fixture sixth vendor to a copy of the workspace as
               ARCHITECTURE.md says; run its CLI against a stub and its tests
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("generate") => run(&root, Mode::Write),
        Some("check") => run(&root, Mode::Check),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("bench-build") => bench_build::run(&root, &args[1..]),
        Some("bench-sandbox") => bench_sandbox::run(&root, &args[1..]),
        Some("bench-fleet") => bench_fleet::run(&root, &args[1..]),
        Some("package") => package::run(&root, &args[1..]),
        Some("contract") => contract::run(&root, &args[1..]),
        Some("fixture-vendor") => fixture_vendor::run(&root, &args[1..]),
        Some("spec") if args.len() > 1 => {
            let specs: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
            validate(&specs).map(|_| ())
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

/// Loads, checks and generates each spec; reports every problem found.
fn validate(paths: &[PathBuf]) -> Result<Vec<Spec>, String> {
    let mut specs = Vec::new();
    let mut failures = 0;
    for path in paths {
        let spec = match chatbots_codegen::load(path) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
                continue;
            }
        };
        let problems = chatbots_codegen::check(&spec);
        for problem in &problems {
            eprintln!("error: {}: {problem}", path.display());
        }
        let registry = vendors::entry(&spec);
        if let Err(e) = &registry {
            eprintln!("error: {e}");
        }
        if !problems.is_empty() || registry.is_err() {
            failures += 1;
            continue;
        }
        // Build scripts convert request schemas but do not compile them
        // (no schema engine on their path): compiled here, as the runtime
        // will.
        let generated = chatbots_codegen::generate(&spec).and_then(|_| {
            chatbots_codegen::check_request_schemas(&spec, |schema| {
                chatbots_runtime::Schema::try_new(schema.clone()).map(drop)
            })
        });
        match generated {
            Ok(schemas) => {
                println!(
                    "ok: {} ({} operations, {schemas} request schemas compiled)",
                    path.display(),
                    operations(&spec.api).len()
                );
                for line in retry_decisions(&spec) {
                    println!("{line}");
                }
                specs.push(spec);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
            }
        }
    }
    if failures > 0 {
        return Err(format!(
            "{failures} spec(s) cannot be generated; fix the problems above"
        ));
    }
    Ok(specs)
}

/// One line per PATCH and POST operation of `spec`: vendor, operation,
/// whether it is retried, and why (the spec's `Retry-safe:` reason, or the
/// rule), so that every such decision is seen in `cargo xtask check`.
fn retry_decisions(spec: &Spec) -> Vec<String> {
    operations(&spec.api)
        .into_iter()
        .filter(|op| matches!(op.method.as_str(), "PATCH" | "POST"))
        .map(|op| {
            let decision = if op.retry_safe {
                "retry-safe"
            } else {
                "not retry-safe"
            };
            format!(
                "  {} {} ({} {}): {decision}: {}",
                spec.vendor,
                op.id,
                op.method,
                op.path,
                chatbots_runtime::printable::one_line(&op.retry_reason)
            )
        })
        .collect()
}

fn run(root: &Path, mode: Mode) -> Result<(), String> {
    let paths = chatbots_codegen::spec_paths(&root.join("specs"))
        .map_err(|e| format!("cannot list specs/: {e}"))?;
    if paths.is_empty() {
        return Err("specs/ holds no *.yaml spec".into());
    }
    let specs = validate(&paths)?;

    let mut changes = Vec::new();
    for spec in &specs {
        for file in scaffold::missing_files(root, spec) {
            changes.push(file);
        }
    }
    changes.extend(blocks::updates(root, &specs)?);

    if changes.is_empty() {
        println!("everything derived from specs/ is up to date");
        return Ok(());
    }
    match mode {
        Mode::Check => {
            for change in &changes {
                eprintln!("drift: {} {}", change.path.display(), change.why);
            }
            Err(
                "generated files are out of date: run `cargo xtask generate` and commit the result"
                    .into(),
            )
        }
        Mode::Write => {
            for change in &changes {
                if let Some(dir) = change.path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                }
                change.write()?;
                println!("wrote {} ({})", change.path.display(), change.why);
            }
            Ok(())
        }
    }
}

/// A file `generate` writes.
pub struct Change {
    path: PathBuf,
    contents: Contents,
    why: String,
}

/// What a [`Change`] puts at its path.
pub enum Contents {
    /// A file with this text.
    Text(String),
    /// A symbolic link to this (relative) path.
    Symlink(PathBuf),
}

impl Change {
    fn write(&self) -> Result<(), String> {
        let path = self.path.display();
        match &self.contents {
            Contents::Text(text) => {
                std::fs::write(&self.path, text).map_err(|e| format!("cannot write {path}: {e}"))
            }
            Contents::Symlink(target) => {
                // A stale file or link in the way is replaced.
                if self.path.symlink_metadata().is_ok() {
                    std::fs::remove_file(&self.path)
                        .map_err(|e| format!("cannot replace {path}: {e}"))?;
                }
                symlink(target, &self.path)
                    .map_err(|e| format!("cannot link {path} -> {}: {e}", target.display()))
            }
        }
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every PATCH and POST of every spec gets a line with its decision;
    /// GET, PUT and DELETE none (HTTP decides them).
    #[test]
    fn check_prints_each_patch_and_post_decision() {
        let specs = workspace_root().join("specs");
        let paths = chatbots_codegen::spec_paths(&specs).unwrap();
        for path in paths {
            let spec = chatbots_codegen::load(&path).unwrap();
            let lines = retry_decisions(&spec);
            let expected = operations(&spec.api)
                .iter()
                .filter(|op| op.method == "PATCH" || op.method == "POST")
                .count();
            assert_eq!(lines.len(), expected, "{}", path.display());
            for line in &lines {
                assert!(line.starts_with(&format!("  {} ", spec.vendor)), "{line}");
                assert!(line.contains(": retry-safe: ") || line.contains(": not retry-safe: "));
                assert!(!line.contains('\n'), "{line}");
            }
        }
        // OKChat's update is marked with its reason; its creation is not.
        let okchat = chatbots_codegen::load(&specs.join("okchat.yaml")).unwrap();
        let lines = retry_decisions(&okchat).join("\n");
        assert!(
            lines.contains("updateChatbot (PATCH /api/external/chatbots): retry-safe: the fields sent are absolute values"),
            "{lines}"
        );
        assert!(
            lines.contains("createChatbot (POST /api/external/chatbots): not retry-safe: POST is not idempotent"),
            "{lines}"
        );
    }
}
