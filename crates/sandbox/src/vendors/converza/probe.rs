//! Converza's [`Probe`]: what generic tests need to drive it.

use crate::probe::{Auth, Call, Check, DropFieldProbe, Exchange, FieldRead, List, Probe};

pub(super) const PROBE: Probe = Probe {
    // The key pair buys a bearer token (`auth.rs`).
    auth: Auth::Exchange(Exchange {
        path: "/api/openapi/auth/token",
        key_field: "key_id",
        secret_field: "key_secret",
        token: "/data/access_token",
    }),
    cheap_read: "/api/openapi/v1/teams",
    success: &[],
    status_in_body: None,
    rate_limited: &[
        Check::is("/success", "false"),
        Check::is("/error/code", r#""RATE_LIMITED""#),
    ],
    list: Some(List {
        path: "/api/openapi/v1/bots?limit=100",
        id_key: "id",
        total: Some("/data/pagination/total"),
        pages: Some("/api/openapi/v1/bots"),
    }),
    read: Call::get("/api/openapi/v1/bots/{id}"),
    write: Call::with(
        "PATCH",
        "/api/openapi/v1/bots/{id}",
        r#"{"name": "Renamed through client-b's test"}"#,
    ),
    others: &[],
    drop_field: DropFieldProbe {
        update: Call::with(
            "PATCH",
            "/api/openapi/v1/bots/{id}",
            r#"{"name": "Kept name", "instructions": "Dropped instructions"}"#,
        ),
        dropped: "instructions",
        sent: (r#""Kept name""#, r#""Dropped instructions""#),
        read: FieldRead::Get {
            call: Call::get("/api/openapi/v1/bots/{id}"),
            kept: "/data/name",
            dropped: "/data/instructions",
        },
    },
    shared_fields: super::bots::SHARED_FIELDS,
};
