//! `cargo xtask bench-sandbox [--quick]`: how many requests per second the
//! sandbox serves, and whether its memory stays flat.
//!
//! Builds the standalone sandbox and `crates/sandbox/examples/load.rs` in
//! release, then runs the load generator twice against a fresh sandbox
//! process each time (StreamSkill's rate limit off): a throughput run of
//! 200,000 requests, and a soak of 1,000,000 (`--quick`: 20,000 and
//! 100,000). Both mix reads and edits across the five vendors over 64
//! keep-alive connections. The table goes to stdout and to
//! `target/bench/sandbox.md`.

use std::path::Path;
use std::process::Command;

/// Targets from the issue.
const MIN_REQUESTS_PER_SECOND: f64 = 20_000.0;
/// "Flat": the soak may not grow the server's resident memory by more than
/// this (allocator slack), beyond what it held after warm-up.
const MAX_GROWTH_KIB: i64 = 2048;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            other => {
                return Err(format!(
                    "bench-sandbox: unknown argument `{other}` (only --quick)"
                ));
            }
        }
    }
    let target = crate::bench::target_dir(root);
    crate::bench::cargo(
        root,
        &[
            "build",
            "--release",
            "-p",
            "chatbots-sandbox",
            "--bin",
            "chatbots-sandbox",
            "--example",
            "load",
        ],
        &[],
    )?;
    let load = target.join("release/examples/load");
    let server = target.join("release/chatbots-sandbox");
    let (throughput_n, soak_n) = if quick {
        (20_000, 100_000)
    } else {
        (200_000, 1_000_000)
    };
    let throughput = run_load(&load, &server, throughput_n)?;
    let soak = run_load(&load, &server, soak_n)?;
    let rate = field(&throughput, "throughput:")?;
    let growth = field(&soak, "growth:")?;
    let soak_rate = field(&soak, "throughput:")?;
    let mark = |pass: bool| if pass { "PASS" } else { "MISS" };
    let report = format!(
        "| run | requests | req/s | server RSS growth | target |\n\
         |---|---|---|---|---|\n\
         | throughput | {throughput_n} | {rate:.0} | {tg} KiB | ≥ {MIN_REQUESTS_PER_SECOND:.0} req/s: {} |\n\
         | soak | {soak_n} | {soak_rate:.0} | {growth:.0} KiB | growth ≤ {MAX_GROWTH_KIB} KiB: {} |\n\n\
         Throughput run:\n```\n{throughput}```\nSoak:\n```\n{soak}```\n",
        mark(rate >= MIN_REQUESTS_PER_SECOND),
        mark(growth as i64 <= MAX_GROWTH_KIB),
        tg = field(&throughput, "growth:").unwrap_or(f64::NAN),
    );
    print!("{report}");
    let out = target.join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let file = out.join("sandbox.md");
    std::fs::write(&file, &report).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!("wrote {}", file.display());
    Ok(())
}

fn run_load(load: &Path, server: &Path, requests: u64) -> Result<String, String> {
    let output = Command::new(load)
        .args(["--requests", &requests.to_string(), "--connections", "64"])
        .arg("--server")
        .arg(server)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", load.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            load.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The number after `label` in the load generator's output.
fn field(output: &str, label: &str) -> Result<f64, String> {
    output
        .split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no `{label}` in the load output:\n{output}"))
}
