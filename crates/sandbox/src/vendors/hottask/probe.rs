//! HotTask's [`Probe`]: what generic tests need to drive it. It answers
//! its failures inside HTTP 200 (`Success`, `Code`), has no list, and no
//! read of a bot's settings: a test reads what it can change and read back
//! (the knowledge's source; a chat answer's name and suffix).

use serde_json::{Value, json};

use crate::probe::{Auth, Call, Check, DropFieldProbe, FieldRead, Probe};

pub(super) const PROBE: Probe = Probe {
    // The raw key, as HotTask reads it.
    auth: Auth::Header("authorization"),
    cheap_read: "/chat/Chatbot/ModelList",
    success: &[Check::is("/Success", "true")],
    status_in_body: Some("/Code"),
    rate_limited: &[Check::is("/Success", "false"), Check::is("/Code", "429")],
    list: None,
    read: Call::with(
        "POST",
        "/chat/Chatbot/GetSource",
        r#"{"serialNumber": "{id}"}"#,
    ),
    write: Call::with(
        "POST",
        "/chat/Chatbot/EditKnowledge",
        r#"{"serialNumber": "{id}", "text": "Written through client-b's test"}"#,
    ),
    others: &[
        Call::with(
            "POST",
            "/chat/Chatbot/Edit",
            r#"{"serialNumber": "{id}", "Name": "x"}"#,
        ),
        Call::with(
            "POST",
            "/chat/Chatbot/GetSession",
            r#"{"serialNumber": "{id}"}"#,
        ),
        Call::with(
            "POST",
            "/chat/Chatbot/LeadList",
            r#"{"serialNumber": "{id}"}"#,
        ),
    ],
    drop_field: DropFieldProbe {
        update: Call::with(
            "POST",
            "/chat/Chatbot/Edit",
            r#"{"serialNumber": "{id}", "Name": "Dropped name", "AnswerSuffix": "Kept suffix"}"#,
        ),
        dropped: "name",
        sent: (r#""Kept suffix""#, r#""Dropped name""#),
        read: FieldRead::Chat {
            session: Call::with(
                "POST",
                "/chat/Chatbot/GetSession",
                r#"{"serialNumber": "{id}"}"#,
            ),
            session_id: "/Data/SessionID",
            ask: Call::with(
                "POST",
                "/chat/Chat/ClientAsk",
                r#"{"sessionID": {session}, "content": "hello"}"#,
            ),
            answer: "/Data/Answer",
            fields: answer_fields,
        },
    },
    shared_fields: super::handlers::SHARED_FIELDS,
};

/// (`AnswerSuffix`, `Name`) as a chat answer shows them (`chat.rs`: "This
/// is <Name>, a sandbox chatbot. …", the suffix on the last line).
fn answer_fields(text: &str) -> Option<(Value, Value)> {
    let name = text
        .strip_prefix("This is ")?
        .split(", a sandbox chatbot")
        .next()?;
    let suffix = text.lines().skip(1).last().unwrap_or_default();
    Some((json!(suffix), json!(name)))
}
