//! PureTalk AI stand-in: every operation of `specs/puretalk.yaml` under
//! `/puretalk` (in place of `https://api.puretalk.ai/api`).
//!
//! - **Auth**: header `X-API-KEY: sandbox-puretalk-key` on every route. Missing
//!   or wrong: HTTP 401 `{"err": true, "msg": ...}`.
//! - **Envelopes**: single objects come as `{"msg", "err": false, "results"}`
//!   (the docs' examples show `err: true` on success; the sandbox answers
//!   `false`, which the client reads as success). Assistants, calls and phone
//!   numbers are DRF pages `{count, next, previous, results}` (query `page`,
//!   `limit`; default limit 10, at most 100; a page past the last is 404
//!   `Invalid page.`); campaigns are `{msg, err, results: {count, campaigns}}`.
//! - **Errors**: `{"err": true, "msg": "..."}` with the HTTP status: 400 for a
//!   body that breaks the spec (the message names the field, e.g.
//!   `voice: must be an integer (got a string)`), for a non-JSON body and for a
//!   bad query parameter; 401 auth; 404 unknown id or route (`AI Assistant not
//!   found`, `Voice not found`); 405 wrong method; 413 body larger than the
//!   limit; 415 wrong content type.
//!
//! Fixtures (a fresh copy per sandbox):
//!
//! | What | Ids |
//! |---|---|
//! | Assistants | `123e4567-e89b-12d3-a456-426614174000` (the seed page's "My AI Assistant", model `gpt-3.5-turbo`, voice 123), `e1f09482-2910-45e1-a2f3-ab75cd9a5a51` ("Front desk", multi-task, voice 7, LLM states `3c90c3cc-0d44-4b50-8888-8dd25736052a` with child `5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6`), `9f1c7e2a-4b7d-4c55-9a51-2f0d3c8b6e10` (an older page version's shape: `id` 17, integer `user` and `voice`, string `voice_stability`) |
//! | Voices (`GET /voices/{id}` takes the numeric id or the `voice_id`) | 7 (`voice_id` `Puretalk Model V4`, "Seven", the docs' example; not a UUID, so TTS refuses it), 123 (`5bc2961c-fb9b-4a3d-a257-e0c5f2f95332`, "Olivia"), 124 (`70756ba9-cfdd-4108-84de-3a24d3f86b34`, cloned). 42 does not exist. Cloned voices get 1000, 1001, ... |
//! | Calls | `0f8c2d4e-6a1b-4c3d-9e5f-7a8b9c0d1e2f` (outgoing, completed, full analysis), `6b2d8e1f-3c4a-4f5b-8a9c-0d1e2f3a4b5c` (web, incoming, string `metadata`), `9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d` (outgoing, failed) |
//! | Phone numbers | `+14155550123` (active, "Front desk"), `+442071838750` (inactive, no assistant) |
//! | Campaigns | `123e4567-e89b-12d3-a456-426614174000` (the docs' example, active), `7e6d5c4b-3a2f-4e1d-9c0b-a9b8c7d6e5f4` (paused) |
//!
//! Behaviour: `PATCH /ai-assistants/{id}` changes what `GET` returns (`voice`
//! takes a voice's numeric id and embeds that voice; `voice_stability` and
//! `voice_clarity_similarity` strings come back as numbers when they parse).
//! `POST /ai-assistants` appends to the list. LLM states live in the
//! assistant's `llm_states`: an upsert with a known `state_id` updates that
//! state, otherwise adds one with a new id; the delete removes the listed ids
//! anywhere (unknown ids are ignored; an empty list is 400).
//! `POST /calls/web/register` adds an in-progress `web` call to `GET /calls`.
//! `POST /v1/tts` answers silent audio (`application/octet-stream`) in the
//! requested format, 60 ms per character. `POST /v1/tts/clone-voice` takes
//! `multipart/form-data` with `audio_clip` (a file), `name`, `gender` and
//! optional `language` (default `en`) and `description`, and adds a voice.

mod audio;
mod fixtures;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};

use crate::multipart;
use crate::support::{self, Problem, header_str};
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::PureTalk,
    key: "sandbox-puretalk-key",
    secret: None,
    how: "X-API-KEY: <key>",
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::PureTalk,
    credentials: CREDENTIALS,
    demo_bot: "123e4567-e89b-12d3-a456-426614174000",
    router,
    render,
};

/// A voice and the numeric id `GET /voices/{id}` knows it by.
pub(crate) struct Voice {
    pub(crate) id: i64,
    pub(crate) body: Value,
}

/// Everything the sandbox remembers.
pub(crate) struct Store {
    pub(crate) assistants: Vec<Map<String, Value>>,
    pub(crate) voices: Vec<Voice>,
    pub(crate) calls: Vec<Value>,
    pub(crate) phone_numbers: Vec<Value>,
    pub(crate) campaigns: Vec<Value>,
    pub(crate) next_voice_id: i64,
}

struct Shared {
    store: Mutex<Store>,
    body_limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type App = State<Arc<Shared>>;
type Reply = Result<Response, Refusal>;
type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

pub(crate) fn router(settings: &Settings) -> Router {
    let shared = Arc::new(Shared {
        store: Mutex::new(fixtures::store()),
        body_limit: settings.body_limit,
    });
    Router::new()
        .route(
            "/ai-assistants",
            get(list_assistants).post(create_assistant),
        )
        .route(
            "/ai-assistants/delete-llm-states",
            delete(delete_llm_states),
        )
        .route(
            "/ai-assistants/{assistant_id}",
            get(get_assistant).patch(update_assistant),
        )
        .route(
            "/ai-assistants/llm-states/{assistant_id}",
            post(upsert_llm_states),
        )
        .route("/calls", get(list_calls))
        .route("/calls/web/register", post(register_web_call))
        .route("/phone-numbers", get(list_phone_numbers))
        .route("/campaigns", get(list_campaigns))
        .route("/v1/tts", post(text_to_speech))
        .route("/v1/tts/clone-voice", post(clone_voice))
        .route("/voices/{id}", get(get_voice))
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(shared)
}

/// A failure: `{"err": true, "msg": ...}` with `status`.
pub(crate) struct Refusal {
    status: StatusCode,
    msg: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"err": true, "msg": self.msg})),
        )
            .into_response()
    }
}

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Refusal {
        match problem {
            Problem::Unauthorized => fail(StatusCode::UNAUTHORIZED, "Invalid API key."),
            Problem::NoRoute => fail(StatusCode::NOT_FOUND, "Not found."),
            Problem::MethodNotAllowed => {
                fail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
            }
            Problem::BadBody { status, reason } => fail(status, reason),
            // DRF answers a serializer's errors with 400.
            Problem::Invalid(violations) => fail(
                StatusCode::BAD_REQUEST,
                violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.rule))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Problem::RateLimited => fail(StatusCode::TOO_MANY_REQUESTS, "Request was throttled."),
            other @ Problem::Injected(_) => fail(other.status(), other.message()),
        }
    }
}

/// `{"err": true, "msg": ...}` with `status`.
fn fail(status: StatusCode, msg: impl Into<String>) -> Refusal {
    Refusal {
        status,
        msg: msg.into(),
    }
}

/// HTTP 200 with `body`.
fn ok(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// HTTP 200 `{"msg", "err": false, "results"}`.
fn success(msg: &str, results: Value) -> Response {
    ok(json!({"msg": msg, "err": false, "results": results}))
}

pub(crate) fn render(problem: Problem) -> Response {
    Refusal::from(problem).into_response()
}

/// A 400 naming `field`.
fn invalid(field: &str, rule: impl std::fmt::Display) -> Refusal {
    fail(StatusCode::BAD_REQUEST, format!("{field}: {rule}"))
}

fn authorize(headers: &HeaderMap) -> Result<(), Refusal> {
    match header_str(headers, "x-api-key") {
        Some(key) if key == CREDENTIALS.key => Ok(()),
        Some(_) => Err(Problem::Unauthorized.into()),
        None if headers.contains_key("x-api-key") => Err(Problem::Unauthorized.into()),
        None => Err(fail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )),
    }
}

/// The JSON body, valid against the spec's request schema of `operation`.
async fn body_of(
    shared: &Shared,
    operation: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, Refusal> {
    let value = support::valid_json(
        Vendor::PureTalk,
        operation,
        headers,
        body,
        shared.body_limit,
    )
    .await
    .map_err(Refusal::from)?;
    Ok(value)
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A path id as a canonical (lower-case, hyphenated) UUID.
fn canonical_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

fn not_found_assistant() -> Refusal {
    fail(StatusCode::NOT_FOUND, "AI Assistant not found")
}

fn not_found_voice() -> Refusal {
    fail(StatusCode::NOT_FOUND, "Voice not found")
}

/// The index of the assistant `raw_id` names, or 404.
fn assistant_index(
    store: &Store,
    raw_id: Result<Path<String>, PathRejection>,
) -> Result<usize, Refusal> {
    let id = raw_id
        .ok()
        .and_then(|Path(id)| canonical_uuid(&id))
        .ok_or_else(not_found_assistant)?;
    store
        .assistants
        .iter()
        .position(|a| a.get("assistant_id").and_then(Value::as_str) == Some(id.as_str()))
        .ok_or_else(not_found_assistant)
}

// ------------------------------------------------------------- pagination

struct Paging {
    page: usize,
    limit: usize,
}

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

fn query_of(params: Params) -> Result<HashMap<String, String>, Refusal> {
    params.map(|Query(q)| q).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("Invalid query string: {e}"),
        )
    })
}

fn positive(query: &HashMap<String, String>, name: &str) -> Result<Option<usize>, Refusal> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            Ok(n) => Err(invalid(name, format!("must be at least 1 (got {n})"))),
            Err(_) => Err(invalid(
                name,
                format!("must be an integer (got {:?})", text),
            )),
        },
    }
}

fn paging(query: &HashMap<String, String>) -> Result<Paging, Refusal> {
    Ok(Paging {
        page: positive(query, "page")?.unwrap_or(1),
        limit: positive(query, "limit")?
            .unwrap_or(DEFAULT_LIMIT)
            .min(MAX_LIMIT),
    })
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The URL of page `page` of the list at `uri`, other parameters kept.
fn page_url(
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    query: &HashMap<String, String>,
    page: usize,
) -> String {
    let host = header_str(headers, header::HOST.as_str()).unwrap_or("127.0.0.1");
    let mut pairs: Vec<(&String, &String)> = query.iter().filter(|(k, _)| *k != "page").collect();
    pairs.sort();
    let mut parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    parts.push(format!("page={page}"));
    format!("http://{host}{}?{}", uri.path(), parts.join("&"))
}

/// A DRF page of `items`; a page past the last is 404 `Invalid page.`.
fn drf_page(
    items: Vec<Value>,
    paging: &Paging,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    query: &HashMap<String, String>,
) -> Reply {
    let count = items.len();
    let pages = count.div_ceil(paging.limit).max(1);
    if paging.page > pages {
        return Err(fail(StatusCode::NOT_FOUND, "Invalid page."));
    }
    let start = (paging.page - 1).saturating_mul(paging.limit);
    let results: Vec<Value> = items.into_iter().skip(start).take(paging.limit).collect();
    let link = |page: usize| Value::String(page_url(headers, uri, query, page));
    Ok(ok(json!({
        "count": count,
        "next": if paging.page < pages { link(paging.page + 1) } else { Value::Null },
        "previous": if paging.page > 1 { link(paging.page - 1) } else { Value::Null },
        "results": results,
    })))
}

// -------------------------------------------------------------- assistants

async fn list_assistants(
    State(app): App,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    authorize(&headers)?;
    let query = query_of(params)?;
    let paging = paging(&query)?;
    let items: Vec<Value> = app
        .lock()
        .assistants
        .iter()
        .cloned()
        .map(Value::Object)
        .collect();
    drf_page(items, &paging, &headers, &uri, &query)
}

/// Fields of `UpdateAssistantRequest` copied as sent.
const UPDATE_FIELDS: &[&str] = &[
    "who_speaks_first",
    "name",
    "prompt",
    "model",
    "begin_message",
    "call_recording_enabled",
    "assistant_type",
    "avatar",
    "custom_knowledge_base",
    "timezone",
    "reminder_message_frequency",
    "max_reminder_messages",
    "voice_stream_latency_optimization",
    "voice_boost",
    "chatbot_logo",
    "chatbot_accent_color",
    "chatbot_faq",
];

/// Create-only fields copied as sent (one page version each).
const CREATE_ONLY_FIELDS: &[&str] = &["knowledge_base", "behavior"];

/// The voice (its response object) a request's `voice` id names, or 400.
fn voice_for(store: &Store, body: &Value) -> Result<Option<Value>, Refusal> {
    let Some(id) = body.get("voice").and_then(Value::as_i64) else {
        return Ok(None);
    };
    store
        .voices
        .iter()
        .find(|v| v.id == id)
        .map(|v| Some(v.body.clone()))
        .ok_or_else(|| {
            invalid(
                "voice",
                format!("Invalid pk \"{id}\" - object does not exist."),
            )
        })
}

/// 400 if a text field DRF would not allow blank is blank.
fn not_blank(body: &Value, fields: &[&str]) -> Result<(), Refusal> {
    for field in fields {
        if body
            .get(*field)
            .and_then(Value::as_str)
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(invalid(field, "This field may not be blank."));
        }
    }
    Ok(())
}

/// Copies the fields of `body` an assistant keeps.
fn apply(assistant: &mut Map<String, Value>, body: &Value, voice: Option<Value>, extra: &[&str]) {
    let Some(fields) = body.as_object() else {
        return;
    };
    for (name, value) in fields {
        match name.as_str() {
            "voice_stability" | "voice_clarity_similarity" => {
                // Strings in requests, numbers in responses.
                let stored = value
                    .as_str()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| value.clone());
                assistant.insert(name.clone(), stored);
            }
            known if UPDATE_FIELDS.contains(&known) || extra.contains(&known) => {
                assistant.insert(name.clone(), value.clone());
            }
            _ => {}
        }
    }
    if let Some(voice) = voice {
        assistant.insert("voice".into(), voice);
    }
}

async fn create_assistant(State(app): App, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let body = body_of(&app, "create_assistant", &headers, body).await?;
    not_blank(&body, &["name"])?;
    let mut store = app.lock();
    let voice = voice_for(&store, &body)?;
    let stamp = now();
    let mut assistant = match json!({
        "assistant_id": new_id(),
        "model": "puretalk-plg",
        "who_speaks_first": "assistant",
        "assistant_type": "single_prompt",
        "avatar": "",
        "custom_knowledge_base": "",
        "timezone": "UTC",
        "voice_stability": 0.5,
        "voice_clarity_similarity": 0.5,
        "voice_stream_latency_optimization": 0,
        "voice_boost": false,
        "voice_speed": 0,
        "voice_emotion": [],
        "call_recording_enabled": true,
        "reminder_message_frequency": 0,
        "max_reminder_messages": 0,
        "chatbot_logo": "",
        "chatbot_accent_color": "",
        "chatbot_faq": "",
        "chatbot_whitelisted_domains": [],
        "chatbot_begin_message": "",
        "tools": "",
        "created_at": stamp,
        "updated_at": stamp,
        "user": fixtures::account_user(),
        "llm_states": [],
        "variables": [],
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    apply(&mut assistant, &body, voice, CREATE_ONLY_FIELDS);
    store.assistants.push(assistant.clone());
    Ok(success(
        "AI Assistant created successfully",
        Value::Object(assistant),
    ))
}

async fn get_assistant(
    State(app): App,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    authorize(&headers)?;
    let store = app.lock();
    let index = assistant_index(&store, id)?;
    let assistant = store.assistants.get(index).cloned().unwrap_or_default();
    Ok(success(
        "AI Assistant retrieved successfully",
        Value::Object(assistant),
    ))
}

async fn update_assistant(
    State(app): App,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let parsed = body_of(&app, "update_assistant", &headers, body).await;
    let mut store = app.lock();
    // Like DRF: the object is looked up before the body is validated.
    let index = assistant_index(&store, id)?;
    let body = parsed?;
    not_blank(&body, &["name"])?;
    let voice = voice_for(&store, &body)?;
    let Some(assistant) = store.assistants.get_mut(index) else {
        return Err(not_found_assistant());
    };
    apply(assistant, &body, voice, &[]);
    assistant.insert("updated_at".into(), Value::String(now()));
    let updated = assistant.clone();
    Ok(success("AI Assistant updated", Value::Object(updated)))
}

// -------------------------------------------------------------- LLM states

/// Gives `state` (and its children) ids where missing.
fn assign_ids(state: &mut Value) {
    if let Some(fields) = state.as_object_mut() {
        if !fields.get("state_id").is_some_and(Value::is_string) {
            fields.insert("state_id".into(), Value::String(new_id()));
        }
        if let Some(Value::Array(children)) = fields.get_mut("children") {
            children.iter_mut().for_each(assign_ids);
        }
    }
}

/// The state with `id` among `states` and their descendants.
fn find_state<'a>(states: &'a mut [Value], id: &str) -> Option<&'a mut Map<String, Value>> {
    for state in states.iter_mut() {
        let Some(fields) = state.as_object_mut() else {
            continue;
        };
        if fields.get("state_id").and_then(Value::as_str) == Some(id) {
            return Some(fields);
        }
        if let Some(Value::Array(children)) = fields.get_mut("children")
            && let Some(found) = find_state(children, id)
        {
            return Some(found);
        }
    }
    None
}

/// Removes every state whose id is in `ids`, at any depth; how many went.
fn remove_states(states: &mut Vec<Value>, ids: &[String]) -> usize {
    let before = states.len();
    states.retain(|s| {
        !s.get("state_id")
            .and_then(Value::as_str)
            .is_some_and(|id| ids.iter().any(|d| d == id))
    });
    let mut removed = before - states.len();
    for state in states.iter_mut() {
        if let Some(Value::Array(children)) = state.get_mut("children") {
            removed += remove_states(children, ids);
        }
    }
    removed
}

async fn upsert_llm_states(
    State(app): App,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let parsed = body_of(&app, "upsert_llm_states", &headers, body).await;
    let mut store = app.lock();
    let index = assistant_index(&store, id)?;
    let body = parsed?;
    let incoming = match body.get("llm_states") {
        Some(Value::Array(states)) => states.clone(),
        _ => Vec::new(),
    };
    let Some(assistant) = store.assistants.get_mut(index) else {
        return Err(not_found_assistant());
    };
    let states = assistant
        .entry("llm_states")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !states.is_array() {
        *states = Value::Array(Vec::new());
    }
    let Value::Array(states) = states else {
        return Err(not_found_assistant());
    };
    let (mut created, mut updated) = (0, 0);
    for mut state in incoming {
        let existing = state
            .get("state_id")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        if let Some(id) = existing.as_deref()
            && let Some(target) = find_state(states, id)
        {
            if let Some(fields) = state.as_object_mut() {
                if let Some(Value::Array(children)) = fields.get_mut("children") {
                    children.iter_mut().for_each(assign_ids);
                }
                for (name, value) in std::mem::take(fields) {
                    if name != "state_id" {
                        target.insert(name, value);
                    }
                }
            }
            updated += 1;
        } else {
            if let (Some(fields), Some(id)) = (state.as_object_mut(), existing) {
                fields.insert("state_id".into(), Value::String(id));
            }
            assign_ids(&mut state);
            states.push(state);
            created += 1;
        }
    }
    assistant.insert("updated_at".into(), Value::String(now()));
    Ok(ok(json!({
        "err": false,
        "msg": format!("LLM states saved successfully ({created} created, {updated} updated)"),
    })))
}

async fn delete_llm_states(State(app): App, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let body = body_of(&app, "delete_llm_states", &headers, body).await?;
    let ids: Vec<String> = match body.get("llm_states") {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        _ => Vec::new(),
    };
    if ids.is_empty() {
        return Err(invalid("llm_states", "This list may not be empty."));
    }
    let mut store = app.lock();
    let mut removed = 0;
    for assistant in store.assistants.iter_mut() {
        if let Some(Value::Array(states)) = assistant.get_mut("llm_states") {
            removed += remove_states(states, &ids);
        }
    }
    Ok(ok(json!({
        "err": false,
        "msg": format!("Successfully deleted LLM states ({removed} deleted)"),
    })))
}

// ------------------------------------------------------------------- calls

fn one_of(query: &HashMap<String, String>, name: &str, allowed: &[&str]) -> Result<(), Refusal> {
    match query.get(name) {
        Some(value) if !allowed.contains(&value.as_str()) => Err(invalid(
            name,
            format!(
                "must be one of {} (got {value:?})",
                allowed
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

async fn list_calls(
    State(app): App,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    authorize(&headers)?;
    let query = query_of(params)?;
    let paging = paging(&query)?;
    one_of(&query, "call_type", &["incoming", "outgoing"])?;
    one_of(&query, "status", &["completed", "in-progress", "failed"])?;
    let filters: Vec<(&str, &String)> = [
        "call_type",
        "status",
        "voice_id",
        "assistant_id",
        "from_number",
        "to_number",
    ]
    .into_iter()
    .filter_map(|name| query.get(name).map(|value| (name, value)))
    .collect();
    let items: Vec<Value> = app
        .lock()
        .calls
        .iter()
        .filter(|call| {
            filters
                .iter()
                .all(|(name, value)| call.get(*name).and_then(Value::as_str) == Some(value))
        })
        .cloned()
        .collect();
    drf_page(items, &paging, &headers, &uri, &query)
}

async fn register_web_call(State(app): App, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let body = body_of(&app, "register_web_call", &headers, body).await?;
    let requested = body
        .get("assistant_id")
        .and_then(Value::as_str)
        .and_then(canonical_uuid)
        .unwrap_or_default();
    let mut store = app.lock();
    let Some(assistant) = store
        .assistants
        .iter()
        .find(|a| a.get("assistant_id").and_then(Value::as_str) == Some(requested.as_str()))
    else {
        return Err(not_found_assistant());
    };
    let text = |field: &str| {
        assistant
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let voice_text = |field: &str| {
        assistant
            .get("voice")
            .and_then(|v| v.get(field))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let call_id = new_id();
    let started = chrono::Utc::now();
    let call = json!({
        "call_id": call_id,
        "protocol": "web",
        "assistant_id": requested,
        "assistant_name": text("name"),
        "voice_id": voice_text("voice_id"),
        "voice_name": voice_text("name"),
        "start_time": started.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "call_duration_seconds": 0,
        "transcript": "",
        "transcript_object": [],
        "status": "in-progress",
        "metadata": {},
        "variables": [],
        "call_recording_enabled": assistant
            .get("call_recording_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    });
    store.calls.push(call);
    let token = audio::call_token(&call_id, &requested, started.timestamp());
    Ok(success(
        "Success",
        json!({"call_id": call_id, "token": token}),
    ))
}

// ------------------------------------------------- phone numbers, campaigns

async fn list_phone_numbers(
    State(app): App,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    authorize(&headers)?;
    let query = query_of(params)?;
    let paging = paging(&query)?;
    let items = app.lock().phone_numbers.clone();
    drf_page(items, &paging, &headers, &uri, &query)
}

async fn list_campaigns(State(app): App, headers: HeaderMap, params: Params) -> Reply {
    authorize(&headers)?;
    let query = query_of(params)?;
    let paging = paging(&query)?;
    let store = app.lock();
    let campaigns: Vec<Value> = store
        .campaigns
        .iter()
        .skip((paging.page - 1).saturating_mul(paging.limit))
        .take(paging.limit)
        .cloned()
        .collect();
    Ok(success(
        "Campaigns retrieved successfully",
        json!({"count": store.campaigns.len(), "campaigns": campaigns}),
    ))
}

// ------------------------------------------------------------ TTS, voices

async fn text_to_speech(State(app): App, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let body = body_of(&app, "text_to_speech", &headers, body).await?;
    not_blank(&body, &["text"])?;
    let voice_id = body
        .get("voice_id")
        .and_then(Value::as_str)
        .and_then(canonical_uuid)
        .unwrap_or_default();
    let known = app.lock().voices.iter().any(|v| {
        v.body
            .get("voice_id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.eq_ignore_ascii_case(&voice_id))
    });
    if !known {
        return Err(not_found_voice());
    }
    let field = |name: &str, default: &'static str| {
        body.get(name)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let sample_rate = body
        .get("sample_rate")
        .and_then(Value::as_u64)
        .map_or(44_100, |r| u32::try_from(r).unwrap_or(u32::MAX));
    let text = field("text", "");
    let audio = audio::synthesize(
        &text,
        &field("output_format", "raw"),
        &field("encoding", "pcm_f32le"),
        sample_rate,
    )
    .map_err(|msg| fail(StatusCode::BAD_REQUEST, msg))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        audio,
    )
        .into_response())
}

const LANGUAGES: &[&str] = &[
    "en", "fr", "de", "es", "pt", "zh", "ja", "hi", "it", "ko", "nl", "pl", "ru", "sv", "tr",
];

async fn clone_voice(State(app): App, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let boundary = multipart::boundary(content_type).ok_or_else(|| {
        if multipart::is_form(content_type) {
            fail(
                StatusCode::BAD_REQUEST,
                "Multipart form parse error - Invalid boundary in multipart: None".to_string(),
            )
        } else {
            fail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Unsupported media type \"{}\" in request; expected multipart/form-data.",
                    if content_type.is_empty() {
                        "none"
                    } else {
                        content_type
                    }
                ),
            )
        }
    })?;
    let bytes = support::read_body(body, app.body_limit)
        .await
        .map_err(Refusal::from)?;
    let parts = multipart::parse(&bytes, &boundary).ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "Multipart form parse error - the body is not a complete form".to_string(),
        )
    })?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.file_name.is_none())
            .map(|p| String::from_utf8_lossy(p.data).trim().to_string())
    };
    let clip = parts.iter().find(|p| p.name == "audio_clip");
    match clip {
        None => return Err(invalid("audio_clip", "No file was submitted.")),
        Some(p) if p.file_name.is_none() => {
            return Err(invalid(
                "audio_clip",
                "The submitted data was not a file. Check the encoding type on the form.",
            ));
        }
        Some(p) if p.data.is_empty() => {
            return Err(invalid("audio_clip", "The submitted file is empty."));
        }
        Some(_) => {}
    }
    let name = match text("name") {
        None => return Err(invalid("name", "This field is required.")),
        Some(n) if n.is_empty() => return Err(invalid("name", "This field may not be blank.")),
        Some(n) => n,
    };
    let gender = match text("gender") {
        None => return Err(invalid("gender", "This field is required.")),
        Some(g) if g == "male" || g == "female" => g,
        Some(g) => {
            return Err(invalid(
                "gender",
                format!("must be one of \"male\", \"female\" (got {g:?})"),
            ));
        }
    };
    let language = match text("language") {
        None => "en".to_string(),
        Some(l) if LANGUAGES.contains(&l.as_str()) => l,
        Some(l) => {
            return Err(invalid(
                "language",
                format!("must be one of {} (got {l:?})", LANGUAGES.join(", ")),
            ));
        }
    };
    let description = text("description").unwrap_or_default();
    let voice_id = new_id();
    let mut store = app.lock();
    let id = store.next_voice_id;
    store.next_voice_id += 1;
    store.voices.push(Voice {
        id,
        body: json!({
            "voice_id": voice_id,
            "name": name,
            "avatar": "",
            "gender": gender,
            "demo_audio_url": format!(
                "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-{voice_id}-mp3"
            ),
            "is_cloned": true,
            "language": language,
            "description": description,
        }),
    });
    Ok(success(
        "Voice cloned successfully",
        json!({"voice_id": voice_id}),
    ))
}

async fn get_voice(
    State(app): App,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    authorize(&headers)?;
    let Ok(Path(id)) = id else {
        return Err(not_found_voice());
    };
    let store = app.lock();
    let voice = match id.trim().parse::<i64>() {
        Ok(number) => store.voices.iter().find(|v| v.id == number),
        Err(_) => store.voices.iter().find(|v| {
            v.body
                .get("voice_id")
                .and_then(Value::as_str)
                .is_some_and(|voice_id| voice_id.eq_ignore_ascii_case(&id))
        }),
    };
    match voice {
        Some(voice) => Ok(success("Voice retrieved successfully", voice.body.clone())),
        None => Err(not_found_voice()),
    }
}
