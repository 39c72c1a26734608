//! The handlers of StreamSkill's operations.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::model::{Account, Count, Lang, Purchase, default_settings, now};
use super::{
    CREDENTIALS, Errors, error, insufficient_funds, invalid, not_allowed, not_found, purchase_done,
    render, reply,
};
use crate::Vendor;
use crate::support::{self, Problem};

pub(super) struct App {
    pub(super) account: Mutex<Account>,
    pub(super) body_limit: usize,
}

impl App {
    fn account(&self) -> MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Shared = State<Arc<App>>;
type RawPath = Result<Path<String>, PathRejection>;
type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

/// Route layer: the sandbox token, or the documented 401.
pub(super) async fn authenticate(request: Request, next: Next) -> Response {
    if support::bearer(request.headers()) == Some(CREDENTIALS.key) {
        next.run(request).await
    } else {
        render(Problem::Unauthorized)
    }
}

fn ok(body: &Value) -> Response {
    reply(StatusCode::OK, body)
}

fn action_success() -> Response {
    ok(&json!({"status": "ok"}))
}

fn add(errors: &mut Errors, field: &str, message: impl Into<String>) {
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
fn path_id(path: RawPath) -> Result<u64, String> {
    let raw = path.map(|Path(raw)| raw).unwrap_or_default();
    if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(raw);
    }
    match raw.parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(raw),
    }
}

/// A JSON body for operations whose body the spec does not require: no
/// body at all (and no Content-Type) counts as `{}`.
async fn optional_json(headers: &HeaderMap, body: Body, limit: usize) -> Result<Value, Problem> {
    if headers.contains_key(header::CONTENT_TYPE) {
        return support::read_json(headers, body, limit).await;
    }
    let bytes = support::read_body(body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        // Refused for its missing Content-Type, like any other body.
        support::read_json(headers, Body::from(bytes), limit).await
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
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(&app, &headers, raw, |_| true)
}

pub(super) async fn list_uncompleted(
    State(app): Shared,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(&app, &headers, raw, |p| !p.is_done())
}

pub(super) async fn get_purchases_bulk(
    State(app): Shared,
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
    headers: HeaderMap,
    raw: RawQuery,
    body: Body,
) -> Response {
    let value = match support::read_json(&headers, body, app.body_limit).await {
        Ok(value) => value,
        Err(problem) => return render(problem),
    };
    if let Err(problem) = support::check_body(Vendor::StreamSkill, "create_purchase", &value) {
        return render(problem);
    }
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
    if channel.is_empty() {
        add(&mut errors, "channel", "Channel cannot be blank.");
    }
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

pub(super) async fn start_purchase(State(app): Shared, path: RawPath) -> Response {
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
    path: RawPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let value = match optional_json(&headers, body, app.body_limit).await {
        Ok(value) => value,
        Err(problem) => return render(problem),
    };
    let mut account = app.account();
    let Some(purchase) = account.purchases.get(&id) else {
        return not_found(&id.to_string());
    };
    if purchase.is_done() {
        return purchase_done();
    }
    if let Err(problem) = support::check_body(Vendor::StreamSkill, "prolong_purchase", &value) {
        return render(problem);
    }
    let count = value.get("count").and_then(Value::as_u64).unwrap_or(1);
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

pub(super) async fn bulk_stop(State(app): Shared, headers: HeaderMap, body: Body) -> Response {
    let value = match support::valid_json(
        Vendor::StreamSkill,
        "bulk_stop_purchases",
        &headers,
        body,
        app.body_limit,
    )
    .await
    {
        Ok(value) => value,
        Err(problem) => return render(problem),
    };
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

/// Which edit endpoint, and so which orders it accepts and which fields it
/// stores.
#[derive(Clone, Copy)]
enum Edit {
    AiChatbots,
    Chatbot,
    TwitchViewers,
    TwitchFollowers,
}

const VIEWERS_FIELDS: [&str; 15] = [
    "channel",
    "threads",
    "stream_views",
    "uniq_viewers",
    "raid",
    "raid_time",
    "connect_time",
    "online_mode",
    "manual_chart",
    "manual_chart_randomization",
    "manual_chart_end_action",
    "manual_chart_end_param",
    "geo",
    "geo_percent",
    "chatlist",
];

const MANUAL_FIELDS: [&str; 4] = [
    "manual_chart",
    "manual_chart_randomization",
    "manual_chart_end_action",
    "manual_chart_end_param",
];

impl Edit {
    fn operation(self) -> &'static str {
        match self {
            Edit::AiChatbots => "edit_ai_chatbots",
            Edit::Chatbot => "edit_chatbot",
            Edit::TwitchViewers => "edit_twitch_viewers",
            Edit::TwitchFollowers => "edit_twitch_followers",
        }
    }

    fn accepts(self, purchase: &Purchase) -> bool {
        match self {
            Edit::AiChatbots => purchase.order_type == "ai_chatbots",
            Edit::Chatbot => purchase.order_type == "chatbots",
            Edit::TwitchViewers => {
                matches!(purchase.order_type.as_str(), "twitch_viewers" | "viewers")
                    && purchase.service == "twitch"
            }
            Edit::TwitchFollowers => purchase.order_type == "twitch_followers",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Edit::AiChatbots => &["language", "count", "interval"],
            Edit::Chatbot => &["interval", "mode", "phrases"],
            Edit::TwitchViewers => &VIEWERS_FIELDS,
            Edit::TwitchFollowers => &["channel", "interval", "floating_interval"],
        }
    }
}

fn current_u64(purchase: &Purchase, field: &str) -> Option<u64> {
    purchase.settings.get(field).and_then(Value::as_u64)
}

/// A channel name as the edits take it: no URL prefix, not blank.
fn check_channel(errors: &mut Errors, fields: &Map<String, Value>) {
    if let Some(channel) = fields.get("channel").and_then(Value::as_str) {
        let channel = channel.trim();
        if channel.is_empty() {
            add(errors, "channel", "Channel cannot be blank.");
        } else if channel.contains('/') || channel.contains(':') {
            add(
                errors,
                "channel",
                "Enter the channel name without the URL prefix.",
            );
        }
    }
}

/// The rules beyond the schema, per endpoint.
fn check_rules(
    edit: Edit,
    purchase: &Purchase,
    languages: Option<&[&str]>,
    fields: &Map<String, Value>,
) -> Errors {
    let mut errors = Errors::new();
    match edit {
        Edit::AiChatbots => {
            if let Some(language) = fields.get("language").and_then(Value::as_str) {
                let known = languages.is_none_or(|list| list.contains(&language));
                if language.trim().is_empty() || !known {
                    add(
                        &mut errors,
                        "language",
                        format!(
                            "Language \"{language}\" is not available for this tariff (available: {}).",
                            languages.unwrap_or_default().join(", ")
                        ),
                    );
                }
            }
            let new_count = fields.get("count").and_then(Value::as_u64);
            if let Some(count) = new_count
                && count > purchase.quantity
            {
                add(
                    &mut errors,
                    "count",
                    format!(
                        "Count cannot exceed the purchased amount ({}).",
                        purchase.quantity
                    ),
                );
            }
            let count = new_count
                .or_else(|| current_u64(purchase, "count"))
                .unwrap_or(1)
                .max(1);
            let minimum = 60u64.div_ceil(count).max(1);
            let new_interval = fields.get("interval").and_then(Value::as_u64);
            if let Some(interval) = new_interval.or_else(|| current_u64(purchase, "interval"))
                && interval < minimum
            {
                let hint = if new_interval.is_none() {
                    " Send a larger interval together with the new count."
                } else {
                    ""
                };
                add(
                    &mut errors,
                    "interval",
                    format!(
                        "Interval must be at least {minimum} seconds for {count} chatbots (ceil(60 / count)); it is {interval}.{hint}"
                    ),
                );
            }
        }
        Edit::Chatbot => {
            if let Some(phrases) = fields.get("phrases").and_then(Value::as_array) {
                if phrases.is_empty() {
                    add(&mut errors, "phrases", "Phrases cannot be empty.");
                }
                if phrases
                    .iter()
                    .any(|p| p.as_str().is_some_and(|p| p.trim().is_empty()))
                {
                    add(&mut errors, "phrases", "Phrases cannot be blank.");
                }
            }
        }
        Edit::TwitchViewers => {
            check_channel(&mut errors, fields);
            if let Some(threads) = fields.get("threads").and_then(Value::as_u64)
                && threads > purchase.quantity
            {
                add(
                    &mut errors,
                    "threads",
                    format!(
                        "Threads cannot exceed the purchased amount ({}).",
                        purchase.quantity
                    ),
                );
            }
            for field in ["stream_views", "uniq_viewers"] {
                if let Some(n) = fields.get(field).and_then(Value::as_u64)
                    && n > 10
                    && !purchase.custom_x
                {
                    add(
                        &mut errors,
                        field,
                        format!(
                            "{field} must be at most 10 unless the customX option is on (got {n})."
                        ),
                    );
                }
            }
            if let Some(percent) = fields.get("geo_percent").and_then(Value::as_i64)
                && !(0..=100).contains(&percent)
            {
                add(
                    &mut errors,
                    "geo_percent",
                    format!("geo_percent must be between 0 and 100 (got {percent})."),
                );
            }
            let manual = match fields.get("online_mode").and_then(Value::as_str) {
                Some(mode) => mode == "manual",
                None => {
                    purchase.settings.get("online_mode").and_then(Value::as_str) == Some("manual")
                }
            };
            if manual {
                for field in MANUAL_FIELDS {
                    if !fields.contains_key(field) {
                        add(
                            &mut errors,
                            field,
                            format!("{field} is required when online_mode is manual."),
                        );
                    }
                }
            }
        }
        Edit::TwitchFollowers => {
            check_channel(&mut errors, fields);
            let current = purchase.settings.get("channel").and_then(Value::as_str);
            if let Some(channel) = fields.get("channel").and_then(Value::as_str)
                && Some(channel.trim()) != current
                && purchase.channel_changes_left == 0
                && !errors.contains_key("channel")
            {
                add(
                    &mut errors,
                    "channel",
                    "The channel can no longer be changed for this order.",
                );
            }
        }
    }
    errors
}

async fn edit(app: &App, edit: Edit, path: RawPath, headers: HeaderMap, body: Body) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let value = match optional_json(&headers, body, app.body_limit).await {
        Ok(value) => value,
        Err(problem) => return render(problem),
    };
    let mut account = app.account();
    let languages = account
        .purchases
        .get(&id)
        .and_then(|p| account.tarif(p.tarif))
        .and_then(|t| t.languages);
    let Some(purchase) = account.purchases.get_mut(&id) else {
        return not_found(&id.to_string());
    };
    if !edit.accepts(purchase) {
        return not_allowed();
    }
    if purchase.is_done() {
        return purchase_done();
    }
    if let Err(problem) = support::check_body(Vendor::StreamSkill, edit.operation(), &value) {
        return render(problem);
    }
    let fields = match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    let errors = check_rules(edit, purchase, languages, &fields);
    if !errors.is_empty() {
        return invalid(errors);
    }
    for (name, value) in fields {
        if !edit.fields().contains(&name.as_str()) {
            continue;
        }
        let value = match (name.as_str(), &value) {
            ("channel", Value::String(channel)) => {
                let channel = channel.trim().to_string();
                let changed = purchase.settings.get("channel").and_then(Value::as_str)
                    != Some(channel.as_str());
                if changed {
                    if matches!(edit, Edit::TwitchFollowers) {
                        purchase.channel_changes_left =
                            purchase.channel_changes_left.saturating_sub(1);
                    }
                    purchase.channel = format!("https://twitch.tv/{channel}");
                }
                Value::String(channel)
            }
            _ => value,
        };
        purchase.settings.insert(name, value);
    }
    action_success()
}

pub(super) async fn edit_ai_chatbots(
    State(app): Shared,
    path: RawPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    edit(&app, Edit::AiChatbots, path, headers, body).await
}

pub(super) async fn edit_chatbot(
    State(app): Shared,
    path: RawPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    edit(&app, Edit::Chatbot, path, headers, body).await
}

pub(super) async fn edit_twitch_viewers(
    State(app): Shared,
    path: RawPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    edit(&app, Edit::TwitchViewers, path, headers, body).await
}

pub(super) async fn edit_twitch_followers(
    State(app): Shared,
    path: RawPath,
    headers: HeaderMap,
    body: Body,
) -> Response {
    edit(&app, Edit::TwitchFollowers, path, headers, body).await
}

pub(super) async fn get_tarif(
    State(app): Shared,
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
