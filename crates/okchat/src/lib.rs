//! Typed client for the OKChat external API, generated at build time from
//! `specs/okchat.yaml` by `chatbots-codegen`.
//!
//! Every operation of the spec is a method on [`Client`] returning a builder
//! (`client.update_chatbot().id(..).body(..).send().await`); request and
//! response types are in [`types`]. The one operation progenitor cannot
//! generate, the multipart avatar upload, is written by hand:
//! [`Client::update_chatbot_avatar`].
//!
//! # Authentication
//!
//! OKChat authenticates every request with one header, `x-api-key: <key>`.
//! Build it with [`header_auth`]; the key is kept as a
//! [`chatbots_runtime::SecretString`] and is redacted from
//! every `Debug` output. No endpoint issues keys: get one from OKChat.
//!
//! # Errors
//!
//! OKChat reports failures only through HTTP status codes: its 200 bodies
//! are envelopes keyed by resource (`{chatbot}`, `{data}`, `{results}`, ...)
//! with no failure flag, so this crate implements no
//! [`chatbots_runtime::Envelope`]. Error bodies are not documented;
//! [`types::ErrorResponse`] is a loose, inferred shape (`{message, error}`).
//!
//! # Example
//!
//! ```no_run
//! use chatbots_okchat::{Client, header_auth, types};
//! use chatbots_runtime::{ClientConfig, SecretString};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretString::from(std::env::var("OKCHAT_API_KEY")?);
//! let client = Client::with_config(header_auth(&key)?, &ClientConfig::default())?;
//!
//! let updated = client
//!     .update_chatbot()
//!     .id("3317853e-0af2-427d-a56f-351a9587f48f")
//!     .body(types::UpdateChatbotRequest {
//!         name: Some("API Docs Demo Chatbot".into()),
//!         description: Some("A helpful support assistant".into()),
//!         is_public: Some(false),
//!         ..Default::default()
//!     })
//!     .send()
//!     .await?;
//! let slug = updated.chatbot.as_ref().and_then(|bot| bot.slug.as_deref());
//! println!("{:?}: {slug:?}", updated.message);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

mod avatar;

pub use avatar::AVATAR_FORM_FIELD;

/// How OKChat external API requests are authenticated: one header, `x-api-key: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
