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

use std::process::ExitCode;

use chatbots::fleet::Fleet;
use chatbots_bench::memory::{self, Measured};

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
    memory::cases_main("fleet_file", CASES, "parse", run)
}

/// One case: make the text, reset the peak, parse, report.
fn run(case: &str) -> Result<Measured, String> {
    let text = text(case).ok_or_else(|| format!("no case `{case}`"))?;
    let (parsed, seconds, before_kib, peak_kib) =
        memory::measure(|| Fleet::parse(&text, "bench.yaml"))?;
    let outcome = match &parsed {
        Ok(fleet) => format!("{} bots", fleet.bots().len()),
        Err(e) => {
            let first = e.problems[0].to_string();
            let first: String = first.chars().take(70).collect();
            format!("refused: {first}")
        }
    };
    Ok(Measured {
        bytes: text.len(),
        outcome,
        seconds,
        before_kib,
        peak_kib,
    })
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
