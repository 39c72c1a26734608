//! [`Inner`]: the state behind every generated client, and the steps every
//! request goes through (prepare, send with retries, decode a hand-built
//! request's answer).
//!
//! Sending is a loop over named parts, as in smithy-rs's
//! `aws-smithy-runtime`: each attempt's [`Outcome`](outcome::Outcome)
//! (`outcome.rs`: an answer read whole, one too large to read, or a
//! transport failure and where it broke off), the classifier's
//! [`RetryAction`](classify::RetryAction) (`classify.rs`: retry or not, and
//! why), the [`Strategy`](strategy::Strategy) (`strategy.rs`: the pacer's
//! turn, which delay, when to give up), and the 429 made without sending
//! when the first turn is past the deadline, or the 503 when shared
//! pacing's Redis does not answer and the client is set to fail then
//! (`paced_out.rs`).
//! [`Inner::execute`] only sequences them, traces and notes the call record.

use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{Error, ResponseValue};
use reqwest::header::HeaderName;
use reqwest::{Request, Response};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::pace::Pacer;
use crate::record::note;
use crate::{
    AuthContext, AuthError, Authenticate, ClientConfig, Operation, RateLimit, RetryPolicy,
};

mod classify;
mod outcome;
mod paced_out;
mod strategy;

pub use outcome::BodyTooLarge;

use classify::{RetryAction, classify};
use outcome::{Outcome, read_whole};
use paced_out::not_sent;
use strategy::{GiveUp, Strategy};

/// The header progenitor adds to every request, with the spec's
/// `info.version`. No vendor documents it.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The state behind every generated vendor client: vendor name, auth, retry
/// policy and pacer. Cloning is cheap when the auth is; clones share the
/// pacer.
#[derive(Clone, Debug)]
pub struct Inner<A> {
    vendor: &'static str,
    auth: A,
    retry: RetryPolicy,
    /// `None`: pacing off.
    pacer: Option<Arc<Pacer>>,
    deadline: Duration,
    /// [`ClientConfig::max_response_bytes`].
    max_response_bytes: usize,
}

impl<A: Authenticate> Inner<A> {
    /// Runtime state for one vendor client, paced by a limit learned from
    /// 429s (or `config.pacing.limit`), shared with other clients of the
    /// vendor on the same credential built this way. Generated clients use
    /// [`Inner::for_server`].
    pub fn new(vendor: &'static str, auth: A, config: &ClientConfig) -> Self {
        Self::for_server(vendor, auth, config, "", None)
    }

    /// Runtime state for one vendor client of the server at `base_url`.
    /// `documented` is the vendor's documented limit (the spec's
    /// `x-chatbots-rate-limit`; `config.pacing.limit` replaces it). Every
    /// client of `vendor` on `base_url` with the same credential
    /// ([`Authenticate::credential_id`]) and limit shares one pacer, so
    /// they share one budget.
    pub fn for_server(
        vendor: &'static str,
        auth: A,
        config: &ClientConfig,
        base_url: &str,
        documented: Option<RateLimit>,
    ) -> Self {
        let pacing = &config.pacing;
        let pacer = pacing.enabled.then(|| {
            Pacer::shared(
                vendor,
                base_url,
                auth.credential_id(),
                pacing.limit.or(documented),
                pacing.shared.as_ref(),
            )
        });
        Self {
            vendor,
            auth,
            retry: config.retry.clone(),
            pacer,
            deadline: pacing.deadline,
            max_response_bytes: config.max_response_bytes,
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

    /// Requests per second the client is paced at now: the documented (or
    /// configured) refill rate, or the rate learned after a 429. `None`
    /// while unpaced (no documented limit and no 429 lately) or with
    /// pacing off.
    pub fn pacing_rate(&self) -> Option<f64> {
        self.pacer.as_ref()?.rate()
    }

    /// `text` without any credential of this client.
    pub fn redact(&self, text: &str) -> String {
        self.auth.redact(text)
    }

    /// Obtains the credentials ahead of a call ([`Authenticate::ready`]), so
    /// that a failure comes back typed; the `pre` hook would pass it on only
    /// as text.
    pub async fn ready(&self, http: &reqwest::Client, base_url: &str) -> Result<(), AuthError> {
        let ctx = AuthContext {
            vendor: self.vendor,
            operation: "",
            http,
            base_url,
            retry: &self.retry,
        };
        self.auth.ready(&ctx).await
    }

    /// Readies a request (the `pre` hook): removes the `api-version` header
    /// progenitor adds and applies the credentials.
    pub async fn prepare(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        request: &mut Request,
        operation: &str,
    ) -> Result<(), AuthError> {
        request.headers_mut().remove(&API_VERSION);
        let ctx = AuthContext {
            vendor: self.vendor,
            operation,
            http,
            base_url,
            retry: &self.retry,
        };
        self.auth.authenticate(&ctx, request).await
    }

    /// Sends a request (the `exec` hook) when the pacer gives it a turn,
    /// retrying transient failures of retry-safe operations, inside a
    /// `chatbots.request` tracing span (vendor, operation, method, attempt,
    /// status, latency; never a header or a body).
    ///
    /// Each answer's body is read whole before the attempt counts as
    /// answered, so that a body cut off (or a connection reset mid-body) is
    /// a transport failure, retried like a reset before the head; the
    /// response handed on holds the body in memory. A body longer than
    /// [`ClientConfig::max_response_bytes`] is not read: the response handed
    /// on fails to read, with [`BodyTooLarge`] as the source of that error.
    ///
    /// Waiting for a turn is not an attempt. A call whose turn would come
    /// after the pacing deadline is not sent (or not sent again): it gets
    /// the vendor's last answer, or before any attempt a 429 made by the
    /// client (`Retry-After`: the wait; header `x-chatbots-paced-out`; a
    /// JSON `message`), and [`CallRecord::deadline_exceeded`](crate::CallRecord::deadline_exceeded).
    pub fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: Request,
        operation: &str,
        retry_safe: bool,
    ) -> impl Future<Output = reqwest::Result<Response>> + use<'a, A> {
        let span = tracing::info_span!(
            "chatbots.request",
            vendor = self.vendor,
            operation,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // The clock is read only for someone listening: the span or a debug
        // event.
        let timed = !span.is_disabled() || tracing::enabled!(tracing::Level::DEBUG);
        let fields = span.clone();
        // One async block, instrumented (entering a disabled span does
        // nothing): each further async layer, or argument rebound by an
        // `async fn`, would copy the request and the future once more.
        async move {
            let mut strategy = Strategy::new(&self.retry, self.pacer.as_deref(), self.deadline);
            let mut attempt = 1u32;
            loop {
                let permit = match strategy.turn().await {
                    Ok(permit) => permit,
                    Err(no_turn) => return Ok(not_sent(self.vendor, self.deadline, no_turn)),
                };
                if let Some(waited) = permit.map(|p| p.waited).filter(|w| !w.is_zero()) {
                    tracing::debug!(
                        waited_ms = waited.as_millis() as u64,
                        "waited for the rate limit"
                    );
                    note(|r| r.paced += waited);
                }
                // Cloned before the request is consumed, and only when a retry
                // may follow; `None` for a streaming body, which cannot be
                // sent twice.
                let again = if retry_safe && strategy.attempts_left(attempt) {
                    request.try_clone()
                } else {
                    None
                };
                let started = timed.then(Instant::now);
                let outcome = match http.execute(request).await {
                    Ok(response) => {
                        strategy.observe(permit, &response);
                        read_whole(response, self.max_response_bytes).await
                    }
                    Err(error) => Outcome::lost(error),
                };
                let latency_ms = started.map(|started| started.elapsed().as_millis() as u64);
                let action = classify(&outcome, retry_safe);
                fields.record("attempt", attempt);
                fields.record("latency_ms", latency_ms);
                match &outcome {
                    Outcome::Answered(response) | Outcome::TooLarge(response) => {
                        let status = response.status();
                        fields.record("status", status.as_u16());
                        tracing::debug!(attempt, status = status.as_u16(), latency_ms, "response");
                        note(|r| {
                            r.status = Some(status);
                            r.retry_after = action.retry_after();
                            r.attempts = attempt;
                            r.timed_out = false;
                            // A success settles the outcome; a refusal does
                            // not undo what a lost attempt may have done.
                            if status.is_success() {
                                r.outcome_unknown = false;
                            }
                        });
                    }
                    Outcome::Lost { error, failure } => {
                        tracing::debug!(attempt, latency_ms, error = %error, "transport error");
                        let timed_out = error.is_timeout();
                        note(|r| {
                            r.status = None;
                            r.retry_after = None;
                            r.attempts = attempt;
                            r.timed_out = timed_out;
                            // An earlier attempt's lost answer stays unknown
                            // whatever later attempts bring.
                            r.outcome_unknown |= failure.may_have_reached();
                        });
                    }
                }
                let (RetryAction::Retry(reason), Some(again)) = (action, again) else {
                    return outcome.into_result();
                };
                let delay = match strategy.next_delay(reason) {
                    Ok(delay) => delay,
                    Err(GiveUp::Deadline) => {
                        tracing::debug!(attempt, "not retried: the pacing deadline would pass");
                        note(|r| r.deadline_exceeded = true);
                        return outcome.into_result();
                    }
                    Err(GiveUp::AttemptsSpent | GiveUp::WaitTooLong) => {
                        return outcome.into_result();
                    }
                };
                tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                drop(outcome);
                // Boxed: the timer of a rare retry need not sit in every call's
                // future.
                Box::pin(tokio::time::sleep(delay)).await;
                request = again;
                attempt += 1;
            }
        }
        .instrument(span)
    }

    /// Sends a request built by hand (a multipart upload, which progenitor
    /// cannot generate) through the same steps as a generated call, and
    /// decodes the answer the same way: a 2xx body as `T`, a 4xx/5xx body as
    /// `E` in [`Error::ErrorResponse`].
    pub async fn send_manual<T, E>(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        mut request: Request,
        operation: &Operation,
    ) -> Result<ResponseValue<T>, Error<E>>
    where
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        self.prepare(http, base_url, &mut request, operation.id)
            .await
            .map_err(hook_error)?;
        let response = self
            .execute(http, request, operation.id, operation.retry_safe)
            .await?;
        match response.status().as_u16() {
            200..=299 => ResponseValue::from_response(response).await,
            400..=599 => Err(Error::ErrorResponse(
                ResponseValue::from_response(response).await?,
            )),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

/// An [`AuthError`] as the `pre` hook can return it: as text. Callers that
/// want it typed call [`Inner::ready`] first (the facade does).
pub fn hook_error<E>(error: AuthError) -> Error<E> {
    Error::Custom(error.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use reqwest::StatusCode;

    use super::*;
    use crate::{HeaderAuth, SecretString};

    fn inner() -> Inner<HeaderAuth> {
        let auth = HeaderAuth::new("test", "x-key", "", &SecretString::from("k")).unwrap();
        let config = ClientConfig {
            retry: RetryPolicy {
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        };
        Inner::new("test", auth, &config)
    }

    /// Callers spawn calls onto multi-threaded runtimes.
    #[test]
    fn the_futures_of_a_call_are_send() {
        fn send<T: Send>(_: &T) {}
        let http = reqwest::Client::new();
        let inner = inner();
        let mut request = http.get("http://127.0.0.1:9/").build().unwrap();
        send(&inner.prepare(&http, "", &mut request, "get"));
        let request = http.get("http://127.0.0.1:9/").build().unwrap();
        send(&crate::record(inner.execute(&http, request, "get", true)));
        let request = http.get("http://127.0.0.1:9/").build().unwrap();
        let op = Operation::new("get", true, None);
        send(&inner.send_manual::<serde_json::Value, serde_json::Value>(&http, "", request, &op));
    }

    #[tokio::test]
    async fn a_retry_sends_the_same_request_again() {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let http = ClientConfig::default().http_client().unwrap();
        let request = http
            .patch(format!("{}/bots/a%20b?id=1", server.uri()))
            .header("x-multi", "one")
            .header("x-multi", "two")
            .header("api-version", "1.0.0")
            .body("{\"name\":\"bot\"}")
            .build()
            .unwrap();
        let inner = inner();
        let (response, record) = crate::record(async {
            let mut request = request;
            inner
                .prepare(&http, "", &mut request, "edit")
                .await
                .unwrap();
            inner.execute(&http, request, "edit", true).await
        })
        .await;
        assert_eq!(response.unwrap().status(), 200);
        assert_eq!(record.attempts, 2);
        let sent = server.received_requests().await.unwrap();
        assert_eq!(sent.len(), 2);
        for request in &sent {
            assert_eq!(request.url, sent[0].url);
            assert_eq!(request.body, b"{\"name\":\"bot\"}");
            let multi: Vec<_> = request.headers.get_all("x-multi").iter().collect();
            assert_eq!(multi, ["one", "two"]);
            assert_eq!(request.headers.get("x-key").unwrap(), "k");
            assert!(request.headers.get("api-version").is_none());
        }
    }

    #[tokio::test]
    async fn a_streaming_body_is_sent_once() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let http = ClientConfig::default().http_client().unwrap();
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(b"chunk".to_vec())]);
        let request = http
            .post(format!("{}/upload", server.uri()))
            .body(reqwest::Body::wrap_stream(chunks))
            .build()
            .unwrap();
        let inner = inner();
        let (response, record) = crate::record(inner.execute(&http, request, "upload", true)).await;
        assert_eq!(response.unwrap().status(), 503);
        assert_eq!(record.attempts, 1);
    }

    /// A loopback server that answers the n-th connection with the n-th of
    /// `answers` (raw HTTP, the last one repeated) and closes it. Counts
    /// the connections.
    async fn raw_server(answers: Vec<Vec<u8>>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/bots", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let answer = answers[n.min(answers.len() - 1)].clone();
                tokio::spawn(async move {
                    // The request head (GETs carry no body), then the answer.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        (url, count)
    }

    const WHOLE: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"id\": \"a\"}";
    /// Promises 11 bytes, sends 5, closes.
    const CUT_OFF: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"id\"";

    async fn send(
        inner: &Inner<HeaderAuth>,
        url: &str,
        retry_safe: bool,
    ) -> (reqwest::Result<Response>, crate::CallRecord) {
        let http = ClientConfig::default().http_client().unwrap();
        let request = http.get(url).build().unwrap();
        crate::record(inner.execute(&http, request, "get", retry_safe)).await
    }

    #[tokio::test]
    async fn a_body_cut_off_is_retried_like_a_reset() {
        let (url, connections) = raw_server(vec![CUT_OFF.to_vec(), WHOLE.to_vec()]).await;
        let (response, record) = send(&inner(), &url, true).await;
        let response = response.unwrap();
        assert_eq!(
            response.url().as_str(),
            url,
            "the URL survives the buffering"
        );
        assert_eq!(response.bytes().await.unwrap(), &b"{\"id\": \"a\"}"[..]);
        assert_eq!(record.attempts, 2);
        assert!(!record.outcome_unknown);
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_body_in_several_chunks_arrives_whole() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n6\r\n{\"id\":\r\n6\r\n \"abc\"\r\n1\r\n}\r\n0\r\n\r\n";
        let (url, _) = raw_server(vec![chunked.to_vec()]).await;
        let (response, record) = send(&inner(), &url, true).await;
        let body = response.unwrap().bytes().await.unwrap();
        assert_eq!(body, &b"{\"id\": \"abc\"}"[..]);
        assert_eq!(record.attempts, 1);
    }

    #[tokio::test]
    async fn a_body_cut_off_of_an_unsafe_call_is_an_unknown_outcome() {
        let (url, connections) = raw_server(vec![CUT_OFF.to_vec(), WHOLE.to_vec()]).await;
        let (response, record) = send(&inner(), &url, false).await;
        let error = response.unwrap_err();
        assert!(error.is_decode(), "{error:?}");
        assert_eq!(record.attempts, 1);
        assert_eq!(record.status, None);
        assert!(record.outcome_unknown, "the vendor may have acted on it");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// The vendor may have acted on the first attempt, whatever the next
    /// ones answer.
    #[tokio::test]
    async fn a_lost_answer_stays_unknown_after_later_failures() {
        let unavailable =
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let (url, _) = raw_server(vec![CUT_OFF.to_vec(), unavailable.to_vec()]).await;
        let (response, record) = send(&inner(), &url, true).await;
        assert_eq!(response.unwrap().status(), 503);
        assert_eq!(record.attempts, 3);
        assert!(record.outcome_unknown, "{record:?}");
    }

    #[tokio::test]
    async fn a_connection_never_opened_is_no_unknown_outcome() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/bots", listener.local_addr().unwrap());
        drop(listener);
        let (response, record) = send(&inner(), &url, false).await;
        assert!(response.unwrap_err().is_connect());
        assert!(!record.outcome_unknown);
    }

    /// Too long, by its length or (chunked, no length) by what arrives: not
    /// read, not retried, and reading it says why.
    #[tokio::test]
    async fn a_body_over_the_limit_is_an_error_not_an_allocation() {
        let config = ClientConfig {
            max_response_bytes: 10,
            ..ClientConfig::default()
        };
        let auth = HeaderAuth::new("test", "x-key", "", &SecretString::from("k")).unwrap();
        let inner = Inner::new("test", auth, &config);
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n6\r\n{\"id\":\r\n6\r\n \"abc\"\r\n1\r\n}\r\n0\r\n\r\n";
        for answer in [WHOLE, &chunked[..]] {
            let (url, connections) = raw_server(vec![answer.to_vec()]).await;
            let (response, record) = send(&inner, &url, true).await;
            let response = response.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(record.attempts, 1);
            let error = response.bytes().await.unwrap_err();
            let mut source = std::error::Error::source(&error);
            let mut found = None;
            while let Some(inner) = source {
                found = found.or(inner.downcast_ref::<BodyTooLarge>().copied());
                source = inner.source();
            }
            assert_eq!(found, Some(BodyTooLarge { limit: 10 }), "{error:?}");
            assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
        }
    }

    /// A `MakeWriter` that appends to a shared buffer.
    #[derive(Clone, Default)]
    struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl tracing_subscriber::fmt::MakeWriter<'_> for Capture {
        type Writer = Capture;

        fn make_writer(&self) -> Capture {
            self.clone()
        }
    }

    /// A subscriber listening at INFO sees the span's attempt, status and
    /// latency (the debug events off); one at DEBUG sees them on the
    /// `response` events too.
    #[tokio::test]
    async fn the_span_and_the_events_carry_attempt_status_and_latency() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        // tracing caches per callsite whether it is enabled, process-wide; a
        // second, inert dispatcher makes it ask the current thread's
        // subscriber (see the facade's `no_secret_in_logs_debug_or_errors`).
        let _anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::new());
        for level in [tracing::Level::INFO, tracing::Level::DEBUG] {
            let capture = Capture::default();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_writer(capture.clone())
                .finish();
            let _guard = tracing::subscriber::set_default(subscriber);
            tracing::callsite::rebuild_interest_cache();
            let (response, _) = get(&inner(), &server).await;
            assert_eq!(response.status(), 200);
            let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
            let close = logs.lines().find(|line| line.contains("close")).unwrap();
            for field in ["attempt=1", "status=200", "latency_ms="] {
                assert!(close.contains(field), "{level}: {field} in {logs}");
            }
            let response = logs.lines().find(|line| line.contains(" response "));
            if level == tracing::Level::DEBUG {
                let response = response.unwrap_or_else(|| panic!("{logs}"));
                for field in ["attempt=1", "status=200", "latency_ms="] {
                    assert!(response.contains(field), "{field} in {logs}");
                }
            } else {
                assert!(response.is_none(), "{logs}");
            }
        }
    }

    /// A client of `server` with `pacing`, fast retries and its own key.
    fn client(server: &MockServer, key: &str, pacing: crate::Pacing) -> Inner<HeaderAuth> {
        let auth = HeaderAuth::new("test", "x-key", "", &SecretString::from(key)).unwrap();
        let config = ClientConfig {
            retry: RetryPolicy {
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            pacing,
            ..ClientConfig::default()
        };
        Inner::for_server("test", auth, &config, &server.uri(), None)
    }

    async fn get(inner: &Inner<HeaderAuth>, server: &MockServer) -> (Response, crate::CallRecord) {
        // One client for every call: building one (rustls's root store)
        // takes 50-200 ms on a busy machine, which the timing tests would
        // count as waiting. No idle connection is kept: each test has a
        // runtime of its own, and a connection must not outlive it.
        static HTTP: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
            let config = ClientConfig::default();
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
        });
        let http = &*HTTP;
        let request = http.get(format!("{}/bots", server.uri())).build().unwrap();
        let (response, record) = crate::record(inner.execute(http, request, "get", true)).await;
        (response.unwrap(), record)
    }

    /// Four calls at once, timed.
    async fn four_at_once(inner: &Inner<HeaderAuth>, server: &MockServer) -> Duration {
        let started = Instant::now();
        let calls = (0..4).map(|_| get(inner, server));
        for (response, _) in futures::future::join_all(calls).await {
            assert_eq!(response.status(), 200);
        }
        started.elapsed()
    }

    const FOUR_PER_SECOND: crate::RateLimit = crate::RateLimit {
        burst: 2,
        per_second: 4.0,
    };

    #[tokio::test]
    async fn pacing_spaces_calls_out_and_off_sends_them_at_once() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let on = crate::Pacing {
            limit: Some(FOUR_PER_SECOND),
            ..crate::Pacing::default()
        };
        // A burst of one (one token spare), then 250 ms apart.
        let paced = four_at_once(&client(&server, "on", on.clone()), &server).await;
        assert!(paced >= Duration::from_millis(740), "{paced:?}");
        let off = crate::Pacing {
            enabled: false,
            ..on
        };
        let unpaced = four_at_once(&client(&server, "off", off), &server).await;
        assert!(unpaced < Duration::from_millis(500), "{unpaced:?}");
    }

    #[tokio::test]
    async fn a_call_whose_turn_is_past_its_deadline_is_not_sent() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let pacing = crate::Pacing {
            limit: Some(crate::RateLimit {
                burst: 1,
                per_second: 0.01,
            }),
            deadline: Duration::from_secs(1),
            ..crate::Pacing::default()
        };
        let inner = client(&server, "deadline", pacing);
        let (first, _) = get(&inner, &server).await;
        assert_eq!(first.status(), 200);

        let started = Instant::now();
        let (refused, record) = get(&inner, &server).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["x-chatbots-paced-out"], "deadline");
        assert_eq!(refused.headers()["retry-after"], "100");
        assert!(record.deadline_exceeded);
        assert_eq!(record.attempts, 0);
        assert_eq!(record.status, Some(StatusCode::TOO_MANY_REQUESTS));
        assert!(record.retry_after > Some(Duration::from_secs(99)));
        let body: serde_json::Value = refused.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("deadline of 1 s"), "{message}");
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    /// Shared pacing set to fail without its Redis: nothing is sent, and
    /// the answer says why (not a paced-out 429), without the password.
    #[tokio::test]
    async fn a_call_without_its_shared_pacing_redis_fails_as_such() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        // Nothing listens on port 1.
        let shared = crate::SharedPacing {
            command_timeout: Duration::from_millis(100),
            on_outage: crate::OnOutage::Fail,
            ..crate::SharedPacing::new("redis://:s3cret-pw@127.0.0.1:1/")
        };
        let pacing = crate::Pacing {
            shared: Some(shared),
            ..crate::Pacing::default()
        };
        let inner = client(&server, "outage", pacing);
        let (refused, record) = get(&inner, &server).await;
        assert_eq!(refused.status(), 503);
        assert_eq!(
            refused.headers()["x-chatbots-paced-out"],
            "shared-pacing-unavailable"
        );
        assert_eq!(refused.headers()["retry-after"], "1");
        let why = record.shared_pacing_unavailable.as_deref().expect("noted");
        assert!(why.contains("Redis at 127.0.0.1:1 did not answer"), "{why}");
        assert!(!record.deadline_exceeded);
        assert_eq!((record.attempts, record.status), (0, None));
        let body: serde_json::Value = refused.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("not sent"), "{message}");
        assert!(!message.contains("deadline"), "{message}");
        for text in [message, why] {
            assert!(!text.contains("s3cret-pw"), "{text}");
        }
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_429_holds_the_next_attempt_until_retry_after_and_waits_once() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let inner = client(&server, "hold", crate::Pacing::default());
        assert_eq!(inner.pacing_rate(), None, "no documented limit: unpaced");
        let started = Instant::now();
        let (response, record) = get(&inner, &server).await;
        let took = started.elapsed();
        assert_eq!(response.status(), 200);
        assert_eq!(record.attempts, 2);
        assert!(took >= Duration::from_millis(990), "{took:?}");
        assert!(took < Duration::from_millis(1900), "waited twice: {took:?}");
        assert!(record.paced >= Duration::from_millis(900), "{record:?}");
        assert!(inner.pacing_rate().is_some(), "learned from the 429");
    }

    #[tokio::test]
    async fn remaining_zero_holds_the_next_call_until_the_reset() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-rate-limit-remaining", "0")
                    .insert_header("x-rate-limit-reset", "1"),
            )
            .mount(&server)
            .await;
        let inner = client(&server, "reset", crate::Pacing::default());
        let (_, first) = get(&inner, &server).await;
        assert_eq!(first.paced, Duration::ZERO);
        let started = Instant::now();
        let (_, second) = get(&inner, &server).await;
        assert!(started.elapsed() >= Duration::from_millis(990));
        assert!(second.paced >= Duration::from_millis(900), "{second:?}");
    }
}
