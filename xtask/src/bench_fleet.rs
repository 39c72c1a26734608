//! `cargo xtask bench-fleet [--quick]`: what a fleet of bots costs within
//! the vendors' rate limits.
//!
//! 1. Builds the standalone sandbox and the bench's `fleet` client in
//!    release.
//! 2. Starts the sandbox with `--bots N` and its limits: StreamSkill's
//!    documented bucket (its default), and 20 requests/s for every other
//!    vendor. Issues N updates per vendor at once through
//!    `Chatbots::update_many` (`fleet updates`), and reports per vendor the
//!    wall time against the bound the limit implies ((N − burst) / rate),
//!    the 429 answers the clients received, and the failed updates.
//! 3. Starts a sandbox with 10,000 bots and no limits, and lists them with
//!    `list_stream` at each paginated vendor (`fleet list`), reporting the
//!    client's peak resident memory growth.
//!
//! Targets (issue 12): 0 failed updates; wall time ≤ 1.10 × the bound where
//! the limit is documented (StreamSkill), ≤ 1.5 × where it is only learned
//! from 429s; listing 10,000 bots grows the peak RSS by ≤ 10 MiB. The table
//! goes to stdout and `target/bench/fleet.md`. `--quick`: 200 updates.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The limit the bench gives the vendors that document none.
const LEARNED_LIMIT: &str = "20/s,burst=20";
/// Bots listed for the memory measure.
const LISTED: usize = 10_000;
const MAX_LIST_GROWTH_KIB: u64 = 10 * 1024;
const DOCUMENTED_FACTOR: f64 = 1.10;
const LEARNED_FACTOR: f64 = 1.5;
/// The vendors whose lists page (the others list everything at once).
const PAGINATED: [&str; 2] = ["converza", "puretalk"];

/// The sandbox process, killed when dropped.
struct Sandbox {
    child: Child,
    url: String,
    /// Per vendor slug: its limit as `rate/s,burst=n`, if it has one.
    limits: Vec<(String, Option<(f64, f64)>)>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the sandbox binary with `args`, and reads its start-up text.
fn start(binary: &Path, args: &[String]) -> Result<Sandbox, String> {
    let mut child = Command::new(binary)
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut url = None;
    let mut limits: Vec<(String, Option<(f64, f64)>)> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("cannot read the sandbox's output: {e}"))?;
        if let Some(rest) = line.strip_prefix("chatbots-sandbox listening on ") {
            url = Some(rest.trim().to_string());
        } else if let Some(base) = line.trim().strip_prefix("base URL:") {
            let slug = base.trim().rsplit('/').next().unwrap_or_default();
            limits.push((slug.to_string(), None));
        } else if let Some(limit) = line.trim().strip_prefix("limit:") {
            let parsed = parse_limit(limit.trim().trim_end_matches(" per credential"))
                .ok_or_else(|| format!("cannot read the limit `{limit}`"))?;
            if let Some(last) = limits.last_mut() {
                last.1 = Some(parsed);
            }
        } else if line.starts_with("Ctrl-C") {
            break;
        }
    }
    let url = url.ok_or("the sandbox did not say where it listens")?;
    Ok(Sandbox { child, url, limits })
}

/// `2/s,burst=30` → (2, 30).
fn parse_limit(text: &str) -> Option<(f64, f64)> {
    let (rate, burst) = text.split_once("/s,burst=")?;
    Some((rate.parse().ok()?, burst.parse().ok()?))
}

fn lines(output: &[u8]) -> Result<Vec<Value>, String> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("not JSON: {l}: {e}")))
        .collect()
}

fn run_fleet(fleet: &Path, args: &[&str]) -> Result<Vec<Value>, String> {
    let output = Command::new(fleet)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", fleet.display()))?;
    if !output.status.success() {
        return Err(format!(
            "fleet {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    lines(&output.stdout)
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut updates = 1000usize;
    for arg in args {
        match arg.as_str() {
            "--quick" => updates = 200,
            other => {
                return Err(format!(
                    "bench-fleet: unknown argument `{other}` (only --quick)"
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
            "-p",
            "chatbots-bench",
            "--bin",
            "fleet",
        ],
        &[],
    )?;
    let sandbox_bin = target.join("release/chatbots-sandbox");
    let fleet = target.join("release/fleet");
    let mark = |pass: bool| if pass { "PASS" } else { "MISS" };

    // Updates, within the limits.
    let mut sandbox_args = vec!["--bots".to_string(), updates.to_string()];
    let probe = start(&sandbox_bin, &sandbox_args)?;
    // The limits the sandbox applies by default are the documented ones.
    let documented: Vec<String> = probe
        .limits
        .iter()
        .filter(|(_, limit)| limit.is_some())
        .map(|(slug, _)| slug.clone())
        .collect();
    for (slug, limit) in &probe.limits {
        if limit.is_none() {
            sandbox_args.push("--rate-limit".into());
            sandbox_args.push(format!("{slug}={LEARNED_LIMIT}"));
        }
    }
    drop(probe);
    let sandbox = start(&sandbox_bin, &sandbox_args)?;
    eprintln!(
        "bench-fleet: {updates} updates per vendor at {}",
        sandbox.url
    );
    let results = run_fleet(&fleet, &["updates", &sandbox.url, &updates.to_string()])?;
    let mut report = format!(
        "### Updates: {updates} per vendor at once through `update_many`\n\n\
         | vendor | limit | bound | wall time | × bound | 429 answers | failed | target |\n\
         |---|---|--:|--:|--:|--:|--:|---|\n"
    );
    for result in &results {
        let slug = result["vendor"].as_str().unwrap_or_default();
        let Some((rate, burst)) = sandbox
            .limits
            .iter()
            .find(|(s, _)| s == slug)
            .and_then(|l| l.1)
        else {
            continue;
        };
        let bound = (updates as f64 - burst).max(0.0) / rate;
        let wall = result["wall_s"].as_f64().unwrap_or(f64::NAN);
        let failed = result["failed"].as_u64().unwrap_or(u64::MAX);
        let is_documented = documented.iter().any(|d| d == slug);
        let factor = if is_documented {
            DOCUMENTED_FACTOR
        } else {
            LEARNED_FACTOR
        };
        let ratio = wall / bound;
        let pass = failed == 0 && ratio <= factor;
        report.push_str(&format!(
            "| {slug} | {rate}/s, burst {burst} ({}) | {bound:.1} s | {wall:.1} s | {ratio:.3} | {} | {failed} | 0 failed, ≤ {factor} × bound: {} |\n",
            if is_documented { "documented" } else { "learned" },
            result["rate_limited"],
            mark(pass),
        ));
        if let Some(first) = result["first_failure"].as_str() {
            report.push_str(&format!("\n{slug}'s first failure: {first}\n\n"));
        }
    }
    drop(sandbox);

    // Listing, one page in memory.
    let sandbox = start(
        &sandbox_bin,
        &[
            "--bots".into(),
            LISTED.to_string(),
            "--no-rate-limit".into(),
        ],
    )?;
    report.push_str(&format!(
        "\n### `list_stream` over {LISTED} bots\n\n\
         | vendor | bots listed | wall time | peak RSS growth | target |\n|---|--:|--:|--:|---|\n"
    ));
    for vendor in PAGINATED {
        let result = run_fleet(&fleet, &["list", &sandbox.url, vendor])?;
        let result = result.first().ok_or("fleet list printed nothing")?;
        let growth = result["growth_kib"].as_u64().unwrap_or(u64::MAX);
        report.push_str(&format!(
            "| {vendor} | {} | {:.1} s | {growth} KiB | ≤ {MAX_LIST_GROWTH_KIB} KiB: {} |\n",
            result["bots"],
            result["wall_s"].as_f64().unwrap_or(f64::NAN),
            mark(growth <= MAX_LIST_GROWTH_KIB),
        ));
    }
    drop(sandbox);

    print!("{report}");
    let out = target.join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let file = out.join("fleet.md");
    std::fs::write(&file, &report).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!("wrote {}", file.display());
    Ok(())
}
