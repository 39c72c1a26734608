//! The shared fields: which there are ([`Field`]), what kind of value each
//! takes ([`FieldKind`]), a value of one ([`FieldValue`]), and where
//! [`ChatbotPatch`](crate::ChatbotPatch) and [`Chatbot`](crate::Chatbot)
//! keep each (`storage!`). Everything that walks the shared fields (the
//! mapping, fleets, the CLI) goes through [`ChatbotPatch::get`],
//! [`ChatbotPatch::set`] and [`Chatbot::get`], so a new shared field is
//! added here, to the two structs, and to the vendor modules that map it.
//!
//! [`ChatbotPatch::get`]: crate::ChatbotPatch::get
//! [`ChatbotPatch::set`]: crate::ChatbotPatch::set
//! [`Chatbot::get`]: crate::Chatbot::get

use std::fmt;

use serde_json::Value;

/// A setting several vendors share: what [`ChatbotPatch`](crate::ChatbotPatch)
/// sets and [`Chatbot`](crate::Chatbot) reports, by one name at every
/// vendor. Which vendor supports which field, and where it goes in the
/// vendor's own body, is the capability table (see the crate docs and
/// [`vendor_field`](crate::vendor_field)).
///
/// ```
/// use chatbots::{ChatbotPatch, Field, FieldKind, FieldValue};
///
/// let field: Field = "temperature".parse().unwrap();
/// assert_eq!(field, Field::Temperature);
/// assert_eq!(field.kind(), FieldKind::Number);
///
/// let mut patch = ChatbotPatch::new();
/// patch.set(field, 0.4).unwrap();
/// assert_eq!(patch.get(field), Some(FieldValue::Number(0.4)));
/// // Text where a number belongs is refused, naming the field.
/// let err = patch.set(field, "warm").unwrap_err();
/// assert_eq!(err.to_string(), "`temperature` must be a number, not text");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// The bot's display name.
    Name,
    /// A description of the bot.
    Description,
    /// The system prompt.
    Instructions,
    /// The language model, by the name the vendor uses.
    Model,
    /// Sampling temperature.
    Temperature,
    /// The first/welcome message.
    Greeting,
    /// The language, as an ISO 639-1 code (`en`), or `auto`.
    Language,
    /// An IANA time zone (`Europe/Berlin`).
    Timezone,
}

impl Field {
    /// Every field, in a fixed order (the order of plans, exports and the
    /// capability table).
    pub const ALL: [Field; 8] = [
        Field::Name,
        Field::Description,
        Field::Instructions,
        Field::Model,
        Field::Temperature,
        Field::Greeting,
        Field::Language,
        Field::Timezone,
    ];

    /// The field's name in [`ChatbotPatch`](crate::ChatbotPatch), fleet files
    /// and errors.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Description => "description",
            Field::Instructions => "instructions",
            Field::Model => "model",
            Field::Temperature => "temperature",
            Field::Greeting => "greeting",
            Field::Language => "language",
            Field::Timezone => "timezone",
        }
    }

    /// What kind of value the field takes.
    pub const fn kind(self) -> FieldKind {
        match self {
            Field::Temperature => FieldKind::Number,
            _ => FieldKind::Text,
        }
    }

    /// The field called `name` ([`name`](Self::name)), if there is one.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a field's [`name`](Field::name).
impl std::str::FromStr for Field {
    type Err = UnknownField;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Field::from_name(name).ok_or_else(|| UnknownField(name.to_string()))
    }
}

/// Text that names no shared field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownField(String);

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a shared field (shared fields are: {})",
            crate::printable::one_line(&self.0),
            Field::ALL.map(Field::name).join(", ")
        )
    }
}

impl std::error::Error for UnknownField {}

/// What kind of value a [`Field`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldKind {
    /// Text ([`FieldValue::Text`]).
    Text,
    /// A number ([`FieldValue::Number`]).
    Number,
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldKind::Text => "text",
            FieldKind::Number => "a number",
        })
    }
}

/// A value of a shared [`Field`], of the field's [`kind`](Field::kind).
///
/// `Display` shows it as people read it (text as it is, a number in its
/// shortest form; text from a vendor can hold anything, so escape it with
/// [`printable`](crate::printable) before it reaches a terminal); [`to_json`](Self::to_json) and
/// [`from_json`](Self::from_json) convert it to and from JSON.
///
/// ```
/// use chatbots::{Field, FieldValue};
/// use serde_json::json;
///
/// let value = FieldValue::from_json(Field::Temperature, &json!(0.5)).unwrap();
/// assert_eq!(value, FieldValue::Number(0.5));
/// assert_eq!(value.to_json(), json!(0.5));
/// assert_eq!(value.to_string(), "0.5");
/// assert!(FieldValue::from_json(Field::Name, &json!(3)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FieldValue {
    /// The value of a text field.
    Text(String),
    /// The value of a number field.
    Number(f64),
}

impl FieldValue {
    /// Its kind.
    pub fn kind(&self) -> FieldKind {
        match self {
            FieldValue::Text(_) => FieldKind::Text,
            FieldValue::Number(_) => FieldKind::Number,
        }
    }

    /// The text, if it is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(text) => Some(text),
            FieldValue::Number(_) => None,
        }
    }

    /// The number, if it is a number.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            FieldValue::Number(number) => Some(*number),
            FieldValue::Text(_) => None,
        }
    }

    /// As JSON: a string or a number. JSON has no NaN or infinity: such a
    /// number is `null`.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Text(text) => Value::from(text.as_str()),
            FieldValue::Number(number) => {
                serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
            }
        }
    }

    /// `field`'s value from JSON: a string for a text field, a number for
    /// a number field; anything else is refused, naming the field and the
    /// kind it takes.
    pub fn from_json(field: Field, json: &Value) -> Result<FieldValue, FieldKindError> {
        let value = match (field.kind(), json) {
            (FieldKind::Text, Value::String(text)) => Some(FieldValue::Text(text.clone())),
            (FieldKind::Number, Value::Number(number)) => number.as_f64().map(FieldValue::Number),
            _ => None,
        };
        value.ok_or_else(|| FieldKindError {
            field,
            found: json_kind(json),
        })
    }
}

/// How JSON's kinds are said in errors.
fn json_kind(json: &Value) -> &'static str {
    match json {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) => f.write_str(text),
            FieldValue::Number(number) => write!(f, "{number}"),
        }
    }
}

impl From<String> for FieldValue {
    fn from(text: String) -> Self {
        FieldValue::Text(text)
    }
}

impl From<&str> for FieldValue {
    fn from(text: &str) -> Self {
        FieldValue::Text(text.to_string())
    }
}

impl From<f64> for FieldValue {
    fn from(number: f64) -> Self {
        FieldValue::Number(number)
    }
}

/// A value of the wrong kind for its field: text for `temperature`, a
/// number for `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldKindError {
    field: Field,
    found: &'static str,
}

impl FieldKindError {
    /// The field.
    pub fn field(&self) -> Field {
        self.field
    }

    /// The kind it takes.
    pub fn expected(&self) -> FieldKind {
        self.field.kind()
    }
}

impl fmt::Display for FieldKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be {}, not {}",
            self.field,
            self.field.kind(),
            self.found
        )
    }
}

impl std::error::Error for FieldKindError {}

/// Where a shared field is kept, by reference.
pub(crate) enum Slot<'a> {
    Text(&'a Option<String>),
    Number(&'a Option<f64>),
}

/// Where a shared field is kept, to change it.
pub(crate) enum SlotMut<'a> {
    Text(&'a mut Option<String>),
    Number(&'a mut Option<f64>),
}

impl Slot<'_> {
    pub(crate) fn is_set(&self) -> bool {
        match self {
            Slot::Text(text) => text.is_some(),
            Slot::Number(number) => number.is_some(),
        }
    }

    pub(crate) fn get(&self) -> Option<FieldValue> {
        match self {
            Slot::Text(text) => (*text).clone().map(FieldValue::Text),
            Slot::Number(number) => number.map(FieldValue::Number),
        }
    }
}

impl SlotMut<'_> {
    /// Stores `value`, or refuses it for its kind.
    pub(crate) fn set(self, field: Field, value: FieldValue) -> Result<(), FieldKindError> {
        match (self, value) {
            (SlotMut::Text(slot), FieldValue::Text(text)) => *slot = Some(text),
            (SlotMut::Number(slot), FieldValue::Number(n)) => *slot = Some(n),
            (_, wrong) => {
                return Err(FieldKindError {
                    field,
                    found: json_kind(&wrong.to_json()),
                });
            }
        }
        Ok(())
    }

    /// Copies `from`, the same field's slot in another struct (so of the
    /// same kind: `storage!` keeps a field in one kind of slot everywhere).
    pub(crate) fn copy(self, from: Slot<'_>) {
        match (self, from) {
            (SlotMut::Text(to), Slot::Text(from)) => to.clone_from(from),
            (SlotMut::Number(to), Slot::Number(from)) => *to = *from,
            (SlotMut::Text(_), Slot::Number(_)) | (SlotMut::Number(_), Slot::Text(_)) => {}
        }
    }

    pub(crate) fn clear(self) {
        match self {
            SlotMut::Text(slot) => *slot = None,
            SlotMut::Number(slot) => *slot = None,
        }
    }
}

/// `storage!(field, Slot, &self)`: where `field` is kept in a struct that
/// names its shared fields as [`Field::name`] does ([`ChatbotPatch`] and
/// [`Chatbot`]), as a [`Slot`] (or with `SlotMut, &mut self`, a
/// [`SlotMut`]). The one list of where each field lives.
///
/// [`ChatbotPatch`]: crate::ChatbotPatch
/// [`Chatbot`]: crate::Chatbot
macro_rules! storage {
    ($field:expr, $slot:ident, $($place:tt)+) => {
        match $field {
            $crate::field::Field::Name => $crate::field::$slot::Text($($place)+.name),
            $crate::field::Field::Description => $crate::field::$slot::Text($($place)+.description),
            $crate::field::Field::Instructions => {
                $crate::field::$slot::Text($($place)+.instructions)
            }
            $crate::field::Field::Model => $crate::field::$slot::Text($($place)+.model),
            $crate::field::Field::Temperature => {
                $crate::field::$slot::Number($($place)+.temperature)
            }
            $crate::field::Field::Greeting => $crate::field::$slot::Text($($place)+.greeting),
            $crate::field::Field::Language => $crate::field::$slot::Text($($place)+.language),
            $crate::field::Field::Timezone => $crate::field::$slot::Text($($place)+.timezone),
        }
    };
}
pub(crate) use storage;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BotRef, Chatbot, ChatbotPatch, Vendor};

    /// A value of `field`'s kind.
    fn sample(field: Field) -> FieldValue {
        match field.kind() {
            FieldKind::Text => FieldValue::Text(format!("{field} ü \"x\"\n")),
            FieldKind::Number => FieldValue::Number(0.7),
        }
    }

    /// Every field: set, read back, iterated, through JSON and back, and
    /// stored where `Chatbot` keeps it too; the wrong kind refused.
    #[test]
    fn every_field_round_trips_through_set_get_and_json() {
        let mut patch = ChatbotPatch::new();
        let mut bot = Chatbot::new(BotRef::new(Vendor::OkChat, "1"));
        for field in Field::ALL {
            assert_eq!(field.name().parse::<Field>(), Ok(field));
            let value = sample(field);
            assert_eq!(value.kind(), field.kind());
            assert_eq!(patch.get(field), None, "{field}");
            patch.set(field, value.clone()).unwrap();
            assert_eq!(patch.get(field), Some(value.clone()), "{field}");
            assert_eq!(patch.field(field), Some(value.to_string()), "{field}");
            let json = value.to_json();
            assert_eq!(FieldValue::from_json(field, &json), Ok(value.clone()));
            bot.set(field, value.clone()).unwrap();
            assert_eq!(bot.get(field), Some(value.clone()), "{field}");
            assert_eq!(bot.field(field), Some(value.to_string()), "{field}");

            let wrong = match field.kind() {
                FieldKind::Text => FieldValue::Number(1.0),
                FieldKind::Number => FieldValue::Text("1".into()),
            };
            let err = patch.set(field, wrong.clone()).unwrap_err();
            assert_eq!(err.field(), field);
            assert!(FieldValue::from_json(field, &wrong.to_json()).is_err());
            assert_eq!(
                patch.get(field),
                Some(value),
                "a refused value changes nothing"
            );
        }
        let set: Vec<Field> = patch.fields().map(|(f, _)| f).collect();
        assert_eq!(set, Field::ALL);
        assert!(bot.fields().map(|(f, _)| f).eq(Field::ALL));
        for field in Field::ALL {
            patch.clear(field);
        }
        assert!(patch.is_empty());
        assert_eq!(patch.fields().count(), 0);
    }

    #[test]
    fn unknown_field_names_say_the_known_ones() {
        let err = "temprature".parse::<Field>().unwrap_err();
        assert!(err.to_string().contains("name, description"), "{err}");
    }

    #[test]
    fn json_that_is_not_a_fields_kind_is_named() {
        let err = FieldValue::from_json(Field::Temperature, &Value::Null).unwrap_err();
        assert_eq!(err.to_string(), "`temperature` must be a number, not null");
        assert_eq!(err.expected(), FieldKind::Number);
        assert_eq!(FieldValue::Number(f64::NAN).to_json(), Value::Null);
    }
}
