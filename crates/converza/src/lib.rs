//! Typed client for the [Converza](https://docs.converza.io) Open API
//! (`/api/openapi/...`: API keys, bots, knowledge-base documents, teams).
//!
//! The client is generated at build time from `specs/converza.yaml` by
//! `chatbots-codegen` (progenitor, builder interface: one method per
//! operation, e.g. [`Client::update_bot`]); the spec documents every
//! endpoint and type. This crate adds by hand only what the spec cannot say:
//!
//! - **Auth** ([`Auth`]): Converza does not take an API key on each call.
//!   The key pair (`key_id`, `key_secret`) is exchanged for a JWT at
//!   `POST /api/openapi/auth/token` ([`Client::create_token`]), and the JWT
//!   is sent as `Authorization: Bearer <jwt>`. [`Auth`] does this on the
//!   first call, caches the token for every clone of the client, renews it
//!   shortly before it expires (24 h as documented), and makes concurrent
//!   callers share one exchange. A failed exchange is reported as a
//!   [`chatbots_runtime::AuthError`] by [`Client::ready`] (which exchanges
//!   ahead of a call), and as its text inside [`Error::Custom`] by a call
//!   that had to exchange on its own. After a 401,
//!   [`Auth::invalidate`] (via `client.runtime().auth()`) forces a new
//!   exchange.
//! - **Envelopes**: responses are `{success, data, meta?}`. The envelope
//!   types implement [`chatbots_runtime::Envelope`]: `success: false`, even
//!   under HTTP 200, is reported as a [`chatbots_runtime::VendorFailure`]
//!   with the vendor's (undocumented, inferred) `error` code and `message`.
//! - **Document upload**: `POST /api/openapi/v1/documents` is a multipart
//!   upload that progenitor cannot generate; see [`Client::upload_document`]
//!   and [`UploadDocument`].
//!
//! Retry-safe operations ([`is_retry_safe`]: GET, PATCH and the token
//! exchange) are retried on 429/502/503/504 and transport errors following
//! [`chatbots_runtime::RetryPolicy`]; the other POSTs are sent once.
//!
//! ```no_run
//! use chatbots_converza::{Auth, Client, types};
//! use chatbots_runtime::{ClientConfig, Envelope, SecretString};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = Auth::new(
//!     SecretString::from(std::env::var("CONVERZA_KEY_ID")?),
//!     SecretString::from(std::env::var("CONVERZA_KEY_SECRET")?),
//! );
//! let client = Client::with_config(auth, &ClientConfig::default())?;
//!
//! let updated = client
//!     .update_bot()
//!     .id(uuid::Uuid::parse_str("770e8400-e29b-41d4-a716-446655440002")?)
//!     .body(
//!         types::UpdateBotRequest::builder()
//!             .name(Some("Bot de Suporte".to_string()))
//!             .role(Some(types::BotRole::Support))
//!             .temperature(Some(0.7)),
//!     )
//!     .send()
//!     .await?
//!     .into_inner();
//! if let Some(failure) = updated.failure() {
//!     eprintln!("Converza refused the update: {failure:?}");
//! } else if let Some(bot) = updated.data {
//!     println!("updated {:?}", bot.name);
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

mod auth;
mod envelope;
mod upload;

pub use auth::Auth;
pub use upload::UploadDocument;
