//! Request-overhead benchmark support (`cargo xtask bench`).
//!
//! For each vendor's seed operation the same request is sent three ways:
//!
//! - [`Way::Sdk`] (a): the generated vendor client's builder call;
//! - [`Way::Raw`] (b): a hand-written `reqwest` call with the same method,
//!   path, headers and JSON body, on a `reqwest::Client` built with the
//!   SDK's settings ([`chatbots_runtime::ClientConfig::http_client`]). It
//!   serializes the same request struct and decodes the answer into the
//!   same response struct, so that the difference to (a) is the SDK's own
//!   machinery (builder, hooks, retries, tracing, error handling), not serde;
//! - [`Way::Facade`] (c): [`chatbots::Chatbots::update`] with a
//!   [`ChatbotPatch`] that produces the same body.
//!
//! Both (a) and (b) clone their body per request (the builder takes it by
//! value; a caller builds a fresh body per request either way).
//!
//! The answers come from [`serve`], a minimal HTTP/1.1 server on loopback
//! that returns a fixed, realistic success body per seed endpoint, at once
//! or after a fixed latency (a vendor answers in tens to hundreds of
//! milliseconds: with [`SERVER_LATENCY`], throughput at 64 in flight shows
//! whether the client's own cost matters to a user at all).
//! [`check_identical`] asserts once that (a), (b) and (c) put the same
//! bytes on the wire.

#![recursion_limit = "256"]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod memory;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chatbots::{BotRef, ChatbotPatch, Chatbots, Vendor};
use chatbots_runtime::{ClientConfig, Pacing, SecretString};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The vendors the bench has seed data for, in table order. A vendor
/// added to `specs/` is not benchmarked until it has seed data here;
/// [`Target::new`] refuses it.
pub const VENDORS: [Vendor; 5] = [
    Vendor::StreamSkill,
    Vendor::Converza,
    Vendor::OkChat,
    Vendor::PureTalk,
    Vendor::HotTask,
];

/// The server latency of the throughput column that users feel: 20 ms on
/// average, each answer after 10 to 30 ms. A vendor's latency varies from
/// request to request; one fixed latency would answer all 64 requests in
/// flight in the same tick of the server's 1 ms timer, and the last of each
/// burst would wait for the client to decode the 63 before it, a queue that
/// requests to a vendor do not form.
pub const SERVER_LATENCY: Latency = Latency {
    min: Duration::from_millis(10),
    max: Duration::from_millis(30),
};

/// How long the bench server waits before it answers: each answer after a
/// time spread evenly over `min..=max` (the same sequence of times in every
/// run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// The shortest wait.
    pub min: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Latency {
    /// Answers at once.
    pub const NONE: Latency = Latency::fixed(Duration::ZERO);

    /// Every answer after `wait`.
    pub const fn fixed(wait: Duration) -> Latency {
        Latency {
            min: wait,
            max: wait,
        }
    }

    /// The average wait.
    pub fn mean(self) -> Duration {
        (self.min + self.max) / 2
    }

    /// The wait before the `n`th answer: `min` plus an evenly spread share
    /// of `max - min` (splitmix64 of `n`, so no random number generator).
    fn nth(self, n: u64) -> Duration {
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let share = (z >> 11) as f64 / (1u64 << 53) as f64;
        self.min + (self.max - self.min).mul_f64(share)
    }
}

/// Answers served so far, by every server of the process: numbers the
/// latency of each answer.
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// The error for a vendor that is not in [`VENDORS`].
fn not_benched(vendor: Vendor) -> String {
    format!("{vendor}: the bench has no seed request for this vendor")
}

/// One way of sending the seed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// (a) the generated client's builder call.
    Sdk,
    /// (b) a hand-written `reqwest` + `serde_json` call.
    Raw,
    /// (c) the facade's `Chatbots::update`.
    Facade,
}

impl Way {
    /// Every way, in table order.
    pub const ALL: [Way; 3] = [Way::Sdk, Way::Raw, Way::Facade];

    /// The short name used on command lines and in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Way::Sdk => "sdk",
            Way::Raw => "raw",
            Way::Facade => "facade",
        }
    }

    /// Parses `sdk`/`a`, `raw`/`b`, `facade`/`c`.
    pub fn parse(s: &str) -> Option<Way> {
        match s {
            "sdk" | "a" => Some(Way::Sdk),
            "raw" | "b" => Some(Way::Raw),
            "facade" | "c" => Some(Way::Facade),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------ data

const STREAMSKILL_TOKEN: &str = "ss-bench-token-7f3a9c1e";
const STREAMSKILL_ORDER: i64 = 12345;

const CONVERZA_KEY_ID: &str = "cvz_key_bench4242";
const CONVERZA_KEY_SECRET: &str = "cvz_secret_bench-9f8e7d";
const CONVERZA_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.bench-payload.bench-signature";
const CONVERZA_BOT: &str = "770e8400-e29b-41d4-a716-446655440002";
const CONVERZA_TOKEN_PATH: &str = "/api/openapi/auth/token";

const OKCHAT_KEY: &str = "15a23c21867f4f38b0b46f5e4adb1caf87a040b34eb58f68";
const OKCHAT_BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";

const PURETALK_KEY: &str = "pt-bench-4f7c2a9e-secret";
const PURETALK_ASSISTANT: &str = "123e4567-e89b-12d3-a456-426614174000";

const HOTTASK_KEY: &str = "hk-live-7c1d0e5f9a2b4c6d8e0f";
const HOTTASK_SERIAL: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";

/// The seed request body of `vendor`'s update operation (as in
/// `crates/<vendor>/tests/api.rs`).
pub fn seed_request(vendor: Vendor) -> Result<Value, String> {
    Ok(match vendor {
        Vendor::StreamSkill => json!({ "language": "auto", "count": 50, "interval": 10 }),
        Vendor::Converza => json!({
            "name": "Bot de Suporte",
            "role": "support",
            "description": "Lida com consultas de suporte ao cliente",
            "instructions": "Answer politely and briefly.",
            "temperature": 1,
            "identification_name": "Suporte",
            "questions": [{"question": "Horário?", "answer": "9h às 18h"}],
            "document_ids": ["3c90c3cc-0d44-4b50-8888-8dd25736052a"],
            "allow_human": true,
            "actions": [{
                "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                "name": "lookup",
                "description": "Looks an order up",
                "endpoint": "https://example.com/orders",
                "method": "GET",
                "headers": {},
                "body": [{"key": "order", "value": "42", "type": "string"}]
            }],
            "use_audio_responses": true,
            "allow_user_audio_requests": true,
            "capture_payments": true,
            "break_lines": true,
            "chat_model_level": 1
        }),
        Vendor::OkChat => json!({
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
        }),
        Vendor::PureTalk => json!({
            "who_speaks_first": "assistant",
            "name": "My AI Assistant",
            "voice": 123,
            "prompt": "Hello, how are you?",
            "model": "puretalk-plg",
            "begin_message": "Hello, how are you?",
            "call_recording_enabled": true,
            "assistant_type": "single_prompt",
            "avatar": "https://example.com/avatar.png",
            "custom_knowledge_base": "kb-1",
            "timezone": "Europe/Berlin",
            "reminder_message_frequency": 123,
            "max_reminder_messages": 123,
            "voice_stability": "0.5",
            "voice_clarity_similarity": "0.5",
            "voice_stream_latency_optimization": 2,
            "voice_boost": false,
            "chatbot_logo": "https://example.com/logo.png",
            "chatbot_accent_color": "#4F46E5",
            "chatbot_faq": "none"
        }),
        Vendor::HotTask => json!({"serialNumber": HOTTASK_SERIAL, "Name": "NewName"}),
        #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
        other => return Err(not_benched(other)),
    })
}

/// The shared fields of the facade patch, per vendor; the rest of the seed
/// body goes into the vendor patch. Keys are the vendor's top-level body
/// keys that a shared field fills.
fn shared_keys(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::StreamSkill => &["language"],
        Vendor::Converza => &["name", "description", "instructions", "temperature"],
        Vendor::OkChat => &["name", "description"],
        Vendor::PureTalk => &["name", "prompt", "model", "begin_message", "timezone"],
        Vendor::HotTask => &["Name"],
        #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
        _ => &[],
    }
}

/// The facade patch that makes the same body as [`seed_request`].
pub fn seed_patch(vendor: Vendor) -> Result<ChatbotPatch, String> {
    use chatbots::{converza, okchat, puretalk, streamskill};
    let seed = seed_request(vendor)?;
    let text = |key: &str| seed[key].as_str().unwrap_or_default().to_string();
    let mut rest = seed.clone();
    if let Some(map) = rest.as_object_mut() {
        for key in shared_keys(vendor) {
            map.remove(*key);
        }
    }
    let p = ChatbotPatch::new();
    Ok(match vendor {
        Vendor::StreamSkill => p
            .language(text("language"))
            .vendor_patch(decode::<streamskill::types::EditAiChatbotsObject>(rest)),
        Vendor::Converza => p
            .name(text("name"))
            .description(text("description"))
            .instructions(text("instructions"))
            .temperature(seed["temperature"].as_f64().unwrap_or_default())
            .vendor_patch(decode::<converza::types::UpdateBotRequest>(rest)),
        Vendor::OkChat => {
            // The settings' prompt, model and greeting are shared fields too.
            let settings = &seed["settings"];
            if let Some(s) = rest["settings"].as_object_mut() {
                s.remove("prompt");
                s.remove("model");
                s.remove("greeting");
            }
            p.name(text("name"))
                .description(text("description"))
                .instructions(settings["prompt"].as_str().unwrap_or_default())
                .model(settings["model"].as_str().unwrap_or_default())
                .greeting(settings["greeting"].as_str().unwrap_or_default())
                .vendor_patch(decode::<okchat::types::UpdateChatbotRequest>(rest))
        }
        Vendor::PureTalk => p
            .name(text("name"))
            .instructions(text("prompt"))
            .model(text("model"))
            .greeting(text("begin_message"))
            .timezone(text("timezone"))
            .vendor_patch(decode::<puretalk::types::UpdateAssistantRequest>(rest)),
        // serialNumber comes from the BotRef; only the name is left.
        Vendor::HotTask => p.name(text("Name")),
        #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
        other => return Err(not_benched(other)),
    })
}

fn decode<T: DeserializeOwned>(value: Value) -> T {
    match serde_json::from_value(value) {
        Ok(t) => t,
        Err(e) => panic!("the bench's seed body does not fit the generated type: {e}"),
    }
}

/// The bot the seed request is about.
pub fn seed_bot(vendor: Vendor) -> Result<BotRef, String> {
    let id = match vendor {
        Vendor::StreamSkill => STREAMSKILL_ORDER.to_string(),
        Vendor::Converza => CONVERZA_BOT.into(),
        Vendor::OkChat => OKCHAT_BOT.into(),
        Vendor::PureTalk => PURETALK_ASSISTANT.into(),
        Vendor::HotTask => HOTTASK_SERIAL.into(),
        #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
        other => return Err(not_benched(other)),
    };
    Ok(BotRef::new(vendor, id))
}

/// The success body the server answers each seed endpoint with.
fn seed_response(vendor: Vendor) -> Value {
    match vendor {
        Vendor::StreamSkill => json!({ "status": "ok" }),
        Vendor::Converza => json!({
            "success": true,
            "data": {
                "id": CONVERZA_BOT,
                "team_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                "name": "Bot de Suporte",
                "role": "support",
                "description": "Lida com consultas de suporte ao cliente",
                "openai_id": "asst_abc123",
                "vector_id": "vs_abc123",
                "instructions": "Answer politely and briefly.",
                "temperature": 0.7,
                "published": true,
                "allow_human": true,
                "created_at": "2023-11-07T05:31:56Z",
                "updated_at": "2023-11-07T05:31:56Z"
            }
        }),
        Vendor::OkChat => json!({
            "chatbot": {
                "active": true,
                "created_at": "2025-01-22T04:30:45.790337+00:00",
                "description": "A helpful support assistant",
                "docs_metadata": null,
                "enabled_plugins": null,
                "id": OKCHAT_BOT,
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
        }),
        // The documented example says `err: true`; a real success says false.
        Vendor::PureTalk => json!({
            "msg": "Assistant updated",
            "err": false,
            "results": {
                "assistant_id": PURETALK_ASSISTANT,
                "name": "My AI Assistant",
                "prompt": "Hello, how are you?",
                "model": "puretalk-plg",
                "who_speaks_first": "assistant",
                "begin_message": "Hello, how are you?",
                "assistant_type": "single_prompt",
                "avatar": "https://example.com/avatar.png",
                "custom_knowledge_base": "kb-1",
                "timezone": "Europe/Berlin",
                "voice_stability": 0.5,
                "voice_clarity_similarity": 0.5,
                "voice_stream_latency_optimization": 2,
                "voice_boost": false,
                "voice_speed": 0,
                "voice_emotion": [],
                "call_recording_enabled": true,
                "reminder_message_frequency": 1,
                "max_reminder_messages": 1,
                "post_analysis": "none",
                "chatbot_logo": "https://example.com/logo.png",
                "chatbot_accent_color": "#4F46E5",
                "chatbot_faq": "none",
                "chatbot_whitelisted_domains": ["example.com"],
                "chatbot_begin_message": "Hi!",
                "tools": "none",
                "created_at": "2023-11-07T05:31:56Z",
                "updated_at": "2023-11-07T05:31:56Z",
                "behavior": 1,
                "user": {"name": "Ann", "dp": "", "email": "ann@example.com"},
                "voice": {
                    "voice_id": "v-1",
                    "name": "Ann",
                    "avatar": "",
                    "gender": "female",
                    "demo_audio_url": "https://example.com/a.mp3",
                    "is_cloned": true,
                    "language": "en",
                    "description": "warm"
                }
            }
        }),
        Vendor::HotTask => {
            json!({"Data": 1, "Version": "1.0.0", "Success": true, "Code": 200, "Message": ""})
        }
        #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
        other => json!({"error": not_benched(other)}),
    }
}

/// The token exchange answer (Converza).
fn token_response() -> Value {
    json!({
        "success": true,
        "data": {"access_token": CONVERZA_JWT, "token_type": "Bearer", "expires_in": 86_400}
    })
}

// ---------------------------------------------------------------- server

/// A request as the server saw it, for [`check_identical`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Every header, sorted, as `name: value`.
    pub headers: Vec<String>,
    /// The body bytes.
    pub body: Bytes,
}

/// What the server records while recording is on.
#[derive(Default)]
pub struct Recorder {
    on: AtomicBool,
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    /// Starts recording (clearing what was seen).
    pub fn start(&self) {
        self.take();
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns what was seen.
    pub fn stop(&self) -> Vec<Seen> {
        self.on.store(false, Ordering::SeqCst);
        self.take()
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The fixed answers, encoded once.
struct Answers {
    streamskill: Bytes,
    converza: Bytes,
    token: Bytes,
    okchat: Bytes,
    puretalk: Bytes,
    hottask: Bytes,
}

impl Answers {
    fn new() -> Self {
        let bytes = |v: Value| Bytes::from(v.to_string());
        Self {
            streamskill: bytes(seed_response(Vendor::StreamSkill)),
            converza: bytes(seed_response(Vendor::Converza)),
            token: bytes(token_response()),
            okchat: bytes(seed_response(Vendor::OkChat)),
            puretalk: bytes(seed_response(Vendor::PureTalk)),
            hottask: bytes(seed_response(Vendor::HotTask)),
        }
    }

    fn route(&self, method: &Method, path: &str) -> Option<&Bytes> {
        let patch = method == Method::PATCH;
        let post = method == Method::POST;
        if post && path.starts_with("/purchases/") && path.ends_with("/edit-ai-chatbots") {
            Some(&self.streamskill)
        } else if patch && path.starts_with("/api/openapi/v1/bots/") {
            Some(&self.converza)
        } else if post && path == CONVERZA_TOKEN_PATH {
            Some(&self.token)
        } else if patch && path == "/api/external/chatbots" {
            Some(&self.okchat)
        } else if patch && path.starts_with("/api/ai-assistants/") {
            Some(&self.puretalk)
        } else if post && path == "/chat/Chatbot/Edit" {
            Some(&self.hottask)
        } else {
            None
        }
    }
}

async fn answer(
    request: Request<Incoming>,
    answers: Arc<Answers>,
    recorder: Arc<Recorder>,
    latency: Latency,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if latency != Latency::NONE {
        let n = ANSWERED.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(latency.nth(n)).await;
    }
    if recorder.on.load(Ordering::Relaxed) && parts.uri.path() != CONVERZA_TOKEN_PATH {
        let mut headers: Vec<String> = parts
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
            .collect();
        headers.sort();
        let seen = Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers,
            body,
        };
        recorder
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seen);
    }
    let mut response = match answers.route(&parts.method, parts.uri.path()) {
        Some(bytes) => {
            let mut r = Response::new(Full::new(bytes.clone()));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        None => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"{\"error\":\"no route\"}")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    if parts.uri.path().starts_with("/purchases/") {
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from_static("30"));
        headers.insert("x-rate-limit-remaining", HeaderValue::from_static("29"));
    }
    Ok(response)
}

/// Serves the seed endpoints on `listener` until the runtime stops, each
/// answer `latency` after its request was read.
pub async fn serve(listener: tokio::net::TcpListener, recorder: Arc<Recorder>, latency: Latency) {
    let answers = Arc::new(Answers::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let answers = answers.clone();
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                answer(request, answers.clone(), recorder.clone(), latency)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A server running on its own thread and runtime.
pub struct Server {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// What it records.
    pub recorder: Arc<Recorder>,
}

/// Starts [`serve`] on 127.0.0.1:0 on a new thread with its own
/// single-threaded runtime, answering after `latency`. The thread lives as
/// long as the process.
pub fn spawn_server(latency: Latency) -> Server {
    let recorder = Arc::new(Recorder::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let thread_recorder = recorder.clone();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let _ = tx.send(listener.local_addr().expect("local addr"));
                serve(listener, thread_recorder, latency).await;
            });
        })
        .expect("server thread");
    let addr = rx.recv().expect("server address");
    Server { addr, recorder }
}

// ---------------------------------------------------------------- clients

/// The generated client of one vendor with its typed seed body.
// Built once per vendor; boxing would only make construction noisier.
#[allow(clippy::large_enum_variant)]
enum Sdk {
    StreamSkill(
        chatbots::streamskill::Client,
        chatbots::streamskill::types::EditAiChatbotsObject,
    ),
    Converza(
        chatbots::converza::Client,
        chatbots::converza::types::UpdateBotRequest,
        uuid::Uuid,
    ),
    OkChat(
        chatbots::okchat::Client,
        chatbots::okchat::types::UpdateChatbotRequest,
        uuid::Uuid,
    ),
    PureTalk(
        chatbots::puretalk::Client,
        chatbots::puretalk::types::UpdateAssistantRequest,
    ),
    HotTask(
        chatbots::hottask::Client,
        chatbots::hottask::types::EditChatbotRequest,
    ),
}

/// Everything needed to send one vendor's seed request three ways.
pub struct Target {
    /// The vendor.
    pub vendor: Vendor,
    sdk: Sdk,
    raw: reqwest::Client,
    /// The base URL (the same for all three ways).
    base: String,
    /// The raw call's credential header.
    auth: (HeaderName, HeaderValue),
    facade: Chatbots,
    bot: BotRef,
    patch: ChatbotPatch,
}

fn config(base: &str) -> ClientConfig {
    ClientConfig {
        base_url: Some(base.to_string()),
        // The benchmark measures a request's cost, not the vendor's rate
        // limit (StreamSkill's would hold it to 2 requests/s).
        pacing: Pacing::off(),
        ..ClientConfig::default()
    }
}

fn base_url(vendor: Vendor, addr: SocketAddr) -> String {
    match vendor {
        // The production base URL has the `/api` stem; keep it.
        Vendor::PureTalk => format!("http://{addr}/api"),
        _ => format!("http://{addr}"),
    }
}

fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).expect("a valid header value");
    v.set_sensitive(true);
    v
}

impl Target {
    /// Builds the three clients of `vendor` against the server at `addr`.
    /// For Converza, the raw client exchanges its key pair here (the SDK
    /// caches its token too; warm both with [`Target::send`]).
    pub async fn new(vendor: Vendor, addr: SocketAddr) -> Result<Self, String> {
        let base = base_url(vendor, addr);
        let cfg = config(&base);
        let e = |e: chatbots_runtime::ConfigError| e.to_string();
        let secret = SecretString::from;
        let seed = seed_request(vendor)?;
        let sdk = match vendor {
            Vendor::StreamSkill => Sdk::StreamSkill(
                chatbots::streamskill::Client::with_config(
                    chatbots::streamskill::header_auth(&secret(STREAMSKILL_TOKEN)).map_err(e)?,
                    &cfg,
                )
                .map_err(e)?,
                decode(seed),
            ),
            Vendor::Converza => Sdk::Converza(
                chatbots::converza::Client::with_config(
                    chatbots::converza::Auth::new(
                        secret(CONVERZA_KEY_ID),
                        secret(CONVERZA_KEY_SECRET),
                    ),
                    &cfg,
                )
                .map_err(e)?,
                decode(seed),
                uuid::Uuid::parse_str(CONVERZA_BOT).map_err(|e| e.to_string())?,
            ),
            Vendor::OkChat => Sdk::OkChat(
                chatbots::okchat::Client::with_config(
                    chatbots::okchat::header_auth(&secret(OKCHAT_KEY)).map_err(e)?,
                    &cfg,
                )
                .map_err(e)?,
                decode(seed),
                uuid::Uuid::parse_str(OKCHAT_BOT).map_err(|e| e.to_string())?,
            ),
            Vendor::PureTalk => Sdk::PureTalk(
                chatbots::puretalk::Client::with_config(
                    chatbots::puretalk::header_auth(&secret(PURETALK_KEY)).map_err(e)?,
                    &cfg,
                )
                .map_err(e)?,
                decode(seed),
            ),
            Vendor::HotTask => Sdk::HotTask(
                chatbots::hottask::Client::with_config(
                    chatbots::hottask::header_auth(&secret(HOTTASK_KEY)).map_err(e)?,
                    &cfg,
                )
                .map_err(e)?,
                decode(seed),
            ),
            #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
            other => return Err(not_benched(other)),
        };
        let raw = cfg.http_client().map_err(e)?;
        let auth = match vendor {
            Vendor::StreamSkill => (
                AUTHORIZATION,
                sensitive(&format!("Bearer {STREAMSKILL_TOKEN}")),
            ),
            Vendor::Converza => {
                let token = raw_token(&raw, &base).await?;
                (AUTHORIZATION, sensitive(&format!("Bearer {token}")))
            }
            Vendor::OkChat => (HeaderName::from_static("x-api-key"), sensitive(OKCHAT_KEY)),
            Vendor::PureTalk => (
                HeaderName::from_static("x-api-key"),
                sensitive(PURETALK_KEY),
            ),
            Vendor::HotTask => (AUTHORIZATION, sensitive(HOTTASK_KEY)),
            #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
            other => return Err(not_benched(other)),
        };
        let facade = Chatbots::builder()
            .streamskill_token(STREAMSKILL_TOKEN)
            .converza_keys(CONVERZA_KEY_ID, CONVERZA_KEY_SECRET)
            .okchat_api_key(OKCHAT_KEY)
            .puretalk_api_key(PURETALK_KEY)
            .hottask_api_key(HOTTASK_KEY)
            .base_url(vendor, base.clone())
            .pacing(Pacing::off())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            vendor,
            sdk,
            raw,
            base,
            auth,
            facade,
            bot: seed_bot(vendor)?,
            patch: seed_patch(vendor)?,
        })
    }

    /// Sends the seed request once, `way`; an error says what failed.
    pub async fn send(&self, way: Way) -> Result<(), String> {
        match way {
            Way::Sdk => self.send_sdk().await,
            Way::Raw => self.send_raw().await,
            Way::Facade => self
                .facade
                .update(&self.bot, &self.patch)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    async fn send_sdk(&self) -> Result<(), String> {
        match &self.sdk {
            Sdk::StreamSkill(client, body) => {
                let r = client
                    .edit_ai_chatbots()
                    .order_id(STREAMSKILL_ORDER)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::Converza(client, body, id) => {
                let r = client
                    .update_bot()
                    .id(*id)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::OkChat(client, body, id) => {
                let r = client
                    .update_chatbot()
                    .id(*id)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::PureTalk(client, body) => {
                let r = client
                    .update_assistant()
                    .assistant_id(PURETALK_ASSISTANT)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::HotTask(client, body) => {
                let r = client
                    .edit_chatbot()
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
        }
        Ok(())
    }

    /// The hand-written call: same method, URL, headers and body; the same
    /// response struct.
    async fn send_raw(&self) -> Result<(), String> {
        use chatbots::{converza, hottask, okchat, puretalk, streamskill};
        let base = &self.base;
        match &self.sdk {
            Sdk::StreamSkill(_, body) => {
                let url = format!("{base}/purchases/{STREAMSKILL_ORDER}/edit-ai-chatbots");
                let r: streamskill::types::ActionSuccess = self
                    .raw_call(Method::POST, url, None, &body.clone())
                    .await?;
                std::hint::black_box(r);
            }
            Sdk::Converza(_, body, id) => {
                let url = format!("{base}/api/openapi/v1/bots/{id}");
                let r: converza::types::BotResponse = self
                    .raw_call(Method::PATCH, url, None, &body.clone())
                    .await?;
                std::hint::black_box(r);
            }
            Sdk::OkChat(_, body, id) => {
                let url = format!("{base}/api/external/chatbots");
                let r: okchat::types::ChatbotResponse = self
                    .raw_call(Method::PATCH, url, Some(id), &body.clone())
                    .await?;
                std::hint::black_box(r);
            }
            Sdk::PureTalk(_, body) => {
                let url = format!("{base}/ai-assistants/{PURETALK_ASSISTANT}");
                let r: puretalk::types::AssistantResponse = self
                    .raw_call(Method::PATCH, url, None, &body.clone())
                    .await?;
                std::hint::black_box(r);
            }
            Sdk::HotTask(_, body) => {
                let url = format!("{base}/chat/Chatbot/Edit");
                let r: hottask::types::EditChatbotResponse = self
                    .raw_call(Method::POST, url, None, &body.clone())
                    .await?;
                std::hint::black_box(r);
            }
        }
        Ok(())
    }

    async fn raw_call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        id: Option<&uuid::Uuid>,
        body: &B,
    ) -> Result<R, String> {
        let mut request = self
            .raw
            .request(method, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(self.auth.0.clone(), self.auth.1.clone())
            .json(body);
        if let Some(id) = id {
            request = request.query(&[("id", id)]);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}

/// The raw client's Converza token exchange (done once, like the SDK's).
async fn raw_token(http: &reqwest::Client, base: &str) -> Result<String, String> {
    let response = http
        .post(format!("{base}{CONVERZA_TOKEN_PATH}"))
        .header(ACCEPT, "application/json")
        .json(&json!({"key_id": CONVERZA_KEY_ID, "key_secret": CONVERZA_KEY_SECRET}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    body.pointer("/data/access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "no access_token in the exchange answer".into())
}

/// Builds every vendor's target against the server at `addr` and sends one
/// request each way (establishing connections and Converza's token).
pub async fn targets(addr: SocketAddr) -> Vec<Target> {
    let mut all = Vec::new();
    for vendor in VENDORS {
        let target = Target::new(vendor, addr)
            .await
            .unwrap_or_else(|e| panic!("{vendor}: cannot set up: {e}"));
        for way in Way::ALL {
            if let Err(e) = target.send(way).await {
                panic!("{vendor} {}: the warm-up request failed: {e}", way.name());
            }
        }
        all.push(target);
    }
    all
}

/// Asserts that (a), (b) and (c) send byte-identical requests (method,
/// path and query, headers, body) for every target, and that the body is
/// the seed body.
pub async fn check_identical(server: &Server, targets: &[Target]) {
    for target in targets {
        let mut seen = Vec::new();
        for way in Way::ALL {
            server.recorder.start();
            if let Err(e) = target.send(way).await {
                panic!("{} {}: request failed: {e}", target.vendor, way.name());
            }
            let mut requests = server.recorder.stop();
            assert_eq!(
                requests.len(),
                1,
                "{} {}: expected one request",
                target.vendor,
                way.name()
            );
            seen.push((way, requests.remove(0)));
        }
        let (_, first) = &seen[0];
        for (way, request) in &seen[1..] {
            assert_eq!(
                request,
                first,
                "{}: {} sends a different request than sdk",
                target.vendor,
                way.name()
            );
        }
        let sent: Value = serde_json::from_slice(&first.body).expect("a JSON body");
        assert_eq!(
            numbers_as_f64(sent),
            numbers_as_f64(seed_request(target.vendor).expect("a benched vendor")),
            "{}: the body is not the seed body",
            target.vendor
        );
    }
}

/// JSON with every number as f64 (`1` and `1.0` compare equal).
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

/// Sends `n` requests `way`, at most `in_flight` at a time; panics on the
/// first failure (a benchmark of failing requests measures nothing).
pub async fn run_batch(target: &Target, way: Way, n: usize, in_flight: usize) {
    use futures::StreamExt;
    if in_flight <= 1 {
        for _ in 0..n {
            if let Err(e) = target.send(way).await {
                panic!("{} {}: {e}", target.vendor, way.name());
            }
        }
        return;
    }
    let mut results = futures::stream::iter(0..n)
        .map(|_| target.send(way))
        .buffer_unordered(in_flight);
    while let Some(result) = results.next().await {
        if let Err(e) = result {
            panic!("{} {}: {e}", target.vendor, way.name());
        }
    }
}

/// Requests per iteration of [`interleaved_rounds`].
pub const ROUND_REQUESTS: usize = 512;
/// Requests in flight in [`interleaved_rounds`].
pub const IN_FLIGHT: usize = 64;

/// Requests per second of (a), (b) and (c) at [`IN_FLIGHT`], measured in
/// `rounds` rounds of [`ROUND_REQUESTS`] requests per way, the ways taking
/// turns (in a rotating order) within each round, after one warm-up round.
/// On a shared machine the load drifts over seconds: taking turns puts
/// each way under the same drift, where measuring one way after the other
/// (as criterion does) can put a few percent between identical code.
pub async fn interleaved_rounds(target: &Target, rounds: usize) -> [f64; 3] {
    for way in Way::ALL {
        run_batch(target, way, ROUND_REQUESTS, IN_FLIGHT).await;
    }
    let mut spent = [Duration::ZERO; 3];
    for round in 0..rounds {
        for turn in 0..Way::ALL.len() {
            let i = (round + turn) % Way::ALL.len();
            let started = std::time::Instant::now();
            run_batch(target, Way::ALL[i], ROUND_REQUESTS, IN_FLIGHT).await;
            spent[i] += started.elapsed();
        }
    }
    let total = (ROUND_REQUESTS * rounds) as f64;
    spent.map(|d| total / d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    async fn one_request(server: &Server) -> Duration {
        let target = Target::new(Vendor::HotTask, server.addr)
            .await
            .expect("the hottask target");
        let start = Instant::now();
        target.send(Way::Raw).await.expect("the raw request");
        start.elapsed()
    }

    #[tokio::test]
    async fn the_server_answers_after_its_latency() {
        let fast = spawn_server(Latency::NONE);
        let slow = spawn_server(Latency::fixed(Duration::from_millis(150)));
        let (fast, slow) = (one_request(&fast).await, one_request(&slow).await);
        assert!(slow >= Duration::from_millis(150), "{slow:?}");
        assert!(fast < Duration::from_millis(150), "{fast:?}");
    }

    #[tokio::test]
    async fn interleaved_rounds_measure_each_way() {
        let server = spawn_server(Latency::NONE);
        let target = Target::new(Vendor::OkChat, server.addr)
            .await
            .expect("the okchat target");
        let rates = interleaved_rounds(&target, 1).await;
        assert!(rates.iter().all(|r| r.is_finite() && *r > 0.0), "{rates:?}");
    }

    #[test]
    fn a_spread_latency_stays_in_its_range_and_averages_its_middle() {
        let waits: Vec<Duration> = (0..10_000).map(|n| SERVER_LATENCY.nth(n)).collect();
        assert!(
            waits
                .iter()
                .all(|w| (SERVER_LATENCY.min..=SERVER_LATENCY.max).contains(w))
        );
        let mean = waits.iter().sum::<Duration>() / waits.len() as u32;
        let off = mean.abs_diff(SERVER_LATENCY.mean());
        assert!(off < Duration::from_millis(1), "mean {mean:?}");
        // Spread out: a 1 ms tick holds about a twentieth of the answers.
        let same_ms = waits
            .iter()
            .filter(|w| w.as_millis() == SERVER_LATENCY.mean().as_millis())
            .count();
        assert!(same_ms < waits.len() / 10, "{same_ms} in one millisecond");
        assert_eq!(
            Latency::fixed(Duration::from_millis(7)).nth(3),
            Duration::from_millis(7)
        );
    }

    #[tokio::test]
    async fn the_three_ways_send_the_same_request() {
        let server = spawn_server(Latency::NONE);
        let targets = targets(server.addr).await;
        check_identical(&server, &targets).await;
    }

    #[test]
    fn every_benched_vendor_has_seed_data() {
        for vendor in VENDORS {
            let seed = seed_request(vendor).expect("seed request");
            assert!(seed.is_object(), "{vendor}");
            seed_patch(vendor).expect("seed patch");
            seed_bot(vendor).expect("seed bot");
        }
    }
}
