//! PureTalk AI stand-in: every operation of `specs/puretalk.yaml` under
//! `/puretalk` (in place of `https://api.puretalk.ai/api`).
//!
//! - **Auth**: header `X-API-KEY: sandbox-puretalk-key` on every route. Missing
//!   or wrong: HTTP 401 `{"err": true, "msg": ...}`.
//! - **Envelopes**: single objects come as `{"msg", "err": false, "results"}`
//!   (the docs' examples show `err: true` on success; the sandbox answers
//!   `false`, which the client reads as success). Assistants, calls and phone
//!   numbers are DRF pages `{count, next, previous, results}` (query `page`,
//!   `limit`, both `int32` as the spec says, else 400; default limit 10, at
//!   most 100, a limit below 1 is the default; a page below 1 or past the last
//!   is 404 `Invalid page.`); campaigns are `{msg, err, results: {count, campaigns}}`.
//! - **Errors**: `{"err": true, "msg": "..."}` with the HTTP status: 400 for a
//!   body that breaks the spec (the message names the field, e.g.
//!   `voice: must be an integer (got a string)`), for a non-JSON body and for a
//!   bad query parameter; 401 auth; 404 unknown id or route (`AI Assistant not
//!   found`, `Voice not found`); 405 wrong method; 413 body larger than the
//!   limit; 415 wrong content type.
//!
//! Fixtures (a fresh copy per sandbox):
//!
//! | What | Ids |
//! |---|---|
//! | Assistants | `123e4567-e89b-12d3-a456-426614174000` (the seed page's "My AI Assistant", model `gpt-3.5-turbo`, voice 123), `e1f09482-2910-45e1-a2f3-ab75cd9a5a51` ("Front desk", multi-task, voice 7, LLM states `3c90c3cc-0d44-4b50-8888-8dd25736052a` with child `5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6`), `9f1c7e2a-4b7d-4c55-9a51-2f0d3c8b6e10` (an older page version's shape: `id` 17, integer `user` and `voice`, string `voice_stability`) |
//! | Voices (`GET /voices/{id}` takes the numeric id or the `voice_id`) | 7 (`voice_id` `Puretalk Model V4`, "Seven", the docs' example; not a UUID, so TTS refuses it), 123 (`5bc2961c-fb9b-4a3d-a257-e0c5f2f95332`, "Olivia"), 124 (`70756ba9-cfdd-4108-84de-3a24d3f86b34`, cloned). 42 does not exist. Cloned voices get 1000, 1001, ... |
//! | Calls | `0f8c2d4e-6a1b-4c3d-9e5f-7a8b9c0d1e2f` (outgoing, completed, full analysis), `6b2d8e1f-3c4a-4f5b-8a9c-0d1e2f3a4b5c` (web, incoming, string `metadata`), `9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d` (outgoing, failed) |
//! | Phone numbers | `+14155550123` (active, "Front desk"), `+442071838750` (inactive, no assistant) |
//! | Campaigns | `123e4567-e89b-12d3-a456-426614174000` (the docs' example, active), `7e6d5c4b-3a2f-4e1d-9c0b-a9b8c7d6e5f4` (paused) |
//!
//! `--bots N` adds N assistants after the fixtures, "Sandbox bot 1" to
//! "Sandbox bot N", ids `5eed009e-0000-4000-8000-<n, 12 hex digits>`.
//!
//! Account `client-b` (key `client-b-puretalk-key`) holds the voice library
//! and only its own assistants: "Client B demo bot"
//! `5eed0b9e-0000-4000-8000-000000000000` and, with `--bots N`, "Client B
//! support bot 1" to "… N", ids `5eed0b9e-0000-4000-8000-<n, 12 hex digits>`;
//! no calls, phone numbers or campaigns.
//!
//! Behaviour: `PATCH /ai-assistants/{id}` changes what `GET` returns (`voice`
//! takes a voice's numeric id and embeds that voice; `voice_stability` and
//! `voice_clarity_similarity` strings come back as numbers when they parse).
//! `POST /ai-assistants` appends to the list. LLM states live in the
//! assistant's `llm_states`: an upsert with a known `state_id` updates that
//! state, otherwise adds one with a new id; the delete removes the listed ids
//! anywhere (unknown ids are ignored; an empty list deletes nothing).
//! `POST /calls/web/register` adds an in-progress `web` call to `GET /calls`.
//! `POST /v1/tts` answers silent audio (`application/octet-stream`) in the
//! requested format, 60 ms per character. `POST /v1/tts/clone-voice` takes
//! `multipart/form-data` with `audio_clip` (a file), `name`, `gender` and
//! optional `language` (default `en`) and `description`, and adds a voice.

mod assistants;
mod audio;
mod calls;
mod errors;
mod fixtures;
mod input;
mod llm_states;
mod probe;
mod state;
mod voices;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{delete, get, post};
use chatbots_puretalk::types;

use self::state::Shared;
use crate::accounts::{self, Account, Seat};
use crate::extract::spec_bodies;
use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) use self::errors::render;
pub(crate) use self::state::{Store, Voice};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::PureTalk,
    key: "sandbox-puretalk-key",
    secret: None,
    how: "X-API-KEY: <key>",
};

/// The second account's key (`accounts::SECOND_ACCOUNT`).
pub(crate) const CREDENTIALS_B: Credentials = Credentials {
    key: "client-b-puretalk-key",
    ..CREDENTIALS
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::PureTalk,
    accounts: [
        Account {
            credentials: CREDENTIALS,
            demo_bot: "123e4567-e89b-12d3-a456-426614174000",
            seeded_bot: fixtures::seeded_id,
        },
        Account {
            credentials: CREDENTIALS_B,
            demo_bot: "5eed0b9e-0000-4000-8000-000000000000",
            seeded_bot: fixtures::seeded_id_b,
        },
    ],
    router,
    render,
    limiting: super::Limiting::PerCredential("x-api-key"),
    probe: probe::PROBE,
};

spec_bodies! {
    operations: chatbots_puretalk::operations,
    render: render,
    CREATE_ASSISTANT => types::CreateAssistantRequest;
    UPDATE_ASSISTANT => types::UpdateAssistantRequest;
    UPSERT_LLM_STATES => types::UpsertLlmStatesRequest;
    DELETE_LLM_STATES => types::DeleteLlmStatesRequest;
    REGISTER_WEB_CALL => types::RegisterWebCallRequest;
    TEXT_TO_SPEECH => types::TextToSpeechRequest;
}

pub(crate) fn router(settings: &Settings) -> Router {
    accounts::by_key(&EMULATED.accounts, input::presented_key, |seat| {
        account_router(settings, seat)
    })
}

/// One account's routes and state.
fn account_router(settings: &Settings, seat: Seat) -> Router {
    let shared = Arc::new(Shared {
        store: Mutex::new(fixtures::store(settings.bots, seat)),
        body_limit: settings.body_limit,
    });
    Router::new()
        .route(
            "/ai-assistants",
            get(assistants::list_assistants).post(assistants::create_assistant),
        )
        .route(
            "/ai-assistants/delete-llm-states",
            delete(llm_states::delete_llm_states),
        )
        .route(
            "/ai-assistants/{assistant_id}",
            get(assistants::get_assistant).patch(assistants::update_assistant),
        )
        .route(
            "/ai-assistants/llm-states/{assistant_id}",
            post(llm_states::upsert_llm_states),
        )
        .route("/calls", get(calls::list_calls))
        .route("/calls/web/register", post(calls::register_web_call))
        .route("/phone-numbers", get(calls::list_phone_numbers))
        .route("/campaigns", get(calls::list_campaigns))
        .route("/v1/tts", post(voices::text_to_speech))
        .route("/v1/tts/clone-voice", post(voices::clone_voice))
        .route("/voices/{id}", get(voices::get_voice))
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(shared)
}
