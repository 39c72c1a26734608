//! PureTalk's [`Probe`]: what generic tests need to drive it.

use crate::probe::{Auth, Call, Check, DropFieldProbe, FieldRead, List, Probe};

pub(super) const PROBE: Probe = Probe {
    auth: Auth::Header("x-api-key"),
    cheap_read: "/ai-assistants",
    success: &[],
    status_in_body: None,
    // The whole body.
    rate_limited: &[Check::is(
        "",
        r#"{"err": true, "msg": "Request was throttled."}"#,
    )],
    list: Some(List {
        path: "/ai-assistants?limit=100",
        id_key: "assistant_id",
        total: Some("/count"),
        pages: Some("/ai-assistants"),
    }),
    read: Call::get("/ai-assistants/{id}"),
    write: Call::with(
        "PATCH",
        "/ai-assistants/{id}",
        r#"{"name": "Renamed through client-b's test"}"#,
    ),
    others: &[Call::with(
        "POST",
        "/ai-assistants/llm-states/{id}",
        r#"{"llm_states": [{"name": "wrap_up", "prompt": "Say goodbye."}]}"#,
    )],
    drop_field: DropFieldProbe {
        update: Call::with(
            "PATCH",
            "/ai-assistants/{id}",
            r#"{"name": "Kept name", "begin_message": "Dropped greeting"}"#,
        ),
        dropped: "greeting",
        sent: (r#""Kept name""#, r#""Dropped greeting""#),
        read: FieldRead::Get {
            call: Call::get("/ai-assistants/{id}"),
            kept: "/results/name",
            dropped: "/results/begin_message",
        },
    },
    shared_fields: super::assistants::SHARED_FIELDS,
};
