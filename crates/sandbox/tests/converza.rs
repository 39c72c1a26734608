//! The Converza stand-in over raw HTTP: the token exchange and bearer auth,
//! state round-trips, the error envelope, validation and bad input.

use std::time::Duration;

use chatbots_sandbox::{Fault, FaultRule, Sandbox, SandboxBuilder, Vendor};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const TOKEN: &str = "/api/openapi/auth/token";
const BOTS: &str = "/api/openapi/v1/bots";
const DOCUMENTS: &str = "/api/openapi/v1/documents";
const TEAMS: &str = "/api/openapi/v1/teams";
const KEYS: &str = "/api/openapi/v1/api-keys";
const SUPPORT_BOT: &str = "770e8400-e29b-41d4-a716-446655440002";
const ACME: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const PADARIA: &str = "550e8400-e29b-41d4-a716-446655440000";
const BANNED: &str = "aa0e8400-e29b-41d4-a716-446655440005";
const FAQ_DOC: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const POLICY_DOC: &str = "990e8400-e29b-41d4-a716-446655440004";
const CONTRACT_DOC: &str = "660e8400-e29b-41d4-a716-446655440001";

struct Cvz {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Cvz {
    async fn start() -> Cvz {
        Cvz::with(Sandbox::builder()).await
    }

    /// A sandbox, and a token from the sandbox key pair.
    async fn with(builder: SandboxBuilder) -> Cvz {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sandbox = builder.start().await.expect("sandbox starts");
        let mut cvz = Cvz {
            sandbox,
            http: reqwest::Client::new(),
            token: String::new(),
        };
        let (status, body) = cvz.exchange("cvz_key_sandbox", "cvz_secret_sandbox").await;
        assert_eq!(status, 200, "{body}");
        cvz.token = body["data"]["access_token"]
            .as_str()
            .expect("a token")
            .to_string();
        cvz
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url(Vendor::Converza))
    }

    /// A request without credentials.
    fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request with the token.
    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path).bearer_auth(&self.token)
    }

    async fn send(&self, request: RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("sandbox answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.req(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    async fn exchange(&self, key_id: &str, key_secret: &str) -> (u16, Value) {
        self.send(
            self.bare(Method::POST, TOKEN)
                .json(&json!({"key_id": key_id, "key_secret": key_secret})),
        )
        .await
    }
}

/// A failure envelope with this status and code.
#[track_caller]
fn assert_failure(got: &(u16, Value), status: u16, code: &str) {
    let (got_status, body) = got;
    assert_eq!(*got_status, status, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// The fields a 422 names in `error.details`.
fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["field"].as_str().map(str::to_owned))
        .collect()
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

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

fn pdf_form(team_id: &str, file_name: &str) -> Form {
    Form::new()
        .part(
            "file",
            Part::bytes(b"%PDF-1.4 conteudo".to_vec())
                .file_name(file_name.to_string())
                .mime_str("application/pdf")
                .expect("mime"),
        )
        .text("team_id", team_id.to_string())
        .text("chars", "321")
}

/// Moves tokio's clock forward by `by` without waiting. It is the
/// sandbox's clock too: its server runs on this test's current-thread
/// runtime. Time runs again afterwards, because paused during a request
/// tokio would jump straight to reqwest's timeouts.
async fn advance(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

// -------------------------------------------------------------------- auth

#[tokio::test]
async fn the_token_is_a_jwt_in_the_documented_envelope() {
    let cvz = Cvz::start().await;
    let (status, body) = cvz.exchange("cvz_key_sandbox", "cvz_secret_sandbox").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["token_type"], "Bearer");
    assert_eq!(body["data"]["expires_in"], 86_400);
    let token = body["data"]["access_token"].as_str().unwrap();
    assert_ne!(token, cvz.token, "every exchange issues a fresh token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: Value = serde_json::from_slice(&base64url_decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["typ"], "JWT");
    let payload: Value = serde_json::from_slice(&base64url_decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["sub"], "cvz_key_sandbox");
    let iat = payload["iat"].as_u64().unwrap();
    assert_eq!(payload["exp"].as_u64().unwrap() - iat, 86_400);
    assert!(base64url_decode(parts[2]).is_some_and(|s| s.len() >= 16));
    // Both tokens work.
    let (status, _) = cvz.call(Method::GET, BOTS, None).await;
    assert_eq!(status, 200);
    let (status, _) = cvz
        .send(cvz.bare(Method::GET, BOTS).bearer_auth(token))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_wrong_key_pair_is_refused_without_echoing_it() {
    let cvz = Cvz::start().await;
    let wrong = cvz.exchange("cvz_key_sandbox", "cvz_secret_WRONG").await;
    assert_failure(&wrong, 401, "INVALID_CREDENTIALS");
    assert!(!wrong.1.to_string().contains("cvz_secret_WRONG"));
    assert_failure(
        &cvz.exchange("cvz_key_nobody", "cvz_secret_sandbox").await,
        401,
        "INVALID_CREDENTIALS",
    );
    assert_failure(
        &cvz.exchange("cvz_key_revoked", "cvz_secret_revoked").await,
        401,
        "KEY_REVOKED",
    );
    assert_failure(
        &cvz.exchange("cvz_key_expired", "cvz_secret_expired").await,
        401,
        "KEY_EXPIRED",
    );
    // The docs' example pair works.
    let (status, _) = cvz.exchange("cvz_key_abc123", "cvz_secret_xyz789").await;
    assert_eq!(status, 200);
    // A body missing the secret names it.
    let missing = cvz
        .send(
            cvz.bare(Method::POST, TOKEN)
                .json(&json!({"key_id": "cvz_key_sandbox"})),
        )
        .await;
    assert_failure(&missing, 422, "VALIDATION_ERROR");
    assert_eq!(fields(&missing.1), ["key_secret"]);
}

#[tokio::test]
async fn every_route_but_the_exchange_wants_an_issued_token() {
    let cvz = Cvz::start().await;
    let routes = [
        (Method::GET, KEYS.to_string()),
        (Method::POST, KEYS.to_string()),
        (Method::GET, format!("{KEYS}/cvz_key_sandbox")),
        (Method::GET, BOTS.to_string()),
        (Method::POST, BOTS.to_string()),
        (Method::GET, format!("{BOTS}/{SUPPORT_BOT}")),
        (Method::PATCH, format!("{BOTS}/{SUPPORT_BOT}")),
        (Method::GET, DOCUMENTS.to_string()),
        (Method::POST, DOCUMENTS.to_string()),
        (Method::GET, format!("{DOCUMENTS}/{CONTRACT_DOC}")),
        (Method::PATCH, format!("{DOCUMENTS}/{CONTRACT_DOC}")),
        (Method::GET, TEAMS.to_string()),
        (Method::POST, TEAMS.to_string()),
    ];
    let parts: Vec<&str> = cvz.token.split('.').collect();
    let tampered_payload = format!("{}.{}x.{}", parts[0], parts[1], parts[2]);
    let tampered_signature = format!("{}.{}.{}A", parts[0], parts[1], parts[2]);
    for (method, path) in routes {
        let none = cvz.send(cvz.bare(method.clone(), &path)).await;
        assert_failure(&none, 401, "UNAUTHORIZED");
        let basic = cvz
            .send(
                cvz.bare(method.clone(), &path)
                    .basic_auth("cvz_key_sandbox", Some("cvz_secret_sandbox")),
            )
            .await;
        assert_failure(&basic, 401, "UNAUTHORIZED");
        for forged in [
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdnpfa2V5X3NhbmRib3gifQ.c2ln",
            tampered_payload.as_str(),
            tampered_signature.as_str(),
        ] {
            let answer = cvz
                .send(cvz.bare(method.clone(), &path).bearer_auth(forged))
                .await;
            assert_failure(&answer, 401, "INVALID_TOKEN");
        }
    }
}

#[tokio::test]
async fn tokens_expire_after_the_configured_ttl() {
    // The clock jumps 50 s: beyond the header-read timeout, which would
    // close the client's kept-alive connection as a real wait would.
    let cvz = Cvz::with(
        Sandbox::builder()
            .converza_token_ttl(Duration::from_secs(60))
            .header_read_timeout(Duration::from_secs(3_600)),
    )
    .await;
    let (status, body) = cvz.exchange("cvz_key_sandbox", "cvz_secret_sandbox").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["expires_in"], 60);
    let (status, _) = cvz.call(Method::GET, TEAMS, None).await;
    assert_eq!(status, 200);
    // Still valid before the TTL is up (10 s of slack for real time)...
    advance(Duration::from_secs(50)).await;
    let (status, _) = cvz.call(Method::GET, TEAMS, None).await;
    assert_eq!(status, 200);
    // ...and refused once it is.
    advance(Duration::from_secs(10)).await;
    assert_failure(
        &cvz.call(Method::GET, TEAMS, None).await,
        401,
        "TOKEN_EXPIRED",
    );
    // A fresh exchange works again.
    let (_, body) = cvz.exchange("cvz_key_sandbox", "cvz_secret_sandbox").await;
    let fresh = body["data"]["access_token"].as_str().unwrap();
    let (status, _) = cvz
        .send(cvz.bare(Method::GET, TEAMS).bearer_auth(fresh))
        .await;
    assert_eq!(status, 200);
}

// -------------------------------------------------------------------- keys

#[tokio::test]
async fn a_created_key_is_listed_without_its_secret_and_can_sign_in() {
    let cvz = Cvz::start().await;
    let (status, body) = cvz
        .call(
            Method::POST,
            KEYS,
            Some(json!({"name": "CI", "expires_at": "2030-01-01T00:00:00.000Z"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let key_id = body["data"]["key_id"].as_str().unwrap().to_string();
    let secret = body["data"]["key_secret"].as_str().unwrap().to_string();
    assert!(key_id.starts_with("cvz_key_"));
    assert!(secret.starts_with("cvz_secret_"));

    let (status, list) = cvz.call(Method::GET, KEYS, None).await;
    assert_eq!(status, 200);
    assert!(!list.to_string().contains(&secret));
    assert!(!list.to_string().contains("cvz_secret_sandbox"));
    let listed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == key_id.as_str())
        .expect("the new key is listed")
        .clone();
    assert_eq!(listed["name"], "CI");
    assert_eq!(listed["is_active"], true);
    assert_eq!(listed["expires_at"], "2030-01-01T00:00:00Z");
    assert_eq!(listed["last_used"], Value::Null);

    // The new pair signs in; its use shows in last_used.
    let (status, _) = cvz.exchange(&key_id, &secret).await;
    assert_eq!(status, 200);
    let (status, one) = cvz
        .call(Method::GET, &format!("{KEYS}/{key_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert!(one["data"]["last_used"].is_string(), "{one}");
    assert!(one["data"].get("key_secret").is_none());

    assert_failure(
        &cvz.call(Method::GET, &format!("{KEYS}/cvz_key_missing"), None)
            .await,
        404,
        "API_KEY_NOT_FOUND",
    );
    let bad = cvz
        .call(
            Method::POST,
            KEYS,
            Some(json!({"name": "x", "expires_at": "amanhã"})),
        )
        .await;
    assert_failure(&bad, 422, "VALIDATION_ERROR");
    assert_eq!(fields(&bad.1), ["expires_at"]);
    let missing = cvz.call(Method::POST, KEYS, Some(json!({}))).await;
    assert_eq!(fields(&missing.1), ["name"]);
}

// -------------------------------------------------------------------- bots

#[tokio::test]
async fn the_seed_update_changes_what_get_returns() {
    let cvz = Cvz::start().await;
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    let (_, before) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(before["data"]["name"], "Bot de Suporte");
    assert_eq!(before["data"]["temperature"], 0.7);

    let (status, updated) = cvz.call(Method::PATCH, &path, Some(seed_request())).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["success"], true);
    assert_eq!(updated["data"]["id"], SUPPORT_BOT);
    assert_eq!(updated["data"]["name"], "<string>");
    assert_eq!(updated["data"]["temperature"], 1.0);

    let (status, after) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let bot = &after["data"];
    assert_eq!(bot["name"], "<string>");
    assert_eq!(bot["description"], "<string>");
    assert_eq!(bot["instructions"], "<string>");
    assert_eq!(bot["temperature"], 1.0);
    assert_eq!(bot["identification_name"], "<string>");
    assert_eq!(
        bot["questions"],
        json!([{"question": "<string>", "answer": "<string>"}])
    );
    assert_eq!(
        bot["documents"],
        json!([{"document_id": FAQ_DOC, "bot_id": SUPPORT_BOT}])
    );
    assert_eq!(bot["actions"][0]["method"], "GET");
    assert_eq!(bot["use_audio_responses"], true);
    assert_eq!(bot["capture_payments"], true);
    assert_eq!(bot["chat_model_level"], 1);
    assert_eq!(bot["created_at"], "2023-11-07T05:31:56Z");
    assert_ne!(bot["updated_at"], "2023-11-07T05:31:56Z");

    // The list shows the new name too.
    let (_, list) = cvz
        .call(Method::GET, &format!("{BOTS}?name=string"), None)
        .await;
    assert_eq!(list["data"]["bots"][0]["id"], SUPPORT_BOT);
}

#[tokio::test]
async fn a_partial_update_keeps_the_rest_and_can_empty_lists() {
    let cvz = Cvz::start().await;
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    let (status, _) = cvz
        .call(
            Method::PATCH,
            &path,
            Some(json!({"role": "sales", "questions": [], "document_ids": [], "identification_name": null})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, after) = cvz.call(Method::GET, &path, None).await;
    let bot = &after["data"];
    assert_eq!(bot["role"], "sales");
    assert_eq!(bot["name"], "Bot de Suporte");
    assert_eq!(bot["temperature"], 0.7);
    assert_eq!(bot["questions"], json!([]));
    assert_eq!(bot["documents"], json!([]));
    assert_eq!(bot["identification_name"], Value::Null);
    assert_eq!(bot["actions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_created_bot_is_listed_and_readable() {
    let cvz = Cvz::start().await;
    let (status, created) = cvz
        .call(
            Method::POST,
            BOTS,
            Some(json!({
                "team_id": PADARIA,
                "name": "Bot da Padaria",
                "instructions": "Venda pães.",
                "role": "dynamic",
                "document_ids": [POLICY_DOC]
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(created["data"]["team_id"], PADARIA);
    assert!(
        created["data"]["openai_id"]
            .as_str()
            .unwrap()
            .starts_with("asst_")
    );

    let (_, list) = cvz
        .call(Method::GET, &format!("{BOTS}?team_id={PADARIA}"), None)
        .await;
    let ids: Vec<&str> = list["data"]["bots"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    assert!(ids.contains(&id.as_str()));
    assert_eq!(list["data"]["pagination"]["total"], 2);

    let (_, bot) = cvz.call(Method::GET, &format!("{BOTS}/{id}"), None).await;
    assert_eq!(bot["data"]["name"], "Bot da Padaria");
    assert_eq!(bot["data"]["role"], "dynamic");
    assert_eq!(
        bot["data"]["documents"],
        json!([{"document_id": POLICY_DOC, "bot_id": id}])
    );
}

#[tokio::test]
async fn bots_refer_to_existing_teams_and_their_documents() {
    let cvz = Cvz::start().await;
    let new = |team: &str| json!({"team_id": team, "name": "x", "instructions": "y"});
    assert_failure(
        &cvz.call(
            Method::POST,
            BOTS,
            Some(new("00000000-0000-4000-8000-000000000000")),
        )
        .await,
        404,
        "TEAM_NOT_FOUND",
    );
    assert_failure(
        &cvz.call(Method::POST, BOTS, Some(new(BANNED))).await,
        403,
        "TEAM_BANNED",
    );
    // The support bot is ACME's; the policy document is Padaria's.
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    assert_failure(
        &cvz.call(
            Method::PATCH,
            &path,
            Some(json!({"name": "changed", "document_ids": [POLICY_DOC]})),
        )
        .await,
        404,
        "DOCUMENT_NOT_FOUND",
    );
    let (_, bot) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(
        bot["data"]["name"], "Bot de Suporte",
        "a refused update changes nothing"
    );
    assert_failure(
        &cvz.call(
            Method::GET,
            &format!("{BOTS}/00000000-0000-4000-8000-000000000000"),
            None,
        )
        .await,
        404,
        "BOT_NOT_FOUND",
    );
    let garbage = cvz.call(Method::GET, &format!("{BOTS}/nope"), None).await;
    assert_failure(&garbage, 422, "VALIDATION_ERROR");
    assert_eq!(fields(&garbage.1), ["id"]);
}

#[tokio::test]
async fn validation_names_each_field() {
    let cvz = Cvz::start().await;
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    let cases = [
        (json!({"temperature": 3}), "temperature"),
        (json!({"temperature": -0.5}), "temperature"),
        (json!({"chat_model_level": 3}), "chat_model_level"),
        (json!({"chat_model_level": "1"}), "chat_model_level"),
        (json!({"allow_human": "yes"}), "allow_human"),
        (json!({"role": "boss"}), "role"),
        (json!({"document_ids": ["not-a-uuid"]}), "document_ids[0]"),
        (json!({"questions": "none"}), "questions"),
    ];
    for (body, field) in cases {
        let answer = cvz.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_failure(&answer, 422, "VALIDATION_ERROR");
        assert_eq!(fields(&answer.1), [field], "{body}");
        assert!(answer.1["message"].as_str().unwrap().contains(field));
    }
    let missing = cvz
        .call(
            Method::POST,
            BOTS,
            Some(json!({"team_id": ACME, "name": "x"})),
        )
        .await;
    assert_failure(&missing, 422, "VALIDATION_ERROR");
    assert_eq!(fields(&missing.1), ["instructions"]);
    let bad_team = cvz
        .call(
            Method::POST,
            BOTS,
            Some(json!({"team_id": "acme", "name": "x", "instructions": "y"})),
        )
        .await;
    assert_eq!(fields(&bad_team.1), ["team_id"]);
    let array = cvz.call(Method::PATCH, &path, Some(json!([1, 2]))).await;
    assert_failure(&array, 422, "VALIDATION_ERROR");
    // Nothing changed.
    let (_, bot) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(bot["data"]["temperature"], 0.7);
    assert_eq!(bot["data"]["role"], "support");
}

/// Issue 10: `actions[].description` is validated like any other
/// property; an object there is refused, not stored and served back in
/// violation of the response schema.
#[tokio::test]
async fn a_property_named_description_is_validated_like_any_other() {
    let cvz = Cvz::start().await;
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    let mut body = seed_request();
    body["actions"][0]["description"] = json!({"x": 1});
    let answer = cvz.call(Method::PATCH, &path, Some(body)).await;
    assert_failure(&answer, 422, "VALIDATION_ERROR");
    assert_eq!(
        fields(&answer.1),
        ["actions[0].description"],
        "{}",
        answer.1
    );
    // Nothing was stored.
    let (_, bot) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(bot["data"]["name"], "Bot de Suporte");
    assert!(
        bot["data"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|action| !action["description"].is_object()),
        "{bot}"
    );
}

#[tokio::test]
async fn unusable_bodies_get_the_error_envelope() {
    let cvz = Cvz::with(Sandbox::builder().body_limit(64)).await;
    let path = format!("{BOTS}/{SUPPORT_BOT}");
    let not_json = cvz
        .send(
            cvz.req(Method::PATCH, &path)
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    assert_failure(&not_json, 400, "INVALID_JSON");
    let wrong_type = cvz
        .send(
            cvz.req(Method::PATCH, &path)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_failure(&wrong_type, 415, "UNSUPPORTED_MEDIA_TYPE");
    let no_type = cvz.send(cvz.req(Method::PATCH, &path).body("{}")).await;
    assert_failure(&no_type, 415, "UNSUPPORTED_MEDIA_TYPE");
    let huge = json!({"description": "x".repeat(500)});
    assert_failure(
        &cvz.call(Method::PATCH, &path, Some(huge)).await,
        413,
        "PAYLOAD_TOO_LARGE",
    );
    let upload = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(pdf_form(ACME, "a.pdf")),
        )
        .await;
    assert_failure(&upload, 413, "PAYLOAD_TOO_LARGE");
    // The exchange itself is size-limited too (its body fits).
    let (status, _) = cvz.exchange("cvz_key_sandbox", "cvz_secret_sandbox").await;
    assert_eq!(status, 200);
}

// --------------------------------------------------------------- documents

#[tokio::test]
async fn an_uploaded_document_is_listed_readable_and_renamable() {
    let cvz = Cvz::start().await;
    let (status, created) = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(pdf_form(PADARIA, "cardapio.pdf")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let doc = &created["data"];
    let id = doc["id"].as_str().unwrap().to_string();
    assert_eq!(doc["name"], "cardapio.pdf");
    assert_eq!(doc["type"], "pdf");
    assert_eq!(doc["team_id"], PADARIA);
    assert_eq!(doc["size"], 17);
    assert_eq!(doc["chars"], 321);
    assert!(doc["file_url"].as_str().unwrap().starts_with(PADARIA));

    let (_, list) = cvz
        .call(
            Method::GET,
            &format!("{DOCUMENTS}?team_id={PADARIA}&type=pdf"),
            None,
        )
        .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["meta"]["total"], 1);

    let path = format!("{DOCUMENTS}/{id}");
    let (status, renamed) = cvz
        .call(
            Method::PATCH,
            &path,
            Some(json!({"name": "cardapio-2024.pdf"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["meta"]["changes"], json!(["name"]));
    let (_, read) = cvz.call(Method::GET, &path, None).await;
    assert_eq!(read["data"]["name"], "cardapio-2024.pdf");
    let (_, same) = cvz
        .call(
            Method::PATCH,
            &path,
            Some(json!({"name": "cardapio-2024.pdf"})),
        )
        .await;
    assert_eq!(same["meta"]["changes"], json!([]));
    assert_failure(
        &cvz.call(
            Method::GET,
            &format!("{DOCUMENTS}/00000000-0000-4000-8000-000000000000"),
            None,
        )
        .await,
        404,
        "DOCUMENT_NOT_FOUND",
    );
    let bad = cvz
        .call(Method::PATCH, &path, Some(json!({"name": 7})))
        .await;
    assert_eq!(fields(&bad.1), ["name"]);
}

#[tokio::test]
async fn uploads_are_checked() {
    let cvz = Cvz::start().await;
    let json_upload = cvz
        .call(Method::POST, DOCUMENTS, Some(json!({"team_id": ACME})))
        .await;
    assert_failure(&json_upload, 415, "UNSUPPORTED_MEDIA_TYPE");
    let no_file = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(Form::new().text("team_id", ACME)),
        )
        .await;
    assert_failure(&no_file, 422, "VALIDATION_ERROR");
    assert_eq!(fields(&no_file.1), ["file"]);
    let exe = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(pdf_form(ACME, "virus.exe")),
        )
        .await;
    assert_eq!(fields(&exe.1), ["file"]);
    let no_team = Form::new().part("file", Part::bytes(b"ola".to_vec()).file_name("a.txt"));
    let no_team = cvz
        .send(cvz.req(Method::POST, DOCUMENTS).multipart(no_team))
        .await;
    assert_eq!(fields(&no_team.1), ["team_id"]);
    let bad_chars = Form::new()
        .part("file", Part::bytes(b"ola".to_vec()).file_name("a.txt"))
        .text("team_id", "acme")
        .text("chars", "muitos");
    let bad_chars = cvz
        .send(cvz.req(Method::POST, DOCUMENTS).multipart(bad_chars))
        .await;
    assert_eq!(fields(&bad_chars.1), ["team_id", "chars"]);
    assert_failure(
        &cvz.send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(pdf_form("00000000-0000-4000-8000-000000000000", "a.pdf")),
        )
        .await,
        404,
        "TEAM_NOT_FOUND",
    );
    assert_failure(
        &cvz.send(
            cvz.req(Method::POST, DOCUMENTS)
                .multipart(pdf_form(BANNED, "a.pdf")),
        )
        .await,
        403,
        "TEAM_BANNED",
    );
    let broken = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end"),
        )
        .await;
    assert_failure(&broken, 400, "INVALID_MULTIPART");
    let no_boundary = cvz
        .send(
            cvz.req(Method::POST, DOCUMENTS)
                .header("content-type", "multipart/form-data")
                .body("x"),
        )
        .await;
    assert_failure(&no_boundary, 415, "UNSUPPORTED_MEDIA_TYPE");
    // Nothing was added.
    let (_, list) = cvz.call(Method::GET, DOCUMENTS, None).await;
    assert_eq!(list["meta"]["total"], 3);
}

// ------------------------------------------------------------ lists, teams

#[tokio::test]
async fn lists_paginate_and_filter() {
    let cvz = Cvz::start().await;
    let (status, page) = cvz
        .call(Method::GET, &format!("{BOTS}?limit=2&page=2"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"]["bots"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        page["data"]["pagination"],
        json!({"page": 2, "limit": 2, "total": 3, "totalPages": 2})
    );
    let (_, docs) = cvz
        .call(Method::GET, &format!("{DOCUMENTS}?name=CONTRATO"), None)
        .await;
    assert_eq!(docs["data"][0]["id"], CONTRACT_DOC);
    assert_eq!(docs["meta"]["total"], 1);
    let (_, teams) = cvz
        .call(Method::GET, &format!("{TEAMS}?paying=false"), None)
        .await;
    assert_eq!(teams["meta"]["total"], 2);
    assert!(
        teams["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["paying"] == false)
    );
    for (query, field) in [
        (format!("{BOTS}?page=0"), "page"),
        (format!("{BOTS}?limit=101"), "limit"),
        (format!("{DOCUMENTS}?limit=abc"), "limit"),
        (format!("{DOCUMENTS}?team_id=acme"), "team_id"),
        (format!("{TEAMS}?paying=maybe"), "paying"),
    ] {
        let answer = cvz.call(Method::GET, &query, None).await;
        assert_failure(&answer, 422, "VALIDATION_ERROR");
        assert_eq!(fields(&answer.1), [field], "{query}");
    }
}

#[tokio::test]
async fn page_is_the_specs_int64() {
    let cvz = Cvz::start().await;
    // 2^63 − 1 is the spec's largest `page` (`format: int64`): an empty page.
    let (status, last) = cvz
        .call(
            Method::GET,
            &format!("{TEAMS}?page=9223372036854775807"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{last}");
    assert_eq!(last["data"], json!([]));
    // Beyond 64 bits the message says why, not "at least 1".
    for page in ["9223372036854775808", "36893488147419103232"] {
        let answer = cvz
            .call(Method::GET, &format!("{TEAMS}?page={page}"), None)
            .await;
        assert_failure(&answer, 422, "VALIDATION_ERROR");
        assert_eq!(fields(&answer.1), ["page"]);
        let message = answer.1["error"]["details"][0]["message"].as_str().unwrap();
        assert_eq!(
            message,
            format!("must be a 64-bit integer of at least 1 (got \"{page}\")")
        );
    }
}

#[tokio::test]
async fn a_created_team_is_listed_and_emails_are_unique() {
    let cvz = Cvz::start().await;
    let (status, created) = cvz
        .call(
            Method::POST,
            TEAMS,
            Some(json!({
                "user": {"name": "Bruno", "email": "bruno@example.com", "phone": "+5511988887777"},
                "team": {"name": "Loja do Bruno", "plan_name": "Pro", "quotas": {"bots": 3, "credits": 100}}
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["team"]["name"], "Loja do Bruno");
    assert_eq!(created["data"]["team"]["plan_name"], "Pro");
    assert_eq!(created["data"]["user"]["email"], "bruno@example.com");
    let team_id = created["data"]["team"]["id"].as_str().unwrap().to_string();
    let (_, list) = cvz
        .call(Method::GET, &format!("{TEAMS}?name=bruno"), None)
        .await;
    assert_eq!(list["data"][0]["id"], team_id.as_str());
    // The new team can hold bots.
    let (status, _) = cvz
        .call(
            Method::POST,
            BOTS,
            Some(json!({"team_id": team_id, "name": "b", "instructions": "i"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_failure(
        &cvz.call(
            Method::POST,
            TEAMS,
            Some(json!({"user": {"email": "BRUNO@example.com"}, "team": {"name": "Outra"}})),
        )
        .await,
        409,
        "EMAIL_TAKEN",
    );
    let missing = cvz
        .call(
            Method::POST,
            TEAMS,
            Some(json!({"team": {"name": "Sem dono"}})),
        )
        .await;
    assert_eq!(fields(&missing.1), ["user"]);
}

// ------------------------------------------------------- routes and faults

#[tokio::test]
async fn unknown_routes_and_methods_get_the_envelope() {
    let cvz = Cvz::start().await;
    assert_failure(
        &cvz.call(Method::GET, "/api/openapi/v1/nothing", None).await,
        404,
        "NOT_FOUND",
    );
    assert_failure(
        &cvz.call(Method::DELETE, &format!("{BOTS}/{SUPPORT_BOT}"), None)
            .await,
        405,
        "METHOD_NOT_ALLOWED",
    );
    assert_failure(
        &cvz.send(cvz.bare(Method::GET, TOKEN)).await,
        405,
        "METHOD_NOT_ALLOWED",
    );
}

#[tokio::test]
async fn injected_faults_use_the_envelope() {
    let cvz = Cvz::start().await;
    cvz.sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::Converza)
            .route(BOTS)
            .times(1),
    );
    assert_failure(
        &cvz.call(Method::GET, BOTS, None).await,
        503,
        "SERVICE_UNAVAILABLE",
    );
    cvz.sandbox.faults().inject(
        FaultRule::new(Fault::RateLimited {
            retry_after: Duration::from_secs(2),
        })
        .vendor(Vendor::Converza)
        .times(1),
    );
    let response = cvz.req(Method::GET, TEAMS).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(body["success"], false);
    // Then normal service.
    let (status, _) = cvz.call(Method::GET, BOTS, None).await;
    assert_eq!(status, 200);
}

// ------------------------------------------------------------------- SDK

/// The SDK's own client (token exchange and cache, generated operations,
/// hand-written upload) works against the sandbox.
#[tokio::test]
async fn the_sdk_client_works_against_the_sandbox() {
    use chatbots_converza::{Auth, Client, UploadDocument, types};
    use chatbots_runtime::{ClientConfig, SecretString};

    let cvz = Cvz::start().await;
    let credentials = cvz.sandbox.credentials(Vendor::Converza).expect("emulated");
    let config = ClientConfig {
        base_url: Some(cvz.sandbox.base_url(Vendor::Converza)),
        ..Default::default()
    };
    let auth = Auth::new(
        SecretString::from(credentials.key),
        SecretString::from(credentials.secret.unwrap_or_default()),
    );
    let client = Client::with_config(auth, &config).expect("client");
    let bot: uuid::Uuid = SUPPORT_BOT.parse().unwrap();
    let updated = client
        .update_bot()
        .id(bot)
        .body(
            types::UpdateBotRequest::builder()
                .name(Some("Bot via SDK".to_string()))
                .temperature(Some(1.5)),
        )
        .send()
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.success, Some(true));
    let read = client
        .get_bot()
        .id(bot)
        .send()
        .await
        .expect("get")
        .into_inner();
    let data = read.data.expect("data");
    assert_eq!(data.name.as_deref(), Some("Bot via SDK"));
    assert_eq!(data.temperature, Some(1.5));

    let uploaded = client
        .upload_document(UploadDocument::new(
            ACME.parse().unwrap(),
            "manual.txt",
            b"ola mundo".to_vec(),
        ))
        .await
        .expect("upload")
        .into_inner();
    let document = uploaded.data.expect("document");
    assert_eq!(document.type_.as_deref(), Some("txt"));
    assert_eq!(document.size, Some(9));

    // A wrong pair fails the exchange.
    let wrong = Client::with_config(
        Auth::new(
            SecretString::from(credentials.key),
            SecretString::from("cvz_secret_wrong"),
        ),
        &config,
    )
    .expect("client");
    assert!(wrong.list_teams().send().await.is_err());
}
