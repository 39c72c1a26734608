//! The scenario: every operation with a 2xx, plus documented failures.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::Contract;
use crate::seeded::Read;

const TOKEN: &str = "/api/openapi/auth/token";
const BOT: &str = "/api/openapi/v1/bots/770e8400-e29b-41d4-a716-446655440002";
const TEAM: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const DOCUMENT: &str = "/api/openapi/v1/documents/660e8400-e29b-41d4-a716-446655440001";

/// The seed page's request body.
fn seed_request() -> Value {
    json!({
      "name": "<string>",
      "role": "support",
      "description": "<string>",
      "instructions": "<string>",
      "temperature": 1,
      "identification_name": "<string>",
      "questions": [{"question": "<string>", "answer": "<string>"}],
      "document_ids": ["3c90c3cc-0d44-4b50-8888-8dd25736052a"],
      "allow_human": true,
      "actions": [{
          "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
          "name": "<string>",
          "description": "<string>",
          "endpoint": "<string>",
          "method": "GET",
          "headers": {},
          "body": [{"key": "<string>", "value": "<string>", "type": "string"}]
      }],
      "use_audio_responses": true,
      "allow_user_audio_requests": true,
      "capture_payments": true,
      "break_lines": true,
      "chat_model_level": 1
    })
}

pub(crate) async fn exercise(contract: &mut Contract) {
    let credentials = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated");

    // Without a token every other route answers 401.
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/bots", None)
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");

    // A wrong key pair is refused; a malformed exchange is a validation error.
    let (status, body) = contract
        .json(
            Method::POST,
            TOKEN,
            Some(json!({"key_id": credentials.key, "key_secret": "nope"})),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_CREDENTIALS");
    let (status, _) = contract
        .json(
            Method::POST,
            TOKEN,
            Some(json!({"key_id": credentials.key})),
        )
        .await;
    assert_eq!(status, 422);

    // createToken.
    let (status, body) = contract
        .json(
            Method::POST,
            TOKEN,
            Some(json!({"key_id": credentials.key, "key_secret": credentials.secret})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();

    // A forged token.
    contract.set_auth("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged");
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/teams", None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "INVALID_TOKEN");

    contract.set_auth("authorization", &format!("Bearer {token}"));

    // API keys.
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/api-keys", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = contract
        .json(
            Method::POST,
            "/api/openapi/v1/api-keys",
            Some(json!({"name": "Chave de Integração de Produção", "expires_at": "2026-12-31T23:59:59.000Z"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let key_id = body["data"]["key_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, _) = contract
        .json(
            Method::GET,
            &format!("/api/openapi/v1/api-keys/{key_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .json(
            Method::GET,
            "/api/openapi/v1/api-keys/cvz_key_missing",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = contract
        .json(Method::POST, "/api/openapi/v1/api-keys", Some(json!({})))
        .await;
    assert_eq!(status, 422);

    // Bots.
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/bots?page=1&limit=2", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = contract
        .json(Method::GET, "/api/openapi/v1/bots?limit=500", None)
        .await;
    assert_eq!(status, 422);
    let (status, body) = contract
        .json(
            Method::POST,
            "/api/openapi/v1/bots",
            Some(json!({"team_id": TEAM, "name": "Bot de Suporte", "instructions": "Seja útil."})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = contract.json(Method::GET, BOT, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = contract
        .json(Method::PATCH, BOT, Some(seed_request()))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = contract
        .json(Method::PATCH, BOT, Some(json!({"temperature": 3})))
        .await;
    assert_eq!(status, 422);
    let (status, _) = contract
        .json(
            Method::GET,
            "/api/openapi/v1/bots/00000000-0000-4000-8000-000000000000",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = contract
        .json(Method::GET, "/api/openapi/v1/bots/not-a-uuid", None)
        .await;
    assert_eq!(status, 422);
    let wrong_type = contract
        .request(Method::PATCH, BOT)
        .header("content-type", "text/plain")
        .body("name=x");
    let (status, _) = contract.check(wrong_type).await;
    assert_eq!(status, 415);
    let not_json = contract
        .request(Method::PATCH, BOT)
        .header("content-type", "application/json")
        .body("{not json");
    let (status, _) = contract.check(not_json).await;
    assert_eq!(status, 400);

    // Documents.
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/documents?type=pdf", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let form = Form::new()
        .part(
            "file",
            Part::bytes(b"%PDF-1.4 contrato".to_vec())
                .file_name("contrato.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        )
        .text("team_id", TEAM)
        .text("chars", "5000");
    let upload = contract
        .request(Method::POST, "/api/openapi/v1/documents")
        .multipart(form);
    let (status, body) = contract.check(upload).await;
    assert_eq!(status, 201, "{body}");
    let form = Form::new().text("team_id", TEAM);
    let missing_file = contract
        .request(Method::POST, "/api/openapi/v1/documents")
        .multipart(form);
    let (status, _) = contract.check(missing_file).await;
    assert_eq!(status, 422);
    let (status, _) = contract
        .json(Method::POST, "/api/openapi/v1/documents", Some(json!({})))
        .await;
    assert_eq!(status, 415);
    let (status, body) = contract.json(Method::GET, DOCUMENT, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = contract
        .json(
            Method::PATCH,
            DOCUMENT,
            Some(json!({"name": "contrato-2024.pdf"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = contract
        .json(Method::PATCH, DOCUMENT, Some(json!({"name": 5})))
        .await;
    assert_eq!(status, 422);

    // Teams.
    let (status, body) = contract
        .json(Method::GET, "/api/openapi/v1/teams?paying=true", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = contract
        .json(
            Method::POST,
            "/api/openapi/v1/teams",
            Some(json!({
                "user": {"name": "Bruno", "email": "bruno@example.com", "phone": "+5511988887777"},
                "team": {"name": "Loja do Bruno", "plan_name": "Pro", "quotas": {"bots": 3}}
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = contract
        .json(
            Method::POST,
            "/api/openapi/v1/teams",
            Some(json!({"user": {"email": "ana@example.com"}, "team": {"name": "X"}})),
        )
        .await;
    assert_eq!(status, 409);

    contract
        .injected_failures(Method::GET, "/api/openapi/v1/teams", None)
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
    let (status, body) = contract
        .json(
            Method::POST,
            "/api/openapi/auth/token",
            Some(json!({"key_id": credentials.key, "key_secret": credentials.secret})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["access_token"].as_str().unwrap_or_default();
    contract.set_auth("Authorization", &format!("Bearer {token}"));
    reads.push((Method::GET, "/api/openapi/v1/bots?limit=100".into(), None));
    reads.push((
        Method::GET,
        format!("/api/openapi/v1/bots/{}", seeded[1]),
        None,
    ));
    (reads, "/api/openapi/v1/teams")
}
