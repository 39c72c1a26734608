//! What one attempt brought back ([`Outcome`]), read whole before the
//! classifier looks at it.

use reqwest::Response;

/// What one attempt brought back.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A status, headers and the whole body, in memory.
    Answered(Response),
    /// A status and headers; the body, longer than
    /// [`ClientConfig::max_response_bytes`](crate::ClientConfig::max_response_bytes),
    /// was not read: the response's body fails to read with [`BodyTooLarge`].
    TooLarge(Response),
    /// No whole answer.
    Lost {
        /// What `reqwest` said.
        error: reqwest::Error,
        /// Where the exchange broke off.
        failure: Lost,
    },
}

/// Where an exchange broke off before a whole answer arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lost {
    /// No connection opened: nothing reached the vendor.
    Connect,
    /// The attempt ran out of time.
    Timeout,
    /// The connection failed while the request was sent or the head awaited
    /// (a reset, a close).
    Reset,
    /// The request's body failed to send.
    RequestBody,
    /// The head arrived, then the body was cut off.
    CutOff,
    /// Anything else `reqwest` refuses (a redirect loop, a request it cannot
    /// build): no transient failure.
    Other,
}

impl Lost {
    /// How a failure of `Client::execute` broke off. A connect timeout is a
    /// connect failure: nothing was sent.
    pub(crate) fn of(error: &reqwest::Error) -> Lost {
        if error.is_connect() {
            Lost::Connect
        } else if error.is_timeout() {
            Lost::Timeout
        } else if error.is_request() {
            Lost::Reset
        } else if error.is_body() {
            Lost::RequestBody
        } else {
            Lost::Other
        }
    }

    /// Whether the request may have reached the vendor (and been acted on).
    pub(crate) fn may_have_reached(self) -> bool {
        self != Lost::Connect
    }

    /// Whether another attempt may do better.
    pub(crate) fn is_transient(self) -> bool {
        self != Lost::Other
    }
}

impl Outcome {
    /// The outcome of a failed `Client::execute`.
    pub(crate) fn lost(error: reqwest::Error) -> Outcome {
        let failure = Lost::of(&error);
        Outcome::Lost { error, failure }
    }

    /// What the caller gets: the response (a too-large one fails to read),
    /// or the transport error.
    pub(crate) fn into_result(self) -> reqwest::Result<Response> {
        match self {
            Outcome::Answered(response) | Outcome::TooLarge(response) => Ok(response),
            Outcome::Lost { error, .. } => Err(error),
        }
    }
}

/// A response body longer than the client reads
/// ([`ClientConfig::max_response_bytes`](crate::ClientConfig::max_response_bytes)):
/// the source of the `reqwest` error that reading such a response gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the response body is longer than the client's limit of {limit} bytes")]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

/// Reads `response`'s body whole, at most `limit` bytes of it, so that the
/// response handed on holds the body in memory.
pub(crate) async fn read_whole(mut response: Response, limit: usize) -> Outcome {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit as u64) {
        return Outcome::TooLarge(with_body(response, too_large(limit)));
    }
    // A body that arrives in one chunk (most) is handed on as it is; only
    // one in several chunks is copied together.
    let mut first = bytes::Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let so_far = joined.as_ref().map_or(first.len(), |j| j.len());
                if so_far + chunk.len() > limit {
                    return Outcome::TooLarge(with_body(response, too_large(limit)));
                }
                if so_far == 0 {
                    first = chunk;
                } else {
                    joined
                        .get_or_insert_with(|| bytes::BytesMut::from(&first[..]))
                        .extend_from_slice(&chunk);
                }
            }
            Ok(None) => break,
            Err(error) => {
                let url = response.url().clone();
                return Outcome::Lost {
                    error: error.with_url(url),
                    // The head arrived: the request reached the vendor.
                    failure: Lost::CutOff,
                };
            }
        }
    }
    let body = joined.map_or(first, bytes::BytesMut::freeze);
    Outcome::Answered(with_body(response, body))
}

/// A body that fails to read with [`BodyTooLarge`].
fn too_large(limit: usize) -> reqwest::Body {
    reqwest::Body::wrap_stream(Failing(Some(BodyTooLarge { limit })))
}

/// A stream whose one item is an error.
struct Failing(Option<BodyTooLarge>);

impl futures_core::Stream for Failing {
    type Item = Result<bytes::Bytes, BodyTooLarge>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

/// `response`'s status, version, headers and URL with `body`.
fn with_body(mut response: Response, body: impl Into<reqwest::Body>) -> Response {
    use reqwest::ResponseBuilderExt;
    // Only the URL needs the builder (its extension type is reqwest's own),
    // and setting it cannot fail.
    let head = http::Response::builder()
        .url(response.url().clone())
        .body(())
        .unwrap_or_default();
    let (mut parts, ()) = head.into_parts();
    parts.status = response.status();
    parts.version = response.version();
    parts.headers = std::mem::take(response.headers_mut());
    Response::from(http::Response::from_parts(parts, body.into()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn what_each_failure_means() {
        // (failure, may have reached the vendor, transient)
        let cases = [
            (Lost::Connect, false, true),
            (Lost::Timeout, true, true),
            (Lost::Reset, true, true),
            (Lost::RequestBody, true, true),
            (Lost::CutOff, true, true),
            (Lost::Other, true, false),
        ];
        for (failure, reached, transient) in cases {
            assert_eq!(failure.may_have_reached(), reached, "{failure:?}");
            assert_eq!(failure.is_transient(), transient, "{failure:?}");
        }
    }

    /// A loopback server that reads each request's head and then does
    /// `then` with the connection: `Some(bytes)` writes them and closes,
    /// `None` holds the connection open and silent.
    async fn server(then: Option<&'static [u8]>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    match then {
                        Some(answer) => {
                            let _ = socket.write_all(answer).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        url
    }

    /// Real failures of `Client::execute`, each where it broke off.
    #[tokio::test]
    async fn a_failure_is_told_by_where_it_broke_off() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/", listener.local_addr().unwrap())
        };
        let silent = server(None).await;
        let hang_up = server(Some(b"")).await;
        let http = crate::ClientConfig {
            timeout: Duration::from_millis(300),
            ..crate::ClientConfig::default()
        }
        .http_client()
        .unwrap();
        for (url, expected) in [
            (closed, Lost::Connect),
            (silent, Lost::Timeout),
            (hang_up, Lost::Reset),
        ] {
            let error = http.get(&url).send().await.unwrap_err();
            assert_eq!(Lost::of(&error), expected, "{error:?}");
        }
    }

    #[tokio::test]
    async fn a_body_cut_off_after_the_head_is_lost_not_answered() {
        let url = server(Some(
            b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"id\"",
        ))
        .await;
        let http = crate::ClientConfig::default().http_client().unwrap();
        let response = http.get(&url).send().await.unwrap();
        let outcome = read_whole(response, 1024).await;
        assert!(
            matches!(
                outcome,
                Outcome::Lost {
                    failure: Lost::CutOff,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
}
