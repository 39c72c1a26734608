//! The in-memory state: chatbots with their settings and knowledge,
//! sessions, messages, leads, files and credits.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::envelope::Fail;

#[derive(Clone, Copy)]
pub(super) struct Model {
    pub(super) key: &'static str,
    pub(super) name: &'static str,
    pub(super) available: bool,
}

pub(super) const MODELS: [Model; 7] = [
    Model {
        key: "1",
        name: "gpt-4o-mini",
        available: true,
    },
    Model {
        key: "2",
        name: "gpt-4o",
        available: true,
    },
    Model {
        key: "3",
        name: "gpt-4.1",
        available: true,
    },
    Model {
        key: "4",
        name: "gpt-4.1-mini",
        available: true,
    },
    Model {
        key: "5",
        name: "claude-3.5-sonnet",
        available: true,
    },
    Model {
        key: "6",
        name: "gemini-1.5-pro",
        available: true,
    },
    Model {
        key: "7",
        name: "claude-3.5-haiku",
        available: false,
    },
];

#[derive(Default)]
pub(super) struct Knowledge {
    pub(super) site_map_url: String,
    pub(super) sync_site_map: bool,
    pub(super) sync_site_map_days: Option<i64>,
    pub(super) files: Vec<String>,
    pub(super) text: String,
    pub(super) google_sheet_url: String,
    pub(super) websites: Vec<(String, bool)>,
    pub(super) qa: Vec<(String, String)>,
}

pub(super) struct Chatbot {
    /// `type` as sent to `Add`: 0 is a regular chatbot, others template-based.
    pub(super) kind: i64,
    pub(super) settings: Map<String, Value>,
    pub(super) knowledge: Knowledge,
    pub(super) sheet: Vec<Value>,
}

impl Chatbot {
    pub(super) fn setting_str(&self, key: &str) -> &str {
        self.settings.get(key).and_then(Value::as_str).unwrap_or("")
    }

    pub(super) fn setting_int(&self, key: &str) -> i64 {
        self.settings.get(key).and_then(Value::as_i64).unwrap_or(0)
    }
}

pub(super) struct Session {
    pub(super) serial: String,
}

pub(super) struct Message {
    pub(super) id: i64,
    pub(super) session: i64,
    pub(super) serial: String,
    pub(super) role: &'static str,
    pub(super) content: String,
    pub(super) at: DateTime<Utc>,
}

pub(super) struct Lead {
    pub(super) id: i64,
    pub(super) serial: String,
    pub(super) session: i64,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) at: DateTime<Utc>,
    /// Set for an appointment: when it is booked for.
    pub(super) appointment: Option<String>,
}

pub(super) struct File {
    pub(super) name: String,
    pub(super) uploaded: bool,
}

pub(super) struct Store {
    pub(super) chatbots: BTreeMap<String, Chatbot>,
    pub(super) sessions: BTreeMap<i64, Session>,
    pub(super) messages: Vec<Message>,
    pub(super) leads: Vec<Lead>,
    pub(super) files: BTreeMap<i64, File>,
    pub(super) credits_used: i64,
    pub(super) next_session: i64,
    pub(super) next_message: i64,
    pub(super) next_lead: i64,
    pub(super) next_file: i64,
}

/// The router's state: the store, shared by every handler.
#[derive(Clone)]
pub(super) struct App {
    store: Arc<Mutex<Store>>,
    /// The largest upload (`PUT` to a pre-upload URL), in bytes.
    pub(super) limit: usize,
}

impl App {
    pub(super) fn new(store: Store, limit: usize) -> App {
        App {
            store: Arc::new(Mutex::new(store)),
            limit,
        }
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut store)
    }
}

impl Store {
    pub(super) fn chatbot(&self, serial: &str) -> Result<&Chatbot, Fail> {
        self.chatbots
            .get(serial)
            .ok_or_else(|| Fail::chatbot(serial))
    }

    pub(super) fn chatbot_mut(&mut self, serial: &str) -> Result<&mut Chatbot, Fail> {
        self.chatbots
            .get_mut(serial)
            .ok_or_else(|| Fail::chatbot(serial))
    }

    /// The file `id` names, if it was handed out and uploaded.
    pub(super) fn file(&self, field: &str, id: &str) -> Result<&File, Fail> {
        let found = id
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|n| self.files.get(&n))
            .ok_or_else(|| Fail::new(404, format!("{field}: file not found: {id}")))?;
        if !found.uploaded {
            return Err(Fail::invalid(format!(
                "{field}: file {id} has not been uploaded yet (PUT its bytes to its PreUploadUrl first)"
            )));
        }
        Ok(found)
    }
}

/// A time as the vendor writes it: RFC 3339, whole seconds, `Z`.
pub(super) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A new chatbot serial number: 32 hex digits.
pub(super) fn new_serial() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
