//! Applying a plan: only what differs, paced, one report per bot; a plan
//! that no longer matches what the vendors hold is refused whole.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::plan::Plan;
use super::problem::FleetError;
use crate::Chatbots;
use crate::bulk::{BulkOptions, Progress};
use crate::error::Error;
use crate::model::BotRef;

type ProgressHook = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

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

    /// The [`BulkOptions`] these amount to.
    pub(crate) fn bulk(&self) -> BulkOptions {
        let mut options = BulkOptions::new();
        if let Some(n) = self.concurrency {
            options = options.concurrency(n);
        }
        if let Some(hook) = &self.progress {
            let hook = Arc::clone(hook);
            options = options.on_progress(move |p| hook(p));
        }
        options
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// How applying a plan went: one outcome per bot of the plan, in its order.
#[derive(Debug)]
pub struct ApplyReport {
    /// One per bot.
    pub outcomes: Vec<ApplyOutcome>,
}

impl ApplyReport {
    /// Bots whose update (or read, at planning) failed.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_err()).count()
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
                }
                Ok(())
            }
            ApplyError::Refused(e) => write!(f, "the plan is refused, nothing was sent:\n{e}"),
        }
    }
}

impl std::error::Error for ApplyError {}

impl Chatbots {
    /// Applies `plan`. First re-reads every readable bot of the plan: if
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
        let _ = (plan, options.bulk());
        Err(ApplyError::Refused(FleetError {
            problems: vec![super::problem::Problem::new(
                &plan.origin,
                None,
                "apply is not implemented yet",
            )],
        }))
    }
}
