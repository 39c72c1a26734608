//! The scenario: every operation with a 2xx, plus documented failures.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::Contract;
use crate::seeded::Read;

const BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
const SESSION: &str = "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f";
const ITEM: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
const MISSING: &str = "00000000-0000-4000-8000-000000000000";
const DRAFT: &str = "e5b7a0f4-93c2-4d1e-8f6a-2c9d4b7e1a05";

fn bot(rest: &str) -> String {
    format!("/api/external/chatbot/{BOT}{rest}")
}

pub(crate) async fn exercise(contract: &mut Contract) {
    // Without credentials, then with a wrong key.
    let (status, _) = contract
        .json(Method::GET, "/api/external/chatbots", None)
        .await;
    assert_eq!(status, 401);
    contract.set_auth(
        "x-api-key",
        "15a23c21867f4f38b0b46f5e4adb1caf87a040b34eb58f68",
    );
    let (status, _) = contract.json(Method::GET, &bot(""), None).await;
    assert_eq!(status, 401);
    let key = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated")
        .key;
    contract.set_auth("x-api-key", key);

    // Chatbots.
    let (status, body) = contract
        .json(Method::GET, "/api/external/chatbots", None)
        .await;
    assert_eq!(status, 200);
    assert!(body["chatbots"].as_array().is_some_and(|b| b.len() >= 2));

    let (status, created) = contract
        .json(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({
                "name": "Contract Bot",
                "description": "Made by the contract test",
                "is_public": true,
                "personality_config": {"tone": "Casual", "style": "Brief"},
                "settings": {"model": "gpt-4o", "snippet": {"primaryColor": "#000000"}}
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(created["chatbot"]["slug"], "contract-bot");
    let (status, _) = contract
        .json(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({"name": "Again", "slug": "contract-bot"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = contract
        .json(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({"name": 5})),
        )
        .await;
    assert_eq!(status, 400);

    let update = json!({
        "name": "API Docs Demo Chatbot",
        "description": "A helpful support assistant",
        "personality_config": {"tone": "Professional", "style": "Friendly"},
        "settings": {
            "model": "gpt-4o-mini",
            "greeting": "Hello! How can I assist you today?",
            "isToolEnabled": true,
            "isRequestUserInfoEnabled": false
        },
        "is_public": false
    });
    let path = format!("/api/external/chatbots?id={BOT}");
    let (status, body) = contract
        .json(Method::PATCH, &path, Some(update.clone()))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Chatbot updated successfully");
    for (path, expected) in [
        ("/api/external/chatbots".to_string(), 400),
        ("/api/external/chatbots?id=not-a-uuid".to_string(), 400),
        (format!("/api/external/chatbots?id={MISSING}"), 404),
    ] {
        let (status, _) = contract
            .json(Method::PATCH, &path, Some(update.clone()))
            .await;
        assert_eq!(status, expected, "{path}");
    }
    let (status, body) = contract
        .json(
            Method::PATCH,
            &path,
            Some(json!({"settings": {"isToolEnabled": "yes"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["details"][0]["field"], "settings.isToolEnabled");
    let (status, _) = contract
        .check(
            contract
                .request(Method::PATCH, &path)
                .header("content-type", "text/plain")
                .body("name=x"),
        )
        .await;
    assert_eq!(status, 415);
    let (status, _) = contract
        .check(
            contract
                .request(Method::PATCH, &path)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(status, 400);

    let (status, body) = contract.json(Method::GET, &bot(""), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["chatbot"]["id"], BOT);
    let (status, _) = contract
        .json(
            Method::GET,
            &format!("/api/external/chatbot/{MISSING}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = contract
        .json(Method::GET, "/api/external/chatbot/garbage", None)
        .await;
    assert_eq!(status, 400);

    // Avatar (multipart).
    let form = Form::new().part(
        "file",
        Part::bytes(b"\x89PNG\r\n\x1a\nfake".to_vec())
            .file_name("avatar.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let (status, body) = contract
        .check(
            contract
                .request(Method::PATCH, &bot("/update-avatar"))
                .multipart(form),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        body["chatbot"]["settings"]["avatar"]
            .as_str()
            .is_some_and(|url| url.ends_with(".png"))
    );
    // No source refuses an empty file (issue 11).
    let form = Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(Vec::new()).file_name("a.png"),
    );
    let (status, _) = contract
        .check(
            contract
                .request(Method::PATCH, &bot("/update-avatar"))
                .multipart(form),
        )
        .await;
    assert_eq!(status, 200);
    // A part without a name is no form (RFC 7578): 400 in the error shape.
    let (status, _) = contract
        .check(
            contract
                .request(Method::PATCH, &bot("/update-avatar"))
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body("--XyZ\r\n[]--XyZ--\r\n"),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = contract
        .check(
            contract
                .request(Method::PATCH, &bot("/update-avatar"))
                .json(&json!({"file": "x"})),
        )
        .await;
    assert_eq!(status, 415);

    // Voice agent and chat widget.
    let (status, body) = contract
        .json(
            Method::PATCH,
            &bot("/voice-agent"),
            Some(json!({
                "agentId": "va_demo",
                "voice": "shimmer",
                "model": {"max_output_tokens": 512, "temperature": 0.6},
                "vad": {"prefix_padding_ms": 300, "silence_duration_ms": 500, "threshold": 0.5},
                "appearance": {"buttonRadius": 12, "buttonColor": "#4F46E5"},
                "text": {"startCall": "Call us"},
                "avatar": {"imageUrl": "https://example.com/voice.png"}
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["voice_widget_config"]["voice"], "shimmer");
    let (status, _) = contract
        .json(
            Method::PATCH,
            &bot("/voice-agent"),
            Some(json!({"model": {"max_output_tokens": 1.5}})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = contract
        .json(
            Method::PATCH,
            &bot("/chat-widget"),
            Some(json!({"language": "ko", "primaryColor": "#111111", "slogan": "Hi"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["chat_widget_config"]["language"], "ko");
    let (status, _) = contract
        .json(
            Method::PATCH,
            &format!("/api/external/chatbot/{MISSING}/chat-widget"),
            Some(json!({"language": "ko"})),
        )
        .await;
    assert_eq!(status, 404);

    // Knowledge base.
    let (status, body) = contract
        .json(Method::GET, &bot("/knowledge-base"), None)
        .await;
    assert_eq!(status, 200);
    assert!(body["data"].as_array().is_some_and(|d| d.len() == 2));
    let (status, body) = contract
        .json(
            Method::POST,
            &bot("/query-knowledge"),
            Some(json!({"query": "refund policy"})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["results"][0]["similarity"].as_f64() > Some(0.0));
    let (status, _) = contract
        .json(
            Method::POST,
            &bot("/query-knowledge"),
            Some(json!({"query": 42})),
        )
        .await;
    assert_eq!(status, 400);
    let delete = format!("{}?id={ITEM}", bot("/knowledge-base"));
    let (status, _) = contract.json(Method::DELETE, &delete, None).await;
    assert_eq!(status, 200);
    let (status, _) = contract.json(Method::DELETE, &delete, None).await;
    assert_eq!(status, 404);
    let (status, _) = contract
        .json(Method::DELETE, &bot("/knowledge-base"), None)
        .await;
    assert_eq!(status, 400);

    // Chat and conversations.
    let (status, body) = contract
        .json(
            Method::POST,
            &format!("{}?stream=false", bot("/chat")),
            Some(json!({
                "messages": [{"role": "user", "content": "When are you open?"}],
                "platform": "web",
                "sessionToken": "st_contract"
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["sessionToken"], "st_contract");
    let (status, _) = contract
        .json(
            Method::POST,
            &format!("{}?stream=maybe", bot("/chat")),
            Some(json!({"messages": [{"role": "user", "content": "hi"}]})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = contract
        .json(Method::POST, &bot("/chat"), Some(json!({"messages": []})))
        .await;
    assert_eq!(status, 200, "no message is answered with the greeting");
    let (status, _) = contract
        .json(
            Method::POST,
            &format!("/api/external/chatbot/{DRAFT}/chat"),
            Some(json!({"messages": [{"role": "user", "content": "hi"}]})),
        )
        .await;
    assert_eq!(status, 403);

    let (status, body) = contract
        .json(Method::GET, &bot("/conversations"), None)
        .await;
    assert_eq!(status, 200);
    // Two seeded, two started by the chats above.
    assert!(body["data"].as_array().is_some_and(|d| d.len() == 4));
    let (status, body) = contract
        .json(
            Method::GET,
            &bot(&format!("/conversations/{SESSION}")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["session"]["last_message"].is_string());
    let (status, _) = contract
        .json(
            Method::GET,
            &bot(&format!("/conversations/{MISSING}")),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = contract
        .json(
            Method::GET,
            &bot(&format!("/conversations/{SESSION}/messages")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["data"].as_array().is_some_and(|d| d.len() == 2));
    let (status, _) = contract
        .json(
            Method::GET,
            &bot(&format!("/conversations/{MISSING}/messages")),
            None,
        )
        .await;
    assert_eq!(status, 404);

    contract
        .injected_failures(Method::GET, "/api/external/chatbots", None)
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
    contract.set_auth("x-api-key", credentials.key);
    reads.push((Method::GET, "/api/external/chatbots".into(), None));
    reads.push((
        Method::GET,
        format!("/api/external/chatbot/{}", seeded[1]),
        None,
    ));
    (reads, "/api/external/chatbots")
}
