//! A token bucket whose callers reserve their turn.
//!
//! Hand-written rather than `governor` or `leaky-bucket`: the pacer must
//! lower the bucket to what the vendor says remains, empty it until a
//! `Retry-After`, change its rate as it learns, and tell a caller how long
//! it would wait *before* it waits (to refuse a wait past the deadline).
//! `governor` keeps its state behind a fixed quota and its own clock;
//! `leaky-bucket` has a fixed refill and no way to take tokens away. Both
//! would need rebuilding on every resync, which loses the queue.

use std::time::Duration;

use tokio::time::Instant;

/// The longest any wait is taken to be: a vendor's hint or a queue beyond
/// this is treated as this (it also keeps `Instant` arithmetic from
/// overflowing on an absurd header).
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `now + seconds`, with `seconds` clamped to `0..=MAX_WAIT`.
pub(crate) fn after(now: Instant, seconds: f64) -> Instant {
    let wait = if seconds.is_finite() && seconds > 0.0 {
        Duration::try_from_secs_f64(seconds)
            .unwrap_or(MAX_WAIT)
            .min(MAX_WAIT)
    } else if seconds.is_nan() || seconds <= 0.0 {
        Duration::ZERO
    } else {
        MAX_WAIT
    };
    now + wait
}

/// `burst` requests at once, then `rate` per second. Tokens go negative
/// when callers reserve turns ahead: each caller takes a token at once and
/// waits until the refill has covered it, so waiting callers are served in
/// the order they came, without holding a lock while they wait.
#[derive(Debug)]
pub(crate) struct Bucket {
    burst: f64,
    rate: f64,
    tokens: f64,
    /// When `tokens` was true; later than now while the bucket is held
    /// empty until a vendor's reset.
    at: Instant,
}

impl Bucket {
    /// A full bucket. `rate` must be finite and > 0 (checked by the
    /// callers: `RateLimit::checked`, the adaptive floor).
    pub(crate) fn full(burst: u32, rate: f64, now: Instant) -> Bucket {
        Bucket {
            burst: f64::from(burst.max(1)),
            rate,
            tokens: f64::from(burst.max(1)),
            at: now,
        }
    }

    /// Requests per second it refills at.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// Tokens as of `now` (negative: turns reserved ahead).
    fn refill(&mut self, now: Instant) {
        if now > self.at {
            let elapsed = (now - self.at).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
            self.at = now;
        }
    }

    /// Takes a token and returns when its holder may send.
    pub(crate) fn reserve(&mut self, now: Instant) -> Instant {
        self.refill(now);
        self.tokens -= 1.0;
        // `at` is now, or the end of a hold; the deficit is covered at `rate`.
        let start = self.at.max(now);
        let deficit = (-self.tokens).max(0.0);
        after(start, deficit / self.rate).max(now)
    }

    /// Gives back `n` tokens that were reserved but not used.
    pub(crate) fn give_back_many(&mut self, n: u32) {
        self.tokens = (self.tokens + f64::from(n)).min(self.burst);
    }

    /// Lowers the tokens to what the vendor says remains; never raises them,
    /// because the vendor's count predates the requests still in flight.
    pub(crate) fn at_most(&mut self, now: Instant, remaining: f64) {
        self.refill(now);
        self.tokens = self.tokens.min(remaining);
    }

    /// Nothing until `until`, then one request (a `Retry-After` names the
    /// moment a request is accepted again), refilling from then. Turns
    /// reserved before are forgotten: their holders reserve again (see
    /// `Pacer::acquire`).
    pub(crate) fn empty_until(&mut self, until: Instant) {
        self.tokens = 1.0_f64.min(self.burst);
        self.at = until;
    }

    /// Refills at `rate` from `now` on (`rate` finite and > 0).
    pub(crate) fn set_rate(&mut self, now: Instant, rate: f64) {
        self.refill(now);
        self.rate = rate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(instant: Instant, from: Instant) -> u128 {
        (instant - from).as_millis()
    }

    #[test]
    fn a_burst_then_turns_at_the_rate_in_order() {
        let now = Instant::now();
        let mut bucket = Bucket::full(2, 4.0, now);
        assert_eq!(bucket.reserve(now), now);
        assert_eq!(bucket.reserve(now), now);
        assert_eq!(ms(bucket.reserve(now), now), 250);
        assert_eq!(ms(bucket.reserve(now), now), 500);
        // A token given back shortens the queue for the next caller.
        bucket.give_back_many(1);
        assert_eq!(ms(bucket.reserve(now), now), 500);
        // Time refills, but never beyond the burst.
        let later = now + Duration::from_secs(10);
        assert_eq!(bucket.reserve(later), later);
        assert_eq!(bucket.reserve(later), later);
        assert_eq!(ms(bucket.reserve(later), later), 250);
    }

    #[test]
    fn the_vendor_can_lower_the_tokens_and_hold_the_bucket_empty() {
        let now = Instant::now();
        let mut bucket = Bucket::full(30, 2.0, now);
        bucket.at_most(now, 1.0);
        assert_eq!(bucket.reserve(now), now);
        assert_eq!(ms(bucket.reserve(now), now), 500);
        // A higher count does not raise it.
        bucket.at_most(now, 29.0);
        assert_eq!(ms(bucket.reserve(now), now), 1000);

        bucket.empty_until(now + Duration::from_secs(3));
        assert_eq!(ms(bucket.reserve(now), now), 3000);
        assert_eq!(ms(bucket.reserve(now), now), 3500);
        bucket.set_rate(now, 1.0);
        assert_eq!(ms(bucket.reserve(now), now), 5000);
    }

    #[test]
    fn absurd_waits_are_capped() {
        let now = Instant::now();
        assert_eq!(after(now, f64::INFINITY), now + MAX_WAIT);
        assert_eq!(after(now, 1e300), now + MAX_WAIT);
        assert_eq!(after(now, f64::NAN), now);
        assert_eq!(after(now, -5.0), now);
        let mut bucket = Bucket::full(1, 1e-300, now);
        bucket.reserve(now);
        assert_eq!(bucket.reserve(now), now + MAX_WAIT);
    }
}
