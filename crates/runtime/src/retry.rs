//! What is retried and when: [`RetryPolicy`], and the vendor's own wait
//! hints ([`retry_after`]).

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

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
