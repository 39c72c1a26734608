//! OKChat's [`Probe`]: what generic tests need to drive it.

use crate::probe::{Auth, Call, Check, DropFieldProbe, FieldRead, List, Probe};

pub(super) const PROBE: Probe = Probe {
    auth: Auth::Header("x-api-key"),
    cheap_read: "/api/external/chatbots",
    success: &[],
    status_in_body: None,
    rate_limited: &[
        Check::is("/error", r#""Too Many Requests""#),
        Check::a_string("/message"),
    ],
    list: Some(List {
        path: "/api/external/chatbots",
        id_key: "id",
        total: None,
        pages: None,
    }),
    read: Call::get("/api/external/chatbot/{id}"),
    write: Call::with(
        "PATCH",
        "/api/external/chatbots?id={id}",
        r#"{"name": "Renamed through client-b's test"}"#,
    ),
    others: &[
        Call::get("/api/external/chatbot/{id}/knowledge-base"),
        Call::get("/api/external/chatbot/{id}/conversations"),
        Call::with("PATCH", "/api/external/chatbot/{id}/voice-agent", "{}"),
        Call::with(
            "POST",
            "/api/external/chatbot/{id}/query-knowledge",
            r#"{"query": "hours"}"#,
        ),
    ],
    drop_field: DropFieldProbe {
        update: Call::with(
            "PATCH",
            "/api/external/chatbots?id={id}",
            r#"{"name": "Kept name", "settings": {"greeting": "Dropped greeting"}}"#,
        ),
        dropped: "greeting",
        sent: (r#""Kept name""#, r#""Dropped greeting""#),
        read: FieldRead::Get {
            call: Call::get("/api/external/chatbot/{id}"),
            kept: "/chatbot/name",
            dropped: "/chatbot/settings/greeting",
        },
    },
    shared_fields: super::chatbots::SHARED_FIELDS,
};
