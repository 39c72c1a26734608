//! Typed client for the [PureTalk AI](https://docs.puretalk.ai) REST API
//! (assistants, multi-task states, calls, phone numbers, campaigns, text to
//! speech, voices).
//!
//! The client is generated at build time from `specs/puretalk.yaml` by
//! `chatbots-codegen` (progenitor, builder interface: one method per
//! operation, e.g. [`Client::update_assistant`]); the spec documents every
//! endpoint and type. This crate adds by hand only what the spec cannot say:
//!
//! - **Auth**: every request carries the API key in the `X-API-KEY` header.
//!   Build the credential with [`header_auth`]; [`Auth`] is a
//!   [`chatbots_runtime::HeaderAuth`], whose `Debug` redacts the key.
//! - **Envelopes**: single objects come as `{msg, err, results}`. The envelope
//!   types implement [`chatbots_runtime::Envelope`]: `err: true` is reported
//!   as a [`chatbots_runtime::VendorFailure`] with `msg` as its message
//!   (PureTalk sends no error code). The vendor's documentation examples show
//!   `err: true` on some successful responses too, so treat the HTTP status
//!   as authoritative and the envelope flag as a hint.
//! - **Voice cloning**: `POST /v1/tts/clone-voice` is a multipart upload that
//!   progenitor cannot generate; see [`Client::clone_voice`] and
//!   [`CloneVoiceForm`].
//!
//! Retry-safe operations ([`is_retry_safe`]: GET, PATCH, DELETE) are retried
//! on 429/502/503/504 and transport errors following
//! [`chatbots_runtime::RetryPolicy`]; POSTs are sent once.
//!
//! ```no_run
//! use chatbots_puretalk::{Client, header_auth, types};
//! use chatbots_runtime::{ClientConfig, SecretString};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretString::from(std::env::var("PURETALK_API_KEY")?);
//! let client = Client::with_config(header_auth(&key)?, &ClientConfig::default())?;
//!
//! let updated = client
//!     .update_assistant()
//!     .assistant_id("123e4567-e89b-12d3-a456-426614174000")
//!     .body(
//!         types::UpdateAssistantRequest::builder()
//!             .name("Front desk".to_string())
//!             .who_speaks_first(types::WhoSpeaksFirst::Assistant),
//!     )
//!     .send()
//!     .await?
//!     .into_inner();
//! if let Some(assistant) = updated.results {
//!     println!("updated {:?}", assistant.name);
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

mod clone_voice;
mod envelope;

pub use clone_voice::{AudioClip, CloneVoiceForm};

// Auth: the one thing the spec cannot do for us.
/// How PureTalk AI API requests are authenticated: one header, `x-api-key: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
