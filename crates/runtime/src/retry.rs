//! What is retried and when: [`RetryPolicy`], and the vendor's own wait
//! hints ([`retry_after`]).

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// When a failed call is sent again, how often, and how long the client
/// waits in between: capped, jittered exponential backoff (from `backon`).
///
/// **What is retried.** Only operations the spec marks retry-safe (GET,
/// HEAD, PUT and DELETE by HTTP's definition; a PATCH or POST only when its
/// spec says why sending it twice does no harm), only while the request can
/// be sent again (a streaming body cannot), and only after:
///
/// - a transport failure: no connection, a timeout, a reset, a body cut off
///   after the head (the answer is lost; a retry-safe call may be sent
///   again, and [`CallRecord::outcome_unknown`](crate::CallRecord::outcome_unknown)
///   stays set if the vendor may have acted on it);
/// - a 429, 502, 503 or 504 ([`is_retryable_status`]).
///
/// Any other answer, success or refusal, is final.
///
/// **How long it waits.** Before retry *n* the computed delay is
/// `min_delay × 2ⁿ⁻¹`, capped at `max_delay`; with jitter, a random amount
/// up to as much again is added, so that many clients do not retry in step. A `Retry-After` (or
/// StreamSkill's `X-Rate-Limit-Reset`) from the vendor replaces the computed
/// delay; if it asks for longer than [`max_retry_after`](Self::max_retry_after),
/// the vendor's answer is returned at once instead. With pacing on, a 429
/// holds every call on the credential until the vendor's time (see
/// [`Pacing`](crate::Pacing)), so the retry waits for its turn there, not
/// twice. Waiting for a turn under the rate limit is not an attempt.
///
/// **Defaults:** 3 attempts in all (2 retries), after 200 ms then 400 ms
/// (plus jitter; capped at 5 s before it), a vendor's wait accepted up to
/// 60 s.
///
/// ```
/// use std::time::Duration;
/// use chatbots_runtime::{ClientConfig, RetryPolicy};
///
/// // Five attempts, starting at half a second, never waiting more than 10 s
/// // between attempts, nor more than 2 minutes for a vendor's `Retry-After`.
/// let retry = RetryPolicy {
///     max_attempts: 5,
///     min_delay: Duration::from_millis(500),
///     max_delay: Duration::from_secs(10),
///     max_retry_after: Duration::from_secs(120),
///     ..RetryPolicy::default()
/// };
/// let config = ClientConfig { retry, ..ClientConfig::default() };
/// assert!(config.retry.jitter);
///
/// // Or no retries at all: every failure comes back at once.
/// assert_eq!(RetryPolicy::disabled().max_attempts, 1);
/// assert_eq!(RetryPolicy::default().max_attempts, 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 (or 0) switches retries off.
    /// Default 3.
    pub max_attempts: u32,
    /// Computed delay before the first retry; it doubles for each next one.
    /// Default 200 ms.
    pub min_delay: Duration,
    /// Upper bound of any computed delay, before jitter. Default 5 s.
    pub max_delay: Duration,
    /// Longest vendor-requested wait (`Retry-After`) the client accepts:
    /// a longer one returns the vendor's answer instead of waiting, and no
    /// pacer holds the credential for longer. Default 60 s.
    pub max_retry_after: Duration,
    /// Randomise delays so that many clients do not retry in step. Default
    /// on.
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
    /// Never retry: one attempt, every failure returned as it comes.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The computed delays, one per retry: `max_attempts - 1` of them.
    pub(crate) fn delays(&self) -> backon::ExponentialBackoff {
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
    rate_limit_reset(headers)
}

/// `X-Rate-Limit-Reset` (seconds, or a Unix time) as a wait from now.
pub(crate) fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()?;
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
