//! StreamSkill's [`Probe`]: what generic tests need to drive it. Its bots
//! are orders; an order's `comment` carries the bot's name.

use crate::probe::{Auth, Call, Check, DropFieldProbe, FieldRead, List, Probe};

pub(super) const PROBE: Probe = Probe {
    auth: Auth::Bearer,
    cheap_read: "/purchases",
    success: &[],
    status_in_body: None,
    rate_limited: &[Check::is("/type", r#""too_many_requests_http_exception""#)],
    list: Some(List {
        path: "/purchases",
        id_key: "id",
        total: None,
        pages: None,
    }),
    read: Call::get("/purchases/{id}?expand=chatbot"),
    write: Call::with(
        "POST",
        "/purchases/{id}/edit-ai-chatbots",
        r#"{"interval": 7}"#,
    ),
    others: &[
        Call::with("POST", "/purchases/{id}/prolong", "{}"),
        Call::with("POST", "/purchases/{id}/start", "{}"),
    ],
    // Its one shared field is `language`; `interval` is its own.
    drop_field: DropFieldProbe {
        update: Call::with(
            "POST",
            "/purchases/{id}/edit-ai-chatbots",
            r#"{"language": "ru", "count": 60, "interval": 30}"#,
        ),
        dropped: "language",
        sent: ("30", r#""ru""#),
        read: FieldRead::Get {
            call: Call::get("/purchases/{id}"),
            kept: "/settings/interval",
            dropped: "/settings/language",
        },
    },
    shared_fields: super::edits::SHARED_FIELDS,
};
