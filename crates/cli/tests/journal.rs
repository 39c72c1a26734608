//! The CLI's safety net (#22) on a real sandbox: every apply journaled,
//! `undo`, `history`, a killed apply found and finished with `--resume`,
//! one apply per journal directory, and the read-back.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chatbots_sandbox::{Fault, FaultRule, Vendor};
use common::*;
use serde_json::Value;

const NAME: &str = "undo-walkthrough";
const HOTTASK_BOT: &str = "hottask:3254a9d0424c4806b9ea3d0763ccfxxx";

/// Every OKChat bot of the sandbox, in a fleet file that gives each
/// `greeting`.
fn okchat_fleet(harness: &Harness, greeting: &str) -> PathBuf {
    let exported = harness.path("exported.yaml");
    let output =
        run(&mut harness.chatbots(&["export", "okchat", "-o", exported.to_str().unwrap()]));
    assert!(output.status.success(), "{}", show(&output));
    let fleet: String = std::fs::read_to_string(&exported)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("greeting:"))
        .flat_map(|l| {
            let mut lines = vec![l.to_string()];
            if l.starts_with("  okchat:") {
                lines.push(format!("    greeting: {greeting}"));
            }
            lines
        })
        .map(|l| l + "\n")
        .collect();
    harness.write("fleet.yaml", &fleet)
}

/// The greeting `bot` has now.
fn greeting(harness: &Harness, bot: &str) -> Value {
    let output = run(&mut harness.chatbots(&["--json", "get", bot]));
    assert!(output.status.success(), "{}", show(&output));
    json_lines(&output)[0]["fields"]["greeting"].clone()
}

/// `chatbots history --json`: the journals, newest first.
fn history(harness: &Harness) -> Vec<Value> {
    let output = run(&mut harness.chatbots(&["--json", "history"]));
    assert!(output.status.success(), "{}", show(&output));
    let mut lines = json_lines(&output);
    lines.pop();
    lines
}

/// The binary under test, started in the background in the scratch
/// directory (stdin closed, no colour, no outside configuration).
fn spawn(harness: &Harness, args: &[&str]) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_chatbots"))
        .env_clear()
        .env("XDG_CONFIG_HOME", no_config_home())
        .env("HOME", no_config_home())
        .current_dir(harness.dir.path())
        .arg("--sandbox")
        .arg(harness.url())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// Waits until `ready` holds, at most a minute.
fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The journals in `dir`.
fn journals(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
                .collect()
        })
        .unwrap_or_default()
}

/// The outcome lines the journals in `dir` hold.
fn outcomes(dir: &Path) -> usize {
    journals(dir)
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .matches("\"kind\":\"outcome\"")
                .count()
        })
        .sum()
}

/// The README's "Undo, history and interrupted applies" walk-through, as
/// written, and what it says `history` shows after it.
#[test]
fn the_readme_undo_walkthrough_runs_as_written_and_history_shows_the_apply_undone() {
    let harness = Harness::start();
    let commands = walkthrough(NAME);
    let setup = "cargo run -p chatbots-sandbox -- --port 8080";
    assert!(commands.iter().any(|c| c == setup), "{commands:#?}");
    let script: Vec<String> = commands
        .iter()
        .filter(|c| *c != setup)
        .map(|c| c.replace(README_SANDBOX, &harness.url()))
        .collect();
    for step in [
        "chatbots apply fleet.yaml --yes",
        "chatbots history",
        "chatbots undo --yes",
    ] {
        assert!(script.iter().any(|c| c == step), "`{step}`: {script:#?}");
    }
    let before = greeting(&harness, OKCHAT_BOT);
    let output = run_in_shell(&harness, &script);
    assert!(output.status.success(), "{}", show(&output));
    let printed: Vec<String> = text(&output.stdout).lines().map(comparable).collect();
    for shown in walkthrough_output(NAME) {
        let shown = comparable(&shown);
        assert!(
            printed.contains(&shown),
            "the README shows `{shown}`:\n{}",
            show(&output)
        );
    }
    // Undone: the bot has its greeting of before.
    assert_eq!(greeting(&harness, OKCHAT_BOT), before);
    let journals = history(&harness);
    assert_eq!(journals.len(), 2, "{journals:#?}");
    // Newest first: the undo, then the apply it undid.
    assert_eq!(journals[1]["file"], "fleet.yaml");
    assert_eq!(journals[1]["state"], "undone");
    assert_eq!(journals[0]["state"], "done");
    assert!(
        journals[0]["file"]
            .as_str()
            .unwrap()
            .ends_with(".undo.json")
    );
    assert_eq!(journals[0]["changed"], journals[1]["changed"]);
}

#[test]
fn apply_prints_its_journal_and_undo_plan_and_json_names_them() {
    let harness = Harness::start();
    let fleet = okchat_fleet(&harness, "Journaled!");
    let dir = harness.path("journals");
    let output = run(harness
        .chatbots(&["--json", "apply", fleet.to_str().unwrap(), "--yes"])
        .env("CHATBOTS_JOURNAL_DIR", &dir));
    assert!(output.status.success(), "{}", show(&output));
    let lines = json_lines(&output);
    let summary = lines.last().unwrap();
    let journal = summary["journal"].as_str().expect("journal");
    let undo = summary["undo"].as_str().expect("undo");
    assert!(Path::new(journal).starts_with(&dir), "{journal}");
    assert!(Path::new(undo).exists(), "{undo}");
    assert_eq!(summary["journal_problem"], Value::Null);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["not_kept"] == Value::Array(vec![]))
    );
    // `--journal-dir` beats the variable; the default is `.chatbots`.
    let output = run(&mut harness.chatbots(&["history", "--journal-dir", dir.to_str().unwrap()]));
    assert!(text(&output.stdout).contains(journal), "{}", show(&output));
    let output = run(&mut harness.chatbots(&["history"]));
    assert!(
        text(&output.stdout).contains("No journal in .chatbots."),
        "{}",
        show(&output)
    );
}

#[test]
fn fields_an_undo_cannot_set_back_are_named_before_anything_is_sent() {
    let harness = Harness::start();
    let fleet = harness.write(
        "fleet.yaml",
        &format!("bots:\n  {HOTTASK_BOT}:\n    greeting: Hi\n"),
    );
    let output = run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes"]));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("1 field(s) cannot be undone")
            && stderr.contains(&format!("{HOTTASK_BOT} greeting")),
        "{}",
        show(&output)
    );
}

#[test]
fn undo_is_refused_whole_naming_a_bot_changed_since() {
    let harness = Harness::start();
    let fleet = okchat_fleet(&harness, "Fleet greeting");
    let output = run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes"]));
    assert!(output.status.success(), "{}", show(&output));
    let output = run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--greeting", "By hand"]));
    assert!(output.status.success(), "{}", show(&output));

    let output = run(&mut harness.chatbots(&["undo", "--yes"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("stale") && stderr.contains(&format!("{OKCHAT_BOT}: greeting")),
        "{}",
        show(&output)
    );
    // Nothing sent: every other bot keeps the fleet's greeting, and no
    // journal was added.
    assert_eq!(greeting(&harness, OKCHAT_BOT), "By hand");
    let other = "okchat:7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37";
    assert_eq!(greeting(&harness, other), "Fleet greeting");
    assert_eq!(history(&harness).len(), 1);
    // The bot set back by hand, the undo goes through; a second `undo`
    // takes the latest apply not undone yet: the undo itself (a redo).
    run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--greeting", "Fleet greeting"]));
    let output = run(&mut harness.chatbots(&["undo", "--yes"]));
    assert!(output.status.success(), "{}", show(&output));
    assert_ne!(greeting(&harness, other), "Fleet greeting");
    let output = run(&mut harness.chatbots(&["undo", "--yes"]));
    assert!(output.status.success(), "{}", show(&output));
    assert_eq!(greeting(&harness, other), "Fleet greeting");
    let journals = history(&harness);
    let states: Vec<&str> = journals
        .iter()
        .map(|j| j["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "undone", "undone"]);
    // Without a terminal, `undo` needs --yes, like `apply`.
    let output = run(&mut harness.chatbots(&["undo"]));
    assert!(
        text(&output.stderr).contains("pass --yes"),
        "{}",
        show(&output)
    );
}

#[test]
fn a_killed_apply_is_warned_about_and_resume_finishes_it() {
    let harness = Harness::with_bots(20);
    let fleet = okchat_fleet(&harness, "Resumed greeting");
    // Each update takes a while: the apply is killed half way.
    harness.sandbox.faults().inject(
        FaultRule::new(Fault::Latency(Duration::from_millis(150)))
            .vendor(Vendor::OkChat)
            .method("PATCH"),
    );
    let dir = harness.path(".chatbots");
    let mut child = spawn(
        &harness,
        &[
            "apply",
            fleet.to_str().unwrap(),
            "--yes",
            "--concurrency",
            "1",
        ],
    );
    wait_for("5 updates", || outcomes(&dir) >= 5);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    harness.sandbox.faults().clear();
    let stopped = journals(&dir);
    assert_eq!(stopped.len(), 1);
    let name = stopped[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();

    let output = run(&mut harness.chatbots(&["plan", fleet.to_str().unwrap()]));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("an apply was stopped before it ended")
            && stderr.contains(&name)
            && stderr.contains("chatbots apply --resume"),
        "{}",
        show(&output)
    );

    let output = run(&mut harness.chatbots(&["apply", "--resume", "--yes"]));
    assert!(output.status.success(), "{}", show(&output));
    let output =
        run(&mut harness.chatbots(&["plan", fleet.to_str().unwrap(), "--detailed-exitcode"]));
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert!(
        !text(&output.stderr).contains("stopped"),
        "{}",
        show(&output)
    );
    let journals = history(&harness);
    assert_eq!(journals.len(), 2, "{journals:#?}");
    assert_eq!(journals[1]["state"], "resumed");
    // Nothing left to resume.
    let output = run(&mut harness.chatbots(&["apply", "--resume", "--yes"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        text(&output.stderr).contains("nothing to resume"),
        "{}",
        show(&output)
    );
}

#[test]
fn a_second_apply_on_one_journal_directory_is_refused_naming_the_first() {
    let harness = Harness::start();
    let fleet = okchat_fleet(&harness, "Locked greeting");
    // The first apply hangs on its first update.
    harness.sandbox.faults().inject(
        FaultRule::new(Fault::Latency(Duration::from_secs(30)))
            .vendor(Vendor::OkChat)
            .method("PATCH"),
    );
    let dir = harness.path(".chatbots");
    let mut first = spawn(&harness, &["apply", fleet.to_str().unwrap(), "--yes"]);
    wait_for("the first apply's journal", || !journals(&dir).is_empty());
    let output = run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes"]));
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("pid {}", first.id())),
        "{}",
        show(&output)
    );
}

#[test]
fn a_field_the_vendor_did_not_keep_is_named_and_exits_1() {
    let harness = Harness::start();
    let fleet = harness.write(
        "fleet.yaml",
        &format!("bots:\n  {OKCHAT_BOT}:\n    greeting: Kept?\n    name: Renamed\n"),
    );
    harness
        .sandbox
        .faults()
        .inject(FaultRule::new(Fault::DropField("name".into())).vendor(Vendor::OkChat));
    let output = run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        text(&output.stdout).contains(&format!("! {OKCHAT_BOT}: name not kept: sent \"Renamed\"")),
        "{}",
        show(&output)
    );
    // --json: the bot's line says it.
    let output = run(&mut harness.chatbots(&["--json", "apply", fleet.to_str().unwrap(), "--yes"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let lines = json_lines(&output);
    let bot = lines.iter().find(|l| l["bot"] == OKCHAT_BOT).unwrap();
    assert_eq!(bot["not_kept"][0]["field"], "name", "{bot}");
    assert_eq!(bot["not_kept"][0]["sent"], "Renamed", "{bot}");
    assert_eq!(lines.last().unwrap()["not_kept"], 1);
    // --no-verify: not read back.
    let output =
        run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes", "--no-verify"]));
    assert!(output.status.success(), "{}", show(&output));
}

#[test]
fn history_lists_an_unreadable_journal_with_its_error_and_the_others() {
    let harness = Harness::start();
    let fleet = okchat_fleet(&harness, "History greeting");
    let output = run(&mut harness.chatbots(&["apply", fleet.to_str().unwrap(), "--yes"]));
    assert!(output.status.success(), "{}", show(&output));
    harness.write(
        ".chatbots/29991231T000000Z-0-1.journal.jsonl",
        "not json\u{1b}[31m\n",
    );
    let output = run(&mut harness.chatbots(&["history"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        text(&output.stdout).contains("fleet.yaml"),
        "{}",
        show(&output)
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("29991231T000000Z-0-1.journal.jsonl:1"),
        "{}",
        show(&output)
    );
    assert!(!stderr.contains('\u{1b}'), "{}", show(&output));
    let output = run(&mut harness.chatbots(&["--json", "history"]));
    let lines = json_lines(&output);
    assert!(lines[0]["error"].is_string(), "{lines:#?}");
    assert!(
        lines[1]["file"].as_str().unwrap().ends_with("fleet.yaml"),
        "{lines:#?}"
    );
}

#[test]
fn a_stopped_apply_from_a_hostile_journal_is_warned_about_on_one_escaped_line() {
    let harness = Harness::start();
    let fleet = okchat_fleet(&harness, "Hostile");
    let header = serde_json::json!({
        "kind": "header", "format": 1, "started": "2026-01-01T00:00:00Z",
        "host": "evil\nwarning: forged\u{1b}[2J", "user": "u", "pid": 7, "version": "0",
        "source": {"path": "fleet.yaml", "sha256": "00"},
    });
    let intent = serde_json::json!({"kind": "intent", "bot": OKCHAT_BOT, "fields": []});
    std::fs::create_dir(harness.path(".chatbots")).unwrap();
    harness.write(
        ".chatbots/20260101T000000Z-0-7.journal.jsonl",
        &format!("{header}\n{intent}\n"),
    );
    let output = run(&mut harness.chatbots(&["plan", fleet.to_str().unwrap()]));
    let stderr = text(&output.stderr);
    assert!(!stderr.contains('\u{1b}'), "{}", show(&output));
    let warning = stderr
        .lines()
        .find(|l| l.contains("20260101T000000Z-0-7.journal.jsonl"))
        .unwrap_or_else(|| panic!("{}", show(&output)));
    assert!(
        warning.contains("evil") && warning.contains("forged") && warning.contains(OKCHAT_BOT),
        "{}",
        show(&output)
    );
}
