//! The classifier: whether an attempt's [`Outcome`] is worth another
//! attempt, and why ([`RetryAction`]). It knows statuses and transport
//! failures; how long to wait, and whether there is time, is the
//! strategy's.

use std::time::Duration;

use reqwest::StatusCode;

use super::outcome::{Lost, Outcome};
use crate::{is_retryable_status, retry_after};

/// What the classifier makes of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryAction {
    /// Hand the outcome on: a success, or a failure another attempt would
    /// not change.
    Final,
    /// Another attempt may do better.
    Retry(RetryReason),
    /// Another attempt may do better, but the operation is not retry-safe:
    /// the vendor may have acted on this one.
    Forbidden(RetryReason),
}

/// Why another attempt may do better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// A 429: the vendor's rate limit. `retry_after`: the wait it asked for
    /// ([`retry_after`]).
    Throttled { retry_after: Option<Duration> },
    /// A 502, 503 or 504: the vendor (or a proxy before it) is unavailable
    /// for now.
    Unavailable {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// No whole answer, for a reason that may pass.
    Transport(Lost),
}

impl RetryReason {
    /// The wait the vendor asked for, if any.
    pub(crate) fn retry_after(self) -> Option<Duration> {
        match self {
            RetryReason::Throttled { retry_after }
            | RetryReason::Unavailable { retry_after, .. } => retry_after,
            RetryReason::Transport(_) => None,
        }
    }
}

impl RetryAction {
    /// The wait the vendor asked for on a retryable answer (whether or not
    /// it is retried), for the call record.
    pub(crate) fn retry_after(self) -> Option<Duration> {
        match self {
            RetryAction::Final => None,
            RetryAction::Retry(reason) | RetryAction::Forbidden(reason) => reason.retry_after(),
        }
    }
}

/// Classifies one attempt of an operation that is (or is not) retry-safe.
///
/// A retryable status (429, 502, 503, 504) counts whether or not the body
/// was read: the head is the vendor's answer. Only an answer with such a
/// status reads `Retry-After`.
pub(crate) fn classify(outcome: &Outcome, retry_safe: bool) -> RetryAction {
    let reason = match outcome {
        Outcome::Answered(response) | Outcome::TooLarge(response) => {
            let status = response.status();
            if !is_retryable_status(status) {
                return RetryAction::Final;
            }
            let retry_after = retry_after(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                RetryReason::Throttled { retry_after }
            } else {
                RetryReason::Unavailable {
                    status,
                    retry_after,
                }
            }
        }
        Outcome::Lost { failure, .. } if failure.is_transient() => RetryReason::Transport(*failure),
        Outcome::Lost { .. } => return RetryAction::Final,
    };
    if retry_safe {
        RetryAction::Retry(reason)
    } else {
        RetryAction::Forbidden(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::outcome::read_whole;

    /// An answered outcome with `status` and, if given, `Retry-After`.
    async fn answered(status: u16, retry_after: Option<&str>, too_large: bool) -> Outcome {
        let mut response = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            response = response.header("retry-after", value);
        }
        let response = reqwest::Response::from(response.body("{}").unwrap());
        // A limit of 1 byte makes the 2-byte body too large.
        let outcome = read_whole(response, if too_large { 1 } else { 1024 }).await;
        assert_eq!(matches!(outcome, Outcome::TooLarge(_)), too_large);
        outcome
    }

    /// A lost outcome with `failure` (the error itself does not matter to
    /// the classifier).
    async fn lost(failure: Lost) -> Outcome {
        let error = crate::ClientConfig::default()
            .http_client()
            .unwrap()
            .get("http://127.0.0.1:1/")
            .send()
            .await
            .unwrap_err();
        Outcome::Lost { error, failure }
    }

    const SECOND: Option<Duration> = Some(Duration::from_secs(1));

    /// Every outcome, retry-safe and not.
    #[tokio::test]
    async fn every_outcome_safe_and_unsafe() {
        use RetryReason::*;
        let unavailable = |status: u16, retry_after| Unavailable {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after,
        };
        // (outcome, its reason to retry; `None`: final either way)
        let cases: Vec<(&str, Outcome, Option<RetryReason>)> = vec![
            ("200", answered(200, None, false).await, None),
            ("200 too large", answered(200, None, true).await, None),
            (
                "204 with Retry-After",
                answered(204, Some("1"), false).await,
                None,
            ),
            ("400", answered(400, None, false).await, None),
            ("404", answered(404, None, false).await, None),
            ("409", answered(409, None, false).await, None),
            ("500", answered(500, None, false).await, None),
            ("501", answered(501, None, false).await, None),
            (
                "429",
                answered(429, None, false).await,
                Some(Throttled { retry_after: None }),
            ),
            (
                "429 Retry-After",
                answered(429, Some("1"), false).await,
                Some(Throttled {
                    retry_after: SECOND,
                }),
            ),
            (
                "429 unreadable Retry-After",
                answered(429, Some("soon"), false).await,
                Some(Throttled { retry_after: None }),
            ),
            (
                "429 too large",
                answered(429, Some("1"), true).await,
                Some(Throttled {
                    retry_after: SECOND,
                }),
            ),
            (
                "502",
                answered(502, None, false).await,
                Some(unavailable(502, None)),
            ),
            (
                "503 Retry-After",
                answered(503, Some("1"), false).await,
                Some(unavailable(503, SECOND)),
            ),
            (
                "504 too large",
                answered(504, None, true).await,
                Some(unavailable(504, None)),
            ),
            (
                "connect",
                lost(Lost::Connect).await,
                Some(Transport(Lost::Connect)),
            ),
            (
                "timeout",
                lost(Lost::Timeout).await,
                Some(Transport(Lost::Timeout)),
            ),
            (
                "reset",
                lost(Lost::Reset).await,
                Some(Transport(Lost::Reset)),
            ),
            (
                "request body",
                lost(Lost::RequestBody).await,
                Some(Transport(Lost::RequestBody)),
            ),
            (
                "cut off",
                lost(Lost::CutOff).await,
                Some(Transport(Lost::CutOff)),
            ),
            ("other", lost(Lost::Other).await, None),
        ];
        for (name, outcome, reason) in &cases {
            let (safe, not) = match reason {
                Some(reason) => (RetryAction::Retry(*reason), RetryAction::Forbidden(*reason)),
                None => (RetryAction::Final, RetryAction::Final),
            };
            assert_eq!(classify(outcome, true), safe, "{name}, retry-safe");
            assert_eq!(classify(outcome, false), not, "{name}, not retry-safe");
            assert_eq!(
                safe.retry_after(),
                reason.and_then(RetryReason::retry_after),
                "{name}: the record's Retry-After"
            );
        }
    }
}
