//! The plan: per bot and field, what applying the fleet would change.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use serde_json::Map;

use super::compare::{self, Verdict};
use super::file::FleetBot;
use super::file::{MAX_FILE_BYTES, read_limited, too_large};
use super::problem::{FleetError, Problem};
use super::read::{self, State};
use crate::model::{BotRef, Chatbot};

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
///
/// The JSON carries a `digest` of everything else in it, and is read back
/// ([`Plan::load`], [`Plan::from_json`], or any serde `Deserialize`) only
/// as written: a plan whose bots were added, removed or edited, with an
/// unknown key, or without the `current` snapshot of a bot its vendor can
/// read, is refused whole. The digest (FNV-1a, not a secret) guards
/// against edits, not against someone who recomputes it.
///
/// ```
/// use chatbots::fleet::Plan;
/// let plan = Plan { format: 1, origin: "fleet.yaml".into(), bots: vec![] };
/// let saved = serde_json::to_string(&plan).unwrap();
/// assert_eq!(Plan::from_json(&saved, "plan.json").unwrap(), plan);
/// let edited = saved.replace("fleet.yaml", "other.yaml");
/// let err = Plan::from_json(&edited, "plan.json").unwrap_err().to_string();
/// assert!(err.contains("`digest` does not match"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq)]
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
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BotPlan {
    /// The bot, as `vendor:id` or `vendor@account:id`.
    pub bot: BotRef,
    /// The line of the bot in the fleet file (0: built in code).
    pub line: usize,
    /// Shared fields in [`Field::ALL`](crate::Field::ALL) order, then
    /// vendor fields (`vendor.<key>`) in key order.
    pub fields: Vec<FieldPlan>,
    /// What the read said of the compared fields, to detect a stale plan
    /// (`None`: the vendor cannot read this bot, or reading it failed).
    /// Required in a plan file, if only as `null`.
    #[serde(deserialize_with = "required")]
    pub current: Option<Value>,
    /// Why reading the bot failed; the bot is then not applied.
    pub error: Option<String>,
}

impl BotPlan {
    /// Whether applying would send anything for this bot.
    pub fn has_changes(&self) -> bool {
        self.error.is_none() && self.fields.iter().any(|f| f.change.sends())
    }

    /// Why this bot cannot be applied as planned, if it cannot: a bot read
    /// without error has the snapshot it was compared against, unless its
    /// vendor cannot read at all (a plan without it would skip the stale
    /// check).
    pub(crate) fn snapshot_rule(&self) -> Option<String> {
        if self.error.is_some() {
            return None;
        }
        let reads = crate::vendors::find(self.bot.vendor)
            .is_ok_and(|r| r.get_operation.is_some() || r.list_operation.is_some());
        match &self.current {
            None if reads => Some(format!(
                "has no `current` snapshot, but {} reads its bots: the plan was edited; plan again",
                self.bot.vendor
            )),
            Some(current) if !current.is_object() => {
                Some("`current` is not an object: the plan was edited; plan again".to_string())
            }
            _ => None,
        }
    }
}

/// A field that must be present, even when `null` (serde takes a missing
/// `Option` as `None` otherwise).
fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Option::<Value>::deserialize(deserializer)
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

/// A plan as its file holds it.
#[derive(Serialize)]
struct PlanOut<'a> {
    format: u32,
    origin: &'a str,
    digest: String,
    bots: &'a [BotPlan],
}

/// A plan file as read: every key known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanIn {
    format: u32,
    origin: String,
    digest: Option<String>,
    bots: Vec<BotPlan>,
}

/// What the digest covers: everything in the file but the digest.
#[derive(Serialize)]
struct Digested<'a> {
    format: u32,
    origin: &'a str,
    bots: &'a [BotPlan],
}

/// 64-bit FNV-1a over what is written to it: stable across versions and
/// platforms, which `std`'s hasher does not promise.
struct Fnv(u64);

impl io::Write for Fnv {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The digest of a plan's format, origin and bots as compact JSON. The
/// JSON reads back to the same values (serde_json's `float_roundtrip`), so
/// an unedited file gives the digest it carries.
fn digest(format: u32, origin: &str, bots: &[BotPlan]) -> Result<String, serde_json::Error> {
    let mut fnv = Fnv(0xcbf2_9ce4_8422_2325);
    serde_json::to_writer(
        &mut fnv,
        &Digested {
            format,
            origin,
            bots,
        },
    )?;
    Ok(format!("fnv1a64:{:016x}", fnv.0))
}

/// With its `digest`.
impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let digest =
            digest(self.format, &self.origin, &self.bots).map_err(serde::ser::Error::custom)?;
        PlanOut {
            format: self.format,
            origin: &self.origin,
            digest,
            bots: &self.bots,
        }
        .serialize(serializer)
    }
}

/// Only as written: see [`Plan`].
impl<'de> Deserialize<'de> for Plan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let read = PlanIn::deserialize(deserializer)?;
        if read.format != PLAN_FORMAT {
            return Err(D::Error::custom(format!(
                "`format` is {}; this version reads format {PLAN_FORMAT}: plan again",
                read.format
            )));
        }
        for (index, bot) in read.bots.iter().enumerate() {
            if let Some(rule) = bot.snapshot_rule() {
                return Err(D::Error::custom(format!(
                    "`bots[{index}]` ({}, fleet line {}) {rule}",
                    bot.bot, bot.line
                )));
            }
        }
        let Some(carried) = read.digest else {
            return Err(D::Error::custom(
                "has no `digest`: not a plan written by `Chatbots::plan`; plan again",
            ));
        };
        let digest = digest(read.format, &read.origin, &read.bots).map_err(D::Error::custom)?;
        if carried != digest {
            return Err(D::Error::custom(
                "the `digest` does not match the plan: bots were added, removed or edited since it was written; plan again",
            ));
        }
        Ok(Plan {
            format: read.format,
            origin: read.origin,
            bots: read.bots,
        })
    }
}

impl Plan {
    /// Reads a plan file written from [`Plan`]'s JSON, as written (see
    /// [`Plan`]); a file of more than [`MAX_FILE_BYTES`] is refused unread
    /// ([`read_limited`]). Errors name the file and, where known, the line.
    pub fn load(path: impl AsRef<Path>) -> Result<Plan, FleetError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = read_limited(path).map_err(|e| FleetError {
            problems: vec![Problem::new(&origin, None, format!("cannot be read: {e}"))],
        })?;
        Self::from_json(&text, &origin)
    }

    /// Reads a plan from its JSON text, as written (see [`Plan`]);
    /// `origin` names the file in errors. Text of more than
    /// [`MAX_FILE_BYTES`] is refused unread.
    pub fn from_json(text: &str, origin: &str) -> Result<Plan, FleetError> {
        let refused = |line: Option<usize>, rule: String| FleetError {
            problems: vec![Problem::new(origin, line, rule)],
        };
        if text.len() > MAX_FILE_BYTES {
            return Err(refused(None, format!("is {}", too_large())));
        }
        // serde_json refuses nesting deeper than 128: no stack overflow.
        serde_json::from_str(text).map_err(|e| {
            let at = format!(" at line {} column {}", e.line(), e.column());
            let message = e.to_string();
            let rule = message.strip_suffix(&at).unwrap_or(&message);
            refused(
                (e.line() > 0).then_some(e.line()),
                format!("is not a plan file as written: {rule}"),
            )
        })
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
    /// let plan = chatbots::fleet::Plan::load("plan.json")?;
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
        let mut problems = match self.check_fleet(fleet) {
            Ok(()) => Vec::new(),
            Err(e) => e.problems,
        };
        problems.extend(identity_problems(self, fleet));
        FleetError::check(problems)?;
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

/// What [`Fleet::parse`](super::Fleet::parse) refuses of ids, for a fleet
/// built in code ([`Fleet::from_bots`](super::Fleet::from_bots)): an id
/// that would act on a terminal or forge a line of the plan, one bot
/// listed twice.
fn identity_problems(bots_client: &crate::Chatbots, fleet: &super::Fleet) -> Vec<Problem> {
    let bots = fleet.bots();
    let origin = fleet.origin();
    let bad_ids = bots.iter().filter_map(|bot| {
        let rule = crate::model::id_refusal(&bot.bot)?;
        Some(bot.problem(origin, None, rule))
    });
    let twice = bots_client
        .repeats(bots.iter().map(|b| &b.bot))
        .into_iter()
        .map(|(index, first)| {
            let through = crate::client::through_two_names(&bots[first].bot, &bots[index].bot);
            let rule = match bots[first].line {
                0 => format!(
                    "is listed twice (first as bot {} of the fleet){through}",
                    first + 1
                ),
                line => format!("is listed twice (first on line {line}){through}"),
            };
            bots[index].problem(origin, None, rule)
        });
    bad_ids.chain(twice).collect()
}

/// The desired value of each field a bot sets: shared fields in
/// [`Field::ALL`](crate::Field::ALL) order, then vendor fields as `vendor.<key>`.
fn desired(bot: &FleetBot) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (field, value) in bot.patch.fields() {
        // A number JSON cannot hold (NaN) is no desired value; the fleet's
        // check refuses it.
        let value = value.to_json();
        if !value.is_null() {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::model::Vendor;

    fn plan_of(current: Value, new: Value, text: String) -> Plan {
        Plan {
            format: PLAN_FORMAT,
            origin: text.clone(),
            bots: vec![BotPlan {
                bot: BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f"),
                line: 2,
                fields: vec![FieldPlan {
                    field: "vendor.x".into(),
                    change: Change::Update {
                        old: current.clone(),
                        new,
                    },
                }],
                current: Some(json!({ "vendor.x": current, "text": text })),
                error: None,
            }],
        }
    }

    proptest! {
        /// Any values, floats of every magnitude included, read back to the
        /// digest they were written with: an unedited plan is never refused.
        #[test]
        fn a_written_plan_always_reads_back(
            a in any::<f64>().prop_filter("finite", |f| f.is_finite()),
            b in any::<f64>().prop_filter("finite", |f| f.is_finite()),
            n in any::<i64>(),
            text in "\\PC*",
        ) {
            let plan = plan_of(json!([a, n]), json!({ "b": b }), text);
            let saved = serde_json::to_string(&plan).expect("serialises");
            let again = Plan::from_json(&saved, "plan.json").expect("reads back");
            prop_assert_eq!(again, plan);
        }
    }
}
