//! An apply with its journal: the lock of the journal directory, an intent
//! line synced before each update is sent, an outcome line after it, the
//! undo plan, the closing line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::journal::{FieldChange, JournalSource, JournalWriter, OutcomeStatus};
use super::lock::JournalLock;
use super::plan::{BotPlan, Change, FieldPlan, PLAN_FORMAT, Plan};
use crate::bulk::{Progress, SendHook};
use crate::error::Error;
use crate::model::BotRef;

/// Where [`Chatbots::apply`](crate::Chatbots::apply) journals, and what it
/// applies (for the journal's header).
#[derive(Clone, Debug)]
pub(crate) struct JournalOptions {
    pub dir: PathBuf,
    pub source: JournalSource,
}

/// What an apply's journal holds, for its report.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JournalReport {
    /// The journal file.
    pub path: PathBuf,
    /// The undo plan written beside it, when the apply changed anything:
    /// a plan file ([`Plan::load`]) that sets every changed field back.
    pub undo: Option<PathBuf>,
    /// Fields changed whose old value the vendor could not read: the undo
    /// plan cannot set them back.
    pub irreversible: Vec<(BotRef, String)>,
    /// A journal line that could not be written after its update was sent
    /// (a full disk): the journal misses that outcome.
    pub problem: Option<String>,
}

/// Each field of `plan` that an apply would change without knowing its
/// old value (the vendor cannot read it): no undo can set it back. Shown
/// before an apply asks for confirmation.
pub fn irreversible(plan: &Plan) -> Vec<(BotRef, String)> {
    plan.bots
        .iter()
        .filter(|b| b.has_changes())
        .flat_map(|b| {
            b.fields
                .iter()
                .filter(|f| matches!(f.change, Change::Unknown { .. }))
                .map(|f| (b.bot.clone(), f.field.clone()))
        })
        .collect()
}

/// A running journaled apply.
pub(crate) struct Journaled {
    writer: Arc<JournalWriter>,
    _lock: JournalLock,
    /// The first line that could not be written after a send.
    problem: Arc<Mutex<Option<String>>>,
}

impl Journaled {
    /// Takes the journal directory's lock: at the start of an apply,
    /// before anything is read.
    pub fn lock(options: &JournalOptions) -> Result<JournalLock, Error> {
        JournalLock::acquire(&options.dir)
    }

    /// Starts a journal under `lock`, just before the first update, with
    /// the plan being applied saved beside it (what `--resume` finishes).
    pub fn start(
        options: &JournalOptions,
        lock: JournalLock,
        plan: &Plan,
    ) -> Result<Journaled, Error> {
        let writer = JournalWriter::create(&options.dir, options.source.clone())?;
        write_plan(&plan_path(writer.path()), plan).map_err(|e| Error::config(None, e))?;
        Ok(Journaled {
            writer: Arc::new(writer),
            _lock: lock,
            problem: Arc::default(),
        })
    }

    /// The hook that announces item `i` of `items` before it is sent.
    pub fn before_send(&self, items: Vec<(BotRef, Vec<FieldChange>)>) -> SendHook {
        let writer = Arc::clone(&self.writer);
        Arc::new(move |index| {
            let (bot, fields) = &items[index];
            writer.intent(bot, fields.clone())
        })
    }

    /// Records how a sent update ended (called from the progress hook).
    pub fn record(&self) -> impl Fn(&Progress<'_>) + Send + Sync + 'static {
        let writer = Arc::clone(&self.writer);
        let problem = Arc::clone(&self.problem);
        move |progress| {
            let status = status_of(progress.result);
            let error = progress.result.as_ref().err();
            if let Err(e) = writer.outcome(progress.bot, status, error) {
                let mut slot = problem.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// Records what the read-back found not kept.
    pub fn read_back(&self, bot: &BotRef, not_kept: &[super::apply::NotKept]) {
        for field in not_kept {
            if let Err(e) = self.writer.read_back(bot, field) {
                let mut slot = self.problem.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// Writes the undo plan of what `plan` changed (`changed`: the bots
    /// whose update the vendor confirmed) and the closing line.
    pub fn finish(self, plan: &Plan, outcomes: &[(BotRef, Result<(), Error>)]) -> JournalReport {
        let changed: Vec<&BotRef> = outcomes
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(b, _)| b)
            .collect();
        let mut problem = self
            .problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let (undo_plan, irreversible) = undo_of(plan, &changed);
        let undo = if undo_plan.bots.is_empty() {
            None
        } else {
            let path = undo_path(self.writer.path());
            match write_plan(&path, &undo_plan) {
                Ok(()) => Some(path),
                Err(e) => {
                    problem.get_or_insert(e);
                    None
                }
            }
        };
        let count = |status| {
            outcomes
                .iter()
                .filter(|(_, r)| status_of(r) == status)
                .count()
        };
        if let Err(e) = self.writer.close(
            count(OutcomeStatus::Changed),
            count(OutcomeStatus::Failed),
            count(OutcomeStatus::Unknown),
            undo.as_deref(),
        ) {
            problem.get_or_insert(e.to_string());
        }
        JournalReport {
            path: self.writer.path().to_path_buf(),
            undo,
            irreversible,
            problem,
        }
    }
}

/// Changed, failed, or unknown (sent and its answer lost).
fn status_of(result: &Result<(), Error>) -> OutcomeStatus {
    match result {
        Ok(()) => OutcomeStatus::Changed,
        Err(e) if e.may_have_been_applied() => OutcomeStatus::Unknown,
        Err(_) => OutcomeStatus::Failed,
    }
}

/// What a journal's intent line says of `bot`'s update.
pub(crate) fn changes_of(bot: &BotPlan) -> Vec<FieldChange> {
    bot.fields
        .iter()
        .filter_map(|f| match &f.change {
            Change::Unchanged { .. } => None,
            Change::Update { old, new } => Some(FieldChange {
                field: f.field.clone(),
                old: old.clone(),
                new: new.clone(),
            }),
            Change::Unknown { new } => Some(FieldChange {
                field: f.field.clone(),
                old: Value::Null,
                new: new.clone(),
            }),
        })
        .collect()
}

/// The plan that sets back what `plan` changed on `changed`: each field
/// from the value the apply set (its expected current value, so that a
/// bot changed since is stale) to the old one; and the fields whose old
/// value is unknown.
fn undo_of(plan: &Plan, changed: &[&BotRef]) -> (Plan, Vec<(BotRef, String)>) {
    let mut irreversible = Vec::new();
    let mut bots = Vec::new();
    for bot in plan.bots.iter().filter(|b| changed.contains(&&b.bot)) {
        let mut fields = Vec::new();
        let mut current = Map::new();
        for field in &bot.fields {
            match &field.change {
                Change::Update { old, new } => {
                    current.insert(field.field.clone(), new.clone());
                    fields.push(FieldPlan {
                        field: field.field.clone(),
                        change: Change::Update {
                            old: new.clone(),
                            new: old.clone(),
                        },
                    });
                }
                Change::Unknown { .. } => {
                    irreversible.push((bot.bot.clone(), field.field.clone()));
                }
                Change::Unchanged { .. } => {}
            }
        }
        if fields.is_empty() {
            continue;
        }
        let reads = crate::vendors::find(bot.bot.vendor)
            .is_ok_and(|r| r.get_operation.is_some() || r.list_operation.is_some());
        bots.push(BotPlan {
            bot: bot.bot.clone(),
            line: 0,
            fields,
            current: reads.then_some(Value::Object(current)),
            error: None,
        });
    }
    let undo = Plan {
        format: PLAN_FORMAT,
        origin: format!("undo of {}", plan.origin),
        bots,
    };
    (undo, irreversible)
}

/// `<journal>.undo.json` beside `<journal>.journal.jsonl`: the undo plan
/// of the journal's apply.
pub fn undo_path(journal: &Path) -> PathBuf {
    beside(journal, "undo.json")
}

/// `<journal>.plan.json`: the plan the journal's apply ran.
pub fn plan_path(journal: &Path) -> PathBuf {
    beside(journal, "plan.json")
}

fn beside(journal: &Path, suffix: &str) -> PathBuf {
    let name = journal
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".journal.jsonl").unwrap_or(&name);
    journal.with_file_name(format!("{stem}.{suffix}"))
}

/// Writes `plan` to `path` and syncs it.
fn write_plan(path: &Path, plan: &Plan) -> Result<(), String> {
    use std::io::Write;
    let text = serde_json::to_vec_pretty(plan).map_err(|e| e.to_string())?;
    let shown = || crate::printable::one_line(&path.to_string_lossy()).into_owned();
    let mut file = std::fs::File::create(path)
        .map_err(|e| format!("undo plan {}: cannot write: {e}", shown()))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("undo plan {}: cannot write: {e}", shown()))
}
