//! The answer a call gets, without anything sent, when the pacer gives it
//! no turn: a 429 when its first turn under the rate limit would come after
//! its pacing deadline, a 503 when shared pacing's Redis does not answer and
//! the client is set to fail then.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use crate::pace::NoTurn;
use crate::record::note;

/// The header on an answer the client makes itself, without sending, when
/// the pacer gives a call no turn: `deadline` or `shared-pacing-unavailable`.
const PACED_OUT: HeaderName = HeaderName::from_static("x-chatbots-paced-out");

/// The answer a call of `vendor` (pacing deadline `deadline`) gets, without
/// anything sent, when the pacer gives it no turn.
pub(crate) fn not_sent(vendor: &str, deadline: Duration, no_turn: NoTurn) -> Response {
    match no_turn {
        NoTurn::Deadline(wait) => paced_out(vendor, deadline, wait),
        NoTurn::SharedOutage(why) => shared_pacing_unavailable(vendor, why),
    }
}

/// The 503 a call of `vendor` gets, without anything sent, when shared
/// pacing's Redis does not answer (`why`: which, and why) and the client is
/// set to fail then: `Retry-After: 1` (when Redis is asked again), header
/// `x-chatbots-paced-out: shared-pacing-unavailable`, a JSON `message`;
/// noted as [`CallRecord::shared_pacing_unavailable`](crate::CallRecord::shared_pacing_unavailable).
/// Not a 429: the vendor's limit is not what stopped it.
fn shared_pacing_unavailable(vendor: &str, why: String) -> Response {
    tracing::debug!("not sent: shared pacing's Redis does not answer");
    let message = format!("{vendor}: not sent: {why}");
    note(|r| {
        r.status = None;
        r.retry_after = None;
        r.timed_out = false;
        r.shared_pacing_unavailable = Some(why);
    });
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = http::Response::new(body);
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(1u64));
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        PACED_OUT,
        HeaderValue::from_static("shared-pacing-unavailable"),
    );
    Response::from(response)
}

/// The 429 a call of `vendor` gets, without anything sent, when its turn
/// would come `wait` from now, past its `deadline`: `Retry-After` the wait,
/// header `x-chatbots-paced-out`, a JSON `message`; noted as
/// [`CallRecord::deadline_exceeded`](crate::CallRecord::deadline_exceeded).
fn paced_out(vendor: &str, deadline: Duration, wait: Duration) -> Response {
    // Whole seconds, rounded up, as `Retry-After` takes them.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    tracing::debug!(wait_s = seconds, "not sent: the pacing deadline would pass");
    note(|r| {
        r.status = Some(StatusCode::TOO_MANY_REQUESTS);
        r.retry_after = Some(wait);
        r.timed_out = false;
        r.deadline_exceeded = true;
    });
    let message = format!(
        "{vendor}: not sent: the rate limit gives this call a turn in {seconds} s, \
         after its pacing deadline of {} s",
        deadline.as_secs()
    );
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = http::Response::new(body);
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(PACED_OUT, HeaderValue::from_static("deadline"));
    Response::from(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_wait_is_rounded_up_to_whole_seconds() {
        // (wait, Retry-After)
        let cases = [
            (0, "0"),
            (1, "1"),
            (1_000, "1"),
            (1_001, "2"),
            (99_500, "100"),
        ];
        for (ms, header) in cases {
            let (response, record) = crate::record(async {
                paced_out("test", Duration::from_secs(1), Duration::from_millis(ms))
            })
            .await;
            assert_eq!(response.status(), 429);
            assert_eq!(response.headers()["retry-after"], header, "{ms} ms");
            assert_eq!(response.headers()["x-chatbots-paced-out"], "deadline");
            assert!(record.deadline_exceeded);
            assert_eq!(record.attempts, 0, "nothing sent");
            let body: serde_json::Value = response.json().await.unwrap();
            let message = body["message"].as_str().unwrap();
            assert!(message.starts_with("test: not sent"), "{message}");
        }
    }
}
