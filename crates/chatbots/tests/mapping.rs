//! The facade's mapping, end to end against wiremock on loopback: the exact
//! request each vendor receives for every shared field the capability table
//! lists (method, path, query, auth header, whole JSON body), vendor patches
//! merged with shared fields, every refusal (its kind, vendor, field and rule,
//! and that nothing reached the server), and the vendor-neutral view of get
//! and list.

use std::num::NonZeroU64;
use std::time::Duration;

use chatbots::{
    BotRef, Chatbot, ChatbotPatch, Chatbots, Error, ErrorKind, Field, RetryPolicy, Vendor,
    VendorPatch, converza, hottask, okchat, puretalk, streamskill, vendor_field,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// ------------------------------------------------------------------ setup

mod support;

use support::ISSUED_TOKEN;

// The examples' ids (each spec's), for the tests of one named vendor.
const ORDER_ID: &str = "12345";
const CONVERZA_BOT: &str = "770e8400-e29b-41d4-a716-446655440002";
const OKCHAT_BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
const PURETALK_ASSISTANT: &str = "123e4567-e89b-12d3-a456-426614174000";
const HOTTASK_SERIAL: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";

fn retry() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(1),
        ..Default::default()
    }
}

/// The test data of `vendor`: its spec's update and examples, its facade
/// module's facts (`support`).
fn case(vendor: Vendor) -> &'static support::VendorData {
    support::data(vendor)
}

/// The vendors with test data (the others are named on stderr).
fn vendors(test: &str) -> Vec<Vendor> {
    support::vendors(test)
}

#[test]
fn the_named_vendors_ids_are_their_specs_examples() {
    for (vendor, id) in [
        (Vendor::StreamSkill, ORDER_ID),
        (Vendor::Converza, CONVERZA_BOT),
        (Vendor::OkChat, OKCHAT_BOT),
        (Vendor::PureTalk, PURETALK_ASSISTANT),
        (Vendor::HotTask, HOTTASK_SERIAL),
    ] {
        assert_eq!(case(vendor).bot, id, "{vendor}");
    }
}

/// A facade with credentials for `vendor` only, pointed at `server`.
fn facade(vendor: Vendor, server: &MockServer) -> Chatbots {
    support::credentials(Chatbots::builder(), vendor)
        .base_url(vendor, server.uri())
        .retry(retry())
        .build()
        .expect("facade builds")
}

/// The id a valid bot reference has at `vendor`.
fn bot(vendor: Vendor) -> BotRef {
    case(vendor).bot_ref()
}

fn json_response(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

/// The token exchange at `at`, answering only the configured key pair
/// (Converza's: the one vendor that exchanges its credentials).
async fn mount_token(server: &MockServer, at: &str) {
    Mock::given(method("POST"))
        .and(path(at))
        .and(body_json(json!({
            "key_id": support::secret("CONVERZA_KEY_ID"),
            "key_secret": support::secret("CONVERZA_KEY_SECRET"),
        })))
        .respond_with(json_response(json!({
            "success": true,
            "data": {"access_token": ISSUED_TOKEN, "token_type": "Bearer", "expires_in": 86400}
        })))
        .expect(1..)
        .named("token exchange")
        .mount(server)
        .await;
}

/// The update endpoint of `vendor`, answering with its documented success
/// body. The body is not matched here: the tests compare it themselves, so
/// a difference shows as a readable diff rather than a 404.
async fn mount_update(vendor: Vendor, server: &MockServer) {
    let case = case(vendor);
    if let Some(at) = &case.token_path {
        mount_token(server, at).await;
    }
    Mock::given(method(case.method.as_str()))
        .and(path(case.path.as_str()))
        .respond_with(json_response(case.ok_body.clone()))
        .named("update endpoint")
        .mount(server)
        .await;
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// The requests other than a token exchange.
async fn calls(server: &MockServer) -> Vec<Request> {
    let exchanges: Vec<&str> = Vendor::ALL
        .into_iter()
        .filter_map(|v| support::try_data(v).ok()?.token_path.as_deref())
        .collect();
    received(server)
        .await
        .into_iter()
        .filter(|r| !exchanges.contains(&r.url.path()))
        .collect()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}

/// The credential header each vendor's spec documents, and no other: the
/// credential (Bearer or raw, as the scheme says), or the token a key pair
/// was exchanged for, never the key pair.
fn assert_auth(vendor: Vendor, request: &Request) {
    let auth: Vec<&str> = request
        .headers
        .get_all("authorization")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let (name, value) = case(vendor).auth_header();
    // Header names are case-insensitive: PureTalk's is `X-API-KEY`.
    assert_eq!(
        header(request, &name),
        Some(value.as_str()),
        "{vendor}: {name}"
    );
    if name == "authorization" {
        assert_eq!(auth, [value.as_str()], "{vendor}: one Authorization");
    } else {
        assert!(auth.is_empty(), "{vendor} sends no Authorization: {auth:?}");
    }
    if name != "x-api-key" {
        assert_eq!(header(request, "x-api-key"), None, "{vendor}");
    }
    assert_eq!(
        header(request, "api-version"),
        None,
        "api-version is stripped"
    );
}

/// Method, path, query, auth header and content type of an update request.
fn assert_update_request(vendor: Vendor, request: &Request) {
    let case = case(vendor);
    assert_eq!(request.method.as_str(), case.method, "{vendor}: method");
    assert_eq!(request.url.path(), case.path, "{vendor}: path");
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    match &case.query {
        Some((name, value)) => assert_eq!(
            query,
            [(name.clone(), value.clone())],
            "{vendor} selects the bot with ?{name}=<id>"
        ),
        None => assert!(query.is_empty(), "{vendor}: unexpected query {query:?}"),
    }
    assert_eq!(
        header(request, "content-type"),
        Some("application/json"),
        "{vendor}: content type"
    );
    assert_auth(vendor, request);
}

/// Applies `patch` at `vendor` and returns the body of the one update
/// request that reached the server.
async fn sent_body(vendor: Vendor, patch: &ChatbotPatch) -> Value {
    let server = MockServer::start().await;
    mount_update(vendor, &server).await;
    facade(vendor, &server)
        .update(&bot(vendor), patch)
        .await
        .unwrap_or_else(|e| panic!("{vendor}: update failed: {e}"));
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1, "{vendor}: exactly one update request");
    assert_update_request(vendor, &calls[0]);
    body(&calls[0])
}

// ------------------------------------------- 1. shared fields, one by one

/// The shared fields `vendor` supports, as its facade module maps them.
fn supported_fields(vendor: Vendor) -> Vec<Field> {
    Field::ALL
        .into_iter()
        .filter(|f| vendor_field(vendor, *f).is_some())
        .collect()
}

/// `cases` are every shared field the capability table says `vendor`
/// supports, set alone, with the exact body the vendor must receive:
/// written out by hand from CAPABILITIES.md, not derived from the code under
/// test, and checked against the table here.
async fn each_supported_field_alone(vendor: Vendor, cases: Vec<(Field, ChatbotPatch, Value)>) {
    let fields: Vec<Field> = cases.iter().map(|(f, ..)| *f).collect();
    assert_eq!(
        fields,
        supported_fields(vendor),
        "{vendor}: the capability table"
    );
    for (field, patch, expected) in cases {
        let sent = sent_body(vendor, &patch).await;
        assert_eq!(sent, expected, "{vendor} × {field}");
    }
}

/// Every vendor, each supported field alone: the value lands where the
/// capability table says, and nothing else is sent (for a vendor without a
/// hand-written list above too).
#[tokio::test]
async fn every_supported_field_reaches_the_vendor_field_of_the_table() {
    for vendor in vendors("every_supported_field_reaches_the_vendor_field_of_the_table") {
        let id_in_body = case(vendor).facts.id_in_body;
        for field in supported_fields(vendor) {
            let sent = sent_body(vendor, &support::sample_patch(field)).await;
            let pointer = vendor_field(vendor, field).expect("supported");
            assert!(
                sent.pointer(pointer).is_some(),
                "{vendor} × {field}: {sent}"
            );
            let mut rest = sent.clone();
            if let Some(id) = id_in_body {
                rest.as_object_mut().expect("an object").remove(id[0]);
            }
            assert_eq!(
                count_leaves(&rest),
                1,
                "{vendor} × {field}: only the field is sent: {sent}"
            );
        }
    }
}

/// The scalar values in `value`.
fn count_leaves(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(count_leaves).sum(),
        Value::Array(items) => items.iter().map(count_leaves).sum(),
        _ => 1,
    }
}

#[tokio::test]
async fn streamskill_each_supported_field_alone() {
    each_supported_field_alone(
        Vendor::StreamSkill,
        vec![(
            Field::Language,
            ChatbotPatch::new().language("en"),
            json!({"language": "en"}),
        )],
    )
    .await;
}

#[tokio::test]
async fn converza_each_supported_field_alone() {
    each_supported_field_alone(
        Vendor::Converza,
        vec![
            (
                Field::Name,
                ChatbotPatch::new().name("Support bot"),
                json!({"name": "Support bot"}),
            ),
            (
                Field::Description,
                ChatbotPatch::new().description("Handles support"),
                json!({"description": "Handles support"}),
            ),
            (
                Field::Instructions,
                ChatbotPatch::new().instructions("Answer briefly."),
                json!({"instructions": "Answer briefly."}),
            ),
            (
                Field::Temperature,
                ChatbotPatch::new().temperature(0.7),
                json!({"temperature": 0.7}),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn okchat_each_supported_field_alone() {
    each_supported_field_alone(
        Vendor::OkChat,
        vec![
            (
                Field::Name,
                ChatbotPatch::new().name("Support bot"),
                json!({"name": "Support bot"}),
            ),
            (
                Field::Description,
                ChatbotPatch::new().description("Handles support"),
                json!({"description": "Handles support"}),
            ),
            (
                Field::Instructions,
                ChatbotPatch::new().instructions("Answer briefly."),
                json!({"settings": {"prompt": "Answer briefly."}}),
            ),
            (
                Field::Model,
                ChatbotPatch::new().model("gpt-4o-mini"),
                json!({"settings": {"model": "gpt-4o-mini"}}),
            ),
            (
                Field::Greeting,
                ChatbotPatch::new().greeting("Hi! How can I help?"),
                json!({"settings": {"greeting": "Hi! How can I help?"}}),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn puretalk_each_supported_field_alone() {
    each_supported_field_alone(
        Vendor::PureTalk,
        vec![
            (
                Field::Name,
                ChatbotPatch::new().name("Support bot"),
                json!({"name": "Support bot"}),
            ),
            (
                Field::Instructions,
                ChatbotPatch::new().instructions("Answer briefly."),
                json!({"prompt": "Answer briefly."}),
            ),
            (
                Field::Model,
                ChatbotPatch::new().model("puretalk-plg"),
                json!({"model": "puretalk-plg"}),
            ),
            (
                Field::Greeting,
                ChatbotPatch::new().greeting("Hi! How can I help?"),
                json!({"begin_message": "Hi! How can I help?"}),
            ),
            (
                Field::Timezone,
                ChatbotPatch::new().timezone("Europe/Berlin"),
                json!({"timezone": "Europe/Berlin"}),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn hottask_each_supported_field_alone() {
    each_supported_field_alone(
        Vendor::HotTask,
        vec![
            (
                Field::Name,
                ChatbotPatch::new().name("Support bot"),
                json!({"serialNumber": HOTTASK_SERIAL, "Name": "Support bot"}),
            ),
            (
                Field::Instructions,
                ChatbotPatch::new().instructions("Answer briefly."),
                json!({"serialNumber": HOTTASK_SERIAL, "SystemMessage": "Answer briefly."}),
            ),
            (
                Field::Temperature,
                ChatbotPatch::new().temperature(1.0),
                json!({"serialNumber": HOTTASK_SERIAL, "Temperature": 1}),
            ),
            (
                Field::Greeting,
                ChatbotPatch::new().greeting("Hi! How can I help?"),
                json!({"serialNumber": HOTTASK_SERIAL, "WelcomeMessage": "Hi! How can I help?"}),
            ),
            (
                Field::Language,
                ChatbotPatch::new().language("es"),
                json!({"serialNumber": HOTTASK_SERIAL, "AIResponseLanguage": "Spanish"}),
            ),
            (
                Field::Timezone,
                ChatbotPatch::new().timezone("Asia/Shanghai"),
                json!({"serialNumber": HOTTASK_SERIAL, "TimeZone": "Asia/Shanghai"}),
            ),
        ],
    )
    .await;
}

// ------------------------------------------- 1. shared fields, all at once

#[tokio::test]
async fn streamskill_all_supported_fields_together() {
    let patch = ChatbotPatch::new().language("auto");
    let sent = sent_body(Vendor::StreamSkill, &patch).await;
    assert_eq!(sent, json!({"language": "auto"}));
}

#[tokio::test]
async fn converza_all_supported_fields_together() {
    let patch = ChatbotPatch::new()
        .name("Bot de Suporte")
        .description("Lida com consultas de suporte ao cliente")
        .instructions("Seja útil e educado.")
        .temperature(1.5);
    let sent = sent_body(Vendor::Converza, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "Bot de Suporte",
            "description": "Lida com consultas de suporte ao cliente",
            "instructions": "Seja útil e educado.",
            "temperature": 1.5
        })
    );
}

#[tokio::test]
async fn okchat_all_supported_fields_together_nest_under_settings() {
    let patch = ChatbotPatch::new()
        .name("API Docs Demo Chatbot")
        .description("A helpful support assistant")
        .instructions("You are a customer support assistant.")
        .model("gpt-4o-mini")
        .greeting("Hello! How can I assist you today?");
    let sent = sent_body(Vendor::OkChat, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "API Docs Demo Chatbot",
            "description": "A helpful support assistant",
            "settings": {
                "prompt": "You are a customer support assistant.",
                "model": "gpt-4o-mini",
                "greeting": "Hello! How can I assist you today?"
            }
        })
    );
}

#[tokio::test]
async fn puretalk_all_supported_fields_together() {
    let patch = ChatbotPatch::new()
        .name("My AI Assistant")
        .instructions("Hello, how are you?")
        .model("puretalk-plg")
        .greeting("Hi, this is Ava.")
        .timezone("America/New_York");
    let sent = sent_body(Vendor::PureTalk, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "My AI Assistant",
            "prompt": "Hello, how are you?",
            "model": "puretalk-plg",
            "begin_message": "Hi, this is Ava.",
            "timezone": "America/New_York"
        })
    );
}

#[tokio::test]
async fn hottask_all_supported_fields_together_with_the_serial_number_from_the_bot_ref() {
    let patch = ChatbotPatch::new()
        .name("NewName")
        .instructions("new Prompt")
        .temperature(1.0)
        .greeting("Hi this is your AI assistant!")
        .language("es")
        .timezone("Asia/Shanghai");
    let sent = sent_body(Vendor::HotTask, &patch).await;
    assert_eq!(
        sent,
        json!({
            "serialNumber": HOTTASK_SERIAL,
            "Name": "NewName",
            "SystemMessage": "new Prompt",
            "Temperature": 1,
            "WelcomeMessage": "Hi this is your AI assistant!",
            "AIResponseLanguage": "Spanish",
            "TimeZone": "Asia/Shanghai"
        })
    );
    // 1.0 goes out as the integer the spec documents, not as 1.0.
    assert!(sent["Temperature"].is_u64(), "{}", sent["Temperature"]);
}

#[tokio::test]
async fn hottask_language_codes_are_matched_case_insensitively() {
    let sent = sent_body(Vendor::HotTask, &ChatbotPatch::new().language("DE")).await;
    assert_eq!(
        sent,
        json!({"serialNumber": HOTTASK_SERIAL, "AIResponseLanguage": "German"})
    );
}

// ------------------------------------------------ 2. vendor patch merged

fn hottask_body(fields: Value) -> hottask::types::EditChatbotRequest {
    serde_json::from_value(fields).expect("a valid HotTask edit body")
}

#[tokio::test]
async fn streamskill_vendor_patch_merges_with_language() {
    let extra = streamskill::types::EditAiChatbotsObject {
        count: NonZeroU64::new(10),
        // ceil(60 / 10) = 6, the smallest interval allowed.
        interval: NonZeroU64::new(6),
        language: None,
    };
    let patch = ChatbotPatch::new().language("ru").vendor_patch(extra);
    let sent = sent_body(Vendor::StreamSkill, &patch).await;
    assert_eq!(sent, json!({"language": "ru", "count": 10, "interval": 6}));
}

#[tokio::test]
async fn converza_vendor_patch_merges_with_name() {
    let extra = converza::types::UpdateBotRequest {
        role: Some(converza::types::BotRole::Sales),
        chat_model_level: Some(2),
        allow_human: Some(false),
        ..Default::default()
    };
    let patch = ChatbotPatch::new()
        .name("Vendas")
        .temperature(0.0)
        .vendor_patch(extra);
    let sent = sent_body(Vendor::Converza, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "Vendas",
            "temperature": 0.0,
            "role": "sales",
            "chat_model_level": 2,
            "allow_human": false
        })
    );
}

#[tokio::test]
async fn okchat_vendor_patch_settings_merge_with_shared_settings() {
    let extra = okchat::types::UpdateChatbotRequest {
        is_public: Some(false),
        personality_config: Some(okchat::types::PersonalityConfig {
            tone: Some("Professional".into()),
            style: Some("Friendly".into()),
        }),
        settings: Some(okchat::types::ChatbotSettingsInput {
            is_tool_enabled: Some(true),
            is_request_user_info_enabled: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let patch = ChatbotPatch::new()
        .name("Support")
        .instructions("Be concise.")
        .greeting("Hello!")
        .vendor_patch(extra);
    let sent = sent_body(Vendor::OkChat, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "Support",
            "is_public": false,
            "personality_config": {"tone": "Professional", "style": "Friendly"},
            "settings": {
                "prompt": "Be concise.",
                "greeting": "Hello!",
                "isToolEnabled": true,
                "isRequestUserInfoEnabled": false
            }
        })
    );
}

#[tokio::test]
async fn puretalk_vendor_patch_merges_with_shared_fields() {
    let extra = puretalk::types::UpdateAssistantRequest {
        call_recording_enabled: Some(true),
        who_speaks_first: Some(puretalk::types::WhoSpeaksFirst::Assistant),
        max_reminder_messages: Some(2),
        ..Default::default()
    };
    let patch = ChatbotPatch::new()
        .name("Ava")
        .greeting("Hi, this is Ava.")
        .vendor_patch(extra);
    let sent = sent_body(Vendor::PureTalk, &patch).await;
    assert_eq!(
        sent,
        json!({
            "name": "Ava",
            "begin_message": "Hi, this is Ava.",
            "call_recording_enabled": true,
            "who_speaks_first": "assistant",
            "max_reminder_messages": 2
        })
    );
}

#[tokio::test]
async fn hottask_vendor_patch_merges_with_name() {
    // The generated type requires serialNumber; the bot's own id is accepted.
    let extra = hottask_body(json!({
        "serialNumber": HOTTASK_SERIAL,
        "RateLimitCount": 20,
        "RateLimitMessage": "Too many messages in a row",
        "RateLimitTime": 240
    }));
    let patch = ChatbotPatch::new().name("NewName").vendor_patch(extra);
    let sent = sent_body(Vendor::HotTask, &patch).await;
    assert_eq!(
        sent,
        json!({
            "serialNumber": HOTTASK_SERIAL,
            "Name": "NewName",
            "RateLimitCount": 20,
            "RateLimitMessage": "Too many messages in a row",
            "RateLimitTime": 240
        })
    );
}

#[tokio::test]
async fn hottask_vendor_patch_with_an_empty_serial_number_takes_the_bot_ref() {
    let extra = hottask_body(json!({"serialNumber": "", "RateLimitCount": 20}));
    let patch = ChatbotPatch::new().name("NewName").vendor_patch(extra);
    let sent = sent_body(Vendor::HotTask, &patch).await;
    assert_eq!(
        sent,
        json!({"serialNumber": HOTTASK_SERIAL, "Name": "NewName", "RateLimitCount": 20})
    );
}

#[tokio::test]
async fn a_vendor_patch_alone_is_sent_as_is() {
    let extra = converza::types::UpdateBotRequest {
        break_lines: Some(true),
        ..Default::default()
    };
    let sent = sent_body(Vendor::Converza, &ChatbotPatch::new().vendor_patch(extra)).await;
    assert_eq!(sent, json!({"break_lines": true}));
}

// ------------------------------------------------------------ 3. refusals

/// Applies `patch` to `bot` against a server that must receive nothing,
/// and returns the refusal.
async fn refused(bot: &BotRef, patch: &ChatbotPatch) -> Error {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named("nothing may reach the vendor")
        .mount(&server)
        .await;
    let err = facade(bot.vendor, &server)
        .update(bot, patch)
        .await
        .expect_err("refused");
    assert_nothing_sent(&server, &err).await;
    assert_eq!(err.vendor(), Some(bot.vendor), "{err}");
    assert_eq!(err.status(), None, "{err}");
    err
}

async fn assert_nothing_sent(server: &MockServer, err: &Error) {
    let got = received(server).await;
    assert!(
        got.is_empty(),
        "{err}: requests reached the server: {:?}",
        got.iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect::<Vec<_>>()
    );
    assert!(err.to_string().contains("nothing sent"), "{err}");
}

fn invalid(field: &str, rule: &str) -> ErrorKind {
    ErrorKind::InvalidInput {
        field: field.into(),
        rule: rule.into(),
    }
}

/// A patch setting `field` to a value every vendor supporting it accepts.
fn patch_with(field: Field) -> ChatbotPatch {
    let p = ChatbotPatch::new();
    match field {
        Field::Name => p.name("n"),
        Field::Description => p.description("d"),
        Field::Instructions => p.instructions("i"),
        Field::Model => p.model("puretalk-plg"),
        Field::Temperature => p.temperature(1.0),
        Field::Greeting => p.greeting("g"),
        Field::Language => p.language("en"),
        Field::Timezone => p.timezone("Europe/Berlin"),
        _ => unreachable!("new field: extend this test"),
    }
}

#[tokio::test]
async fn every_unsupported_field_is_refused_without_a_request() {
    for vendor in vendors("every_unsupported_field_is_refused_without_a_request") {
        let supported = supported_fields(vendor);
        for field in Field::ALL.into_iter().filter(|f| !supported.contains(f)) {
            let err = refused(&bot(vendor), &patch_with(field)).await;
            assert_eq!(
                err.kind(),
                &ErrorKind::Unsupported {
                    field: field.name().into()
                },
                "{vendor} × {field}: {err}"
            );
            assert_eq!(
                err.message(),
                format!("{vendor} does not support `{field}`"),
                "{vendor} × {field}"
            );
        }
    }
}

#[tokio::test]
async fn named_unsupported_examples_are_refused() {
    for (vendor, patch, field) in [
        (Vendor::StreamSkill, ChatbotPatch::new().name("n"), "name"),
        (
            Vendor::Converza,
            ChatbotPatch::new().greeting("g"),
            "greeting",
        ),
        (
            Vendor::PureTalk,
            ChatbotPatch::new().description("d"),
            "description",
        ),
        (
            Vendor::OkChat,
            ChatbotPatch::new().temperature(0.5),
            "temperature",
        ),
        (
            Vendor::HotTask,
            ChatbotPatch::new().model("gpt-4o"),
            "model",
        ),
    ] {
        let err = refused(&bot(vendor), &patch).await;
        assert_eq!(
            err.kind(),
            &ErrorKind::Unsupported {
                field: field.into()
            },
            "{vendor}: {err}"
        );
    }
}

#[tokio::test]
async fn an_unsupported_field_next_to_supported_ones_refuses_the_whole_patch() {
    let patch = ChatbotPatch::new()
        .name("Ava")
        .instructions("Be brief.")
        .description("not a PureTalk field");
    let err = refused(&bot(Vendor::PureTalk), &patch).await;
    assert_eq!(
        err.kind(),
        &ErrorKind::Unsupported {
            field: "description".into()
        }
    );
}

#[tokio::test]
async fn converza_temperature_outside_0_to_2_is_refused() {
    for (t, shown) in [(2.5, "2.5"), (-0.1, "-0.1"), (2.01, "2.01")] {
        let err = refused(&bot(Vendor::Converza), &ChatbotPatch::new().temperature(t)).await;
        assert_eq!(
            err.kind(),
            // The spec's `number` bounds come out of the generated schema
            // as floats.
            &invalid(
                "temperature",
                &format!("must be between 0.0 and 2.0 (got {shown})")
            ),
            "{err}"
        );
    }
}

#[tokio::test]
async fn converza_temperature_bounds_are_accepted() {
    for t in [0.0, 2.0] {
        let sent = sent_body(Vendor::Converza, &ChatbotPatch::new().temperature(t)).await;
        assert_eq!(sent, json!({"temperature": t}));
    }
}

#[tokio::test]
async fn converza_chat_model_level_3_is_refused() {
    let extra = converza::types::UpdateBotRequest {
        chat_model_level: Some(3),
        ..Default::default()
    };
    let patch = ChatbotPatch::new().name("n").vendor_patch(extra);
    let err = refused(&bot(Vendor::Converza), &patch).await;
    assert_eq!(
        err.kind(),
        &invalid("chat_model_level", "must be between 0 and 2 (got 3)"),
        "{err}"
    );
}

/// StreamSkill's `count` and `interval` are `NonZeroU64` in the generated
/// body, so a zero cannot even be put into a vendor patch: the refusal
/// happens at compile time (or when decoding JSON into the type).
#[test]
fn streamskill_zero_count_or_interval_cannot_be_built() {
    assert_eq!(NonZeroU64::new(0), None);
    for zero in [json!({"count": 0}), json!({"interval": 0})] {
        let decoded =
            serde_json::from_value::<streamskill::types::EditAiChatbotsObject>(zero.clone());
        assert!(decoded.is_err(), "{zero} decoded as {decoded:?}");
    }
}

fn streamskill_patch(count: Option<u64>, interval: Option<u64>) -> ChatbotPatch {
    ChatbotPatch::new().vendor_patch(streamskill::types::EditAiChatbotsObject {
        count: count.and_then(NonZeroU64::new),
        interval: interval.and_then(NonZeroU64::new),
        language: None,
    })
}

#[tokio::test]
async fn streamskill_interval_above_60_is_refused() {
    let err = refused(
        &bot(Vendor::StreamSkill),
        &streamskill_patch(None, Some(61)),
    )
    .await;
    assert_eq!(
        err.kind(),
        &invalid("interval", "must be between 1 and 60 (got 61)"),
        "{err}"
    );
}

#[tokio::test]
async fn streamskill_interval_below_ceil_60_over_count_is_refused() {
    for (count, interval, minimum) in [(10, 5, 6), (7, 8, 9), (1, 59, 60)] {
        let err = refused(
            &bot(Vendor::StreamSkill),
            &streamskill_patch(Some(count), Some(interval)),
        )
        .await;
        assert_eq!(
            err.kind(),
            &invalid(
                "interval",
                &format!(
                    "must be at least ceil(60 / count) = {minimum} for count {count} (got {interval})"
                )
            ),
            "{err}"
        );
    }
}

#[tokio::test]
async fn streamskill_interval_at_ceil_60_over_count_is_accepted() {
    for (count, interval) in [(7, 9), (1, 60), (100, 1)] {
        let sent = sent_body(
            Vendor::StreamSkill,
            &streamskill_patch(Some(count), Some(interval)),
        )
        .await;
        assert_eq!(sent, json!({"count": count, "interval": interval}));
    }
}

#[tokio::test]
async fn hottask_fractional_temperature_is_refused_not_rounded() {
    let err = refused(&bot(Vendor::HotTask), &ChatbotPatch::new().temperature(0.5)).await;
    assert_eq!(
        err.kind(),
        &invalid(
            "temperature",
            "must be a whole number: hottask takes an integer (got 0.5); it is not rounded"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn hottask_unknown_language_code_is_refused_not_guessed() {
    let err = refused(&bot(Vendor::HotTask), &ChatbotPatch::new().language("xx")).await;
    assert_eq!(
        err.kind(),
        &invalid(
            "language",
            "must be an ISO 639-1 code hottask has a language name for (got `xx`); \
             set `AIResponseLanguage` in the vendor patch for others"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn puretalk_model_outside_its_enum_is_refused() {
    let err = refused(&bot(Vendor::PureTalk), &ChatbotPatch::new().model("gpt-4")).await;
    assert_eq!(
        err.kind(),
        &invalid("model", r#"must be one of "puretalk-plg" (got "gpt-4")"#),
        "{err}"
    );
}

/// Each vendor's patch (its spec's example update body) sent to the bot of
/// the next vendor in order (the last to the first's).
#[tokio::test]
async fn a_vendor_patch_for_another_vendor_is_refused() {
    let vendors = vendors("a_vendor_patch_for_another_vendor_is_refused");
    let patches: Vec<VendorPatch> = vendors
        .iter()
        .map(|&other| {
            let example = case(other)
                .update()
                .request_example()
                .unwrap_or_else(|| panic!("{other}: no example update body"));
            VendorPatch::from_json(other, example.as_object().expect("an object"))
                .unwrap_or_else(|e| panic!("{other}: its example update body: {e}"))
        })
        .collect();
    assert!(vendors.len() > 1, "two vendors at least: {vendors:?}");
    for (i, &vendor) in vendors.iter().enumerate() {
        let extra = &patches[(i + 1) % patches.len()];
        let other = extra.vendor();
        assert_ne!(other, vendor);
        // With and without a shared field next to it.
        for patch in [
            ChatbotPatch::new().vendor_patch(extra.clone()),
            patch_with(supported_fields(vendor)[0]).vendor_patch(extra.clone()),
        ] {
            let err = refused(&bot(vendor), &patch).await;
            assert_eq!(
                err.kind(),
                &invalid(
                    "vendor",
                    &format!("the vendor patch is for {other}, the bot is at {vendor}")
                ),
                "{vendor}: {err}"
            );
        }
    }
}

#[tokio::test]
async fn the_same_field_set_twice_is_refused() {
    let cases: Vec<(Vendor, ChatbotPatch, &str, &str)> = vec![
        (
            Vendor::StreamSkill,
            ChatbotPatch::new().language("en").vendor_patch(
                streamskill::types::EditAiChatbotsObject {
                    language: Some("ru".into()),
                    ..Default::default()
                },
            ),
            "language",
            "language",
        ),
        (
            Vendor::Converza,
            ChatbotPatch::new()
                .name("a")
                .vendor_patch(converza::types::UpdateBotRequest {
                    name: Some("a".into()),
                    ..Default::default()
                }),
            "name",
            "name",
        ),
        (
            Vendor::Converza,
            ChatbotPatch::new()
                .temperature(1.0)
                .vendor_patch(converza::types::UpdateBotRequest {
                    temperature: Some(0.5),
                    ..Default::default()
                }),
            "temperature",
            "temperature",
        ),
        (
            Vendor::OkChat,
            ChatbotPatch::new().description("a").vendor_patch(
                okchat::types::UpdateChatbotRequest {
                    description: Some("b".into()),
                    ..Default::default()
                },
            ),
            "description",
            "description",
        ),
        (
            Vendor::PureTalk,
            ChatbotPatch::new().greeting("a").vendor_patch(
                puretalk::types::UpdateAssistantRequest {
                    begin_message: Some("b".into()),
                    ..Default::default()
                },
            ),
            "greeting",
            "begin_message",
        ),
        (
            Vendor::HotTask,
            ChatbotPatch::new().name("a").vendor_patch(hottask_body(
                json!({"serialNumber": HOTTASK_SERIAL, "Name": "b"}),
            )),
            "name",
            "Name",
        ),
        (
            Vendor::HotTask,
            ChatbotPatch::new()
                .language("es")
                .vendor_patch(hottask_body(
                    json!({"serialNumber": HOTTASK_SERIAL, "AIResponseLanguage": "Spanish"}),
                )),
            "language",
            "AIResponseLanguage",
        ),
    ];
    for (vendor, patch, field, vendor_name) in cases {
        let err = refused(&bot(vendor), &patch).await;
        assert_eq!(
            err.kind(),
            &invalid(
                field,
                &format!("is set twice: in the patch and as `{vendor_name}` in the vendor patch")
            ),
            "{vendor}: {err}"
        );
    }
}

/// A nested field set twice is refused too (the refusal itself works).
#[tokio::test]
async fn okchat_nested_settings_field_set_twice_is_refused() {
    let patch =
        ChatbotPatch::new()
            .instructions("a")
            .vendor_patch(okchat::types::UpdateChatbotRequest {
                settings: Some(okchat::types::ChatbotSettingsInput {
                    prompt: Some("b".into()),
                    ..Default::default()
                }),
                ..Default::default()
            });
    let err = refused(&bot(Vendor::OkChat), &patch).await;
    let ErrorKind::InvalidInput { field, rule } = err.kind() else {
        panic!("not InvalidInput: {err}");
    };
    assert_eq!(field, "instructions");
    assert!(
        rule.starts_with("is set twice: in the patch and as `settings"),
        "{rule}"
    );
}

/// The vendor field should be named as everywhere else (the capability
/// table, the spec validator): `settings.prompt`.
#[tokio::test]
async fn okchat_nested_field_set_twice_names_it_settings_dot_prompt() {
    let patch =
        ChatbotPatch::new()
            .instructions("a")
            .vendor_patch(okchat::types::UpdateChatbotRequest {
                settings: Some(okchat::types::ChatbotSettingsInput {
                    prompt: Some("b".into()),
                    ..Default::default()
                }),
                ..Default::default()
            });
    let err = refused(&bot(Vendor::OkChat), &patch).await;
    assert_eq!(
        err.kind(),
        &invalid(
            "instructions",
            "is set twice: in the patch and as `settings.prompt` in the vendor patch"
        )
    );
}

#[tokio::test]
async fn an_empty_patch_is_refused_at_every_vendor() {
    for vendor in vendors("an_empty_patch_is_refused_at_every_vendor") {
        let err = refused(&bot(vendor), &ChatbotPatch::new()).await;
        assert_eq!(
            err.kind(),
            &invalid("(patch)", "changes nothing: set at least one field"),
            "{vendor}: {err}"
        );
    }
}

/// A vendor patch that sets nothing changes nothing either: each vendor's
/// empty update body (with the bot id alone where it goes in the body).
#[tokio::test]
async fn an_empty_vendor_patch_is_refused_like_an_empty_patch() {
    for vendor in vendors("an_empty_vendor_patch_is_refused_like_an_empty_patch") {
        let case = case(vendor);
        let mut empty = json!({});
        if let Some(property) = case.facts.id_in_body {
            let mut at = &mut empty;
            for name in property {
                at = &mut at[*name];
            }
            *at = json!(case.bot);
        }
        let extra = VendorPatch::from_json(vendor, empty.as_object().expect("an object"))
            .unwrap_or_else(|e| panic!("{vendor}: the empty body: {e}"));
        let err = refused(&bot(vendor), &ChatbotPatch::new().vendor_patch(extra)).await;
        assert_eq!(
            err.kind(),
            &invalid("(patch)", "changes nothing: set at least one field"),
            "{vendor}: {err}"
        );
    }
}

#[tokio::test]
async fn hottask_serial_number_differing_from_the_bot_is_refused() {
    let extra = hottask_body(json!({"serialNumber": "another-bot", "RateLimitCount": 20}));
    let err = refused(
        &bot(Vendor::HotTask),
        &ChatbotPatch::new().name("n").vendor_patch(extra),
    )
    .await;
    assert_eq!(
        err.kind(),
        &invalid(
            "serialNumber",
            "differs from the bot id; leave it out of the vendor patch"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn bad_ids_are_refused_before_sending_an_update() {
    for (vendor, id, field, rule) in [
        (
            Vendor::StreamSkill,
            "abc",
            "orderId",
            "must be an integer order id (got `abc`)",
        ),
        (
            Vendor::StreamSkill,
            "12.5",
            "orderId",
            "must be an integer order id (got `12.5`)",
        ),
        (
            Vendor::Converza,
            "not-a-uuid",
            "id",
            "must be a UUID (got `not-a-uuid`)",
        ),
        (Vendor::OkChat, "42", "id", "must be a UUID (got `42`)"),
    ] {
        let patch = patch_with(supported_fields(vendor)[0]);
        let err = refused(&BotRef::new(vendor, id), &patch).await;
        assert_eq!(err.kind(), &invalid(field, rule), "{vendor} `{id}`: {err}");
    }
}

#[tokio::test]
async fn bad_ids_are_refused_before_sending_a_get() {
    for (vendor, id, field, rule) in [
        (
            Vendor::StreamSkill,
            "abc",
            "orderId",
            "must be an integer order id (got `abc`)",
        ),
        (
            Vendor::Converza,
            "not-a-uuid",
            "id",
            "must be a UUID (got `not-a-uuid`)",
        ),
        (
            Vendor::OkChat,
            "42",
            "chatbotId",
            "must be a UUID (got `42`)",
        ),
        (
            Vendor::PureTalk,
            "assistant-1",
            "assistant_id",
            "must be a UUID (got `assistant-1`)",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&server)
            .await;
        let err = facade(vendor, &server)
            .get(&BotRef::new(vendor, id))
            .await
            .expect_err("refused");
        assert_nothing_sent(&server, &err).await;
        assert_eq!(err.kind(), &invalid(field, rule), "{vendor} `{id}`: {err}");
        assert_eq!(err.vendor(), Some(vendor));
    }
}

// ------------------------------------------------------- 4. get and list

/// Mounts `GET at` answering `answer` (plus the vendor's token exchange).
async fn mount_read(vendor: Vendor, server: &MockServer, at: &str, answer: Value) {
    if let Some(exchange) = &case(vendor).token_path {
        mount_token(server, exchange).await;
    }
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(json_response(answer))
        .expect(1)
        .mount(server)
        .await;
}

/// The one read request: GET, the expected path, the vendor's auth.
async fn assert_read_request(vendor: Vendor, server: &MockServer, at: &str) {
    let calls = calls(server).await;
    assert_eq!(calls.len(), 1, "{vendor}: exactly one read request");
    assert_eq!(calls[0].method.as_str(), "GET");
    assert_eq!(calls[0].url.path(), at);
    assert_auth(vendor, &calls[0]);
}

/// The shared fields of a `Chatbot`, in `Field::ALL` order.
fn shared(bot: &Chatbot) -> Vec<Option<String>> {
    Field::ALL.into_iter().map(|f| bot.field(f)).collect()
}

fn purchase(id: i64, order_type: &str) -> Value {
    json!({
        "id": id,
        "price": 12.5,
        "currency": "usd",
        "created_at": 1716681599,
        "order_type": order_type,
        "channel": "somechannel",
        "status": "working",
        "service": "twitch",
        "parent": false,
        "api": true,
        "chatbot": false,
        "tarif": 7
    })
}

#[tokio::test]
async fn streamskill_get_reads_the_purchase() {
    let server = MockServer::start().await;
    let at = format!("/purchases/{ORDER_ID}");
    let order = purchase(12345, "ai_chatbots");
    mount_read(Vendor::StreamSkill, &server, &at, order.clone()).await;
    let got = facade(Vendor::StreamSkill, &server)
        .get(&bot(Vendor::StreamSkill))
        .await
        .expect("get");
    assert_read_request(Vendor::StreamSkill, &server, &at).await;
    assert_eq!(got.bot, bot(Vendor::StreamSkill));
    // A purchase reports none of the shared settings.
    assert_eq!(shared(&got), vec![None; Field::ALL.len()]);
    assert_eq!(got.raw, order);
}

#[tokio::test]
async fn streamskill_list_keeps_only_ai_chatbots_orders() {
    let server = MockServer::start().await;
    let mut untyped = purchase(4, "ai_chatbots");
    untyped.as_object_mut().unwrap().remove("order_type");
    let orders = json!([
        purchase(1, "ai_chatbots"),
        purchase(2, "twitch_viewers"),
        purchase(3, "ai_chatbots"),
        purchase(5, "chatbots"),
        untyped
    ]);
    mount_read(Vendor::StreamSkill, &server, "/purchases", orders.clone()).await;
    let got = facade(Vendor::StreamSkill, &server)
        .list(Vendor::StreamSkill)
        .await
        .expect("list");
    assert_read_request(Vendor::StreamSkill, &server, "/purchases").await;
    let ids: Vec<String> = got.iter().map(|b| b.bot.to_string()).collect();
    assert_eq!(ids, ["streamskill:1", "streamskill:3"]);
    assert_eq!(got[0].raw, orders[0]);
    assert_eq!(got[1].raw, orders[2]);
    assert!(
        got.iter()
            .all(|b| shared(b) == vec![None; Field::ALL.len()])
    );
}

fn converza_bot(id: &str, name: &str, temperature: f64) -> Value {
    json!({
        "id": id,
        "team_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "name": name,
        "role": "support",
        "description": "Lida com consultas de suporte ao cliente",
        "openai_id": "asst_abc123",
        "vector_id": "vs_abc123",
        "instructions": "Seja útil.",
        "temperature": temperature,
        "published": true,
        "allow_human": true,
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z"
    })
}

#[tokio::test]
async fn converza_get_reads_the_bot_detail() {
    let server = MockServer::start().await;
    let at = format!("/api/openapi/v1/bots/{CONVERZA_BOT}");
    let mut detail = converza_bot(CONVERZA_BOT, "Bot de Suporte", 0.7);
    let extra = json!({
        "questions": [{"question": "Horário?", "answer": "9h às 18h"}],
        "actions": [{
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "name": "lookup", "description": "Looks up", "endpoint": "https://example.invalid/x",
            "method": "GET", "headers": {"key": "k", "value": "v"},
            "body": [{"key": "a", "value": "b", "type": "string"}]
        }],
        "documents": [{"document_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "bot_id": CONVERZA_BOT}]
    });
    detail
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    mount_read(
        Vendor::Converza,
        &server,
        &at,
        json!({"success": true, "data": detail}),
    )
    .await;
    let got = facade(Vendor::Converza, &server)
        .get(&bot(Vendor::Converza))
        .await
        .expect("get");
    assert_read_request(Vendor::Converza, &server, &at).await;
    assert_eq!(got.bot, bot(Vendor::Converza));
    assert_eq!(got.name.as_deref(), Some("Bot de Suporte"));
    assert_eq!(
        got.description.as_deref(),
        Some("Lida com consultas de suporte ao cliente")
    );
    assert_eq!(got.instructions.as_deref(), Some("Seja útil."));
    assert_eq!(got.temperature, Some(0.7));
    assert_eq!(got.model, None);
    assert_eq!(got.greeting, None);
    assert_eq!(got.language, None);
    assert_eq!(got.timezone, None);
    // raw is the bot inside the envelope, not the envelope.
    assert_eq!(got.raw, detail);
}

#[tokio::test]
async fn converza_list_reads_data_bots() {
    let server = MockServer::start().await;
    let second = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let bots = json!([
        converza_bot(CONVERZA_BOT, "Suporte", 0.7),
        converza_bot(second, "Vendas", 1.2)
    ]);
    mount_read(
        Vendor::Converza,
        &server,
        "/api/openapi/v1/bots",
        json!({
            "success": true,
            "data": {
                "bots": bots,
                "pagination": {"page": 1, "limit": 20, "total": 2, "totalPages": 1}
            }
        }),
    )
    .await;
    let got = facade(Vendor::Converza, &server)
        .list(Vendor::Converza)
        .await
        .expect("list");
    assert_read_request(Vendor::Converza, &server, "/api/openapi/v1/bots").await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].bot, BotRef::new(Vendor::Converza, CONVERZA_BOT));
    assert_eq!(got[1].bot, BotRef::new(Vendor::Converza, second));
    assert_eq!(got[0].name.as_deref(), Some("Suporte"));
    assert_eq!(got[1].name.as_deref(), Some("Vendas"));
    assert_eq!(got[1].temperature, Some(1.2));
    assert_eq!(got[0].raw, bots[0]);
    assert_eq!(got[1].raw, bots[1]);
}

fn okchat_bot(id: &str, name: &str) -> Value {
    json!({
        "active": true,
        "created_at": "2025-01-22T04:30:45.790337+00:00",
        "description": "A helpful support assistant",
        "id": id,
        "is_public": false,
        "migrated_data": false,
        "name": name,
        "organization_id": "123042b2-86e2-4184-a86e-95423d728815",
        "personality_config": {"style": "Friendly", "tone": "Professional"},
        "settings": {
            "greeting": "Hello! How can I assist you today?",
            "isRequestUserInfoEnabled": false,
            "isToolEnabled": true,
            "model": "gpt-4o-mini",
            "prompt": "You are a customer support assistant.",
            "snippet": {"header": "Customer Support", "primaryColor": "#4F46E5"}
        },
        "slug": "api-docs-demo-chatbot",
        "updated_at": "2025-01-22T04:30:45.790337+00:00"
    })
}

#[tokio::test]
async fn okchat_get_reads_the_chatbot_and_its_settings() {
    let server = MockServer::start().await;
    let at = format!("/api/external/chatbot/{OKCHAT_BOT}");
    let chatbot = okchat_bot(OKCHAT_BOT, "API Docs Demo Chatbot");
    mount_read(
        Vendor::OkChat,
        &server,
        &at,
        json!({"chatbot": chatbot, "message": "ok"}),
    )
    .await;
    let got = facade(Vendor::OkChat, &server)
        .get(&bot(Vendor::OkChat))
        .await
        .expect("get");
    assert_read_request(Vendor::OkChat, &server, &at).await;
    assert_eq!(got.bot, bot(Vendor::OkChat));
    assert_eq!(got.name.as_deref(), Some("API Docs Demo Chatbot"));
    assert_eq!(
        got.description.as_deref(),
        Some("A helpful support assistant")
    );
    assert_eq!(
        got.instructions.as_deref(),
        Some("You are a customer support assistant.")
    );
    assert_eq!(got.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        got.greeting.as_deref(),
        Some("Hello! How can I assist you today?")
    );
    assert_eq!(got.temperature, None);
    assert_eq!(got.language, None);
    assert_eq!(got.timezone, None);
    assert_eq!(got.raw, chatbot);
}

#[tokio::test]
async fn okchat_list_reads_chatbots() {
    let server = MockServer::start().await;
    let second = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    let bots = json!([okchat_bot(OKCHAT_BOT, "One"), okchat_bot(second, "Two")]);
    mount_read(
        Vendor::OkChat,
        &server,
        "/api/external/chatbots",
        json!({"chatbots": bots}),
    )
    .await;
    let got = facade(Vendor::OkChat, &server)
        .list(Vendor::OkChat)
        .await
        .expect("list");
    assert_read_request(Vendor::OkChat, &server, "/api/external/chatbots").await;
    let names: Vec<_> = got
        .iter()
        .map(|b| (b.bot.clone(), b.name.clone()))
        .collect();
    assert_eq!(
        names,
        [
            (BotRef::new(Vendor::OkChat, OKCHAT_BOT), Some("One".into())),
            (BotRef::new(Vendor::OkChat, second), Some("Two".into()))
        ]
    );
    assert_eq!(got[1].model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(got[0].raw, bots[0]);
    assert_eq!(got[1].raw, bots[1]);
}

fn puretalk_assistant(assistant_id: &str, name: &str) -> Value {
    json!({
        "id": 17,
        "assistant_id": assistant_id,
        "name": name,
        "prompt": "Hello, how are you?",
        "model": "gpt-3.5-turbo",
        "who_speaks_first": "assistant",
        "begin_message": "Hi, this is Ava.",
        "assistant_type": "single_prompt",
        "timezone": "America/New_York",
        "voice_stability": 0.5,
        "voice_stream_latency_optimization": 2,
        "voice_boost": false,
        "call_recording_enabled": true,
        "chatbot_whitelisted_domains": ["example.com"],
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z",
        "voice": {"voice_id": "v1", "name": "Ava", "is_cloned": false}
    })
}

#[tokio::test]
async fn puretalk_get_reads_the_assistant() {
    let server = MockServer::start().await;
    let at = format!("/ai-assistants/{PURETALK_ASSISTANT}");
    let assistant = puretalk_assistant(PURETALK_ASSISTANT, "My AI Assistant");
    mount_read(
        Vendor::PureTalk,
        &server,
        &at,
        json!({"msg": "AI Assistant", "err": false, "results": assistant}),
    )
    .await;
    let got = facade(Vendor::PureTalk, &server)
        .get(&bot(Vendor::PureTalk))
        .await
        .expect("get");
    assert_read_request(Vendor::PureTalk, &server, &at).await;
    // The id is `assistant_id`, not the numeric `id`.
    assert_eq!(got.bot, bot(Vendor::PureTalk));
    assert_eq!(got.name.as_deref(), Some("My AI Assistant"));
    assert_eq!(got.instructions.as_deref(), Some("Hello, how are you?"));
    assert_eq!(got.model.as_deref(), Some("gpt-3.5-turbo"));
    assert_eq!(got.greeting.as_deref(), Some("Hi, this is Ava."));
    assert_eq!(got.timezone.as_deref(), Some("America/New_York"));
    assert_eq!(got.description, None);
    assert_eq!(got.temperature, None);
    assert_eq!(got.language, None);
    assert_eq!(got.raw, assistant);
}

#[tokio::test]
async fn puretalk_list_reads_the_page_results() {
    let server = MockServer::start().await;
    let second = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    let assistants = json!([
        puretalk_assistant(PURETALK_ASSISTANT, "One"),
        puretalk_assistant(second, "Two")
    ]);
    mount_read(
        Vendor::PureTalk,
        &server,
        "/ai-assistants",
        json!({"count": 2, "next": null, "previous": null, "results": assistants}),
    )
    .await;
    let got = facade(Vendor::PureTalk, &server)
        .list(Vendor::PureTalk)
        .await
        .expect("list");
    assert_read_request(Vendor::PureTalk, &server, "/ai-assistants").await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].bot,
        BotRef::new(Vendor::PureTalk, PURETALK_ASSISTANT)
    );
    assert_eq!(got[1].bot, BotRef::new(Vendor::PureTalk, second));
    assert_eq!(got[1].name.as_deref(), Some("Two"));
    assert_eq!(got[0].raw, assistants[0]);
    assert_eq!(got[1].raw, assistants[1]);
}

#[tokio::test]
async fn hottask_get_and_list_are_unsupported_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let bots = facade(Vendor::HotTask, &server);
    let err = bots.get(&bot(Vendor::HotTask)).await.expect_err("no get");
    assert_nothing_sent(&server, &err).await;
    assert_eq!(
        err.kind(),
        &ErrorKind::Unsupported {
            field: "get".into()
        }
    );
    assert_eq!(err.vendor(), Some(Vendor::HotTask));
    assert_eq!(err.message(), "hottask does not support `get`");

    let err = bots.list(Vendor::HotTask).await.expect_err("no list");
    assert_nothing_sent(&server, &err).await;
    assert_eq!(
        err.kind(),
        &ErrorKind::Unsupported {
            field: "list".into()
        }
    );
    assert_eq!(err.vendor(), Some(Vendor::HotTask));
    assert_eq!(err.message(), "hottask does not support `list`");
}

/// Every property of a request body is checked whatever its name — also
/// one named like a schema keyword (`description`) — and integers are
/// counted by value, as JSON Schema does.
#[test]
fn update_body_schemas_check_every_property_and_count_integers_by_value() {
    let okchat = okchat::request_body_schema("update_chatbot")
        .expect("OKChat's update schema compiles")
        .expect("OKChat's update schema");
    let found = okchat.validate(&json!({"description": {}}));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "description");
    assert_eq!(found[0].rule, "must be a string (got an object)");

    let converza = converza::request_body_schema("update_bot")
        .expect("Converza's update schema compiles")
        .expect("Converza's update schema");
    let found = converza.validate(&json!({"actions": [{"description": {"x": 1}}]}));
    assert!(
        found.iter().any(|v| v.field == "actions[0].description"),
        "{found:?}"
    );

    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("JSON");
    assert_eq!(
        converza.validate(&parse(r#"{"chat_model_level": 1.0}"#)),
        []
    );
    let found = converza.validate(&parse(r#"{"chat_model_level": 3.0}"#));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "chat_model_level");
    assert!(
        found[0].rule.starts_with("must be between 0 and 2"),
        "{found:?}"
    );
}
