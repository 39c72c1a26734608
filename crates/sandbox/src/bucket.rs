//! Token buckets: the one implementation of the rate limits the sandbox
//! emulates. StreamSkill's documented limiter (`vendors/streamskill/limit.rs`)
//! takes its tokens here; the other vendors, whose limits are off unless
//! set, get the per-credential middleware at the end of this file.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
// Tokio's clock rather than std's, so that tests can move it instead of
// waiting for a bucket to refill.
use tokio::time::Instant;

use crate::{RateLimit, Vendor, support, vendors};

/// How long `Retry-After` (and StreamSkill's `X-Rate-Limit-Reset`) say when
/// a bucket never refills (`per_second` ≤ 0).
const NEVER: u64 = 3600;

/// Distinct credentials remembered before full buckets are forgotten: a
/// client sending random keys must not grow the map without bound.
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What one request got from its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) allowed: bool,
    /// Whole tokens left after this request.
    pub(crate) remaining: u64,
    /// Seconds until the bucket is full again.
    pub(crate) reset: u64,
    /// Seconds until the next request would be allowed (at least 1).
    pub(crate) retry_after: u64,
}

/// One bucket of `limit` per key, each created full on first use.
#[derive(Debug)]
pub(crate) struct Buckets<K> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Buckets<K> {
    pub(crate) fn new(limit: RateLimit) -> Buckets<K> {
        Buckets {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Refills `key`'s bucket for the time passed and takes a token if one
    /// is there.
    pub(crate) fn take(&self, key: K) -> Verdict {
        let burst = f64::from(self.limit.burst);
        // A negative or NaN rate (only possible from code) never refills.
        let rate = if self.limit.per_second > 0.0 {
            self.limit.per_second
        } else {
            0.0
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(&key) {
            buckets.retain(|_, b| refilled(b, now, rate, burst) < burst);
            if buckets.len() >= MAX_KEYS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens = refilled(bucket, now, rate, burst);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let seconds = |tokens: f64| -> u64 {
            if tokens <= 0.0 {
                0
            } else if rate > 0.0 {
                // Saturates for absurd values rather than wrapping.
                (tokens / rate).ceil() as u64
            } else {
                NEVER
            }
        };
        Verdict {
            allowed,
            remaining: bucket.tokens.max(0.0).floor() as u64,
            reset: seconds(burst - bucket.tokens),
            retry_after: seconds(1.0 - bucket.tokens).max(1),
        }
    }
}

/// The tokens `bucket` holds at `now`.
fn refilled(bucket: &Bucket, now: Instant, rate: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * rate).min(burst)
}

/// An emulated limit for a vendor that documents none: a bucket per
/// credential, the credential being the value of the header the vendor
/// reads it from (Converza: the bearer token). Requests without that
/// header share one bucket.
#[derive(Debug)]
pub(crate) struct Limiter {
    vendor: Vendor,
    header: &'static str,
    buckets: Buckets<Option<String>>,
}

impl Limiter {
    pub(crate) fn new(vendor: Vendor, header: &'static str, limit: RateLimit) -> Arc<Limiter> {
        Arc::new(Limiter {
            vendor,
            header,
            buckets: Buckets::new(limit),
        })
    }
}

/// Middleware: takes a token from the caller's bucket; when it is empty,
/// answers 429 with `Retry-After` in the vendor's error shape, the way an
/// injected `rate-limit` fault does.
pub(crate) async fn rate_limit(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    let key = support::header_str(request.headers(), limiter.header).map(str::to_string);
    let verdict = limiter.buckets.take(key);
    if verdict.allowed {
        next.run(request).await
    } else {
        vendors::rate_limited(Some(limiter.vendor), verdict.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_empties_and_refills_at_its_rate() {
        let buckets = Buckets::new(RateLimit {
            burst: 2,
            per_second: 4.0,
        });
        assert!(buckets.take("a").allowed);
        assert!(buckets.take("a").allowed);
        let refused = buckets.take("a");
        assert!(!refused.allowed);
        // A quarter of a second brings one token; whole seconds round up.
        assert_eq!(refused.retry_after, 1);
        // Another key has its own bucket.
        assert!(buckets.take("b").allowed);
        tokio::time::advance(Duration::from_millis(250)).await;
        let verdict = buckets.take("a");
        assert!(verdict.allowed);
        assert_eq!(verdict.remaining, 0);
        assert!(!buckets.take("a").allowed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_without_refill_says_an_hour() {
        let buckets = Buckets::new(RateLimit {
            burst: 1,
            per_second: 0.0,
        });
        assert!(buckets.take(()).allowed);
        let refused = buckets.take(());
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, NEVER);
    }

    #[tokio::test(start_paused = true)]
    async fn many_keys_do_not_grow_the_map_without_bound() {
        let buckets = Buckets::new(RateLimit {
            burst: 1,
            per_second: 1.0,
        });
        for key in 0..MAX_KEYS + 10 {
            assert!(buckets.take(key).allowed);
        }
        let kept = buckets
            .buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(kept <= MAX_KEYS, "{kept}");
    }
}
