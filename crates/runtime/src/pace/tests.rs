//! The pacer on tokio's paused clock: turns, sharing, resync, learning,
//! deadlines. `call.rs` tests it on the wire.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use super::*;

/// A `max_retry_after` longer than any hold here.
const LONG: Duration = MAX_WAIT;

const DOCUMENTED: RateLimit = RateLimit {
    burst: 3,
    per_second: 2.0,
};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

/// Runs `n` acquires at once; returns when each got its turn, in ms from
/// the start, sorted.
async fn turns(pacer: &Arc<Pacer>, n: usize) -> Vec<u128> {
    let start = Instant::now();
    let far = start + Duration::from_secs(3600);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let pacer = Arc::clone(pacer);
            tokio::spawn(async move {
                pacer.acquire(far).await.unwrap();
                (Instant::now() - start).as_millis()
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap());
    }
    times.sort_unstable();
    times
}

fn ok() -> StatusCode {
    StatusCode::OK
}

#[tokio::test(start_paused = true)]
async fn a_documented_limit_gives_a_burst_then_turns_at_its_rate() {
    let pacer = Arc::new(Pacer::new(Some(DOCUMENTED)));
    assert_eq!(pacer.rate(), Some(2.0));
    // One token is kept spare (100 ms at 2/s is less than one): a burst
    // of 2, then one every 500 ms.
    assert_eq!(turns(&pacer, 6).await, [0, 0, 500, 1000, 1500, 2000]);
    // The queue was served in full; the bucket refills from there.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(turns(&pacer, 3).await, [0, 0, 500]);
}

#[test]
fn the_spare_tokens_cover_100_ms_of_refill() {
    let burst = |burst, per_second| usable_burst(RateLimit { burst, per_second });
    assert_eq!(burst(30, 2.0), 29);
    assert_eq!(burst(30, 200.0), 10);
    assert_eq!(burst(30, 1000.0), 1);
    assert_eq!(burst(1, 0.5), 1);
    assert_eq!(burst(u32::MAX, f64::MAX), 1);
}

#[tokio::test(start_paused = true)]
async fn clients_on_one_credential_and_server_share_a_pacer() {
    let id = |key: &str| CredentialId::of([key.as_bytes()]);
    let a = Pacer::shared("v", "http://one", id("k"), Some(DOCUMENTED), None);
    let b = Pacer::shared("v", "http://one", id("k"), Some(DOCUMENTED), None);
    assert!(Arc::ptr_eq(&a, &b));
    for other in [
        Pacer::shared("v", "http://one", id("other"), Some(DOCUMENTED), None),
        Pacer::shared("v", "http://two", id("k"), Some(DOCUMENTED), None),
        Pacer::shared("w", "http://one", id("k"), Some(DOCUMENTED), None),
        Pacer::shared("v", "http://one", id("k"), None, None),
    ] {
        assert!(!Arc::ptr_eq(&a, &other));
    }
    // One budget: what `a` takes, `b` waits for.
    assert_eq!(turns(&a, 2).await, [0, 0]);
    assert_eq!(turns(&b, 1).await, [500]);
}

#[tokio::test(start_paused = true)]
async fn remaining_lowers_a_documented_bucket() {
    let pacer = Arc::new(Pacer::new(Some(RateLimit {
        burst: 30,
        per_second: 2.0,
    })));
    let permit = pacer.acquire(Instant::now()).await.unwrap();
    // Another process spent the budget: the next turn is a refill away,
    // not the 28 left of the burst.
    pacer.observe(
        permit,
        ok(),
        &headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "15"),
        ]),
        LONG,
    );
    assert_eq!(turns(&pacer, 2).await, [500, 1000]);
    // A higher count never raises it.
    pacer.observe(
        permit,
        ok(),
        &headers(&[("x-rate-limit-remaining", "29")]),
        LONG,
    );
    assert_eq!(turns(&pacer, 1).await, [500]);
}

#[tokio::test(start_paused = true)]
async fn remaining_zero_holds_a_vendor_without_a_documented_limit_until_the_reset() {
    let pacer = Arc::new(Pacer::new(None));
    assert_eq!(pacer.rate(), None);
    assert_eq!(turns(&pacer, 3).await, [0, 0, 0], "unpaced");
    let permit = pacer.acquire(Instant::now()).await.unwrap();
    pacer.observe(
        permit,
        ok(),
        &headers(&[("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", "2")]),
        LONG,
    );
    // Held, then probed again from one request, at 18/s (16, grown by the
    // one accepted answer).
    assert_eq!(turns(&pacer, 3).await, [2000, 2056, 2112]);
    tokio::time::advance(Duration::from_secs(2)).await;
    // Remaining above zero says nothing to a vendor without a bucket.
    pacer.observe(
        permit,
        ok(),
        &headers(&[("x-rate-limit-remaining", "3"), ("x-rate-limit-reset", "2")]),
        LONG,
    );
    assert_eq!(turns(&pacer, 2).await, [0, 0]);
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_slows_a_learned_vendor_once_and_it_recovers() {
    let pacer = Arc::new(Pacer::new(None));
    let far = Instant::now() + Duration::from_secs(3600);
    let mut permits = Vec::new();
    for _ in 0..20 {
        permits.push(pacer.acquire(far).await.unwrap());
    }
    // Every one of the storm comes back 429; only the first lowers the
    // rate: to 70 % of the probing rate (16/s: the burst of 16 and 4 more
    // in 0.25 s were sent faster than that).
    for permit in permits {
        pacer.observe(
            permit,
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", "1")]),
            LONG,
        );
    }
    let rate = pacer.rate().unwrap();
    assert!((rate - 11.2).abs() < 0.01, "{rate}");
    // Nothing before the Retry-After; then one at a time at that rate.
    let times = turns(&pacer, 3).await;
    assert_eq!(times[0], 1000);
    assert!(times[2] - times[0] >= 2 * 1000 / 12, "{times:?}");

    // It grows back while no 429 comes, and after a quiet minute the
    // vendor is probed again, with a full probing burst.
    tokio::time::advance(Duration::from_secs(10)).await;
    let grown = pacer.rate().unwrap();
    assert!(grown > rate * 1.4, "{grown}");
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(pacer.rate(), None);
    assert_eq!(turns(&pacer, 5).await, [0, 0, 0, 0, 0]);
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_a_documented_vendor_until_retry_after() {
    let pacer = Arc::new(Pacer::new(Some(DOCUMENTED)));
    let permit = pacer.acquire(Instant::now()).await.unwrap();
    pacer.observe(
        permit,
        StatusCode::TOO_MANY_REQUESTS,
        &headers(&[("retry-after", "3")]),
        LONG,
    );
    assert_eq!(pacer.rate(), Some(2.0), "a documented rate is kept");
    assert_eq!(turns(&pacer, 2).await, [3000, 3500]);
}

#[tokio::test(start_paused = true)]
async fn a_turn_past_the_deadline_is_refused_at_once_and_reserves_nothing() {
    let pacer = Arc::new(Pacer::new(Some(DOCUMENTED)));
    let now = Instant::now();
    assert_eq!(turns(&pacer, 2).await, [0, 0]);
    // The next turn is 500 ms away.
    let wait = pacer
        .acquire(now + Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!(wait, NoTurn::Deadline(Duration::from_millis(500)));
    assert_eq!(Instant::now(), now, "no time passed");
    assert_eq!(pacer.wait(), Duration::from_millis(500));
    assert_eq!(turns(&pacer, 1).await, [500], "nothing was reserved");
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_gives_its_turn_back() {
    let pacer = Arc::new(Pacer::new(Some(DOCUMENTED)));
    assert_eq!(turns(&pacer, 2).await, [0, 0]);
    let far = Instant::now() + Duration::from_secs(60);
    let gave_up = tokio::time::timeout(Duration::from_millis(100), pacer.acquire(far)).await;
    assert!(gave_up.is_err());
    // The turn at 500 ms is free again: 400 ms from now.
    assert_eq!(turns(&pacer, 1).await, [400]);
}

#[tokio::test(start_paused = true)]
async fn malformed_or_absurd_headers_neither_panic_nor_wait_forever() {
    for pacer in [Pacer::new(None), Pacer::new(Some(DOCUMENTED))] {
        let pacer = Arc::new(pacer);
        let permit = pacer.acquire(Instant::now()).await.unwrap();
        for pairs in [
            &[
                ("x-rate-limit-remaining", "-1"),
                ("x-rate-limit-reset", "x"),
            ][..],
            &[("x-rate-limit-remaining", "1e3")],
            &[("x-rate-limit-remaining", "")],
            &[(
                "x-rate-limit-remaining",
                "99999999999999999999999999999999999999",
            )],
            &[
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", "NaN"),
            ],
            &[
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", "-5"),
            ],
        ] {
            pacer.observe(permit, ok(), &headers(pairs), LONG);
        }
        assert!(pacer.wait() <= Duration::from_secs(1), "{pacer:?}");
        // A hold as long as the vendor likes is capped, not an overflow.
        for value in ["18446744073709551615", "1e308"] {
            pacer.observe(
                permit,
                ok(),
                &headers(&[
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", value),
                ]),
                LONG,
            );
            pacer.observe(
                permit,
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("retry-after", value)]),
                LONG,
            );
        }
        assert!(pacer.wait() <= MAX_WAIT, "{pacer:?}");
        assert!(pacer.wait() >= Duration::from_secs(3600), "{pacer:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn no_hold_is_longer_than_the_clients_max_retry_after() {
    let pacer = Arc::new(Pacer::new(None));
    let permit = pacer.acquire(Instant::now()).await.unwrap();
    let max = Duration::from_secs(5);
    pacer.observe(
        permit,
        StatusCode::TOO_MANY_REQUESTS,
        &headers(&[("retry-after", "3600")]),
        max,
    );
    assert_eq!(pacer.wait(), max);
    pacer.observe(
        permit,
        ok(),
        &headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "3600"),
        ]),
        max,
    );
    assert_eq!(pacer.wait(), max);
}

/// A vendor's per-credential bucket as the sandbox keeps it: `burst` at
/// once, `rate` per second, a 429 with `Retry-After` in whole seconds
/// (at least 1) when empty.
struct Server {
    tokens: f64,
    at: Instant,
    burst: f64,
    rate: f64,
}

impl Server {
    fn take(&mut self) -> Option<u64> {
        let now = Instant::now();
        self.tokens = (self.tokens + (now - self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return None;
        }
        Some((((1.0 - self.tokens) / self.rate).ceil() as u64).max(1))
    }
}

/// Issue 23, item 5: 1,000 requests queued at once on a vendor whose limit
/// (20/s, burst 20) the client must learn. Before probing, every one left
/// before the first 429 came back: 980 of them were refused.
#[tokio::test(start_paused = true)]
async fn a_queue_on_an_unknown_limit_is_refused_rarely_and_keeps_near_the_bound() {
    const N: usize = 1000;
    let pacer = Arc::new(Pacer::new(None));
    let server = Arc::new(Mutex::new(Server {
        tokens: 20.0,
        at: Instant::now(),
        burst: 20.0,
        rate: 20.0,
    }));
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let far = start + Duration::from_secs(3600);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (pacer, server, refused) = (pacer.clone(), server.clone(), refused.clone());
            tokio::spawn(async move {
                loop {
                    let permit = pacer.acquire(far).await.unwrap();
                    // 10 ms there, 10 ms back.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let verdict = lock(&server).take();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    match verdict {
                        None => {
                            pacer.observe(permit, ok(), &HeaderMap::new(), LONG);
                            return;
                        }
                        Some(seconds) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let wait = seconds.to_string();
                            let headers = headers(&[("retry-after", &wait)]);
                            pacer.observe(permit, StatusCode::TOO_MANY_REQUESTS, &headers, LONG);
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let refused = refused.load(std::sync::atomic::Ordering::Relaxed);
    let wall = (Instant::now() - start).as_secs_f64();
    let bound = (N as f64 - 20.0) / 20.0;
    assert!(
        refused * 50 <= N,
        "{refused} answers of 429 for {N}: over 2 %"
    );
    assert!(wall <= 1.5 * bound, "{wall:.1} s for a bound of {bound} s");
    println!(
        "{refused} × 429, {wall:.1} s = {:.3} × the bound",
        wall / bound
    );
}
