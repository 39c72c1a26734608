//! How requests carry credentials: the [`Authenticate`] trait, the
//! one-header [`HeaderAuth`] most vendors use, and [`AuthError`].

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Request;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

/// A credential (API key, token, key secret) held so that it does not leak:
/// its `Debug` prints `[REDACTED]`, it has no `Display` and no `Serialize`,
/// and its memory is zeroed when it is dropped. Reading it takes an explicit
/// [`ExposeSecret::expose_secret`], which the SDK calls only where it puts
/// the credential in a request header or a token exchange.
///
/// This is `secrecy`'s `SecretString` (`SecretBox<str>`), re-exported so that
/// callers need no dependency of their own. Every credential the workspace
/// holds is one: [`HeaderAuth::new`] and the vendor crates' `Auth` types
/// take one, and the facade's builder turns the strings it is given into
/// them at once. Every error or log line that could carry a credential is
/// redacted first (see [`redact_secrets`]). There is no default credential:
/// an empty one is refused when a client is built.
///
/// ```
/// use chatbots_runtime::{ExposeSecret, HeaderAuth, SecretString};
///
/// // From a `&str` or a `String` (say, read from the environment).
/// let key = SecretString::from("sk-live-0123456789");
/// assert_eq!(format!("{key:?}"), "SecretBox<str>([REDACTED])");
/// assert_eq!(key.expose_secret(), "sk-live-0123456789");
///
/// // Given to a client's auth; its `Debug` does not show it either.
/// let auth = HeaderAuth::new("okchat", "x-api-key", "", &key).unwrap();
/// assert!(!format!("{auth:?}").contains("sk-live"));
/// ```
pub use secrecy::SecretString;

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
pub struct CredentialId(u64, [u8; 32]);

impl CredentialId {
    /// The id of a credential made of `parts` (a key, or a key id and
    /// secret).
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> CredentialId {
        static KEY: OnceLock<RandomState> = OnceLock::new();
        let mut hasher = KEY.get_or_init(RandomState::new).build_hasher();
        // Shared pacing (`pace/shared.rs`) needs an input that is the same
        // in every process; it is only ever used under an HMAC with the
        // deployment key, never stored or shown as it is.
        let mut stable = ring::digest::Context::new(&ring::digest::SHA256);
        stable.update(b"chatbots credential v1");
        for part in parts {
            // The length first, so that `ab`+`c` and `a`+`bc` differ.
            hasher.write_usize(part.len());
            hasher.write(part);
            stable.update(&(part.len() as u64).to_be_bytes());
            stable.update(part);
        }
        let mut digest = [0; 32];
        digest.copy_from_slice(stable.finish().as_ref());
        CredentialId(hasher.finish(), digest)
    }

    /// The same for the same credential in every process: the input of
    /// shared pacing's keyed hash.
    pub(crate) fn stable(&self) -> &[u8; 32] {
        &self.1
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialId(..)")
    }
}

/// What stands in for a secret.
const REDACTED: &str = "[REDACTED]";

/// The length (in characters) from which a secret is taken for a real
/// credential, redacted wherever it occurs. A shorter one (no vendor issues
/// such keys, but a test or a typo can set one) would also occur inside
/// ordinary words and URLs, so it is redacted only where it stands as a
/// whole token.
pub const SHORTEST_CREDENTIAL: usize = 8;

/// `text` with each non-empty secret replaced by `[REDACTED]`, as it is
/// and percent-encoded (any mix of bytes as themselves or `%XX`, either
/// case, as a URL echoing it may have it).
///
/// A secret of at least [`SHORTEST_CREDENTIAL`] characters is replaced
/// wherever it occurs. A shorter one is replaced only where it is a whole
/// token, not run into a letter, digit or `_` at an end where it has one,
/// so that a one-character secret leaves `no bot` as it is. Should a
/// replacement run into the text around it and form the secret anew (a
/// secret made of the marker's own characters), the whole text is
/// replaced. Time is linear in the text's length (for secrets of bounded
/// length); text without a secret comes back unchanged.
///
/// ```
/// use chatbots_runtime::redact_secrets;
///
/// let key = "sk+live/0123456789";
/// let text = "no bot for key sk+live/0123456789 (GET /bots?key=sk%2Blive%2f0123456789)";
/// assert_eq!(
///     redact_secrets(text, [key]),
///     "no bot for key [REDACTED] (GET /bots?key=[REDACTED])"
/// );
/// assert_eq!(redact_secrets("no bot at /api/external", ["t", "x"]), "no bot at /api/external");
/// assert_eq!(redact_secrets("key: x.", ["x"]), "key: [REDACTED].");
/// ```
pub fn redact_secrets<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut secrets: Vec<&str> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
    // Longest first, so that a secret inside another does not cut the
    // longer one up before it is found.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        let (redacted, found) = redact_one(&text, secret);
        if found {
            // Rare: only when a secret matched at all.
            text = if redact_one(&redacted, secret).1 {
                REDACTED.to_owned()
            } else {
                redacted
            };
        }
    }
    text
}

/// `text` with `secret`'s occurrences replaced, and whether there were any.
fn redact_one(text: &str, secret: &str) -> (String, bool) {
    let bytes = text.as_bytes();
    let whole_only = secret.chars().count() < SHORTEST_CREDENTIAL;
    let mut out = String::new();
    // Where the text not yet copied to `out` starts.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let found = occurrence_ends(bytes, i, secret.as_bytes())
            .into_iter()
            // The longest, of those that stand alone where that is asked.
            .rev()
            .find(|&end| {
                text.is_char_boundary(i)
                    && text.is_char_boundary(end)
                    && (!whole_only || stands_alone(text, i, end))
            });
        match found {
            Some(end) => {
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return (text.to_owned(), false);
    }
    out.push_str(&text[copied..]);
    (out, true)
}

/// Where an occurrence of `secret` starting at `start` of `text` can end,
/// in increasing order: each of its bytes as itself or as `%XX` (hex in
/// either case). Empty when none starts there.
fn occurrence_ends(text: &[u8], start: usize, secret: &[u8]) -> Vec<usize> {
    // Most positions start neither the secret nor an escape.
    match (text.get(start), secret.first()) {
        (Some(&b), Some(&first)) if b == first || b == b'%' => {}
        _ => return Vec::new(),
    }
    // The positions reachable having matched a prefix of the secret. A
    // position has at most two successors, and they all lie within three
    // bytes per secret byte of `start`, so the set stays small.
    let mut at = vec![start];
    let mut next = Vec::new();
    for &want in secret {
        next.clear();
        for &p in &at {
            if text.get(p) == Some(&want) {
                next.push(p + 1);
            }
            if text.get(p) == Some(&b'%') && text.get(p + 1..p + 3).and_then(hex_byte) == Some(want)
            {
                next.push(p + 3);
            }
        }
        if next.is_empty() {
            return next;
        }
        next.sort_unstable();
        next.dedup();
        std::mem::swap(&mut at, &mut next);
    }
    at
}

/// The byte two hex digits (either case) stand for.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let digit = |d: u8| (d as char).to_digit(16);
    match digits {
        [high, low] => Some((digit(*high)? * 16 + digit(*low)?) as u8),
        _ => None,
    }
}

/// Whether `text[start..end]` is not run into the text around it: at each
/// end, the occurrence's own character or its neighbour is no letter, digit
/// or `_`.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let (before, inside, after) = (&text[..start], &text[start..end], &text[end..]);
    let runs_in_before = word(before.chars().next_back()) && word(inside.chars().next());
    let runs_in_after = word(inside.chars().next_back()) && word(after.chars().next());
    !runs_in_before && !runs_in_after
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
