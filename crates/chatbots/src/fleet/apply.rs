//! Applying a plan: only what differs, paced, one report per bot; a plan
//! that no longer matches what the vendors hold is refused whole.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use std::collections::HashMap;

use serde_json::Map;

use super::check;
use super::compare::{self, Verdict};
use super::journal::{FieldChange, JournalSource};
use super::journaled::{self, JournalOptions, JournalReport, Journaled};
use super::plan::{self, BotPlan, PLAN_FORMAT, Plan, PlanOptions};
use super::problem::{FleetError, Problem};
use super::read::{self, State};
use crate::bulk::{BulkOptions, Progress};
use crate::error::{Error, ErrorKind};
use crate::model::{BotRef, Chatbot, ChatbotPatch, Field, FieldValue};
use crate::{Chatbots, VendorPatch};

type ProgressHook = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// What a journal announces of one update: the bot and its changes.
type Intent = (BotRef, Vec<FieldChange>);

/// How [`Chatbots::apply`] runs.
///
/// ```
/// use chatbots::fleet::ApplyOptions;
/// let options = ApplyOptions::new().concurrency(4).on_progress(|p| eprintln!("{}/{}", p.done, p.total));
/// # drop(options);
/// ```
#[derive(Clone, Default)]
pub struct ApplyOptions {
    concurrency: Option<usize>,
    progress: Option<ProgressHook>,
    journal: Option<JournalOptions>,
    /// Skip the read-back after the updates.
    no_verify: bool,
}

impl ApplyOptions {
    /// The defaults of [`BulkOptions`].
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `n` updates in flight per vendor (at least 1), as
    /// [`BulkOptions::concurrency`].
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// Calls `hook` after each bot's update.
    pub fn on_progress(mut self, hook: impl Fn(Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(hook));
        self
    }

    /// Journals the apply in `dir` (created if missing; see
    /// [`journal`](super::journal)): the directory's lock is taken for the
    /// whole apply (a second one is refused at once, naming the holder),
    /// every update is announced in the journal, synced to disk, before it
    /// is sent, and its outcome recorded after; an apply that changed
    /// anything writes an undo plan beside its journal
    /// ([`ApplyReport::journal`]). `source` names the fleet or plan file
    /// applied, for the journal's header.
    ///
    /// ```
    /// use chatbots::fleet::ApplyOptions;
    /// use chatbots::fleet::journal::JournalSource;
    ///
    /// let text = std::fs::read("fleet.yaml").unwrap_or_default();
    /// let options = ApplyOptions::new().journal(".chatbots", JournalSource::new("fleet.yaml", &text));
    /// # drop(options);
    /// ```
    pub fn journal(mut self, dir: impl Into<std::path::PathBuf>, source: JournalSource) -> Self {
        self.journal = Some(JournalOptions {
            dir: dir.into(),
            source,
        });
        self
    }

    /// Whether to read each changed bot again after the updates and
    /// report the fields it does not hold as sent
    /// ([`ApplyOutcome::not_kept`]). On by default: it is the one check
    /// that catches a vendor that ignores a field and a writer elsewhere
    /// changing the same bots at the same time. `false` saves the reads.
    pub fn verify(mut self, verify: bool) -> Self {
        self.no_verify = !verify;
        self
    }

    /// The same options, journaling `source` as what is applied.
    pub(crate) fn with_source(&self, source: JournalSource) -> Self {
        let mut options = self.clone();
        if let Some(journal) = &mut options.journal {
            journal.source = source;
        }
        options
    }

    /// The [`BulkOptions`] these amount to, with `journaled`'s hooks.
    pub(crate) fn bulk(&self, journaled: Option<(&Journaled, Vec<Intent>)>) -> BulkOptions {
        let mut options = BulkOptions::new();
        if let Some(n) = self.concurrency {
            options = options.concurrency(n);
        }
        let record = journaled.as_ref().map(|(j, _)| j.record());
        let hook = self.progress.clone();
        if record.is_some() || hook.is_some() {
            options = options.on_progress(move |p| {
                // The journal first: the caller's hook may be slow.
                if let Some(record) = &record {
                    record(&p);
                }
                if let Some(hook) = &hook {
                    hook(p);
                }
            });
        }
        if let Some((journaled, items)) = journaled {
            options = options.before_send(journaled.before_send(items));
        }
        options
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .field("journal", &self.journal)
            .field("verify", &!self.no_verify)
            .finish()
    }
}

/// How applying a plan went: one outcome per bot of the plan, in its order.
#[derive(Debug)]
pub struct ApplyReport {
    /// One per bot.
    pub outcomes: Vec<ApplyOutcome>,
    /// The journal, its undo plan and what cannot be undone, when the
    /// apply was journaled ([`ApplyOptions::journal`]).
    pub journal: Option<JournalReport>,
}

impl ApplyReport {
    /// Bots whose update (or read, at planning) failed.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_err()).count()
    }

    /// Bots whose read-back found a field other than sent.
    pub fn not_kept(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| !o.not_kept.is_empty())
            .count()
    }

    /// Bots that were sent an update that succeeded.
    pub fn changed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.result.is_ok() && !o.sent.is_empty())
            .count()
    }
}

/// One bot of an [`ApplyReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ApplyOutcome {
    /// The bot.
    pub bot: BotRef,
    /// The fields sent (empty: nothing to change, nothing sent).
    pub sent: Vec<String>,
    /// `Err` for a failed update, or a read that failed at planning.
    pub result: Result<(), Error>,
    /// The fields the read-back after the update found other than sent:
    /// the vendor did not keep them, or someone changed them in between.
    /// Empty when all were kept, or not checked (a vendor that cannot
    /// read, [`ApplyOptions::verify`]`(false)`, a failed update).
    pub not_kept: Vec<NotKept>,
}

/// A field a bot does not hold as sent, after its update succeeded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NotKept {
    /// The field: a shared field's name, or `vendor.<key>`.
    pub field: String,
    /// The value sent.
    pub sent: Value,
    /// The value read back (`null`: the read did not report it).
    pub now: Value,
}

/// A plan refused whole: nothing was sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApplyError {
    /// These bots changed since the plan was made (bot, field, the value
    /// the plan saw, the value now): plan again.
    Stale {
        /// Each field that moved on.
        bots: Vec<StaleBot>,
    },
    /// The plan's patches break vendor rules (a plan edited by hand, or a
    /// client configured differently from the one that planned).
    Refused(FleetError),
    /// The journal could not be started: its directory is held by another
    /// apply, or cannot be written.
    Journal(Error),
}

/// One field of a bot that changed since the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleBot {
    /// The bot.
    pub bot: BotRef,
    /// The field.
    pub field: String,
    /// The value the plan saw (`null`: unknown then).
    pub planned: Value,
    /// The value now (`null`: unknown now).
    pub now: Value,
    /// Whether the value now is the one the plan sets: an earlier apply of
    /// this plan got this far (resume it: [`Chatbots::resume`]).
    pub already_applied: bool,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Stale { bots } => {
                write!(
                    f,
                    "the plan is stale, nothing was sent: {} field(s) changed since it was made; plan again",
                    bots.len()
                )?;
                for stale in bots {
                    write!(
                        f,
                        "\n  {}: {}: planned from {}, now {}",
                        stale.bot, stale.field, stale.planned, stale.now
                    )?;
                    if stale.already_applied {
                        f.write_str(" (already the planned value)")?;
                    }
                }
                let applied = bots.iter().filter(|s| s.already_applied).count();
                if applied > 0 {
                    write!(
                        f,
                        "\n{applied} field(s) already hold the value this plan sets: an earlier \
                         apply of it stopped part way; finish it with `chatbots apply --resume` \
                         (library: Chatbots::resume, or Chatbots::resume_plan for a plan file)"
                    )?;
                }
                Ok(())
            }
            ApplyError::Refused(e) => write!(f, "the plan is refused, nothing was sent:\n{e}"),
            ApplyError::Journal(e) => write!(f, "nothing was sent: {e}"),
        }
    }
}

impl std::error::Error for ApplyError {}

impl Chatbots {
    /// Applies `plan`. A bot planned twice, or whose account this client
    /// does not know or cannot use (a saved plan applied by another
    /// client), refuses the plan whole before anything is read
    /// ([`ApplyError::Refused`]). Then re-reads every readable bot of the plan: if
    /// any field the plan compared moved on since, refuses the whole plan
    /// with [`ApplyError::Stale`] and sends nothing. Otherwise sends,
    /// through [`update_many`](Chatbots::update_many) (pacing, bounded
    /// concurrency per vendor), only the fields that differ or are
    /// unknown; bots with nothing to change are not sent, bots whose read
    /// failed at planning are reported failed. One outcome per bot, in the
    /// plan's order; one bot's failure never stops the others.
    pub async fn apply(
        &self,
        plan: &Plan,
        options: &ApplyOptions,
    ) -> Result<ApplyReport, ApplyError> {
        let origin = plan.origin.as_str();
        // One apply at a time per journal directory: refused at once,
        // before anything is read.
        let lock = match &options.journal {
            Some(journal) => Some(Journaled::lock(journal).map_err(ApplyError::Journal)?),
            None => None,
        };
        if plan.format != PLAN_FORMAT {
            return Err(refused(vec![Problem::new(
                origin,
                None,
                format!(
                    "the plan's format is {}; this version applies format {PLAN_FORMAT}: plan again",
                    plan.format
                ),
            )]));
        }
        // A plan file can be edited by hand; one bot planned twice (in any
        // spelling of its id) would be sent twice, in no defined order.
        let twice: Vec<Problem> = self
            .repeats(plan.bots.iter().map(|b| &b.bot))
            .into_iter()
            .map(|(index, first)| {
                let b = &plan.bots[index];
                let through = crate::client::through_two_names(&plan.bots[first].bot, &b.bot);
                Problem::new(
                    origin,
                    (b.line > 0).then_some(b.line),
                    format!("is planned more than once{through}"),
                )
                .bot(b.bot.to_string())
            })
            .collect();
        FleetError::check(twice).map_err(ApplyError::Refused)?;
        // A saved plan may be applied by another client than the one that
        // made it: each bot's account must be one this client can use,
        // before anything is read or sent.
        let accounts: Vec<Problem> = plan
            .bots
            .iter()
            .filter_map(|b| {
                let rule = self.account_problem(&b.bot.account_ref())?;
                Some(
                    Problem::new(origin, (b.line > 0).then_some(b.line), rule)
                        .bot(b.bot.to_string()),
                )
            })
            .collect();
        FleetError::check(accounts).map_err(ApplyError::Refused)?;
        // Without its snapshot a bot would be sent unchecked against a
        // re-read. (A plan file is refused so when read; this is a plan
        // built or changed in code.)
        let unchecked: Vec<Problem> = plan
            .bots
            .iter()
            .filter_map(|b| {
                let rule = b.snapshot_rule()?;
                Some(
                    Problem::new(origin, (b.line > 0).then_some(b.line), rule)
                        .bot(b.bot.to_string())
                        .field("current"),
                )
            })
            .collect();
        FleetError::check(unchecked).map_err(ApplyError::Refused)?;
        // Re-read what the plan read, the same way.
        let reread: Vec<&BotPlan> = plan
            .bots
            .iter()
            .filter(|b| b.error.is_none() && b.current.is_some() && b.has_changes())
            .collect();
        let refs: Vec<BotRef> = reread.iter().map(|b| b.bot.clone()).collect();
        let states = read::read_all(self, &refs, &PlanOptions::new()).await;
        let mut stale = Vec::new();
        // Bots whose re-read failed: not sent, reported failed.
        let mut unread: HashMap<usize, Error> = HashMap::new();
        for (bot, state) in reread.iter().zip(states) {
            match state {
                State::Read(found) => stale.extend(moved_on(bot, &found)),
                State::Unreadable => {}
                State::Failed(e) => {
                    let index = plan.bots.iter().position(|b| std::ptr::eq(b, *bot));
                    if let Some(index) = index {
                        unread.insert(index, e);
                    }
                }
            }
        }
        if !stale.is_empty() {
            return Err(ApplyError::Stale { bots: stale });
        }

        // The patches, checked like a fleet before anything is sent.
        let mut problems = Vec::new();
        let mut items: Vec<(usize, BotRef, ChatbotPatch, Vec<String>)> = Vec::new();
        for (index, bot) in plan.bots.iter().enumerate() {
            if !bot.has_changes() || unread.contains_key(&index) {
                continue;
            }
            let at = |field: &str, rule: String| {
                Problem::new(origin, (bot.line > 0).then_some(bot.line), rule)
                    .bot(bot.bot.to_string())
                    .field(field)
            };
            match patch_of(bot) {
                Err((field, rule)) => problems.push(at(&field, rule)),
                Ok((patch, sent)) => match self.check_update(&bot.bot, &patch) {
                    Err(e) => problems.push(at(&field_named(bot, &e), check::rule(&e))),
                    Ok(()) => items.push((index, bot.bot.clone(), patch, sent)),
                },
            }
        }
        FleetError::check(problems).map_err(ApplyError::Refused)?;

        let batch = items
            .iter()
            .map(|(_, bot, patch, _)| (bot.clone(), patch.clone()));
        // The journal starts just before the first update: a refused or
        // stale plan leaves none.
        let journaled = match (&options.journal, lock) {
            (Some(journal), Some(lock)) => {
                Some(Journaled::start(journal, lock, plan).map_err(ApplyError::Journal)?)
            }
            _ => None,
        };
        let announced = journaled.as_ref().map(|j| {
            let intents = items
                .iter()
                .map(|(index, bot, _, _)| (bot.clone(), journaled::changes_of(&plan.bots[*index])))
                .collect();
            (j, intents)
        });
        let sent = self.update_many(batch, &options.bulk(announced)).await;
        // Read back what changed, where the vendor can read.
        let mut not_kept: HashMap<usize, Vec<NotKept>> = HashMap::new();
        if let (Ok(outcomes), false) = (&sent, options.no_verify) {
            let changed: Vec<(usize, &BotRef)> = items
                .iter()
                .zip(outcomes)
                .filter(|(_, o)| o.result.is_ok())
                .map(|((index, bot, _, _), _)| (*index, bot))
                .collect();
            let refs: Vec<BotRef> = changed.iter().map(|(_, b)| (*b).clone()).collect();
            let states = read::read_all(self, &refs, &PlanOptions::new()).await;
            for ((index, bot), state) in changed.into_iter().zip(states) {
                let differs = match state {
                    State::Read(found) => read_back(&plan.bots[index], &found),
                    // Unreadable: nothing to compare. A failed read is not
                    // a difference: the update itself succeeded.
                    State::Unreadable | State::Failed(_) => Vec::new(),
                };
                if !differs.is_empty() {
                    if let Some(j) = &journaled {
                        j.read_back(bot, &differs);
                    }
                    not_kept.insert(index, differs);
                }
            }
        }
        let journal = journaled.map(|j| {
            let outcomes: Vec<(BotRef, Result<(), Error>)> = match &sent {
                Ok(outcomes) => outcomes
                    .iter()
                    .map(|o| {
                        (
                            o.bot.clone(),
                            o.result.as_ref().map_err(Clone::clone).map(|_| ()),
                        )
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            j.finish(plan, &outcomes)
        });
        let outcomes = sent.map_err(|refused_batch| {
            let problems = refused_batch
                .refused
                .iter()
                .filter_map(|o| o.result.as_ref().err().map(|e| (o, e)))
                .map(|(o, e)| Problem::new(origin, None, check::rule(e)).bot(o.bot.to_string()))
                .collect();
            ApplyError::Refused(FleetError { problems })
        })?;
        let mut results: HashMap<usize, (Vec<String>, Result<(), Error>)> = HashMap::new();
        for ((index, _, _, sent), outcome) in items.into_iter().zip(outcomes) {
            results.insert(index, (sent, outcome.result));
        }
        let outcomes = plan
            .bots
            .iter()
            .enumerate()
            .map(|(index, bot)| {
                let (sent, result) = if let Some(error) = &bot.error {
                    (Vec::new(), Err(not_read(bot, error)))
                } else if let Some(e) = unread.remove(&index) {
                    (Vec::new(), Err(e))
                } else {
                    results.remove(&index).unwrap_or((Vec::new(), Ok(())))
                };
                ApplyOutcome {
                    bot: bot.bot.clone(),
                    sent,
                    result,
                    not_kept: not_kept.remove(&index).unwrap_or_default(),
                }
            })
            .collect();
        Ok(ApplyReport { outcomes, journal })
    }
}

/// The plan's field an error is about: a shared field by name, a vendor
/// field by its first key; `(patch)` when it cannot be told.
fn field_named(bot: &BotPlan, e: &Error) -> String {
    let named = match e.kind() {
        ErrorKind::InvalidInput { field, .. } | ErrorKind::Unsupported { field } => field.as_str(),
        _ => "",
    };
    let first = named.split(['.', '[']).next().unwrap_or_default();
    [named.to_string(), format!("vendor.{first}")]
        .into_iter()
        .find(|candidate| bot.fields.iter().any(|f| &f.field == candidate))
        .unwrap_or_else(|| "(patch)".to_string())
}

fn refused(problems: Vec<Problem>) -> ApplyError {
    ApplyError::Refused(FleetError { problems })
}

/// A bot the plan could not read: not applied.
fn not_read(bot: &BotPlan, error: &str) -> Error {
    Error::not_read(&bot.bot, error)
}

/// Each field `bot`'s update sent that `found` does not hold as sent.
fn read_back(bot: &BotPlan, found: &Chatbot) -> Vec<NotKept> {
    bot.fields
        .iter()
        .filter(|f| f.change.sends())
        .filter_map(|f| {
            let sent = f.change.desired();
            let now = compare::current(found, &f.field);
            let kept = match &now {
                Some(now) => compare::verdict(sent, now) != Verdict::Differs,
                // Not reported by the read: nothing to compare.
                None => true,
            };
            (!kept).then(|| NotKept {
                field: f.field.clone(),
                sent: sent.clone(),
                now: now
                    .map(|now| compare::project(sent, &now))
                    .unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Each field whose current value is no longer the one the plan saw.
fn moved_on(bot: &BotPlan, found: &Chatbot) -> Vec<StaleBot> {
    let planned = bot.current.as_ref().and_then(Value::as_object);
    let wanted = bot
        .fields
        .iter()
        .map(|f| (f.field.clone(), f.change.desired().clone()))
        .collect();
    let (_, now) = plan::compare(found, wanted);
    bot.fields
        .iter()
        .filter_map(|f| {
            let then = planned.and_then(|p| p.get(&f.field));
            let still = match (then, now.get(&f.field)) {
                (None, None) => true,
                (Some(then), Some(now)) => compare::verdict(then, now) == Verdict::Same,
                _ => false,
            };
            let now = now.get(&f.field).cloned().unwrap_or(Value::Null);
            (!still).then(|| StaleBot {
                bot: bot.bot.clone(),
                field: f.field.clone(),
                planned: then.cloned().unwrap_or(Value::Null),
                already_applied: compare::verdict(f.change.desired(), &now) == Verdict::Same,
                now,
            })
        })
        .collect()
}

/// The patch of a bot's fields that differ or are unknown, and their
/// names; or the field and rule that cannot become one.
fn patch_of(bot: &BotPlan) -> Result<(ChatbotPatch, Vec<String>), (String, String)> {
    let mut patch = ChatbotPatch::new();
    let mut vendor_fields = Map::new();
    let mut sent = Vec::new();
    for field in bot.fields.iter().filter(|f| f.change.sends()) {
        let value = field.change.desired();
        let bad = |rule: &str| Err((field.field.clone(), rule.to_string()));
        if let Some(key) = field.field.strip_prefix("vendor.") {
            vendor_fields.insert(key.to_string(), value.clone());
        } else {
            let Some(shared) = Field::from_name(&field.field) else {
                return bad("is not a field of a fleet (edited by hand?)");
            };
            let Ok(value) = FieldValue::from_json(shared, value) else {
                return bad("has a value of the wrong type (edited by hand?)");
            };
            if patch.set(shared, value).is_err() {
                return bad("has a value of the wrong type (edited by hand?)");
            }
        }
        sent.push(field.field.clone());
    }
    if !vendor_fields.is_empty() {
        let own = VendorPatch::from_json(bot.bot.vendor, &vendor_fields)
            .map_err(|e| ("vendor".to_string(), check::rule(&e)))?;
        patch = patch.vendor_patch(own);
    }
    Ok((patch, sent))
}
