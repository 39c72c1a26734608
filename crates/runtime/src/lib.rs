//! What every generated vendor client shares at run time.
//!
//! progenitor generates one `Client` per vendor; `chatbots-codegen` makes each
//! of them call into [`Inner`] from its `ClientHooks`:
//!
//! - [`Inner::prepare`] runs before a request leaves: it applies the
//!   vendor's [`Authenticate`] implementation (the `api-version` header
//!   progenitor would add is removed from the generated code by
//!   `chatbots-codegen`);
//! - [`Inner::execute`] sends it with the configured [`RetryPolicy`], inside a
//!   `tracing` span that never carries a secret, and records what happened for
//!   [`record`].
//!
//! Credentials are [`SecretString`]s; the `Debug` of every type here redacts
//! them.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};
pub use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

mod fields;
mod validate;
mod vendor;

pub use fields::{FieldError, JsonFields, Previous};
pub use validate::{FieldSchema, Schema, Violation, validate};
pub use vendor::{UnknownVendor, Vendor};

/// Settings shared by every vendor client: where to connect, how long to
/// wait, how to retry.
///
/// ```
/// use std::time::Duration;
/// use chatbots_runtime::{ClientConfig, RetryPolicy};
///
/// let config = ClientConfig {
///     base_url: Some("http://127.0.0.1:8080".into()),
///     timeout: Duration::from_secs(5),
///     retry: RetryPolicy::disabled(),
///     ..ClientConfig::default()
/// };
/// assert_eq!(config.retry.max_attempts, 1);
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Overrides the vendor's production base URL (tests, regional hosts).
    pub base_url: Option<String>,
    /// Time allowed to open a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the last byte of the
    /// response. Default 30 s.
    pub timeout: Duration,
    /// What is retried, how often and how long to wait.
    pub retry: RetryPolicy,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("chatbots-rust/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl ClientConfig {
    /// The `reqwest::Client` these settings describe (rustls with ring).
    pub fn http_client(&self) -> Result<reqwest::Client, ConfigError> {
        // reqwest is built without a default crypto provider so that the
        // lighter `ring` is used; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(&self.user_agent)
            .build()
            .map_err(|e| ConfigError::new(None, format!("cannot build the HTTP client: {e}")))
    }
}

/// Retries with capped, jittered exponential backoff (from `backon`).
///
/// Only operations the spec marks retry-safe are retried, and only after a
/// transport error (connect, reset, timeout) or a 429, 502, 503 or 504. A
/// `Retry-After` (or StreamSkill's `X-Rate-Limit-Reset`) from the vendor
/// replaces the computed delay; if it asks for longer than
/// [`max_retry_after`](Self::max_retry_after), the response is returned
/// instead of waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 switches retries off.
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub min_delay: Duration,
    /// Upper bound of any computed delay.
    pub max_delay: Duration,
    /// Longest vendor-requested wait the client accepts.
    pub max_retry_after: Duration,
    /// Randomise delays so that many clients do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build()
    }
}

/// Whether a status is worth another attempt.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// How long the vendor asked the client to wait: `Retry-After` (seconds or
/// an HTTP date), else `X-Rate-Limit-Reset` (seconds, or a Unix time).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(value) = text(RETRY_AFTER.as_str()) {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(when) = httpdate::parse_http_date(value) {
            return Some(when.duration_since(SystemTime::now()).unwrap_or_default());
        }
    }
    let reset = text("x-rate-limit-reset")?.parse::<f64>().ok()?;
    if !reset.is_finite() || reset < 0.0 {
        return None;
    }
    // A value this large is a point in time, not a number of seconds.
    if reset > 1_000_000_000.0 {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        return Duration::try_from_secs_f64((reset - now).max(0.0)).ok();
    }
    Duration::try_from_secs_f64(reset).ok()
}

/// Characters progenitor's `encode_path` escapes in a path segment (its
/// `PATH_SET`, after <https://url.spec.whatwg.org/#url-path-segment-string>).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// The bytes that encoding with `PATH_SEGMENT` leaves as they are: printable
/// ASCII outside the set (`AsciiSet` cannot be queried from here; a test
/// checks that both agree).
static KEPT: [bool; 256] = {
    let mut kept = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        kept[b] = !matches!(
            b as u8,
            b' ' | b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%'
        );
        b += 1;
    }
    kept
};

/// A path parameter as it goes into a URL: its `Display`, percent-encoded
/// like progenitor's `encode_path(&value.to_string())`, but written straight
/// into the URL being formatted instead of through two temporary strings.
/// Generated clients use it for every path parameter.
///
/// ```
/// use chatbots_runtime::PathSegment;
///
/// assert_eq!(format!("/bots/{}", PathSegment(&"a b/c")), "/bots/a%20b%2Fc");
/// assert_eq!(format!("/orders/{}", PathSegment(&42)), "/orders/42");
/// ```
pub struct PathSegment<'a, T: ?Sized>(pub &'a T);

impl<T: fmt::Display + ?Sized> fmt::Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Encodes each piece the value writes; encoding works byte by byte,
        /// so the pieces together encode exactly like the whole.
        struct Encode<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Encode<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                // Ids rarely need escaping; checking that is much cheaper
                // than encoding.
                if s.bytes().all(|b| KEPT[usize::from(b)]) {
                    return self.0.write_str(s);
                }
                for piece in percent_encoding::utf8_percent_encode(s, PATH_SEGMENT) {
                    self.0.write_str(piece)?;
                }
                Ok(())
            }
        }
        fmt::write(&mut Encode(f), format_args!("{}", self.0))
    }
}

/// `builder.headers(headers)`, skipped when there are none: merging an
/// empty map still walks and drops it. Generated clients use it for the
/// optional header parameters, which are usually not set.
pub fn headers_if_any(
    builder: reqwest::RequestBuilder,
    headers: HeaderMap,
) -> reqwest::RequestBuilder {
    if headers.is_empty() {
        builder
    } else {
        builder.headers(headers)
    }
}

/// The request body held by a generated operation builder (`.body(..)`,
/// `.body_map(..)`).
///
/// progenitor keeps it as the body type's field-by-field builder, so a
/// complete body passed to `.body(..)` used to be taken apart into that
/// builder and put back together when sent. Here a complete body stays as
/// it is; only `.body_map(..)` goes through the builder, and an unset body
/// becomes the builder's default (with its "no value supplied" errors) only
/// when sent.
#[derive(Clone, Debug)]
pub enum BodyDraft<T, B> {
    /// Nothing set yet: the builder's default.
    Unset,
    /// A complete body.
    Value(T),
    /// A body being edited field by field. Boxed: the builder is larger
    /// than the body, and every move of an operation builder or of its
    /// `send()` future copies the whole enum.
    Builder(Box<B>),
}

impl<T, B> BodyDraft<T, B>
where
    B: Default + From<T>,
    T: TryFrom<B>,
    T::Error: fmt::Display,
{
    /// The body as the field-by-field builder.
    pub fn into_builder(self) -> B {
        match self {
            Self::Unset => B::default(),
            Self::Value(value) => B::from(value),
            Self::Builder(builder) => *builder,
        }
    }

    /// The body after `edit` changed its builder, for `.body_map(..)`.
    pub fn map_builder(self, edit: impl FnOnce(B) -> B) -> Self {
        Self::Builder(Box::new(edit(self.into_builder())))
    }

    /// The body to send, or why it is incomplete.
    pub fn into_value(self) -> Result<T, String> {
        match self {
            Self::Value(value) => Ok(value),
            other => T::try_from(other.into_builder()).map_err(|e| e.to_string()),
        }
    }
}

/// The context an [`Authenticate`] implementation gets.
pub struct AuthContext<'a> {
    /// The vendor name.
    pub vendor: &'static str,
    /// The operation being sent (its `operationId`).
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

    /// `text` with every credential this auth holds replaced by
    /// `[REDACTED]`: for vendor messages that echo what they were sent.
    fn redact(&self, text: &str) -> String;
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
/// `x-api-key: <key>`, or HotTask's bare `Authorization: <key>`.
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
}

/// A failure to obtain or apply credentials.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{vendor}: authentication failed{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
pub struct AuthError {
    /// The vendor.
    pub vendor: &'static str,
    /// The status of a credential exchange that the vendor refused.
    pub status: Option<u16>,
    /// What went wrong; never contains the credential.
    pub message: String,
    /// Whether the exchange failed in transport (and may succeed later).
    pub transient: bool,
}

/// A client that cannot be built as configured.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}{message}", vendor.map(|v| format!("{v}: ")).unwrap_or_default())]
pub struct ConfigError {
    /// The vendor, when the problem is specific to one.
    pub vendor: Option<&'static str>,
    /// What is wrong; never contains a credential.
    pub message: String,
}

impl ConfigError {
    /// A configuration error.
    pub fn new(vendor: Option<&'static str>, message: String) -> Self {
        Self { vendor, message }
    }
}

/// Refuses a base URL that is not an absolute http(s) URL.
pub fn check_base_url(vendor: &'static str, base_url: &str) -> Result<(), ConfigError> {
    match reqwest::Url::parse(base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        _ => Err(ConfigError::new(
            Some(vendor),
            format!("base URL `{base_url}` is not an absolute http(s) URL"),
        )),
    }
}

/// What one generated call did on the wire, for error classification above
/// the generated client (progenitor drops the status of a body it cannot
/// decode). Collected by [`record`].
#[derive(Clone, Debug, Default)]
pub struct CallRecord {
    /// The status of the last response, if one arrived.
    pub status: Option<StatusCode>,
    /// The delay the vendor asked for on the last response, if any.
    pub retry_after: Option<Duration>,
    /// Attempts made.
    pub attempts: u32,
    /// Whether the last attempt timed out.
    pub timed_out: bool,
    /// A credential exchange that failed before anything was sent (boxed:
    /// the record is swapped in and out of its task-local on every poll,
    /// so it is kept small).
    pub auth_error: Option<Box<AuthError>>,
}

// Set only while a `Recorded` polls its call, pointing at the record it
// owns: nothing is moved in or out per poll.
scoped_tls::scoped_thread_local!(static CALL: RefCell<CallRecord>);

/// Runs `call` (one generated client call) and returns what it did on the
/// wire along with its result.
pub fn record<F: Future>(call: F) -> Recorded<impl FnOnce() -> F, F> {
    record_with(move || call)
}

/// Like [`record`], with the call's future made on first poll, in place: a
/// generated call's future is kilobytes, and building it where it will
/// live saves copying it through the layers above.
pub fn record_with<M: FnOnce() -> F, F: Future>(make: M) -> Recorded<M, F> {
    Recorded {
        state: CallState::Start { make: Some(make) },
        record: RefCell::new(CallRecord::default()),
    }
}

pin_project_lite::pin_project! {
    #[project = CallStateProj]
    enum CallState<M, F> {
        Start { make: Option<M> },
        Running { #[pin] call: F },
    }
}

pin_project_lite::pin_project! {
    /// The future of [`record`] and [`record_with`]. Written out rather
    /// than an `async` block around a task-local scope, so that the call's
    /// future is not moved through extra layers.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Recorded<M, F> {
        #[pin]
        state: CallState<M, F>,
        record: RefCell<CallRecord>,
    }
}

impl<M: FnOnce() -> F, F: Future> Future for Recorded<M, F> {
    type Output = (F::Output, CallRecord);

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let mut this = self.project();
        if let CallStateProj::Start { make } = this.state.as_mut().project()
            && let Some(make) = make.take()
        {
            this.state.set(CallState::Running { call: make() });
        }
        let CallStateProj::Running { call } = this.state.project() else {
            // Only reachable if polled again after a panic in `make`.
            return std::task::Poll::Pending;
        };
        match CALL.set(this.record, || call.poll(cx)) {
            std::task::Poll::Ready(output) => std::task::Poll::Ready((output, this.record.take())),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

fn note(update: impl FnOnce(&mut CallRecord)) {
    if CALL.is_set() {
        CALL.with(|r| update(&mut r.borrow_mut()));
    }
}

/// The state behind every generated vendor client: vendor name, auth and
/// retry policy. Cloning is cheap when the auth is.
#[derive(Clone, Debug)]
pub struct Inner<A> {
    vendor: &'static str,
    auth: A,
    retry: RetryPolicy,
}

impl<A: Authenticate> Inner<A> {
    /// Runtime state for one vendor client.
    pub fn new(vendor: &'static str, auth: A, config: &ClientConfig) -> Self {
        Self {
            vendor,
            auth,
            retry: config.retry.clone(),
        }
    }

    /// The vendor name.
    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// The auth in use.
    pub fn auth(&self) -> &A {
        &self.auth
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `text` without any credential of this client.
    pub fn redact(&self, text: &str) -> String {
        self.auth.redact(text)
    }

    /// Readies a request: only the headers the vendor documents, plus
    /// credentials.
    pub async fn prepare(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        request: &mut Request,
        operation: &str,
    ) -> Result<(), AuthError> {
        let ctx = AuthContext {
            vendor: self.vendor,
            operation,
            http,
            base_url,
            retry: &self.retry,
        };
        let result = self.auth.authenticate(&ctx, request).await;
        if let Err(e) = &result {
            note(|r| r.auth_error = Some(Box::new(e.clone())));
        }
        result
    }

    /// Sends a request, retrying transient failures of retry-safe operations.
    ///
    /// Not an `async fn`: the span is made here and the retry loop returned
    /// inside it, so that the loop's large future is not moved into one
    /// more wrapping future on every call.
    #[inline]
    pub fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: Request,
        operation: &str,
        retry_safe: bool,
    ) -> impl Future<Output = reqwest::Result<Response>> + Send + use<'a, A> {
        let span = tracing::info_span!(
            "chatbots.request",
            vendor = self.vendor,
            operation,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.send_with_retries(http, request, retry_safe, span.clone())
            .instrument(span)
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        retry_safe: bool,
        span: tracing::Span,
    ) -> reqwest::Result<Response> {
        // Built on the first retry: most calls never need a delay.
        let mut delays = None;
        let observed = !span.is_disabled() || tracing::level_enabled!(tracing::Level::DEBUG);
        let mut attempt = 1u32;
        loop {
            let next = if retry_safe && attempt < self.retry.max_attempts {
                RetryCopy::new(&request)
            } else {
                None
            };
            // Only the span and the debug events below report the latency;
            // when nothing listens, reading the clock is wasted.
            let started = observed.then(Instant::now);
            let result = http.execute(request).await;
            let latency_ms = started.map_or(0, |t| t.elapsed().as_millis() as u64);
            if observed {
                span.record("attempt", attempt);
                span.record("latency_ms", latency_ms);
            }
            let hint = match &result {
                Ok(response) => {
                    let status = response.status();
                    // Only a retryable status makes the wait matter.
                    let asked = if is_retryable_status(status) {
                        retry_after(response.headers())
                    } else {
                        None
                    };
                    if observed {
                        span.record("status", status.as_u16());
                    }
                    tracing::debug!(attempt, status = status.as_u16(), latency_ms, "response");
                    note(|r| {
                        r.status = Some(status);
                        r.retry_after = asked;
                        r.attempts = attempt;
                        r.timed_out = false;
                    });
                    is_retryable_status(status).then_some(asked)
                }
                Err(e) => {
                    tracing::debug!(attempt, latency_ms, error = %e, "transport error");
                    let timed_out = e.is_timeout();
                    note(|r| {
                        r.status = None;
                        r.retry_after = None;
                        r.attempts = attempt;
                        r.timed_out = timed_out;
                    });
                    (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body())
                        .then_some(None)
                }
            };
            let (Some(next), Some(asked)) = (next, hint) else {
                return result;
            };
            let Some(computed) = delays.get_or_insert_with(|| self.retry.delays()).next() else {
                return result;
            };
            let delay = match asked {
                Some(asked) if asked > self.retry.max_retry_after => return result,
                Some(asked) => asked,
                None => computed,
            };
            let Some(again) = next.request() else {
                return result;
            };
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            drop(result);
            tokio::time::sleep(delay).await;
            request = again;
            attempt += 1;
        }
    }
}

/// What a retry needs of a request, kept in one buffer: the URL, the body
/// and every header (name, value, whether it is sensitive), one after the
/// other.
///
/// Every retry-safe call keeps one in case it must be sent again, and
/// nearly always drops it unused. `Request::try_clone` would cost a copy of
/// the URL, of the body, two allocations for the header map and one each
/// for an extension map and a value it at once throws away; this costs one
/// allocation, and the parsing is left to the rare retry.
struct RetryCopy {
    method: reqwest::Method,
    version: reqwest::Version,
    timeout: Option<Duration>,
    url_len: usize,
    /// `None` for a request without a body.
    body_len: Option<usize>,
    bytes: Vec<u8>,
}

impl RetryCopy {
    /// `None` when the request cannot be sent twice (a streaming body), or
    /// a header is too long to be kept this way (never in practice).
    ///
    /// Every request here comes from a `reqwest::RequestBuilder`, whose only
    /// extension is the timeout, which is kept.
    fn new(request: &Request) -> Option<Self> {
        let url = request.url().as_str();
        let body = match request.body() {
            Some(body) => Some(body.as_bytes()?),
            None => None,
        };
        let headers = request.headers();
        // A guess that fits the usual few short headers: measuring them
        // exactly costs more than the rare reallocation.
        let size = url.len() + body.map_or(0, <[u8]>::len) + 64 * headers.len();
        let mut bytes = Vec::with_capacity(size);
        bytes.extend_from_slice(url.as_bytes());
        bytes.extend_from_slice(body.unwrap_or_default());
        for (name, value) in headers {
            let name = name.as_str().as_bytes();
            bytes.extend_from_slice(&u32::try_from(name.len()).ok()?.to_le_bytes());
            bytes.extend_from_slice(&u32::try_from(value.len()).ok()?.to_le_bytes());
            bytes.push(u8::from(value.is_sensitive()));
            bytes.extend_from_slice(name);
            bytes.extend_from_slice(value.as_bytes());
        }
        Some(Self {
            method: request.method().clone(),
            version: request.version(),
            timeout: request.timeout().copied(),
            url_len: url.len(),
            body_len: body.map(<[u8]>::len),
            bytes,
        })
    }

    /// The request again, as it was when copied. `None` only if what was
    /// copied from a valid request no longer parses (it always does).
    fn request(self) -> Option<Request> {
        let (url, rest) = self.bytes.split_at_checked(self.url_len)?;
        let url = reqwest::Url::parse(std::str::from_utf8(url).ok()?).ok()?;
        let (body, mut rest) = rest.split_at_checked(self.body_len.unwrap_or(0))?;
        let mut headers = HeaderMap::new();
        while !rest.is_empty() {
            let (lengths, tail) = rest.split_at_checked(9)?;
            let name_len = u32::from_le_bytes(lengths[0..4].try_into().ok()?) as usize;
            let value_len = u32::from_le_bytes(lengths[4..8].try_into().ok()?) as usize;
            let (name, tail) = tail.split_at_checked(name_len)?;
            let (value, tail) = tail.split_at_checked(value_len)?;
            let mut value = HeaderValue::from_bytes(value).ok()?;
            value.set_sensitive(lengths[8] == 1);
            headers.append(HeaderName::from_bytes(name).ok()?, value);
            rest = tail;
        }
        let mut request = Request::new(self.method, url);
        *request.version_mut() = self.version;
        if self.timeout.is_some() {
            *request.timeout_mut() = self.timeout;
        }
        *request.headers_mut() = headers;
        if self.body_len.is_some() {
            *request.body_mut() = Some(reqwest::Body::from(body.to_vec()));
        }
        Some(request)
    }
}

/// A failure a vendor reports inside an HTTP 2xx response (HotTask
/// `Success: false`, PureTalk `err: true`, Converza `success: false`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VendorFailure {
    /// The vendor's own code, if it sent one.
    pub code: Option<String>,
    /// The vendor's message, if it sent one.
    pub message: Option<String>,
}

/// A vendor response envelope that can carry a failure despite a 2xx
/// status. Vendor crates implement it for their envelope types.
pub trait Envelope {
    /// `Some` when the envelope reports that the operation failed.
    fn failure(&self) -> Option<VendorFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bytes_are_those_the_path_encoding_keeps() {
        for b in 0..=255u8 {
            let encoded = percent_encoding::percent_encode(&[b], PATH_SEGMENT).to_string();
            assert_eq!(
                KEPT[usize::from(b)],
                encoded.as_bytes() == [b],
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn path_segment_encodes_like_progenitor() {
        for value in [
            "plain-id_1.2~3",
            "a b/c?d#e%f",
            "ünïcode",
            "{x}<y>`z`\"",
            "",
        ] {
            let expected = percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string();
            assert_eq!(PathSegment(value).to_string(), expected);
        }
        assert_eq!(PathSegment(&-12).to_string(), "-12");
    }

    #[test]
    fn a_retry_copy_rebuilds_the_same_request() {
        let http = ClientConfig::default().http_client().unwrap();
        let mut secret = HeaderValue::from_static("Bearer s3cret");
        secret.set_sensitive(true);
        let request = http
            .patch("https://api.example.com/v1/bots/a%20b?id=1&x=%C3%BC")
            .header("x-multi", "one")
            .header("x-multi", "two")
            .header(reqwest::header::AUTHORIZATION, secret)
            .header("x-opaque", HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap())
            .timeout(Duration::from_secs(7))
            .version(reqwest::Version::HTTP_11)
            .body("{\"name\":\"bot\"}")
            .build()
            .unwrap();
        let copy = RetryCopy::new(&request).unwrap().request().unwrap();
        assert_eq!(copy.method(), request.method());
        assert_eq!(copy.url(), request.url());
        assert_eq!(copy.version(), request.version());
        assert_eq!(copy.timeout(), request.timeout());
        let pairs = |r: &Request| {
            r.headers()
                .iter()
                .map(|(n, v)| (n.clone(), v.clone(), v.is_sensitive()))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&copy), pairs(&request));
        assert_eq!(
            copy.body().and_then(reqwest::Body::as_bytes),
            request.body().and_then(reqwest::Body::as_bytes)
        );

        let bodiless = http.get("http://localhost/x").build().unwrap();
        let copy = RetryCopy::new(&bodiless).unwrap().request().unwrap();
        assert!(copy.body().is_none());
        assert!(copy.timeout().is_none());
    }

    #[test]
    fn a_streaming_body_is_not_copied() {
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(b"chunk".to_vec())]);
        let request = ClientConfig::default()
            .http_client()
            .unwrap()
            .post("http://localhost/upload")
            .body(reqwest::Body::wrap_stream(chunks))
            .build()
            .unwrap();
        assert!(RetryCopy::new(&request).is_none());
    }
}
