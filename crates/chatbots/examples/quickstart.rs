//! Updates one chatbot at each of the five vendors through the facade, reads
//! it back, and prints what changed.
//!
//! It runs against local stand-ins of the five vendor APIs on 127.0.0.1
//! (in-process mock servers that keep each bot's state), so it needs no
//! account and never contacts a vendor:
//!
//! ```text
//! cargo run -p chatbots --example quickstart
//! ```

use std::sync::{Arc, Mutex};

use chatbots::{BotRef, ChatbotPatch, Chatbots, Field, Vendor};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A vendor stand-in: one bot whose state edits change and reads return.
struct FakeVendor {
    bot: Arc<Mutex<Value>>,
    /// Wraps the bot object in the vendor's response envelope.
    wrap: fn(&Value) -> Value,
    /// Where an update body's fields go in the stored bot.
    nested: bool,
}

impl Respond for FakeVendor {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut bot = self.bot.lock().expect("state lock");
        if request.method.as_str() != "GET" {
            let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&request.body) else {
                return ResponseTemplate::new(400)
                    .set_body_json(json!({"message": "invalid JSON"}));
            };
            for (key, value) in changes {
                match (self.nested, &value) {
                    (true, Value::Object(inner)) => {
                        for (k, v) in inner {
                            bot[&key][k] = v.clone();
                        }
                    }
                    _ => bot[&key] = value,
                }
            }
        }
        ResponseTemplate::new(200).set_body_json((self.wrap)(&bot))
    }
}

async fn fake(
    method_name: &str,
    path: &str,
    bot: Value,
    wrap: fn(&Value) -> Value,
    nested: bool,
) -> MockServer {
    let server = MockServer::start().await;
    let state = Arc::new(Mutex::new(bot));
    for m in [method_name, "GET"] {
        Mock::given(method(m))
            .and(path_regex(path))
            .respond_with(FakeVendor {
                bot: state.clone(),
                wrap,
                nested,
            })
            .mount(&server)
            .await;
    }
    server
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "Using local stand-ins of the five vendor APIs on 127.0.0.1 (no vendor is contacted).\n"
    );
    let converza_id = "770e8400-e29b-41d4-a716-446655440002";
    let okchat_id = "3317853e-0af2-427d-a56f-351a9587f48f";
    let puretalk_id = "123e4567-e89b-12d3-a456-426614174000";

    let streamskill = fake(
        "POST",
        "^/purchases/",
        json!({"id": 12345, "order_type": "ai_chatbots", "status": "working"}),
        |_| json!({"status": "ok"}),
        false,
    )
    .await;
    let converza = fake(
        "PATCH",
        "^/api/openapi/v1/bots/",
        json!({"id": converza_id, "name": "Bot de Suporte", "instructions": "Seja breve.", "temperature": 0.7}),
        |bot| json!({"success": true, "data": bot}),
        false,
    )
    .await;
    // Converza exchanges its key pair for a token first.
    Mock::given(method("POST"))
        .and(path_regex("^/api/openapi/auth/token$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "data": {"access_token": "local.jwt", "token_type": "Bearer", "expires_in": 86400}}),
        ))
        .mount(&converza)
        .await;
    let okchat = fake(
        "PATCH",
        "^/api/external/chatbot",
        json!({"id": okchat_id, "name": "API Docs Demo Chatbot", "settings": {"prompt": "Be helpful.", "greeting": "Hello!"}}),
        |bot| json!({"chatbot": bot, "message": "ok"}),
        true,
    )
    .await;
    let puretalk = fake(
        "PATCH",
        "^/ai-assistants/",
        json!({"assistant_id": puretalk_id, "name": "My AI Assistant", "prompt": "Hello", "begin_message": "Hi"}),
        |bot| json!({"msg": "AI Assistant updated", "err": false, "results": bot}),
        false,
    )
    .await;
    let hottask = fake(
        "POST",
        "^/chat/Chatbot/Edit$",
        json!({}),
        |_| json!({"Data": 1, "Version": "1.0.0", "Success": true, "Code": 200, "Message": ""}),
        false,
    )
    .await;

    let bots = Chatbots::builder()
        .streamskill_token("local-token")
        .converza_keys("cvz_key_local", "cvz_secret_local")
        .okchat_api_key("local-key")
        .puretalk_api_key("local-key")
        .hottask_api_key("local-key")
        .base_url(Vendor::StreamSkill, streamskill.uri())
        .base_url(Vendor::Converza, converza.uri())
        .base_url(Vendor::OkChat, okchat.uri())
        .base_url(Vendor::PureTalk, puretalk.uri())
        .base_url(Vendor::HotTask, hottask.uri())
        .build()?;

    let changes = [
        (
            BotRef::new(Vendor::StreamSkill, "12345"),
            ChatbotPatch::new().language("en"),
        ),
        (
            BotRef::new(Vendor::Converza, converza_id),
            ChatbotPatch::new().name("Support bot").temperature(0.4),
        ),
        (
            BotRef::new(Vendor::OkChat, okchat_id),
            ChatbotPatch::new()
                .instructions("Answer in two sentences.")
                .greeting("Hi there!"),
        ),
        (
            BotRef::new(Vendor::PureTalk, puretalk_id),
            ChatbotPatch::new()
                .name("Front desk")
                .greeting("Thanks for calling."),
        ),
        (
            BotRef::new(Vendor::HotTask, "3254a9d0424c4806b9ea3d0763ccfxxx"),
            ChatbotPatch::new().name("NewName").language("es"),
        ),
    ];

    println!(
        "{:<12} {:<14} {:<28} {:<28}",
        "vendor", "field", "before", "after"
    );
    println!("{}", "-".repeat(84));
    for (bot, patch) in &changes {
        let before = bots.get(bot).await.ok();
        bots.update(bot, patch).await?;
        let after = bots.get(bot).await.ok();
        for field in Field::ALL {
            if !is_set(patch, field) {
                continue;
            }
            let show = |bot: &Option<chatbots::Chatbot>| match bot {
                Some(b) => b.field(field).unwrap_or_else(|| "(not reported)".into()),
                None => "(no read endpoint)".into(),
            };
            println!(
                "{:<12} {:<14} {:<28} {:<28}",
                bot.vendor.to_string(),
                field.to_string(),
                show(&before),
                show(&after)
            );
        }
    }
    println!("\nEvery update succeeded.");
    Ok(())
}

fn is_set(patch: &ChatbotPatch, field: Field) -> bool {
    match field {
        Field::Name => patch.name.is_some(),
        Field::Description => patch.description.is_some(),
        Field::Instructions => patch.instructions.is_some(),
        Field::Model => patch.model.is_some(),
        Field::Temperature => patch.temperature.is_some(),
        Field::Greeting => patch.greeting.is_some(),
        Field::Language => patch.language.is_some(),
        Field::Timezone => patch.timezone.is_some(),
        _ => false,
    }
}
