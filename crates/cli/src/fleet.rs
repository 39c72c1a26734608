//! `export`, `plan` and `apply`, on the facade's fleet engine
//! (`chatbots::fleet`).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chatbots::fleet::journal::JournalSource;
use chatbots::fleet::{ApplyError, ApplyOptions, Fleet, FleetError, Plan, PlanOptions};
use chatbots::{AccountRef, BotRef, Chatbots, RateLimit, Vendor};
use indicatif::ProgressBar;
use serde_json::{Map, Value, json};

use crate::args::{Command, RunOptions};
use crate::bots::account_json;
use crate::config;
use crate::journal;
use crate::output::{self, Failure, Output, Painted};

/// What a fleet command reads before any client exists.
#[derive(Debug)]
pub enum Prepared {
    /// Not a fleet command (or `export`, which reads nothing).
    Nothing,
    /// A fleet file, parsed.
    Fleet(Fleet),
    /// A plan saved by `plan -o`.
    Plan(Box<Plan>),
}

/// Reads and checks the fleet file or plan a command names, and refuses an
/// `apply` that could not ask for confirmation: all before a client exists,
/// so that nothing is read or sent for a command that cannot run.
pub fn prepare(command: &Command) -> Result<Prepared, Failure> {
    match command {
        Command::Plan { fleet, .. } => Ok(Prepared::Fleet(load_fleet(fleet)?)),
        Command::Apply { file, run, .. } => {
            can_confirm("apply", run.yes)?;
            // `--resume`: the plan is the stopped apply's, read later.
            let Some(file) = file else {
                return Ok(Prepared::Nothing);
            };
            if is_plan_file(file) {
                Ok(Prepared::Plan(Box::new(load_plan(file)?)))
            } else {
                Ok(Prepared::Fleet(load_fleet(file)?))
            }
        }
        Command::Undo { run, .. } => {
            can_confirm("undo", run.yes)?;
            Ok(Prepared::Nothing)
        }
        _ => Ok(Prepared::Nothing),
    }
}

/// Refuses a command that would ask for confirmation without a terminal
/// to ask on.
fn can_confirm(command: &str, yes: bool) -> Result<(), Failure> {
    if !yes && !std::io::stdin().is_terminal() {
        return Err(Failure::message(format!(
            "{command} asks for confirmation, and stdin is not a terminal: \
             pass --yes to {command} without asking (nothing was sent)"
        )));
    }
    Ok(())
}

/// A plan is a `.json` file (what `plan -o` is told to write); anything
/// else is a fleet file.
fn is_plan_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
}

fn load_fleet(path: &Path) -> Result<Fleet, Failure> {
    Fleet::load(path).map_err(fleet_failure)
}

fn load_plan(path: &Path) -> Result<Plan, Failure> {
    Plan::load(path).map_err(|e| {
        Failure::message(format!(
            "{e}\n(a plan is what `chatbots plan -o` writes; a fleet file must not end in .json)"
        ))
    })
}

/// Every problem of a fleet: one line each for people, one `problem`
/// object each with `--json`.
fn fleet_failure(error: FleetError) -> Failure {
    let details = error
        .problems
        .iter()
        .map(|problem| {
            let mut value = serde_json::to_value(problem).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("type".into(), "problem".into());
            }
            value
        })
        .collect();
    let count = error.problems.len();
    Failure::with_details(
        format!("{count} problem(s) in the fleet, nothing was sent:\n{error}"),
        details,
    )
}

/// A plan's read progress as a bar (only on a terminal).
fn plan_options(bar: &ProgressBar) -> PlanOptions {
    let bar = bar.clone();
    PlanOptions::new().on_progress(move |done, total| output::advance(&bar, done, total))
}

/// A fleet bot's shared fields as JSON: those it sets.
fn patch_json(patch: &chatbots::ChatbotPatch) -> Value {
    let fields: Map<String, Value> = patch
        .fields()
        .map(|(f, value)| (f.name().to_string(), value.to_json()))
        .collect();
    Value::Object(fields)
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::message(format!("{}: cannot be written: {e}", path.display())))
}

/// `chatbots export`.
pub async fn export(
    bots: &Chatbots,
    accounts: &[AccountRef],
    output: Option<&Path>,
    out: Output,
) -> Result<ExitCode, Failure> {
    config::require_accounts(bots, accounts.iter().cloned())?;
    let bar = output::progress(0, "reading");
    let fleet = bots.export_accounts(accounts, &plan_options(&bar)).await;
    bar.finish_and_clear();
    // The engine's header says what was read and which reported values
    // were left out (an update would refuse them); it stays as it is.
    let fleet = fleet?;
    let yaml = fleet.to_yaml();
    if let Some(path) = output {
        write_file(path, &yaml)?;
    }
    if out.json() {
        for bot in fleet.bots() {
            out.line(&json!({
                "type": "bot",
                "bot": bot.bot.to_string(),
                "account": account_json(&bot.bot),
                "fields": patch_json(&bot.patch),
            }));
        }
        out.line(&json!({
            "type": "summary",
            "bots": fleet.bots().len(),
            "file": output.map(|p| p.display().to_string()),
        }));
    } else if let Some(path) = output {
        out.text(format!(
            "wrote {} bot(s) to {}",
            fleet.bots().len(),
            path.display()
        ));
    } else {
        out.document(yaml.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the bots of `fleet` and plans, with a progress bar.
async fn make_plan(bots: &Chatbots, fleet: &Fleet) -> Result<Plan, Failure> {
    // Only the default accounts here, in the CLI's words: a named account
    // the client cannot use is refused by the fleet's check, with its file
    // and line.
    config::require(bots, default_accounts(fleet.bots().iter().map(|b| &b.bot)))?;
    let what = paced(bots, "reading", fleet.bots().iter().map(|b| b.bot.vendor));
    let bar = output::progress(fleet.bots().len(), &what);
    let plan = bots.plan(fleet, &plan_options(&bar)).await;
    bar.finish_and_clear();
    plan.map_err(fleet_failure)
}

/// The vendors of the bots of `bots` that are in their default account.
fn default_accounts<'a>(
    bots: impl Iterator<Item = &'a BotRef> + 'a,
) -> impl Iterator<Item = Vendor> + 'a {
    bots.filter(|b| b.account.is_none()).map(|b| b.vendor)
}

/// The progress bar's message: `what`, and the limit of each of `vendors`
/// that is paced to one, so that a long run at such a vendor says why it
/// slows down after the first burst instead of crawling unexplained.
fn paced(bots: &Chatbots, what: &str, vendors: impl Iterator<Item = Vendor>) -> String {
    let mut vendors: Vec<Vendor> = vendors.collect();
    vendors.sort();
    vendors.dedup();
    let limits: Vec<String> = vendors
        .into_iter()
        .filter_map(|v| Some(format!("{}'s limit, {}", v.title(), bots.rate_limit(v)?)))
        .collect();
    if limits.is_empty() {
        what.to_string()
    } else {
        format!("{what} (waits for {})", limits.join("; "))
    }
}

/// The updates of a run in each account paced to a limit: how many, how
/// many done, at what limit; from which the least time the run has left.
/// By account, not by vendor: each credential has a budget of its own, so
/// two accounts at one vendor go side by side. (Two names of one
/// credential share a budget: counted apart, the time left is lower than
/// it will be, which a floor may be.)
struct PacedRun {
    accounts: Mutex<BTreeMap<AccountRef, (usize, usize, RateLimit)>>,
}

impl PacedRun {
    fn new(bots: &Chatbots, accounts: impl Iterator<Item = AccountRef>) -> Self {
        let mut counts = BTreeMap::new();
        for account in accounts {
            if let Some(limit) = bots.rate_limit(account.vendor) {
                counts.entry(account).or_insert((0, 0, limit)).1 += 1;
            }
        }
        PacedRun {
            accounts: Mutex::new(counts),
        }
    }

    /// Notes one more update done in `account`; the least time left.
    fn done(&self, account: &AccountRef) -> Duration {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((done, _, _)) = accounts.get_mut(account) {
            *done += 1;
        }
        least_time_left(accounts.values())
    }

    /// The least time left.
    fn left(&self) -> Duration {
        least_time_left(
            self.accounts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values(),
        )
    }
}

/// The longest, over accounts (which go side by side), of the time the
/// requests beyond an account's burst still take at its rate. A lower bound:
/// the burst may be partly spent already (by the plan's reads).
fn least_time_left<'a>(vendors: impl Iterator<Item = &'a (usize, usize, RateLimit)>) -> Duration {
    vendors
        .map(|(done, total, limit)| {
            let burst = usize::try_from(limit.burst).unwrap_or(usize::MAX);
            let paced = total.saturating_sub((*done).max(burst));
            // Counts are far below 2^52: exact as f64.
            Duration::try_from_secs_f64(paced as f64 / limit.per_second).unwrap_or(Duration::ZERO)
        })
        .max()
        .unwrap_or(Duration::ZERO)
}

/// The plan for people, coloured (`-` red, `+` green, `?` yellow).
pub fn show_plan(plan: &Plan, out: Output) {
    out.painted(&output::coloured_diff(plan.to_string().trim_end()));
}

/// `chatbots plan`.
pub async fn plan(
    bots: &Chatbots,
    prepared: Prepared,
    output: Option<&Path>,
    detailed: bool,
    out: Output,
) -> Result<ExitCode, Failure> {
    let Prepared::Fleet(fleet) = prepared else {
        return Err(Failure::message("plan needs a fleet file"));
    };
    let plan = make_plan(bots, &fleet).await?;
    if let Some(path) = output {
        let text = serde_json::to_string_pretty(&plan)
            .map_err(|e| Failure::message(format!("the plan cannot be saved: {e}")))?;
        write_file(path, &(text + "\n"))?;
    }
    let summary = plan.summary();
    if out.json() {
        for bot in &plan.bots {
            out.line(&json!({
                "type": "plan",
                "bot": bot.bot.to_string(),
                "account": account_json(&bot.bot),
                "line": bot.line,
                "changes": bot.fields,
                "error": bot.error,
            }));
        }
        let mut line = serde_json::to_value(summary).unwrap_or_else(|_| json!({}));
        if let Value::Object(map) = &mut line {
            map.insert("type".into(), "summary".into());
            map.insert("changes".into(), plan.has_changes().into());
            map.insert(
                "file".into(),
                json!(output.map(|p| p.display().to_string())),
            );
        }
        out.line(&line);
    } else {
        show_plan(&plan, out);
        if let Some(path) = output {
            out.text(format!(
                "Saved the plan to {0}; `chatbots apply {0}` applies exactly it.",
                path.display()
            ));
        }
    }
    Ok(if summary.failed > 0 {
        if !out.json() {
            out.note(format!(
                "error: {} bot(s) could not be read",
                summary.failed
            ));
        }
        ExitCode::FAILURE
    } else if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks on the terminal; only `yes` goes ahead (as Terraform asks).
fn confirm(plan: &Plan) -> Result<(), Failure> {
    let count = plan.bots.iter().filter(|b| b.has_changes()).count();
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "Apply these changes to {count} bot(s)? Only `yes` goes ahead: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::message(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::message("not confirmed: nothing was sent"))
    }
}

/// `chatbots apply FILE`.
pub async fn apply(
    bots: &Chatbots,
    prepared: Prepared,
    run: &Run<'_>,
    out: Output,
) -> Result<ExitCode, Failure> {
    let plan = match prepared {
        Prepared::Fleet(fleet) => make_plan(bots, &fleet).await?,
        Prepared::Plan(plan) => *plan,
        Prepared::Nothing => return Err(Failure::message("apply needs a fleet file or a plan")),
    };
    send(bots, &plan, run, None, out).await
}

/// How `apply`, `undo` and `apply --resume` send a plan.
pub struct Run<'a> {
    pub options: &'a RunOptions,
    /// The journal directory.
    pub journal_dir: &'a Path,
    /// The fleet or plan file applied, for the journal's header.
    pub source: JournalSource,
}

/// Shows `plan`, says what it cannot undo, asks, sends it journaled (or,
/// with `resume`, finishes that stopped apply, whose rest `plan` is), and
/// reports each bot, the journal, and what the read-back found not kept.
pub async fn send(
    bots: &Chatbots,
    plan: &Plan,
    run: &Run<'_>,
    resume: Option<&Path>,
    out: Output,
) -> Result<ExitCode, Failure> {
    let &RunOptions {
        yes,
        concurrency,
        no_verify,
    } = run.options;
    config::require_accounts(bots, plan.bots.iter().map(|b| b.bot.account_ref()))?;
    if !out.json() {
        show_plan(plan, out);
    }
    journal::warn_irreversible(plan, out);
    if plan.has_changes() && !yes {
        confirm(plan)?;
    }
    let sending = plan.bots.iter().filter(|b| b.has_changes()).count();
    let sent_to = || {
        plan.bots
            .iter()
            .filter(|b| b.has_changes())
            .map(|b| b.bot.account_ref())
    };
    let what = paced(bots, "applying", sent_to().map(|a| a.vendor));
    let paced_run = PacedRun::new(bots, sent_to());
    let floor = output::EtaFloor::default();
    floor.set(paced_run.left());
    let bar = output::progress_at_least(sending, &what, floor.clone());
    let progress = bar.clone();
    let options = ApplyOptions::new()
        .concurrency(concurrency)
        .journal(run.journal_dir, run.source.clone())
        .verify(!no_verify)
        .on_progress(move |p| {
            floor.set(paced_run.done(&p.bot.account_ref()));
            output::advance(&progress, p.done, p.total);
        });
    let report = match resume {
        None => bots.apply(plan, &options).await,
        Some(journal) => bots.resume_with(journal, plan, &options).await,
    };
    bar.finish_and_clear();
    let report = report.map_err(apply_failure)?;

    let mut unchanged = 0;
    for outcome in &report.outcomes {
        let status = match (&outcome.result, outcome.sent.is_empty()) {
            (Err(_), _) => "failed",
            (Ok(()), true) => "unchanged",
            (Ok(()), false) => "changed",
        };
        if status == "unchanged" {
            unchanged += 1;
        }
        let error = outcome.result.as_ref().err().map(ToString::to_string);
        let lost = outcome
            .result
            .as_ref()
            .is_err_and(chatbots::Error::may_have_been_applied);
        if out.json() {
            out.line(&json!({
                "type": "apply",
                "bot": outcome.bot.to_string(),
                "account": account_json(&outcome.bot),
                "fields": outcome.sent,
                "status": status,
                "error": error,
                "may_have_been_applied": lost,
                "not_kept": journal::not_kept_json(&outcome.not_kept),
            }));
        } else {
            let (style, text) = match (status, &error) {
                ("failed", Some(error)) => (
                    anstyle::AnsiColor::Red.on_default(),
                    format!("✗ {}: {error}", outcome.bot),
                ),
                ("changed", _) => (
                    anstyle::AnsiColor::Green.on_default(),
                    format!("✓ {}: {}", outcome.bot, outcome.sent.join(", ")),
                ),
                _ => continue,
            };
            out.painted(Painted::new().line(style, &text));
        }
    }
    journal::show_not_kept(&report, out);
    let (changed, failed) = (report.changed(), report.failed());
    if out.json() {
        out.line(&json!({
            "type": "summary",
            "bots": report.outcomes.len(),
            "changed": changed,
            "unchanged": unchanged,
            "failed": failed,
            "not_kept": report.not_kept(),
            "journal": report.journal.as_ref().map(|j| j.path.display().to_string()),
            "undo": report.journal.as_ref().and_then(|j| j.undo.as_ref()).map(|p| p.display().to_string()),
            "journal_problem": report.journal.as_ref().and_then(|j| j.problem.as_ref()),
        }));
    } else {
        out.text(format!(
            "Applied: {changed} changed, {unchanged} unchanged, {failed} failed."
        ));
        journal::show_journal(&report, out);
    }
    Ok(if failed > 0 || report.not_kept() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A plan refused whole: stale (each field that moved on), or refused by
/// the vendors' rules (each problem).
pub fn apply_failure(error: ApplyError) -> Failure {
    let details = match &error {
        ApplyError::Stale { bots } => bots
            .iter()
            .map(|s| {
                json!({
                    "type": "stale",
                    "bot": s.bot.to_string(),
                    "account": account_json(&s.bot),
                    "field": s.field,
                    "planned": s.planned,
                    "now": s.now,
                })
            })
            .collect(),
        ApplyError::Refused(e) => return fleet_failure(e.clone()),
        // A kind of refusal this CLI does not know yet: its message says it.
        _ => Vec::new(),
    };
    Failure::with_details(error.to_string(), details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_counts_the_requests_beyond_each_burst_at_its_rate() {
        let limit = RateLimit {
            burst: 30,
            per_second: 2.0,
        };
        let slow = RateLimit {
            burst: 1,
            per_second: 0.5,
        };
        let left = |counts: &[(usize, usize, RateLimit)]| least_time_left(counts.iter());
        // 44 updates: 14 beyond the burst, at 2/s.
        assert_eq!(left(&[(0, 44, limit)]), Duration::from_secs(7));
        assert_eq!(left(&[(40, 44, limit)]), Duration::from_secs(2));
        assert_eq!(left(&[(44, 44, limit)]), Duration::ZERO);
        // Within the burst: nothing to wait for.
        assert_eq!(left(&[(0, 10, limit)]), Duration::ZERO);
        // Vendors go side by side: the slowest decides.
        assert_eq!(
            left(&[(0, 44, limit), (0, 3, slow)]),
            Duration::from_secs(7)
        );
        assert_eq!(
            left(&[(0, 10, limit), (0, 3, slow)]),
            Duration::from_secs(4)
        );
        assert_eq!(left(&[]), Duration::ZERO);
    }

    #[test]
    fn two_accounts_at_one_vendor_are_paced_side_by_side() {
        let bots = Chatbots::builder().build().unwrap();
        // StreamSkill documents 30 at once, then 2/s, per credential.
        let default = AccountRef::default_of(Vendor::StreamSkill);
        let client_b = AccountRef::new(Vendor::StreamSkill, "client-b");
        let run = PacedRun::new(
            &bots,
            std::iter::repeat_n(default.clone(), 44).chain(std::iter::repeat_n(client_b, 44)),
        );
        // 14 beyond each burst at 2/s, side by side: not 58 at 2/s.
        assert_eq!(run.left(), Duration::from_secs(7));
        for _ in 0..4 {
            run.done(&default);
        }
        assert_eq!(run.left(), Duration::from_secs(7));
    }
}
