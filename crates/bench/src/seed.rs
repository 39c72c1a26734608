//! The seed request of each vendor and everything around it, from the
//! vendor's spec (its update operation's method, path, id example, request
//! and answer examples, server stem, security scheme, token exchange) and
//! its facade module (`chatbots::vendor_facts`, `credential_variables`,
//! `vendor_field`): nothing here is written per vendor. A vendor whose spec
//! lacks an example the bench needs is refused, naming what is missing.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chatbots::{
    BotRef, ChatbotPatch, Chatbots, Field, Vendor, VendorPatch, credential_variables, vendor_facts,
    vendor_field,
};
use hyper::Method;
use serde_json::{Value, json};

use crate::spec::Spec;

/// The seed request of one vendor, and how it travels.
#[derive(Debug)]
pub struct Seed {
    /// The vendor.
    pub vendor: Vendor,
    /// The update's method.
    pub method: Method,
    /// The path of the vendor's base URL (`/api`), before every path.
    pub stem: String,
    /// The update's path as the spec writes it (`/bots/{id}`), for routing.
    pub route: String,
    /// The update's path for [`bot`](Self::bot).
    pub path: String,
    /// The query parameter that names the bot, if the update has one.
    pub query: Option<(String, String)>,
    /// The seed request body: the spec's example of the update's body.
    pub request: Value,
    /// The answer: the spec's example of the update's success.
    pub response: Value,
    /// The bot of the examples.
    pub bot: BotRef,
    /// The token exchange's path and its answer, where the vendor exchanges
    /// its credentials for a token.
    pub token: Option<(String, Value)>,
    /// The token request's body keys, each with the credential variable it
    /// carries.
    pub token_request: Vec<(String, String)>,
    /// The header that carries the credential (lower-case), and whether as
    /// `Bearer <credential>`.
    pub auth: (String, bool),
    /// Whether the update's answer declares `X-Rate-Limit-*` headers.
    pub rate_limit_headers: bool,
}

/// The error for a vendor the bench cannot drive.
pub(crate) fn not_benched(vendor: Vendor, why: &str) -> String {
    format!("{vendor}: the bench has no seed request for this vendor ({why})")
}

fn gather(vendor: Vendor) -> Result<Seed, String> {
    let refuse = |why: &str| not_benched(vendor, why);
    let facts = vendor_facts(vendor).ok_or_else(|| refuse("not registered in the facade"))?;
    let spec = Spec::load(vendor).map_err(|e| refuse(&e))?;
    let update = spec
        .operation(facts.update_operation)
        .ok_or_else(|| refuse("its update is not in its spec"))?;
    let request = update
        .request_example()
        .ok_or_else(|| refuse("no example of the update's body"))?;
    let response = update
        .success_example()
        .ok_or_else(|| refuse("no example of the update's answer"))?;
    let mut path = update.path.clone();
    let mut query = None;
    let id = match (update.id_parameter(), facts.id_in_body) {
        (Some((at, name, example)), _) => {
            let example =
                example.ok_or_else(|| refuse(&format!("no example of its parameter `{name}`")))?;
            if at == "path" {
                path = path.replace(&format!("{{{name}}}"), &example);
            } else {
                query = Some((name, example.clone()));
            }
            example
        }
        (None, Some(property)) => property
            .iter()
            .try_fold(&request, |at, name| at.get(*name))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| refuse("no bot id in the body's example"))?,
        (None, None) => return Err(refuse("no bot id parameter on its update")),
    };
    let method =
        Method::from_bytes(update.method.as_bytes()).map_err(|e| refuse(&e.to_string()))?;
    let token = match spec.token_operation() {
        Some(exchange) => {
            let at = exchange.path.clone();
            let answer = exchange
                .success_example()
                .ok_or_else(|| refuse("no example of the token exchange's answer"))?;
            Some((
                at,
                answer,
                exchange.request_example().unwrap_or(Value::Null),
            ))
        }
        None => None,
    };
    let token_request = match &token {
        Some((_, _, example)) => example
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(key, _)| {
                let variable = credential_variables(vendor)
                    .iter()
                    .find(|v| v.to_ascii_lowercase().ends_with(key.as_str()))?;
                Some((key.clone(), variable.to_string()))
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Seed {
        vendor,
        method,
        stem: spec.server_stem(),
        route: update.path.clone(),
        path,
        query,
        rate_limit_headers: update.success_declares_header("X-Rate-Limit-Remaining"),
        request,
        response,
        bot: BotRef::new(vendor, id),
        token: token.map(|(at, answer, _)| (at, answer)),
        token_request,
        auth: spec
            .auth_header()
            .ok_or_else(|| refuse("its security scheme is not one header"))?,
    })
}

/// The seed of `vendor`, or why the bench cannot drive it.
pub fn seed(vendor: Vendor) -> Result<&'static Seed, String> {
    static SEEDS: OnceLock<BTreeMap<Vendor, Result<Seed, String>>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(|| Vendor::ALL.into_iter().map(|v| (v, gather(v))).collect());
    seeds[&vendor].as_ref().map_err(String::clone)
}

/// The secret the bench gives a credential variable.
pub fn secret(variable: &str) -> String {
    format!(
        "{}-bench-7f3a9c1e",
        variable.to_ascii_lowercase().replace('_', "-")
    )
}

/// The seed request body of `vendor`'s update operation: its spec's example.
pub fn seed_request(vendor: Vendor) -> Result<Value, String> {
    Ok(seed(vendor)?.request.clone())
}

/// The bot the seed request is about.
pub fn seed_bot(vendor: Vendor) -> Result<BotRef, String> {
    Ok(seed(vendor)?.bot.clone())
}

/// `field` of `patch` set to `value` (text, or a number for a number
/// field); `None` when the value is not of the field's kind.
fn with_field(patch: ChatbotPatch, field: Field, value: &Value) -> Option<ChatbotPatch> {
    if field == Field::Temperature {
        return value.as_f64().map(|t| patch.temperature(t));
    }
    let text = value.as_str()?;
    Some(match field {
        Field::Name => patch.name(text),
        Field::Description => patch.description(text),
        Field::Instructions => patch.instructions(text),
        Field::Model => patch.model(text),
        Field::Greeting => patch.greeting(text),
        Field::Language => patch.language(text),
        Field::Timezone => patch.timezone(text),
        _ => return None,
    })
}

/// Removes the value at JSON `pointer` from `body`, and objects it leaves
/// empty.
fn remove(body: &mut Value, pointer: &str) {
    let names: Vec<&str> = pointer.split('/').skip(1).collect();
    fn walk(here: &mut Value, names: &[&str]) {
        let Some(map) = here.as_object_mut() else {
            return;
        };
        match names {
            [] => {}
            [last] => {
                map.remove(*last);
            }
            [first, rest @ ..] => {
                if let Some(next) = map.get_mut(*first) {
                    walk(next, rest);
                    if next.as_object().is_some_and(|m| m.is_empty()) {
                        map.remove(*first);
                    }
                }
            }
        }
    }
    walk(body, &names);
}

/// The facade patch that makes the same body as [`seed_request`]: each
/// shared field the vendor maps, where the seed body sets it to a value the
/// field takes as it is, and the rest of the body as the vendor patch (the
/// bot id of a body that carries it comes from the [`BotRef`]).
pub fn seed_patch(vendor: Vendor) -> Result<ChatbotPatch, String> {
    let seed = seed(vendor)?;
    let facts = vendor_facts(vendor).ok_or_else(|| not_benched(vendor, "not registered"))?;
    let names = credential_variables(vendor);
    let bots = Chatbots::builder()
        .from_env_with(|name| names.contains(&name).then(|| secret(name)))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    let mut rest = seed.request.clone();
    if let Some(property) = facts.id_in_body {
        remove(&mut rest, &format!("/{}", property.join("/")));
    }
    let mut patch = ChatbotPatch::new();
    for field in Field::ALL {
        let Some(pointer) = vendor_field(vendor, field) else {
            continue;
        };
        let Some(value) = seed.request.pointer(pointer) else {
            continue;
        };
        // Only a value the field takes alone is moved: one the vendor's
        // rules refuse stays in the vendor patch (`check_identical` shows
        // that the body is the seed body all the same).
        let Some(alone) = with_field(ChatbotPatch::new(), field, value) else {
            continue;
        };
        if bots.check_update(&seed.bot, &alone).is_err() {
            continue;
        }
        if let Some(next) = with_field(patch.clone(), field, value) {
            patch = next;
            remove(&mut rest, pointer);
        }
    }
    match rest {
        Value::Object(map) if !map.is_empty() => {
            let extra = VendorPatch::from_json(vendor, &map).map_err(|e| e.to_string())?;
            Ok(patch.vendor_patch(extra))
        }
        _ => Ok(patch),
    }
}

/// The answer the server gives the token exchange, where there is one.
pub(crate) fn token_answer(seed: &Seed) -> Option<Value> {
    seed.token.as_ref().map(|(_, answer)| answer.clone())
}

/// The first `access_token` in `answer`, at any depth.
pub(crate) fn access_token(answer: &Value) -> Option<&str> {
    match answer {
        Value::Object(map) => map
            .get("access_token")
            .and_then(Value::as_str)
            .or_else(|| map.values().find_map(access_token)),
        Value::Array(items) => items.iter().find_map(access_token),
        _ => None,
    }
}

/// The token request body: each key with the secret of its variable.
pub(crate) fn token_request(seed: &Seed) -> Value {
    Value::Object(
        seed.token_request
            .iter()
            .map(|(key, variable)| (key.clone(), json!(secret(variable))))
            .collect(),
    )
}
