//! Per-vendor test data, taken from each vendor's spec (operation, paths,
//! parameter and response examples, security scheme) and from its facade
//! module (`chatbots::vendor_facts`, `credential_variables`,
//! `vendor_field`), never from a table of vendors: a vendor added to the
//! registry is tested with no edit here, or skipped where it lacks data,
//! saying so on stderr.
//
// Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod spec;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chatbots::{
    BotRef, ChatbotPatch, Chatbots, ChatbotsBuilder, Field, Vendor, VendorFacts,
    credential_variables, vendor_facts, vendor_field,
};
use serde_json::{Value, json};

pub use spec::Spec;

/// The JWT every test's token exchange issues (the one vendor whose
/// credential is exchanged for a token sends this).
pub const ISSUED_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.issued-jwt-payload-6a5b.sig-77e1f0";

/// What the tests know about one vendor.
pub struct VendorData {
    pub vendor: Vendor,
    pub spec: Spec,
    /// The facade module's facts.
    pub facts: VendorFacts,
    /// The update's method (`PATCH`).
    pub method: String,
    /// The update's path, for [`bot`](Self::bot).
    pub path: String,
    /// The query parameter that selects the bot, if the update has one.
    pub query: Option<(String, String)>,
    /// The bot of the examples.
    pub bot: String,
    /// The update's documented success answer.
    pub ok_body: Value,
    /// The path of the token exchange, where the credential is exchanged
    /// for a token before each session.
    pub token_path: Option<String>,
    /// The token exchange's documented success answer.
    pub token_body: Option<Value>,
}

fn gather(vendor: Vendor) -> Result<VendorData, String> {
    let facts = vendor_facts(vendor).ok_or("not registered in the facade")?;
    let spec = Spec::load(vendor)?;
    let update = spec
        .operation(facts.update_operation)
        .ok_or_else(|| format!("no operation `{}` in its spec", facts.update_operation))?;
    let method = update.method.clone();
    let mut path = update.path.clone();
    let mut query = None;
    let bot = match (update.id_parameter(), facts.id_in_body) {
        (Some((at, name, example)), _) => {
            let example = example
                .ok_or_else(|| format!("no `example` on the update's parameter `{name}`"))?;
            match at.as_str() {
                "path" => path = path.replace(&format!("{{{name}}}"), &example),
                _ => query = Some((name, example.clone())),
            }
            example
        }
        (None, Some(property)) => {
            let example = update
                .request_example()
                .ok_or("no request body example (the bot id goes in the body)")?;
            let mut at = &example;
            for name in property {
                at = &at[*name];
            }
            at.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("no `{}` in the request body example", property.join(".")))?
        }
        (None, None) => return Err("no id parameter on the update".into()),
    };
    let ok_body = update
        .success_example()
        .ok_or("no example of the update's success response")?;
    let token_path = spec.token_operation().map(|o| o.path.clone());
    let token_body = spec.token_operation().and_then(|o| o.success_example());
    drop(update);
    Ok(VendorData {
        vendor,
        spec,
        facts,
        method,
        path,
        query,
        bot,
        ok_body,
        token_path,
        token_body,
    })
}

fn all() -> &'static BTreeMap<Vendor, Result<VendorData, String>> {
    static ALL: OnceLock<BTreeMap<Vendor, Result<VendorData, String>>> = OnceLock::new();
    ALL.get_or_init(|| Vendor::ALL.into_iter().map(|v| (v, gather(v))).collect())
}

/// The data of `vendor`, or what it lacks.
pub fn try_data(vendor: Vendor) -> Result<&'static VendorData, &'static str> {
    all()[&vendor].as_ref().map_err(String::as_str)
}

/// The data of `vendor`; panics naming what it lacks (for tests of one
/// named vendor).
pub fn data(vendor: Vendor) -> &'static VendorData {
    try_data(vendor).unwrap_or_else(|lacks| panic!("{vendor}: {lacks}"))
}

/// Every vendor with data, in `Vendor::ALL`'s order; each other one is
/// named on stderr with what it lacks, so that a skip is never silent.
pub fn vendors(test: &str) -> Vec<Vendor> {
    Vendor::ALL
        .into_iter()
        .filter(|v| match try_data(*v) {
            Ok(_) => true,
            Err(lacks) => {
                eprintln!("{test}: skipping {v}: {lacks}");
                false
            }
        })
        .collect()
}

/// Real answers of `vendor` beyond its spec's examples, of one `kind`
/// (`update_ok`, `update_failed`, `read_ok`, `error`): what its crate's
/// `tests/answers.json` lists, which its crate's own robustness test also
/// answers with. Empty for a vendor without the file, said on stderr.
pub fn crate_answers(vendor: Vendor, kind: &str) -> Vec<Value> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(vendor.name())
        .join("tests/answers.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{vendor}: no {}: its spec's examples only", path.display());
        return Vec::new();
    };
    let answers: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    match &answers[kind] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => panic!("{}: `{kind}` is not a list: {other}", path.display()),
    }
}

/// The secret these tests give a credential variable: distinctive, so
/// that a leak is found by a plain substring search.
pub fn secret(variable: &str) -> String {
    format!(
        "{}-secret-4f1d9a7c",
        variable.to_ascii_lowercase().replace('_', "-")
    )
}

/// Every secret [`credentials`] hands out, and the issued token.
pub fn secrets() -> Vec<String> {
    Vendor::ALL
        .into_iter()
        .flat_map(credential_variables)
        .map(|v| secret(v))
        .chain([ISSUED_TOKEN.to_string()])
        .collect()
}

/// `builder` with `vendor`'s credentials ([`secret`] of each variable).
pub fn credentials(builder: ChatbotsBuilder, vendor: Vendor) -> ChatbotsBuilder {
    let names = credential_variables(vendor);
    builder
        .from_env_with(|name| names.contains(&name).then(|| secret(name)))
        .expect("the credentials of one vendor, whole")
}

/// A value of each shared field that every vendor supporting the field
/// takes.
pub fn sample_patch(field: Field) -> ChatbotPatch {
    let p = ChatbotPatch::new();
    match field {
        Field::Name => p.name("Support bot"),
        Field::Description => p.description("Handles support"),
        Field::Instructions => p.instructions("Answer briefly."),
        Field::Model => p.model("puretalk-plg"),
        Field::Temperature => p.temperature(1.0),
        Field::Greeting => p.greeting("Hi! How can I help?"),
        Field::Language => p.language("en"),
        Field::Timezone => p.timezone("Europe/Berlin"),
        _ => unreachable!("new field: give it a sample value here"),
    }
}

impl VendorData {
    /// The bot of the examples.
    pub fn bot_ref(&self) -> BotRef {
        BotRef::new(self.vendor, self.bot.as_str())
    }

    /// A patch the vendor accepts: the first shared field it supports
    /// whose sample value its rules take.
    pub fn patch(&self) -> ChatbotPatch {
        let bots = credentials(Chatbots::builder(), self.vendor)
            .build()
            .expect("credentials build");
        Field::ALL
            .into_iter()
            .filter(|f| vendor_field(self.vendor, *f).is_some())
            .map(sample_patch)
            .find(|p| bots.check_update(&self.bot_ref(), p).is_ok())
            .unwrap_or_else(|| panic!("{}: no shared field takes its sample value", self.vendor))
    }

    /// The header that carries the credential, and its value: the issued
    /// token where the vendor exchanges its credential for one, else the
    /// credential (after `Bearer ` where the scheme is bearer).
    pub fn auth_header(&self) -> (String, String) {
        let (name, bearer) = self
            .spec
            .auth_header()
            .unwrap_or_else(|| panic!("{}: no header security scheme", self.vendor));
        let credential = match self.token_path {
            Some(_) => ISSUED_TOKEN.to_string(),
            None => secret(credential_variables(self.vendor)[0]),
        };
        let value = if bearer {
            format!("Bearer {credential}")
        } else {
            credential
        };
        (name, value)
    }

    /// The update operation in the spec.
    pub fn update(&self) -> spec::Operation<'_> {
        self.spec
            .operation(self.facts.update_operation)
            .expect("found when gathered")
    }

    /// The code the spec's example error for `status` carries (at the
    /// facade's code pointer), else `fallback`.
    pub fn documented_code(&self, status: u16, fallback: &str) -> String {
        self.update()
            .error_example(status)
            .and_then(|e| {
                self.facts
                    .error_code
                    .iter()
                    .find_map(|p| e.pointer(p)?.as_str().map(str::to_string))
            })
            .unwrap_or_else(|| fallback.to_string())
    }

    /// An error body in the vendor's shape: its spec's example for
    /// `status` where it has one, else `{}`; `message` at the first place
    /// the facade reads a message from, `code` at the first place it reads
    /// a code from (the status, where the spec types that place as a
    /// number).
    pub fn error_body(&self, status: u16, code: &str, message: &str) -> Value {
        let update = self.update();
        let mut body = update
            .error_example(status)
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        if let Some(at) = self.facts.error_message.first() {
            set(&mut body, at, json!(message));
        }
        if let Some(at) = self.facts.error_code.first() {
            set(&mut body, at, self.code_value(status, code));
        }
        body
    }

    fn code_value(&self, status: u16, code: &str) -> Value {
        let update = self.update();
        let at = self.facts.error_code.first().copied().unwrap_or_default();
        let numeric = update
            .response_schema(status)
            .and_then(|s| update.type_at(s, at))
            .is_some_and(|t| t == "integer" || t == "number");
        if numeric { json!(status) } else { json!(code) }
    }

    /// The code the facade reports for [`error_body`](Self::error_body):
    /// `None` where the vendor's errors have no code.
    pub fn expected_code(&self, status: u16, code: &str) -> Option<String> {
        self.facts.error_code.first()?;
        Some(match self.code_value(status, code) {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }

    /// A 200 body whose shape is not the documented one: the first typed
    /// property of the success schema, with a value of another type.
    pub fn wrong_shape(&self) -> Value {
        let update = self.update();
        let status = update
            .success_keys()
            .first()
            .and_then(|k| k.parse().ok())
            .unwrap_or(200);
        let schema = update
            .response_schema(status)
            .unwrap_or_else(|| panic!("{}: no success schema", self.vendor));
        let (name, kind) = update
            .typed_properties(schema)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: no typed property in the success schema", self.vendor));
        let wrong = match kind.as_str() {
            "string" | "object" | "array" => json!(42),
            "boolean" => json!("yes"),
            _ => json!("x"),
        };
        json!({ name: wrong })
    }
}

/// Sets the value at JSON `pointer` in `body`, making objects on the way.
pub fn set(body: &mut Value, pointer: &str, value: Value) {
    let mut here = body;
    let names: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, name) in names.iter().enumerate() {
        if !here.is_object() {
            *here = json!({});
        }
        let map = here.as_object_mut().expect("made an object");
        if i + 1 == names.len() {
            map.insert(name.to_string(), value);
            return;
        }
        here = map.entry(name.to_string()).or_insert_with(|| json!({}));
    }
}
