//! The handlers of OKChat's chat and conversations.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chatbots_okchat::types;
use serde_json::{Value, json};

use super::errors::{Reply, error, ok};
use super::input::{Auth, ChatbotId, ChatbotSession, query_pairs};
use super::knowledge::search;
use super::state::{App, new_id, now, str_of};
use crate::extract::{SpecFields, documented};

fn token_count(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

pub(super) async fn chat(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
    RawQuery(query): RawQuery,
    SpecFields(_, sent): SpecFields<types::ChatRequest>,
) -> Reply {
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
    let input = Value::Object(documented::<types::ChatRequest>(&sent));
    let messages = input
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // The docs require none of these: no message, or an empty one, is a
    // question nothing matches (answered with the greeting).
    let question = messages
        .last()
        .map(|last| str_of(last, "content").to_string())
        .unwrap_or_default();
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

pub(super) async fn list_conversations(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
) -> Reply {
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

pub(super) async fn get_conversation(
    State(app): State<App>,
    _auth: Auth,
    ChatbotSession(bot, session): ChatbotSession,
) -> Reply {
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

pub(super) async fn list_messages(
    State(app): State<App>,
    _auth: Auth,
    ChatbotSession(bot, session): ChatbotSession,
) -> Reply {
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
