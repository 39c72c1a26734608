//! Read and update AI chatbots at several vendors (see [`Vendor`]) through
//! one API.
//!
//! ```no_run
//! use chatbots::{BotRef, ChatbotPatch, Chatbots, ErrorKind, Vendor};
//!
//! # async fn run() -> Result<(), chatbots::Error> {
//! // Credentials from each vendor's `credential_variables` (OKCHAT_API_KEY,
//! // CONVERZA_KEY_ID + CONVERZA_KEY_SECRET, …) and <VENDOR>_BASE_URL.
//! let bots = Chatbots::from_env()?;
//!
//! let bot = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
//! let patch = ChatbotPatch::new()
//!     .name("Support bot")
//!     .instructions("Answer briefly and politely.")
//!     .greeting("Hi! How can I help?");
//! match bots.update(&bot, &patch).await {
//!     Ok(()) => println!("updated {bot}"),
//!     Err(e) if matches!(e.kind(), ErrorKind::Unsupported { .. }) => eprintln!("{e}"),
//!     Err(e) => return Err(e),
//! }
//! let now = bots.get(&bot).await?;
//! println!("{} now greets with {:?}", bot, now.greeting);
//! # Ok(())
//! # }
//! ```
//!
//! # What maps where
//!
//! A shared field maps to a vendor only where the vendor's field means the
//! same; conversions are exact or refused, never rounded or guessed. A field
//! the vendor lacks is refused with [`ErrorKind::Unsupported`] before
//! anything is sent; a value outside the vendor's documented range or enum
//! with [`ErrorKind::InvalidInput`]. Everything else goes through the
//! vendor's own request body in [`VendorPatch`], or through the typed vendor
//! client ([`Chatbots::okchat`] and the like).
//!
#![doc = include_str!("../CAPABILITIES.md")]
//!
//! # Fleets
//!
//! [`fleet`] keeps many bots in a desired state described in a YAML file:
//! plan the difference, apply it within the vendors' limits, export what
//! the vendors hold now.
//!
//! # Errors
//!
//! One [`Error`] for every vendor, with a [`kind`](Error::kind) to match
//! on. A vendor that reports failure inside HTTP 200 (PureTalk `err: true`,
//! Converza `success: false`, …) gives an error with its code and message.
//!
//! # Retries and timeouts
//!
//! Every call has a connect timeout (10 s) and a per-attempt timeout
//! (30 s). Retry-safe operations — reads, and updates, which set absolute
//! values — are retried with capped, jittered exponential backoff after
//! transport errors, 429, 502, 503 and 504, honouring `Retry-After` and
//! StreamSkill's `X-Rate-Limit-Reset`. Creates and sends are never
//! retried; which operations are retry-safe comes from each spec (the HTTP
//! method, or `x-chatbots-idempotent`), as the README's endpoint tables
//! show. See [`ChatbotsBuilder::retry`].
//!
//! # Cargo features
//!
//! One per vendor, all on by default: `default-features = false, features =
//! ["puretalk"]` compiles only PureTalk's client.
#![forbid(unsafe_code)]

mod bulk;
mod client;
mod error;
pub mod fleet;
mod listing;
mod mapping;
mod model;
mod vendors;

pub use bulk::{BulkOptions, BulkOutcome, BulkRefused, Progress};
pub use chatbots_runtime::printable;
pub use chatbots_runtime::{
    AuthError, ClientConfig, OnOutage, Pacing, RateLimit, RetryPolicy, SecretString, SharedPacing,
};
pub use client::{Chatbots, ChatbotsBuilder, credential_variables};
pub use error::{Error, ErrorKind};
pub use mapping::{capability_table, vendor_field};
pub use model::{BotRef, Chatbot, ChatbotPatch, Field, ParseBotRefError, Vendor};
pub use vendors::VendorPatch;
pub use vendors::crates::*;
