//! How requests carry credentials: the [`Authenticate`] trait, the
//! one-header [`HeaderAuth`] most vendors use, and [`AuthError`].

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Request;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{ConfigError, RetryPolicy};

/// The context an [`Authenticate`] implementation gets.
pub struct AuthContext<'a> {
    /// The vendor name.
    pub vendor: &'static str,
    /// The operation being sent (its `operationId`); empty in
    /// [`Authenticate::ready`], which runs ahead of any one operation.
    pub operation: &'a str,
    /// The client's HTTP client, for credential exchanges.
    pub http: &'a reqwest::Client,
    /// The client's base URL.
    pub base_url: &'a str,
    /// The client's retry policy, for credential exchanges.
    pub retry: &'a RetryPolicy,
}

/// How a vendor's requests are authenticated. Implementations keep their
/// secrets out of `Debug`.
pub trait Authenticate: Clone + fmt::Debug + Send + Sync + 'static {
    /// Adds credentials to `request`.
    fn authenticate(
        &self,
        ctx: &AuthContext<'_>,
        request: &mut Request,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// Obtains the credentials ahead of a call (a token exchange, say), so
    /// that a failure to obtain them reaches the caller as a typed
    /// [`AuthError`]: progenitor's `pre` hook, where
    /// [`authenticate`](Self::authenticate) runs, can pass an error on only
    /// as text. Credentials that need nothing obtained are always ready.
    fn ready(&self, _ctx: &AuthContext<'_>) -> impl Future<Output = Result<(), AuthError>> + Send {
        std::future::ready(Ok(()))
    }

    /// `text` with every credential this auth holds replaced by
    /// `[REDACTED]`: for vendor messages that echo what they were sent.
    fn redact(&self, text: &str) -> String;

    /// Which credential this is, as [`CredentialId::of`] its secret parts:
    /// clients with the same id share one rate-limit budget.
    fn credential_id(&self) -> CredentialId;
}

/// Which credential a client uses, as a number that reveals nothing about
/// it: a hash of its parts under a key drawn at random once per process.
/// Two clients on the same credential get the same id (and share a
/// [`Pacing`](crate::Pacing) budget); the id means nothing in another
/// process and is never printed.
///
/// ```
/// use chatbots_runtime::CredentialId;
///
/// let id = CredentialId::of([b"key-1".as_slice()]);
/// assert_eq!(id, CredentialId::of([b"key-1".as_slice()]));
/// assert_ne!(id, CredentialId::of([b"key-2".as_slice()]));
/// assert_eq!(format!("{id:?}"), "CredentialId(..)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CredentialId(u64);

impl CredentialId {
    /// The id of a credential made of `parts` (a key, or a key id and
    /// secret).
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> CredentialId {
        static KEY: OnceLock<RandomState> = OnceLock::new();
        let mut hasher = KEY.get_or_init(RandomState::new).build_hasher();
        for part in parts {
            // The length first, so that `ab`+`c` and `a`+`bc` differ.
            hasher.write_usize(part.len());
            hasher.write(part);
        }
        CredentialId(hasher.finish())
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialId(..)")
    }
}

/// `text` with each non-empty secret replaced by `[REDACTED]`.
pub fn redact_secrets<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    secrets
        .into_iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, "[REDACTED]")
        })
}

/// A credential sent as-is in one header: `Authorization: Bearer <token>`,
/// `x-api-key: <key>`, or a bare `Authorization: <key>`, as the spec's
/// security scheme says.
#[derive(Clone)]
pub struct HeaderAuth {
    name: HeaderName,
    value: HeaderValue,
    /// Where the secret starts in `value` (after `Bearer `).
    secret_start: usize,
}

impl HeaderAuth {
    /// `name: <prefix><secret>`. Fails if the secret cannot be a header value
    /// (the error does not repeat it).
    pub fn new(
        vendor: &'static str,
        name: &'static str,
        prefix: &str,
        secret: &SecretString,
    ) -> Result<Self, ConfigError> {
        let mut value =
            HeaderValue::from_str(&format!("{prefix}{}", secret.expose_secret())).map_err(|_| {
                ConfigError::new(
                    Some(vendor),
                    format!("the credential for header `{name}` contains characters a header cannot carry"),
                )
            })?;
        if secret.expose_secret().is_empty() {
            return Err(ConfigError::new(
                Some(vendor),
                "the credential is empty".into(),
            ));
        }
        value.set_sensitive(true);
        Ok(Self {
            name: HeaderName::from_static(name),
            value,
            secret_start: prefix.len(),
        })
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(vendor: &'static str, token: &SecretString) -> Result<Self, ConfigError> {
        Self::new(vendor, "authorization", "Bearer ", token)
    }
}

impl fmt::Debug for HeaderAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderAuth")
            .field("header", &self.name.as_str())
            .field("value", &"[REDACTED]")
            .finish()
    }
}

impl Authenticate for HeaderAuth {
    async fn authenticate(
        &self,
        _: &AuthContext<'_>,
        request: &mut Request,
    ) -> Result<(), AuthError> {
        request
            .headers_mut()
            .insert(self.name.clone(), self.value.clone());
        Ok(())
    }

    fn redact(&self, text: &str) -> String {
        let secret = self
            .value
            .to_str()
            .ok()
            .and_then(|v| v.get(self.secret_start..))
            .unwrap_or_default();
        redact_secrets(text, [secret])
    }

    fn credential_id(&self) -> CredentialId {
        CredentialId::of([self.name.as_str().as_bytes(), self.value.as_bytes()])
    }
}

/// A failure to obtain or apply credentials.
#[derive(Clone, Debug)]
pub struct AuthError {
    /// The vendor.
    pub vendor: &'static str,
    /// The status of a credential exchange that the vendor refused.
    pub status: Option<u16>,
    /// What went wrong; never contains the credential.
    pub message: String,
    /// Whether the exchange failed in transport (and may succeed later).
    pub transient: bool,
    /// The delay the vendor asked for when it refused the exchange with a
    /// `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The underlying failure (the `reqwest` error of an exchange that
    /// failed in transport), for [`source`](std::error::Error::source).
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl AuthError {
    /// A failure of `vendor`'s credentials: `status` is the answer of a
    /// refused exchange, `transient` whether trying again may help.
    pub fn new(
        vendor: &'static str,
        status: Option<u16>,
        message: String,
        transient: bool,
    ) -> Self {
        Self {
            vendor,
            status,
            message,
            transient,
            retry_after: None,
            source: None,
        }
    }

    /// This error, caused by `source`.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: authentication failed", self.vendor)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for AuthError {
    /// The failure itself (not the `Arc` around it), so that it downcasts.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        Some(source)
    }
}
