//! The handlers of PureTalk's AI assistants: list, create, get, update.

use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use chatbots_puretalk::types;
use serde_json::{Map, Value, json};

use super::errors::{Reply, not_found_assistant, refuse, success};
use super::fixtures;
use super::input::{Auth, Params, drf_page, paging, query_of};
use super::state::{App, Store, assistant_index, new_id, now};
use crate::drop_field::Dropping;
use crate::extract::{PendingJson, SpecBody, SpecFields, documented};

pub(super) async fn list_assistants(
    State(app): App,
    _auth: Auth,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
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

/// What an assistant stores for a request's `voice` id: the stored voice's
/// response object, or the id itself (the docs document no refusal of an
/// unknown voice, and one page version answers `voice` as an integer).
fn voice_for(store: &Store, body: &Map<String, Value>) -> Option<Value> {
    let id = body.get("voice").and_then(Value::as_i64)?;
    Some(
        store
            .voices
            .iter()
            .find(|v| v.id == id)
            .map_or_else(|| Value::from(id), |v| v.body.clone()),
    )
}

/// Copies the fields of `body` an assistant keeps: every field `T`'s
/// operation documents, but `voice` (stored as the voice object it names)
/// and `template` (it only picks what a new assistant starts from).
fn apply<T: SpecBody>(
    assistant: &mut Map<String, Value>,
    body: &Map<String, Value>,
    voice: Option<Value>,
) {
    for (name, value) in documented::<T>(body) {
        match name.as_str() {
            "voice" | "template" => {}
            "voice_stability" | "voice_clarity_similarity" => {
                // Strings in requests, numbers in responses.
                let stored = value
                    .as_str()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(value);
                assistant.insert(name, stored);
            }
            _ => {
                assistant.insert(name, value);
            }
        }
    }
    if let Some(voice) = voice {
        assistant.insert("voice".into(), voice);
    }
}

pub(super) async fn create_assistant(
    State(app): App,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::CreateAssistantRequest>,
) -> Reply {
    let mut store = app.lock();
    let voice = voice_for(&store, &body);
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
    apply::<types::CreateAssistantRequest>(&mut assistant, &body, voice);
    store.assistants.push(assistant.clone());
    Ok(success(
        "AI Assistant created successfully",
        Value::Object(assistant),
    ))
}

pub(super) async fn get_assistant(
    State(app): App,
    _auth: Auth,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    let store = app.lock();
    let index = assistant_index(&store, id)?;
    let assistant = store.assistants.get(index).cloned().unwrap_or_default();
    Ok(success(
        "AI Assistant retrieved successfully",
        Value::Object(assistant),
    ))
}

/// Where Update Assistant's body keeps each shared field (the facade's
/// names), for the `drop-field` fault.
pub(super) const SHARED_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("instructions", "prompt"),
    ("model", "model"),
    ("greeting", "begin_message"),
    ("timezone", "timezone"),
];

pub(super) async fn update_assistant(
    State(app): App,
    _auth: Auth,
    dropping: Dropping,
    id: Result<Path<String>, PathRejection>,
    body: PendingJson<types::UpdateAssistantRequest>,
) -> Reply {
    let mut store = app.lock();
    // Like DRF: the object is looked up before the body is validated.
    let index = assistant_index(&store, id)?;
    let (_, body) = body.check_fields().map_err(refuse)?;
    let voice = voice_for(&store, &body);
    let Some(assistant) = store.assistants.get_mut(index) else {
        return Err(not_found_assistant());
    };
    let dropped = dropping.field(
        SHARED_FIELDS,
        &documented::<types::UpdateAssistantRequest>(&body),
    );
    let before = dropped.as_ref().map(|_| assistant.clone());
    apply::<types::UpdateAssistantRequest>(assistant, &body, voice);
    assistant.insert("updated_at".into(), Value::String(now()));
    let updated = assistant.clone();
    // An assistant keeps each field under its body name (`voice` as the
    // voice it names), so putting the old value back after answering is
    // the answer of a vendor that did not keep the field.
    if let (Some(dropped), Some(before)) = (dropped, before) {
        dropped.restore(assistant, &before);
    }
    Ok(success("AI Assistant updated", Value::Object(updated)))
}
