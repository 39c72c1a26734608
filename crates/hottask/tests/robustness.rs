//! Robustness of the generated update against hostile answers (wiremock
//! on loopback): this crate's real answers (`tests/answers.json`, which
//! the facade's robustness test also answers with) at statuses of every
//! class, and each of them mutated; the cases and checks are the runtime's
//! (`chatbots_runtime::testing`), the call and the envelope this crate's.
//! The facade's `tests/robustness.rs` covers the transport (cut-off
//! bodies, malformed heads, odd headers) for every vendor.

use chatbots_hottask::{Client, header_auth, types};
use chatbots_runtime::testing::{Outcome, config, survive};
use chatbots_runtime::{Envelope, SecretString};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let auth = header_auth(&SecretString::from("ht-robust-key-4242")).expect("valid key");
    Client::with_config(auth, &config(&server.uri())).expect("valid config")
}

/// The update (`editChatbot`) with the seed request; `Success: false` (or,
/// without it, a `Code` outside 2xx) is a failure.
async fn update(client: &Client) -> Outcome {
    let body: types::EditChatbotRequest = serde_json::from_value(
        json!({"serialNumber": "3254a9d0424c4806b9ea3d0763ccfxxx", "Name": "NewName"}),
    )
    .expect("the seed request");
    let sent = client.edit_chatbot().body(body).send().await;
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
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        update(&client).await
    })
    .await;
    eprintln!("{cases} answers");
}
