//! OKChat stand-in: every operation of `specs/okchat.yaml` under
//! `/okchat`, with in-memory state.
//!
//! **Auth**: header `x-api-key: 5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c`
//! on every route; missing or wrong → 401.
//!
//! **Errors** (the spec's loose `ErrorResponse`): `{"error": "<HTTP reason>",
//! "message": "<what went wrong>"}`; validation failures (400) add
//! `"details": [{"field": "settings.model", "rule": "must be a string (got …)"}]`.
//! Statuses: 400 validation, bad query/path ids, non-JSON body or bad
//! multipart; 401 auth; 403 chat with an inactive chatbot; 404 unknown
//! chatbot, knowledge base item, conversation or route; 405 wrong method;
//! 409 create with a slug in use; 413 body over the limit; 415 wrong
//! `Content-Type`.
//!
//! **Fixtures** (organization `123042b2-86e2-4184-a86e-95423d728815`):
//! - chatbot `3317853e-0af2-427d-a56f-351a9587f48f`, "API Docs Demo Chatbot"
//!   (slug `api-docs-demo-chatbot`), the vendor's Update Chatbot example;
//!   knowledge base items `0f1e2d3c-4b5a-4968-8776-655443322110` (refund
//!   policy) and `5c4b3a29-1807-4f6e-9d5c-4b3a29180706` (opening hours);
//!   conversations `9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f` (web, two messages)
//!   and `1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d` (web, no messages:
//!   `last_message` is `null`).
//! - chatbot `7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37`, "다솜 쇼핑 도우미" (slug
//!   `dasom-shop-helper`): public, migrated, with `settings.avatar` and a full
//!   `voice_widget_config`; knowledge base item
//!   `8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586`; conversation
//!   `4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a` (navertalktalk, human mode, a
//!   message with an attachment).
//! - chatbot `e5b7a0f4-93c2-4d1e-8f6a-2c9d4b7e1a05`, "Inactive Draft Bot":
//!   `active: false`, settings `{model}` only, no knowledge base, no
//!   conversations; Chat answers it with 403.
//!
//! `--bots N` adds N active chatbots after the fixtures, "Sandbox bot 1"
//! (slug `sandbox-bot-1`) to "Sandbox bot N", ids
//! `5eed000c-0000-4000-8000-<n, 12 hex digits>`.
//!
//! **Account `client-b`** (key `6f127f3a6f0cd3c1dc46cff46660af5f12cdf75042a8634b`)
//! holds only its own chatbots: "Client B demo bot"
//! `5eed0b0c-0000-4000-8000-000000000000` and, with `--bots N`, "Client B
//! support bot 1" to "Client B support bot N", ids
//! `5eed0b0c-0000-4000-8000-<n, 12 hex digits>`.
//!
//! **Behaviour** (where the docs are silent, the sandbox's choice):
//! - Update Chatbot (`PATCH /api/external/chatbots?id=<uuid>`) merges
//!   `personality_config` and `settings` (and `settings.snippet`) into the
//!   stored ones and replaces `name`, `description`, `is_public`; fields the
//!   spec does not document are ignored. Voice Agent and Chat Widget merge the
//!   same way into the stored configs; Chat Widget also copies its snippet
//!   fields into `settings.snippet`.
//! - Create Chatbot: `slug` defaults to the name, slugified (or
//!   `chatbot-<id>` for a blank name), and must be unique. No field is
//!   required (the docs require none).
//! - Chatbot Avatar takes `multipart/form-data` with an image in any field
//!   (the docs do not name it; `file`, as the SDK sends it, is preferred,
//!   else the first file part) and sets `settings.avatar` to a (fake)
//!   Supabase storage URL; a form with no part changes nothing.
//! - Get Knowledge Base List answers `{data: [item]}`; Delete Knowledge Base
//!   Data answers `{message, id}`.
//! - Query Knowledge ranks the chatbot's items by the share of query words
//!   they contain; Chat answers with the best match (or the greeting), and
//!   records the user's last message and the answer in the conversation named
//!   by `sessionToken` (a new one if unknown): `{content, role, model,
//!   sessionToken, session_id, message_id}`, also for `stream=true`.

mod chat;
mod chatbots;
mod errors;
mod fixtures;
mod input;
mod knowledge;
mod probe;
mod state;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, patch, post};
use chatbots_okchat::types;

use self::state::App;
use crate::accounts::{self, Account, Seat};
use crate::extract::spec_bodies;
use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) use self::errors::render;

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::OkChat,
    key: "5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c",
    secret: None,
    how: "x-api-key: <key>",
};

/// The second account's key (`accounts::SECOND_ACCOUNT`).
pub(crate) const CREDENTIALS_B: Credentials = Credentials {
    key: "6f127f3a6f0cd3c1dc46cff46660af5f12cdf75042a8634b",
    ..CREDENTIALS
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::OkChat,
    accounts: [
        Account {
            credentials: CREDENTIALS,
            demo_bot: fixtures::DEMO_BOT,
            seeded_bot: fixtures::seeded_id,
        },
        Account {
            credentials: CREDENTIALS_B,
            demo_bot: "5eed0b0c-0000-4000-8000-000000000000",
            seeded_bot: fixtures::seeded_id_b,
        },
    ],
    router,
    render,
    limiting: super::Limiting::PerCredential("x-api-key"),
    probe: probe::PROBE,
};

spec_bodies! {
    operations: chatbots_okchat::operations,
    render: render,
    CREATE_CHATBOT => types::CreateChatbotRequest;
    UPDATE_CHATBOT => types::UpdateChatbotRequest;
    UPDATE_VOICE_AGENT => types::UpdateVoiceAgentRequest;
    UPDATE_CHAT_WIDGET => types::UpdateChatWidgetRequest;
    QUERY_KNOWLEDGE => types::QueryKnowledgeRequest;
    CHAT => types::ChatRequest;
}

pub(crate) fn router(settings: &Settings) -> Router {
    accounts::by_key(&EMULATED.accounts, input::presented_key, |seat| {
        account_router(settings, seat)
    })
}

/// One account's routes and state.
fn account_router(settings: &Settings, seat: Seat) -> Router {
    let app = App {
        db: Arc::new(Mutex::new(fixtures::seed(settings.bots, seat))),
        body_limit: settings.body_limit,
    };
    Router::new()
        .route(
            "/api/external/chatbots",
            get(chatbots::list_chatbots)
                .post(chatbots::create_chatbot)
                .patch(chatbots::update_chatbot),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}",
            get(chatbots::get_chatbot),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/update-avatar",
            patch(chatbots::update_avatar),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/voice-agent",
            patch(chatbots::update_voice_agent),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/chat-widget",
            patch(chatbots::update_chat_widget),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/knowledge-base",
            get(knowledge::list_knowledge).delete(knowledge::delete_knowledge_item),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/query-knowledge",
            post(knowledge::query_knowledge),
        )
        .route("/api/external/chatbot/{chatbot_id}/chat", post(chat::chat))
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations",
            get(chat::list_conversations),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations/{session_id}",
            get(chat::get_conversation),
        )
        .route(
            "/api/external/chatbot/{chatbot_id}/conversations/{session_id}/messages",
            get(chat::list_messages),
        )
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .fallback(|| async { render(Problem::NoRoute) })
        .layer(axum::middleware::map_response(cors))
        .with_state(app)
}

/// The documented `Access-Control-Allow-Origin: *`.
async fn cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
