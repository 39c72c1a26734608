//! Behaviour of the OKChat client against a local mock server (loopback only).

use std::collections::BTreeSet;
use std::time::Duration;

use chatbots_okchat::{AVATAR_FORM_FIELD, Client, Error, header_auth, is_retry_safe, types};
use chatbots_runtime::{ClientConfig, RetryPolicy, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The API key of the vendor's examples.
const KEY: &str = "15a23c21867f4f38b0b46f5e4adb1caf87a040b34eb58f68";
/// The chatbot id of the vendor's examples.
const BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
const SESSION: &str = "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f";
const ITEM: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";

const CHATBOTS: &str = "/api/external/chatbots";

fn bot_path(rest: &str) -> String {
    format!("/api/external/chatbot/{BOT}{rest}")
}

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

fn client_with_key(server: &MockServer, key: &str) -> Client {
    let auth = header_auth(&SecretString::from(key)).expect("valid key");
    Client::with_config(auth, &config(server)).expect("valid config")
}

fn client(server: &MockServer) -> Client {
    client_with_key(server, KEY)
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

fn error_response(err: Error<types::ErrorResponse>) -> (u16, types::ErrorResponse) {
    match err {
        Error::ErrorResponse(value) => (value.status().as_u16(), value.into_inner()),
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// The Update Chatbot example request body of the docs (the docs wrap it in
/// a JSON string with a `//` comment: a documentation bug, see the spec).
fn seed_request() -> Value {
    json!({
        "name": "API Docs Demo Chatbot",
        "description": "A helpful support assistant",
        "personality_config": {"tone": "Professional", "style": "Friendly"},
        "settings": {
            "model": "gpt-4o-mini",
            "prompt": "You are a highly skilled customer support assistant for [company name]. Your goal is to provide accurate, polite, and concise answers to customer inquiries. If you do not know the answer, recommend the customer to contact human support or check the FAQ section. Ensure a positive tone in all responses",
            "snippet": {
                "logo": "https://example.com/logo.png",
                "name": "Support Assistant",
                "header": "Customer Support",
                "slogan": "How can I help you today?",
                "primaryColor": "#4F46E5",
                "secondaryColor": "#10B981"
            },
            "greeting": "Hello! How can I assist you today?",
            "isToolEnabled": true,
            "isRequestUserInfoEnabled": false
        },
        "is_public": false
    })
}

/// The Update Chatbot example response of the docs.
fn seed_response() -> Value {
    json!({
        "chatbot": {
            "active": true,
            "created_at": "2025-01-22T04:30:45.790337+00:00",
            "description": "A helpful support assistant",
            "docs_metadata": null,
            "enabled_plugins": null,
            "id": "3317853e-0af2-427d-a56f-351a9587f48f",
            "is_public": false,
            "managers": null,
            "migrated_data": false,
            "name": "API Docs Demo Chatbot",
            "openai_api_key": null,
            "organization_id": "123042b2-86e2-4184-a86e-95423d728815",
            "personality_config": {"style": "Friendly", "tone": "Professional"},
            "settings": {
                "greeting": "Hello! How can I assist you today?",
                "isRequestUserInfoEnabled": false,
                "isToolEnabled": true,
                "model": "gpt-4o-mini",
                "prompt": "You are a highly skilled customer support assistant for [company name]. Your goal is to provide accurate, polite, and concise answers to customer inquiries. If you do not know the answer, recommend the customer to contact human support or check the FAQ section. Ensure a positive tone in all responses",
                "snippet": {
                    "header": "Customer Support",
                    "logo": "https://example.com/logo.png",
                    "name": "Support Assistant",
                    "primaryColor": "#4F46E5",
                    "secondaryColor": "#10B981",
                    "slogan": "How can I help you today?"
                }
            },
            "slug": "api-docs-demo-chatbot",
            "suggestions": null,
            "updated_at": "2025-01-22T04:30:45.790337+00:00",
            "v1_chatbot_id": null,
            "version_id": null,
            "voice_widget_config": null
        },
        "message": "Chatbot updated successfully"
    })
}

// ------------------------------------------------------------------ seed

#[tokio::test]
async fn seed_request_is_sent_as_documented_and_response_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(CHATBOTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(seed_response()))
        .expect(1)
        .mount(&server)
        .await;

    let body: types::UpdateChatbotRequest =
        serde_json::from_value(seed_request()).expect("the seed body fits the request type");
    let response = client(&server)
        .update_chatbot()
        .id(BOT)
        .body(body)
        .send()
        .await
        .expect("the seed response decodes");

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(request.url.path(), CHATBOTS);
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    assert_eq!(query, vec![("id".to_string(), BOT.to_string())]);
    assert_eq!(request.headers.get("x-api-key").unwrap(), KEY);
    assert_eq!(request.headers.get_all("x-api-key").iter().count(), 1);
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(!request.headers.contains_key("api-version"));
    assert!(!request.headers.contains_key("authorization"));
    let sent_body: Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(sent_body, seed_request());

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.message.as_deref(),
        Some("Chatbot updated successfully")
    );
    let bot = response.chatbot.as_ref().expect("chatbot");
    assert_eq!(bot.id.as_deref(), Some(BOT));
    assert_eq!(bot.slug.as_deref(), Some("api-docs-demo-chatbot"));
    assert_eq!(bot.active, Some(true));
    assert_eq!(bot.is_public, Some(false));
    assert_eq!(
        bot.organization_id.as_deref(),
        Some("123042b2-86e2-4184-a86e-95423d728815")
    );
    assert_eq!(bot.openai_api_key, None);
    let settings = bot.settings.as_ref().expect("settings");
    assert_eq!(settings.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(settings.is_tool_enabled, Some(true));
    assert_eq!(settings.is_request_user_info_enabled, Some(false));
    let snippet = settings.snippet.as_ref().expect("snippet");
    assert_eq!(snippet.primary_color.as_deref(), Some("#4F46E5"));
    assert_eq!(
        bot.personality_config.as_ref().unwrap().tone.as_deref(),
        Some("Professional")
    );
}

#[tokio::test]
async fn error_response_decodes_into_error_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(bot_path("")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": "Not Found",
            "message": "Chatbot not found",
            "requestId": "abc"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .get_chatbot()
        .chatbot_id(BOT)
        .send()
        .await
        .expect_err("404");
    let (status, body) = error_response(err);
    assert_eq!(status, 404);
    assert_eq!(body.error.as_deref(), Some("Not Found"));
    assert_eq!(body.message.as_deref(), Some("Chatbot not found"));
}

// ------------------------------------------------------------------ every operation

/// Every operationId of `specs/okchat.yaml`.
fn spec_operation_ids() -> BTreeSet<String> {
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/okchat.yaml");
    std::fs::read_to_string(spec)
        .expect("spec readable")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("operationId:"))
        .map(|id| id.trim().to_string())
        .collect()
}

/// One operation of the table: operationId, method, path, required query
/// parameter, 200 body.
type Row = (&'static str, &'static str, String, Option<Query>, Value);
type Query = (&'static str, &'static str);

#[tokio::test]
async fn every_operation_reaches_its_endpoint_and_decodes() {
    let server = MockServer::start().await;
    let table: Vec<Row> = vec![
        (
            "listChatbots",
            "GET",
            CHATBOTS.into(),
            None,
            json!({"chatbots": [{"id": BOT, "name": "Bot A"}]}),
        ),
        (
            "createChatbot",
            "POST",
            CHATBOTS.into(),
            None,
            json!({"chatbot": {"id": BOT, "slug": "new-bot"}}),
        ),
        (
            "updateChatbot",
            "PATCH",
            CHATBOTS.into(),
            Some(("id", BOT)),
            json!({"chatbot": {"name": "Renamed"}, "message": "Chatbot updated successfully"}),
        ),
        (
            "getChatbot",
            "GET",
            bot_path(""),
            None,
            json!({"chatbot": {"id": BOT, "v1_chatbot_id": null}}),
        ),
        (
            "updateChatbotAvatar",
            "PATCH",
            bot_path("/update-avatar"),
            None,
            json!({"chatbot": {"settings": {"avatar": "https://storage.example.test/a.png"}}}),
        ),
        (
            "updateVoiceAgent",
            "PATCH",
            bot_path("/voice-agent"),
            None,
            json!({
                "message": "Voice widget config updated successfully",
                "voice_widget_config": {"voice": "shimmer", "vad": {"threshold": 0.5}}
            }),
        ),
        (
            "updateChatWidget",
            "PATCH",
            bot_path("/chat-widget"),
            None,
            json!({
                "chat_widget_config": {"language": "auto"},
                "message": "Chat widget config updated successfully"
            }),
        ),
        (
            "getKnowledgeBase",
            "GET",
            bot_path("/knowledge-base"),
            None,
            json!({"items": [{"id": ITEM}]}),
        ),
        (
            "deleteKnowledgeBaseItem",
            "DELETE",
            bot_path("/knowledge-base"),
            Some(("id", ITEM)),
            json!({"success": true}),
        ),
        (
            "queryKnowledge",
            "POST",
            bot_path("/query-knowledge"),
            None,
            json!({"results": [{"content": "Opening hours: 9-5", "similarity": 0.87}]}),
        ),
        (
            "chat",
            "POST",
            bot_path("/chat"),
            Some(("stream", "false")),
            json!({"answer": "Hello!"}),
        ),
        (
            "listConversations",
            "GET",
            bot_path("/conversations"),
            None,
            json!({"data": [{
                "id": SESSION,
                "last_message": {"content": "hi", "id": "m1", "sender_type": "user"},
                "state": "in_progress",
                "metadata": {"anonymous": true}
            }]}),
        ),
        (
            "getConversation",
            "GET",
            bot_path(&format!("/conversations/{SESSION}")),
            None,
            json!({"session": {"id": SESSION, "last_message": "hi", "platform": "navertalktalk"}}),
        ),
        (
            "listMessages",
            "GET",
            bot_path(&format!("/conversations/{SESSION}/messages")),
            None,
            json!({"data": [{
                "sender_type": "bot",
                "attachments": null,
                "model": null,
                "tokens_used": 12,
                "content": "Hello!"
            }]}),
        ),
    ];

    let covered: BTreeSet<String> = table.iter().map(|row| row.0.to_string()).collect();
    assert_eq!(covered, spec_operation_ids(), "the table covers the spec");

    for (id, verb, route, query, body) in &table {
        let mut mock = Mock::given(method(*verb))
            .and(path(route.as_str()))
            .and(header("x-api-key", KEY));
        if let Some((name, value)) = query {
            mock = mock.and(query_param(*name, *value));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .named(*id)
            .mount(&server)
            .await;
    }

    let c = client(&server);

    let r = c.list_chatbots().send().await.expect("listChatbots");
    assert_eq!(r.chatbots[0].name.as_deref(), Some("Bot A"));

    let r = c
        .create_chatbot()
        .body(types::CreateChatbotRequest {
            name: Some("New bot".into()),
            slug: Some("new-bot".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("createChatbot");
    assert_eq!(r.chatbot.as_ref().unwrap().slug.as_deref(), Some("new-bot"));

    let r = c
        .update_chatbot()
        .id(BOT)
        .body(types::UpdateChatbotRequest {
            name: Some("Renamed".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("updateChatbot");
    assert_eq!(r.chatbot.as_ref().unwrap().name.as_deref(), Some("Renamed"));

    let r = c
        .get_chatbot()
        .chatbot_id(BOT)
        .send()
        .await
        .expect("getChatbot");
    assert_eq!(r.chatbot.as_ref().unwrap().id.as_deref(), Some(BOT));

    let r = c
        .update_chatbot_avatar(BOT, "a.png", b"\x89PNG".to_vec(), "image/png")
        .await
        .expect("updateChatbotAvatar");
    let avatar = r.chatbot.as_ref().unwrap().settings.as_ref().unwrap();
    assert_eq!(
        avatar.avatar.as_deref(),
        Some("https://storage.example.test/a.png")
    );

    let r = c
        .update_voice_agent()
        .chatbot_id(BOT)
        .body(types::UpdateVoiceAgentRequest {
            voice: Some("shimmer".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("updateVoiceAgent");
    let voice = r.voice_widget_config.as_ref().unwrap();
    assert_eq!(voice.voice.as_deref(), Some("shimmer"));
    assert_eq!(
        voice.vad.as_ref().unwrap().threshold,
        Some(json!(0.5)),
        "untyped vad values decode"
    );

    let r = c
        .update_chat_widget()
        .chatbot_id(BOT)
        .body(types::UpdateChatWidgetRequest {
            language: Some("auto".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("updateChatWidget");
    assert_eq!(
        r.chat_widget_config.as_ref().unwrap().language.as_deref(),
        Some("auto")
    );

    let r = c
        .get_knowledge_base()
        .chatbot_id(BOT)
        .send()
        .await
        .expect("getKnowledgeBase");
    assert_eq!(r["items"][0]["id"], ITEM);

    let r = c
        .delete_knowledge_base_item()
        .chatbot_id(BOT)
        .id(ITEM)
        .send()
        .await
        .expect("deleteKnowledgeBaseItem");
    assert_eq!(r["success"], true);

    let r = c
        .query_knowledge()
        .chatbot_id(BOT)
        .body(types::QueryKnowledgeRequest {
            query: Some("opening hours".into()),
        })
        .send()
        .await
        .expect("queryKnowledge");
    assert_eq!(r.results[0].similarity, Some(0.87));

    let r = c
        .chat()
        .chatbot_id(BOT)
        .stream(types::ChatStream::False)
        .body(types::ChatRequest {
            messages: vec![types::ChatMessage {
                content: Some("Hi".into()),
                role: Some("user".into()),
            }],
            platform: Some("web".into()),
            session_token: Some("token-1".into()),
        })
        .send()
        .await
        .expect("chat");
    assert_eq!(r["answer"], "Hello!");

    let r = c
        .list_conversations()
        .chatbot_id(BOT)
        .send()
        .await
        .expect("listConversations");
    assert_eq!(r.data[0].state.as_deref(), Some("in_progress"));
    assert_eq!(
        r.data[0].last_message,
        Some(json!({"content": "hi", "id": "m1", "sender_type": "user"}))
    );

    let r = c
        .get_conversation()
        .chatbot_id(BOT)
        .session_id(SESSION)
        .send()
        .await
        .expect("getConversation");
    let session = r.session.as_ref().unwrap();
    assert_eq!(session.last_message, Some(json!("hi")));
    assert_eq!(session.platform.as_deref(), Some("navertalktalk"));

    let r = c
        .list_messages()
        .chatbot_id(BOT)
        .session_id(SESSION)
        .send()
        .await
        .expect("listMessages");
    assert_eq!(r.data[0].tokens_used, Some(12));
    assert_eq!(r.data[0].attachments, None);

    // Each mock expects exactly one request; nothing carried `api-version`.
    server.verify().await;
    let sent = requests(&server).await;
    assert_eq!(sent.len(), table.len());
    assert!(sent.iter().all(|r| !r.headers.contains_key("api-version")));
}

#[tokio::test]
async fn json_bodies_of_operations_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&server)
        .await;

    client(&server)
        .query_knowledge()
        .chatbot_id(BOT)
        .body(types::QueryKnowledgeRequest {
            query: Some("refund policy".into()),
        })
        .send()
        .await
        .expect("queryKnowledge");
    client(&server)
        .chat()
        .chatbot_id(BOT)
        .body(types::ChatRequest {
            messages: vec![types::ChatMessage {
                content: Some("Hi".into()),
                role: Some("user".into()),
            }],
            platform: Some("web".into()),
            session_token: Some("token-1".into()),
        })
        .send()
        .await
        .expect("chat");

    let sent = requests(&server).await;
    assert_eq!(
        sent[0].body_json::<Value>().unwrap(),
        json!({"query": "refund policy"})
    );
    assert_eq!(
        sent[1].body_json::<Value>().unwrap(),
        json!({
            "messages": [{"content": "Hi", "role": "user"}],
            "platform": "web",
            "sessionToken": "token-1"
        })
    );
    assert_eq!(sent[1].url.query(), None, "stream is optional");
}

// ------------------------------------------------------------------ avatar (hand-written)

#[tokio::test]
async fn avatar_upload_is_multipart_with_auth() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(bot_path("/update-avatar")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "chatbot": {"id": BOT, "settings": {"avatar": "https://storage.example.test/avatar.png"}}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let image = b"\x89PNG\r\n\x1a\n-image-bytes".to_vec();
    let response = client(&server)
        .update_chatbot_avatar(BOT, "avatar.png", image.clone(), "image/png")
        .await
        .expect("avatar");
    assert_eq!(
        response
            .chatbot
            .as_ref()
            .unwrap()
            .settings
            .as_ref()
            .unwrap()
            .avatar
            .as_deref(),
        Some("https://storage.example.test/avatar.png")
    );

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.headers.get("x-api-key").unwrap(), KEY);
    assert!(!request.headers.contains_key("api-version"));
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    let expected = [
        format!("--{boundary}\r\n").into_bytes(),
        format!(
            "Content-Disposition: form-data; name=\"{AVATAR_FORM_FIELD}\"; filename=\"avatar.png\"\r\n"
        )
        .into_bytes(),
        b"Content-Type: image/png\r\n\r\n".to_vec(),
        image,
        format!("\r\n--{boundary}--\r\n").into_bytes(),
    ]
    .concat();
    assert_eq!(request.body, expected);
    assert_eq!(AVATAR_FORM_FIELD, "file");
}

#[tokio::test]
async fn avatar_upload_is_retried_with_the_same_body() {
    assert!(is_retry_safe("update_chatbot_avatar"));
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"chatbot": {"id": BOT}})))
        .mount(&server)
        .await;

    let response = client(&server)
        .update_chatbot_avatar(BOT, "a.jpg", vec![1, 2, 3], "image/jpeg")
        .await
        .expect("retried");
    assert_eq!(response.chatbot.as_ref().unwrap().id.as_deref(), Some(BOT));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
    assert!(!sent[1].body.is_empty());
}

#[tokio::test]
async fn avatar_errors() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(413).set_body_json(json!({"error": "File too large"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);

    let (status, body) = error_response(
        c.update_chatbot_avatar(BOT, "big.png", vec![0; 64], "image/png")
            .await
            .expect_err("413"),
    );
    assert_eq!(status, 413);
    assert_eq!(body.error.as_deref(), Some("File too large"));

    // Bad input fails before anything is sent.
    let err = c
        .update_chatbot_avatar(BOT, "a.png", vec![1], "not a mime type")
        .await
        .expect_err("bad mime");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = c
        .update_chatbot_avatar("not-a-uuid", "a.png", vec![1], "image/png")
        .await
        .expect_err("bad id");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert_eq!(requests(&server).await.len(), 1);
}

// ------------------------------------------------------------------ retries

#[tokio::test]
async fn retry_safe_operation_is_retried_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"chatbot": {"id": BOT}})))
        .mount(&server)
        .await;

    let response = client(&server)
        .get_chatbot()
        .chatbot_id(BOT)
        .send()
        .await
        .expect("second attempt succeeds");
    assert_eq!(response.chatbot.as_ref().unwrap().id.as_deref(), Some(BOT));
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn create_is_not_retried_after_503() {
    assert!(!is_retry_safe("create_chatbot"));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"message": "Service Unavailable"})),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .create_chatbot()
        .body(types::CreateChatbotRequest {
            name: Some("Once".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect_err("503");
    let (status, body) = error_response(err);
    assert_eq!(status, 503);
    assert_eq!(body.message.as_deref(), Some("Service Unavailable"));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn idempotent_post_is_retried() {
    // queryKnowledge is a POST marked `x-chatbots-idempotent: true`; chat is not.
    assert!(is_retry_safe("query_knowledge"));
    assert!(!is_retry_safe("chat"));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&server)
        .await;

    client(&server)
        .query_knowledge()
        .chatbot_id(BOT)
        .body(types::QueryKnowledgeRequest {
            query: Some("q".into()),
        })
        .send()
        .await
        .expect("retried");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
}

#[tokio::test]
async fn rate_limit_with_retry_after_zero_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"chatbots": []})))
        .mount(&server)
        .await;

    let response = client(&server)
        .list_chatbots()
        .send()
        .await
        .expect("retried after 429");
    assert!(response.chatbots.is_empty());
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string(""))
        .mount(&server)
        .await;

    let result = client(&server).list_chatbots().send().await;
    assert!(result.is_err());
    assert_eq!(
        requests(&server).await.len(),
        RetryPolicy::default().max_attempts as usize
    );
}

// ------------------------------------------------------------------ malformed bodies

#[tokio::test]
async fn html_error_page_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body><h1>500 Internal Server Error</h1></body></html>"),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .get_chatbot()
        .chatbot_id(BOT)
        .send()
        .await
        .expect_err("HTML 500");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    assert_eq!(requests(&server).await.len(), 1, "500 is not retried");
}

#[tokio::test]
async fn truncated_json_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"chatbots": [{"id": "3317853e"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>ok</html>"))
        .mount(&server)
        .await;

    let c = client(&server);
    let err = c.list_chatbots().send().await.expect_err("truncated JSON");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let err = c
        .chat()
        .chatbot_id(BOT)
        .body(types::ChatRequest::default())
        .send()
        .await
        .expect_err("HTML 200 for an untyped JSON response");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let err = c
        .update_chatbot_avatar(BOT, "a.png", vec![1], "image/png")
        .await
        .expect_err("HTML 200 for the avatar");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
}

// ------------------------------------------------------------------ secrets

#[tokio::test]
async fn secret_never_appears_in_debug_or_errors() {
    const SECRET: &str = "okchat-very-secret-key-0123456789abcdef";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "Invalid API key"})))
        .mount(&server)
        .await;

    let c = client_with_key(&server, SECRET);
    for text in [format!("{c:?}"), format!("{:?}", c.runtime())] {
        assert!(!text.contains(SECRET), "{text}");
    }

    let err = c.list_chatbots().send().await.expect_err("401");
    for text in [format!("{err:?}"), format!("{err}"), format!("{err:#}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let err = c
        .update_chatbot_avatar(BOT, "a.png", vec![1], "image/png")
        .await
        .expect_err("PATCH answered 404 by the mock");
    for text in [format!("{err:?}"), format!("{err}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    assert_eq!(
        requests(&server).await[0].headers.get("x-api-key").unwrap(),
        SECRET,
        "the secret is still sent"
    );

    // A transport error (nothing listens on the port) does not leak it either.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let auth = header_auth(&SecretString::from(SECRET)).unwrap();
    let offline = Client::with_config(
        auth,
        &ClientConfig {
            base_url: Some(format!("http://{closed}")),
            retry: RetryPolicy::disabled(),
            ..Default::default()
        },
    )
    .unwrap();
    let err = offline.list_chatbots().send().await.expect_err("refused");
    assert!(matches!(err, Error::CommunicationError(_)), "{err:?}");
    for text in [format!("{err:?}"), format!("{err:#}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
}

#[test]
fn unusable_keys_are_refused_without_echoing_them() {
    let err = header_auth(&SecretString::from("")).expect_err("empty key");
    assert_eq!(err.vendor, Some("okchat"));
    let err = header_auth(&SecretString::from("line\nbreak-secret")).expect_err("newline");
    assert!(!err.to_string().contains("break-secret"));
    assert!(!format!("{err:?}").contains("break-secret"));
}
