//! Converza's in-memory records and their JSON views (the response schemas
//! of `specs/converza.yaml`); `fixtures.rs` seeds them.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
// Tokio's clock rather than std's, so that tests can move it instead of
// waiting for a token to expire.
use tokio::time::Instant;

/// An API key pair. The secret is kept to check token exchanges but never
/// shown after creation.
pub(super) struct ApiKey {
    pub(super) key_id: String,
    pub(super) secret: String,
    pub(super) name: String,
    pub(super) scope: String,
    pub(super) is_active: bool,
    pub(super) expires_at: Option<String>,
    pub(super) last_used: Option<String>,
    pub(super) created_at: String,
    /// The account it opens (a position in `accounts::ACCOUNTS`).
    pub(super) account: usize,
}

/// A JWT the token endpoint issued.
pub(super) struct Issued {
    /// The key it was issued for (its `last_used` follows the token's use).
    pub(super) key_id: String,
    pub(super) expires: Instant,
    /// The account of that key: the one the token opens.
    pub(super) account: usize,
}

/// The key pairs and issued tokens of every account, shared by the
/// accounts' routers: the token exchange takes any account's pair, and a
/// token names the account whose state serves it.
pub(super) struct Keyring {
    pub(super) keys: Vec<ApiKey>,
    /// Issued JWTs by their full text: a token not in here (or altered in
    /// any part) was never issued.
    pub(super) tokens: HashMap<String, Issued>,
}

#[derive(Clone)]
pub(super) struct Bot {
    pub(super) id: String,
    pub(super) team_id: String,
    pub(super) name: String,
    pub(super) role: String,
    pub(super) description: String,
    pub(super) openai_id: String,
    pub(super) vector_id: String,
    pub(super) instructions: String,
    pub(super) temperature: f64,
    pub(super) published: bool,
    pub(super) allow_human: bool,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) identification_name: Option<String>,
    pub(super) questions: Vec<Value>,
    pub(super) actions: Vec<Value>,
    pub(super) document_ids: Vec<String>,
    pub(super) use_audio_responses: bool,
    pub(super) allow_user_audio_requests: bool,
    pub(super) capture_payments: bool,
    pub(super) break_lines: bool,
    pub(super) chat_model_level: i64,
}

pub(super) struct Document {
    pub(super) id: String,
    pub(super) team_id: String,
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) size: u64,
    pub(super) openai_id: String,
    pub(super) file_url: String,
    pub(super) chars: i64,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) struct Team {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) plan_name: String,
    pub(super) paying: bool,
    pub(super) banned: bool,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) struct User {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) created_at: String,
}

/// Everything one account of one sandbox's Converza remembers (its keys
/// are in the shared `Keyring`).
pub(super) struct State {
    pub(super) bots: Vec<Bot>,
    pub(super) documents: Vec<Document>,
    pub(super) teams: Vec<Team>,
    pub(super) users: Vec<User>,
}

/// Now, as the docs write times: `2023-11-07T05:31:56Z`.
pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A random lowercase hex string of `len` characters (at most 32).
pub(super) fn hex(len: usize) -> String {
    let mut text = uuid::Uuid::new_v4().simple().to_string();
    text.truncate(len);
    text
}

// ------------------------------------------------------------------ views

impl ApiKey {
    /// `ApiKey`: never the secret.
    pub(super) fn json(&self) -> Value {
        json!({
            "key_id": self.key_id,
            "name": self.name,
            "scope": self.scope,
            "is_active": self.is_active,
            "expires_at": self.expires_at,
            "last_used": self.last_used,
            "created_at": self.created_at,
        })
    }
}

impl Bot {
    /// `Bot`: the fields the docs show in every bot response.
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "role": self.role,
            "description": self.description,
            "openai_id": self.openai_id,
            "vector_id": self.vector_id,
            "instructions": self.instructions,
            "temperature": self.temperature,
            "published": self.published,
            "allow_human": self.allow_human,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// `BotDetail`: `Bot` plus questions, actions and linked documents, and
    /// (a sandbox addition, so that every update can be read back) the
    /// other settings the update accepts.
    pub(super) fn detail_json(&self) -> Value {
        let mut value = self.json();
        if let Value::Object(map) = &mut value {
            let extra: Map<String, Value> = [
                ("questions", json!(self.questions)),
                ("actions", json!(self.actions)),
                (
                    "documents",
                    json!(
                        self.document_ids
                            .iter()
                            .map(|d| json!({"document_id": d, "bot_id": self.id}))
                            .collect::<Vec<_>>()
                    ),
                ),
                ("identification_name", json!(self.identification_name)),
                ("use_audio_responses", json!(self.use_audio_responses)),
                (
                    "allow_user_audio_requests",
                    json!(self.allow_user_audio_requests),
                ),
                ("capture_payments", json!(self.capture_payments)),
                ("break_lines", json!(self.break_lines)),
                ("chat_model_level", json!(self.chat_model_level)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            map.extend(extra);
        }
        value
    }

    /// A bot from a validated `CreateBotRequest`, with the create page's
    /// example values as defaults.
    pub(super) fn create(body: &Map<String, Value>) -> Bot {
        let now = now();
        let mut bot = Bot {
            id: uuid::Uuid::new_v4().to_string(),
            team_id: text(body, "team_id").unwrap_or_default(),
            name: String::new(),
            role: "support".into(),
            description: String::new(),
            openai_id: format!("asst_{}", hex(24)),
            vector_id: format!("vs_{}", hex(24)),
            instructions: String::new(),
            temperature: 0.7,
            published: true,
            allow_human: false,
            created_at: now.clone(),
            updated_at: now,
            identification_name: None,
            questions: Vec::new(),
            actions: Vec::new(),
            document_ids: Vec::new(),
            use_audio_responses: false,
            allow_user_audio_requests: false,
            capture_payments: false,
            break_lines: true,
            chat_model_level: 0,
        };
        bot.apply(body);
        bot
    }

    /// Applies the fields present in a validated `UpdateBotRequest` (or
    /// `CreateBotRequest`); `null` clears a nullable one.
    pub(super) fn apply(&mut self, body: &Map<String, Value>) {
        if let Some(v) = text(body, "name") {
            self.name = v;
        }
        if let Some(v) = text(body, "role") {
            self.role = v;
        }
        if let Some(v) = text(body, "description") {
            self.description = v;
        }
        if let Some(v) = text(body, "instructions") {
            self.instructions = v;
        }
        if let Some(v) = body.get("temperature").and_then(Value::as_f64) {
            self.temperature = v;
        }
        if let Some(v) = body.get("identification_name") {
            self.identification_name = v.as_str().map(str::to_owned);
        }
        if let Some(v) = body.get("questions") {
            self.questions = list(v);
        }
        if let Some(v) = body.get("actions") {
            self.actions = list(v)
                .into_iter()
                .map(|mut action| {
                    if let Value::Object(map) = &mut action {
                        map.entry("id")
                            .or_insert_with(|| json!(uuid::Uuid::new_v4().to_string()));
                    }
                    action
                })
                .collect();
        }
        if let Some(v) = body.get("document_ids") {
            let mut ids: Vec<String> = Vec::new();
            for id in list(v).iter().filter_map(Value::as_str) {
                let id = id.to_ascii_lowercase();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            self.document_ids = ids;
        }
        let flags: [(&str, &mut bool); 5] = [
            ("allow_human", &mut self.allow_human),
            ("use_audio_responses", &mut self.use_audio_responses),
            (
                "allow_user_audio_requests",
                &mut self.allow_user_audio_requests,
            ),
            ("capture_payments", &mut self.capture_payments),
            ("break_lines", &mut self.break_lines),
        ];
        for (name, slot) in flags {
            if let Some(v) = body.get(name).and_then(Value::as_bool) {
                *slot = v;
            }
        }
        if let Some(v) = body.get("chat_model_level").and_then(Value::as_i64) {
            self.chat_model_level = v;
        }
        self.updated_at = now();
    }
}

impl Document {
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "type": self.kind,
            "size": self.size,
            "openai_id": self.openai_id,
            "file_url": self.file_url,
            "chars": self.chars,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// A document uploaded now.
    pub(super) fn upload(team_id: &str, name: &str, kind: &str, size: u64, chars: i64) -> Self {
        let now = now();
        let openai_id = format!("file-{}", hex(24));
        Document {
            id: uuid::Uuid::new_v4().to_string(),
            team_id: team_id.into(),
            name: name.into(),
            kind: kind.into(),
            size,
            file_url: format!("{team_id}/{openai_id}.{kind}"),
            openai_id,
            chars,
            created_at: now.clone(),
            updated_at: now,
        }
    }
}

impl Team {
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "plan_name": self.plan_name,
            "paying": self.paying,
            "banned": self.banned,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    pub(super) fn create(fields: &Map<String, Value>) -> Team {
        let now = now();
        Team {
            id: uuid::Uuid::new_v4().to_string(),
            name: text(fields, "name").unwrap_or_default(),
            plan_name: text(fields, "plan_name").unwrap_or_else(|| "Free".into()),
            paying: false,
            banned: false,
            created_at: now.clone(),
            updated_at: now,
        }
    }
}

impl User {
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "created_at": self.created_at,
        })
    }

    pub(super) fn create(fields: &Map<String, Value>) -> User {
        User {
            id: uuid::Uuid::new_v4().to_string(),
            name: text(fields, "name").unwrap_or_default(),
            email: text(fields, "email").unwrap_or_default(),
            phone: text(fields, "phone").unwrap_or_default(),
            created_at: now(),
        }
    }
}

/// The string field `name` of `map`, if it is one.
pub(super) fn text(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// An array's items; `null` (or anything else) is an empty list.
fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}
