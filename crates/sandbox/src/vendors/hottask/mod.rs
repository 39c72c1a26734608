//! HotTask ("AI Agent", white-labelled as NewOaks AI, SmarterBot and
//! others): every operation of `specs/hottask.yaml`, under
//! `/hottask/chat/{Controller}/{Action}`.
//!
//! **Auth.** `Authorization: sandbox-hottask-key`: the raw key, with no
//! scheme (`Bearer sandbox-hottask-key` is refused, as HotTask refuses it).
//!
//! **Failures.** Every body is the envelope `{Data, Version, Success, Code,
//! Message}`. What the application decides (missing or wrong key, a body
//! that breaks the spec, a non-JSON body, the wrong `Content-Type`, an
//! unknown chatbot, session or file, a documented business rule) answers
//! **HTTP 200** with `Success: false`, `Code` set to the matching HTTP
//! status (401, 400, 415, 404, 429) and `Message` naming the field and the
//! rule, e.g. `serialNumber is required`. Failure envelopes carry no `Data`
//! (several operations type `Data` as a non-nullable integer or object). What
//! the web server decides keeps its HTTP status, in the same envelope: an
//! unknown path (404), a wrong method (405), a body above the size limit
//! (413), and injected faults (429 with `Retry-After`, 5xx).
//!
//! **Fixtures** (fresh for each sandbox):
//! - Chatbot `3254a9d0424c4806b9ea3d0763ccfxxx` ("Bistro Bella Assistant",
//!   regular, model `2`): knowledge (a text, two Q&A pairs, a website, file
//!   `34326` `menu.pdf`); sessions `123456` (4 messages, a lead and an
//!   appointment) and `123457` (2 messages, a lead).
//! - Chatbot `36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35` ("Support Bot", regular,
//!   model `5`): 13 history messages in sessions `200001`–`200003`, twelve of
//!   them between 2025-01-01 and 2025-03-07 and one on 2025-03-20; a Google
//!   Sheet source with 12 rows (ids 1–12).
//! - Chatbot `3254a9d0424c4806b9ea3d0763xxxxxx` ("Real Estate Template Bot",
//!   template-based, `type: 1`): no knowledge, sessions or leads; its
//!   Google Sheet data is refused (regular chatbots only, as documented).
//! - Models (`ModelList`): keys `1`–`7`; `7` (`claude-3.5-haiku`) is
//!   unavailable (`Status: false`), and `Edit` refuses it, like unknown keys.
//! - Files: `34326` `menu.pdf`, `34327` `logo.png` (both uploaded). New ids
//!   count up from `34328`.
//! - `--bots N`: N more regular chatbots ("Sandbox bot 1" to "Sandbox bot
//!   N", default settings, no knowledge), serial numbers `5eed` followed by
//!   n in 28 hex digits.
//! - Account `client-b` (key `client-b-hottask-key`) holds only its own
//!   chatbots: "Client B demo bot" `5eedb000000000000000000000000000` and,
//!   with `--bots N`, "Client B support bot 1" to "… N", serial numbers
//!   `5eedb` followed by n in 27 hex digits. Its pre-signed upload URLs name
//!   it (`X-Amz-Credential=client-b`), so that their key-less `PUT` reaches
//!   its files.
//! - Credits: `{Total: -1, Used: 42, Remain: -1}` (unlimited); every answered
//!   `ClientAsk` adds one to `Used`.
//!
//! **Behaviour.** `Add` creates a chatbot (32 hex digits, returned as
//! `Data.serialNumber`); `Edit` replaces the settings it is sent (an unknown
//! model key, or an unknown file id as `ChatIcon`/`ChatProfilePicture`, is
//! refused); `Remove` deletes the chatbot with its sessions, messages and
//! leads. No HotTask operation reads a chatbot's settings back; edits show
//! in `ClientAsk`: its canned answer names the chatbot (`Name`), ends with
//! `AnswerSuffix`, and a session sending more than `RateLimitCount` messages
//! within `RateLimitTime` seconds gets `RateLimitMessage` (Code 429). An
//! answer is the matching Q&A answer of the knowledge base when the question
//! equals one; a message containing an e-mail address records a lead.
//! `EditKnowledge` replaces each knowledge source it is sent (`GetSource`
//! lists them); `GetSession` creates a session (ids from `300001`);
//! `ChatContentHistory`, `GetMessageCountByChatbot` and `LeadList` read the
//! recorded messages and leads (dates filter by UTC day, inclusive).
//! `GetPreUploadUrl` hands out a `PreUploadUrl` on this sandbox,
//! `PUT /hottask/upload/{FileStoreId}/{fileName}` (standing in for S3: no
//! auth, `200` with an `ETag`); a file id is usable (`fileList`, `fileIds`,
//! `ChatIcon`, `ChatProfilePicture`) once its bytes are PUT there. With
//! `stream: true`, `ClientAsk` still answers with the JSON envelope (the
//! streaming format is not documented).

mod auth;
mod chat;
mod envelope;
mod fixtures;
mod handlers;
mod probe;
mod state;
mod upload;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post, put};
use chatbots_hottask::types;

use self::state::App;
use crate::accounts::{self, Account, Seat};
use crate::extract::spec_bodies;
use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) use self::envelope::render;

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::HotTask,
    key: "sandbox-hottask-key",
    secret: None,
    how: "Authorization: <key> (no scheme)",
};

/// The second account's key (`accounts::SECOND_ACCOUNT`).
pub(crate) const CREDENTIALS_B: Credentials = Credentials {
    key: "client-b-hottask-key",
    ..CREDENTIALS
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::HotTask,
    accounts: [
        Account {
            credentials: CREDENTIALS,
            demo_bot: fixtures::BISTRO,
            seeded_bot: fixtures::seeded_id,
        },
        Account {
            credentials: CREDENTIALS_B,
            demo_bot: "5eedb000000000000000000000000000",
            seeded_bot: fixtures::seeded_id_b,
        },
    ],
    router,
    render,
    // The raw key, as HotTask reads it.
    limiting: super::Limiting::PerCredential("authorization"),
    probe: probe::PROBE,
};

spec_bodies! {
    operations: chatbots_hottask::operations,
    render: render,
    ADD_CHATBOT => types::AddChatbotRequest;
    EDIT_CHATBOT => types::EditChatbotRequest;
    REMOVE_CHATBOT => types::RemoveChatbotRequest;
    GET_SOURCE => types::GetSourceRequest;
    EDIT_KNOWLEDGE => types::EditKnowledgeRequest;
    GET_GOOGLE_SHEET_DATA => types::GetGoogleSheetDataRequest;
    GET_SESSION => types::GetSessionRequest;
    CLIENT_ASK => types::ClientAskRequest;
    GET_PRE_UPLOAD_URL => types::GetPreUploadUrlRequest;
    LEAD_LIST => types::LeadListRequest;
    SEND_TWILIO_MESSAGE => types::SendTwilioMessageRequest;
    CHAT_CONTENT_HISTORY => types::ChatContentHistoryRequest;
    GET_MESSAGE_COUNT_BY_CHATBOT => types::MessageCountRequest;
}

pub(crate) fn router(settings: &Settings) -> Router {
    let accounts = EMULATED.accounts;
    let account_of = move |request: &Request| {
        accounts::with_key(&accounts, auth::presented_key(request.headers()))
            .or_else(|| upload::account_of(request.uri()))
    };
    accounts::by_account(&EMULATED.accounts, account_of, |seat| {
        account_router(settings, seat)
    })
}

/// One account's routes and state.
fn account_router(settings: &Settings, seat: Seat) -> Router {
    let app = App::new(fixtures::seed(settings.bots, seat), settings.body_limit);
    Router::new()
        .route("/chat/Chatbot/Add", post(handlers::add_chatbot))
        .route("/chat/Chatbot/Edit", post(handlers::edit_chatbot))
        .route("/chat/Chatbot/Remove", post(handlers::remove_chatbot))
        .route("/chat/Chatbot/ModelList", get(handlers::list_models))
        .route("/chat/Chatbot/GetSource", post(handlers::get_source))
        .route(
            "/chat/Chatbot/EditKnowledge",
            post(handlers::edit_knowledge),
        )
        .route(
            "/chat/Chatbot/GetGoogleGoolgeSheetData",
            get(handlers::get_google_sheet_data),
        )
        .route("/chat/Chatbot/GetSession", post(chat::get_session))
        .route("/chat/Chat/ClientAsk", post(chat::client_ask))
        .route(
            "/chat/User/GetPreUploadUrl",
            post(upload::get_pre_upload_url),
        )
        .route("/chat/Chatbot/LeadList", post(chat::lead_list))
        .route(
            "/chat/Chatbot/SendTwilioMessage",
            post(chat::send_twilio_message),
        )
        .route(
            "/chat/Chatbot/GetMessageCreditsUsage",
            get(chat::get_message_credits_usage),
        )
        .route(
            "/chat/Chatbot/ChatContentHistory",
            post(chat::chat_content_history),
        )
        .route(
            "/chat/Chatbot/GetMessageCountByChatbot",
            post(chat::get_message_count_by_chatbot),
        )
        .route("/upload/{file_id}/{file_name}", put(upload::upload))
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(app)
}
