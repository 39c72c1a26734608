//! What every generated vendor client shares at run time.
//!
//! progenitor generates one `Client` per vendor; the code `chatbots-codegen`
//! adds to it ([`vendor_client!`]) makes its `ClientHooks` call into
//! [`Inner`]:
//!
//! - [`Inner::prepare`] runs before a request leaves: it removes the
//!   `api-version` header progenitor adds and applies the vendor's
//!   [`Authenticate`] implementation;
//! - [`Inner::execute`] waits for the request's turn under the vendor's rate
//!   limit ([`Pacing`]), sends it with the configured [`RetryPolicy`], inside
//!   a `tracing` span that never carries a secret, and notes what happened
//!   for [`record`].
//!
//! Credentials are [`SecretString`]s; the `Debug` of every type here redacts
//! them.
#![forbid(unsafe_code)]

mod auth;
mod call;
mod client;
mod config;
mod envelope;
mod operation;
mod pace;
pub mod printable;
mod record;
mod retry;
mod schema;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
mod vendor;

pub use auth::{
    AuthContext, AuthError, Authenticate, CredentialId, HeaderAuth, SHORTEST_CREDENTIAL,
    SecretString, redact_secrets,
};
pub use call::{BodyTooLarge, Inner};
pub use client::VendorClient;
pub use config::{ClientConfig, ConfigError, DEFAULT_MAX_RESPONSE_BYTES, check_base_url};
pub use envelope::{Envelope, VendorFailure};
pub use operation::Operation;
pub use pace::{
    DEFAULT_DEPLOYMENT_KEY, DEFAULT_KEY_PREFIX, OnOutage, Pacing, RateLimit, SharedPacing,
};
pub use record::{CallRecord, record};
pub use retry::{RetryPolicy, is_retryable_status, retry_after};
pub use schema::{Schema, SchemaError, Violation, validate};
pub use secrecy::ExposeSecret;
pub use vendor::{UnknownVendor, Vendor};

/// For the code [`vendor_client!`] writes; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::hook_error;
    pub use crate::client::client_parts;
    pub use progenitor_client::{ClientHooks, Error, OperationInfo, ResponseValue};
}
