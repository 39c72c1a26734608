//! The safety net around `apply` (#22), on the facade's journal
//! (`chatbots::fleet::journal`): `undo`, `apply --resume`, `history`, the
//! warning about stopped applies, and what an apply says about its journal
//! and its read-back.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chatbots::Chatbots;
use chatbots::fleet::journal::{self, JournalSource, JournalSummary};
use chatbots::fleet::{ApplyReport, NotKept, Plan, irreversible, read_limited};
use chatbots::printable::one_line;
use serde_json::{Value, json};

use crate::args::RunOptions;
use crate::fleet::{self, Run};
use crate::output::{self, Failure, Output, Painted};

/// How many bots a warning names before it says how many more: a
/// journal of thousands of bots stays a few lines.
const NAMED: usize = 10;

/// The widest value a read-back line shows (the whole one is in `--json`
/// and in the journal).
const VALUE_WIDTH: usize = 60;

/// `file` as the journal's header names it: its path as given and the
/// SHA-256 of its content.
pub fn source(file: &Path) -> Result<JournalSource, Failure> {
    let bytes = read_limited(file)
        .map_err(|e| Failure::message(format!("{}: cannot be read: {e}", file.display())))?;
    Ok(JournalSource::new(
        file.display().to_string(),
        bytes.as_bytes(),
    ))
}

/// At most [`NAMED`] of `items`, comma-separated, then how many more.
fn some_of(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let mut named: Vec<String> = items.take(NAMED).collect();
    if total > NAMED {
        named.push(format!("and {} more", total - NAMED));
    }
    named.join(", ")
}

/// Warns on stderr about each journal in `dir` without its closing line:
/// an apply that was stopped (killed, its machine lost), and the bots it
/// left in a state nobody knows.
pub fn warn_unfinished(dir: &Path, out: Output) {
    let stopped = match journal::unfinished(dir) {
        Ok(stopped) => stopped,
        Err(e) => {
            out.note(format!("warning: {e}"));
            return;
        }
    };
    for journal in stopped {
        let unknown = if journal.not_done.is_empty() {
            "no bot left unknown".to_string()
        } else {
            format!(
                "{} bot(s) left unknown: {}",
                journal.not_done.len(),
                some_of(journal.not_done.iter().map(ToString::to_string))
            )
        };
        out.note(format!(
            "warning: an apply was stopped before it ended: {} (started {} on {}, pid {}); \
             {unknown}. `chatbots apply --resume {}` finishes it.",
            journal.path.display(),
            // From a file anyone may have written: kept on this line.
            one_line(&journal.started),
            one_line(&journal.host),
            journal.pid,
            journal.path.display(),
        ));
    }
}

/// Says on stderr, before anything is confirmed or sent, which fields
/// `plan` changes that no undo can set back.
pub fn warn_irreversible(plan: &Plan, out: Output) {
    let fields = irreversible(plan);
    if fields.is_empty() {
        return;
    }
    out.note(format!(
        "warning: {} field(s) cannot be undone (the vendor cannot read their old value): {}",
        fields.len(),
        some_of(fields.iter().map(|(bot, field)| format!("{bot} {field}")))
    ));
}

/// The read-back's findings of one bot, for its `--json` line.
pub fn not_kept_json(not_kept: &[NotKept]) -> Value {
    not_kept
        .iter()
        .map(|n| json!({"field": n.field, "sent": n.sent, "now": n.now}))
        .collect()
}

/// Each field the read-back found other than sent, one line each, and
/// what that means. (With `--json`, each bot's line holds them.)
pub fn show_not_kept(report: &ApplyReport, out: Output) {
    if out.json() || report.not_kept() == 0 {
        return;
    }
    let style = anstyle::AnsiColor::Red.on_default();
    for outcome in &report.outcomes {
        for n in &outcome.not_kept {
            let text = format!(
                "! {}: {} not kept: sent {}, now {}",
                outcome.bot,
                n.field,
                output::cell(&n.sent.to_string(), VALUE_WIDTH),
                output::cell(&n.now.to_string(), VALUE_WIDTH),
            );
            out.painted(Painted::new().line(style, &text));
        }
    }
    out.note(format!(
        "error: {} bot(s) do not hold what was sent, read back after the update \
         (the vendor did not keep it, or someone changed it meanwhile)",
        report.not_kept()
    ));
}

/// Where the journal and the undo plan of an apply are.
pub fn show_journal(report: &ApplyReport, out: Output) {
    let Some(journal) = &report.journal else {
        return;
    };
    out.text(format!("Journal: {}", journal.path.display()));
    if let Some(undo) = &journal.undo {
        out.text(format!(
            "Undo plan: {} (`chatbots undo` sets back what changed)",
            undo.display()
        ));
    }
    if let Some(problem) = &journal.problem {
        out.note(format!("warning: the journal is incomplete: {problem}"));
    }
}

/// `<stem>.<suffix>` beside the journal `<stem>.journal.jsonl`, where the
/// facade writes an apply's plan (`plan.json`) and undo plan
/// (`undo.json`).
fn beside(journal: &Path, suffix: &str) -> PathBuf {
    match suffix {
        "plan.json" => chatbots::fleet::journal::plan_path(journal),
        _ => chatbots::fleet::journal::undo_path(journal),
    }
}

/// A plan file the facade wrote beside a journal, with its source.
fn load_plan(path: &Path) -> Result<(Plan, JournalSource), Failure> {
    let plan = Plan::load(path).map_err(|e| Failure::message(e.to_string()))?;
    Ok((plan, source(path)?))
}

/// `chatbots undo [JOURNAL]`.
pub async fn undo(
    bots: &Chatbots,
    journal: Option<&Path>,
    dir: &Path,
    options: &RunOptions,
    out: Output,
) -> Result<ExitCode, Failure> {
    let summary = match journal {
        Some(path) => JournalSummary::read(path)?,
        None => {
            let journals: Vec<JournalSummary> = journal::history(dir)?
                .into_iter()
                .filter_map(Result::ok)
                .collect();
            let applied = sources(journals.iter());
            // Newest first; one undone already would be refused as stale.
            let latest = journals
                .iter()
                .find(|j| j.undo.is_some() && state(j, &applied) != "undone");
            latest.cloned().ok_or_else(|| {
                Failure::message(format!(
                    "no journal in {} has an undo plan not applied yet: nothing to undo",
                    dir.display()
                ))
            })?
        }
    };
    let Some(undo) = summary.undo.as_ref().and_then(|u| u.file_name()) else {
        return Err(Failure::message(format!(
            "{}: that apply changed nothing (or did not end): it has no undo plan",
            summary.path.display()
        )));
    };
    // Beside its journal, wherever the apply ran from.
    let undo = summary.path.with_file_name(undo);
    let (plan, source) = load_plan(&undo)?;
    let run = Run {
        options,
        journal_dir: dir,
        source,
    };
    fleet::send(bots, &plan, &run, None, out).await
}

/// `chatbots apply --resume [JOURNAL]`.
pub async fn resume(
    bots: &Chatbots,
    journal: Option<&Path>,
    dir: &Path,
    options: &RunOptions,
    out: Output,
) -> Result<ExitCode, Failure> {
    let journal = match journal {
        Some(path) => path.to_path_buf(),
        // Oldest first: the latest is last.
        None => journal::unfinished(dir)?
            .pop()
            .map(|j| j.path)
            .ok_or_else(|| {
                Failure::message(format!(
                    "no apply in {} was stopped: nothing to resume",
                    dir.display()
                ))
            })?,
    };
    if JournalSummary::read(&journal)?.closed {
        return Err(Failure::message(format!(
            "{}: that apply ended; there is nothing to resume",
            journal.display()
        )));
    }
    let (plan, source) = load_plan(&beside(&journal, "plan.json"))?;
    // What is left, shown and confirmed; applying it re-reads the bots,
    // so that a change in between is refused too.
    let rest = bots
        .resume_plan(&plan)
        .await
        .map_err(fleet::apply_failure)?;
    let run = Run {
        options,
        journal_dir: dir,
        source,
    };
    fleet::send(bots, &rest, &run, Some(&journal), out).await
}

/// The file name of a path as written in a journal, for matching one
/// journal's source with another's undo or saved plan wherever each ran.
fn file_name(path: &str) -> Option<&str> {
    Path::new(path).file_name().and_then(|n| n.to_str())
}

/// The file names of what `journals` applied: an undo plan or a saved
/// plan there is one another journal applied.
fn sources<'a>(journals: impl Iterator<Item = &'a JournalSummary>) -> HashSet<&'a str> {
    journals.filter_map(|j| file_name(&j.source.path)).collect()
}

/// What became of a journal's apply: `unfinished`, `undone` (a journal
/// applied its undo plan), `resumed` (one finished it from its saved
/// plan), or `done`. (A journal's own source is never its own undo or
/// saved plan: those are named after it, and written after it started.)
fn state(journal: &JournalSummary, applied: &HashSet<&str>) -> &'static str {
    let applied = |suffix: &str| {
        let wanted = beside(&journal.path, suffix);
        wanted
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| applied.contains(n))
    };
    if !journal.closed {
        "unfinished"
    } else if journal.undo.is_some() && applied("undo.json") {
        "undone"
    } else if journal.resumed_by.is_some() || applied("plan.json") {
        "resumed"
    } else {
        "done"
    }
}

/// `chatbots history`.
pub fn history(dir: &Path, out: Output) -> Result<ExitCode, Failure> {
    let journals = journal::history(dir)?;
    let read: Vec<&JournalSummary> = journals.iter().filter_map(|j| j.as_ref().ok()).collect();
    let unreadable = journals.len() - read.len();
    let applied = sources(read.iter().copied());
    let mut table = output::table(&[
        "started", "file", "changed", "failed", "unknown", "state", "journal",
    ]);
    for entry in &journals {
        match entry {
            Ok(j) => {
                let state = state(j, &applied);
                if out.json() {
                    out.line(&json!({
                        "type": "journal",
                        "path": j.path.display().to_string(),
                        "started": j.started,
                        "host": j.host,
                        "pid": j.pid,
                        "file": j.source.path,
                        "sha256": j.source.sha256,
                        "changed": j.changed,
                        "failed": j.failed,
                        "unknown": j.unknown,
                        "state": state,
                        "undo": j.undo.as_ref().map(|p| p.display().to_string()),
                        "not_done": j.not_done.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    }));
                } else {
                    table.add_row(vec![
                        output::cell(&j.started, 40),
                        output::cell(&j.source.path, 40),
                        j.changed.to_string(),
                        j.failed.to_string(),
                        j.unknown.to_string(),
                        state.to_string(),
                        output::cell(&j.path.display().to_string(), 80),
                    ]);
                }
            }
            Err(e) => {
                if out.json() {
                    out.line(&json!({"type": "journal", "error": e.to_string()}));
                } else {
                    out.note(format!("error: {e}"));
                }
            }
        }
    }
    if out.json() {
        out.line(&json!({
            "type": "summary",
            "journals": read.len(),
            "unreadable": unreadable,
            "dir": dir.display().to_string(),
        }));
    } else if journals.is_empty() {
        out.text(format!("No journal in {}.", dir.display()));
    } else {
        out.table(table);
    }
    Ok(if unreadable > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
