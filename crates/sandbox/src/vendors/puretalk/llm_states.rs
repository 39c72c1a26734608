//! The handlers of PureTalk's LLM states (a tree of states per assistant):
//! upsert and delete.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use chatbots_puretalk::types;
use serde_json::{Map, Value, json};

use super::errors::{Reply, not_found_assistant, ok, refuse};
use super::input::Auth;
use super::state::{App, assistant_index, new_id, now};
use crate::extract::{PendingJson, SpecFields};

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

pub(super) async fn upsert_llm_states(
    State(app): App,
    _auth: Auth,
    id: Result<Path<String>, PathRejection>,
    body: PendingJson<types::UpsertLlmStatesRequest>,
) -> Reply {
    let mut store = app.lock();
    let index = assistant_index(&store, id)?;
    let (_, body) = body.check_fields().map_err(refuse)?;
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

pub(super) async fn delete_llm_states(
    State(app): App,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::DeleteLlmStatesRequest>,
) -> Reply {
    let ids: Vec<String> = match body.get("llm_states") {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        _ => Vec::new(),
    };
    // The docs require the list, not items in it: an empty one deletes
    // nothing.
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
