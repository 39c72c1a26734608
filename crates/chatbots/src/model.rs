//! The vendor-neutral model: which bot, what to change, what a bot looks like.

use std::fmt;

pub use chatbots_runtime::Vendor;

pub use crate::account::AccountRef;
pub use crate::field::{Field, FieldValue};
use crate::field::{FieldKindError, storage};

/// One chatbot at one vendor, with its id as the vendor's API spells it (an
/// order id, a UUID, a serial number).
///
/// ```
/// use chatbots::{BotRef, Vendor};
/// let bot = BotRef::new(Vendor::StreamSkill, "12345");
/// assert_eq!(bot.to_string(), "streamskill:12345");
/// ```
///
/// A bot of an account other than the vendor's default one (see
/// [`AccountRef`]) names it: `vendor@account:id`.
///
/// ```
/// use chatbots::{AccountRef, BotRef, Vendor};
/// let bot: BotRef = "okchat@client-a:3317853e-0af2-427d-a56f-351a9587f48f".parse().unwrap();
/// assert_eq!(bot.account.as_deref(), Some("client-a"));
/// assert_eq!(bot.account_ref(), AccountRef::new(Vendor::OkChat, "client-a"));
/// assert_eq!(bot.to_string(), "okchat@client-a:3317853e-0af2-427d-a56f-351a9587f48f");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BotRef {
    /// The vendor.
    pub vendor: Vendor,
    /// The vendor's id for the bot.
    pub id: String,
    /// The account it is reached through, by name; `None` for the vendor's
    /// default account (the credentials `from_env` reads). Never
    /// `Some("default")`: [`BotRef::in_account`] and parsing normalise it.
    pub account: Option<String>,
}

impl BotRef {
    /// A reference to `id` at `vendor`, taken as given; see
    /// [`try_new`](Self::try_new) for an id from outside the program.
    pub fn new(vendor: Vendor, id: impl Into<String>) -> Self {
        Self {
            vendor,
            id: id.into(),
            account: None,
        }
    }

    /// A reference to `id` in `account`, taken as given (see
    /// [`try_new`](Self::try_new) for an id from outside the program).
    ///
    /// ```
    /// use chatbots::{AccountRef, BotRef, Vendor};
    /// let client_a = AccountRef::new(Vendor::PureTalk, "client-a");
    /// let bot = BotRef::in_account(client_a, "a1b2");
    /// assert_eq!(bot.to_string(), "puretalk@client-a:a1b2");
    /// ```
    pub fn in_account(account: AccountRef, id: impl Into<String>) -> Self {
        Self {
            vendor: account.vendor,
            id: id.into(),
            account: account.account,
        }
    }

    /// The account the bot is reached through.
    pub fn account_ref(&self) -> AccountRef {
        AccountRef {
            vendor: self.vendor,
            account: self.account.clone(),
        }
    }

    /// A reference to `id` at `vendor`, refused when the id is empty, starts
    /// or ends with white space, or holds a character that would act on a
    /// terminal or on the lines of a plan ([`BotRef::from_str`] checks the
    /// same).
    ///
    /// ```
    /// use chatbots::{BotRef, Vendor};
    /// assert!(BotRef::try_new(Vendor::StreamSkill, "12345").is_ok());
    /// let err = BotRef::try_new(Vendor::StreamSkill, "1\n~ okchat:2").unwrap_err();
    /// assert!(err.to_string().contains("U+000A, a control character"), "{err}");
    /// ```
    ///
    /// [`BotRef::from_str`]: std::str::FromStr::from_str
    pub fn try_new(vendor: Vendor, id: impl Into<String>) -> Result<Self, ParseBotRefError> {
        let id = id.into();
        match id_rule(&id) {
            Ok(()) => Ok(Self::new(vendor, id)),
            Err(rule) => Err(ParseBotRefError {
                text: format!("{vendor}:{id}"),
                rule,
                what: ParseBotRefError::BOT,
            }),
        }
    }

    /// The same bot, its id in the vendor's canonical form: the form the
    /// facade sends (a UUID lower-cased and hyphenated, an integer without
    /// sign or leading zeros, as the vendor's spec types the id); an
    /// opaque id, or one the vendor's form does not parse, as written. Two
    /// references name the same bot exactly when their canonical forms are
    /// equal.
    ///
    /// ```
    /// use chatbots::{BotRef, Vendor};
    /// let upper = BotRef::new(Vendor::OkChat, "3317853E-0AF2-427D-A56F-351A9587F48F");
    /// let lower = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
    /// assert_eq!(upper.canonical(), lower);
    /// assert_eq!(BotRef::new(Vendor::StreamSkill, "007").canonical().id, "7");
    /// ```
    pub fn canonical(&self) -> BotRef {
        match crate::vendors::find(self.vendor) {
            Ok(registered) => BotRef {
                vendor: self.vendor,
                id: (registered.canonical_id)(&self.id).into_owned(),
                account: self.account.clone(),
            },
            // Not compiled in: refused wherever it is used; compared as written.
            Err(_) => self.clone(),
        }
    }
}

/// Each key of `keys` equal to an earlier one, as its index and the first
/// one's.
pub(crate) fn repeats_of(keys: impl IntoIterator<Item = BotRef>) -> Vec<(usize, usize)> {
    let mut first = std::collections::HashMap::new();
    keys.into_iter()
        .enumerate()
        .filter_map(|(index, bot)| match first.entry(bot) {
            std::collections::hash_map::Entry::Occupied(seen) => Some((index, *seen.get())),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        })
        .collect()
}

/// Why `id` may not name a bot when it comes from outside the program
/// ([`BotRef::try_new`]'s rule), if it may not.
pub(crate) fn id_refusal(bot: &BotRef) -> Option<String> {
    id_rule(&bot.id).err()
}

/// Why a character may not be part of an id, if it may not: each of these
/// acts on a terminal, reorders the text around it, or starts a new line
/// (a newline in an id would forge a line of a plan).
/// The set is the one every output escapes ([`crate::printable`]).
fn forbidden(c: char) -> Option<&'static str> {
    if !crate::printable::needs_escape(c) {
        return None;
    }
    Some(match c {
        '\u{85}' | '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
        // C0, DEL and C1.
        c if c.is_control() => "a control character",
        _ => "a bidirectional control",
    })
}

/// The rules every id parsed from text follows, or the one it breaks.
fn id_rule(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err("empty id".into());
    }
    if id.trim() != id {
        return Err("the id starts or ends with white space".into());
    }
    if let Some((c, what)) = id.chars().find_map(|c| forbidden(c).map(|what| (c, what))) {
        return Err(format!(
            "the id contains U+{:04X}, {what}: ids may not hold control characters, \
             bidirectional controls or line separators",
            u32::from(c)
        ));
    }
    Ok(())
}

impl fmt::Display for BotRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.account_ref(), self.id)
    }
}

/// Why text is not a [`BotRef`]: it names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseBotRefError {
    text: String,
    rule: String,
    /// What the text should have been, with its form.
    what: &'static str,
}

impl ParseBotRefError {
    const BOT: &'static str = "a bot (`vendor:id` or `vendor@account:id`)";

    /// `text` is not an account (`vendor` or `vendor@account`) by `rule`.
    pub(crate) fn account(text: &str, rule: String) -> Self {
        Self {
            text: text.to_string(),
            rule,
            what: "an account (`vendor` or `vendor@account`)",
        }
    }
}

impl fmt::Display for ParseBotRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not {}: {}",
            crate::printable::one_line(&self.text),
            self.what,
            crate::printable::one_line(&self.rule)
        )
    }
}

impl std::error::Error for ParseBotRefError {}

/// Parses `vendor:id` or `vendor@account:id`, as [`BotRef`] displays
/// itself. The id is everything after the first `:`; an account follows
/// the rule of [`AccountRef::try_new`].
///
/// ```
/// use chatbots::{BotRef, Vendor};
/// let bot: BotRef = "okchat:3317853e-0af2-427d-a56f-351a9587f48f".parse().unwrap();
/// assert_eq!(bot.vendor, Vendor::OkChat);
/// assert!("acme:1".parse::<BotRef>().unwrap_err().to_string().contains("unknown vendor `acme`"));
/// assert!("okchat:".parse::<BotRef>().unwrap_err().to_string().contains("empty id"));
/// // Nothing that acts on a terminal or starts a line: the error shows it escaped.
/// let err = "okchat:1\u{1b}[2J".parse::<BotRef>().unwrap_err().to_string();
/// assert!(err.contains("U+001B, a control character") && err.contains("1\\e[2J"), "{err}");
/// // An account, and the default one by its name.
/// let bot: BotRef = "okchat@client-a:1".parse().unwrap();
/// assert_eq!(bot.account.as_deref(), Some("client-a"));
/// assert_eq!("okchat@default:1".parse::<BotRef>().unwrap(), BotRef::new(Vendor::OkChat, "1"));
/// assert!("okchat@:1".parse::<BotRef>().unwrap_err().to_string().contains("empty account name"));
/// ```
impl std::str::FromStr for BotRef {
    type Err = ParseBotRefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refused = |rule: String| ParseBotRefError {
            text: text.to_string(),
            rule,
            what: ParseBotRefError::BOT,
        };
        let (account, id) = text
            .split_once(':')
            .ok_or_else(|| refused("no `:` between vendor and id".into()))?;
        let account = crate::account::parse_account(account).map_err(refused)?;
        id_rule(id).map_err(refused)?;
        Ok(BotRef::in_account(account, id))
    }
}

/// As the `vendor:id` text.
impl serde::Serialize for BotRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// From the `vendor:id` text.
impl<'de> serde::Deserialize<'de> for BotRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What to change on a chatbot: the settings several vendors share, plus
/// the vendor's own request body for everything else. Unset fields are left
/// as they are.
///
/// ```
/// use chatbots::ChatbotPatch;
/// let patch = ChatbotPatch::new()
///     .name("Support bot")
///     .instructions("Answer briefly.")
///     .temperature(0.5);
/// assert_eq!(patch.name.as_deref(), Some("Support bot"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ChatbotPatch {
    /// The display name.
    pub name: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// The system prompt.
    pub instructions: Option<String>,
    /// The model, by the name the vendor uses.
    pub model: Option<String>,
    /// Sampling temperature, within the vendor's documented range.
    pub temperature: Option<f64>,
    /// The first/welcome message.
    pub greeting: Option<String>,
    /// Language as an ISO 639-1 code (`en`) or `auto`.
    pub language: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Vendor-specific settings, as the vendor's own request body.
    pub vendor: Option<crate::VendorPatch>,
}

macro_rules! setters {
    ($($field:ident: $ty:ty),*) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }
        )*
    };
}

impl ChatbotPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    setters!(
        name: String, description: String, instructions: String, model: String,
        temperature: f64, greeting: String, language: String, timezone: String
    );

    /// Sets vendor-specific settings.
    pub fn vendor_patch(mut self, patch: impl Into<crate::VendorPatch>) -> Self {
        self.vendor = Some(patch.into());
        self
    }

    /// The value the patch sets for `field`, if it sets one.
    ///
    /// ```
    /// use chatbots::{ChatbotPatch, Field, FieldValue};
    /// let patch = ChatbotPatch::new().name("Front desk");
    /// assert_eq!(patch.get(Field::Name), Some(FieldValue::Text("Front desk".into())));
    /// assert_eq!(patch.get(Field::Greeting), None);
    /// ```
    pub fn get(&self, field: Field) -> Option<FieldValue> {
        storage!(field, Slot, &self).get()
    }

    /// Sets `field` to `value` (text, a number, or a [`FieldValue`]); a
    /// value of the wrong [`kind`](Field::kind) is refused and changes
    /// nothing. The same as the builder method of the field
    /// ([`name`](Self::name), [`temperature`](Self::temperature), …), for
    /// code that holds the field as data.
    ///
    /// ```
    /// use chatbots::{ChatbotPatch, Field};
    /// let mut patch = ChatbotPatch::new();
    /// for (field, text) in [(Field::Name, "Front desk"), (Field::Greeting, "Hello!")] {
    ///     patch.set(field, text).unwrap();
    /// }
    /// assert_eq!(patch, ChatbotPatch::new().name("Front desk").greeting("Hello!"));
    /// assert!(patch.set(Field::Temperature, "hot").is_err());
    /// ```
    pub fn set(
        &mut self,
        field: Field,
        value: impl Into<FieldValue>,
    ) -> Result<(), FieldKindError> {
        storage!(field, SlotMut, &mut self).set(field, value.into())
    }

    /// Leaves `field` as the vendor has it: unsets it in this patch.
    pub fn clear(&mut self, field: Field) {
        storage!(field, SlotMut, &mut self).clear();
    }

    /// Each shared field the patch sets, with its value, in
    /// [`Field::ALL`] order (vendor settings not included).
    ///
    /// ```
    /// use chatbots::{ChatbotPatch, Field, FieldValue};
    /// let patch = ChatbotPatch::new().temperature(0.2).name("Ava");
    /// let set: Vec<_> = patch.fields().collect();
    /// assert_eq!(set, [
    ///     (Field::Name, FieldValue::Text("Ava".into())),
    ///     (Field::Temperature, FieldValue::Number(0.2)),
    /// ]);
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = (Field, FieldValue)> + '_ {
        Field::ALL
            .into_iter()
            .filter_map(|field| Some((field, self.get(field)?)))
    }

    /// This patch with only `field` set (as this patch sets it), no other
    /// shared field and no vendor settings.
    pub fn only(&self, field: Field) -> ChatbotPatch {
        let mut alone = ChatbotPatch::new();
        alone.copy_field(field, self);
        alone
    }

    /// Sets `field` as `from` sets it (or unsets it).
    pub(crate) fn copy_field(&mut self, field: Field, from: &ChatbotPatch) {
        storage!(field, SlotMut, &mut self).copy(storage!(field, Slot, &from));
    }

    /// Whether the patch changes `field`.
    ///
    /// ```
    /// use chatbots::{ChatbotPatch, Field};
    /// let patch = ChatbotPatch::new().name("Front desk");
    /// assert!(patch.sets(Field::Name));
    /// assert!(!patch.sets(Field::Greeting));
    /// ```
    pub fn sets(&self, field: Field) -> bool {
        storage!(field, Slot, &self).is_set()
    }

    /// The value the patch sets for `field`, as text — rendered like
    /// [`Chatbot::field`], so the two compare directly.
    ///
    /// ```
    /// use chatbots::{ChatbotPatch, Field};
    /// let patch = ChatbotPatch::new().temperature(0.4);
    /// assert_eq!(patch.field(Field::Temperature).as_deref(), Some("0.4"));
    /// assert_eq!(patch.field(Field::Name), None);
    /// ```
    pub fn field(&self, field: Field) -> Option<String> {
        self.get(field).map(|value| value.to_string())
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        !Field::ALL.into_iter().any(|f| self.sets(f)) && self.vendor.is_none()
    }
}

/// A chatbot as read from a vendor ([`Chatbots::get`], [`Chatbots::list`]):
/// the shared settings the vendor reports, plus the vendor's object as the
/// spec types it in [`raw`](Self::raw).
///
/// A shared field is `None` when the vendor does not report it: it does not
/// map the field (see [`VendorInfo::fields`]), or this bot's answer leaves
/// it out. The fields are public to read; [`get`](Self::get) and
/// [`fields`](Self::fields) give the same values by [`Field`], for code
/// that walks them as data.
///
/// ```no_run
/// use chatbots::{BotRef, Chatbots, Field, Vendor};
///
/// # async fn demo(bots: Chatbots) -> Result<(), chatbots::Error> {
/// let bot = bots.get(&BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f")).await?;
/// println!("{} is called {:?}", bot.bot, bot.name);
/// for (field, value) in bot.fields() {
///     println!("  {field}: {value}");
/// }
/// // Anything else the vendor reports, as its spec names it.
/// if let Some(public) = bot.raw.get("is_public") {
///     println!("  is_public: {public}");
/// }
/// # Ok(())
/// # }
/// ```
///
/// [`Chatbots::get`]: crate::Chatbots::get
/// [`Chatbots::list`]: crate::Chatbots::list
/// [`VendorInfo::fields`]: crate::VendorInfo::fields
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Chatbot {
    /// Where it lives.
    pub bot: BotRef,
    /// The display name.
    pub name: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// The system prompt.
    pub instructions: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// The first/welcome message.
    pub greeting: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
    /// The vendor's object as JSON, re-encoded from the generated type: the
    /// fields the spec documents (fields it does not name are not kept).
    /// For everything else, use the vendor's typed client.
    pub raw: serde_json::Value,
}

impl Chatbot {
    /// A bot with no shared field known yet.
    pub(crate) fn new(bot: BotRef) -> Self {
        Self {
            bot,
            name: None,
            description: None,
            instructions: None,
            model: None,
            temperature: None,
            greeting: None,
            language: None,
            timezone: None,
            raw: serde_json::Value::Null,
        }
    }

    /// Sets a shared field from what the vendor reports.
    pub(crate) fn set(&mut self, field: Field, value: FieldValue) -> Result<(), FieldKindError> {
        storage!(field, SlotMut, &mut self).set(field, value)
    }

    /// The value the vendor reports for `field`, if it reports one (and
    /// the facade maps the field at its vendor).
    ///
    /// ```no_run
    /// use chatbots::{BotRef, Chatbots, Field};
    ///
    /// # async fn demo(bots: Chatbots, bot: BotRef) -> Result<(), chatbots::Error> {
    /// let found = bots.get(&bot).await?;
    /// for field in Field::ALL {
    ///     if let Some(value) = found.get(field) {
    ///         println!("{field}: {value}");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, field: Field) -> Option<FieldValue> {
        storage!(field, Slot, &self).get()
    }

    /// Each shared field the vendor reported, with its value, in
    /// [`Field::ALL`] order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, FieldValue)> + '_ {
        Field::ALL
            .into_iter()
            .filter_map(|field| Some((field, self.get(field)?)))
    }

    /// A shared field's value, as text ([`FieldValue`]'s `Display`).
    pub fn field(&self, field: Field) -> Option<String> {
        self.get(field).map(|value| value.to_string())
    }
}
