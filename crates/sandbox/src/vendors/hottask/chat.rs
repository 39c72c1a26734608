//! The handlers of the conversations: sessions, `ClientAsk`, the
//! recorded messages and leads, credits, and Twilio messages.

use super::types::{self, ChatAskType};
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::auth::Auth;
use super::envelope::{Fail, ok, respond};
use super::state::{App, Lead, Message, Session, time};
use crate::extract::SpecJson;

/// `[from, to]` (inclusive UTC days) of two optional date fields. The docs
/// do not refuse an end before the start: such a range selects nothing.
fn date_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> impl Fn(&DateTime<Utc>) -> bool {
    move |t: &DateTime<Utc>| {
        let day = t.date_naive();
        from.is_none_or(|f| day >= f) && to.is_none_or(|e| day <= e)
    }
}

pub(super) async fn get_session(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::GetSessionRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number;
        store.chatbot(&serial)?;
        let id = store.next_session;
        store.next_session += 1;
        store.sessions.insert(id, Session { serial });
        Ok(json!({"SessionID": id}))
    }))
}

/// The media kinds `ClientAsk` accepts, by file extension.
fn media_ok(kind: ChatAskType, name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match kind {
        ChatAskType::Image => ["png", "jpg", "jpeg", "webp", "gif"].contains(&ext.as_str()),
        ChatAskType::Audio => ext == "wav",
        ChatAskType::Video => ["mp4", "mkv", "avi", "flv", "mpeg", "mpg"].contains(&ext.as_str()),
        ChatAskType::Text => true,
    }
}

/// The first e-mail address in `content`, if any.
fn email_in(content: &str) -> Option<String> {
    content
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| {
            w.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
        })
        .map(str::to_string)
}

pub(super) async fn client_ask(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::ClientAskRequest>,
) -> Response {
    respond(app.with(|store| {
        let session_id = body.session_id;
        let content = body.content;
        let kind = body.chat_ask_type.unwrap_or(ChatAskType::Text);
        let ids = body.file_ids;
        let serial = store
            .sessions
            .get(&session_id)
            .map(|s| s.serial.clone())
            .ok_or_else(|| Fail::new(404, format!("Session not found: {session_id}")))?;
        let bot = store.chatbot(&serial)?;
        if content.trim().is_empty() && ids.is_empty() {
            return Err(Fail::invalid(
                "content must not be empty unless fileIds names media to ask about",
            ));
        }
        if matches!(kind, ChatAskType::Audio | ChatAskType::Video) && ids.len() > 1 {
            return Err(Fail::invalid(format!(
                "fileIds: only one {} file is allowed per message (got {})",
                kind.to_string().to_ascii_lowercase(),
                ids.len()
            )));
        }
        let mut names = Vec::new();
        for id in &ids {
            let id = id.to_string();
            let found = store.file("fileIds", &id)?;
            if !media_ok(kind, &found.name) {
                let expected = match kind {
                    ChatAskType::Image => "a PNG, JPEG, WEBP or static GIF image",
                    ChatAskType::Audio => "a WAV audio file",
                    _ => "an MP4, MKV, AVI, FLV or MPEG video",
                };
                return Err(Fail::invalid(format!(
                    "fileIds: file {id} ({}) is not {expected}",
                    found.name
                )));
            }
            names.push(found.name.clone());
        }

        let now = Utc::now();
        let limit = bot.setting_int("RateLimitCount");
        let window = bot.setting_int("RateLimitTime");
        if limit > 0 {
            let since = chrono::TimeDelta::try_seconds(window.max(0))
                .and_then(|window| now.checked_sub_signed(window))
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            let recent = store
                .messages
                .iter()
                .filter(|m| m.session == session_id && m.role == "user" && m.at > since)
                .count();
            if i64::try_from(recent).unwrap_or(i64::MAX) >= limit {
                let message = match bot.setting_str("RateLimitMessage") {
                    "" => "Too many messages in a row",
                    custom => custom,
                };
                return Err(Fail::new(429, message));
            }
        }

        let question = content.trim().trim_end_matches('?').to_lowercase();
        let mut answer = bot
            .knowledge
            .qa
            .iter()
            .find(|(q, _)| {
                !q.trim().is_empty() && q.trim().trim_end_matches('?').to_lowercase() == question
            })
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| {
                if content.trim().is_empty() {
                    format!(
                        "This is {}. I received your {} ({}).",
                        bot.setting_str("Name"),
                        kind.to_string().to_ascii_lowercase(),
                        names.join(", ")
                    )
                } else {
                    format!(
                        "This is {}, a sandbox chatbot. You said: \"{}\"",
                        bot.setting_str("Name"),
                        content.trim()
                    )
                }
            });
        let suffix = bot.setting_str("AnswerSuffix");
        if !suffix.is_empty() {
            answer = format!("{answer}\n{suffix}");
        }

        for (role, text) in [("user", content.clone()), ("assistant", answer.clone())] {
            let id = store.next_message;
            store.next_message += 1;
            store.messages.push(Message {
                id,
                session: session_id,
                serial: serial.clone(),
                role,
                content: text,
                at: now,
            });
        }
        let message_id = store.next_message - 1;
        if let Some(email) = email_in(&content) {
            let id = store.next_lead;
            store.next_lead += 1;
            store.leads.push(Lead {
                id,
                serial: serial.clone(),
                session: session_id,
                name: String::new(),
                email,
                phone: String::new(),
                at: now,
                appointment: None,
            });
        }
        store.credits_used += 1;
        Ok(json!({"Answer": answer, "SessionID": session_id, "MessageID": message_id}))
    }))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(super) async fn lead_list(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::LeadListRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number.as_str();
        store.chatbot(serial)?;
        let within = date_range(body.start_time, body.end_time);
        let session = body.session_id;
        let mut leads = Vec::new();
        let mut appointments = Vec::new();
        for lead in store.leads.iter().filter(|l| {
            l.serial == serial && within(&l.at) && session.is_none_or(|s| s == l.session)
        }) {
            let mut item = json!({
                "Id": lead.id,
                "SessionID": lead.session,
                "Name": lead.name,
                "Email": lead.email,
                "Phone": lead.phone,
                "CreateTime": time(&lead.at),
            });
            match (&lead.appointment, &mut item) {
                (Some(when), Value::Object(map)) => {
                    map.insert("AppointmentTime".into(), when.clone().into());
                    appointments.push(item);
                }
                _ => leads.push(item),
            }
        }
        Ok(json!({"Leads": leads, "Appointments": appointments}))
    }))
}

/// The spec says E.164 in words (no pattern).
fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

pub(super) async fn send_twilio_message(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::SendTwilioMessageRequest>,
) -> Response {
    respond(app.with(|store| {
        store.chatbot(&body.serial_number)?;
        let to = body.to_phone_number.as_str();
        if !is_e164(to) {
            return Err(Fail::invalid(format!(
                "ToPhoneNumber must be a phone number in E.164 format, e.g. +15555550123 (got {to:?})"
            )));
        }
        if body.message.trim().is_empty() {
            return Err(Fail::invalid("Message must not be empty"));
        }
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        Ok(json!({"Sid": sid, "To": to, "Status": "queued"}))
    }))
}

pub(super) async fn get_message_credits_usage(State(app): State<App>, _auth: Auth) -> Response {
    let used = app.with(|store| store.credits_used);
    ok(json!({"Total": -1, "Used": used, "Remain": -1}))
}

pub(super) async fn chat_content_history(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::ChatContentHistoryRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number.as_str();
        store.chatbot(serial)?;
        let within = date_range(body.start_time, body.end_time);
        Ok(store
            .messages
            .iter()
            .filter(|m| m.serial == serial && within(&m.at))
            .map(|m| {
                json!({
                    "Id": m.id,
                    "SessionID": m.session,
                    "Role": m.role,
                    "Content": m.content,
                    "CreateTime": time(&m.at),
                })
            })
            .collect())
    }))
}

pub(super) async fn get_message_count_by_chatbot(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::MessageCountRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number.as_str();
        store.chatbot(serial)?;
        Ok(store
            .messages
            .iter()
            .filter(|m| m.serial == serial)
            .count()
            .into())
    }))
}
