//! [`record`]: what one generated call did on the wire.
//!
//! progenitor drops the status of a body it cannot decode; the error layer
//! above a generated client still needs the status, the attempts and the
//! delay a vendor asked for. The runtime notes them in a task-local [`CallRecord`] that
//! [`record`] sets around one call.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;

/// What one generated call did on the wire, for error classification above
/// the generated client. Collected by [`record`].
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
    /// Time spent waiting for turns under the vendor's rate limit (not
    /// counted as attempts).
    pub paced: Duration,
    /// Whether the call stopped because its next turn under the rate limit
    /// would have come after its pacing deadline: the answer is the
    /// vendor's last one, or a 429 the client made without sending (then
    /// `attempts` does not count it).
    pub deadline_exceeded: bool,
    /// Whether an attempt's request may have reached the vendor without its
    /// whole answer coming back (the connection broke or timed out after it
    /// was sent, or the body was cut off): the vendor may have acted on it,
    /// whatever later attempts answered short of a success. False when the
    /// last answer is a success, when every answer arrived whole, when no
    /// connection could be opened, and when nothing was sent.
    pub outcome_unknown: bool,
    /// Set when the call was not sent because shared pacing's Redis did
    /// not answer and the client is set to fail then
    /// ([`OnOutage::Fail`](crate::OnOutage::Fail)): which Redis (never its
    /// password) and why. The answer is one the client made (a 503, header
    /// `x-chatbots-paced-out: shared-pacing-unavailable`), not a vendor's:
    /// `status` is `None`.
    pub shared_pacing_unavailable: Option<String>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Runs `call` (one generated client call) and returns what it did on the
/// wire along with its result.
///
/// ```
/// # async fn demo() {
/// let (output, record) = chatbots_runtime::record(async { 42 }).await;
/// assert_eq!(output, 42);
/// assert_eq!(record.attempts, 0); // nothing was sent
/// # }
/// ```
pub async fn record<F: Future>(call: F) -> (F::Output, CallRecord) {
    CALL.scope(RefCell::new(CallRecord::default()), async {
        let output = call.await;
        (output, CALL.with(RefCell::take))
    })
    .await
}

/// Updates the record of the call being run, if it is being recorded.
pub(crate) fn note(update: impl FnOnce(&mut CallRecord)) {
    // Outside `record` there is nothing to update.
    let _ = CALL.try_with(|record| update(&mut record.borrow_mut()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_record_sees_only_its_own_call() {
        let (_, outer) = record(async {
            note(|r| r.attempts = 1);
            let (_, inner) = record(async { note(|r| r.attempts = 5) }).await;
            assert_eq!(inner.attempts, 5);
            note(|r| r.timed_out = true);
        })
        .await;
        assert_eq!(outer.attempts, 1);
        assert!(outer.timed_out);
        // Outside any record, noting is a no-op.
        note(|r| r.attempts = 9);
    }
}
