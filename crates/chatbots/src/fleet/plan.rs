//! The plan: per bot and field, what applying the fleet would change.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use serde_json::Map;

use super::compare::{self, Verdict};
use super::file::FleetBot;
use super::read::{self, State};
use crate::model::{BotRef, Chatbot, Field};

/// The version of the plan format [`Plan::format`] holds.
pub const PLAN_FORMAT: u32 = 1;

/// A progress hook: (bots whose state is known, bots in the fleet).
type ReadHook = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// How [`Chatbots::plan`](crate::Chatbots::plan) and
/// [`Chatbots::export`](crate::Chatbots::export) run.
///
/// ```
/// use chatbots::fleet::PlanOptions;
/// let options = PlanOptions::new().on_progress(|done, total| eprintln!("{done}/{total}"));
/// # drop(options);
/// ```
#[derive(Clone, Default)]
pub struct PlanOptions {
    pub(crate) progress: Option<ReadHook>,
}

impl PlanOptions {
    /// The defaults: no progress hook.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `hook(done, total)` after each bot's state is known: drives a
    /// progress bar.
    pub fn on_progress(mut self, hook: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(hook));
        self
    }
}

impl fmt::Debug for PlanOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlanOptions")
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What applying a fleet would change, bot by bot and field by field.
/// Saved as JSON (`serde_json::to_string(&plan)`) it can be applied later
/// exactly as approved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The plan format's version: [`PLAN_FORMAT`].
    pub format: u32,
    /// The fleet file it came from.
    pub origin: String,
    /// Every bot of the fleet, in its order.
    pub bots: Vec<BotPlan>,
}

/// One bot of a [`Plan`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotPlan {
    /// The bot, as `vendor:id`.
    pub bot: BotRef,
    /// The line of the bot in the fleet file (0: built in code).
    pub line: usize,
    /// Shared fields in [`Field::ALL`](crate::Field::ALL) order, then
    /// vendor fields (`vendor.<key>`) in key order.
    pub fields: Vec<FieldPlan>,
    /// What the read said of the compared fields, to detect a stale plan
    /// (`None`: the vendor cannot read this bot).
    pub current: Option<Value>,
    /// Why reading the bot failed; the bot is then not applied.
    pub error: Option<String>,
}

impl BotPlan {
    /// Whether applying would send anything for this bot.
    pub fn has_changes(&self) -> bool {
        self.error.is_none() && self.fields.iter().any(|f| f.change.sends())
    }
}

/// One field of a [`BotPlan`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldPlan {
    /// `greeting`, or `vendor.voice_boost`.
    pub field: String,
    /// What would happen to it.
    #[serde(flatten)]
    pub change: Change,
}

/// What applying would do to one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// It already has the desired value.
    Unchanged {
        /// The value.
        value: Value,
    },
    /// It would change from `old` to `new`.
    Update {
        /// The value now.
        old: Value,
        /// The desired value.
        new: Value,
    },
    /// The vendor cannot read the current value; it is sent.
    Unknown {
        /// The desired value.
        new: Value,
    },
}

impl Change {
    /// Whether applying sends it.
    pub fn sends(&self) -> bool {
        !matches!(self, Change::Unchanged { .. })
    }

    /// The desired value.
    pub fn desired(&self) -> &Value {
        match self {
            Change::Unchanged { value } => value,
            Change::Update { new, .. } | Change::Unknown { new } => new,
        }
    }
}

/// Counts of a [`Plan`]'s bots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Every bot.
    pub bots: usize,
    /// Bots with nothing to change.
    pub unchanged: usize,
    /// Bots with at least one update.
    pub to_change: usize,
    /// Bots with fields of unknown value but no update.
    pub unknown: usize,
    /// Bots whose read failed.
    pub failed: usize,
}

impl Plan {
    /// How many bots change, are unknown, unchanged or failed.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            bots: self.bots.len(),
            ..Summary::default()
        };
        for bot in &self.bots {
            let updates = bot
                .fields
                .iter()
                .any(|f| matches!(f.change, Change::Update { .. }));
            let unknown = bot
                .fields
                .iter()
                .any(|f| matches!(f.change, Change::Unknown { .. }));
            if bot.error.is_some() {
                summary.failed += 1;
            } else if updates {
                summary.to_change += 1;
            } else if unknown {
                summary.unknown += 1;
            } else {
                summary.unchanged += 1;
            }
        }
        summary
    }

    /// Whether applying would send anything (any update or unknown value).
    pub fn has_changes(&self) -> bool {
        self.bots.iter().any(BotPlan::has_changes)
    }
}

/// Plain text, Terraform-like and deterministic: each bot with something
/// to change (`~ okchat:…`) and its fields, an update as two lines
/// (`  - greeting: "old"` then `  + greeting: "new"`), an unknown value as
/// one (`  ? language: (current value unknown) + "en"`); then each bot
/// whose read failed (`! puretalk:…: cannot be read, not applied: …`);
/// then the summary line. No colour codes: a terminal front end colours
/// lines starting with `-` / `+`.
///
/// ```
/// use chatbots::fleet::Plan;
/// let plan = Plan { format: 1, origin: "fleet.yaml".into(), bots: vec![] };
/// assert_eq!(plan.to_string(), "No changes. 0 bots: 0 to change, 0 unknown, 0 unchanged, 0 failed.\n");
/// ```
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for bot in &self.bots {
            if !bot.has_changes() {
                continue;
            }
            writeln!(f, "~ {}", bot.bot)?;
            for field in &bot.fields {
                match &field.change {
                    Change::Unchanged { .. } => {}
                    Change::Update { old, new } => {
                        writeln!(f, "  - {}: {old}", field.field)?;
                        writeln!(f, "  + {}: {new}", field.field)?;
                    }
                    Change::Unknown { new } => {
                        writeln!(f, "  ? {}: (current value unknown) + {new}", field.field)?;
                    }
                }
            }
        }
        for bot in &self.bots {
            if let Some(error) = &bot.error {
                writeln!(f, "! {}: cannot be read, not applied: {error}", bot.bot)?;
            }
        }
        let s = self.summary();
        let lead = if self.has_changes() {
            "Plan:"
        } else {
            "No changes."
        };
        writeln!(
            f,
            "{lead} {} bots: {} to change, {} unknown, {} unchanged, {} failed.",
            s.bots, s.to_change, s.unknown, s.unchanged, s.failed
        )
    }
}

impl crate::Chatbots {
    /// Checks `fleet` ([`check_fleet`](crate::Chatbots::check_fleet)),
    /// then reads every bot's current state (a complete listing per vendor
    /// that lists, paced; `get` for bots it lacks and at vendors without a
    /// list; nothing at a vendor that cannot read) and compares field by
    /// field. `Err` only when the fleet is refused; a bot whose read fails
    /// is in the plan as failed.
    ///
    /// ```no_run
    /// use chatbots::Chatbots;
    /// use chatbots::fleet::{ApplyOptions, Fleet, PlanOptions};
    ///
    /// # async fn demo(bots: Chatbots) -> Result<(), Box<dyn std::error::Error>> {
    /// let fleet = Fleet::load("fleet.yaml")?;
    /// let plan = bots.plan(&fleet, &PlanOptions::new()).await?;
    /// print!("{plan}");
    /// std::fs::write("plan.json", serde_json::to_string_pretty(&plan)?)?;
    /// // Later, once approved:
    /// let plan = serde_json::from_str(&std::fs::read_to_string("plan.json")?)?;
    /// let report = bots.apply(&plan, &ApplyOptions::new()).await?;
    /// println!("{} changed, {} failed", report.changed(), report.failed());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn plan(
        &self,
        fleet: &super::Fleet,
        options: &PlanOptions,
    ) -> Result<Plan, super::FleetError> {
        self.check_fleet(fleet)?;
        let refs: Vec<BotRef> = fleet.bots().iter().map(|b| b.bot.clone()).collect();
        let states = read::read_all(self, &refs, options).await;
        Ok(Plan {
            format: PLAN_FORMAT,
            origin: fleet.origin().to_string(),
            bots: fleet
                .bots()
                .iter()
                .zip(states)
                .map(|(bot, state)| bot_plan(bot, state))
                .collect(),
        })
    }
}

/// The desired value of each field a bot sets: shared fields in
/// [`Field::ALL`] order, then vendor fields as `vendor.<key>`.
fn desired(bot: &FleetBot) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for field in Field::ALL {
        let value = match field {
            Field::Temperature => bot
                .patch
                .temperature
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            _ => bot.patch.field(field).map(Value::String),
        };
        if let Some(value) = value {
            out.push((field.name().to_string(), value));
        }
    }
    for (key, value) in &bot.vendor_fields {
        out.push((format!("vendor.{key}"), value.clone()));
    }
    out
}

/// One bot's plan from its desired fields and what is known of it now.
fn bot_plan(bot: &FleetBot, state: State) -> BotPlan {
    let wanted = desired(bot);
    let unknown = |wanted: Vec<(String, Value)>| -> Vec<FieldPlan> {
        wanted
            .into_iter()
            .map(|(field, new)| FieldPlan {
                field,
                change: Change::Unknown { new },
            })
            .collect()
    };
    let (fields, current, error) = match state {
        State::Read(found) => {
            let (fields, snapshot) = compare(&found, wanted);
            (fields, Some(Value::Object(snapshot)), None)
        }
        State::Unreadable => (unknown(wanted), None, None),
        State::Failed(e) => (unknown(wanted), None, Some(e.to_string())),
    };
    BotPlan {
        bot: bot.bot.clone(),
        line: bot.line,
        fields,
        current,
        error,
    }
}

/// Each wanted field against the bot as read, and the snapshot of the
/// values compared (fields not reported are left out).
pub(crate) fn compare(
    found: &Chatbot,
    wanted: Vec<(String, Value)>,
) -> (Vec<FieldPlan>, Map<String, Value>) {
    let mut snapshot = Map::new();
    let fields = wanted
        .into_iter()
        .map(|(field, new)| {
            let change = match compare::current(found, &field) {
                None => Change::Unknown { new },
                Some(have) => {
                    let old = compare::project(&new, &have);
                    snapshot.insert(field.clone(), old.clone());
                    match compare::verdict(&new, &have) {
                        Verdict::Same => Change::Unchanged { value: new },
                        Verdict::Differs => Change::Update { old, new },
                        Verdict::Unknown => Change::Unknown { new },
                    }
                }
            };
            FieldPlan { field, change }
        })
        .collect();
    (fields, snapshot)
}
