//! Typed client for the StreamSkill API (orders of streaming-promotion
//! services: viewers, followers, phrase-list chatbots and AI chatbots),
//! generated at build time from `specs/streamskill.yaml` by
//! `chatbots-codegen`.
//!
//! Every endpoint of the spec is a method on [`Client`] returning a builder:
//! set the parameters and the body, then `.send().await`. Request and
//! response types live in [`types`]; an error status (4xx/5xx) arrives as
//! [`Error::ErrorResponse`] carrying the vendor's [`types::ApiError`] body
//! (`name`, `message`, `type_` such as `purchase_not_found_exception`,
//! `status`, and per-field `errors` for a 422).
//!
//! # Authentication
//!
//! StreamSkill authenticates with a static API token sent as
//! `Authorization: Bearer <token>`; [`header_auth`] builds that [`Auth`]
//! from a [`chatbots_runtime::SecretString`]. The token never appears in
//! `Debug` output. (The vendor also serves unauthenticated "guest" calls at
//! a much lower rate limit; this client always sends a token.)
//!
//! # Retries
//!
//! Reads and the `edit-*` actions (which set absolute values) are retried on
//! 429, 502, 503, 504 and transport errors, honouring `Retry-After` or
//! StreamSkill's `X-Rate-Limit-Reset`; creating, starting, prolonging and
//! bulk-stopping orders are never retried, since each call may charge or act
//! again. See [`is_retry_safe`] and [`chatbots_runtime::RetryPolicy`].
//!
//! # Example
//!
//! ```no_run
//! use std::num::NonZeroU64;
//!
//! use chatbots_runtime::{ClientConfig, SecretString};
//! use chatbots_streamskill::{Client, header_auth, types};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let token = SecretString::from(std::env::var("STREAMSKILL_TOKEN")?);
//! let client = Client::with_config(header_auth(&token)?, &ClientConfig::default())?;
//!
//! // Change the settings of AI chatbots order 12345.
//! let done = client
//!     .edit_ai_chatbots()
//!     .order_id(12345)
//!     .accept_language(types::LanguageObject::En)
//!     .body(types::EditAiChatbotsObject {
//!         language: Some("auto".into()),
//!         count: NonZeroU64::new(50),
//!         interval: NonZeroU64::new(10),
//!     })
//!     .send()
//!     .await?;
//! assert_eq!(done.status.as_deref(), Some("ok"));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How StreamSkill API requests are authenticated: one header, `authorization: Bearer <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;
