//! The scenario: every operation with a 2xx, plus documented failures.

use chatbots_sandbox::{RateLimit, Sandbox, SandboxBuilder, Vendor};
use reqwest::Method;
use serde_json::{Value, json};

use crate::Contract;
use crate::seeded::Read;

/// The contract sandbox: StreamSkill's default burst of 30 would refuse
/// part of the scenario with 429s (checked elsewhere, in `streamskill.rs`
/// and by `injected_failures`), so the token gets a burst it never empties.
/// The limiter still runs, and guests keep their bucket of 5.
pub(crate) fn sandbox() -> SandboxBuilder {
    Sandbox::builder().streamskill_rate_limit(Some(RateLimit {
        burst: 1_000,
        ..RateLimit::documented(Vendor::StreamSkill).expect("documented")
    }))
}

/// Sends a raw body with a given Content-Type, checked.
async fn raw(
    contract: &mut Contract,
    path: &str,
    content_type: Option<&str>,
    body: &'static str,
) -> (u16, Value) {
    let mut builder = contract.request(Method::POST, path).body(body);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    contract.check(builder).await
}

pub(crate) async fn exercise(contract: &mut Contract) {
    let token = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated")
        .key;

    // Without credentials, and with a wrong token: 401.
    let (status, body) = contract.json(Method::GET, "/purchases", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "unauthorized_http_exception");
    contract.set_auth("Authorization", "Bearer not-the-token");
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12345/edit-ai-chatbots",
            Some(json!({"count": 5})),
        )
        .await;
    assert_eq!(status, 401);
    contract.set_auth("Authorization", &format!("Bearer {token}"));

    // Reads.
    let (status, list) = contract
        .json(Method::GET, "/purchases?expand=tarif", None)
        .await;
    assert_eq!(status, 200);
    assert!(list.as_array().is_some_and(|l| l.len() >= 7));
    let (status, open) = contract
        .json(Method::GET, "/purchases/uncomplete", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        open.as_array()
            .is_some_and(|l| l.iter().all(|p| p["status"] != "completed"))
    );
    let (status, bulk) = contract
        .json(
            Method::GET,
            "/purchases/bulk?ids=12345,99&expand=chatbot",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bulk["missing_ids"], json!([99]));
    let (status, _) = contract
        .json(Method::GET, "/purchases/bulk?ids=a,b", None)
        .await;
    assert_eq!(status, 422);
    let (status, order) = contract.json(Method::GET, "/purchases/12345", None).await;
    assert_eq!(status, 200);
    assert_eq!(order["order_type"], "ai_chatbots");
    let (status, body) = contract.json(Method::GET, "/purchases/999999", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "purchase_not_found_exception");
    let (status, _) = contract
        .json(Method::GET, "/tarifs/7?expand=panel", None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract.json(Method::GET, "/tarifs/999", None).await;
    assert_eq!(status, 404);

    // The seed endpoint and its documented failures.
    let path = "/purchases/12345/edit-ai-chatbots";
    let seed = json!({"language": "auto", "count": 50, "interval": 10});
    let (status, body) = contract.json(Method::POST, path, Some(seed.clone())).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = contract
        .json(
            Method::POST,
            path,
            Some(json!({"count": 101, "interval": 0})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["type"], "validate_exception");
    let (status, body) = contract
        .json(
            Method::POST,
            path,
            Some(json!({"count": 2, "interval": 10})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["interval"].is_array());
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12346/edit-ai-chatbots",
            Some(seed.clone()),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12347/edit-ai-chatbots",
            Some(seed.clone()),
        )
        .await;
    assert_eq!(status, 405);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/404404/edit-ai-chatbots",
            Some(seed.clone()),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = raw(contract, path, Some("text/plain"), "count=5").await;
    assert_eq!(status, 415);
    let (status, _) = raw(contract, path, Some("application/json"), "{not json").await;
    assert_eq!(status, 400);

    // The other edits.
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12348/edit-chatbot",
            Some(json!({"interval": 30, "mode": 1, "phrases": ["hi", "gg"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12348/edit-chatbot",
            Some(json!({"mode": 2})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12347/edit-twitch-viewers",
            Some(json!({"channel": "example", "threads": 2, "raid": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12347/edit-twitch-viewers",
            Some(json!({"threads": 11})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/12349/edit-twitch-followers",
            Some(json!({"interval": 60, "floating_interval": true})),
        )
        .await;
    assert_eq!(status, 200);

    // Create, start, prolong, stop.
    let cart = json!({
        "tarif": {"id": 1, "quantity": 1000, "duration": 24},
        "channel": "https://twitch.tv/example",
        "comment": "",
        "start": false
    });
    let (status, created) = contract
        .json(Method::POST, "/purchases/create?expand=tarif", Some(cart))
        .await;
    assert_eq!(status, 200);
    let id = created["id"].as_u64().expect("created id");
    let (status, body) = contract
        .json(
            Method::POST,
            "/purchases/create",
            Some(json!({"tarif": {"id": 999}, "channel": "x"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["tarif.id"], json!(["Tarif not found"]));
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/create",
            Some(json!({"tarif": {"id": 1, "quantity": 5000, "duration": 720}, "channel": "x"})),
        )
        .await;
    assert_eq!(status, 402);
    let (status, _) = contract
        .json(Method::POST, &format!("/purchases/{id}/start"), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .json(Method::POST, "/purchases/12345/start", None)
        .await;
    assert_eq!(status, 405);
    let (status, _) = contract
        .json(Method::POST, "/purchases/12346/start", None)
        .await;
    assert_eq!(status, 409);
    let (status, _) = contract
        .json(Method::POST, "/purchases/1/start", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = contract
        .json(
            Method::POST,
            &format!("/purchases/{id}/prolong"),
            Some(json!({"count": 2})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .json(
            Method::POST,
            &format!("/purchases/{id}/prolong"),
            Some(json!({"count": 0})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, result) = contract
        .json(
            Method::POST,
            "/purchases/bulk-stop",
            Some(json!({"ids": [id, 12346, 77]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(result["success"], json!([id]));
    let (status, _) = contract
        .json(
            Method::POST,
            "/purchases/bulk-stop",
            Some(json!({"ids": []})),
        )
        .await;
    assert_eq!(status, 422);

    contract
        .injected_failures(Method::POST, path, Some(seed))
        .await;
}

/// The reads that return the bots `--bots` seeded (`seeded`, at least
/// three), and a cheap read that empties a rate-limit bucket.
pub(crate) async fn seeded_reads(
    contract: &mut Contract,
    seeded: &[String],
) -> (Vec<Read>, &'static str) {
    let credentials = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated");
    let mut reads: Vec<Read> = Vec::new();
    contract.set_auth("Authorization", &format!("Bearer {}", credentials.key));
    reads.push((Method::GET, "/purchases".into(), None));
    reads.push((Method::GET, "/purchases/uncomplete".into(), None));
    reads.push((
        Method::GET,
        format!("/purchases/bulk?ids={},{}", seeded[0], seeded[2]),
        None,
    ));
    reads.push((Method::GET, format!("/purchases/{}", seeded[1]), None));
    (reads, "/purchases")
}
