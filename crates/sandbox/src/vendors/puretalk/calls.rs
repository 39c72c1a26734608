//! The handlers of PureTalk's calls, phone numbers and campaigns.

use std::collections::HashMap;

use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use chatbots_puretalk::types;
use serde_json::{Value, json};

use super::audio;
use super::errors::{Reply, invalid, not_found_assistant, success};
use super::input::{Auth, Params, canonical_uuid, drf_page, paging, query_of};
use super::state::{App, new_id};
use crate::extract::{Refusal, SpecFields};

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

pub(super) async fn list_calls(
    State(app): App,
    _auth: Auth,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
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

pub(super) async fn register_web_call(
    State(app): App,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::RegisterWebCallRequest>,
) -> Reply {
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

pub(super) async fn list_phone_numbers(
    State(app): App,
    _auth: Auth,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    let query = query_of(params)?;
    let paging = paging(&query)?;
    let items = app.lock().phone_numbers.clone();
    drf_page(items, &paging, &headers, &uri, &query)
}

pub(super) async fn list_campaigns(State(app): App, _auth: Auth, params: Params) -> Reply {
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
