//! How each shared [`Field`] maps onto each vendor's request body, and back
//! from its read answer. The capability table in the docs and the README is
//! rendered from these definitions, so the two cannot disagree.

use chatbots_runtime::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, ErrorShape};
use crate::model::{ChatbotPatch, Field, FieldValue, Vendor};

/// How a shared value becomes the vendor's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Convert {
    /// As is.
    Same,
    /// A whole number; a fraction is refused, never rounded.
    WholeNumber,
    /// An ISO 639-1 code becomes the English language name HotTask wants
    /// (`es` → `Spanish`); an unknown code is refused, never guessed.
    LanguageName,
}

/// A place in a vendor's update body: as a JSON pointer for people, as
/// property names for the typed body.
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
        Target {
            pointer: concat!($("/", $name),+),
            path: &[$($name),+],
        }
    };
}

/// One shared field at one vendor.
pub(crate) struct FieldMap {
    pub field: Field,
    /// Where it goes in the update body.
    pub target: Target,
    /// JSON pointer into the vendor's bot object, where the read endpoint
    /// reports it.
    pub read: Option<&'static str>,
    pub convert: Convert,
}

/// Everything the facade knows about one vendor beyond its spec.
pub(crate) struct VendorMap {
    pub vendor: Vendor,
    /// The update operation (snake_case), whose spec schema validates bodies.
    pub update_operation: &'static str,
    pub fields: &'static [FieldMap],
    /// Where the bot id goes in the update body, when not in the path.
    pub id_in_body: Option<Target>,
    /// Where the id is in the vendor's bot object.
    pub read_id: &'static str,
    /// Read and list operations, if the vendor documents them.
    pub get_operation: Option<&'static str>,
    pub list_operation: Option<&'static str>,
    pub error: ErrorShape,
}

const fn map(field: Field, target: Target, read: Option<&'static str>) -> FieldMap {
    FieldMap {
        field,
        target,
        read,
        convert: Convert::Same,
    }
}

pub(crate) const STREAMSKILL: VendorMap = VendorMap {
    vendor: Vendor::StreamSkill,
    update_operation: "edit_ai_chatbots",
    fields: &[map(Field::Language, at!("language"), None)],
    id_in_body: None,
    read_id: "/id",
    get_operation: Some("getPurchase"),
    list_operation: Some("listPurchases"),
    error: ErrorShape {
        code: &["/type"],
        message: &["/message", "/name"],
        field_errors: Some("/errors"),
        kinds: &[
            ("unauthorized_http_exception", || ErrorKind::Unauthorized),
            ("purchase_not_found_exception", || ErrorKind::NotFound),
            ("action_unavailable", || ErrorKind::NotAllowed),
            ("purchase_done", || ErrorKind::Conflict),
            ("action_failed", || ErrorKind::Server),
        ],
    },
};

pub(crate) const CONVERZA: VendorMap = VendorMap {
    vendor: Vendor::Converza,
    update_operation: "update_bot",
    fields: &[
        map(Field::Name, at!("name"), Some("/name")),
        map(Field::Description, at!("description"), Some("/description")),
        map(
            Field::Instructions,
            at!("instructions"),
            Some("/instructions"),
        ),
        map(Field::Temperature, at!("temperature"), Some("/temperature")),
    ],
    id_in_body: None,
    read_id: "/id",
    get_operation: Some("getBot"),
    list_operation: Some("listBots"),
    error: ErrorShape {
        code: &["/error/code", "/error"],
        message: &["/message", "/error/message"],
        field_errors: None,
        kinds: &[],
    },
};

pub(crate) const OKCHAT: VendorMap = VendorMap {
    vendor: Vendor::OkChat,
    update_operation: "update_chatbot",
    fields: &[
        map(Field::Name, at!("name"), Some("/name")),
        map(Field::Description, at!("description"), Some("/description")),
        map(
            Field::Instructions,
            at!("settings" / "prompt"),
            Some("/settings/prompt"),
        ),
        map(
            Field::Model,
            at!("settings" / "model"),
            Some("/settings/model"),
        ),
        map(
            Field::Greeting,
            at!("settings" / "greeting"),
            Some("/settings/greeting"),
        ),
    ],
    id_in_body: None,
    read_id: "/id",
    get_operation: Some("getChatbot"),
    list_operation: Some("listChatbots"),
    error: ErrorShape {
        code: &[],
        message: &["/message", "/error"],
        field_errors: None,
        kinds: &[],
    },
};

pub(crate) const PURETALK: VendorMap = VendorMap {
    vendor: Vendor::PureTalk,
    update_operation: "update_assistant",
    fields: &[
        map(Field::Name, at!("name"), Some("/name")),
        map(Field::Instructions, at!("prompt"), Some("/prompt")),
        map(Field::Model, at!("model"), Some("/model")),
        map(
            Field::Greeting,
            at!("begin_message"),
            Some("/begin_message"),
        ),
        map(Field::Timezone, at!("timezone"), Some("/timezone")),
    ],
    id_in_body: None,
    read_id: "/assistant_id",
    get_operation: Some("getAssistant"),
    list_operation: Some("listAssistants"),
    error: ErrorShape {
        code: &[],
        message: &["/msg"],
        field_errors: None,
        kinds: &[],
    },
};

pub(crate) const HOTTASK: VendorMap = VendorMap {
    vendor: Vendor::HotTask,
    update_operation: "edit_chatbot",
    fields: &[
        map(Field::Name, at!("Name"), None),
        map(Field::Instructions, at!("SystemMessage"), None),
        FieldMap {
            field: Field::Temperature,
            target: at!("Temperature"),
            read: None,
            convert: Convert::WholeNumber,
        },
        map(Field::Greeting, at!("WelcomeMessage"), None),
        FieldMap {
            field: Field::Language,
            target: at!("AIResponseLanguage"),
            read: None,
            convert: Convert::LanguageName,
        },
        map(Field::Timezone, at!("TimeZone"), None),
    ],
    id_in_body: Some(at!("serialNumber")),
    read_id: "/serialNumber",
    get_operation: None,
    list_operation: None,
    error: ErrorShape {
        code: &["/Code"],
        message: &["/Message"],
        field_errors: None,
        kinds: &[],
    },
};

/// The mapping of every vendor, compiled in or not.
pub(crate) const ALL: [&VendorMap; 5] = [&STREAMSKILL, &CONVERZA, &OKCHAT, &PURETALK, &HOTTASK];

pub(crate) fn of(vendor: Vendor) -> &'static VendorMap {
    match vendor {
        Vendor::StreamSkill => &STREAMSKILL,
        Vendor::Converza => &CONVERZA,
        Vendor::OkChat => &OKCHAT,
        Vendor::PureTalk => &PURETALK,
        Vendor::HotTask => &HOTTASK,
    }
}

/// Where `field` goes at `vendor`: the JSON pointer into the update body,
/// or `None` when the vendor does not support it.
pub fn vendor_field(vendor: Vendor, field: Field) -> Option<&'static str> {
    of(vendor)
        .fields
        .iter()
        .find(|m| m.field == field)
        .map(|m| m.target.pointer)
}

/// ISO 639-1 codes and the English names HotTask's `AIResponseLanguage`
/// takes. A code not listed is refused rather than guessed.
const LANGUAGE_NAMES: &[(&str, &str)] = &[
    ("ar", "Arabic"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sv", "Swedish"),
    ("th", "Thai"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
];

fn convert(vendor: Vendor, m: &FieldMap, value: FieldValue<'_>) -> Result<Value, Error> {
    let field = m.field.name();
    match (m.convert, value) {
        (Convert::Same, FieldValue::Text(t)) => Ok(Value::from(t)),
        (Convert::Same, FieldValue::Number(n)) => serde_json::Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| Error::invalid(vendor, field, "must be a finite number")),
        (Convert::WholeNumber, FieldValue::Number(n)) => {
            if n.fract() == 0.0 && n.is_finite() && n.abs() < 9.0e15 {
                Ok(Value::from(n as i64))
            } else {
                Err(Error::invalid(
                    vendor,
                    field,
                    format!("must be a whole number: {vendor} takes an integer (got {n}); it is not rounded"),
                ))
            }
        }
        (Convert::LanguageName, FieldValue::Text(code)) => LANGUAGE_NAMES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|(_, name)| Value::from(*name))
            .ok_or_else(|| {
                Error::invalid(
                    vendor,
                    field,
                    format!(
                        "must be an ISO 639-1 code {vendor} has a language name for (got `{code}`); \
                         set `AIResponseLanguage` in the vendor patch for others"
                    ),
                )
            }),
        (_, other) => Err(Error::invalid(vendor, field, format!("has the wrong type ({other:?})"))),
    }
}

/// The vendor's update body for `patch`: the vendor patch as JSON (or an
/// empty object) with each shared field set at its place and the bot id
/// where the vendor wants it, checked against the operation's schema from
/// the spec, then read into the generated request type. Refusals name the
/// vendor, the field and the rule; nothing is sent.
pub(crate) fn update_body<T>(
    vendor: Vendor,
    id: &str,
    patch: &ChatbotPatch,
    own: Option<&T>,
    schema: Option<&Schema>,
) -> Result<T, Error>
where
    T: Serialize + DeserializeOwned,
{
    let vm = of(vendor);
    let nothing = || Error::invalid(vendor, "(patch)", "changes nothing: set at least one field");
    if patch.is_empty() {
        return Err(nothing());
    }
    if let Some(extra) = &patch.vendor
        && extra.vendor() != vendor
    {
        return Err(Error::invalid(
            vendor,
            "vendor",
            format!(
                "the vendor patch is for {}, the bot is at {vendor}",
                extra.vendor()
            ),
        ));
    }
    let mut body = match own {
        Some(own) => to_json(vendor, own)?,
        None => Value::Object(Default::default()),
    };
    let mut shared = 0;
    for field in Field::ALL {
        let Some(value) = patch.get(field) else {
            continue;
        };
        let m = vm
            .fields
            .iter()
            .find(|m| m.field == field)
            .ok_or_else(|| Error::unsupported(vendor, field.name()))?;
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
    if shared == 0 && !changes_anything(vm, &body) {
        return Err(nothing());
    }
    if let Some(target) = vm.id_in_body {
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
    if let Some(v) = schema.and_then(|s| s.validate(&body).into_iter().next()) {
        return Err(Error::invalid(vendor, v.field, v.rule));
    }
    // What the schema allows but the generated type cannot hold.
    serde_json::from_value(body).map_err(|e| Error::invalid(vendor, "(body)", e.to_string()))
}

/// A typed vendor body as JSON. Through the JSON text, so that a 32-bit
/// float reads as written (`0.1`, not `0.10000000149011612`).
fn to_json<T: Serialize>(vendor: Vendor, body: &T) -> Result<Value, Error> {
    serde_json::to_vec(body)
        .and_then(|bytes| serde_json::from_slice(&bytes))
        .map_err(|e| Error::invalid(vendor, "(body)", e.to_string()))
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
fn changes_anything(vm: &VendorMap, body: &Value) -> bool {
    body.as_object().is_some_and(|fields| {
        fields
            .keys()
            .any(|k| Some(k.as_str()) != vm.id_in_body.map(|t| t.path[0]))
    })
}

/// StreamSkill's documented rule between two fields, which a schema cannot
/// say: `interval` is at least ceil(60 / `count`).
pub(crate) fn streamskill_interval_rule(
    count: Option<u64>,
    interval: Option<u64>,
) -> Result<(), Error> {
    if let (Some(count), Some(interval)) = (count, interval) {
        let minimum = 60u64.div_ceil(count.max(1)).max(1);
        if interval < minimum {
            return Err(Error::invalid(
                Vendor::StreamSkill,
                "interval",
                format!(
                    "must be at least ceil(60 / count) = {minimum} for count {count} (got {interval})"
                ),
            ));
        }
    }
    Ok(())
}

/// The capability table as Markdown: vendor × field → the vendor's field,
/// or "—" when the vendor does not support it.
pub fn capability_table() -> String {
    let mut out = String::from("| field |");
    for vm in ALL {
        out.push_str(&format!(" {} |", vm.vendor));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(ALL.len()));
    out.push('\n');
    for field in Field::ALL {
        out.push_str(&format!("| `{field}` |"));
        for vm in ALL {
            let cell = match vm.fields.iter().find(|m| m.field == field) {
                None => "—".to_string(),
                Some(m) => {
                    let name = format!("`{}`", m.target.dotted());
                    match m.convert {
                        Convert::Same => name,
                        Convert::WholeNumber => format!("{name} (whole numbers only)"),
                        Convert::LanguageName => format!("{name} (ISO code → English name)"),
                    }
                }
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("| `get` / `list` |");
    for vm in ALL {
        let ops = match (vm.get_operation, vm.list_operation) {
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
