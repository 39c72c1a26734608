//! StreamSkill's token buckets: one per API token, and one shared by guests
//! (requests without the sandbox token), as the errors page describes.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::accounts::Seat;
use crate::bucket::Buckets;
use crate::support;
use crate::{RateLimit, Vendor, vendors};

/// The documented bucket of an API token, as the spec's
/// `x-chatbots-rate-limit` says (what clients are paced by): a burst of 30,
/// then 2 requests per second.
pub(crate) const DOCUMENTED: RateLimit = match chatbots_streamskill::RATE_LIMIT {
    Some(limit) => RateLimit {
        burst: limit.burst,
        per_second: limit.per_second,
    },
    None => panic!("specs/streamskill.yaml documents its rate limit"),
};

/// The documented guest bucket: a burst of 5, then one request every 2 s.
const GUEST: RateLimit = RateLimit {
    burst: 5,
    per_second: 0.5,
};

#[derive(Debug)]
pub(super) struct Limiter {
    /// The sandbox token's bucket. Only that token gets a bucket of its
    /// own (others are guests), so there is one of each.
    token: Option<Buckets<()>>,
    /// The bucket every guest shares.
    guest: Option<Buckets<()>>,
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
            token: limit.map(Buckets::new),
            guest: guest.map(Buckets::new),
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
    let is_token = Seat::accepts(request.extensions(), support::bearer(request.headers()));
    let buckets = if is_token {
        &limiter.token
    } else {
        &limiter.guest
    };
    let Some(buckets) = buckets else {
        return next.run(request).await;
    };
    let verdict = buckets.take(());
    let mut response = if verdict.allowed {
        next.run(request).await
    } else {
        vendors::rate_limited(Some(Vendor::StreamSkill), verdict.retry_after)
    };
    let headers = response.headers_mut();
    set(
        headers,
        "x-rate-limit-limit",
        u64::from(buckets.limit().burst),
    );
    set(headers, "x-rate-limit-remaining", verdict.remaining);
    set(headers, "x-rate-limit-reset", verdict.reset);
    response
}
