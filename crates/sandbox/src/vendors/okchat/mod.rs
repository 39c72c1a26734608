//! OKChat stand-in: every operation of `specs/okchat.yaml` under
//! `/okchat`, with in-memory state.
//!
//! **Auth**: header `x-api-key: 5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c`
//! on every route; missing or wrong → 401.
//!
//! **Errors** (the spec's loose `ErrorResponse`): `{"error": "<HTTP reason>",
//! "message": "<what went wrong>"}`; validation failures (400) add
//! `"details": [{"field": "settings.model", "rule": "must be a string (got …)"}]`.
//! Statuses: 400 validation, bad query/path ids, non-JSON body or bad
//! multipart; 401 auth; 403 chat with an inactive chatbot; 404 unknown
//! chatbot, knowledge base item, conversation or route; 405 wrong method;
//! 409 create with a slug in use; 413 body over the limit; 415 wrong
//! `Content-Type`.
//!
//! **Fixtures** (organization `123042b2-86e2-4184-a86e-95423d728815`):
//! - chatbot `3317853e-0af2-427d-a56f-351a9587f48f`, "API Docs Demo Chatbot"
//!   (slug `api-docs-demo-chatbot`), the vendor's Update Chatbot example;
//!   knowledge base items `0f1e2d3c-4b5a-4968-8776-655443322110` (refund
//!   policy) and `5c4b3a29-1807-4f6e-9d5c-4b3a29180706` (opening hours);
//!   conversations `9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f` (web, two messages)
//!   and `1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d` (web, no messages:
//!   `last_message` is `null`).
//! - chatbot `7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37`, "다솜 쇼핑 도우미" (slug
//!   `dasom-shop-helper`): public, migrated, with `settings.avatar` and a full
//!   `voice_widget_config`; knowledge base item
//!   `8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586`; conversation
//!   `4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a` (navertalktalk, human mode, a
//!   message with an attachment).
//! - chatbot `e5b7a0f4-93c2-4d1e-8f6a-2c9d4b7e1a05`, "Inactive Draft Bot":
//!   `active: false`, settings `{model}` only, no knowledge base, no
//!   conversations; Chat answers it with 403.
//!
//! **Behaviour** (where the docs are silent, the sandbox's choice):
//! - Update Chatbot (`PATCH /api/external/chatbots?id=<uuid>`) merges
//!   `personality_config` and `settings` (and `settings.snippet`) into the
//!   stored ones and replaces `name`, `description`, `is_public`; fields the
//!   spec does not document are ignored. Voice Agent and Chat Widget merge the
//!   same way into the stored configs; Chat Widget also copies its snippet
//!   fields into `settings.snippet`.
//! - Create Chatbot requires a non-blank `name`; `slug` defaults to the
//!   name, slugified, and must be unique.
//! - Chatbot Avatar takes `multipart/form-data` with an image in field `file`
//!   and sets `settings.avatar` to a (fake) Supabase storage URL.
//! - Get Knowledge Base List answers `{data: [item]}`; Delete Knowledge Base
//!   Data answers `{message, id}`.
//! - Query Knowledge ranks the chatbot's items by the share of query words
//!   they contain; Chat answers with the best match (or the greeting), and
//!   records the user's last message and the answer in the conversation named
//!   by `sessionToken` (a new one if unknown): `{content, role, model,
//!   sessionToken, session_id, message_id}`, also for `stream=true`.

mod fixtures;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::multipart;
use crate::support::{self, Problem};
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::OkChat,
    key: "5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c",
    secret: None,
    how: "x-api-key: <key>",
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::OkChat,
    credentials: CREDENTIALS,
    demo_bot: fixtures::DEMO_BOT,
    router,
    render,
};

/// The multipart field carrying the avatar image (as the SDK sends it).
const AVATAR_FIELD: &str = "file";

/// A refusal, boxed: a `Response` is large to pass around in `Err`.
struct Reject(Box<Response>);

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Reject {
    fn from(response: Response) -> Self {
        Reject(Box::new(response))
    }
}

type Reply = Result<Response, Reject>;

/// The whole in-memory state.
pub(super) struct Db {
    /// `Chatbot` objects, in creation order.
    chatbots: Vec<Value>,
    /// Chat widget configs by chatbot id (absent until first set).
    chat_widgets: HashMap<String, Value>,
    /// Knowledge base items, each with its `chatbot_id`.
    knowledge: Vec<Value>,
    /// `Session` objects without `last_message` (computed when served).
    sessions: Vec<Value>,
    /// `Message` objects, in creation order.
    messages: Vec<Value>,
}

#[derive(Clone)]
struct App {
    db: Arc<Mutex<Db>>,
    body_limit: usize,
}

impl App {
    fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn router(settings: &Settings) -> Router {
    let app = App {
        db: Arc::new(Mutex::new(fixtures::seed())),
        body_limit: settings.body_limit,
    };
    Router::new()
        .route(
            "/api/external/chatbots",
            get(list_chatbots)
                .post(create_chatbot)
                .patch(update_chatbot),
        )
        .route("/api/external/chatbot/{chatbot_id}", get(get_chatbot))
        .route(
            "/api/external/chatbot/{chatbot_id}/update-avatar",
            patch(update_avatar),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/voice-agent",
            patch(update_voice_agent),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/chat-widget",
            patch(update_chat_widget),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/knowledge-base",
            get(list_knowledge).delete(delete_knowledge_item),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/query-knowledge",
            post(query_knowledge),
        )
        .route("/api/external/chatbot/{chatbot_id}/chat", post(chat))
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations",
            get(list_conversations),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations/{session_id}",
            get(get_conversation),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations/{session_id}/messages",
            get(list_messages),
        )
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .fallback(|| async { render(Problem::NoRoute) })
        .layer(axum::middleware::map_response(cors))
        .with_state(app)
}

/// The documented `Access-Control-Allow-Origin: *`.
async fn cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

pub(crate) fn render(problem: Problem) -> Response {
    let status = match &problem {
        Problem::Invalid(_) => StatusCode::BAD_REQUEST,
        other => other.status(),
    };
    let message = match &problem {
        Problem::Unauthorized => {
            "Invalid or missing API key (send it in the x-api-key header)".into()
        }
        Problem::NoRoute => "Route not found".into(),
        Problem::MethodNotAllowed => "Method not allowed".into(),
        other => other.message(),
    };
    let mut body = json!({"error": reason(status), "message": message});
    if let Problem::Invalid(violations) = &problem {
        body["details"] = violations
            .iter()
            .map(|v| json!({"field": v.field, "rule": v.rule}))
            .collect();
    }
    (status, Json(body)).into_response()
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// An error in OKChat's shape.
fn error<T: From<Response>>(status: StatusCode, message: impl Into<String>) -> T {
    (
        status,
        Json(json!({"error": reason(status), "message": message.into()})),
    )
        .into_response()
        .into()
}

/// A 400 naming one field, like a schema violation.
fn invalid(field: &str, rule: &str) -> Reject {
    render(Problem::Invalid(vec![chatbots_runtime::Violation {
        field: field.into(),
        rule: rule.into(),
    }]))
    .into()
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

// ------------------------------------------------------------------ input

fn authorize(headers: &HeaderMap) -> Result<(), Reject> {
    match support::header_str(headers, "x-api-key") {
        Some(key) if key.trim() == CREDENTIALS.key => Ok(()),
        _ => Err(render(Problem::Unauthorized).into()),
    }
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(len, part)| part.len() == *len && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A UUID path or query value, lowercased; 400 otherwise.
fn uuid_value(name: &str, value: &str) -> Result<String, Reject> {
    if is_uuid(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(error(
            StatusCode::BAD_REQUEST,
            format!("{name} must be a UUID (got {value:?})"),
        ))
    }
}

fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, Reject> {
    match path {
        Ok(Path(id)) => uuid_value("chatbotId", &id),
        Err(rejection) => Err(error(StatusCode::BAD_REQUEST, rejection.body_text())),
    }
}

fn path_ids(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), Reject> {
    match path {
        Ok(Path((bot, session))) => Ok((
            uuid_value("chatbotId", &bot)?,
            uuid_value("sessionId", &session)?,
        )),
        Err(rejection) => Err(error(StatusCode::BAD_REQUEST, rejection.body_text())),
    }
}

/// The query string's pairs, percent-decoded (`+` is a space).
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            Some(&byte) => out.push(byte),
            None => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The required UUID query parameter `name`.
fn query_uuid(raw: Option<&str>, name: &str) -> Result<String, Reject> {
    let pairs = query_pairs(raw);
    match pairs.iter().find(|(n, _)| n == name) {
        Some((_, value)) if !value.is_empty() => uuid_value(name, value),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            format!("Missing required query parameter `{name}` (a UUID)"),
        )),
    }
}

/// A JSON body checked against the spec, keeping only documented fields.
async fn body_of(
    app: &App,
    operation_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, Reject> {
    let value = support::valid_json(Vendor::OkChat, operation_id, headers, body, app.body_limit)
        .await
        .map_err(render)?;
    Ok(
        match support::request_schema(Vendor::OkChat, operation_id) {
            Some(schema) => prune(schema.json(), &value),
            None => value,
        },
    )
}

/// `value` without the object fields `schema` does not declare.
fn prune(schema: &Value, value: &Value) -> Value {
    match (schema.get("properties").and_then(Value::as_object), value) {
        (Some(properties), Value::Object(fields)) => Value::Object(
            fields
                .iter()
                .filter_map(|(name, field)| {
                    properties
                        .get(name)
                        .map(|s| (name.clone(), prune(s, field)))
                })
                .collect(),
        ),
        (_, Value::Array(items)) => match schema.get("items") {
            Some(item_schema) => {
                Value::Array(items.iter().map(|item| prune(item_schema, item)).collect())
            }
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

/// Objects merge key by key (recursively); anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (name, value) in patch {
                match target.get_mut(name) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value);
                    }
                    _ => {
                        target.insert(name.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or("")
}

fn chatbot_not_found() -> Reject {
    error(StatusCode::NOT_FOUND, "Chatbot not found")
}

impl Db {
    fn chatbot(&self, id: &str) -> Result<&Value, Reject> {
        self.chatbots
            .iter()
            .find(|bot| str_of(bot, "id") == id)
            .ok_or_else(chatbot_not_found)
    }

    fn chatbot_mut(&mut self, id: &str) -> Result<&mut Value, Reject> {
        self.chatbots
            .iter_mut()
            .find(|bot| str_of(bot, "id") == id)
            .ok_or_else(chatbot_not_found)
    }

    fn session(&self, bot: &str, session: &str) -> Result<&Value, Reject> {
        self.sessions
            .iter()
            .find(|s| str_of(s, "id") == session && str_of(s, "chatbot_id") == bot)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, "Conversation not found"))
    }

    fn last_message(&self, session: &str) -> Option<&Value> {
        self.messages
            .iter()
            .rev()
            .find(|m| str_of(m, "session_id") == session)
    }

    fn items_of<'a>(&'a self, bot: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.knowledge
            .iter()
            .filter(move |item| str_of(item, "chatbot_id") == bot)
    }
}

// ------------------------------------------------------------------ chatbots

async fn list_chatbots(State(app): State<App>, headers: HeaderMap) -> Reply {
    authorize(&headers)?;
    let db = app.db();
    Ok(ok(json!({"chatbots": db.chatbots})))
}

fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

async fn create_chatbot(State(app): State<App>, headers: HeaderMap, body: Body) -> Reply {
    authorize(&headers)?;
    let input = body_of(&app, "create_chatbot", &headers, body).await?;
    let name = str_of(&input, "name").trim().to_string();
    if name.is_empty() {
        return Err(invalid("name", "is required"));
    }
    let id = new_id();
    let slug = match input.get("slug").and_then(Value::as_str) {
        Some(slug) if !slug.trim().is_empty() => slug.trim().to_string(),
        _ => match slugify(&name) {
            slug if slug.is_empty() => format!("chatbot-{}", id.get(..8).unwrap_or("new")),
            slug => slug,
        },
    };
    let mut settings = json!({
        "greeting": "Hello! How can I assist you today?",
        "isRequestUserInfoEnabled": false,
        "isToolEnabled": false,
        "model": "gpt-4o-mini",
        "prompt": "",
    });
    if let Some(given) = input.get("settings") {
        merge(&mut settings, given);
    }
    let stamp = now();
    let chatbot = json!({
        "active": true,
        "created_at": stamp,
        "description": input.get("description").cloned().unwrap_or_else(|| json!("")),
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": id,
        "is_public": input.get("is_public").cloned().unwrap_or(Value::Bool(false)),
        "managers": null,
        "migrated_data": false,
        "name": name,
        "openai_api_key": null,
        "organization_id": fixtures::ORGANIZATION,
        "personality_config": input.get("personality_config").cloned().unwrap_or_else(|| json!({})),
        "settings": settings,
        "slug": slug,
        "suggestions": null,
        "updated_at": stamp,
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": null,
    });
    let mut db = app.db();
    if db.chatbots.iter().any(|bot| str_of(bot, "slug") == slug) {
        return Err(error(
            StatusCode::CONFLICT,
            format!("A chatbot with slug {slug:?} already exists"),
        ));
    }
    db.chatbots.push(chatbot.clone());
    Ok(ok(json!({"chatbot": chatbot})))
}

async fn update_chatbot(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = query_uuid(query.as_deref(), "id")?;
    let input = body_of(&app, "update_chatbot", &headers, body).await?;
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    for field in ["name", "description", "is_public"] {
        if let Some(value) = input.get(field) {
            bot[field] = value.clone();
        }
    }
    for field in ["personality_config", "settings"] {
        if let Some(value) = input.get(field) {
            if !bot.get(field).is_some_and(Value::is_object) {
                bot[field] = json!({});
            }
            if let Some(target) = bot.get_mut(field) {
                merge(target, value);
            }
        }
    }
    bot["updated_at"] = json!(now());
    Ok(ok(
        json!({"chatbot": bot, "message": "Chatbot updated successfully"}),
    ))
}

async fn get_chatbot(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let db = app.db();
    Ok(ok(json!({"chatbot": db.chatbot(&id)?})))
}

// ------------------------------------------------------------------ avatar

async fn update_avatar(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let content_type = support::header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    if !multipart::is_form(content_type) {
        return Err(render(Problem::BadBody {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reason: format!(
                "Content-Type must be multipart/form-data (got {})",
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            ),
        })
        .into());
    }
    let boundary = multipart::boundary(content_type)
        .ok_or_else(|| error::<Reject>(StatusCode::BAD_REQUEST, "multipart boundary is missing"))?;
    let bytes = support::read_body(body, app.body_limit)
        .await
        .map_err(|problem| Reject::from(render(problem)))?;
    let parts = multipart::parse(&bytes, &boundary).unwrap_or_default();
    let Some(file) = parts.iter().find(|p| p.name == AVATAR_FIELD) else {
        return Err(invalid(
            AVATAR_FIELD,
            "is required (send the image as multipart field `file`)",
        ));
    };
    let mime = file.content_type.as_deref().map(str::to_ascii_lowercase);
    if let Some(mime) = &mime
        && !mime.starts_with("image/")
    {
        return Err(invalid(
            AVATAR_FIELD,
            &format!("must be an image (got {mime})"),
        ));
    }
    if file.data.is_empty() {
        return Err(invalid(AVATAR_FIELD, "must not be empty"));
    }
    let extension = file
        .file_name
        .clone()
        .and_then(|name| {
            let (_, ext) = name.rsplit_once('.')?;
            let ext = ext.to_ascii_lowercase();
            (!ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
                .then_some(ext)
        })
        .or_else(|| {
            mime.as_deref()
                .and_then(|m| m.strip_prefix("image/"))
                .map(|s| s.split(['+', ';']).next().unwrap_or("png").to_string())
        })
        .unwrap_or_else(|| "png".into());
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    let url = format!(
        "https://okchat-sandbox.supabase.co/storage/v1/object/public/avatars/{id}/{}.{extension}",
        new_id()
    );
    if !bot.get("settings").is_some_and(Value::is_object) {
        bot["settings"] = json!({});
    }
    bot["settings"]["avatar"] = json!(url);
    bot["updated_at"] = json!(now());
    Ok(ok(json!({"chatbot": bot})))
}

// ------------------------------------------------------------------ widgets

async fn update_voice_agent(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let input = body_of(&app, "update_voice_agent", &headers, body).await?;
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    if !bot.get("voice_widget_config").is_some_and(Value::is_object) {
        bot["voice_widget_config"] = json!({});
    }
    if let Some(config) = bot.get_mut("voice_widget_config") {
        merge(config, &input);
    }
    bot["updated_at"] = json!(now());
    Ok(ok(json!({
        "message": "Voice widget config updated successfully",
        "voice_widget_config": bot["voice_widget_config"],
    })))
}

async fn update_chat_widget(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let input = body_of(&app, "update_chat_widget", &headers, body).await?;
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    let snippet = bot
        .get("settings")
        .and_then(|s| s.get("snippet"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut stored = db.chat_widgets.get(&id).cloned().unwrap_or_else(|| {
        let mut base = json!({"language": "auto"});
        merge(&mut base, &snippet);
        base
    });
    merge(&mut stored, &input);
    // The snippet holds the same appearance fields (all but `language`).
    let mut snippet_patch: Map<String, Value> = input.as_object().cloned().unwrap_or_default();
    snippet_patch.remove("language");
    let bot = db.chatbot_mut(&id)?;
    if !bot.get("settings").is_some_and(Value::is_object) {
        bot["settings"] = json!({});
    }
    if !bot["settings"].get("snippet").is_some_and(Value::is_object) {
        bot["settings"]["snippet"] = json!({});
    }
    merge(
        &mut bot["settings"]["snippet"],
        &Value::Object(snippet_patch),
    );
    bot["updated_at"] = json!(now());
    db.chat_widgets.insert(id, stored.clone());
    Ok(ok(json!({
        "chat_widget_config": stored,
        "message": "Chat widget config updated successfully",
    })))
}

// ------------------------------------------------------------------ knowledge base

async fn list_knowledge(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let db = app.db();
    db.chatbot(&id)?;
    let items: Vec<&Value> = db.items_of(&id).collect();
    Ok(ok(json!({"data": items})))
}

async fn delete_knowledge_item(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let bot = path_id(path)?;
    let item = query_uuid(query.as_deref(), "id")?;
    let mut db = app.db();
    db.chatbot(&bot)?;
    let Some(index) = db
        .knowledge
        .iter()
        .position(|i| str_of(i, "id") == item && str_of(i, "chatbot_id") == bot)
    else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "Knowledge base item not found",
        ));
    };
    db.knowledge.remove(index);
    Ok(ok(json!({
        "message": "Knowledge base data deleted successfully",
        "id": item,
    })))
}

/// Words too common to say what a text is about.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "at", "be", "by", "can", "do", "does", "for", "how", "i", "in", "is",
    "it", "me", "my", "of", "on", "or", "our", "the", "this", "that", "to", "was", "we", "what",
    "when", "where", "who", "why", "with", "you", "your",
];

/// The distinct lowercase words of `text`, without stop words (unless
/// that leaves none).
fn words(text: &str) -> BTreeSet<String> {
    let all: BTreeSet<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let meaningful: BTreeSet<String> = all
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        all
    } else {
        meaningful
    }
}

/// The chatbot's items containing words of `query`, best first, with the
/// share of the query's words each contains.
fn search(db: &Db, bot: &str, query: &str) -> Vec<(f64, String)> {
    let wanted = words(query);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(f64, String)> = db
        .items_of(bot)
        .filter_map(|item| {
            let content = str_of(item, "content");
            let have = words(content);
            let shared = wanted.intersection(&have).count();
            let score = (shared as f64 / wanted.len() as f64 * 10_000.0).round() / 10_000.0;
            (shared > 0).then(|| (score, content.to_string()))
        })
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
    hits.truncate(5);
    hits
}

async fn query_knowledge(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let input = body_of(&app, "query_knowledge", &headers, body).await?;
    let query = str_of(&input, "query");
    if query.trim().is_empty() {
        return Err(invalid("query", "is required"));
    }
    let db = app.db();
    db.chatbot(&id)?;
    let results: Vec<Value> = search(&db, &id, query)
        .into_iter()
        .map(|(similarity, content)| json!({"content": content, "similarity": similarity}))
        .collect();
    Ok(ok(json!({"results": results})))
}

// ------------------------------------------------------------------ chat

fn token_count(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

async fn chat(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    if let Some((_, stream)) = query_pairs(query.as_deref())
        .into_iter()
        .find(|(n, _)| n == "stream")
        && stream != "true"
        && stream != "false"
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("stream must be 'true' or 'false' (got {stream:?})"),
        ));
    }
    let input = body_of(&app, "chat", &headers, body).await?;
    let messages = input
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(last) = messages.last() else {
        return Err(invalid("messages", "must hold at least one message"));
    };
    let question = str_of(last, "content").to_string();
    if question.trim().is_empty() {
        return Err(invalid(
            &format!("messages[{}].content", messages.len() - 1),
            "is required",
        ));
    }
    let platform = match str_of(&input, "platform") {
        "" => "web".to_string(),
        p => p.to_string(),
    };
    let token = match str_of(&input, "sessionToken") {
        "" => format!("st_{}", uuid::Uuid::new_v4().simple()),
        t => t.to_string(),
    };

    let mut db = app.db();
    let bot = db.chatbot(&id)?;
    if bot.get("active") == Some(&Value::Bool(false)) {
        return Err(error(StatusCode::FORBIDDEN, "Chatbot is not active"));
    }
    let settings = bot.get("settings").cloned().unwrap_or_default();
    let model = match str_of(&settings, "model") {
        "" => "gpt-4o-mini".to_string(),
        m => m.to_string(),
    };
    let answer = match search(&db, &id, &question).into_iter().next() {
        Some((_, content)) => content,
        None => match str_of(&settings, "greeting") {
            "" => "I'm sorry, I don't have an answer to that yet. Please contact human support."
                .to_string(),
            greeting => format!(
                "{greeting} I don't have an answer to that yet; please contact human support."
            ),
        },
    };
    let stamp = now();
    let session_id = match db
        .sessions
        .iter_mut()
        .find(|s| str_of(s, "chatbot_id") == id && str_of(s, "session_token") == token)
    {
        Some(session) => {
            session["updated_at"] = json!(stamp);
            str_of(session, "id").to_string()
        }
        None => {
            let session_id = new_id();
            db.sessions.push(json!({
                "active": true,
                "chatbot_id": id,
                "created_at": stamp,
                "id": session_id,
                "is_human_mode": false,
                "metadata": {"anonymous": true},
                "migrated_data": false,
                "platform": platform,
                "session_token": token,
                "sns_user_id": null,
                "state": "in_progress",
                "updated_at": stamp,
                "user_id": null,
                "voice_path": null,
            }));
            session_id
        }
    };
    let message = |sender: &str, content: &str, model: Value, provider: Value| {
        json!({
            "attachments": null,
            "content": content,
            "created_at": stamp,
            "id": new_id(),
            "metadata": {},
            "migrated_data": false,
            "model": model,
            "provider": provider,
            "sender_type": sender,
            "session_id": session_id,
            "session_token": token,
            "tokens_used": token_count(content),
            "tool_calls": null,
            "tool_results": null,
        })
    };
    let asked = message("user", &question, Value::Null, Value::Null);
    let answered = message("bot", &answer, json!(model), json!("openai"));
    let message_id = answered["id"].clone();
    db.messages.push(asked);
    db.messages.push(answered);
    Ok(ok(json!({
        "content": answer,
        "role": "assistant",
        "model": model,
        "sessionToken": token,
        "session_id": session_id,
        "message_id": message_id,
    })))
}

// ------------------------------------------------------------------ conversations

async fn list_conversations(
    State(app): State<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let id = path_id(path)?;
    let db = app.db();
    db.chatbot(&id)?;
    let mut sessions: Vec<Value> = db
        .sessions
        .iter()
        .filter(|s| str_of(s, "chatbot_id") == id)
        .map(|s| {
            let mut s = s.clone();
            s["last_message"] = db
                .last_message(str_of(&s, "id"))
                .map(|m| {
                    json!({
                        "content": m["content"],
                        "id": m["id"],
                        "sender_type": m["sender_type"],
                    })
                })
                .unwrap_or(Value::Null);
            s
        })
        .collect();
    // Most recently active first.
    sessions.sort_by(|a, b| str_of(b, "updated_at").cmp(str_of(a, "updated_at")));
    Ok(ok(json!({"data": sessions})))
}

async fn get_conversation(
    State(app): State<App>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let (bot, session) = path_ids(path)?;
    let db = app.db();
    db.chatbot(&bot)?;
    let mut found = db.session(&bot, &session)?.clone();
    if let Some(fields) = found.as_object_mut() {
        // Get A Conversation shows no `state`, and `last_message` as text.
        fields.remove("state");
        fields.insert(
            "last_message".into(),
            db.last_message(&session)
                .map(|m| m["content"].clone())
                .unwrap_or(Value::Null),
        );
    }
    Ok(ok(json!({"session": found})))
}

async fn list_messages(
    State(app): State<App>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    authorize(&headers)?;
    let (bot, session) = path_ids(path)?;
    let db = app.db();
    db.chatbot(&bot)?;
    db.session(&bot, &session)?;
    let messages: Vec<&Value> = db
        .messages
        .iter()
        .filter(|m| str_of(m, "session_id") == session)
        .collect();
    Ok(ok(json!({"data": messages})))
}
