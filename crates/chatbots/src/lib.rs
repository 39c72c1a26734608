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
//! # Trying it without credentials
//!
//! The `chatbots-sandbox` crate emulates every vendor's API on your machine
//! (state, auth, error shapes, rate limits, fault injection), with fixed
//! public credentials and seeded bots: no account, nothing leaves
//! 127.0.0.1. In a program or a test, start one with
//! `chatbots_sandbox::Sandbox::start()` and point the client at it:
//!
//! ```
//! use chatbots::{BotRef, ChatbotPatch, Chatbots, Field, Vendor};
//! use chatbots_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start().await?; // every vendor, on a free port
//! let bots = Chatbots::builder()
//!     // The sandbox's OKChat key (its README lists every vendor's).
//!     .okchat_api_key("5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c")
//!     .base_url(Vendor::OkChat, sandbox.base_url(Vendor::OkChat))
//!     .build()?;
//! // A bot the sandbox seeds.
//! let bot = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
//! bots.update(&bot, &ChatbotPatch::new().greeting("Hello from the sandbox")).await?;
//! let read = bots.get(&bot).await?;
//! assert_eq!(read.field(Field::Greeting).as_deref(), Some("Hello from the sandbox"));
//! # Ok(())
//! # }
//! ```
//!
//! From a shell, run the sandbox standalone (`cargo run -p chatbots-sandbox
//! -- --port 8080`, or the installed `chatbots-sandbox` binary) and give the
//! CLI its URL: `chatbots --sandbox http://127.0.0.1:8080 vendors`, then
//! `list`, `get`, `update`, and fleet `export`/`plan`/`apply` as with real
//! vendors. The CLI reads the sandbox's base URLs and credentials from it.
//!
//! # Shared fields
//!
//! Each setting several vendors share is a [`Field`]; a [`ChatbotPatch`]
//! sets some, a [`Chatbot`] reports what its vendor reads back, both
//! through the same typed API ([`ChatbotPatch::set`], [`ChatbotPatch::get`],
//! [`Chatbot::get`], each a [`FieldValue`]), so code can walk the fields as
//! data. [`VendorInfo`] says which fields and calls each vendor supports.
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

mod account;
mod bulk;
pub mod capabilities;
mod client;
pub mod config;
mod error;
mod field;
pub mod fleet;
mod listing;
mod mapping;
mod model;
mod vendors;

pub use account::{Account, AccountRef, DEFAULT_ACCOUNT, SecretOrigin, SecretSource};
pub use bulk::{BulkOptions, BulkOutcome, BulkRefused, Progress};
#[allow(deprecated)]
pub use capabilities::capability_table;
pub use capabilities::{VendorInfo, vendor_field};
pub use chatbots_runtime::printable;
pub use chatbots_runtime::{
    AuthError, ClientConfig, OnOutage, Pacing, RateLimit, RetryPolicy, SecretString, SharedPacing,
};
pub use client::{Chatbots, ChatbotsBuilder, credential_variables};
pub use error::{Error, ErrorKind, Subject};
pub use field::{Field, FieldKind, FieldKindError, FieldValue, UnknownField};
pub use model::{BotRef, Chatbot, ChatbotPatch, ParseBotRefError, Vendor};
pub use vendors::VendorPatch;
pub use vendors::crates::*;
#[doc(hidden)]
pub use vendors::{VendorFacts, vendor_facts};
