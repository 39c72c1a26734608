//! The fleet-file benchmark (issue 19): parse time and peak memory of
//! `Fleet::parse` (structure and the vendors' rules, as `plan` and `apply`
//! run it) for fleets of growing size and for hostile shapes.
//!
//! ```text
//! cargo run --release -p chatbots-bench --bin fleet_file           # every case, a Markdown table
//! cargo run --release -p chatbots-bench --bin fleet_file -- CASE   # one case, one JSON line
//! ```
//!
//! Each case runs in a process of its own (this binary, run again with
//! the case's name), so that one case's freed memory does not hide the
//! next one's peak. The text is made in memory first; the peak resident
//! memory is then reset (Linux: `/proc/self/clear_refs`) and the growth
//! measured over the parse alone (`VmHWM` after − `VmRSS` before).
#![forbid(unsafe_code)]

use std::process::{Command, ExitCode};
use std::time::Instant;

use chatbots::fleet::Fleet;
use serde_json::{Value, json};

/// Every case, by name, with what it is.
const CASES: &[(&str, &str)] = &[
    ("bots-1k", "1,000 bots, a name each, default instructions"),
    ("bots-10k", "10,000 bots"),
    ("bots-100k", "100,000 bots"),
    ("bots-1m", "1,000,000 bots"),
    (
        "laughs",
        "a billion laughs: 9 levels of 10 aliases (10^9 nodes expanded)",
    ),
    (
        "laughs-at-budget",
        "aliases copying just under the budget (2 per byte + 64 Ki)",
    ),
    (
        "anchor-chain",
        "1,000 anchors each nesting the previous one 50 brackets deeper",
    ),
    ("deep", "one list nested 1,000,000 deep"),
    ("long-scalar", "one 32 MiB name"),
    (
        "many-problems",
        "one bot with 1,000,000 unknown fields: a problem each",
    ),
    (
        "wide-vendor",
        "one bot with 1,000,000 vendor keys its vendor lacks",
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => table(),
        [case] => run(case),
        _ => Err("usage: fleet_file [CASE]".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet_file: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every case in its own process and prints the table.
fn table() -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    println!("| case | file | outcome | parse | peak growth | growth / file byte |");
    println!("|---|---:|---|---:|---:|---:|");
    for (name, what) in CASES {
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
            line["parse_s"].as_f64().unwrap_or(0.0),
            size(growth),
            growth / bytes.max(1.0),
        );
    }
    Ok(())
}

fn size(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
    } else if bytes >= 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// One case: make the text, reset the peak, parse, report.
fn run(case: &str) -> Result<(), String> {
    let text = text(case).ok_or_else(|| format!("no case `{case}`"))?;
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("clear_refs: {e}"))?;
    let before = status_kib("VmRSS:").ok_or("no VmRSS")?;
    let started = Instant::now();
    let parsed = Fleet::parse(&text, "bench.yaml");
    let parse_s = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:").ok_or("no VmHWM")?;
    let outcome = match &parsed {
        Ok(fleet) => format!("{} bots", fleet.bots().len()),
        Err(e) => {
            let first = e.problems[0].to_string();
            let first: String = first.chars().take(70).collect();
            format!("refused: {first}")
        }
    };
    let line = json!({
        "case": case,
        "bytes": text.len(),
        "outcome": outcome,
        "parse_s": parse_s,
        "rss_before_kib": before,
        "peak_kib": peak,
        "growth_kib": peak.saturating_sub(before),
    });
    println!("{line}");
    Ok(())
}

/// The fleet file of a case.
fn text(case: &str) -> Option<String> {
    Some(match case {
        "bots-1k" => bots(1_000),
        "bots-10k" => bots(10_000),
        "bots-100k" => bots(100_000),
        "bots-1m" => bots(1_000_000),
        "laughs" => laughs(9, 10),
        "laughs-at-budget" => {
            // Level 4 of width 10 copies about 67 Ki nodes: under the
            // budget of a file padded to 64 KiB (2 × 64 Ki + 64 Ki).
            let mut text = laughs(4, 10);
            text.push_str(&format!("# {}\n", "x".repeat(64 * 1024)));
            text
        }
        "anchor-chain" => {
            let mut text = "bots:\n  converza:1:\n    vendor:\n      q0: &a0 [x]\n".to_string();
            for i in 1..1000 {
                let (open, close) = ("[".repeat(50), "]".repeat(50));
                text.push_str(&format!("      q{i}: &a{i} {open}*a{}{close}\n", i - 1));
            }
            text
        }
        "deep" => format!("bots: {}{}\n", "[".repeat(1 << 20), "]".repeat(1 << 20)),
        "long-scalar" => format!("bots:\n  converza:1:\n    name: {}\n", "y".repeat(32 << 20)),
        "long-words" => {
            let line = "word ".repeat(6);
            let mut text = String::from("bots:\n  converza:1:\n    name:\n");
            for _ in 0..1_000_000 {
                text.push_str("      ");
                text.push_str(&line);
                text.push('\n');
            }
            text
        }
        "long-quoted" => format!(
            "bots:\n  converza:1:\n    name: \"{}\"\n",
            "\\u2028\\t\\\"".repeat((32 << 20) / 10)
        ),
        "many-problems" => {
            let mut text = String::from("bots:\n  converza:1:\n");
            for i in 0..1_000_000 {
                text.push_str(&format!("    f{i}: x\n"));
            }
            text
        }
        "wide-vendor" => {
            let mut text = String::from("bots:\n  converza:1:\n    vendor:\n");
            for i in 0..1_000_000 {
                text.push_str(&format!("      k{i}: 1\n"));
            }
            text
        }
        _ => return None,
    })
}

/// `n` Converza bots, each with a name (and every one the default
/// instructions): about 49 bytes a bot, so that a million fit under the
/// size limit.
fn bots(n: usize) -> String {
    let mut text = String::from("defaults:\n  instructions: Answer briefly.\nbots:\n");
    for i in 0..n {
        text.push_str(&format!("  converza:bot-{i:07}:\n    name: Support {i}\n"));
    }
    text
}

/// `levels` of anchors, each a list of `width` aliases of the one before.
fn laughs(levels: usize, width: usize) -> String {
    let mut text = "bots:\n  converza:1:\n    vendor:\n      questions: &l0 [lol]\n".to_string();
    for i in 1..=levels {
        let refs = vec![format!("*l{}", i - 1); width].join(", ");
        text.push_str(&format!("      q{i}: &l{i} [{refs}]\n"));
    }
    text
}

/// A line of `/proc/self/status` in KiB (Linux).
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
