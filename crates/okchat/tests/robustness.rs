//! Robustness of the generated update against hostile answers (wiremock
//! on loopback): this crate's real answers (`tests/answers.json`, which
//! the facade's robustness test also answers with) at statuses of every
//! class, and each of them mutated; the cases and checks are the runtime's
//! (`chatbots_runtime::testing`), the call and the envelope this crate's.
//! The facade's `tests/robustness.rs` covers the transport (cut-off
//! bodies, malformed heads, odd headers) for every vendor.

use chatbots_okchat::{Client, header_auth, types};
use chatbots_runtime::SecretString;
use chatbots_runtime::testing::{Outcome, config, survive};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let auth = header_auth(&SecretString::from("okc-robust-key-4242")).expect("valid key");
    Client::with_config(auth, &config(&server.uri())).expect("valid config")
}

/// The update (`updateChatbot`) with the seed request; no envelope.
async fn update(client: &Client) -> Outcome {
    let body: types::UpdateChatbotRequest = serde_json::from_value(json!({
        "name": "API Docs Demo Chatbot",
        "settings": {"model": "gpt-4o-mini", "greeting": "Hello!"}
    }))
    .expect("the seed request");
    let id = uuid::Uuid::parse_str("3317853e-0af2-427d-a56f-351a9587f48f").expect("a UUID");
    let sent = client.update_chatbot().id(id).body(body).send().await;
    Outcome::of(sent, |_| false)
}

/// The update answered with this crate's real answers at every status and
/// with each of their variants (`chatbots_runtime::testing::survive`).
#[tokio::test]
async fn the_update_survives_hostile_answers() {
    let server = MockServer::start().await;
    let client = client(&server);
    let cases = survive(include_str!("answers.json"), async |status, body| {
        server.reset().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        update(&client).await
    })
    .await;
    eprintln!("{cases} answers");
}
