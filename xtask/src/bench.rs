//! `cargo xtask bench [--quick]`: the request-overhead benchmark of
//! `crates/bench`, in one table.
//!
//! 1. Builds `overhead_count` in release and starts `overhead_count serve`
//!    (the loopback server, in its own process so that it is not counted).
//! 2. For every vendor and way — (a) generated client, (b) hand-written
//!    reqwest, (c) facade — runs `overhead_count run` under
//!    `valgrind --tool=callgrind` with N = 200 and N = 1200 sequential
//!    requests; instructions per request = difference / 1000 (startup
//!    cancels out). The callgrind files stay in `target/bench/callgrind/`
//!    for `callgrind_annotate`.
//! 3. Runs the criterion throughput bench (`--quick`: shorter warm-up and
//!    measurement): sequential and 64 in flight against a server that
//!    answers at once; then, per vendor, `overhead_count rounds`: 64 in
//!    flight against a server with a vendor's latency (10–30 ms, what a
//!    user of a vendor API feels), the three ways taking turns for
//!    [`ROUNDS`] rounds (`--quick`: [`QUICK_ROUNDS`]).
//! 4. Prints one table with the alarms marked PASS/MISS, and writes it to
//!    `target/bench/overhead.md`.
//!
//! The thresholds are alarms for accidents (a schema parsed per call, a
//! client built per request), not targets to optimise toward: simplicity
//! beats instructions, and a request across the internet costs milliseconds.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const WAYS: [&str; 3] = ["sdk", "raw", "facade"];
const N_SMALL: u64 = 200;
const N_LARGE: u64 = 1200;
const IN_FLIGHT: usize = 64;
/// Rounds of the latency column (each way 512 requests a round).
const ROUNDS: usize = 20;
const QUICK_ROUNDS: usize = 3;

/// Alarms: instructions of (a) over (b), of (c) over (b), and requests/s of
/// (c) over (b) at 64 in flight with a vendor's latency. (a) over (b) was
/// 1.10 until issue 19: since then the generated client reads every body
/// whole inside its retry loop, so that a body cut off is retried, and
/// hands on a response rebuilt around it — about 2.7k instructions a
/// request (≈ 1 µs) that (b) does not spend, by decision, not by accident.
const MAX_SDK_OVER_RAW_INSTR: f64 = 1.15;
/// (c) over (b) was 1.50 until the seeds became each spec's full request
/// example (issue 20): the facade checks the whole body against the
/// operation's schema before sending it (typed body → JSON, validation,
/// JSON → typed body), work that grows with the fields sent. HotTask's
/// example sets 40 fields, and that check costs about 55k instructions a
/// request (≈ 15 µs; c/b 1.74). The accident this alarm is for, a schema
/// compiled per call, costs millions of instructions a request: 2.0 still
/// catches it by orders of magnitude.
const MAX_FACADE_OVER_RAW_INSTR: f64 = 2.0;
const MIN_FACADE_OVER_RAW_WITH_LATENCY: f64 = 0.99;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            // Each benchmark once, in a debug build, no valgrind: proves the
            // bench builds and its requests succeed, measures nothing.
            "--smoke" => return smoke(root),
            other => {
                return Err(format!(
                    "bench: unknown argument `{other}` (--quick or --smoke)"
                ));
            }
        }
    }
    let target = target_dir(root);
    let out = target.join("bench");
    let callgrind = out.join("callgrind");
    std::fs::create_dir_all(&callgrind)
        .map_err(|e| format!("cannot create {}: {e}", callgrind.display()))?;

    cargo(
        root,
        &[
            "build",
            "--release",
            "-p",
            "chatbots-bench",
            "--bin",
            "overhead_count",
        ],
        &[],
    )?;
    let counter = target.join("release").join("overhead_count");
    let vendors = benched_vendors(&counter)?;
    let instr = count_instructions(&counter, &callgrind, &vendors)?;

    let criterion_home = out.join("criterion");
    let mut bench_args = vec!["bench", "-p", "chatbots-bench", "--bench", "overhead", "--"];
    if quick {
        bench_args.extend(["--warm-up-time", "0.5", "--measurement-time", "1.5"]);
    }
    cargo(
        root,
        &bench_args,
        &[("CRITERION_HOME", criterion_home.as_os_str())],
    )?;
    let rounds = if quick { QUICK_ROUNDS } else { ROUNDS };
    let with_latency = latency_rounds(&counter, &vendors, rounds)?;
    let throughput = read_throughput(&criterion_home, &vendors, with_latency)?;

    let table = render(&vendors, &instr, &throughput, quick);
    println!("\n{table}");
    let file = out.join("overhead.md");
    std::fs::write(&file, &table).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

/// `--smoke`: what `cargo test -p chatbots-bench --lib --bins --benches`
/// runs (the library's and binaries' tests, each benchmark once), built
/// with `cargo test --workspace`'s selection ([`crate::cargo::WORKSPACE_TESTS`])
/// so that after that command nothing but the benchmark itself is
/// compiled; each test executable is then run as `cargo test` runs it
/// (no arguments, from the package's directory).
fn smoke(root: &Path) -> Result<(), String> {
    let mut args = crate::cargo::WORKSPACE_TESTS.to_vec();
    args.extend(["--lib", "--bins", "--benches"]);
    let artifacts = crate::cargo::artifacts(root, &args)?;
    let package = root.join("crates/bench");
    let mut ran = 0;
    for artifact in artifacts {
        let ours = crate::cargo::is_of(&artifact, root, "crates/bench");
        let Some(executable) = artifact
            .executable
            .filter(|_| ours && artifact.profile.test)
        else {
            continue;
        };
        eprintln!("     Running {} ({executable})", artifact.target.name);
        let status = std::process::Command::new(&executable)
            .current_dir(&package)
            .status()
            .map_err(|e| format!("cannot run {executable}: {e}"))?;
        if !status.success() {
            return Err(format!("{executable} failed ({status})"));
        }
        ran += 1;
    }
    if ran == 0 {
        return Err("bench --smoke: cargo built no test of chatbots-bench".into());
    }
    Ok(())
}

pub(crate) fn cargo(
    root: &Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<(), String> {
    let mut command = crate::cargo::command();
    command.current_dir(root).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
    if !status.success() {
        return Err(format!("cargo {} failed ({status})", args.join(" ")));
    }
    Ok(())
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the
/// workspace root), or `target/`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// The server process, killed when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Instructions per request, `[vendor][way]`.
type Instr = Vec<[f64; 3]>;

/// The vendors the bench has seed data for, in table order
/// (`overhead_count vendors`).
fn benched_vendors(counter: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(counter)
        .arg("vendors")
        .output()
        .map_err(|e| format!("cannot run {} vendors: {e}", counter.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} vendors failed ({})",
            counter.display(),
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn count_instructions(counter: &Path, dir: &Path, vendors: &[String]) -> Result<Instr, String> {
    let valgrind_ok = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !valgrind_ok {
        return Err("valgrind is not installed (apt-get install valgrind)".into());
    }
    let mut child = Command::new(counter)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {} serve: {e}", counter.display()))?;
    let stdout = child.stdout.take();
    let server = ServerProcess(child);
    let mut line = String::new();
    if let Some(stdout) = stdout {
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the server's address: {e}"))?;
    }
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .ok_or_else(|| format!("unexpected first line from the server: `{}`", line.trim()))?
        .to_string();

    let mut all = Vec::new();
    for vendor in vendors {
        let mut row = [0.0; 3];
        for (i, way) in WAYS.iter().enumerate() {
            let small = callgrind_total(counter, dir, &addr, vendor, way, N_SMALL)?;
            let large = callgrind_total(counter, dir, &addr, vendor, way, N_LARGE)?;
            row[i] = large.saturating_sub(small) as f64 / (N_LARGE - N_SMALL) as f64;
            println!(
                "callgrind: {vendor:<12} {way:<7} {:>10.0} instr/req",
                row[i]
            );
        }
        all.push(row);
    }
    drop(server);
    Ok(all)
}

fn callgrind_total(
    counter: &Path,
    dir: &Path,
    addr: &str,
    vendor: &str,
    way: &str,
    n: u64,
) -> Result<u64, String> {
    let file = dir.join(format!("{vendor}-{way}-{n}.out"));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("-q")
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(counter)
        .args(["run", addr, vendor, way, &n.to_string()])
        .status()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    if !status.success() {
        return Err(format!(
            "{vendor} {way} N={n}: overhead_count failed ({status})"
        ));
    }
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no instruction total in {}", file.display()))
}

/// Requests per second, `[vendor][way]`: sequential, at 64 in flight, and
/// at 64 in flight with a vendor's latency.
struct Throughput {
    seq: Vec<[f64; 3]>,
    inflight: Vec<[f64; 3]>,
    latency: WithLatency,
}

/// Requests per second at 64 in flight against a server with latency,
/// `[vendor][way]`, and that latency's range in milliseconds.
struct WithLatency {
    range_ms: (u64, u64),
    rates: Vec<[f64; 3]>,
}

/// `overhead_count rounds` for every vendor.
fn latency_rounds(
    counter: &Path,
    vendors: &[String],
    rounds: usize,
) -> Result<WithLatency, String> {
    let mut range_ms = (0, 0);
    let mut rates = Vec::new();
    for vendor in vendors {
        let output = Command::new(counter)
            .args(["rounds", vendor, &rounds.to_string()])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {} rounds: {e}", counter.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let numbers: Vec<f64> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [min, max, a, b, c] = numbers[..] else {
            return Err(format!(
                "{vendor}: overhead_count rounds ({}) printed `{}`",
                output.status,
                text.trim()
            ));
        };
        println!(
            "64 in flight, {min}-{max} ms latency: {vendor:<12} {a:>6.0} {b:>6.0} {c:>6.0} req/s"
        );
        range_ms = (min as u64, max as u64);
        rates.push([a, b, c]);
    }
    Ok(WithLatency { range_ms, rates })
}

fn read_throughput(
    home: &Path,
    vendors: &[String],
    latency: WithLatency,
) -> Result<Throughput, String> {
    let read = |group: &str, way: &str| -> Result<f64, String> {
        let dir = home.join(group).join(way).join("new");
        let estimates = dir.join("estimates.json");
        let benchmark = dir.join("benchmark.json");
        let json = |p: &Path| -> Result<serde_json::Value, String> {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        };
        let ns = json(&estimates)?
            .pointer("/mean/point_estimate")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| format!("no mean in {}", estimates.display()))?;
        let elements = json(&benchmark)?
            .pointer("/throughput/Elements")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(1.0);
        Ok(elements * 1e9 / ns)
    };
    let mut seq = Vec::new();
    let mut inflight = Vec::new();
    for vendor in vendors {
        let mut s = [0.0; 3];
        let mut f = [0.0; 3];
        for (i, way) in WAYS.iter().enumerate() {
            s[i] = read(&format!("{vendor}-seq"), way)?;
            f[i] = read(&format!("{vendor}-inflight{IN_FLIGHT}"), way)?;
        }
        seq.push(s);
        inflight.push(f);
    }
    Ok(Throughput {
        seq,
        inflight,
        latency,
    })
}

fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

fn render(vendors: &[String], instr: &Instr, tp: &Throughput, quick: bool) -> String {
    let (min, max) = tp.latency.range_ms;
    let latency = format!("{min}–{max} ms latency");
    let mut t = String::new();
    t.push_str(&format!(
        "Request overhead per vendor seed operation: (a) generated client, (b) hand-written \
         reqwest + serde_json, (c) facade `Chatbots::update`. Instructions per client request \
         from callgrind ((N={N_LARGE}) − (N={N_SMALL})) / {}; throughput from criterion{} \
         against a loopback hyper server (client and server one thread each) answering at \
         once, and from `overhead_count rounds` ({} interleaved rounds) against one answering \
         each request after {min} to {max} ms.\n\n",
        N_LARGE - N_SMALL,
        if quick { " (--quick)" } else { "" },
        if quick { QUICK_ROUNDS } else { ROUNDS },
    ));
    t.push_str(&format!(
        "| vendor | instr/req a | b | c | a/b | c/b | seq req/s a | b | c \
         | 64 in flight req/s a | b | c \
         | 64 in flight, {latency}, req/s a | b | c | c/b |\n",
    ));
    t.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    let mut alarms = String::new();
    alarms.push_str(&format!(
        "\n| vendor | a/b instr ≤ {MAX_SDK_OVER_RAW_INSTR:.2} | c/b instr ≤ {MAX_FACADE_OVER_RAW_INSTR:.2} \
         | c ≥ {MIN_FACADE_OVER_RAW_WITH_LATENCY}× b at 64 in flight, {latency} |\n|---|---|---|---|\n"
    ));
    for (v, vendor) in vendors.iter().enumerate() {
        let [ia, ib, ic] = instr[v];
        let [sa, sb, sc] = tp.seq[v];
        let [fa, fb, fc] = tp.inflight[v];
        let [la, lb, lc] = tp.latency.rates[v];
        let (iab, icb, lcb) = (ia / ib, ic / ib, lc / lb);
        t.push_str(&format!(
            "| {vendor} | {ia:.0} | {ib:.0} | {ic:.0} | {iab:.3} | {icb:.3} \
             | {sa:.0} | {sb:.0} | {sc:.0} | {fa:.0} | {fb:.0} | {fc:.0} \
             | {la:.0} | {lb:.0} | {lc:.0} | {lcb:.3} |\n"
        ));
        alarms.push_str(&format!(
            "| {vendor} | {} ({iab:.3}) | {} ({icb:.3}) | {} ({lcb:.3}) |\n",
            mark(iab <= MAX_SDK_OVER_RAW_INSTR),
            mark(icb <= MAX_FACADE_OVER_RAW_INSTR),
            mark(lcb >= MIN_FACADE_OVER_RAW_WITH_LATENCY),
        ));
    }
    t.push_str(&alarms);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_marks_each_alarm() {
        let vendors = ["one".to_string(), "two".to_string()];
        let n = vendors.len();
        // (a)/(b) = 1.05 and (c)/(b) = 1.40 pass; (c) at 0.98× (b) with
        // latency misses.
        let instr = vec![[105_000.0, 100_000.0, 140_000.0]; n];
        let tp = Throughput {
            seq: vec![[1.0, 1.0, 1.0]; n],
            inflight: vec![[2.0, 2.0, 2.0]; n],
            latency: WithLatency {
                range_ms: (10, 30),
                rates: vec![[3_000.0, 3_000.0, 2_940.0]; n],
            },
        };
        let table = render(&vendors, &instr, &tp, true);
        assert!(
            table.contains("| a/b instr ≤ 1.15 | c/b instr ≤ 2.00 | c ≥ 0.99× b at 64 in flight, 10–30 ms latency |"),
            "{table}"
        );
        assert!(
            table.contains("| one | PASS (1.050) | PASS (1.400) | MISS (0.980) |"),
            "{table}"
        );
        let too_many = vec![[116_000.0, 100_000.0, 201_000.0]; n];
        let table = render(&vendors, &too_many, &tp, false);
        assert!(
            table.contains("| two | MISS (1.160) | MISS (2.010) |"),
            "{table}"
        );
    }
}
