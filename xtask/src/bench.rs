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
//!    measurement).
//! 4. Prints one table with the targets marked PASS/MISS, and
//!    writes it to `target/bench/overhead.md`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const VENDORS: [&str; 5] = ["streamskill", "converza", "okchat", "puretalk", "hottask"];
const WAYS: [&str; 3] = ["sdk", "raw", "facade"];
const N_SMALL: u64 = 200;
const N_LARGE: u64 = 1200;
const IN_FLIGHT: usize = 64;

/// Targets from the issue.
const MAX_SDK_OVER_RAW_INSTR: f64 = 1.05;
const MIN_SDK_OVER_RAW_THROUGHPUT: f64 = 0.95;
const MAX_FACADE_OVER_SDK_INSTR: f64 = 1.03;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            other => return Err(format!("bench: unknown argument `{other}` (only --quick)")),
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
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
    let instr = count_instructions(&counter, &callgrind)?;

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
    let throughput = read_throughput(&criterion_home)?;

    let table = render(&instr, &throughput, quick);
    println!("\n{table}");
    let file = out.join("overhead.md");
    std::fs::write(&file, &table).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

pub(crate) fn cargo(
    root: &Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
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

fn count_instructions(counter: &Path, dir: &Path) -> Result<Instr, String> {
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
    for vendor in VENDORS {
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

/// Requests per second, `[vendor][way]`, sequential and at 64 in flight.
struct Throughput {
    seq: Vec<[f64; 3]>,
    inflight: Vec<[f64; 3]>,
}

fn read_throughput(home: &Path) -> Result<Throughput, String> {
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
    for vendor in VENDORS {
        let mut s = [0.0; 3];
        let mut f = [0.0; 3];
        for (i, way) in WAYS.iter().enumerate() {
            s[i] = read(&format!("{vendor}-seq"), way)?;
            f[i] = read(&format!("{vendor}-inflight{IN_FLIGHT}"), way)?;
        }
        seq.push(s);
        inflight.push(f);
    }
    Ok(Throughput { seq, inflight })
}

fn mark(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

fn render(instr: &Instr, tp: &Throughput, quick: bool) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "Request overhead per vendor seed operation: (a) generated client, (b) hand-written \
         reqwest + serde_json, (c) facade `Chatbots::update`. Instructions per client request \
         from callgrind ((N={N_LARGE}) − (N={N_SMALL})) / {}; throughput from criterion{} \
         against a loopback hyper server (client and server one thread each).\n\n",
        N_LARGE - N_SMALL,
        if quick { " (--quick)" } else { "" }
    ));
    t.push_str(
        "| vendor | instr/req a | b | c | a/b | c/a | seq req/s a | b | c | a/b \
         | 64 in flight req/s a | b | c | a/b |\n",
    );
    t.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    let mut targets = String::new();
    targets.push_str(&format!(
        "\n| vendor | a/b instr ≤ {MAX_SDK_OVER_RAW_INSTR} | a ≥ {MIN_SDK_OVER_RAW_THROUGHPUT}× b at 64 in flight | c/a instr ≤ {MAX_FACADE_OVER_SDK_INSTR} |\n|---|---|---|---|\n"
    ));
    for (v, vendor) in VENDORS.iter().enumerate() {
        let [ia, ib, ic] = instr[v];
        let [sa, sb, sc] = tp.seq[v];
        let [fa, fb, fc] = tp.inflight[v];
        let (iab, ica, sab, fab) = (ia / ib, ic / ia, sa / sb, fa / fb);
        t.push_str(&format!(
            "| {vendor} | {ia:.0} | {ib:.0} | {ic:.0} | {iab:.3} | {ica:.3} \
             | {sa:.0} | {sb:.0} | {sc:.0} | {sab:.3} | {fa:.0} | {fb:.0} | {fc:.0} | {fab:.3} |\n"
        ));
        targets.push_str(&format!(
            "| {vendor} | {} ({iab:.3}) | {} ({fab:.3}) | {} ({ica:.3}) |\n",
            mark(iab <= MAX_SDK_OVER_RAW_INSTR),
            mark(fab >= MIN_SDK_OVER_RAW_THROUGHPUT),
            mark(ica <= MAX_FACADE_OVER_SDK_INSTR),
        ));
    }
    t.push_str(&targets);
    t
}
