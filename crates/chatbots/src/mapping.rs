//! How each shared [`Field`] maps onto a vendor's update body and back
//! from its read answer (each vendor's table is in its module under
//! `vendors/`), and the update body built from a [`ChatbotPatch`]. The
//! capability table in the docs and the README is rendered from the
//! tables, so the two cannot disagree.

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::model::{Chatbot, ChatbotPatch, Field, FieldValue, Vendor};
use crate::vendors::{self, VendorApi};

/// How a shared value becomes the vendor's value when it is not taken as
/// is, exactly or refused (never rounded or guessed): what the capability
/// table says about it (`whole numbers only`), and the conversion, which
/// gives the vendor's value or the rule the shared value breaks.
pub(crate) type Convert = (&'static str, fn(FieldValue<'_>) -> Result<Value, String>);

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
pub(crate) type Read<B> = fn(&B) -> Option<FieldValue<'_>>;

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
macro_rules! field {
    ($field:ident at $($name:literal)/+ $(, convert $convert:expr)?) => {
        $crate::mapping::FieldMap {
            field: $crate::model::Field::$field,
            target: $crate::mapping::at!($($name)/+),
            convert: $crate::mapping::field!(@convert $($convert)?),
            read: None,
        }
    };
    ($field:ident at $($name:literal)/+, text |$bot:ident| $read:expr) => {
        $crate::mapping::FieldMap {
            field: $crate::model::Field::$field,
            target: $crate::mapping::at!($($name)/+),
            convert: None,
            read: Some(|$bot| $read.as_deref().map($crate::model::FieldValue::Text)),
        }
    };
    ($field:ident at $($name:literal)/+, number |$bot:ident| $read:expr) => {
        $crate::mapping::FieldMap {
            field: $crate::model::Field::$field,
            target: $crate::mapping::at!($($name)/+),
            convert: None,
            read: Some(|$bot| $read.map($crate::model::FieldValue::Number)),
        }
    };
    (@convert) => { None };
    (@convert $convert:expr) => { Some($convert) };
}
pub(crate) use field;

/// Where `field` goes at `vendor`: the JSON pointer into the update body,
/// or `None` when the vendor does not support it (or is not compiled in).
pub fn vendor_field(vendor: Vendor, field: Field) -> Option<&'static str> {
    let registered = vendors::find(vendor).ok()?;
    (registered.field)(field).map(|(target, _)| target.pointer)
}

fn convert<B>(vendor: Vendor, m: &FieldMap<B>, value: FieldValue<'_>) -> Result<Value, Error> {
    let field = m.field.name();
    let refused = |rule| Error::invalid(vendor, field, rule);
    match (m.convert, value) {
        (Some((_, apply)), value) => apply(value).map_err(refused),
        (None, FieldValue::Text(t)) => Ok(Value::from(t)),
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
    let nothing = || Error::invalid(vendor, "(patch)", "changes nothing: set at least one field");
    if patch.is_empty() {
        return Err(nothing());
    }
    let own = match &patch.vendor {
        None => None,
        Some(extra) => Some(extra.body().downcast_ref::<V::Body>().ok_or_else(|| {
            Error::invalid(
                vendor,
                "vendor",
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
    for field in Field::ALL {
        let Some(value) = patch.get(field) else {
            continue;
        };
        let m = V::FIELDS
            .iter()
            .find(|m| m.field == field)
            .ok_or_else(|| Error::unsupported(vendor, field.name()))?;
        if let (None, FieldValue::Number(n)) = (m.convert, value) {
            numbers.push((field, m.target, n));
        }
        let value = convert(vendor, m, value)?;
        let slot = place(vendor, &mut body, m.target)?;
        if !slot.is_null() {
            return Err(Error::invalid(
                vendor,
                field.name(),
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
                    target.dotted(),
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
        return Err(Error::invalid(vendor, v.field, v.rule));
    }
    for (field, target, n) in numbers {
        exact(schema.json(), target, n)
            .map_err(|rule| Error::invalid(vendor, field.name(), rule))?;
    }
    // What the schema allows but the generated type cannot hold.
    serde_json::from_value(body)
        .map_err(|e| Error::invalid(vendor, "(body)", e.to_string()).caused_by(e))
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
        .map_err(|e| Error::invalid(vendor, "(body)", e.to_string()).caused_by(e))
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
                target.dotted(),
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
            chatbot.set(m.field, value);
        }
    }
    chatbot.raw = serde_json::to_value(&bot).map_err(|e| Error::undecodable(V::VENDOR, e))?;
    Ok(chatbot)
}

/// The capability table as Markdown: vendor × field → the vendor's field,
/// or "—" when the vendor does not support it. Lists the vendors compiled
/// in.
pub fn capability_table() -> String {
    let all: Vec<_> = vendors::registered().collect();
    let mut out = String::from("| field |");
    for r in &all {
        out.push_str(&format!(" {} |", r.vendor));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(all.len()));
    out.push('\n');
    for field in Field::ALL {
        out.push_str(&format!("| `{field}` |"));
        for r in &all {
            let cell = match (r.field)(field) {
                None => "—".to_string(),
                Some((target, None)) => format!("`{}`", target.dotted()),
                Some((target, Some((note, _)))) => format!("`{}` ({note})", target.dotted()),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("| `get` / `list` |");
    for r in &all {
        let ops = match (r.get_operation, r.list_operation) {
            (Some(g), Some(l)) => format!("`{g}` / `{l}`"),
            (Some(g), None) => format!("`{g}` / —"),
            (None, Some(l)) => format!("— / `{l}`"),
            (None, None) => "— / —".into(),
        };
        out.push_str(&format!(" {ops} |"));
    }
    out.push('\n');
    out
}
