//! The Converza client against a wiremock server on loopback: the seed
//! request, every operation, the envelope, auth (token exchange and cache),
//! retries and malformed bodies.

use std::collections::BTreeSet;
use std::time::Duration;

use chatbots_converza::{Auth, Client, UploadDocument, types};
use chatbots_runtime::{ClientConfig, Envelope, RetryPolicy, SecretString, VendorFailure};
use progenitor_client::Error;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const KEY_ID: &str = "cvz_key_test4242";
const KEY_SECRET: &str = "cvz_secret_do-not-leak-9f8e7d";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.test-payload.test-signature";
const TOKEN_PATH: &str = "/api/openapi/auth/token";

/// The seed page's bot id example.
const BOT_ID: &str = "770e8400-e29b-41d4-a716-446655440002";
const DOCUMENT_ID: &str = "660e8400-e29b-41d4-a716-446655440001";
const TEAM_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

fn config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        base_url: Some(server.uri()),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(1),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn auth() -> Auth {
    Auth::new(SecretString::from(KEY_ID), SecretString::from(KEY_SECRET))
}

fn client(server: &MockServer) -> Client {
    Client::with_config(auth(), &config(server)).expect("client")
}

fn token_body(token: &str, expires_in: i64) -> Value {
    json!({
        "success": true,
        "data": {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
    })
}

/// The token exchange, matched only for the exact key pair.
fn token_request() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_json(
            json!({"key_id": KEY_ID, "key_secret": KEY_SECRET}),
        ))
}

fn token_mock(token: &str, expires_in: i64) -> Mock {
    token_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token, expires_in)))
}

async fn mount_token(server: &MockServer, expect: u64) {
    token_mock(JWT, 86_400)
        .expect(expect)
        .named("token exchange")
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, method_name: &str, to: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .into_iter()
        .filter(|r| r.method.as_str() == method_name && r.url.path() == to)
        .collect()
}

fn bearer() -> String {
    format!("Bearer {JWT}")
}

/// JSON with every number as f64, so that `1` (the docs) and `1.0` (an f32
/// field serialized) compare equal.
fn numbers_as_f64(value: Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_f64(v)))
                .collect(),
        ),
        other => other,
    }
}

fn bot_id() -> uuid::Uuid {
    BOT_ID.parse().unwrap()
}

fn document_id() -> uuid::Uuid {
    DOCUMENT_ID.parse().unwrap()
}

// ------------------------------------------------------------------ seed

/// The request body of the seed page (PATCH /api/openapi/v1/bots/{id}).
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

/// The response body of the seed page.
fn seed_response() -> Value {
    json!({
      "success": true,
      "data": {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "team_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "name": "Bot de Suporte",
        "role": "support",
        "description": "Lida com consultas de suporte ao cliente",
        "openai_id": "asst_abc123",
        "vector_id": "vs_abc123",
        "instructions": "<string>",
        "temperature": 0.7,
        "published": true,
        "allow_human": true,
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z"
      }
    })
}

#[tokio::test]
async fn seed_request_is_sent_as_documented_and_its_response_decodes() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let bot_path = format!("/api/openapi/v1/bots/{BOT_ID}");
    Mock::given(method("PATCH"))
        .and(path(bot_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(seed_response()))
        .expect(1)
        .mount(&server)
        .await;

    let body: types::UpdateBotRequest = serde_json::from_value(seed_request()).unwrap();
    let response = client(&server)
        .update_bot()
        .id(bot_id())
        .body(body)
        .send()
        .await
        .expect("seed call succeeds");

    // The request, exactly as the seed page's curl sends it.
    let sent = requests_to(&server, "PATCH", &bot_path).await;
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(sent.headers["authorization"], bearer().as_str());
    assert_eq!(sent.headers["content-type"], "application/json");
    assert!(sent.headers.get("api-version").is_none());
    assert_eq!(sent.url.query(), None);
    let sent_body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(numbers_as_f64(sent_body), numbers_as_f64(seed_request()));

    // The token exchange before it: no credentials but the key pair.
    let exchange = requests_to(&server, "POST", TOKEN_PATH).await;
    assert_eq!(exchange.len(), 1);
    assert!(exchange[0].headers.get("authorization").is_none());
    assert!(exchange[0].headers.get("api-version").is_none());
    let exchange_body: Value = serde_json::from_slice(&exchange[0].body).unwrap();
    assert_eq!(
        exchange_body,
        json!({"key_id": KEY_ID, "key_secret": KEY_SECRET})
    );

    // The seed response.
    assert_eq!(response.status(), 200);
    let envelope = response.into_inner();
    assert_eq!(envelope.failure(), None);
    assert_eq!(envelope.success, Some(true));
    let bot = envelope.data.expect("data");
    assert_eq!(bot.id.as_deref(), Some(TEAM_ID));
    assert_eq!(bot.name.as_deref(), Some("Bot de Suporte"));
    assert_eq!(bot.role.as_deref(), Some("support"));
    assert_eq!(bot.openai_id.as_deref(), Some("asst_abc123"));
    assert_eq!(bot.temperature, Some(0.7));
    assert_eq!(bot.published, Some(true));
    assert_eq!(bot.created_at.as_deref(), Some("2023-11-07T05:31:56Z"));
}

#[tokio::test]
async fn error_response_decodes_into_the_error_type() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/openapi/v1/bots/{BOT_ID}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "success": false,
            "message": "Bot não encontrado",
            "error": "BOT_NOT_FOUND"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .get_bot()
        .id(bot_id())
        .send()
        .await
        .expect_err("404");
    let Error::ErrorResponse(response) = err else {
        panic!("expected ErrorResponse, got {err:?}");
    };
    assert_eq!(response.status(), 404);
    assert_eq!(response.success, Some(false));
    assert_eq!(response.message.as_deref(), Some("Bot não encontrado"));
    assert_eq!(response.error, Some(json!("BOT_NOT_FOUND")));
    assert_eq!(
        response.failure(),
        Some(VendorFailure {
            code: Some("BOT_NOT_FOUND".into()),
            message: Some("Bot não encontrado".into()),
        })
    );
}

// --------------------------------------------------------- every operation

/// The spec's operationIds, read from the spec file itself.
fn spec_operations() -> BTreeSet<String> {
    include_str!("../../../specs/converza.yaml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("operationId:"))
        .map(|id| id.trim().to_string())
        .collect()
}

/// A mock for one operation: method, path and the bearer token; answered
/// once with `body`.
async fn mount_op(server: &MockServer, verb: &str, at: &str, body: Value) {
    Mock::given(method(verb))
        .and(path(at))
        .and(header("authorization", bearer().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .named(format!("{verb} {at}"))
        .mount(server)
        .await;
}

fn document_json() -> Value {
    json!({
        "id": DOCUMENT_ID,
        "team_id": TEAM_ID,
        "name": "contrato.pdf",
        "type": "pdf",
        "size": 1024000,
        "openai_id": "file-abc123",
        "file_url": "550e8400-e29b-41d4-a716-446655440000/file-abc123.pdf",
        "chars": 5000,
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z"
    })
}

fn api_key_json() -> Value {
    json!({
        "key_id": "cvz_key_abc123",
        "name": "Chave de Integração de Produção",
        "scope": "global",
        "is_active": true,
        "expires_at": null,
        "last_used": "2023-11-07T05:31:56Z",
        "created_at": "2023-11-07T05:31:56Z"
    })
}

fn pagination_json() -> Value {
    json!({"page": 1, "limit": 20, "total": 150, "totalPages": 8})
}

#[tokio::test]
async fn every_operation_reaches_its_endpoint_and_decodes() {
    let server = MockServer::start().await;
    let c = client(&server);
    let mut covered = BTreeSet::new();

    // createToken, called directly: no bearer, the key pair in the body.
    token_mock("direct-token", 86_400)
        .expect(1)
        .mount(&server)
        .await;
    let token = c
        .create_token()
        .body(types::TokenRequest {
            key_id: KEY_ID.into(),
            key_secret: KEY_SECRET.into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        token.data.unwrap().access_token.as_deref(),
        Some("direct-token")
    );
    assert!(
        requests_to(&server, "POST", TOKEN_PATH).await[0]
            .headers
            .get("authorization")
            .is_none()
    );
    covered.insert("createToken");
    server.reset().await;
    mount_token(&server, 1).await;

    mount_op(
        &server,
        "GET",
        "/api/openapi/v1/api-keys",
        json!({"success": true, "data": [api_key_json()]}),
    )
    .await;
    let keys = c.list_api_keys().send().await.unwrap().into_inner();
    let keys = keys.data.unwrap();
    assert_eq!(keys[0].key_id.as_deref(), Some("cvz_key_abc123"));
    assert_eq!(keys[0].expires_at, None);
    covered.insert("listApiKeys");

    Mock::given(method("POST"))
        .and(path("/api/openapi/v1/api-keys"))
        .and(header("authorization", bearer().as_str()))
        .and(body_json(
            json!({"name": "Produção", "expires_at": "2026-12-31T23:59:59Z"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "success": true,
            "data": {
                "key_id": "cvz_key_new",
                "key_secret": "cvz_secret_new",
                "name": "Produção",
                "created_at": "2023-11-07T05:31:56Z"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let created = c
        .create_api_key()
        .body(types::CreateApiKeyRequest {
            name: "Produção".into(),
            expires_at: Some("2026-12-31T23:59:59.000Z".parse().unwrap()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.into_inner().data.unwrap().key_secret.as_deref(),
        Some("cvz_secret_new")
    );
    covered.insert("createApiKey");

    mount_op(
        &server,
        "GET",
        "/api/openapi/v1/api-keys/cvz_key_abc123",
        json!({"success": true, "data": api_key_json()}),
    )
    .await;
    let key = c
        .get_api_key()
        .key_id("cvz_key_abc123")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(key.data.unwrap().scope.as_deref(), Some("global"));
    covered.insert("getApiKey");

    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/bots"))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("page", "2"))
        .and(query_param("limit", "5"))
        .and(query_param("team_id", TEAM_ID))
        .and(query_param("name", "Suporte"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"bots": [seed_response()["data"]], "pagination": pagination_json()}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let bots = c
        .list_bots()
        .page(2u64)
        .limit(5u64)
        .team_id(TEAM_ID.parse::<uuid::Uuid>().unwrap())
        .name("Suporte")
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .unwrap();
    assert_eq!(
        bots.bots.unwrap()[0].vector_id.as_deref(),
        Some("vs_abc123")
    );
    assert_eq!(bots.pagination.unwrap().total_pages, Some(8));
    covered.insert("listBots");

    mount_op(&server, "POST", "/api/openapi/v1/bots", seed_response()).await;
    let bot = c
        .create_bot()
        .body(
            types::CreateBotRequest::builder()
                .team_id(TEAM_ID.parse::<uuid::Uuid>().unwrap())
                .name("Bot de Suporte".to_string())
                .instructions("Seja útil.".to_string()),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bot.data.unwrap().name.as_deref(), Some("Bot de Suporte"));
    let sent: Value = requests_to(&server, "POST", "/api/openapi/v1/bots").await[0]
        .body_json()
        .unwrap();
    assert_eq!(
        sent,
        json!({"team_id": TEAM_ID, "name": "Bot de Suporte", "instructions": "Seja útil."})
    );
    covered.insert("createBot");

    mount_op(
        &server,
        "GET",
        &format!("/api/openapi/v1/bots/{BOT_ID}"),
        json!({
            "success": true,
            "data": {
                "id": BOT_ID,
                "name": "Bot de Suporte",
                "questions": [{"question": "Oi?", "answer": "Olá!"}],
                "actions": [{"id": TEAM_ID, "method": "GET", "headers": {"key": "X", "value": "1"}}],
                "documents": [{"document_id": DOCUMENT_ID, "bot_id": BOT_ID}]
            }
        }),
    )
    .await;
    let detail = c
        .get_bot()
        .id(bot_id())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .unwrap();
    assert_eq!(detail.questions.unwrap()[0].answer.as_deref(), Some("Olá!"));
    assert_eq!(
        detail.actions.unwrap()[0].headers,
        Some(json!({"key": "X", "value": "1"}))
    );
    assert_eq!(
        detail.documents.unwrap()[0].document_id.as_deref(),
        Some(DOCUMENT_ID)
    );
    covered.insert("getBot");

    mount_op(
        &server,
        "PATCH",
        &format!("/api/openapi/v1/bots/{BOT_ID}"),
        seed_response(),
    )
    .await;
    let updated = c
        .update_bot()
        .id(bot_id())
        .body(types::UpdateBotRequest::builder().name("Bot de Suporte".to_string()))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.data.unwrap().allow_human, Some(true));
    covered.insert("updateBot");

    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/documents"))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("type", "pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": [document_json()],
            "meta": pagination_json()
        })))
        .expect(1)
        .mount(&server)
        .await;
    let documents = c
        .list_documents()
        .type_("pdf")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(documents.data.unwrap()[0].size, Some(1_024_000));
    assert_eq!(documents.meta.unwrap().total, Some(150));
    covered.insert("listDocuments");

    mount_op(
        &server,
        "POST",
        "/api/openapi/v1/documents",
        json!({"success": true, "data": document_json()}),
    )
    .await;
    let team: uuid::Uuid = TEAM_ID.parse().unwrap();
    let uploaded = c
        .upload_document(UploadDocument::new(
            team,
            "contrato.pdf",
            b"%PDF-1.4".to_vec(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        uploaded.data.unwrap().openai_id.as_deref(),
        Some("file-abc123")
    );
    covered.insert("uploadDocument");

    mount_op(
        &server,
        "GET",
        &format!("/api/openapi/v1/documents/{DOCUMENT_ID}"),
        json!({"success": true, "data": document_json()}),
    )
    .await;
    let document = c
        .get_document()
        .id(document_id())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(document.data.unwrap().chars, Some(5000));
    covered.insert("getDocument");

    Mock::given(method("PATCH"))
        .and(path(format!("/api/openapi/v1/documents/{DOCUMENT_ID}")))
        .and(header("authorization", bearer().as_str()))
        .and(body_json(json!({"name": "contrato-2024.pdf"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": document_json(),
            "meta": {"changes": ["name"]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let renamed = c
        .update_document()
        .id(document_id())
        .body(types::UpdateDocumentRequest {
            name: Some("contrato-2024.pdf".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        renamed.meta.unwrap().changes,
        Some(vec!["name".to_string()])
    );
    covered.insert("updateDocument");

    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .and(header("authorization", bearer().as_str()))
        .and(query_param("paying", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": [{
                "id": TEAM_ID,
                "name": "Corporação ACME",
                "plan_name": "Pro",
                "paying": true,
                "banned": false
            }],
            "meta": pagination_json()
        })))
        .expect(1)
        .mount(&server)
        .await;
    let teams = c
        .list_teams()
        .paying(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(teams.data.unwrap()[0].plan_name.as_deref(), Some("Pro"));
    covered.insert("listTeams");

    mount_op(
        &server,
        "POST",
        "/api/openapi/v1/teams",
        json!({
            "success": true,
            "data": {
                "team": {"id": TEAM_ID, "name": "Corporação ACME"},
                "user": {"id": BOT_ID, "email": "ana@example.com"}
            }
        }),
    )
    .await;
    let created = c
        .create_team()
        .body(types::CreateTeamRequest {
            team: types::NewTeam {
                name: Some("Corporação ACME".into()),
                plan_name: Some("Pro".into()),
                quotas: None,
            },
            user: types::NewTeamUser {
                name: Some("Ana".into()),
                email: Some("ana@example.com".into()),
                phone: None,
            },
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .unwrap();
    assert_eq!(
        created.user.unwrap().email.as_deref(),
        Some("ana@example.com")
    );
    covered.insert("createTeam");

    server.verify().await;
    let covered: BTreeSet<String> = covered.into_iter().map(str::to_string).collect();
    assert_eq!(covered, spec_operations());
}

// ------------------------------------------------------------------ upload

#[tokio::test]
async fn upload_document_sends_the_documented_multipart_form() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_op(
        &server,
        "POST",
        "/api/openapi/v1/documents",
        json!({"success": true, "data": document_json()}),
    )
    .await;

    let team: uuid::Uuid = TEAM_ID.parse().unwrap();
    let mut input = UploadDocument::new(team, "contrato.pdf", b"%PDF-1.4 conteudo".to_vec());
    input.chars = Some(5000);
    assert!(!format!("{input:?}").contains("conteudo"));
    let response = client(&server).upload_document(input).await.unwrap();
    assert_eq!(response.status(), 200);
    let document = response.into_inner().data.unwrap();
    assert_eq!(document.name.as_deref(), Some("contrato.pdf"));
    assert_eq!(document.type_.as_deref(), Some("pdf"));

    let sent = requests_to(&server, "POST", "/api/openapi/v1/documents").await;
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert_eq!(sent.headers["authorization"], bearer().as_str());
    assert!(sent.headers.get("api-version").is_none());
    let content_type = sent.headers["content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    let body = String::from_utf8_lossy(&sent.body);
    let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
    let part = |name: &str| {
        parts
            .iter()
            .find(|p| p.contains(&format!("name=\"{name}\"")))
            .unwrap_or_else(|| panic!("no `{name}` part in {body}"))
            .to_string()
    };
    let file = part("file");
    assert!(file.contains("filename=\"contrato.pdf\""));
    assert!(file.contains("Content-Type: application/pdf"));
    assert!(file.contains("%PDF-1.4 conteudo"));
    assert!(part("team_id").contains(TEAM_ID));
    assert!(part("chars").contains("\r\n\r\n5000\r\n"));
}

#[tokio::test]
async fn upload_document_errors_decode_like_generated_operations() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/openapi/v1/documents"))
        .respond_with(
            ResponseTemplate::new(413)
                .set_body_json(json!({"success": false, "message": "Arquivo muito grande"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let team: uuid::Uuid = TEAM_ID.parse().unwrap();
    let err = client(&server)
        .upload_document(UploadDocument::new(team, "big.txt", vec![b'a'; 16]))
        .await
        .expect_err("413");
    let Error::ErrorResponse(response) = err else {
        panic!("expected ErrorResponse, got {err:?}");
    };
    assert_eq!(response.status(), 413);
    assert_eq!(response.message.as_deref(), Some("Arquivo muito grande"));
}

// ---------------------------------------------------------------- envelope

#[tokio::test]
async fn a_200_with_success_false_is_a_vendor_failure() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_op(
        &server,
        "GET",
        &format!("/api/openapi/v1/bots/{BOT_ID}"),
        json!({
            "success": false,
            "message": "Bot não encontrado",
            "error": {"code": "BOT_NOT_FOUND"}
        }),
    )
    .await;
    let response = client(&server).get_bot().id(bot_id()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.failure(),
        Some(VendorFailure {
            code: Some("BOT_NOT_FOUND".into()),
            message: Some("Bot não encontrado".into()),
        })
    );
}

#[test]
fn envelope_reads_the_inferred_failure_fields() {
    fn failure<T: Envelope + serde::de::DeserializeOwned>(body: Value) -> Option<VendorFailure> {
        serde_json::from_value::<T>(body).unwrap().failure()
    }
    // Success, stated or implied by the status.
    assert_eq!(failure::<types::BotResponse>(seed_response()), None);
    assert_eq!(failure::<types::BotResponse>(json!({"data": {}})), None);
    assert_eq!(
        failure::<types::TeamListResponse>(json!({"success": true, "data": [], "meta": {}})),
        None
    );
    // `error` as an object with a numeric code and its own message.
    assert_eq!(
        failure::<types::DocumentListResponse>(
            json!({"success": false, "error": {"code": 4001, "message": "limite inválido"}})
        ),
        Some(VendorFailure {
            code: Some("4001".into()),
            message: Some("limite inválido".into()),
        })
    );
    // `error` as a sentence is the message; as an identifier, the code.
    assert_eq!(
        failure::<types::TokenResponse>(json!({"success": false, "error": "Invalid credentials"})),
        Some(VendorFailure {
            code: None,
            message: Some("Invalid credentials".into()),
        })
    );
    assert_eq!(
        failure::<types::CreateTeamResponse>(
            json!({"success": false, "message": "E-mail já usado", "error": "EMAIL_TAKEN"})
        ),
        Some(VendorFailure {
            code: Some("EMAIL_TAKEN".into()),
            message: Some("E-mail já usado".into()),
        })
    );
    // A bare flag still fails.
    assert_eq!(
        failure::<types::ApiKeyListResponse>(json!({"success": false})),
        Some(VendorFailure::default())
    );
    // Every other envelope type reads the same fields.
    let flag = json!({"success": false, "message": "m"});
    let expected = Some(VendorFailure {
        code: None,
        message: Some("m".into()),
    });
    assert_eq!(failure::<types::ApiKeyResponse>(flag.clone()), expected);
    assert_eq!(
        failure::<types::CreatedApiKeyResponse>(flag.clone()),
        expected
    );
    assert_eq!(failure::<types::BotDetailResponse>(flag.clone()), expected);
    assert_eq!(failure::<types::BotListResponse>(flag.clone()), expected);
    assert_eq!(failure::<types::DocumentResponse>(flag.clone()), expected);
    assert_eq!(
        failure::<types::DocumentUpdateResponse>(flag.clone()),
        expected
    );
    // The error body is a failure unless it says otherwise.
    assert_eq!(
        failure::<types::ErrorResponse>(json!({})),
        Some(VendorFailure::default())
    );
    assert_eq!(
        failure::<types::ErrorResponse>(json!({"success": true})),
        None
    );
}

// ----------------------------------------------------------------- retries

#[tokio::test]
async fn a_retry_safe_operation_is_retried_after_503() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})),
        )
        .mount(&server)
        .await;

    let teams = client(&server).list_teams().send().await.expect("retried");
    assert_eq!(teams.status(), 200);
    assert_eq!(
        requests_to(&server, "GET", "/api/openapi/v1/teams")
            .await
            .len(),
        2
    );
    // The retry reused the cached token.
    assert_eq!(requests_to(&server, "POST", TOKEN_PATH).await.len(), 1);
}

#[tokio::test]
async fn a_post_create_is_not_retried_after_503() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/api/openapi/v1/bots"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"success": false, "message": "indisponível"})),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .create_bot()
        .body(
            types::CreateBotRequest::builder()
                .team_id(TEAM_ID.parse::<uuid::Uuid>().unwrap())
                .name("b".to_string())
                .instructions("i".to_string()),
        )
        .send()
        .await
        .expect_err("503");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        requests_to(&server, "POST", "/api/openapi/v1/bots")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_429_with_retry_after_zero_is_retried() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let at = format!("/api/openapi/v1/documents/{DOCUMENT_ID}");
    Mock::given(method("GET"))
        .and(path(at.as_str()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true, "data": document_json()})),
        )
        .mount(&server)
        .await;

    let document = client(&server)
        .get_document()
        .id(document_id())
        .send()
        .await
        .expect("retried");
    assert_eq!(
        document.into_inner().data.unwrap().name.as_deref(),
        Some("contrato.pdf")
    );
    assert_eq!(requests_to(&server, "GET", &at).await.len(), 2);
}

// -------------------------------------------------------- malformed bodies

#[tokio::test]
async fn html_and_truncated_bodies_are_errors_not_panics() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/openapi/v1/bots/{BOT_ID}")))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<html><body>Internal Server Error</body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/bots"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"success": true, "data": {"bots": [{"id": "#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/openapi/v1/documents"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("", "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": "yes", "data": 3})),
        )
        .mount(&server)
        .await;

    let c = client(&server);
    let err = c.get_bot().id(bot_id()).send().await.expect_err("html 500");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let err = c.list_bots().send().await.expect_err("truncated");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let team: uuid::Uuid = TEAM_ID.parse().unwrap();
    let err = c
        .upload_document(UploadDocument::new(team, "a.txt", b"a".to_vec()))
        .await
        .expect_err("empty body");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let err = c.list_teams().send().await.expect_err("wrong types");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
}

// -------------------------------------------------------------------- auth

#[tokio::test]
async fn the_token_is_fetched_once_for_sequential_calls() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})),
        )
        .expect(5)
        .mount(&server)
        .await;
    let c = client(&server);
    for _ in 0..4 {
        c.list_teams().send().await.unwrap();
    }
    // A clone shares the cache.
    c.clone().list_teams().send().await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn concurrent_calls_share_one_token_exchange() {
    let server = MockServer::start().await;
    token_request()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body(JWT, 86_400))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/api-keys"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})),
        )
        .expect(16)
        .mount(&server)
        .await;
    let c = client(&server);
    let calls = (0..16).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.list_api_keys().send().await.map(|r| r.status()) })
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().unwrap(), 200);
    }
    server.verify().await;
}

#[tokio::test]
async fn an_expired_token_is_exchanged_again() {
    let server = MockServer::start().await;
    token_mock("jwt-one", 1)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    token_mock("jwt-two", 86_400).mount(&server).await;
    for token in ["jwt-one", "jwt-two"] {
        Mock::given(method("GET"))
            .and(path("/api/openapi/v1/teams"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})),
            )
            .expect(1)
            .named(token)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    c.list_teams().send().await.unwrap();
    // Past the one-second lifetime without waiting for it. Only between
    // calls: with the clock paused during a call, tokio would jump to the
    // HTTP client's timeouts while the mock server answers.
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1_100)).await;
    tokio::time::resume();
    c.list_teams().send().await.unwrap();
    assert_eq!(requests_to(&server, "POST", TOKEN_PATH).await.len(), 2);
    server.verify().await;
}

#[tokio::test]
async fn invalidate_forces_a_new_exchange() {
    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .and(header("authorization", bearer().as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server);
    c.list_teams().send().await.unwrap();
    c.list_teams().send().await.unwrap();
    c.runtime().auth().invalidate();
    c.list_teams().send().await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn a_refused_exchange_is_an_auth_error_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "success": false,
            "message": format!("Credenciais inválidas para {KEY_SECRET}")
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/bots"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    let c = client(&server);
    // A generated call can carry the failure only as text.
    let err = c.list_bots().send().await.expect_err("refused");
    let shown = err.to_string();
    let debugged = format!("{err:?}");
    assert!(matches!(err, Error::Custom(_)), "{debugged}");
    assert!(shown.contains("converza"), "{shown}");
    assert!(shown.contains("401"), "{shown}");
    assert!(shown.contains("Credenciais inválidas"), "{shown}");
    for text in [&shown, &debugged] {
        assert!(!text.contains(KEY_SECRET), "{text}");
    }
    // `ready` exchanges ahead of a call and gives it typed.
    let auth_error = c.ready().await.expect_err("refused");
    assert_eq!(auth_error.vendor, "converza");
    assert_eq!(auth_error.status, Some(401));
    assert!(!auth_error.transient);
    assert!(!format!("{auth_error:?} {auth_error}").contains(KEY_SECRET));
    server.verify().await;
}

#[tokio::test]
async fn exchange_failures_keep_status_and_transience() {
    let server = MockServer::start().await;
    // A proxy's HTML page: not retried (500), but transient.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_raw("<html>oops</html>", "text/html"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // Then a 200 envelope with `success: false`.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false,
            "error": {"code": "KEY_REVOKED", "message": "Chave revogada"}
        })))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    // Then a success without a token.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {}})),
        )
        .mount(&server)
        .await;

    let c = client(&server);
    let e = c.ready().await.unwrap_err();
    assert_eq!((e.status, e.transient), (Some(500), true));

    let e = c.ready().await.unwrap_err();
    assert_eq!((e.status, e.transient), (Some(200), false));
    assert!(e.message.contains("KEY_REVOKED: Chave revogada"), "{e}");

    // A generated call that has to exchange on its own fails too.
    let result = c.list_documents().send().await;
    assert!(
        matches!(result, Err(Error::Custom(ref m)) if m.contains("no access_token")),
        "{result:?}"
    );
    assert!(
        requests_to(&server, "GET", "/api/openapi/v1/documents")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_unreachable_vendor_is_a_transient_auth_error() {
    // A port nothing listens on: bind, note the address, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = Client::with_config(
        auth(),
        &ClientConfig {
            base_url: Some(base_url),
            ..ClientConfig::default()
        },
    )
    .unwrap();
    let err = c.list_teams().send().await.expect_err("no server");
    assert!(!format!("{err} {err:?}").contains(KEY_SECRET));
    let e = c.ready().await.expect_err("no server");
    assert_eq!((e.status, e.transient), (None, true));
    // The transport failure itself is the source.
    let source = std::error::Error::source(&e).expect("a source");
    assert!(source.is::<reqwest::Error>(), "{source:?}");
    assert!(!format!("{e} {e:?}").contains(KEY_SECRET));
}

// ----------------------------------------------------------------- secrets

#[tokio::test]
async fn no_credential_shows_in_debug_output() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/openapi/v1/teams"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "message": "Token expirado"})),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.list_teams().send().await.expect_err("401");
    // With a token cached, nothing of the key pair or the token shows.
    for text in [
        format!("{c:?}"),
        format!("{:?}", c.runtime().auth()),
        format!("{err:?}"),
        err.to_string(),
    ] {
        for secret in [KEY_ID, KEY_SECRET, JWT] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(format!("{:?}", c.runtime().auth()).contains("token_cached: true"));
}

/// Callers spawn calls onto multi-threaded runtimes: a generated call (whose
/// `pre` hook may run the token exchange) and a hand-built upload are `Send`.
#[test]
fn calls_are_send() {
    fn send<T: Send>(_: &T) {}
    let c = Client::from_auth(auth()).unwrap();
    send(&c.list_bots().send());
    let team = TEAM_ID.parse().unwrap();
    send(&c.upload_document(UploadDocument::new(team, "a.txt", b"hi".to_vec())));
}
