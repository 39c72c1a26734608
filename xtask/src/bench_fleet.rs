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
//! from 429s; listing 10,000 bots grows the peak RSS by ≤ 10 MiB where the
//! list comes in pages. The table goes to stdout and
//! `target/bench/fleet.md`. `--quick`: 200 updates.
//!
//! `--processes P` (issue 23) measures instead P OS processes sharing one
//! credential: N updates in all, N/P each, on the first vendor with a
//! documented limit and on each without one (given 20/s, burst 20),
//! each with pacing shared through a Redis (`CHATBOTS_REDIS_URL`, or a
//! `redis-server` started here on a unix socket, persistence off) and
//! without (the control). 429s are counted by the sandbox
//! (`GET /_sandbox/stats`). Targets: 0 failed; with Redis, 0 answers of
//! 429 and ≤ 1.10 × the bound on the documented limit, ≤ 2 % and ≤ 1.5 ×
//! on the learned one.
//!
//! `--debug` builds and runs the debug binaries instead: the limits are at
//! most 20 requests/s, so the pacing figures do not depend on the build,
//! and a loaded machine is spared a release build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The limit the bench gives the vendors that document none.
const LEARNED_LIMIT: &str = "20/s,burst=20";
/// Bots listed for the memory measure.
const LISTED: usize = 10_000;
const MAX_LIST_GROWTH_KIB: u64 = 10 * 1024;
const DOCUMENTED_FACTOR: f64 = 1.10;
const LEARNED_FACTOR: f64 = 1.5;
/// The share of 429 answers allowed under a learned limit (issue 23).
const MAX_LEARNED_429_SHARE: f64 = 0.02;

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

/// The sandbox's counts of `slug`: (requests, answers of 429).
fn sandbox_counts(fleet: &Path, url: &str, slug: &str) -> Result<(u64, u64), String> {
    let stats = run_fleet(fleet, &["stats", url])?;
    let vendor = &stats.first().ok_or("fleet stats printed nothing")?["vendors"][slug]["total"];
    Ok((
        vendor["requests"].as_u64().unwrap_or(0),
        vendor["statuses"]["429"].as_u64().unwrap_or(0),
    ))
}

/// A `redis-server` of the bench's own, stopped when dropped.
struct Redis {
    child: Option<Child>,
    url: String,
    socket: Option<PathBuf>,
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(socket) = &self.socket {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// `CHATBOTS_REDIS_URL`, or a `redis-server` started on a unix socket.
fn redis(target: &Path) -> Result<Redis, String> {
    if let Ok(url) = std::env::var("CHATBOTS_REDIS_URL")
        && !url.is_empty()
    {
        return Ok(Redis {
            child: None,
            url,
            socket: None,
        });
    }
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let socket = dir.join(format!("redis-{}.sock", std::process::id()));
    let child = Command::new("redis-server")
        .args(["--port", "0", "--unixsocket"])
        .arg(&socket)
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start redis-server ({e}): install it (`apt-get install -y redis-server`) \
                 or set CHATBOTS_REDIS_URL"
            )
        })?;
    let redis = Redis {
        child: Some(child),
        url: format!("redis+unix://{}", socket.display()),
        socket: Some(socket.clone()),
    };
    for _ in 0..500 {
        if socket.exists() {
            return Ok(redis);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("redis-server did not open {}", socket.display()))
}

/// `--processes P`: P processes on one credential, with shared pacing and
/// without.
fn shared_processes(
    sandbox_bin: &Path,
    fleet: &Path,
    target: &Path,
    updates: usize,
    processes: usize,
) -> Result<String, String> {
    let redis = redis(target)?;
    let probe = start(sandbox_bin, &[])?;
    let documented = probe
        .limits
        .iter()
        .find(|(_, limit)| limit.is_some())
        .map(|(slug, _)| slug.clone())
        .ok_or("no vendor with a documented limit")?;
    let learned: Vec<String> = probe
        .limits
        .iter()
        .filter(|(_, limit)| limit.is_none())
        .map(|(slug, _)| slug.clone())
        .collect();
    drop(probe);
    let each = updates / processes;
    let mut report = format!(
        "### {processes} processes × {each} updates on one credential\n\n\
         | vendor | limit | pacing | bound | wall time | × bound | 429 answers (sandbox) | of requests | failed | target |\n\
         |---|---|---|--:|--:|--:|--:|--:|--:|---|\n"
    );
    let cases =
        std::iter::once((&documented, true)).chain(learned.iter().map(|slug| (slug, false)));
    for (slug, is_documented) in cases {
        for shared in [true, false] {
            let mut args = vec!["--bots".to_string(), updates.to_string()];
            for slug in &learned {
                args.push("--rate-limit".into());
                args.push(format!("{slug}={LEARNED_LIMIT}"));
            }
            let sandbox = start(sandbox_bin, &args)?;
            let (rate, burst) = sandbox
                .limits
                .iter()
                .find(|(s, _)| s == slug)
                .and_then(|l| l.1)
                .ok_or_else(|| format!("{slug} has no limit"))?;
            let each_arg = each.to_string();
            let started = Instant::now();
            let children: Vec<Child> = (0..processes)
                .map(|i| {
                    let skip = (i * each).to_string();
                    let mut command = Command::new(fleet);
                    command
                        .args(["updates", &sandbox.url, &each_arg, "--vendor", slug])
                        .args(["--skip", &skip])
                        .stdout(Stdio::piped());
                    if shared {
                        command.args(["--redis", &redis.url]);
                    }
                    command
                        .spawn()
                        .map_err(|e| format!("cannot run {}: {e}", fleet.display()))
                })
                .collect::<Result<_, _>>()?;
            let mut failed = 0;
            for child in children {
                let output = child
                    .wait_with_output()
                    .map_err(|e| format!("fleet: {e}"))?;
                if !output.status.success() {
                    return Err("a fleet process failed".into());
                }
                for line in lines(&output.stdout)? {
                    failed += line["failed"].as_u64().unwrap_or(u64::MAX);
                }
            }
            let wall = started.elapsed().as_secs_f64();
            let (requests, limited) = sandbox_counts(fleet, &sandbox.url, slug)?;
            drop(sandbox);
            let bound = (updates as f64 - burst).max(0.0) / rate;
            let ratio = wall / bound;
            let share = limited as f64 / requests.max(1) as f64;
            let target = match (shared, is_documented) {
                (false, _) => "control".to_string(),
                (true, true) => format!(
                    "0 failed, 0 × 429, ≤ {DOCUMENTED_FACTOR} × bound: {}",
                    mark(failed == 0 && limited == 0 && ratio <= DOCUMENTED_FACTOR)
                ),
                (true, false) => format!(
                    "0 failed, 429 ≤ 2 %, ≤ {LEARNED_FACTOR} × bound: {}",
                    mark(failed == 0 && share <= MAX_LEARNED_429_SHARE && ratio <= LEARNED_FACTOR)
                ),
            };
            report.push_str(&format!(
                "| {slug} | {rate}/s, burst {burst} ({}) | {} | {bound:.1} s | {wall:.1} s | {ratio:.3} | {limited} | {:.1} % | {failed} | {target} |\n",
                if is_documented { "documented" } else { "learned" },
                if shared { "shared (Redis)" } else { "per process" },
                share * 100.0,
            ));
        }
    }
    Ok(report)
}

fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut updates = 1000usize;
    let mut processes = None;
    let mut profile = "release";
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => updates = 200,
            "--debug" => profile = "debug",
            "--processes" => {
                processes = Some(
                    args.next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| *n > 0)
                        .ok_or("bench-fleet: --processes takes a count")?,
                );
            }
            other => {
                return Err(format!(
                    "bench-fleet: unknown argument `{other}` (--quick, --processes P, --debug)"
                ));
            }
        }
    }
    let target = crate::bench::target_dir(root);
    let mut build = vec!["build"];
    if profile == "release" {
        build.push("--release");
    }
    build.extend([
        "-p",
        "chatbots-sandbox",
        "--bin",
        "chatbots-sandbox",
        "-p",
        "chatbots-bench",
        "--bin",
        "fleet",
    ]);
    crate::bench::cargo(root, &build, &[])?;
    let sandbox_bin = target.join(profile).join("chatbots-sandbox");
    let fleet = target.join(profile).join("fleet");
    if let Some(count) = processes {
        let report = shared_processes(&sandbox_bin, &fleet, &target, updates, count)?;
        return write_report(&target, &report);
    }

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
    // Every vendor the facade can list; the memory target holds where the
    // list came in pages (the sandbox counts the requests).
    for line in run_fleet(&fleet, &["vendors"])? {
        if line["can_list"] != Value::Bool(true) {
            continue;
        }
        let vendor = line["vendor"].as_str().unwrap_or_default();
        let (before, _) = sandbox_counts(&fleet, &sandbox.url, vendor)?;
        let result = run_fleet(&fleet, &["list", &sandbox.url, vendor])?;
        let (after, _) = sandbox_counts(&fleet, &sandbox.url, vendor)?;
        let result = result.first().ok_or("fleet list printed nothing")?;
        let growth = result["growth_kib"].as_u64().unwrap_or(u64::MAX);
        // Less the first page, which the client reads before measuring.
        let pages = after.saturating_sub(before).saturating_sub(1);
        let target = if pages > 1 {
            format!(
                "≤ {MAX_LIST_GROWTH_KIB} KiB: {}",
                mark(growth <= MAX_LIST_GROWTH_KIB)
            )
        } else {
            "one page: the whole list is the vendor's answer".to_string()
        };
        report.push_str(&format!(
            "| {vendor} | {} | {:.1} s | {growth} KiB | {target} |\n",
            result["bots"],
            result["wall_s"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    drop(sandbox);
    write_report(&target, &report)
}

fn write_report(target: &Path, report: &str) -> Result<(), String> {
    print!("{report}");
    let out = target.join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let file = out.join("fleet.md");
    std::fs::write(&file, report).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!("wrote {}", file.display());
    Ok(())
}
