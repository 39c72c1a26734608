//! The strategy: when an attempt may go out (the pacer's turn) and, when the
//! classifier says another attempt may do better, how long to wait first —
//! the computed backoff, the vendor's `Retry-After`, nothing while the pacer
//! holds the credential — or whether to give up (attempts spent, a wait
//! longer than the policy accepts, the pacing deadline).
//!
//! It is the one place that asks the [`Pacer`] for a turn and reports
//! responses to it.

use std::time::Duration;

use reqwest::Response;
use tokio::time::Instant;

use super::classify::RetryReason;
use crate::RetryPolicy;
use crate::pace::{NoTurn, Pacer, Permit};

/// The retry and pacing state of one call.
pub(crate) struct Strategy<'a> {
    policy: &'a RetryPolicy,
    /// The pacer and this call's deadline; `None` with pacing off.
    paced: Option<(&'a Pacer, Instant)>,
    /// The pacing deadline's length: no delay counts for longer.
    deadline: Duration,
    /// The computed delays, built on the first retry.
    delays: Option<backon::ExponentialBackoff>,
}

/// Why a call retries no more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The policy's attempts are spent.
    AttemptsSpent,
    /// The vendor asked for a longer wait than
    /// [`RetryPolicy::max_retry_after`].
    WaitTooLong,
    /// The next attempt's turn would come after the pacing deadline.
    Deadline,
}

impl<'a> Strategy<'a> {
    /// The strategy of a call starting now, paced by `pacer` (if any) with
    /// a deadline `deadline` from now.
    pub(crate) fn new(
        policy: &'a RetryPolicy,
        pacer: Option<&'a Pacer>,
        deadline: Duration,
    ) -> Self {
        Self {
            policy,
            paced: pacer.map(|pacer| (pacer, deadline_after(deadline))),
            deadline,
            delays: None,
        }
    }

    /// Whether the policy allows an attempt after attempt number `attempt`
    /// (from 1).
    pub(crate) fn attempts_left(&self, attempt: u32) -> bool {
        attempt < self.policy.max_attempts
    }

    /// Waits for the pacer's turn (at once when unpaced). `Err` when there
    /// is none: the turn would come after the deadline, or shared pacing's
    /// Redis does not answer and the pacer is set to fail then.
    pub(crate) async fn turn(&self) -> Result<Option<Permit>, NoTurn> {
        match self.paced {
            Some((pacer, deadline)) => pacer.acquire(deadline).await.map(Some),
            None => Ok(None),
        }
    }

    /// Reports an answer's head to the pacer that gave its turn.
    pub(crate) fn observe(&self, permit: Option<Permit>, response: &Response) {
        if let (Some((pacer, _)), Some(permit)) = (self.paced, permit) {
            let max_hold = self.policy.max_retry_after;
            pacer.observe(permit, response.status(), response.headers(), max_hold);
        }
    }

    /// The wait before the next attempt, for a failure of `reason`; or why
    /// there is no next attempt.
    pub(crate) fn next_delay(&mut self, reason: RetryReason) -> Result<Duration, GiveUp> {
        let delays = self.delays.get_or_insert_with(|| self.policy.delays());
        let computed = delays.next().ok_or(GiveUp::AttemptsSpent)?;
        let delay = delay(reason, computed, self.policy, self.paced.is_some())?;
        if let Some((pacer, deadline)) = self.paced {
            let ready = Instant::now().checked_add(delay.min(self.deadline));
            in_time(ready, pacer.wait(), deadline)?;
        }
        Ok(delay)
    }
}

/// The wait before the next attempt: the vendor's `Retry-After` if it gave
/// one, else the `computed` backoff; nothing after a 429 when `paced`, since
/// the pacer then holds every request of the credential until the vendor's
/// time (waiting here as well would wait twice).
fn delay(
    reason: RetryReason,
    computed: Duration,
    policy: &RetryPolicy,
    paced: bool,
) -> Result<Duration, GiveUp> {
    match reason.retry_after() {
        Some(asked) if asked > policy.max_retry_after => Err(GiveUp::WaitTooLong),
        _ if paced && matches!(reason, RetryReason::Throttled { .. }) => Ok(Duration::ZERO),
        Some(asked) => Ok(asked),
        None => Ok(computed),
    }
}

/// Whether an attempt ready at `ready` (`None`: too far to represent) and
/// then `pacer_wait` for its turn goes out by `deadline`. Decided before the
/// caller lets go of the answer: past the deadline, the caller gets the
/// vendor's answer rather than one made up.
fn in_time(ready: Option<Instant>, pacer_wait: Duration, deadline: Instant) -> Result<(), GiveUp> {
    match ready.and_then(|ready| ready.checked_add(pacer_wait)) {
        Some(turn) if turn <= deadline => Ok(()),
        _ => Err(GiveUp::Deadline),
    }
}

/// The pacing deadline of a call starting now; a deadline too far to
/// represent is none, in effect.
fn deadline_after(deadline: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(deadline)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::outcome::Lost;
    use reqwest::StatusCode;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// Backoff vs `Retry-After` vs the pacer's hold vs `max_retry_after`.
    #[test]
    fn which_delay() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        let throttled = |s: Option<u64>| RetryReason::Throttled {
            retry_after: s.map(Duration::from_secs),
        };
        let unavailable = |s: Option<u64>| RetryReason::Unavailable {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: s.map(Duration::from_secs),
        };
        let transport = RetryReason::Transport(Lost::Reset);
        let computed = MS(200);
        // (case, reason, paced, expected)
        let cases = [
            ("reset: backoff", transport, false, Ok(computed)),
            ("reset, paced: backoff", transport, true, Ok(computed)),
            ("503: backoff", unavailable(None), false, Ok(computed)),
            (
                "503 Retry-After: 3 s",
                unavailable(Some(3)),
                true,
                Ok(MS(3000)),
            ),
            ("503 Retry-After 0", unavailable(Some(0)), false, Ok(MS(0))),
            ("429: backoff", throttled(None), false, Ok(computed)),
            (
                "429 Retry-After: 3 s",
                throttled(Some(3)),
                false,
                Ok(MS(3000)),
            ),
            (
                "429, paced: the pacer holds",
                throttled(Some(3)),
                true,
                Ok(MS(0)),
            ),
            (
                "429, paced, no Retry-After",
                throttled(None),
                true,
                Ok(MS(0)),
            ),
            (
                "429 at max_retry_after",
                throttled(Some(60)),
                false,
                Ok(MS(60_000)),
            ),
            (
                "429 over max_retry_after",
                throttled(Some(61)),
                false,
                Err(GiveUp::WaitTooLong),
            ),
            (
                "429 over, paced",
                throttled(Some(61)),
                true,
                Err(GiveUp::WaitTooLong),
            ),
            (
                "503 over max_retry_after",
                unavailable(Some(61)),
                true,
                Err(GiveUp::WaitTooLong),
            ),
        ];
        for (case, reason, paced, expected) in cases {
            assert_eq!(delay(reason, computed, &policy, paced), expected, "{case}");
        }
    }

    /// The deadline: the delay and the pacer's wait together.
    #[test]
    fn the_deadline() {
        let now = Instant::now();
        let deadline = now + MS(1000);
        // (case, ready after, pacer's wait, expected)
        let cases = [
            ("at once", Some(MS(0)), MS(0), Ok(())),
            ("delay inside", Some(MS(600)), MS(0), Ok(())),
            ("exactly at it", Some(MS(600)), MS(400), Ok(())),
            (
                "delay and turn past it",
                Some(MS(600)),
                MS(401),
                Err(GiveUp::Deadline),
            ),
            ("turn past it", Some(MS(0)), MS(1001), Err(GiveUp::Deadline)),
            (
                "delay past it",
                Some(MS(1001)),
                MS(0),
                Err(GiveUp::Deadline),
            ),
            ("too far to represent", None, MS(0), Err(GiveUp::Deadline)),
            (
                "a turn too far",
                Some(MS(0)),
                Duration::MAX,
                Err(GiveUp::Deadline),
            ),
        ];
        for (case, ready, wait, expected) in cases {
            let ready = ready.map(|after| now + after);
            assert_eq!(in_time(ready, wait, deadline), expected, "{case}");
        }
    }

    /// `max_attempts` attempts in all: as many delays as retries.
    #[test]
    fn attempts_are_counted_from_the_policy() {
        for max_attempts in [1, 2, 3, 5] {
            let policy = RetryPolicy {
                max_attempts,
                jitter: false,
                ..RetryPolicy::default()
            };
            let mut strategy = Strategy::new(&policy, None, Duration::from_secs(60));
            let reason = RetryReason::Transport(Lost::Timeout);
            let mut delays = Vec::new();
            let mut attempt = 1;
            while strategy.attempts_left(attempt) {
                delays.push(strategy.next_delay(reason).unwrap());
                attempt += 1;
            }
            assert_eq!(attempt, max_attempts, "attempts");
            assert_eq!(delays.len() as u32, max_attempts - 1);
            assert_eq!(strategy.next_delay(reason), Err(GiveUp::AttemptsSpent));
            // Exponential from min_delay (backon computes in floats).
            if let [first, second, ..] = delays[..] {
                assert_eq!(first, policy.min_delay);
                let doubled = second.as_secs_f64() / first.as_secs_f64();
                assert!((doubled - 2.0).abs() < 1e-3, "{delays:?}");
            }
        }
    }

    #[test]
    fn an_unrepresentable_deadline_is_none_in_effect() {
        let far = deadline_after(Duration::MAX);
        assert!(far > Instant::now() + Duration::from_secs(50 * 365 * 24 * 3600));
    }
}
