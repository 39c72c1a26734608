//! OKChat's in-memory state: chatbots, chat widget configs, knowledge base
//! items, sessions and messages, kept as the JSON objects the spec
//! describes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use serde_json::Value;

use super::errors::error;
use crate::extract::Refusal;

/// The whole in-memory state.
pub(super) struct Db {
    /// `Chatbot` objects, in creation order.
    pub(super) chatbots: Vec<Value>,
    /// Chat widget configs by chatbot id (absent until first set).
    pub(super) chat_widgets: HashMap<String, Value>,
    /// Knowledge base items, each with its `chatbot_id`.
    pub(super) knowledge: Vec<Value>,
    /// `Session` objects without `last_message` (computed when served).
    pub(super) sessions: Vec<Value>,
    /// `Message` objects, in creation order.
    pub(super) messages: Vec<Value>,
}

#[derive(Clone)]
pub(super) struct App {
    pub(super) db: Arc<Mutex<Db>>,
    pub(super) body_limit: usize,
}

impl App {
    pub(super) fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) fn merge(target: &mut Value, patch: &Value) {
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

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(super) fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or("")
}

fn chatbot_not_found() -> Refusal {
    error(StatusCode::NOT_FOUND, "Chatbot not found")
}

impl Db {
    pub(super) fn chatbot(&self, id: &str) -> Result<&Value, Refusal> {
        self.chatbots
            .iter()
            .find(|bot| str_of(bot, "id") == id)
            .ok_or_else(chatbot_not_found)
    }

    pub(super) fn chatbot_mut(&mut self, id: &str) -> Result<&mut Value, Refusal> {
        self.chatbots
            .iter_mut()
            .find(|bot| str_of(bot, "id") == id)
            .ok_or_else(chatbot_not_found)
    }

    pub(super) fn session(&self, bot: &str, session: &str) -> Result<&Value, Refusal> {
        self.sessions
            .iter()
            .find(|s| str_of(s, "id") == session && str_of(s, "chatbot_id") == bot)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, "Conversation not found"))
    }

    pub(super) fn last_message(&self, session: &str) -> Option<&Value> {
        self.messages
            .iter()
            .rev()
            .find(|m| str_of(m, "session_id") == session)
    }

    pub(super) fn items_of<'a>(&'a self, bot: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.knowledge
            .iter()
            .filter(move |item| str_of(item, "chatbot_id") == bot)
    }
}
