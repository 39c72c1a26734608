//! The handlers of StreamSkill's orders (but the edits, in `edits.rs`) and
//! tariffs.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chatbots_streamskill::types;
use serde_json::{Map, Value, json};

use super::auth::Auth;
use super::model::{Account, Count, Lang, Purchase, default_settings, now};
use super::{
    Errors, error, insufficient_funds, invalid, not_allowed, not_found, purchase_done, render,
    reply,
};
use crate::extract::{PendingJson, SpecFields};
use crate::support;

pub(super) struct App {
    pub(super) account: Mutex<Account>,
}

impl App {
    pub(super) fn account(&self) -> MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) type Shared = State<Arc<App>>;
pub(super) type RawPath = Result<Path<String>, PathRejection>;
type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

fn ok(body: &Value) -> Response {
    reply(StatusCode::OK, body)
}

pub(super) fn action_success() -> Response {
    ok(&json!({"status": "ok"}))
}

pub(super) fn add(errors: &mut Errors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(message.into());
}

fn query(raw: RawQuery) -> HashMap<String, String> {
    raw.map(|Query(map)| map).unwrap_or_default()
}

/// The `expand` list: comma-separated names.
fn expand(query: &HashMap<String, String>) -> Vec<String> {
    query
        .get("expand")
        .map(|list| {
            list.split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn lang(headers: &HeaderMap) -> Lang {
    let value = support::header_str(headers, header::ACCEPT_LANGUAGE.as_str()).unwrap_or("");
    if value.trim().to_ascii_lowercase().starts_with("ru") {
        Lang::Ru
    } else {
        Lang::En
    }
}

/// A positive integer id from the path, or `None` (with the raw text).
pub(super) fn path_id(path: RawPath) -> Result<u64, String> {
    let raw = path.map(|Path(raw)| raw).unwrap_or_default();
    if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(raw);
    }
    match raw.parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(raw),
    }
}

fn list(app: &App, headers: &HeaderMap, raw: RawQuery, keep: fn(&Purchase) -> bool) -> Response {
    let expand = expand(&query(raw));
    let lang = lang(headers);
    let account = app.account();
    let items: Vec<Value> = account
        .purchases
        .values()
        .filter(|p| keep(p))
        .map(|p| p.to_json(&expand, &account.tarifs, lang))
        .collect();
    ok(&Value::Array(items))
}

pub(super) async fn list_purchases(
    State(app): Shared,
    _auth: Auth,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(&app, &headers, raw, |_| true)
}

pub(super) async fn list_uncompleted(
    State(app): Shared,
    _auth: Auth,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(&app, &headers, raw, |p| !p.is_done())
}

pub(super) async fn get_purchases_bulk(
    State(app): Shared,
    _auth: Auth,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    let query = query(raw);
    let mut errors = Errors::new();
    let mut ids: Vec<u64> = Vec::new();
    match query.get("ids").map(|s| s.trim()) {
        None | Some("") => add(&mut errors, "ids", "Ids cannot be blank."),
        Some(list) => {
            for part in list.split(',').map(str::trim) {
                match part.parse::<u64>() {
                    Ok(id) if id > 0 && part.bytes().all(|b| b.is_ascii_digit()) => {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                    _ => {
                        add(
                            &mut errors,
                            "ids",
                            format!(
                                "Ids must be positive integers separated by commas (got \"{part}\")."
                            ),
                        );
                        break;
                    }
                }
            }
            if ids.len() > 100 {
                add(
                    &mut errors,
                    "ids",
                    format!("Ids should contain at most 100 items (got {}).", ids.len()),
                );
            }
        }
    }
    if !errors.is_empty() {
        return invalid(errors);
    }
    let expand = expand(&query);
    let lang = lang(&headers);
    let account = app.account();
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match account.purchases.get(&id) {
            Some(p) => items.push(p.to_json(&expand, &account.tarifs, lang)),
            None => missing.push(id),
        }
    }
    ok(&json!({"items": items, "missing_ids": missing}))
}

pub(super) async fn get_purchase(
    State(app): Shared,
    _auth: Auth,
    path: RawPath,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let expand = expand(&query(raw));
    let account = app.account();
    match account.purchases.get(&id) {
        Some(p) => ok(&p.to_json(&expand, &account.tarifs, lang(&headers))),
        None => not_found(&id.to_string()),
    }
}

pub(super) async fn create_purchase(
    State(app): Shared,
    _auth: Auth,
    headers: HeaderMap,
    raw: RawQuery,
    SpecFields(_, value): SpecFields<types::CartObject>,
) -> Response {
    let value = Value::Object(value);
    let mut account = app.account();
    let mut errors = Errors::new();
    let tarif = value
        .pointer("/tarif/id")
        .and_then(Value::as_u64)
        .and_then(|id| account.tarif(id))
        .cloned();
    let Some(tarif) = tarif else {
        add(&mut errors, "tarif.id", "Tarif not found");
        return invalid(errors);
    };
    let quantity = match value.pointer("/tarif/quantity").and_then(Value::as_i64) {
        None => tarif.default_quantity(),
        Some(q) => {
            let (min, max) = match tarif.count {
                Count::Fixed(_) => (1, 1_000_000),
                Count::Range(min, max) => (min, max),
            };
            if q < min as i64 || q > max as i64 {
                add(
                    &mut errors,
                    "tarif.quantity",
                    format!("Quantity must be between {min} and {max} for this tariff."),
                );
            }
            q.max(1) as u64
        }
    };
    let duration = match value.pointer("/tarif/duration").and_then(Value::as_i64) {
        None => 1,
        Some(d) if d < 1 => {
            add(
                &mut errors,
                "tarif.duration",
                "Duration must be at least 1.",
            );
            1
        }
        Some(d) => d as u64,
    };
    let channel = value
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    // A blank channel is not refused: the docs require the field, not text
    // in it.
    let interval = value.get("interval").and_then(Value::as_u64);
    if let Some(interval) = interval {
        if !tarif.custom_interval {
            add(
                &mut errors,
                "interval",
                "This tariff does not support a custom interval.",
            );
        } else if tarif.kind == "ai_chatbots" {
            let minimum = 60u64.div_ceil(quantity.max(1)).max(1);
            if interval < minimum || interval > 60 {
                add(
                    &mut errors,
                    "interval",
                    format!(
                        "Interval must be between {minimum} and 60 seconds for {quantity} chatbots."
                    ),
                );
            }
        }
    }
    if !errors.is_empty() {
        return invalid(errors);
    }
    let price = tarif.price(quantity, duration);
    if price > account.balance {
        return insufficient_funds(price, account.balance);
    }
    account.balance -= price;
    // Seeded orders (`--bots`) may sit in the range created ids count
    // through: skip them.
    while account.purchases.contains_key(&account.next_id) {
        account.next_id += 1;
    }
    let id = account.next_id;
    account.next_id += 1;
    let start = value.get("start").and_then(Value::as_bool).unwrap_or(false);
    let purchase = Purchase {
        id,
        price,
        currency: "usd",
        created_at: now(),
        order_type: tarif.kind.to_string(),
        channel: channel.clone(),
        status: if start { "working" } else { "created" }.to_string(),
        service: tarif.service.to_string(),
        api: true,
        tarif: tarif.id,
        quantity,
        duration,
        comment: value
            .get("comment")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        settings: default_settings(tarif.kind, quantity, &channel, interval),
        custom_x: false,
        channel_changes_left: 3,
    };
    let body = purchase.to_json(&expand(&query(raw)), &account.tarifs, lang(&headers));
    account.purchases.insert(id, purchase);
    ok(&body)
}

pub(super) async fn start_purchase(State(app): Shared, _auth: Auth, path: RawPath) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let mut account = app.account();
    let Some(purchase) = account.purchases.get_mut(&id) else {
        return not_found(&id.to_string());
    };
    if purchase.is_done() {
        return purchase_done();
    }
    if !purchase.can_start() {
        return not_allowed();
    }
    purchase.status = "working".into();
    action_success()
}

pub(super) async fn prolong_purchase(
    State(app): Shared,
    _auth: Auth,
    path: RawPath,
    body: PendingJson<types::ProlongObject>,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let mut account = app.account();
    let Some(purchase) = account.purchases.get(&id) else {
        return not_found(&id.to_string());
    };
    if purchase.is_done() {
        return purchase_done();
    }
    let value = match body.check() {
        Ok(body) => body,
        Err(problem) => return render(problem),
    };
    let count = value.count.map_or(1, std::num::NonZeroU64::get);
    let (quantity, tarif_id) = (purchase.quantity, purchase.tarif);
    let price = account
        .tarif(tarif_id)
        .map(|t| t.price(quantity, count))
        .unwrap_or_default();
    if price > account.balance {
        return insufficient_funds(price, account.balance);
    }
    account.balance -= price;
    if let Some(purchase) = account.purchases.get_mut(&id) {
        purchase.duration = purchase.duration.saturating_add(count);
        purchase.price = ((purchase.price + price) * 100.0).round() / 100.0;
    }
    action_success()
}

pub(super) async fn bulk_stop(
    State(app): Shared,
    _auth: Auth,
    SpecFields(_, value): SpecFields<types::BulkIdsObject>,
) -> Response {
    let mut seen = BTreeSet::new();
    let mut success = Vec::new();
    let mut failed = Map::new();
    let mut account = app.account();
    let ids = value.get("ids").and_then(Value::as_array).cloned();
    for id in ids.unwrap_or_default().iter().filter_map(Value::as_i64) {
        if !seen.insert(id) {
            continue;
        }
        let reason = match u64::try_from(id)
            .ok()
            .and_then(|id| account.purchases.get_mut(&id))
        {
            None => Some("purchase_not_found_exception"),
            Some(p) if p.is_done() => Some("purchase_done"),
            Some(p) if !p.can_stop() => Some("action_unavailable"),
            Some(p) => {
                p.status = "stopped".into();
                None
            }
        };
        match reason {
            None => success.push(id),
            Some(reason) => {
                failed.insert(id.to_string(), json!(reason));
            }
        }
    }
    ok(&json!({"success": success, "failed": failed}))
}

pub(super) async fn get_tarif(
    State(app): Shared,
    _auth: Auth,
    path: RawPath,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    let found = path_id(path);
    let account = app.account();
    match found.as_ref().ok().and_then(|id| account.tarif(*id)) {
        Some(tarif) => {
            let panel = expand(&query(raw)).iter().any(|e| e == "panel");
            ok(&tarif.to_json(lang(&headers), panel))
        }
        None => error(
            StatusCode::NOT_FOUND,
            "Tarif not found",
            &format!(
                "Object not found: {}",
                match &found {
                    Ok(id) => id.to_string(),
                    Err(raw) => raw.clone(),
                }
            ),
            "not_found_http_exception",
        ),
    }
}
