//! Time and peak memory of one piece of work, each case in a process of
//! its own: the harness of the `fleet_file` and `plan_file` benchmarks.
//!
//! Run without arguments, a benchmark binary runs itself again once per
//! case (so that one case's freed memory cannot hide the next one's peak)
//! and prints a Markdown table; run with a case's name, it does that case
//! and prints one JSON line. The input is made first; the peak resident
//! memory is then reset (Linux: `/proc/self/clear_refs`) and the growth
//! measured over the work alone (`VmHWM` after − `VmRSS` before).

use std::process::{Command, ExitCode};
use std::time::Instant;

use serde_json::{Value, json};

/// What one case measured.
pub struct Measured {
    /// Bytes of input the work was given.
    pub bytes: usize,
    /// What came of it, in a few words (`1000 bots`, `refused: …`).
    pub outcome: String,
    /// Wall time of the work alone.
    pub seconds: f64,
    /// Resident memory before the work, KiB.
    pub before_kib: u64,
    /// Peak resident memory during it, KiB.
    pub peak_kib: u64,
}

/// Runs `work` with the peak resident memory reset first; returns its
/// result, the seconds it took, and the memory before and at the peak (KiB).
pub fn measure<T>(work: impl FnOnce() -> T) -> Result<(T, f64, u64, u64), String> {
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("clear_refs: {e}"))?;
    let before = status_kib("VmRSS:").ok_or("no VmRSS")?;
    let started = Instant::now();
    let result = work();
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:").ok_or("no VmHWM")?;
    Ok((result, seconds, before, peak))
}

/// A line of `/proc/self/status` in KiB (Linux).
pub fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `main` of a benchmark binary named `bin`: with no argument, every
/// case of `cases` (name, what it is) in a process of its own and a table
/// whose time column is headed `work`; with a case's name, `run` on it
/// and one JSON line.
pub fn cases_main(
    bin: &str,
    cases: &[(&str, &str)],
    work: &str,
    run: impl Fn(&str) -> Result<Measured, String>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => table(cases, work),
        [case] => run(case).map(|m| {
            let line = json!({
                "case": case,
                "bytes": m.bytes,
                "outcome": m.outcome,
                "seconds": m.seconds,
                "rss_before_kib": m.before_kib,
                "peak_kib": m.peak_kib,
                "growth_kib": m.peak_kib.saturating_sub(m.before_kib),
            });
            println!("{line}");
        }),
        _ => Err(format!("usage: {bin} [CASE]")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{bin}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every case in its own process and prints the table.
fn table(cases: &[(&str, &str)], work: &str) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    println!("| case | file | outcome | {work} | peak growth | growth / file byte |");
    println!("|---|---:|---|---:|---:|---:|");
    for (name, what) in cases {
        let out = Command::new(&me)
            .arg(name)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "{name}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let line: Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("{name}: {e}"))?;
        let bytes = line["bytes"].as_f64().unwrap_or(0.0);
        let growth = line["growth_kib"].as_f64().unwrap_or(0.0) * 1024.0;
        println!(
            "| `{name}`: {what} | {} | {} | {:.3} s | {} | {:.1} |",
            size(bytes),
            line["outcome"].as_str().unwrap_or("?"),
            line["seconds"].as_f64().unwrap_or(0.0),
            size(growth),
            growth / bytes.max(1.0),
        );
    }
    Ok(())
}

/// Bytes as B, KiB or MiB.
fn size(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
    } else if bytes >= 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes} B")
    }
}
