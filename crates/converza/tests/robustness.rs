//! Robustness of the generated update against hostile answers (wiremock
//! on loopback): this crate's real answers (`tests/answers.json`, which
//! the facade's robustness test also answers with) at statuses of every
//! class, and each of them mutated; the cases and checks are the runtime's
//! (`chatbots_runtime::testing`), the call and the envelope this crate's.
//! The facade's `tests/robustness.rs` covers the transport (cut-off
//! bodies, malformed heads, odd headers) for every vendor.

use chatbots_converza::{Auth, Client, types};
use chatbots_runtime::testing::{Outcome, config, survive};
use chatbots_runtime::{Envelope, SecretString};
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let auth = Auth::new(
        SecretString::from("cvz_key_robust"),
        SecretString::from("cvz_secret_robust-9f8e"),
    );
    Client::with_config(auth, &config(&server.uri())).expect("valid config")
}

/// The token exchange, answered with a token before anything else.
async fn token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/openapi/auth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"access_token": "eyJhbGciOiJIUzI1NiJ9.robust.sig", "token_type": "Bearer",
                     "expires_in": 86400}
        })))
        .with_priority(1)
        .mount(server)
        .await;
}

/// The update (`updateBot`) with the seed request; `success: false` is a
/// failure.
async fn update(client: &Client) -> Outcome {
    let body: types::UpdateBotRequest =
        serde_json::from_value(json!({"name": "Bot de Suporte", "temperature": 1}))
            .expect("the seed request");
    let id = uuid::Uuid::parse_str("770e8400-e29b-41d4-a716-446655440002").expect("a UUID");
    let sent = client.update_bot().id(id).body(body).send().await;
    Outcome::of(sent, |answer| answer.failure().is_some())
}

/// The update answered with this crate's real answers at every status and
/// with each of their variants (`chatbots_runtime::testing::survive`).
#[tokio::test]
async fn the_update_survives_hostile_answers() {
    let server = MockServer::start().await;
    let client = client(&server);
    let cases = survive(include_str!("answers.json"), async |status, body| {
        server.reset().await;
        token(&server).await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        update(&client).await
    })
    .await;
    eprintln!("{cases} answers");
}
