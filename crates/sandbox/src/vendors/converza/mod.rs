//! Converza stand-in: every operation of `specs/converza.yaml` (token
//! exchange, API keys, bots, documents, teams) under `/converza`, with
//! in-memory state.
//!
//! **Auth.** `POST /api/openapi/auth/token` exchanges a key pair
//! (`{"key_id": "cvz_key_sandbox", "key_secret": "cvz_secret_sandbox"}`, or
//! any pair made with `POST /api/openapi/v1/api-keys`) for a JWT-shaped
//! token (`header.payload.signature`, base64url; the payload has `sub`,
//! `iat`, `exp`, `jti`) that lives `Settings::converza_token_ttl` (default
//! 86 400 s, the `expires_in` it answers). Every other route wants
//! `Authorization: Bearer <that token>`. Tokens are checked against the ones
//! issued: a forged or altered one answers 401 `INVALID_TOKEN`, an expired
//! one 401 `TOKEN_EXPIRED`, none at all 401 `UNAUTHORIZED`.
//!
//! **Errors.** Converza documents no error format; the sandbox answers the
//! shape the spec infers (`ErrorResponse`):
//! `{"success": false, "message": "<pt-BR text>", "error": {"code": "<CODE>",
//! "message"?: "<detail>", "details"?: [{"field", "message"}]}}`. Codes:
//! `UNAUTHORIZED` (401, no bearer token), `INVALID_TOKEN` (401, never issued
//! or altered), `TOKEN_EXPIRED` (401), `INVALID_CREDENTIALS` (401, wrong key
//! pair), `KEY_REVOKED` / `KEY_EXPIRED` (401, exchange with an inactive or
//! expired key), `VALIDATION_ERROR` (422, `details` name each field),
//! `INVALID_JSON` (400), `INVALID_MULTIPART` (400), `INVALID_QUERY` (400),
//! `UNSUPPORTED_MEDIA_TYPE` (415), `PAYLOAD_TOO_LARGE` (413),
//! `BOT_NOT_FOUND` / `DOCUMENT_NOT_FOUND` / `TEAM_NOT_FOUND` /
//! `API_KEY_NOT_FOUND` (404), `TEAM_BANNED` (403), `EMAIL_TAKEN` (409),
//! `NOT_FOUND` (404, no route), `METHOD_NOT_ALLOWED` (405), `RATE_LIMITED`
//! (429), and for injected failures `INTERNAL_ERROR` (500),
//! `SERVICE_UNAVAILABLE` (503), `BAD_GATEWAY` (502), `GATEWAY_TIMEOUT`
//! (504) or `HTTP_<status>`.
//!
//! **Fixtures** (each sandbox starts with these):
//!
//! | kind | id | notes |
//! |---|---|---|
//! | API key | `cvz_key_sandbox` / `cvz_secret_sandbox` | the sandbox pair |
//! | API key | `cvz_key_abc123` / `cvz_secret_xyz789` | the docs' example pair, expires 2099 |
//! | API key | `cvz_key_revoked` / `cvz_secret_revoked` | inactive: the exchange answers `KEY_REVOKED` |
//! | API key | `cvz_key_expired` / `cvz_secret_expired` | expired 2023: the exchange answers `KEY_EXPIRED` |
//! | team | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | "Corporação ACME", Pro, paying; owner `ana@example.com` |
//! | team | `550e8400-e29b-41d4-a716-446655440000` | "Padaria do Bairro", Free, not paying |
//! | team | `aa0e8400-e29b-41d4-a716-446655440005` | "Spam Ltda", banned: creating bots or uploading into it answers 403 |
//! | bot | `770e8400-e29b-41d4-a716-446655440002` | "Bot de Suporte" (the seed page's id), ACME, with a question, an action and document `660e…0001` |
//! | bot | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | "Bot de Vendas", ACME, unpublished, empty lists |
//! | bot | `880e8400-e29b-41d4-a716-446655440003` | "Assistente Dinâmico", Padaria, temperature 0, chat model level 2 |
//! | document | `660e8400-e29b-41d4-a716-446655440001` | `contrato.pdf`, ACME |
//! | document | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | `faq.txt`, ACME (the id in the seed request's `document_ids`) |
//! | document | `990e8400-e29b-41d4-a716-446655440004` | `politica.docx`, Padaria |
//!
//! `--bots N` adds N bots of ACME after the fixtures, "Sandbox bot 1" to
//! "Sandbox bot N", ids `5eed00c0-0000-4000-8000-<n, 12 hex digits>`.
//!
//! **Account `client-b`**: key pair `cvz_key_client_b` /
//! `cvz_secret_client_b`, exchanged at the same endpoint for tokens bound to
//! it. It holds its own team "Cliente B" (`bb0e8400-e29b-41d4-a716-4466554400b0`)
//! and only its own bots: "Client B demo bot"
//! `5eed0bc0-0000-4000-8000-000000000000` and, with `--bots N`, "Client B
//! support bot 1" to "… N", ids `5eed0bc0-0000-4000-8000-<n, 12 hex digits>`;
//! no documents. Its API keys list shows its own keys only; the others'
//! are unknown to it (404 `API_KEY_NOT_FOUND`).
//!
//! **Behaviour not in the docs** (sandbox choices): `GET /bots/{id}` also
//! echoes the settings an update accepts (`identification_name`,
//! `use_audio_responses`, …), so every update can be read back;
//! `document_ids` must name documents of the bot's team (else 404
//! `DOCUMENT_NOT_FOUND`); creates answer 201; a new bot is published, with
//! role `support`, temperature 0.7 and the create page's example flags; a
//! new team is on its `plan_name` (default `Free`), not paying. There are
//! no delete operations in the spec, so none here.

mod auth;
mod bots;
mod documents;
mod errors;
mod fixtures;
mod input;
mod keys;
mod probe;
mod state;
mod teams;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use chatbots_converza::types;

use self::state::{Keyring, State};
use crate::accounts::{self, Account, Seat};
use crate::extract::spec_bodies;
use crate::support::{self, Problem};
use crate::{Credentials, Settings, Vendor};

pub(crate) use self::errors::render;

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::Converza,
    key: "cvz_key_sandbox",
    secret: Some("cvz_secret_sandbox"),
    how: "POST /api/openapi/auth/token with {\"key_id\": <key>, \"key_secret\": <secret>}, then Authorization: Bearer <access_token>",
};

/// The second account's key pair (`accounts::SECOND_ACCOUNT`).
pub(crate) const CREDENTIALS_B: Credentials = Credentials {
    key: "cvz_key_client_b",
    secret: Some("cvz_secret_client_b"),
    ..CREDENTIALS
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::Converza,
    accounts: [
        Account {
            credentials: CREDENTIALS,
            demo_bot: fixtures::BOT_SUPPORT,
            seeded_bot: fixtures::seeded_id,
        },
        Account {
            credentials: CREDENTIALS_B,
            demo_bot: "5eed0bc0-0000-4000-8000-000000000000",
            seeded_bot: fixtures::seeded_id_b,
        },
    ],
    router,
    render,
    // The bearer token: a limit applies per issued token.
    limiting: super::Limiting::PerCredential("authorization"),
    probe: probe::PROBE,
};

/// Issued tokens kept before expired ones are forgotten.
pub(super) const MAX_TOKENS: usize = 10_000;

spec_bodies! {
    operations: chatbots_converza::operations,
    render: render,
    CREATE_TOKEN => types::TokenRequest;
    CREATE_API_KEY => types::CreateApiKeyRequest;
    CREATE_BOT => types::CreateBotRequest;
    UPDATE_BOT => types::UpdateBotRequest;
    UPDATE_DOCUMENT => types::UpdateDocumentRequest;
    CREATE_TEAM => types::CreateTeamRequest;
}

/// What every handler of one account shares: its state, every account's
/// keys, and the settings it needs.
#[derive(Clone)]
pub(super) struct App {
    state: Arc<Mutex<State>>,
    keyring: Arc<Mutex<Keyring>>,
    /// The account this state is.
    seat: Seat,
    pub(super) ttl: Duration,
    /// The largest upload, in bytes.
    pub(super) body_limit: usize,
}

impl App {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keyring(&self) -> MutexGuard<'_, Keyring> {
        lock_keyring(&self.keyring)
    }
}

fn lock_keyring(keyring: &Mutex<Keyring>) -> MutexGuard<'_, Keyring> {
    keyring.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every account's routes, each with its own state; a request goes to the
/// account its bearer token was issued for (the token exchange, which has
/// none, to the default account's routes: the keyring is shared).
pub(crate) fn router(settings: &Settings) -> Router {
    let keyring = Arc::new(Mutex::new(Keyring::seeded(&EMULATED.accounts)));
    let tokens = keyring.clone();
    let account_of = move |request: &Request| {
        let token = support::bearer(request.headers())?;
        lock_keyring(&tokens).tokens.get(token).map(|t| t.account)
    };
    accounts::by_account(&EMULATED.accounts, account_of, |seat| {
        account_router(settings, seat, keyring.clone())
    })
}

/// One account's routes and state.
fn account_router(settings: &Settings, seat: Seat, keyring: Arc<Mutex<Keyring>>) -> Router {
    let app = App {
        state: Arc::new(Mutex::new(State::seeded(settings.bots, seat))),
        keyring,
        seat,
        ttl: settings.converza_token_ttl,
        body_limit: settings.body_limit,
    };
    Router::new()
        .route("/api/openapi/auth/token", post(auth::create_token))
        .route(
            "/api/openapi/v1/api-keys",
            get(keys::list_api_keys).post(keys::create_api_key),
        )
        .route("/api/openapi/v1/api-keys/{key_id}", get(keys::get_api_key))
        .route(
            "/api/openapi/v1/bots",
            get(bots::list_bots).post(bots::create_bot),
        )
        .route(
            "/api/openapi/v1/bots/{id}",
            get(bots::get_bot).patch(bots::update_bot),
        )
        .route(
            "/api/openapi/v1/documents",
            get(documents::list_documents).post(documents::upload_document),
        )
        .route(
            "/api/openapi/v1/documents/{id}",
            get(documents::get_document).patch(documents::update_document),
        )
        .route(
            "/api/openapi/v1/teams",
            get(teams::list_teams).post(teams::create_team),
        )
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(app)
}
