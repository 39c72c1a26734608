//! StreamSkill's token buckets: one per API token, and one shared by guests
//! (requests without the sandbox token), as the errors page describes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
// Tokio's clock rather than std's, so that tests can move it instead of
// waiting for a bucket to refill.
use tokio::time::Instant;

use super::{CREDENTIALS, render};
use crate::RateLimit;
use crate::support::{self, Problem};

/// The documented guest bucket: a burst of 5, then one request every 2 s.
const GUEST: RateLimit = RateLimit {
    burst: 5,
    per_second: 0.5,
};

/// How long `X-Rate-Limit-Reset` / `Retry-After` say when a bucket never
/// refills (`per_second` ≤ 0).
const NEVER: u64 = 3600;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What one request got from its bucket.
#[derive(Debug)]
struct Verdict {
    allowed: bool,
    limit: u32,
    remaining: u64,
    reset: u64,
    retry_after: u64,
}

#[derive(Debug)]
pub(super) struct Limiter {
    token: Option<RateLimit>,
    guest: Option<RateLimit>,
    /// Keyed by token; `None` is the guests' bucket. Only the sandbox token
    /// gets a bucket of its own, so the map stays small.
    buckets: Mutex<HashMap<Option<String>, Bucket>>,
}

impl Limiter {
    /// `limit` for the token; guests get the documented guest bucket, but
    /// never more than `limit`. `None`: no limits at all.
    pub(super) fn new(limit: Option<RateLimit>) -> Arc<Limiter> {
        let guest = limit.map(|l| RateLimit {
            burst: l.burst.min(GUEST.burst),
            per_second: l.per_second.min(GUEST.per_second),
        });
        Arc::new(Limiter {
            token: limit,
            guest,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn take(&self, key: Option<String>) -> Option<Verdict> {
        let limit = if key.is_some() {
            self.token?
        } else {
            self.guest?
        };
        let burst = f64::from(limit.burst);
        let rate = limit.per_second;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        if rate > 0.0 {
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        }
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let seconds = |tokens: f64| -> u64 {
            if tokens <= 0.0 {
                0
            } else if rate > 0.0 {
                (tokens / rate).ceil() as u64
            } else {
                NEVER
            }
        };
        Some(Verdict {
            allowed,
            limit: limit.burst,
            remaining: bucket.tokens.max(0.0).floor() as u64,
            reset: seconds(burst - bucket.tokens),
            retry_after: seconds(1.0 - bucket.tokens).max(1),
        })
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: u64) {
    headers.insert(name, HeaderValue::from(value));
}

/// Middleware: takes a token from the caller's bucket, answers 429 (with
/// `Retry-After`) when it is empty, and puts the `X-Rate-Limit-*` headers
/// on every response.
pub(super) async fn rate_limit(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    let key = support::bearer(request.headers())
        .filter(|token| *token == CREDENTIALS.key)
        .map(str::to_string);
    let Some(verdict) = limiter.take(key) else {
        return next.run(request).await;
    };
    let mut response = if verdict.allowed {
        next.run(request).await
    } else {
        let mut response = render(Problem::RateLimited);
        set(
            response.headers_mut(),
            header::RETRY_AFTER.as_str(),
            verdict.retry_after,
        );
        response
    };
    let headers = response.headers_mut();
    set(headers, "x-rate-limit-limit", u64::from(verdict.limit));
    set(headers, "x-rate-limit-remaining", verdict.remaining);
    set(headers, "x-rate-limit-reset", verdict.reset);
    response
}
