//! The fleet file: desired settings per bot, read from YAML with the line
//! of every bot and field, and written back.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use super::check::Rules;
use super::defaults::{self, AccountDefaults, Defaults};
use super::problem::{FleetError, Problem, closest};
use super::yaml::{self, Kind, Node};
use crate::account::AccountRef;
use crate::field::{FieldKind, FieldValue};
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
    /// Whether every bot already passed the vendors' rules (a parsed
    /// fleet: [`Fleet::parse`] checks them; no API changes a fleet's bots
    /// after), so that `check_fleet` does not run them again.
    pub(crate) rules_checked: bool,
    /// Each account `account_defaults` names, with the line of its key:
    /// `check_fleet` refuses one the client does not know.
    pub(crate) accounts_named: Vec<(AccountRef, usize)>,
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
    places: Places,
}

/// Equal when bot, patch and vendor fields are (lines do not count).
impl PartialEq for FleetBot {
    fn eq(&self, other: &Self) -> bool {
        self.bot == other.bot
            && self.patch == other.patch
            && self.vendor_fields == other.vendor_fields
    }
}

/// Where each field of a bot was set, by name: sorted pairs rather than a
/// map, as a fleet holds one per bot and a map's first node alone costs
/// hundreds of bytes. Built whole from the map the bot's parse fills,
/// then added to only by the defaults (at most one per shared field).
#[derive(Clone, Debug, Default)]
pub(super) struct Places(Vec<(Box<str>, Place)>);

impl Places {
    fn get(&self, name: &str) -> Option<&Place> {
        let found = self.0.binary_search_by(|(k, _)| (**k).cmp(name)).ok()?;
        Some(&self.0[found].1)
    }

    pub(super) fn insert(&mut self, name: &str, place: Place) {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(name)) {
            Ok(at) => self.0[at].1 = place,
            Err(at) => self.0.insert(at, (name.into(), place)),
        }
    }
}

impl From<BTreeMap<String, Place>> for Places {
    fn from(map: BTreeMap<String, Place>) -> Self {
        // A map iterates in order: already sorted.
        Places(map.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// Where a field's value came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Place {
    pub(super) line: usize,
    pub(super) source: Source,
}

/// Which part of the file set a bot's field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Source {
    /// The bot itself.
    Bot,
    /// Its account's entry under `account_defaults`.
    Account,
    /// `defaults`.
    Defaults,
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
            places: Places::default(),
        }
    }

    /// The line and the name to report for `field` (`temperature`,
    /// `vendor.voice_boost`): a value from `defaults` is reported where
    /// the default is, as `defaults.<field>`; one from its account's
    /// defaults as `account_defaults.<account>.<field>`.
    pub(crate) fn place(&self, field: &str) -> (Option<usize>, String) {
        match self.places.get(field) {
            Some(Place {
                line,
                source: Source::Defaults,
            }) => (Some(*line), format!("defaults.{field}")),
            Some(Place {
                line,
                source: Source::Account,
            }) => (
                Some(*line),
                format!("account_defaults.{}.{field}", self.bot.account_ref()),
            ),
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

    /// Where each field was set, for the defaults to add to.
    pub(super) fn places_mut(&mut self) -> &mut Places {
        &mut self.places
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
pub(super) fn shared(name: &str) -> Option<Field> {
    Field::from_name(name)
}

fn shared_names() -> String {
    Field::ALL.map(Field::name).join(", ")
}

/// `unknown field`, with the shared field `name` is likely a typo of.
pub(super) fn unknown_shared(name: &str, also: &str) -> String {
    let near = closest(name, Field::ALL.map(Field::name))
        .map(|near| format!("did you mean `{near}`? "))
        .unwrap_or_default();
    format!(
        "unknown field ({near}shared fields are: {}{also})",
        shared_names()
    )
}

/// The largest fleet file or plan read: 64 MiB, about a million bots.
/// Reading, parsing and checking take memory and time linear in the
/// file's size; this bounds them for a file that is not a fleet at all
/// (a log, a disk image), refused before it is read.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// Reads a fleet file or a plan as text, refusing one larger than
/// [`MAX_FILE_BYTES`] before reading it whole (a file that grows while
/// read included): the error says so, as [`std::io::ErrorKind::InvalidData`].
///
/// ```
/// let path = std::env::temp_dir().join("read_limited_doc.yaml");
/// std::fs::write(&path, "bots: {}\n").unwrap();
/// assert_eq!(chatbots::fleet::read_limited(&path).unwrap(), "bots: {}\n");
/// ```
pub fn read_limited(path: impl AsRef<Path>) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    // A file's size says it before a byte is read; a device or a pipe is
    // read up to the limit and no further.
    if file
        .metadata()
        .is_ok_and(|m| m.len() > MAX_FILE_BYTES as u64)
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            too_large(),
        ));
    }
    let mut text = String::new();
    // One byte more than allowed tells a file at the limit from a larger one.
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_string(&mut text)?;
    if text.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            too_large(),
        ));
    }
    Ok(text)
}

/// Why a file is refused for its size (after "cannot be read: " or "is ").
pub(super) fn too_large() -> String {
    format!(
        "larger than {} MiB, the limit for a fleet file or plan",
        MAX_FILE_BYTES >> 20
    )
}

/// Sets `field` in `patch` from a YAML value, or says why it cannot.
pub(super) fn set_field(
    patch: &mut ChatbotPatch,
    field: Field,
    value: &Node,
) -> Result<(), String> {
    let value = match (field.kind(), value.scalar()) {
        (_, Some(Value::Null)) => {
            return Err("has no value (leave the field out to keep the vendor's)".into());
        }
        (FieldKind::Number, Some(Value::Number(n))) => {
            FieldValue::Number(n.as_f64().ok_or("must be a number")?)
        }
        (FieldKind::Number, Some(Value::String(t))) => {
            return Err(format!("must be a number, not text (`{t}`)"));
        }
        (FieldKind::Number, _) => return Err("must be a number".into()),
        (FieldKind::Text, Some(Value::String(text))) => FieldValue::Text(text),
        (FieldKind::Text, Some(other)) => {
            return Err(format!(
                "must be text: write \"{other}\" in quotes to mean the text"
            ));
        }
        (FieldKind::Text, None) => return Err("must be text, not a list or a map".into()),
    };
    patch.set(field, value).map_err(|e| e.to_string())
}

/// The entries of a map node, taken, or the line and rule of a problem
/// (null counts as empty).
fn into_entries(node: Node, what: &str) -> Result<Vec<(Node, Node)>, (usize, String)> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    match node.kind {
        Kind::Map(entries) => Ok(entries),
        _ => Err((node.line, format!("{what} must be a map of keys to values"))),
    }
}

/// The entries of a map node, or a problem (null counts as empty).
pub(super) fn entries<'n>(node: &'n Node, what: &str) -> Result<&'n [(Node, Node)], String> {
    match &node.kind {
        Kind::Map(entries) => Ok(entries),
        _ if node.is_null() => Ok(&[]),
        _ => Err(format!("{what} must be a map of keys to values")),
    }
}

impl Fleet {
    /// Parses YAML text; `origin` names the file in errors (e.g.
    /// `fleet.yaml`). Finds every problem of the file in one run: its
    /// structure (syntax, unknown keys, bad `vendor:id` or
    /// `vendor@account:id` keys and `account_defaults` accounts, account
    /// names that break the rule, unknown vendors, duplicate bots, wrong
    /// value types) and the vendors' rules (fields a vendor lacks, values
    /// outside its ranges or enums, vendor fields its update request does
    /// not have); one bot's problems hide none of another's. Only the
    /// accounts (known to the client, with their secrets) are left to
    /// [`Chatbots::check_fleet`](crate::Chatbots::check_fleet).
    ///
    /// Bounded for any text: at most [`MAX_FILE_BYTES`]; nested at most
    /// 64 levels deep; anchors and aliases may copy at most 2 nodes or
    /// bytes per byte of the file (plus 64 Ki), so that a "billion laughs"
    /// is refused at the alias that goes beyond. Memory and time are
    /// linear in the text's length.
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
        if text.len() > MAX_FILE_BYTES {
            return Err(FleetError {
                problems: vec![Problem::new(origin, None, format!("is {}", too_large()))],
            });
        }
        let root = match yaml::parse(text) {
            Ok(root) => root,
            Err(e) => {
                return Err(FleetError {
                    problems: vec![problem(e.line, e.message)],
                });
            }
        };
        let mut problems = Vec::new();
        let Some(mut root) = root else {
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
        // Where `defaults`, `account_defaults` and `bots` are in `top`.
        let mut defaults: Option<usize> = None;
        let mut account_defaults: Option<usize> = None;
        let mut bots: Option<usize> = None;
        for (at, (key, _)) in top.iter().enumerate() {
            let slot = match key.key_text() {
                Some("defaults") => &mut defaults,
                Some("account_defaults") => &mut account_defaults,
                Some("bots") => &mut bots,
                Some(other) => {
                    problems.push(
                        problem(
                            key.line,
                            "unknown key (a fleet file has `defaults`, `account_defaults` and `bots`)"
                                .into(),
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
                        format!("is set twice (first on line {})", top[*first].1.line),
                    )
                    .field(key.key_text().unwrap_or_default()),
                );
                continue;
            }
            *slot = Some(at);
        }

        // Defaults, fleet-wide and per account: shared fields only, each
        // with its line.
        let fleet_wide = match defaults.map(|at| &top[at].1) {
            Some(node) => Defaults::read(origin, node, "defaults", None, &mut problems),
            None => Defaults::default(),
        };
        let per_account = match account_defaults.map(|at| &top[at].1) {
            Some(node) => AccountDefaults::read(origin, node, &mut problems),
            None => AccountDefaults::default(),
        };

        // The bots are taken out of the tree and each one's nodes dropped
        // once read, so that the tree and the fleet are not both whole in
        // memory at once.
        let bots = bots.and_then(|at| match &mut root.kind {
            Kind::Map(top) => top.get_mut(at).map(|(_, value)| std::mem::take(value)),
            _ => None,
        });
        let mut fleet_bots = Vec::new();
        // Whether each bot was read whole (see `Rules::problems`).
        let mut whole = Vec::new();
        let mut seen: HashMap<BotRef, usize> = HashMap::new();
        match bots {
            None => problems.push(problem(
                root.line,
                "has no `bots`: a fleet file lists its bots under `bots:`".into(),
            )),
            Some(node) => match into_entries(node, "`bots`") {
                Err((line, rule)) => problems.push(problem(line, rule).field("bots")),
                Ok(entries) => {
                    fleet_bots.reserve_exact(entries.len());
                    whole.reserve_exact(entries.len());
                    for (key, value) in entries {
                        let (key, value) = (&key, &value);
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
                            fleet_bots.push(bot.0);
                            whole.push(bot.1);
                        }
                    }
                }
            },
        }
        // The vendors' rules, for every bot read, whole or in part: a
        // problem elsewhere in the file hides none of them.
        let mut rules = Rules::default();
        for (bot, whole) in fleet_bots.iter_mut().zip(whole) {
            defaults::merge(bot, &per_account, &fleet_wide);
            problems.extend(rules.problems(origin, bot, whole));
        }
        FleetError::check(problems)?;
        Ok(Fleet {
            origin: origin.to_string(),
            bots: fleet_bots,
            header: Vec::new(),
            rules_checked: true,
            accounts_named: per_account.named(),
        })
    }

    /// One bot's entry after noting its problems: `None` when it names no
    /// bot or holds no fields, else the bot with the fields that are
    /// well-formed, and whether that is all of them.
    fn bot(
        origin: &str,
        key: &Node,
        value: &Node,
        problems: &mut Vec<Problem>,
    ) -> Option<(FleetBot, bool)> {
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
        let mut places: BTreeMap<String, Place> = BTreeMap::new();
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
            if let Some(first) = places.get(name).map(|p| p.line) {
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
                            if let Some(first) = places.get(&dotted) {
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
                            places.insert(
                                dotted,
                                Place {
                                    line: vkey.line,
                                    source: Source::Bot,
                                },
                            );
                        }
                    }
                }
            } else {
                problems.push(
                    at(
                        line,
                        unknown_shared(name, "; the vendor's own go under `vendor:`"),
                    )
                    .field(name),
                );
                continue;
            }
            places.insert(
                name.to_string(),
                Place {
                    line,
                    source: Source::Bot,
                },
            );
        }
        fleet_bot.places = places.into();
        Some((fleet_bot, problems.len() == before))
    }

    /// Reads and parses a file; errors name it as given.
    pub fn load(path: impl AsRef<Path>) -> Result<Fleet, FleetError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = read_limited(path).map_err(|e| FleetError {
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
            rules_checked: false,
            accounts_named: Vec::new(),
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
    /// bot with its fields (defaults and account defaults written out on
    /// each bot; each bot keyed `vendor:id` or `vendor@account:id`), in order.
    /// `parse(to_yaml(f)) == f`.
    ///
    /// ```
    /// use chatbots::fleet::Fleet;
    /// let fleet = Fleet::parse("bots:\n  converza:1:\n    name: 'yes'\n    temperature: 0.5\n", "a.yaml").unwrap();
    /// let again = Fleet::parse(&fleet.to_yaml(), "b.yaml").unwrap();
    /// assert_eq!(fleet, again);
    /// ```
    pub fn to_yaml(&self) -> String {
        // Written by hand rather than by a YAML serialiser: every text is
        // written so that `parse` reads back exactly it (see
        // `yaml::write_text`), which serde_norway's emitter does not do
        // for line separators (it breaks the line there and indents).
        // Each line break in the header would end the comment.
        let mut out: String = self
            .header
            .iter()
            .map(|l| {
                format!(
                    "# {}\n",
                    l.replace(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'], " ")
                )
            })
            .collect();
        out.push_str("bots:");
        if self.bots.is_empty() {
            out.push_str(" {}");
        }
        for bot in &self.bots {
            out.push_str("\n  ");
            yaml::write_key(&bot.bot.to_string(), 2, &mut out);
            let empty =
                !Field::ALL.into_iter().any(|f| bot.patch.sets(f)) && bot.vendor_fields.is_empty();
            if empty {
                out.push_str(" {}");
            }
            for (field, value) in bot.patch.fields() {
                out.push_str("\n    ");
                out.push_str(field.name());
                out.push_str(": ");
                match value {
                    // JSON's shortest form; YAML's for the non-finite.
                    FieldValue::Number(t) => out.push_str(&match serde_json::Number::from_f64(t) {
                        Some(n) => n.to_string(),
                        None if t.is_nan() => ".nan".to_string(),
                        None if t > 0.0 => ".inf".to_string(),
                        None => "-.inf".to_string(),
                    }),
                    FieldValue::Text(text) => yaml::write_text(&text, &mut out),
                }
            }
            if !bot.vendor_fields.is_empty() {
                out.push_str("\n    vendor:");
                for (key, value) in &bot.vendor_fields {
                    out.push_str("\n      ");
                    yaml::write_key(key, 6, &mut out);
                    out.push(' ');
                    match value {
                        Value::String(text) => yaml::write_text(text, &mut out),
                        other => yaml::write_json(other, &mut out),
                    }
                }
            }
        }
        out.push('\n');
        out
    }
}
