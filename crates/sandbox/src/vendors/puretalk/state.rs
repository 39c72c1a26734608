//! PureTalk's in-memory state: assistants (as the JSON objects the spec
//! describes), voices, calls, phone numbers and campaigns.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde_json::{Map, Value};

use super::errors::not_found_assistant;
use super::input::canonical_uuid;
use crate::extract::Refusal;

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

pub(super) struct Shared {
    pub(super) store: Mutex<Store>,
    /// The largest upload (voice clips), in bytes.
    pub(super) body_limit: usize,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) type App = State<Arc<Shared>>;

pub(super) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The index of the assistant `raw_id` names, or 404.
pub(super) fn assistant_index(
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
