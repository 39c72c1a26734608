//! The fleet file: desired settings per bot, read from YAML with the line
//! of every bot and field, and written back.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use super::problem::{FleetError, Problem};
use super::yaml::{self, Kind, Node};
use crate::model::{BotRef, ChatbotPatch, Field};
use crate::vendors;

/// A parsed fleet file: desired settings per bot (defaults already merged
/// in), in file order.
///
/// Two fleets are equal when their bots are: the file they came from and
/// the lines do not count.
#[derive(Clone, Debug)]
pub struct Fleet {
    origin: String,
    bots: Vec<FleetBot>,
    /// Comment lines written at the top by [`to_yaml`](Fleet::to_yaml).
    header: Vec<String>,
}

impl PartialEq for Fleet {
    fn eq(&self, other: &Self) -> bool {
        self.bots == other.bots
    }
}

/// One bot of a fleet and its desired settings.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FleetBot {
    /// The bot.
    pub bot: BotRef,
    /// Shared fields (defaults merged), as a [`ChatbotPatch`] without its
    /// vendor part.
    pub patch: ChatbotPatch,
    /// The bot's `vendor:` object: the vendor's own update-request fields,
    /// as JSON.
    pub vendor_fields: Map<String, Value>,
    /// The line of the bot's key in the file, counting from 1 (0 when
    /// built in code).
    pub line: usize,
    /// Where each field was set: `name`, `vendor`, `vendor.voice_boost`.
    places: BTreeMap<String, Place>,
}

/// Equal when bot, patch and vendor fields are (lines do not count).
impl PartialEq for FleetBot {
    fn eq(&self, other: &Self) -> bool {
        self.bot == other.bot
            && self.patch == other.patch
            && self.vendor_fields == other.vendor_fields
    }
}

/// Where a field's value came from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Place {
    line: usize,
    /// From `defaults`, not set on the bot itself.
    default: bool,
}

impl FleetBot {
    /// A bot with the given desired settings, as built in code (line 0).
    ///
    /// ```
    /// use chatbots::fleet::FleetBot;
    /// use chatbots::{BotRef, ChatbotPatch, Vendor};
    /// let bot = FleetBot::new(
    ///     BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f"),
    ///     ChatbotPatch::new().name("Support"),
    ///     Default::default(),
    /// );
    /// assert_eq!(bot.line, 0);
    /// ```
    pub fn new(bot: BotRef, patch: ChatbotPatch, vendor_fields: Map<String, Value>) -> Self {
        Self {
            bot,
            patch,
            vendor_fields,
            line: 0,
            places: BTreeMap::new(),
        }
    }

    /// The line and the name to report for `field` (`temperature`,
    /// `vendor.voice_boost`): a value from `defaults` is reported where
    /// the default is, as `defaults.<field>`.
    pub(crate) fn place(&self, field: &str) -> (Option<usize>, String) {
        match self.places.get(field) {
            Some(Place {
                line,
                default: true,
            }) => (Some(*line), format!("defaults.{field}")),
            Some(Place { line, .. }) => (Some(*line), field.to_string()),
            None => {
                // A key inside a vendor object: the object's line.
                let line = field
                    .strip_prefix("vendor.")
                    .and_then(|_| self.places.get("vendor"))
                    .map(|p| p.line)
                    .or((self.line > 0).then_some(self.line));
                (line, field.to_string())
            }
        }
    }

    /// A problem with `field` of this bot, at its line.
    pub(crate) fn problem(&self, origin: &str, field: Option<&str>, rule: String) -> Problem {
        match field {
            Some(field) => {
                let (line, name) = self.place(field);
                Problem::new(origin, line, rule)
                    .bot(self.bot.to_string())
                    .field(name)
            }
            None => Problem::new(origin, (self.line > 0).then_some(self.line), rule)
                .bot(self.bot.to_string()),
        }
    }
}

/// The shared fields a fleet file may set, by the name it uses.
fn shared(name: &str) -> Option<Field> {
    Field::ALL.into_iter().find(|f| f.name() == name)
}

fn shared_names() -> String {
    Field::ALL.map(Field::name).join(", ")
}

/// Sets `field` in `patch` from a YAML value, or says why it cannot.
fn set_field(patch: &mut ChatbotPatch, field: Field, value: &Node) -> Result<(), String> {
    let scalar = value.scalar();
    if field == Field::Temperature {
        return match scalar {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(n) => {
                    patch.temperature = Some(n);
                    Ok(())
                }
                None => Err("must be a number".into()),
            },
            Some(Value::String(t)) => Err(format!("must be a number, not text (`{t}`)")),
            Some(Value::Null) => {
                Err("has no value (leave the field out to keep the vendor's)".into())
            }
            _ => Err("must be a number".into()),
        };
    }
    let text = match scalar {
        Some(Value::String(text)) => text,
        Some(Value::Null) => {
            return Err("has no value (leave the field out to keep the vendor's)".into());
        }
        Some(other) => {
            return Err(format!(
                "must be text: write \"{other}\" in quotes to mean the text"
            ));
        }
        None => return Err("must be text, not a list or a map".into()),
    };
    let slot = match field {
        Field::Name => &mut patch.name,
        Field::Description => &mut patch.description,
        Field::Instructions => &mut patch.instructions,
        Field::Model => &mut patch.model,
        Field::Greeting => &mut patch.greeting,
        Field::Language => &mut patch.language,
        Field::Timezone => &mut patch.timezone,
        // Handled above; kept exhaustive for fields added later.
        Field::Temperature => return Err("must be a number".into()),
    };
    *slot = Some(text);
    Ok(())
}

/// The entries of a map node, or a problem (null counts as empty).
fn entries<'n>(node: &'n Node, what: &str) -> Result<&'n [(Node, Node)], String> {
    match &node.kind {
        Kind::Map(entries) => Ok(entries),
        _ if node.is_null() => Ok(&[]),
        _ => Err(format!("{what} must be a map of keys to values")),
    }
}

impl Fleet {
    /// Parses YAML text; `origin` names the file in errors (e.g.
    /// `fleet.yaml`). Finds structural problems only (syntax, unknown
    /// keys, bad `vendor:id` keys, unknown vendors, duplicate bots, wrong
    /// value types); every problem found is reported, not just the first.
    /// The vendors' own rules are [`Chatbots::check_fleet`](crate::Chatbots::check_fleet)'s.
    ///
    /// ```
    /// use chatbots::fleet::Fleet;
    /// let err = Fleet::parse("bots:\n  okchat:1: {}\n  okchat:1: {}\n", "fleet.yaml").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "fleet.yaml:3: okchat:1: is listed twice (first on line 2)"
    /// );
    /// ```
    pub fn parse(text: &str, origin: &str) -> Result<Fleet, FleetError> {
        let problem = |line: usize, rule: String| Problem::new(origin, Some(line), rule);
        let root = match yaml::parse(text) {
            Ok(root) => root,
            Err(e) => {
                return Err(FleetError {
                    problems: vec![problem(e.line, format!("is not valid YAML: {}", e.message))],
                });
            }
        };
        let mut problems = Vec::new();
        let Some(root) = root else {
            return Err(FleetError {
                problems: vec![problem(
                    1,
                    "is empty: a fleet file lists its bots under `bots:`".into(),
                )],
            });
        };
        let top = match entries(&root, "a fleet file") {
            Ok(top) => top,
            Err(rule) => {
                return Err(FleetError {
                    problems: vec![problem(root.line, rule)],
                });
            }
        };
        let mut defaults: Option<&Node> = None;
        let mut bots: Option<&Node> = None;
        for (key, value) in top {
            let slot = match key.key_text() {
                Some("defaults") => &mut defaults,
                Some("bots") => &mut bots,
                Some(other) => {
                    problems.push(
                        problem(
                            key.line,
                            "unknown key (a fleet file has `defaults` and `bots`)".into(),
                        )
                        .field(other),
                    );
                    continue;
                }
                None => {
                    problems.push(problem(key.line, "a key must be text".into()));
                    continue;
                }
            };
            if let Some(first) = slot {
                problems.push(
                    problem(
                        key.line,
                        format!("is set twice (first on line {})", first.line),
                    )
                    .field(key.key_text().unwrap_or_default()),
                );
                continue;
            }
            *slot = Some(value);
        }

        // Defaults: shared fields only, each with its line.
        let mut default_patch = ChatbotPatch::new();
        let mut default_lines: HashMap<Field, usize> = HashMap::new();
        if let Some(node) = defaults {
            match entries(node, "`defaults`") {
                Err(rule) => problems.push(problem(node.line, rule).field("defaults")),
                Ok(fields) => {
                    for (key, value) in fields {
                        let name = key.key_text().unwrap_or_default();
                        let at = |rule: String| {
                            problem(key.line, rule).field(format!("defaults.{name}"))
                        };
                        match shared(name) {
                            Some(field) => {
                                if let Some(first) = default_lines.get(&field) {
                                    problems.push(at(format!("is set twice (first on line {first})")));
                                } else if let Err(rule) = set_field(&mut default_patch, field, value) {
                                    problems.push(at(rule));
                                } else {
                                    default_lines.insert(field, key.line);
                                }
                            }
                            None if name == "vendor" => problems.push(at(
                                "cannot be a default: each vendor has its own fields; set `vendor` on each bot".into(),
                            )),
                            None => problems.push(at(format!(
                                "unknown field (shared fields are: {})",
                                shared_names()
                            ))),
                        }
                    }
                }
            }
        }

        let mut fleet_bots = Vec::new();
        let mut seen: HashMap<BotRef, usize> = HashMap::new();
        match bots {
            None => problems.push(problem(
                root.line,
                "has no `bots`: a fleet file lists its bots under `bots:`".into(),
            )),
            Some(node) => match entries(node, "`bots`") {
                Err(rule) => problems.push(problem(node.line, rule).field("bots")),
                Ok(entries) => {
                    for (key, value) in entries {
                        // Duplicates by the bot they name, whether or not
                        // the first entry was valid.
                        if let Some(bot) = key
                            .key_text()
                            .and_then(|k| k.parse::<BotRef>().ok())
                            .map(|b| b.canonical())
                        {
                            if let Some(first) = seen.get(&bot) {
                                problems.push(
                                    problem(
                                        key.line,
                                        format!("is listed twice (first on line {first})"),
                                    )
                                    .bot(key.key_text().unwrap_or_default()),
                                );
                                continue;
                            }
                            seen.insert(bot, key.line);
                        }
                        if let Some(bot) = Self::bot(origin, key, value, &mut problems) {
                            fleet_bots.push(bot);
                        }
                    }
                }
            },
        }
        FleetError::check(problems)?;

        for bot in &mut fleet_bots {
            merge_defaults(bot, &default_patch, &default_lines);
        }
        Ok(Fleet {
            origin: origin.to_string(),
            bots: fleet_bots,
            header: Vec::new(),
        })
    }

    /// One bot's entry, or `None` after noting its problems.
    fn bot(
        origin: &str,
        key: &Node,
        value: &Node,
        problems: &mut Vec<Problem>,
    ) -> Option<FleetBot> {
        let text = key.key_text().unwrap_or_default();
        let at = |line: usize, rule: String| Problem::new(origin, Some(line), rule).bot(text);
        let bot: BotRef = match text.parse() {
            Ok(bot) => bot,
            Err(e) => {
                problems.push(at(key.line, e.to_string()));
                return None;
            }
        };
        if let Err(e) = vendors::find(bot.vendor) {
            problems.push(at(key.line, e.message().to_string()));
            return None;
        }
        let before = problems.len();
        let mut fleet_bot = FleetBot::new(bot, ChatbotPatch::new(), Map::new());
        fleet_bot.line = key.line;
        let fields = match entries(value, "a bot") {
            Ok(fields) => fields,
            Err(rule) => {
                problems.push(at(value.line, rule));
                return None;
            }
        };
        for (field_key, field_value) in fields {
            let name = field_key.key_text().unwrap_or_default();
            let line = field_key.line;
            if fleet_bot.places.contains_key(name) {
                let first = fleet_bot.places[name].line;
                problems
                    .push(at(line, format!("is set twice (first on line {first})")).field(name));
                continue;
            }
            if let Some(field) = shared(name) {
                if let Err(rule) = set_field(&mut fleet_bot.patch, field, field_value) {
                    problems.push(at(line, rule).field(name));
                }
            } else if name == "vendor" {
                match entries(field_value, "`vendor`") {
                    Err(rule) => problems.push(at(line, rule).field(name)),
                    Ok(vendor_fields) => {
                        for (vkey, vvalue) in vendor_fields {
                            let vname = vkey.key_text().unwrap_or_default();
                            let dotted = format!("vendor.{vname}");
                            if let Some(first) = fleet_bot.places.get(&dotted) {
                                let rule = format!("is set twice (first on line {})", first.line);
                                problems.push(at(vkey.line, rule).field(dotted));
                                continue;
                            }
                            match vvalue.to_json() {
                                Ok(json) => {
                                    fleet_bot.vendor_fields.insert(vname.to_string(), json);
                                }
                                Err((line, rule)) => problems.push(at(line, rule).field(&dotted)),
                            }
                            fleet_bot.places.insert(
                                dotted,
                                Place {
                                    line: vkey.line,
                                    default: false,
                                },
                            );
                        }
                    }
                }
            } else {
                problems.push(
                    at(
                        line,
                        format!(
                            "unknown field (shared fields are: {}; the vendor's own go under `vendor:`)",
                            shared_names()
                        ),
                    )
                    .field(name),
                );
                continue;
            }
            fleet_bot.places.insert(
                name.to_string(),
                Place {
                    line,
                    default: false,
                },
            );
        }
        (problems.len() == before).then_some(fleet_bot)
    }

    /// Reads and parses a file; errors name it as given.
    pub fn load(path: impl AsRef<Path>) -> Result<Fleet, FleetError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FleetError {
            problems: vec![Problem::new(&origin, None, format!("cannot be read: {e}"))],
        })?;
        Self::parse(&text, &origin)
    }

    /// A fleet of `bots`, as built in code; `origin` names it in errors
    /// and plans.
    pub fn from_bots(origin: impl Into<String>, bots: Vec<FleetBot>) -> Fleet {
        Fleet {
            origin: origin.into(),
            bots,
            header: Vec::new(),
        }
    }

    /// This fleet with `lines` as a comment at the top of
    /// [`to_yaml`](Self::to_yaml) (where it came from, when).
    pub fn with_header(mut self, lines: impl IntoIterator<Item = impl Into<String>>) -> Fleet {
        self.header = lines.into_iter().map(Into::into).collect();
        self
    }

    /// The file it came from, as given.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every bot, in file order.
    pub fn bots(&self) -> &[FleetBot] {
        &self.bots
    }

    /// The fleet as YAML, the format [`parse`](Self::parse) reads: every
    /// bot with its fields (defaults written out on each bot), in order.
    /// `parse(to_yaml(f)) == f`.
    ///
    /// ```
    /// use chatbots::fleet::Fleet;
    /// let fleet = Fleet::parse("bots:\n  okchat:1:\n    name: 'yes'\n    temperature: 0.5\n", "a.yaml").unwrap();
    /// let again = Fleet::parse(&fleet.to_yaml(), "b.yaml").unwrap();
    /// assert_eq!(fleet, again);
    /// ```
    pub fn to_yaml(&self) -> String {
        use serde_norway::{Mapping, Value as Yaml};
        let mut bots = Mapping::new();
        for bot in &self.bots {
            let mut fields = Mapping::new();
            for field in Field::ALL {
                let value = match (field, &bot.patch.temperature) {
                    (Field::Temperature, Some(t)) => Some(Yaml::from(*t)),
                    (Field::Temperature, None) => None,
                    _ => bot.patch.field(field).map(Yaml::String),
                };
                if let Some(value) = value {
                    fields.insert(Yaml::String(field.name().into()), value);
                }
            }
            if !bot.vendor_fields.is_empty() {
                // JSON always has a YAML form.
                let vendor = serde_norway::to_value(&bot.vendor_fields).unwrap_or(Yaml::Null);
                fields.insert(Yaml::String("vendor".into()), vendor);
            }
            bots.insert(Yaml::String(bot.bot.to_string()), Yaml::Mapping(fields));
        }
        let mut root = Mapping::new();
        root.insert(Yaml::String("bots".into()), Yaml::Mapping(bots));
        // A header line with a line break would end the comment.
        let mut out: String = self
            .header
            .iter()
            .map(|l| format!("# {}\n", l.replace(['\n', '\r'], " ")))
            .collect();
        // A mapping of text and numbers always serialises.
        out.push_str(&serde_norway::to_string(&Yaml::Mapping(root)).unwrap_or_default());
        out
    }
}

/// Sets every default the bot does not set itself, where its vendor
/// supports the field (see the module docs).
fn merge_defaults(bot: &mut FleetBot, defaults: &ChatbotPatch, lines: &HashMap<Field, usize>) {
    let Ok(registered) = vendors::find(bot.bot.vendor) else {
        return;
    };
    for field in Field::ALL {
        if bot.patch.sets(field) || (registered.field)(field).is_none() {
            continue;
        }
        let Some(line) = lines.get(&field) else {
            continue;
        };
        let from = defaults.clone();
        match field {
            Field::Name => bot.patch.name = from.name,
            Field::Description => bot.patch.description = from.description,
            Field::Instructions => bot.patch.instructions = from.instructions,
            Field::Model => bot.patch.model = from.model,
            Field::Temperature => bot.patch.temperature = from.temperature,
            Field::Greeting => bot.patch.greeting = from.greeting,
            Field::Language => bot.patch.language = from.language,
            Field::Timezone => bot.patch.timezone = from.timezone,
        }
        bot.places.insert(
            field.name().to_string(),
            Place {
                line: *line,
                default: true,
            },
        );
    }
}
