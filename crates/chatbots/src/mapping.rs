//! How each shared [`Field`] maps onto a vendor's update body and back
//! from its read answer (each vendor's table is in its module under
//! `vendors/`), and the update body built from a [`ChatbotPatch`]. The
//! capability table in the docs and the README is rendered from the
//! tables (`capabilities.rs`), so the two cannot disagree.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Subject};
use crate::model::{Chatbot, ChatbotPatch, Field, FieldValue, Vendor};
use crate::vendors::VendorApi;

/// How a shared value becomes the vendor's value when it is not taken as
/// is, exactly or refused (never rounded or guessed): what the capability
/// table says about it (`whole numbers only`), and the conversion, which
/// gives the vendor's value or the rule the shared value breaks.
pub(crate) type Convert = (&'static str, fn(&FieldValue) -> Result<Value, String>);

/// A place in a vendor's update body: as a JSON pointer for people, as
/// property names for building the body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// `/settings/prompt`.
    pub pointer: &'static str,
    /// `["settings", "prompt"]`.
    pub path: &'static [&'static str],
}

impl Target {
    /// `settings.prompt`, as errors name fields.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// `at!("settings" / "prompt")`: a [`Target`] from its property names.
macro_rules! at {
    ($($name:literal) / +) => {
        $crate::mapping::Target {
            pointer: concat!($("/", $name),+),
            path: &[$($name),+],
        }
    };
}
pub(crate) use at;

/// How a vendor's typed bot reports a shared field.
pub(crate) type Read<B> = fn(&B) -> Option<FieldValue>;

/// One shared field at one vendor: where it is written in the update body,
/// and where it is read in the bot of type `B` the read answers carry.
pub(crate) struct FieldMap<B: 'static> {
    pub field: Field,
    /// Where it goes in the update body.
    pub target: Target,
    /// How it is converted on the way in; `None`: as is.
    pub convert: Option<Convert>,
    /// Where the read answer reports it, if it does.
    pub read: Option<Read<B>>,
}

/// A row of a vendor's table, [`FieldMap`]:
/// `field!(Instructions at "settings" / "prompt", text |b| b.settings.as_ref()?.prompt)`
/// (read back as text from the typed bot), `number |b| …` (read back as a
/// number), or nothing after the place (not read back), optionally followed
/// by `, convert CONVERSION`.
///
/// What `text` or `number` reads is any type that is [`ToFieldValue`] of
/// that kind: `String` or `Option<String>`, a number or an `Option` of
/// one, so a field the read answer requires reads as well as an optional
/// one. A field of the other kind (`text` for `Temperature`) does not
/// compile, and neither does a read of a type that is not a value of the
/// kind: the error names the vendor module's row.
macro_rules! field {
    ($field:ident at $($name:literal)/+ $(, convert $convert:expr)?) => {
        $crate::mapping::FieldMap {
            field: $crate::model::Field::$field,
            target: $crate::mapping::at!($($name)/+),
            convert: $crate::mapping::field!(@convert $($convert)?),
            read: None,
        }
    };
    ($field:ident at $($name:literal)/+, $kind:ident |$bot:ident| $read:expr) => {
        $crate::mapping::FieldMap {
            field: {
                const {
                    assert!(
                        matches!(
                            $crate::model::Field::$field.kind(),
                            $crate::mapping::field!(@kind $kind)
                        ),
                        concat!(
                            "`field!`: `", stringify!($field), "` is not read as ",
                            stringify!($kind), " (`text` or `number`, as `Field::kind` says)"
                        ),
                    )
                };
                $crate::model::Field::$field
            },
            target: $crate::mapping::at!($($name)/+),
            convert: None,
            // Both the read and the method are the row's own tokens, so a
            // type that is no value of the kind is reported at the row.
            read: Some(|$bot| {
                use $crate::mapping::ReadField as _;
                $read.$kind()
            }),
        }
    };
    (@kind text) => { $crate::field::FieldKind::Text };
    (@kind number) => { $crate::field::FieldKind::Number };
    (@convert) => { None };
    (@convert $convert:expr) => { Some($convert) };
}
pub(crate) use field;

/// The kinds of value a [`field!`] row reads, as type parameters of
/// [`ToFieldValue`]: text.
pub(crate) enum Text {}
/// … and numbers.
pub(crate) enum Number {}

/// A value in a vendor's typed read answer that reports a shared field of
/// kind `K` ([`Text`] or [`Number`]); `None` when the answer leaves it out.
#[diagnostic::on_unimplemented(
    message = "a `field!` row reads `{Self}`, which is not a shared field's value of this kind",
    label = "`text` reads `String` or `Option<String>`; `number` reads `f64`, `f32`, `i32`, `u32` or an `Option` of one"
)]
pub(crate) trait ToFieldValue<K> {
    /// The shared value.
    fn to_field_value(&self) -> Option<FieldValue>;
}

/// `value.text()`, `value.number()`: [`ToFieldValue`] of a kind, called
/// as `field!` rows name the kind.
pub(crate) trait ReadField {
    fn text(&self) -> Option<FieldValue>
    where
        Self: ToFieldValue<Text>,
    {
        self.to_field_value()
    }

    fn number(&self) -> Option<FieldValue>
    where
        Self: ToFieldValue<Number>,
    {
        self.to_field_value()
    }
}

impl<T: ?Sized> ReadField for T {}

impl ToFieldValue<Text> for String {
    fn to_field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Text(self.clone()))
    }
}

/// Numbers that an `f64` holds exactly.
macro_rules! exact_numbers {
    ($($number:ty),*) => {$(
        impl ToFieldValue<Number> for $number {
            fn to_field_value(&self) -> Option<FieldValue> {
                Some(FieldValue::Number(f64::from(*self)))
            }
        }
    )*};
}
exact_numbers!(f64, f32, i32, u32);

/// A field the read answer may leave out.
impl<K, T: ToFieldValue<K>> ToFieldValue<K> for Option<T> {
    fn to_field_value(&self) -> Option<FieldValue> {
        self.as_ref()?.to_field_value()
    }
}

fn convert<B>(vendor: Vendor, m: &FieldMap<B>, value: FieldValue) -> Result<Value, Error> {
    let refused = |rule| Error::invalid(vendor, Subject::Field(m.field), rule);
    match (m.convert, value) {
        (Some((_, apply)), value) => apply(&value).map_err(refused),
        // Moved, not copied: a prompt can be long.
        (None, FieldValue::Text(text)) => Ok(Value::String(text)),
        (None, FieldValue::Number(n)) => serde_json::Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| refused("must be a finite number".into())),
    }
}

/// The vendor's update body for `patch`: the vendor patch as JSON (or an
/// empty object) with each shared field set at its place and the bot id
/// where the vendor wants it, checked against the operation's schema from
/// the spec, then read into the generated request type. Refusals name the
/// vendor, the field and the rule; nothing is sent.
pub(crate) fn update_body<V: VendorApi>(id: &str, patch: &ChatbotPatch) -> Result<V::Body, Error> {
    let vendor = V::VENDOR;
    let nothing = || {
        Error::invalid(
            vendor,
            Subject::Patch,
            "changes nothing: set at least one field",
        )
    };
    if patch.is_empty() {
        return Err(nothing());
    }
    let own = match &patch.vendor {
        None => None,
        Some(extra) => Some(extra.body().downcast_ref::<V::Body>().ok_or_else(|| {
            Error::invalid(
                vendor,
                Subject::VendorPatch,
                format!(
                    "the vendor patch is for {}, the bot is at {vendor}",
                    extra.vendor()
                ),
            )
        })?),
    };
    let mut body = match own {
        Some(own) => to_json(vendor, own)?,
        None => Value::Object(Default::default()),
    };
    let mut shared = 0;
    // Numbers taken as they are, to check against the field's format once
    // their range has been checked.
    let mut numbers = Vec::new();
    for (field, value) in patch.fields() {
        let m = V::FIELDS
            .iter()
            .find(|m| m.field == field)
            .ok_or_else(|| Error::unsupported(vendor, Subject::Field(field)))?;
        if let (None, FieldValue::Number(n)) = (m.convert, &value) {
            numbers.push((field, m.target, *n));
        }
        let value = convert(vendor, m, value)?;
        let slot = place(vendor, &mut body, m.target)?;
        if !slot.is_null() {
            return Err(Error::invalid(
                vendor,
                Subject::Field(field),
                format!(
                    "is set twice: in the patch and as `{}` in the vendor patch",
                    m.target.dotted()
                ),
            ));
        }
        *slot = value;
        shared += 1;
    }
    if shared == 0 && !changes_anything(V::ID_IN_BODY, &body) {
        return Err(nothing());
    }
    if let Some(target) = V::ID_IN_BODY {
        let slot = place(vendor, &mut body, target)?;
        // An empty id in the vendor patch means "the bot's": the generated
        // type cannot leave a required field out.
        match slot.as_str() {
            Some(existing) if !existing.is_empty() && existing != id => {
                return Err(Error::invalid(
                    vendor,
                    Subject::BotId(target.dotted().into()),
                    "differs from the bot id; leave it out of the vendor patch",
                ));
            }
            _ => *slot = Value::from(id),
        }
    }
    // Every update operation has a JSON body in its spec (`cargo xtask
    // check` compiles its schema); a missing or broken one would mean no
    // validation, so it is refused.
    let operation = V::update_operation();
    let schema = operation
        .request_schema()
        .map_err(|e| Error::config(Some(vendor), e.to_string()))?;
    let schema = schema.ok_or_else(|| {
        Error::config(
            Some(vendor),
            format!(
                "the spec gives `{}` no JSON request body schema",
                operation.id
            ),
        )
    })?;
    if let Some(v) = schema.validate(&body).into_iter().next() {
        return Err(Error::invalid(
            vendor,
            Subject::VendorField(v.field.into()),
            v.rule,
        ));
    }
    for (field, target, n) in numbers {
        exact(schema.json(), target, n)
            .map_err(|rule| Error::invalid(vendor, Subject::Field(field), rule))?;
    }
    // What the schema allows but the generated type cannot hold.
    serde_json::from_value(body)
        .map_err(|e| Error::invalid(vendor, Subject::Body, e.to_string()).caused_by(e))
}

/// A typed vendor body as JSON.
///
/// A 32-bit float becomes the `f64` of the same value (`0.1f32` is
/// `0.10000000149011612`), while the body sent on the wire writes it as
/// `0.1`; both sides of any documented bound that a 32-bit float can hold
/// exactly (Converza's `temperature`: 0 and 2) judge the two alike, so the
/// schema's verdict is the same, and the value decoded back is the same
/// `f32`.
fn to_json<T: Serialize>(vendor: Vendor, body: &T) -> Result<Value, Error> {
    serde_json::to_value(body)
        .map_err(|e| Error::invalid(vendor, Subject::Body, e.to_string()).caused_by(e))
}

/// Whether the vendor's field at `target` holds `n` as it is: the spec's
/// `format` for it (`float`, `int32`, `int64`) is the conversion the
/// generated type makes, and a value it would change is refused, never
/// rounded. Its range was checked before, on `n` itself.
fn exact(schema: &Value, target: Target, n: f64) -> Result<(), String> {
    let format = target
        .path
        .iter()
        .try_fold(schema, |at, name| at.get("properties")?.get(*name))
        .and_then(|at| at.get("format"))
        .and_then(Value::as_str);
    let whole = |bits: u32| {
        // 2^(bits-1): the first value past the type's range.
        let limit = f64::from(bits - 1).exp2();
        n.fract() == 0.0 && n >= -limit && n < limit
    };
    match format {
        Some("float") => {
            // What the vendor reads: the shortest text of the 32-bit float.
            let sent = (n as f32).to_string();
            if sent.parse::<f64>() == Ok(n) {
                Ok(())
            } else {
                Err(format!(
                    "{n} cannot be sent exactly: the field is a 32-bit float (it would be {sent})"
                ))
            }
        }
        Some("int32") if !whole(32) => Err(format!("{n} is not a 32-bit integer")),
        Some("int64") if !whole(64) => Err(format!("{n} is not a 64-bit integer")),
        _ => Ok(()),
    }
}

/// The place of `target` in `body`, with the objects on the way created.
fn place(vendor: Vendor, body: &mut Value, target: Target) -> Result<&mut Value, Error> {
    target.path.iter().try_fold(body, |here, name| {
        if here.is_null() {
            *here = Value::Object(Default::default());
        }
        match here {
            Value::Object(fields) => Ok(fields.entry(*name).or_insert(Value::Null)),
            _ => Err(Error::invalid(
                vendor,
                Subject::VendorField(target.dotted().into()),
                "has no place in the vendor patch",
            )),
        }
    })
}

/// Whether a body made of the vendor patch alone changes anything but the
/// bot id.
fn changes_anything(id_in_body: Option<Target>, body: &Value) -> bool {
    body.as_object().is_some_and(|fields| {
        fields
            .keys()
            .any(|k| Some(k.as_str()) != id_in_body.map(|t| t.path[0]))
    })
}

/// The vendor-neutral view of a vendor's typed bot: each shared field read
/// as its vendor's table says, and the bot as JSON in `raw`.
pub(crate) fn view<V: VendorApi>(bot: V::Bot) -> Result<Chatbot, Error> {
    let mut chatbot = Chatbot::new(crate::BotRef::new(V::VENDOR, V::id(&bot)));
    for m in V::FIELDS {
        if let Some(value) = m.read.and_then(|read| read(&bot)) {
            // `field!` checks the kind where the row is written; a row
            // built by hand that reads the wrong kind is said, not dropped.
            chatbot
                .set(m.field, value)
                .map_err(|e| Error::decode(V::VENDOR, e))?;
        }
    }
    chatbot.raw = serde_json::to_value(&bot).map_err(|e| Error::undecodable(V::VENDOR, e))?;
    Ok(chatbot)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read answer with required and optional fields of both kinds.
    struct Bot {
        name: String,
        greeting: Option<String>,
        temperature: f32,
        settings: Option<Settings>,
    }

    struct Settings {
        prompt: Option<String>,
    }

    const FIELDS: &[FieldMap<Bot>] = &[
        field!(Name at "name", text |b| b.name),
        field!(Greeting at "greeting", text |b| b.greeting),
        field!(Temperature at "temperature", number |b| b.temperature),
        field!(Instructions at "settings" / "prompt", text |b| b.settings.as_ref()?.prompt),
        field!(Model at "model"),
    ];

    fn read(bot: &Bot) -> Vec<(Field, Option<FieldValue>)> {
        FIELDS
            .iter()
            .map(|m| (m.field, m.read.and_then(|read| read(bot))))
            .collect()
    }

    /// `field!` reads a required `String` and a required number as well as
    /// optional ones; what the answer leaves out reads as `None`.
    #[test]
    fn field_rows_read_required_and_optional_values() {
        let bot = Bot {
            name: "Ava".into(),
            greeting: None,
            temperature: 0.5,
            settings: Some(Settings {
                prompt: Some("Be brief.".into()),
            }),
        };
        assert_eq!(
            read(&bot),
            [
                (Field::Name, Some(FieldValue::Text("Ava".into()))),
                (Field::Greeting, None),
                (Field::Temperature, Some(FieldValue::Number(0.5))),
                (
                    Field::Instructions,
                    Some(FieldValue::Text("Be brief.".into()))
                ),
                (Field::Model, None),
            ]
        );
        let bare = Bot {
            settings: None,
            ..bot
        };
        assert_eq!(read(&bare)[3], (Field::Instructions, None));
        assert_eq!(FIELDS[3].target.pointer, "/settings/prompt");
    }
}
