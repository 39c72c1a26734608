//! [`Inner`]: the state behind every generated client, and the steps every
//! request goes through (prepare, send with retries, decode a hand-built
//! request's answer).

use std::time::Instant;

use progenitor_client::{Error, ResponseValue};
use reqwest::header::HeaderName;
use reqwest::{Request, Response};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::record::note;
use crate::{
    AuthContext, AuthError, Authenticate, ClientConfig, Operation, RetryPolicy,
    is_retryable_status, retry_after,
};

/// The header progenitor adds to every request, with the spec's
/// `info.version`. No vendor documents it.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

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

    /// Sends a request (the `exec` hook), retrying transient failures of
    /// retry-safe operations, inside a `chatbots.request` tracing span
    /// (vendor, operation, method, attempt, status, latency; never a header
    /// or a body).
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &str,
        retry_safe: bool,
    ) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "chatbots.request",
            vendor = self.vendor,
            operation,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Without a subscriber listening there is no span to enter on every
        // poll.
        if span.is_disabled() {
            return self
                .send_with_retries(http, request, retry_safe, span)
                .await;
        }
        self.send_with_retries(http, request, retry_safe, span.clone())
            .instrument(span)
            .await
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        retry_safe: bool,
        span: tracing::Span,
    ) -> reqwest::Result<Response> {
        let mut delays = self.retry.delays();
        let mut attempt = 1u32;
        loop {
            // `None` for a streaming body, which cannot be sent twice.
            let next = if retry_safe && attempt < self.retry.max_attempts {
                request.try_clone()
            } else {
                None
            };
            let started = Instant::now();
            let result = http.execute(request).await;
            let latency_ms = started.elapsed().as_millis() as u64;
            span.record("attempt", attempt);
            span.record("latency_ms", latency_ms);
            let hint = match &result {
                Ok(response) => {
                    let status = response.status();
                    // Only a retryable status makes the wait matter.
                    let asked = if is_retryable_status(status) {
                        retry_after(response.headers())
                    } else {
                        None
                    };
                    span.record("status", status.as_u16());
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
            let (Some(again), Some(asked)) = (next, hint) else {
                return result;
            };
            let Some(computed) = delays.next() else {
                return result;
            };
            let delay = match asked {
                Some(asked) if asked > self.retry.max_retry_after => return result,
                Some(asked) => asked,
                None => computed,
            };
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            drop(result);
            tokio::time::sleep(delay).await;
            request = again;
            attempt += 1;
        }
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
}
