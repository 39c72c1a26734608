//! The plan-file benchmark (issue 19, item 8): time and peak memory of
//! reading a saved plan back (`Plan::from_json`: parse, snapshot rule,
//! digest), for plans of growing size and for hostile shapes.
//!
//! ```text
//! cargo run --release -p chatbots-bench --bin plan_file           # every case, a Markdown table
//! cargo run --release -p chatbots-bench --bin plan_file -- CASE   # one case, one JSON line
//! ```
//!
//! Each case runs in a process of its own (this binary, run again with
//! the case's name), so that one case's freed memory does not hide the
//! next one's peak. The text is made in memory first (from a plan made by
//! `Chatbots::plan`, without network: HotTask cannot read); the peak
//! resident memory is then reset (Linux: `/proc/self/clear_refs`) and the
//! growth measured over the read alone (`VmHWM` after − `VmRSS` before).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use chatbots::fleet::{Change, FieldPlan, Fleet, FleetBot, MAX_FILE_BYTES, Plan, PlanOptions};
use chatbots::{BotRef, ChatbotPatch, Chatbots, Vendor};
use chatbots_bench::memory::{self, Measured};
use serde_json::{Map, Value, json};

/// Every case, by name, with what it is.
const CASES: &[(&str, &str)] = &[
    ("bots-1k", "1,000 bots, 2 fields and a snapshot each"),
    ("bots-10k", "10,000 bots"),
    ("bots-100k", "100,000 bots"),
    ("many-fields", "one bot with 300,000 fields"),
    ("long-string", "one bot whose name is 60 MiB"),
    ("deep", "a snapshot nested 30,000,000 deep"),
    (
        "over-cap",
        "a file of MAX_FILE_BYTES + 1 (`Plan::load`, sparse file)",
    ),
    ("endless", "`/dev/zero`: no size, no end (`Plan::load`)"),
];

fn main() -> ExitCode {
    memory::cases_main("plan_file", CASES, "read", run)
}

/// One case: make the text, reset the peak, read it, report.
fn run(case: &str) -> Result<Measured, String> {
    let path = std::env::temp_dir().join(format!("plan-file-bench-{}.json", std::process::id()));
    let (bytes, text) = if case == "over-cap" {
        let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        file.set_len(MAX_FILE_BYTES as u64 + 1)
            .map_err(|e| e.to_string())?;
        (MAX_FILE_BYTES + 1, None)
    } else if case == "endless" {
        // What is read of it before it is refused.
        (MAX_FILE_BYTES + 1, None)
    } else {
        let text = text(case)?;
        (text.len(), Some(text))
    };
    let (read, seconds, before_kib, peak_kib) = memory::measure(|| match &text {
        Some(text) => Plan::from_json(text, "bench.json"),
        None if case == "endless" => Plan::load("/dev/zero"),
        None => Plan::load(&path),
    })?;
    if case == "over-cap" {
        std::fs::remove_file(&path).map_err(|e| e.to_string())?;
    }
    let outcome = match &read {
        Ok(plan) => format!("{} bots", plan.bots.len()),
        Err(e) => {
            let first = e.problems[0].rule.clone();
            let first: String = first.chars().take(70).collect();
            format!("refused: {first}")
        }
    };
    Ok(Measured {
        bytes,
        outcome,
        seconds,
        before_kib,
        peak_kib,
    })
}

/// The plan file of a case.
fn text(case: &str) -> Result<String, String> {
    let mut plan = one_bot_plan()?;
    let template = plan.bots[0].clone();
    match case {
        "bots-1k" | "bots-10k" | "bots-100k" => {
            let n = match case {
                "bots-1k" => 1_000,
                "bots-10k" => 10_000,
                _ => 100_000,
            };
            plan.bots = (0..n)
                .map(|i| {
                    let mut bot = template.clone();
                    bot.bot = BotRef::new(Vendor::HotTask, format!("serial-{i:07}"));
                    bot.line = i + 2;
                    bot.current = Some(json!({
                        "name": format!("Support {i}"),
                        "greeting": "Hello! How can I help you today?",
                    }));
                    bot
                })
                .collect();
        }
        "many-fields" => {
            plan.bots[0].fields = (0..300_000)
                .map(|i| FieldPlan {
                    field: format!("vendor.key_{i}"),
                    change: Change::Unknown {
                        new: json!(f64::from(i) / 7.0),
                    },
                })
                .collect();
        }
        "long-string" => {
            plan.bots[0].fields = vec![FieldPlan {
                field: "name".into(),
                change: Change::Unknown {
                    new: Value::String("y".repeat(60 << 20)),
                },
            }];
        }
        "deep" => {
            let depth = 30_000_000;
            return Ok(format!(
                r#"{{"format":1,"origin":"f","digest":"x","bots":[{{"bot":"hottask:1","line":1,"fields":[],"current":{}{}}}]}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ));
        }
        _ => return Err(format!("no case `{case}`")),
    }
    serde_json::to_string(&plan).map_err(|e| e.to_string())
}

/// A plan of one HotTask bot, made by `Chatbots::plan` (nothing is sent:
/// HotTask cannot read).
fn one_bot_plan() -> Result<Plan, String> {
    let bots = Chatbots::builder()
        .hottask_api_key("bench")
        .build()
        .map_err(|e| e.to_string())?;
    let fleet = Fleet::from_bots(
        "bench.yaml",
        vec![FleetBot::new(
            BotRef::new(Vendor::HotTask, "serial-0"),
            ChatbotPatch::new().name("Support"),
            Map::new(),
        )],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    runtime
        .block_on(bots.plan(&fleet, &PlanOptions::new()))
        .map_err(|e| e.to_string())
}
