//! Robustness of the generated update against hostile answers (wiremock
//! on loopback): this crate's real answers (`tests/answers.json`, which
//! the facade's robustness test also answers with) at statuses of every
//! class, and each of them mutated; the cases and checks are the runtime's
//! (`chatbots_runtime::testing`), the call and the envelope this crate's.
//! The facade's `tests/robustness.rs` covers the transport (cut-off
//! bodies, malformed heads, odd headers) for every vendor.

use chatbots_runtime::SecretString;
use chatbots_runtime::testing::{Outcome, config, survive};
use chatbots_streamskill::{Client, header_auth, types};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let auth = header_auth(&SecretString::from("ss-robust-token-4242")).expect("valid token");
    Client::with_config(auth, &config(&server.uri())).expect("valid config")
}

/// The update (`editAiChatbots`) with the seed request; no envelope.
async fn update(client: &Client) -> Outcome {
    let body: types::EditAiChatbotsObject =
        serde_json::from_value(json!({"language": "auto", "count": 50, "interval": 10}))
            .expect("the seed request");
    let sent = client
        .edit_ai_chatbots()
        .order_id(12345)
        .body(body)
        .send()
        .await;
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
