//! Behaviour of the OKChat stand-in, over raw HTTP on loopback.

use chatbots_sandbox::{Fault, FaultRule, Sandbox, Vendor};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
const SHOP: &str = "7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37";
const DRAFT: &str = "e5b7a0f4-93c2-4d1e-8f6a-2c9d4b7e1a05";
const SESSION: &str = "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f";
const EMPTY_SESSION: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const SHOP_SESSION: &str = "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a";
const ITEM: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
const MISSING: &str = "00000000-0000-4000-8000-000000000000";

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        Api::with(Sandbox::start().await.expect("sandbox starts"))
    }

    fn with(sandbox: Sandbox) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    fn key(&self) -> &'static str {
        self.sandbox
            .credentials(Vendor::OkChat)
            .expect("emulated")
            .key
    }

    /// A request without credentials.
    fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.sandbox.base_url(Vendor::OkChat));
        self.http.request(method, url)
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).header("x-api-key", self.key())
    }

    async fn send(&self, builder: RequestBuilder) -> (u16, Value) {
        let response = builder.send().await.expect("sandbox answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{status}: body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, body)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        self.send(builder).await
    }

    async fn chatbot(&self, id: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/api/external/chatbot/{id}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["chatbot"].clone()
    }
}

fn update_path(id: &str) -> String {
    format!("/api/external/chatbots?id={id}")
}

fn bot(rest: &str) -> String {
    format!("/api/external/chatbot/{BOT}{rest}")
}

/// The vendor's error shape: `error` (the HTTP reason) and `message`.
fn assert_error(body: &Value, error: &str, message_part: &str) {
    assert_eq!(body["error"], error, "{body}");
    let message = body["message"].as_str().expect("message is text");
    assert!(
        message.contains(message_part),
        "{message:?} should mention {message_part:?}"
    );
}

fn image(bytes: &[u8], name: &str, mime: &str) -> Part {
    Part::bytes(bytes.to_vec())
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime")
}

// ------------------------------------------------------------------ fixtures

#[tokio::test]
async fn fixtures_are_listed_with_the_vendors_example_bot() {
    let api = Api::start().await;
    let (status, body) = api.call(Method::GET, "/api/external/chatbots", None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["chatbots"]
        .as_array()
        .expect("chatbots")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(ids, [BOT, SHOP, DRAFT]);
    let demo = api.chatbot(BOT).await;
    assert_eq!(demo["slug"], "api-docs-demo-chatbot");
    assert_eq!(demo["settings"]["snippet"]["primaryColor"], "#4F46E5");
    assert_eq!(
        demo["organization_id"],
        "123042b2-86e2-4184-a86e-95423d728815"
    );
    assert_eq!(demo["openai_api_key"], Value::Null);
    let shop = api.chatbot(SHOP).await;
    assert_eq!(shop["voice_widget_config"]["voice"], "shimmer");
    assert!(shop["settings"]["avatar"].is_string());
    assert_eq!(api.chatbot(DRAFT).await["active"], false);
}

#[tokio::test]
async fn responses_carry_the_documented_cors_header() {
    let api = Api::start().await;
    let response = api
        .request(Method::GET, "/api/external/chatbots")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn each_sandbox_has_its_own_state() {
    let one = Api::start().await;
    let two = Api::start().await;
    let (status, _) = one
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({"name": "Only here"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one.chatbot(BOT).await["name"], "Only here");
    assert_eq!(two.chatbot(BOT).await["name"], "API Docs Demo Chatbot");
}

// ------------------------------------------------------------------ update (seed)

#[tokio::test]
async fn update_changes_what_get_returns_and_merges_settings() {
    let api = Api::start().await;
    let before = api.chatbot(BOT).await;
    let (status, body) = api
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({
                "name": "Renamed Bot",
                "is_public": true,
                "personality_config": {"tone": "Casual"},
                "settings": {"model": "gpt-4o", "snippet": {"slogan": "Ask away"}}
            })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Chatbot updated successfully");
    assert_eq!(body["chatbot"]["name"], "Renamed Bot");

    let after = api.chatbot(BOT).await;
    assert_eq!(after["name"], "Renamed Bot");
    assert_eq!(after["is_public"], true);
    assert_eq!(after["description"], before["description"]);
    assert_eq!(after["personality_config"]["tone"], "Casual");
    assert_eq!(after["personality_config"]["style"], "Friendly");
    assert_eq!(after["settings"]["model"], "gpt-4o");
    assert_eq!(after["settings"]["prompt"], before["settings"]["prompt"]);
    assert_eq!(after["settings"]["isToolEnabled"], true);
    assert_eq!(after["settings"]["snippet"]["slogan"], "Ask away");
    assert_eq!(after["settings"]["snippet"]["primaryColor"], "#4F46E5");
    assert_eq!(after["slug"], "api-docs-demo-chatbot");
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_eq!(after["created_at"], before["created_at"]);
    // The others are untouched.
    assert_eq!(api.chatbot(SHOP).await["settings"]["model"], "gpt-4o");
    assert_eq!(api.chatbot(SHOP).await["name"], "다솜 쇼핑 도우미");
}

#[tokio::test]
async fn update_ignores_undocumented_fields() {
    let api = Api::start().await;
    let (status, body) = api
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({"slug": "hijacked", "id": MISSING, "active": false, "settings": {"x": 1}})),
        )
        .await;
    assert_eq!(status, 200);
    let after = api.chatbot(BOT).await;
    assert_eq!(body["chatbot"]["slug"], "api-docs-demo-chatbot");
    assert_eq!(after["id"], BOT);
    assert_eq!(after["active"], true);
    assert!(after["settings"].get("x").is_none());
}

#[tokio::test]
async fn update_needs_a_valid_known_id() {
    let api = Api::start().await;
    let body = Some(json!({"name": "x"}));
    let (status, error) = api
        .call(Method::PATCH, "/api/external/chatbots", body.clone())
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "`id`");
    let (status, error) = api
        .call(Method::PATCH, "/api/external/chatbots?id=", body.clone())
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "`id`");
    let (status, error) = api
        .call(Method::PATCH, &update_path("1234"), body.clone())
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "id must be a UUID");
    let (status, error) = api
        .call(Method::PATCH, &update_path(MISSING), body.clone())
        .await;
    assert_eq!(status, 404);
    assert_error(&error, "Not Found", "Chatbot not found");
    // Upper case and percent-encoding are the same id.
    let upper = BOT.to_ascii_uppercase().replace('-', "%2D");
    let (status, _) = api.call(Method::PATCH, &update_path(&upper), body).await;
    assert_eq!(status, 200);
    assert_eq!(api.chatbot(BOT).await["name"], "x");
}

// ------------------------------------------------------------------ validation

#[tokio::test]
async fn wrong_types_are_refused_naming_the_field() {
    let api = Api::start().await;
    for (body, field) in [
        (json!({"is_public": "no"}), "is_public"),
        (json!({"name": 7}), "name"),
        (
            json!({"settings": {"isToolEnabled": "yes"}}),
            "settings.isToolEnabled",
        ),
        (
            json!({"settings": {"snippet": {"primaryColor": 5}}}),
            "settings.snippet.primaryColor",
        ),
        (
            json!({"personality_config": "formal"}),
            "personality_config",
        ),
        (json!({"settings": null}), "settings"),
        (json!(["not", "an", "object"]), "(body)"),
    ] {
        let (status, error) = api
            .call(Method::PATCH, &update_path(BOT), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_error(&error, "Bad Request", field);
        assert_eq!(error["details"][0]["field"], field, "{error}");
    }
    // Nothing was applied.
    let after = api.chatbot(BOT).await;
    assert_eq!(after["is_public"], false);
    assert_eq!(after["settings"]["isToolEnabled"], true);
}

/// Issue 10: a property is validated whatever its name, `description`
/// included (the old schema preparation dropped every key named so).
#[tokio::test]
async fn a_property_named_description_is_validated_like_any_other() {
    let api = Api::start().await;
    let before = api.chatbot(BOT).await;
    let (status, error) = api
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({"description": {}})),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_error(&error, "Bad Request", "description");
    assert_eq!(error["details"][0]["field"], "description", "{error}");
    // Nothing was applied.
    assert_eq!(api.chatbot(BOT).await["description"], before["description"]);
}

#[tokio::test]
async fn voice_agent_types_are_checked() {
    let api = Api::start().await;
    for (body, field) in [
        (
            json!({"model": {"max_output_tokens": 1.5}}),
            "model.max_output_tokens",
        ),
        (
            json!({"model": {"temperature": "hot"}}),
            "model.temperature",
        ),
        (json!({"vad": {"threshold": "high"}}), "vad.threshold"),
        (
            json!({"appearance": {"cardRadius": "8px"}}),
            "appearance.cardRadius",
        ),
    ] {
        let (status, error) = api
            .call(Method::PATCH, &bot("/voice-agent"), Some(body))
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["details"][0]["field"], field, "{error}");
    }
}

/// Issue 11: the docs require no field of Create Chatbot, Query Knowledge
/// or Chat, so blank or missing values are accepted; the knowledge base
/// item's `id` (required in the spec) still is.
#[tokio::test]
async fn only_documented_values_are_required() {
    let api = Api::start().await;
    let (status, created) = api
        .call(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({"name": "  "})),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {created}");
    assert!(
        created["chatbot"]["slug"]
            .as_str()
            .unwrap()
            .starts_with("chatbot-")
    );
    let (status, found) = api
        .call(Method::POST, &bot("/query-knowledge"), Some(json!({})))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["results"], json!([]));
    for body in [
        json!({"platform": "web"}),
        json!({"messages": [{"role": "user"}]}),
        json!({"messages": [{"role": "user", "content": ""}]}),
    ] {
        let (status, answer) = api
            .call(Method::POST, &bot("/chat"), Some(body.clone()))
            .await;
        assert_eq!(status, 200, "{body}: {answer}");
    }
    let (status, error) = api
        .call(Method::DELETE, &bot("/knowledge-base"), None)
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "`id`");
}

#[tokio::test]
async fn unknown_enum_value_of_stream_is_refused() {
    let api = Api::start().await;
    let (status, error) = api
        .call(
            Method::POST,
            &format!("{}?stream=yes", bot("/chat")),
            Some(json!({"messages": [{"role": "user", "content": "hi"}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "stream");
    let (status, _) = api
        .call(
            Method::POST,
            &format!("{}?stream=true", bot("/chat")),
            Some(json!({"messages": [{"role": "user", "content": "hi"}]})),
        )
        .await;
    assert_eq!(status, 200);
}

// ------------------------------------------------------------------ bad input

#[tokio::test]
async fn unusable_bodies_get_the_vendor_error_shape() {
    let api = Api::start().await;
    let (status, error) = api
        .send(
            api.request(Method::PATCH, &update_path(BOT))
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "not valid JSON");
    let (status, error) = api
        .send(
            api.request(Method::PATCH, &update_path(BOT))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_eq!(status, 415);
    assert_error(&error, "Unsupported Media Type", "application/json");
    let (status, error) = api
        .send(
            api.request(Method::POST, "/api/external/chatbots")
                .body("{}"),
        )
        .await;
    assert_eq!(status, 415);
    assert_error(&error, "Unsupported Media Type", "none");
    let (status, _) = api
        .send(api.request(Method::PATCH, &update_path(BOT)))
        .await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let sandbox = Sandbox::builder()
        .body_limit(64)
        .start()
        .await
        .expect("sandbox starts");
    let api = Api::with(sandbox);
    let big = "x".repeat(200);
    let (status, error) = api
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({"description": big})),
        )
        .await;
    assert_eq!(status, 413);
    assert_error(&error, "Payload Too Large", "64 bytes");
    assert_eq!(
        api.chatbot(BOT).await["description"],
        "A helpful support assistant"
    );
    let form = Form::new().part("file", image(&[7; 200], "a.png", "image/png"));
    let (status, error) = api
        .send(
            api.request(Method::PATCH, &bot("/update-avatar"))
                .multipart(form),
        )
        .await;
    assert_eq!(status, 413);
    assert_error(&error, "Payload Too Large", "64 bytes");
    // A small body still works.
    let (status, _) = api
        .call(
            Method::PATCH,
            &update_path(BOT),
            Some(json!({"name": "ok"})),
        )
        .await;
    assert_eq!(status, 200);
}

// ------------------------------------------------------------------ auth and routing

#[tokio::test]
async fn requests_without_the_right_key_are_refused() {
    let api = Api::start().await;
    let wrong = [
        api.anonymous(Method::GET, "/api/external/chatbots"),
        api.anonymous(Method::GET, "/api/external/chatbots").header(
            "x-api-key",
            "15a23c21867f4f38b0b46f5e4adb1caf87a040b34eb58f68",
        ),
        api.anonymous(Method::GET, "/api/external/chatbots")
            .bearer_auth(api.key()),
        api.anonymous(Method::PATCH, &update_path(BOT))
            .json(&json!({"name": "nope"})),
        api.anonymous(Method::GET, &bot("/conversations")),
    ];
    for request in wrong {
        let (status, error) = api.send(request).await;
        assert_eq!(status, 401);
        assert_error(&error, "Unauthorized", "x-api-key");
    }
    assert_eq!(api.chatbot(BOT).await["name"], "API Docs Demo Chatbot");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let api = Api::start().await;
    let (status, error) = api
        .call(Method::GET, "/api/external/nothing-here", None)
        .await;
    assert_eq!(status, 404);
    assert_error(&error, "Not Found", "Route not found");
    let (status, error) = api
        .call(Method::DELETE, "/api/external/chatbots", None)
        .await;
    assert_eq!(status, 405);
    assert_error(&error, "Method Not Allowed", "Method not allowed");
    let (status, _) = api.call(Method::DELETE, &bot(""), None).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn garbage_and_unknown_ids_in_paths() {
    let api = Api::start().await;
    let (status, error) = api
        .call(Method::GET, "/api/external/chatbot/not-a-uuid", None)
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "chatbotId must be a UUID");
    let (status, error) = api
        .call(Method::GET, "/api/external/chatbot/%FF%FE", None)
        .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "Bad Request");
    let (status, error) = api
        .call(Method::GET, &bot("/conversations/zzz/messages"), None)
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "sessionId");
    let (status, error) = api
        .call(
            Method::GET,
            &format!("/api/external/chatbot/{MISSING}/knowledge-base"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_error(&error, "Not Found", "Chatbot not found");
    // A session of another chatbot is not found under this one.
    let (status, error) = api
        .call(
            Method::GET,
            &bot(&format!("/conversations/{SHOP_SESSION}")),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_error(&error, "Not Found", "Conversation not found");
}

#[tokio::test]
async fn injected_failures_use_the_vendor_shape() {
    let api = Api::start().await;
    api.sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::OkChat)
            .times(1),
    );
    let (status, error) = api.call(Method::GET, "/api/external/chatbots", None).await;
    assert_eq!(status, 503);
    assert_error(&error, "Service Unavailable", "injected");
    api.sandbox.faults().inject(
        FaultRule::new(Fault::RateLimited {
            retry_after: std::time::Duration::from_secs(2),
        })
        .vendor(Vendor::OkChat)
        .times(1),
    );
    let response = api
        .request(Method::GET, "/api/external/chatbots")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let error: Value = response.json().await.expect("JSON");
    assert_error(&error, "Too Many Requests", "Too Many");
}

// ------------------------------------------------------------------ create

#[tokio::test]
async fn create_then_list_and_get() {
    let api = Api::start().await;
    let (status, body) = api
        .call(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({
                "name": "Sales Helper!",
                "description": "Answers pricing questions",
                "personality_config": {"tone": "Upbeat", "style": "Short"},
                "settings": {"prompt": "Be brief.", "snippet": {"name": "Sally"}}
            })),
        )
        .await;
    assert_eq!(status, 200);
    let created = &body["chatbot"];
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["slug"], "sales-helper");
    assert_eq!(created["settings"]["prompt"], "Be brief.");
    assert_eq!(created["settings"]["model"], "gpt-4o-mini");
    assert_eq!(created["is_public"], false);
    assert_eq!(created["active"], true);

    let (_, list) = api.call(Method::GET, "/api/external/chatbots", None).await;
    let ids: Vec<&str> = list["chatbots"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids.last(), Some(&id.as_str()));
    assert_eq!(
        api.chatbot(&id).await["settings"]["snippet"]["name"],
        "Sally"
    );

    // The new bot has no knowledge base and no conversations.
    let (status, kb) = api
        .call(
            Method::GET,
            &format!("/api/external/chatbot/{id}/knowledge-base"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(kb["data"], json!([]));

    // Slugs are unique; a name without ASCII letters still gets one.
    let (status, error) = api
        .call(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({"name": "Other", "slug": "sales-helper"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_error(&error, "Conflict", "sales-helper");
    let (status, body) = api
        .call(
            Method::POST,
            "/api/external/chatbots",
            Some(json!({"name": "다솜"})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        body["chatbot"]["slug"]
            .as_str()
            .is_some_and(|s| s.starts_with("chatbot-"))
    );
}

// ------------------------------------------------------------------ avatar

#[tokio::test]
async fn avatar_upload_sets_settings_avatar() {
    let api = Api::start().await;
    assert!(api.chatbot(BOT).await["settings"].get("avatar").is_none());
    let form = Form::new().part(
        "file",
        image(b"\x89PNG\r\n\x1a\n\0\0", "me.JPG", "image/jpeg"),
    );
    let (status, body) = api
        .send(
            api.request(Method::PATCH, &bot("/update-avatar"))
                .multipart(form),
        )
        .await;
    assert_eq!(status, 200);
    let url = body["chatbot"]["settings"]["avatar"]
        .as_str()
        .expect("avatar url")
        .to_string();
    assert!(
        url.starts_with("https://") && url.contains(BOT) && url.ends_with(".jpg"),
        "{url}"
    );
    let after = api.chatbot(BOT).await;
    assert_eq!(after["settings"]["avatar"], url.as_str());
    assert_eq!(after["settings"]["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn avatar_upload_refuses_bad_forms() {
    let api = Api::start().await;
    let path = bot("/update-avatar");
    let cases = [(
        Form::new().part("file", image(b"text", "a.txt", "text/plain")),
        400,
        "image",
    )];
    for (form, expected, part) in cases {
        let (status, error) = api
            .send(api.request(Method::PATCH, &path).multipart(form))
            .await;
        assert_eq!(status, expected);
        assert_error(&error, "Bad Request", part);
        assert_eq!(error["details"][0]["field"], "file");
    }
    let (status, error) = api
        .send(
            api.request(Method::PATCH, &path)
                .header("content-type", "multipart/form-data")
                .body("--x\r\n"),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "boundary");
    let (status, error) = api
        .send(api.request(Method::PATCH, &path).body(vec![0u8; 16]))
        .await;
    assert_eq!(status, 415);
    assert_error(&error, "Unsupported Media Type", "multipart/form-data");
    let form = Form::new().part("file", image(b"png", "a.png", "image/png"));
    let (status, _) = api
        .send(
            api.request(
                Method::PATCH,
                &format!("/api/external/chatbot/{MISSING}/update-avatar"),
            )
            .multipart(form),
        )
        .await;
    assert_eq!(status, 404);
    // A part without a name is no form (RFC 7578; Schemathesis sends one
    // for a body that is not an object).
    let (status, error) = api
        .send(
            api.request(Method::PATCH, &path)
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body("--XyZ\r\n[]--XyZ--\r\n"),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&error, "Bad Request", "multipart form");
    assert!(api.chatbot(BOT).await["settings"].get("avatar").is_none());
    // No source refuses an empty image (issue 11).
    let form = Form::new().part("file", image(b"", "a.png", "image/png"));
    let (status, _) = api
        .send(api.request(Method::PATCH, &path).multipart(form))
        .await;
    assert_eq!(status, 200);
    assert!(api.chatbot(BOT).await["settings"]["avatar"].is_string());
}

// ------------------------------------------------------------------ widgets

#[tokio::test]
async fn voice_agent_merges_and_shows_on_the_chatbot() {
    let api = Api::start().await;
    assert_eq!(api.chatbot(BOT).await["voice_widget_config"], Value::Null);
    let (status, body) = api
        .call(
            Method::PATCH,
            &bot("/voice-agent"),
            Some(
                json!({"voice": "shimmer", "vad": {"threshold": 0.5, "silence_duration_ms": 500}}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Voice widget config updated successfully");
    let (status, body) = api
        .call(
            Method::PATCH,
            &bot("/voice-agent"),
            Some(json!({"vad": {"threshold": 0.8}})),
        )
        .await;
    assert_eq!(status, 200);
    let config = &body["voice_widget_config"];
    assert_eq!(config["voice"], "shimmer");
    assert_eq!(config["vad"]["threshold"], 0.8);
    assert_eq!(config["vad"]["silence_duration_ms"], 500);
    assert_eq!(api.chatbot(BOT).await["voice_widget_config"], *config);
}

#[tokio::test]
async fn chat_widget_updates_the_snippet() {
    let api = Api::start().await;
    let (status, body) = api
        .call(
            Method::PATCH,
            &bot("/chat-widget"),
            Some(json!({"language": "ko", "primaryColor": "#000000"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Chat widget config updated successfully");
    let config = &body["chat_widget_config"];
    assert_eq!(config["language"], "ko");
    assert_eq!(config["primaryColor"], "#000000");
    assert_eq!(config["slogan"], "How can I help you today?");
    let snippet = &api.chatbot(BOT).await["settings"]["snippet"];
    assert_eq!(snippet["primaryColor"], "#000000");
    assert_eq!(snippet["secondaryColor"], "#10B981");
    assert!(snippet.get("language").is_none());
    let (_, body) = api
        .call(
            Method::PATCH,
            &bot("/chat-widget"),
            Some(json!({"slogan": "Hi"})),
        )
        .await;
    assert_eq!(body["chat_widget_config"]["language"], "ko");
}

// ------------------------------------------------------------------ knowledge base

#[tokio::test]
async fn knowledge_items_are_listed_queried_and_deleted() {
    let api = Api::start().await;
    let (status, body) = api.call(Method::GET, &bot("/knowledge-base"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));

    let (status, body) = api
        .call(
            Method::POST,
            &bot("/query-knowledge"),
            Some(json!({"query": "What is the refund policy?"})),
        )
        .await;
    assert_eq!(status, 200);
    let first = &body["results"][0];
    assert!(
        first["content"]
            .as_str()
            .is_some_and(|c| c.contains("30 days"))
    );
    assert!(
        first["similarity"]
            .as_f64()
            .is_some_and(|s| s > 0.0 && s <= 1.0)
    );

    let delete = format!("{}?id={ITEM}", bot("/knowledge-base"));
    let (status, body) = api.call(Method::DELETE, &delete, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], ITEM);
    let (_, body) = api.call(Method::GET, &bot("/knowledge-base"), None).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let (status, error) = api.call(Method::DELETE, &delete, None).await;
    assert_eq!(status, 404);
    assert_error(&error, "Not Found", "Knowledge base item not found");
    let (_, body) = api
        .call(
            Method::POST,
            &bot("/query-knowledge"),
            Some(json!({"query": "refund policy"})),
        )
        .await;
    assert_eq!(body["results"], json!([]));
    // An item of another chatbot cannot be deleted through this one.
    let other = format!(
        "{}?id=8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586",
        bot("/knowledge-base")
    );
    let (status, _) = api.call(Method::DELETE, &other, None).await;
    assert_eq!(status, 404);
}

// ------------------------------------------------------------------ chat and conversations

#[tokio::test]
async fn chat_records_a_conversation() {
    let api = Api::start().await;
    let (_, before) = api.call(Method::GET, &bot("/conversations"), None).await;
    assert_eq!(before["data"].as_array().map(Vec::len), Some(2));

    let ask = |content: &str| {
        json!({
            "messages": [{"role": "user", "content": content}],
            "platform": "web",
            "sessionToken": "st_test"
        })
    };
    let (status, answer) = api
        .call(
            Method::POST,
            &bot("/chat"),
            Some(ask("What are your opening hours?")),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        answer["content"]
            .as_str()
            .is_some_and(|c| c.contains("9am"))
    );
    let session = answer["session_id"]
        .as_str()
        .expect("session id")
        .to_string();
    let (_, again) = api
        .call(Method::POST, &bot("/chat"), Some(ask("Thanks!")))
        .await;
    assert_eq!(again["session_id"], session.as_str());

    let (_, list) = api.call(Method::GET, &bot("/conversations"), None).await;
    let sessions = list["data"].as_array().expect("data");
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["id"], session.as_str());
    assert_eq!(sessions[0]["last_message"]["sender_type"], "bot");
    assert_eq!(sessions[0]["session_token"], "st_test");

    let (_, messages) = api
        .call(
            Method::GET,
            &bot(&format!("/conversations/{session}/messages")),
            None,
        )
        .await;
    let messages = messages["data"].as_array().expect("data");
    let senders: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["sender_type"].as_str())
        .collect();
    assert_eq!(senders, ["user", "bot", "user", "bot"]);
    assert_eq!(messages[2]["content"], "Thanks!");

    let (status, one) = api
        .call(
            Method::GET,
            &bot(&format!("/conversations/{session}")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["session"]["last_message"], messages[3]["content"]);

    // Without a token, each chat starts a new conversation.
    let (_, fresh) = api
        .call(
            Method::POST,
            &bot("/chat"),
            Some(json!({"messages": [{"role": "user", "content": "hello"}]})),
        )
        .await;
    assert_ne!(fresh["session_id"], session.as_str());
    assert!(
        fresh["sessionToken"]
            .as_str()
            .is_some_and(|t| t.starts_with("st_"))
    );
}

#[tokio::test]
async fn chat_with_an_inactive_or_unknown_bot_fails() {
    let api = Api::start().await;
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let (status, error) = api
        .call(
            Method::POST,
            &format!("/api/external/chatbot/{DRAFT}/chat"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 403);
    assert_error(&error, "Forbidden", "not active");
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/external/chatbot/{MISSING}/chat"),
            Some(body),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn conversation_shapes_match_the_docs() {
    let api = Api::start().await;
    let (_, list) = api.call(Method::GET, &bot("/conversations"), None).await;
    let sessions = list["data"].as_array().expect("data");
    let demo = sessions
        .iter()
        .find(|s| s["id"] == SESSION)
        .expect("fixture session");
    assert!(demo["last_message"].is_object());
    assert_eq!(demo["state"], "in_progress");
    let empty = sessions
        .iter()
        .find(|s| s["id"] == EMPTY_SESSION)
        .expect("empty session");
    assert_eq!(empty["last_message"], Value::Null);

    let (_, one) = api
        .call(
            Method::GET,
            &bot(&format!("/conversations/{SESSION}")),
            None,
        )
        .await;
    assert!(one["session"]["last_message"].is_string());
    assert!(one["session"].get("state").is_none());

    let (_, shop) = api
        .call(
            Method::GET,
            &format!("/api/external/chatbot/{SHOP}/conversations/{SHOP_SESSION}/messages"),
            None,
        )
        .await;
    assert_eq!(shop["data"][0]["attachments"][0]["name"], "receipt.jpg");
    let (_, empty) = api
        .call(
            Method::GET,
            &bot(&format!("/conversations/{EMPTY_SESSION}/messages")),
            None,
        )
        .await;
    assert_eq!(empty["data"], json!([]));
}

// ------------------------------------------------------------------ the SDK client

#[tokio::test]
async fn the_sdk_client_round_trips_against_the_sandbox() {
    use chatbots_okchat::{Client, header_auth, types};
    use chatbots_runtime::{ClientConfig, SecretString};

    let api = Api::start().await;
    let config = ClientConfig {
        base_url: Some(api.sandbox.base_url(Vendor::OkChat)),
        ..Default::default()
    };
    let auth = header_auth(&SecretString::from(api.key())).expect("valid key");
    let client = Client::with_config(auth, &config).expect("client");

    let body: types::UpdateChatbotRequest = serde_json::from_value(json!({
        "name": "Via the SDK",
        "settings": {"greeting": "Hi there"}
    }))
    .expect("request type");
    let updated = client
        .update_chatbot()
        .id(BOT)
        .body(body)
        .send()
        .await
        .expect("updateChatbot");
    assert_eq!(
        updated.message.as_deref(),
        Some("Chatbot updated successfully")
    );

    let read = client
        .get_chatbot()
        .chatbot_id(BOT)
        .send()
        .await
        .expect("getChatbot");
    let chatbot = read.chatbot.as_ref().expect("chatbot");
    assert_eq!(chatbot.name.as_deref(), Some("Via the SDK"));
    let settings = chatbot.settings.as_ref().expect("settings");
    assert_eq!(settings.greeting.as_deref(), Some("Hi there"));
    assert_eq!(settings.model.as_deref(), Some("gpt-4o-mini"));

    let avatar = client
        .update_chatbot_avatar(BOT, "a.png", b"\x89PNG".to_vec(), "image/png")
        .await
        .expect("updateChatbotAvatar");
    let url = avatar
        .chatbot
        .as_ref()
        .and_then(|c| c.settings.as_ref())
        .and_then(|s| s.avatar.clone())
        .expect("avatar url");
    assert!(url.ends_with(".png"), "{url}");

    let list = client.list_chatbots().send().await.expect("listChatbots");
    assert_eq!(list.chatbots.len(), 3);
}

/// Issue 11: the docs do not name the avatar's form field, so any part
/// carries the image; a form without parts changes nothing.
#[tokio::test]
async fn avatar_upload_takes_any_field_name() {
    let api = Api::start().await;
    let path = bot("/update-avatar");
    let (status, body) = api
        .send(
            api.request(Method::PATCH, &path)
                .multipart(Form::new().part("image", image(b"png", "a.png", "image/png"))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let avatar = body["chatbot"]["settings"]["avatar"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(avatar.ends_with(".png"), "{avatar}");
    let (status, body) = api
        .send(
            api.request(Method::PATCH, &path)
                .header("content-type", "multipart/form-data; boundary=x")
                .body("--x--\r\n"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chatbot"]["settings"]["avatar"], json!(avatar));
}
