//! Pacing: each client sends no faster than its vendor allows, whatever
//! the caller's concurrency. [`Pacing`] is the setting, [`RateLimit`] a
//! documented budget, `Pacer` the state that every clone of a client —
//! and every client on the same credential — shares.
//!
//! - A vendor whose spec documents a limit (`x-chatbots-rate-limit`) is
//!   paced by a token bucket of that size (`pace/bucket.rs`), lowered to
//!   what `X-Rate-Limit-Remaining` says is left.
//! - A vendor without one is probed (a small burst, then a rate that grows
//!   with every accepted answer) until its first 429, then learns a rate
//!   (`pace/adaptive.rs`).
//! - Either way a 429 holds every request of the credential until its
//!   `Retry-After`, and a vendor without a documented bucket that says
//!   `X-Rate-Limit-Remaining: 0` is held until its `X-Rate-Limit-Reset`;
//!   no hold is longer than the client's `RetryPolicy::max_retry_after`.
//!
//! Waiting for a turn is not an attempt ([`RetryPolicy`](crate::RetryPolicy)
//! counts sends); [`Pacing::deadline`] bounds it.

mod adaptive;
mod bucket;
mod shared;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::CredentialId;
use crate::retry::{rate_limit_reset, retry_after};

use adaptive::Adaptive;
use bucket::{Bucket, MAX_WAIT};
use shared::{Shared, Turn};

pub use shared::{DEFAULT_DEPLOYMENT_KEY, DEFAULT_KEY_PREFIX, OnOutage, SharedPacing};

/// How long every request is held after a 429 without a usable
/// `Retry-After`.
const DEFAULT_HOLD: Duration = Duration::from_secs(1);

/// The variation in latency a documented bucket leaves room for: requests
/// sent in turn can reach the vendor closer together than they left (a new
/// connection is slower than a pooled one).
const JITTER: Duration = Duration::from_millis(100);

/// The burst the client allows itself: the documented one less the
/// tokens that [`JITTER`] refills (at least one), so that requests bunched
/// on the way still find tokens at the vendor; at least 1. Costs 100 ms
/// once, on a long queue.
fn usable_burst(limit: RateLimit) -> u32 {
    let spare = (limit.per_second * JITTER.as_secs_f64()).ceil().max(1.0);
    // A float-to-int `as` saturates; `spare` is finite (the rate is).
    limit.burst.saturating_sub(spare as u32).max(1)
}

/// A vendor's request budget as a token bucket: `burst` requests at once,
/// refilled at `per_second`.
///
/// ```
/// use chatbots_runtime::RateLimit;
///
/// // StreamSkill's documented budget for an API token.
/// let limit = RateLimit { burst: 30, per_second: 2.0 };
/// assert_eq!(limit.to_string(), "30 at once, then 2/s");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests a full bucket allows at once (0 is taken as 1).
    pub burst: u32,
    /// Requests per second the bucket refills at; a value that is not a
    /// finite number > 0 leaves the vendor unpaced until a 429.
    pub per_second: f64,
}

impl RateLimit {
    /// The limit, if it describes a bucket that refills.
    fn checked(self) -> Option<RateLimit> {
        (self.per_second.is_finite() && self.per_second > 0.0).then_some(RateLimit {
            burst: self.burst.max(1),
            per_second: self.per_second,
        })
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at once, then {}/s", self.burst, self.per_second)
    }
}

/// How a client paces its requests: part of [`ClientConfig`](crate::ClientConfig).
///
/// By default a client follows its vendor's documented limit (from the
/// spec), or learns one from 429 answers if none is documented, and a call
/// waits at most 10 minutes for its turns.
///
/// ```
/// use std::time::Duration;
/// use chatbots_runtime::{ClientConfig, Pacing, RateLimit};
///
/// // A plan with a higher limit than the documented one, and callers that
/// // would rather fail than wait more than 30 s.
/// let config = ClientConfig {
///     pacing: Pacing {
///         limit: Some(RateLimit { burst: 60, per_second: 10.0 }),
///         deadline: Duration::from_secs(30),
///         ..Pacing::default()
///     },
///     ..ClientConfig::default()
/// };
/// assert!(config.pacing.enabled);
/// assert!(!Pacing::off().enabled);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Pacing {
    /// Whether requests are paced at all. Off, every request is sent at
    /// once and a 429 is only retried (see [`RetryPolicy`](crate::RetryPolicy)).
    pub enabled: bool,
    /// Replaces the vendor's documented limit (a plan with a higher one, a
    /// test server). `None`: the spec's, or learned from 429s.
    pub limit: Option<RateLimit>,
    /// The longest one call waits for its turns, all attempts together. A
    /// call whose turn would come later is not sent: it fails at once with
    /// a 429 (see [`CallRecord::deadline_exceeded`](crate::CallRecord::deadline_exceeded)).
    /// Default 10 minutes: long enough for 1,000 calls queued at once on
    /// StreamSkill's 2 requests/s; interactive callers may want less.
    pub deadline: Duration,
    /// One budget per credential for every process that uses it, kept in
    /// Redis (see [`SharedPacing`]); `None` (the default): this process's
    /// budget is its own.
    pub shared: Option<SharedPacing>,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            enabled: true,
            limit: None,
            deadline: Duration::from_secs(600),
            shared: None,
        }
    }
}

impl Pacing {
    /// No pacing: every request is sent at once.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// The default pacing, with one budget per credential shared through
    /// the Redis at `url` by every process that uses it (default
    /// [`SharedPacing`] settings).
    ///
    /// ```
    /// use chatbots_runtime::Pacing;
    ///
    /// let pacing = Pacing::shared("redis://127.0.0.1:6379");
    /// assert!(pacing.enabled && pacing.shared.is_some());
    /// ```
    pub fn shared(url: impl Into<String>) -> Self {
        Self {
            shared: Some(SharedPacing::new(url)),
            ..Self::default()
        }
    }
}

/// The pacing state of one credential at one vendor, shared by every clone
/// of a client and by every client built with that credential (see
/// [`Pacer::shared`]).
#[derive(Debug)]
pub(crate) struct Pacer {
    /// This process's budget; with shared pacing, the fallback while Redis
    /// does not answer (at this process's share of the limit), and the
    /// holds this process saw.
    state: Mutex<State>,
    /// Wakes every waiting caller when their turns are planned anew.
    replanned: tokio::sync::Notify,
    /// The budget in Redis, with shared pacing.
    shared: Option<Arc<Shared>>,
    /// The limit (`None`: learned), for the fallback's share.
    limit: Option<RateLimit>,
}

#[derive(Debug)]
struct State {
    mode: Mode,
    /// No request leaves before this (a 429's `Retry-After`).
    hold_until: Option<Instant>,
    /// Bumped whenever reserved turns are cancelled (a new hold, a higher
    /// rate), so that their holders reserve again.
    epoch: u64,
    /// Turns reserved in this epoch and not yet granted or given back.
    waiting: u32,
    /// The rate the reserved turns were planned at: when the bucket's rate
    /// grows a quarter beyond it (probing, AIMD's increase), the waiting
    /// callers are re-planned, or a queue reserved at a low rate would keep
    /// it.
    planned_rate: f64,
}

/// How old Redis's latest answer to this process may be when a shared turn
/// comes: older, the turn asks Redis once more whether another process set
/// a hold meanwhile (one extra round trip, only for a turn that waited
/// while this process heard nothing).
const FRESH: Duration = Duration::from_millis(50);

/// How much later a hold Redis tells of must end than the one known here to
/// be taken as a new hold: the same hold, told again, ends a few µs apart.
const HOLD_SLACK: Duration = Duration::from_millis(5);

/// How much the rate must grow before waiting turns are planned anew: each
/// re-plan wakes every waiting caller once.
const REPLAN_GROWTH: f64 = 1.25;

#[derive(Debug)]
enum Mode {
    /// A documented (or configured) limit.
    Documented(Bucket),
    /// Unpaced until a 429, then learned.
    Learned(Adaptive),
}

/// A request's turn: when it was granted (for telling a 429 of the same
/// storm from a new one) and how long it was waited for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Permit {
    sent_at: Instant,
    pub(crate) waited: Duration,
    /// With shared pacing, when it was granted on Redis's clock (µs).
    shared_at: Option<u64>,
}

/// Why a request gets no turn: it is not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoTurn {
    /// Its turn would come this long from now, after its pacing deadline.
    Deadline(Duration),
    /// Shared pacing's Redis does not answer and its settings say to fail
    /// then ([`OnOutage::Fail`]): which Redis (never its password), and why.
    SharedOutage(String),
}

/// Where the pacers of live clients are found, so that two clients on one
/// credential share one. Weak: a pacer goes when its last client does.
static PACERS: LazyLock<Mutex<HashMap<Key, Weak<Pacer>>>> = LazyLock::new(Default::default);

/// What makes two clients share a pacer: the same vendor, server,
/// credential and limit. The credential is a [`CredentialId`], never the
/// secret; the server matters because each test server has its own budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    vendor: &'static str,
    base_url: String,
    credential: CredentialId,
    /// `(burst, per_second bits)`; `None`: learned.
    limit: Option<(u32, u64)>,
    /// With shared pacing: the Redis key of the budget and the URL's
    /// settings (a client with other settings gets a pacer of its own).
    shared: Option<(String, String)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update leaves the state consistent, so a panic elsewhere while
    // holding the lock does not make it unusable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pacer {
    /// The pacer of `credential` at `vendor` on `base_url` with `limit`
    /// (`None`: learned), created on first use.
    pub(crate) fn shared(
        vendor: &'static str,
        base_url: &str,
        credential: CredentialId,
        limit: Option<RateLimit>,
        shared: Option<&SharedPacing>,
    ) -> Arc<Pacer> {
        let limit = limit.and_then(RateLimit::checked);
        let shared = shared.map(|settings| {
            Arc::new(Shared::new(
                settings.clone(),
                vendor,
                base_url,
                limit,
                limit.map_or(1, usable_burst),
                credential.stable(),
            ))
        });
        let key = Key {
            vendor,
            base_url: base_url.to_owned(),
            credential,
            limit: limit.map(|l| (l.burst, l.per_second.to_bits())),
            shared: shared
                .as_ref()
                .map(|s| (s.key().to_owned(), format!("{:?}", s.settings))),
        };
        let mut pacers = lock(&PACERS);
        if let Some(pacer) = pacers.get(&key).and_then(Weak::upgrade) {
            return pacer;
        }
        pacers.retain(|_, pacer| pacer.strong_count() > 0);
        let pacer = Arc::new(Pacer::with(limit, shared));
        pacers.insert(key, Arc::downgrade(&pacer));
        pacer
    }

    #[cfg(test)]
    fn new(limit: Option<RateLimit>) -> Pacer {
        Pacer::with(limit, None)
    }

    fn with(limit: Option<RateLimit>, shared: Option<Arc<Shared>>) -> Pacer {
        let share = shared.as_ref().map_or(1, |s| s.share());
        Pacer {
            state: Mutex::new(State::new(local_share(limit, share))),
            replanned: tokio::sync::Notify::new(),
            shared,
            limit,
        }
    }
}

/// `1/share` of `limit`: what a process takes while the shared budget is
/// out of reach.
fn local_share(limit: Option<RateLimit>, share: u32) -> Option<RateLimit> {
    let share = share.max(1);
    limit.map(|l| RateLimit {
        burst: (l.burst / share).max(1),
        per_second: l.per_second / f64::from(share),
    })
}

impl State {
    fn new(limit: Option<RateLimit>) -> State {
        let now = Instant::now();
        let mode = match limit {
            Some(limit) => {
                Mode::Documented(Bucket::full(usable_burst(limit), limit.per_second, now))
            }
            None => Mode::Learned(Adaptive::new(now)),
        };
        let mut state = State {
            mode,
            hold_until: None,
            epoch: 0,
            waiting: 0,
            planned_rate: 0.0,
        };
        state.planned_rate = state.bucket(now).rate();
        state
    }
}

impl Pacer {
    /// Requests per second now allowed; `None` while unpaced.
    pub(crate) fn rate(&self) -> Option<f64> {
        if let Some(shared) = self.shared.as_ref().filter(|s| !s.in_outage()) {
            return match self.limit {
                Some(limit) => Some(limit.per_second),
                None => match shared
                    .learned_rate
                    .load(std::sync::atomic::Ordering::Relaxed)
                {
                    0 => None,
                    rate => Some(rate as f64 / 1000.0),
                },
            };
        }
        let mut state = lock(&self.state);
        match &mut state.mode {
            Mode::Documented(bucket) => Some(bucket.rate()),
            Mode::Learned(learned) => learned.learned(Instant::now()),
        }
    }

    /// Waits for this request's turn. `Err` when there is none: the turn
    /// would come after `deadline` (nothing is reserved then), or shared
    /// pacing's Redis does not answer and [`OnOutage::Fail`] holds.
    pub(crate) async fn acquire(&self, deadline: Instant) -> Result<Permit, NoTurn> {
        if let Some(shared) = &self.shared {
            if shared.should_ask() {
                match self.shared_acquire(shared, deadline).await {
                    Ok(turn) => return turn.map_err(NoTurn::Deadline),
                    Err(why) => {
                        shared.failed(&why);
                        self.rescale(shared);
                    }
                }
            }
            if shared.settings.on_outage == OnOutage::Fail {
                return Err(NoTurn::SharedOutage(shared.unavailable()));
            }
        }
        self.local_acquire(deadline).await.map_err(NoTurn::Deadline)
    }

    /// A turn from the budget in Redis; `Err` when Redis does not answer
    /// (nothing is reserved then).
    async fn shared_acquire(
        &self,
        shared: &Arc<Shared>,
        deadline: Instant,
    ) -> Result<Result<Permit, Duration>, shared::Unreachable> {
        let asked = Instant::now();
        loop {
            let now = Instant::now();
            let answer = shared.turn(deadline.saturating_duration_since(now)).await?;
            self.learn_hold(answer.held);
            let granted = match answer.turn {
                Turn::Refused(wait) => return Ok(Err(wait)),
                Turn::Granted(granted) => granted,
            };
            // Given back if the caller gives up while waiting.
            let mut reserved = SharedReserved(Some(Arc::clone(shared)));
            if !granted.wait.is_zero() {
                tokio::time::sleep(granted.wait).await;
            }
            // A hold another process set since Redis last answered here
            // would not be known: ask once more, unless an answer (to
            // another turn of this process) is fresh. A busy process
            // asks nothing more.
            if shared.last_answer().is_none_or(|at| at.elapsed() > FRESH) {
                match shared.peek().await {
                    Ok(held) => self.learn_hold(held),
                    // The turn was granted: it stands; the next ones are
                    // paced locally.
                    Err(why) => {
                        shared.failed(&why);
                        self.rescale(shared);
                    }
                }
            }
            reserved.0 = None;
            // A hold set meanwhile — by this process (its own 429) or by
            // another (told by Redis) — cancels the turn: Redis moved every
            // turn after the hold.
            let held = lock(&self.state).hold_until;
            if let Some(until) = held.filter(|until| *until > Instant::now()) {
                if until > deadline {
                    return Ok(Err(until - Instant::now()));
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            let now = Instant::now();
            let wait_us = u64::try_from(granted.wait.as_micros()).unwrap_or(u64::MAX / 2);
            return Ok(Ok(Permit {
                sent_at: now,
                waited: now - asked,
                shared_at: Some(granted.at.saturating_add(wait_us)),
            }));
        }
    }

    /// Keeps a hold Redis told of (`held` left of it; any process may have
    /// set it), so that turns this process reserved before it are
    /// cancelled.
    fn learn_hold(&self, held: Duration) {
        if held.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut state = lock(&self.state);
        // Told again with every answer: the same hold, a few µs later, is
        // not a new one (a new one would cancel reserved turns again).
        if state
            .hold_until
            .is_some_and(|until| until + HOLD_SLACK >= now + held)
        {
            return;
        }
        state.hold(now, held);
    }

    /// The fallback at this process's share, as Redis last counted the
    /// processes (holds are kept).
    fn rescale(&self, shared: &Shared) {
        let Some(limit) = local_share(self.limit, shared.share()) else {
            return;
        };
        let mut state = lock(&self.state);
        if let Mode::Documented(bucket) = &state.mode
            && (bucket.rate() - limit.per_second).abs() < 1e-9
        {
            return;
        }
        let fresh = State::new(Some(limit));
        state.mode = fresh.mode;
        state.planned_rate = fresh.planned_rate;
        state.epoch = state.epoch.wrapping_add(1);
        state.waiting = 0;
    }

    /// A turn from this process's own budget.
    async fn local_acquire(&self, deadline: Instant) -> Result<Permit, Duration> {
        let asked = Instant::now();
        let mut now = asked;
        loop {
            // Registered before the turn is taken, so that a re-plan between
            // the two is not missed.
            let replanned = self.replanned.notified();
            tokio::pin!(replanned);
            replanned.as_mut().enable();
            // In a block: the guard must be gone before the await.
            let (turn, reserved) = {
                let mut state = lock(&self.state);
                let (turn, reserved) = state.turn(now);
                if turn <= now {
                    return Ok(state.granted(asked, now));
                }
                if turn > deadline {
                    if let Some(epoch) = reserved {
                        state.give_back(epoch);
                    }
                    return Err(turn - now);
                }
                (turn, reserved)
            };
            // Gives the turn back if the caller gives up while waiting.
            let mut guard = Reserved {
                pacer: self,
                epoch: reserved,
            };
            tokio::select! {
                () = tokio::time::sleep_until(turn) => {}
                // The rate grew, or a hold came: every turn is planned anew.
                () = replanned => {}
            }
            if let Some(epoch) = guard.epoch.take() {
                let mut state = lock(&self.state);
                if state.epoch == epoch {
                    let now = Instant::now();
                    if turn <= now {
                        state.waiting = state.waiting.saturating_sub(1);
                        return Ok(state.granted(asked, now));
                    }
                    // Woken early by a re-plan of an epoch before ours.
                    state.give_back(epoch);
                }
            }
            // A hold ended, or one that came meanwhile cancelled the turn,
            // or the rate grew: look again.
            now = Instant::now();
        }
    }

    /// How long a request would wait for its turn now (nothing reserved).
    /// With shared pacing, only the holds this process saw are known here.
    pub(crate) fn wait(&self) -> Duration {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if self.shared.as_ref().is_some_and(|s| !s.in_outage()) {
            return state
                .hold_until
                .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        }
        let (turn, reserved) = state.turn(now);
        if let Some(epoch) = reserved {
            state.give_back(epoch);
        }
        turn - now
    }

    /// Learns from a response: a 429 holds every request until its
    /// `Retry-After` (and lowers a learned rate); `X-Rate-Limit-Remaining`
    /// lowers a documented bucket; `Remaining: 0` holds a vendor without
    /// one until `X-Rate-Limit-Reset`. No hold is longer than `max_hold`
    /// (the client's `RetryPolicy::max_retry_after`: a longer wait is one
    /// the client does not accept, so its calls go out and get the
    /// vendor's answer instead).
    pub(crate) fn observe(
        &self,
        permit: Permit,
        status: StatusCode,
        headers: &HeaderMap,
        max_hold: Duration,
    ) {
        if let Some(shared) = &self.shared {
            observe_shared(
                shared,
                permit,
                status,
                headers,
                max_hold,
                self.limit.is_some(),
            );
        }
        let now = Instant::now();
        let mut state = lock(&self.state);
        if state.replan(now) {
            self.replanned.notify_waiters();
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            if let Mode::Learned(learned) = &mut state.mode {
                learned.throttled(now, permit.sent_at);
            }
            let wait = retry_after(headers).unwrap_or(DEFAULT_HOLD);
            state.hold(now, wait.min(max_hold));
            return;
        }
        if let Mode::Learned(learned) = &mut state.mode {
            learned.accepted(now);
        }
        let Some(remaining) = remaining(headers) else {
            return;
        };
        match &mut state.mode {
            Mode::Documented(bucket) => bucket.at_most(now, remaining),
            Mode::Learned(_) if remaining < 1.0 => {
                if let Some(reset) = rate_limit_reset(headers) {
                    state.hold(now, reset.min(max_hold));
                }
            }
            Mode::Learned(_) => {}
        }
    }
}

impl State {
    /// When the next request may leave, and the epoch of the turn taken
    /// for it (`None`: none taken, because of a hold or no pacing).
    fn turn(&mut self, now: Instant) -> (Instant, Option<u64>) {
        if let Some(until) = self.hold_until.filter(|until| *until > now) {
            return (until, None);
        }
        let turn = self.bucket(now).reserve(now);
        if turn > now {
            self.waiting += 1;
        }
        (turn, Some(self.epoch))
    }

    /// The bucket turns come from now.
    fn bucket(&mut self, now: Instant) -> &mut bucket::Bucket {
        match &mut self.mode {
            Mode::Documented(bucket) => bucket,
            Mode::Learned(learned) => learned.bucket(now),
        }
    }

    /// Plans the waiting turns anew if the rate grew by [`REPLAN_GROWTH`]
    /// since they were planned: their tokens are given back and the epoch
    /// bumped, so that each waiting caller reserves again at the new rate
    /// (the caller wakes them). `true` if it did.
    fn replan(&mut self, now: Instant) -> bool {
        let rate = self.bucket(now).rate();
        if rate < self.planned_rate * REPLAN_GROWTH {
            return false;
        }
        self.planned_rate = rate;
        let waiting = std::mem::take(&mut self.waiting);
        self.bucket(now).give_back_many(waiting);
        self.epoch = self.epoch.wrapping_add(1);
        waiting > 0
    }

    fn give_back(&mut self, epoch: u64) {
        if epoch != self.epoch {
            return;
        }
        self.waiting = self.waiting.saturating_sub(1);
        self.bucket(Instant::now()).give_back_many(1);
    }

    /// A turn asked for at `asked`, taken at `now`.
    fn granted(&mut self, asked: Instant, now: Instant) -> Permit {
        if let Mode::Learned(learned) = &mut self.mode {
            learned.sent(now);
        }
        Permit {
            sent_at: now,
            waited: now - asked,
            shared_at: None,
        }
    }

    /// Holds every request until `now + wait`, cancelling turns reserved
    /// before (they were planned on a budget the vendor says is spent).
    fn hold(&mut self, now: Instant, wait: Duration) {
        let until = now + wait.min(MAX_WAIT);
        if self.hold_until.is_some_and(|held| held >= until) {
            return;
        }
        self.hold_until = Some(until);
        self.epoch = self.epoch.wrapping_add(1);
        self.waiting = 0;
        let bucket = self.bucket(now);
        bucket.empty_until(until);
        self.planned_rate = bucket.rate();
    }
}

/// A turn taken and not yet used: given back if the waiting call is
/// dropped (a caller's timeout), so that the queue does not stall.
struct Reserved<'a> {
    pacer: &'a Pacer,
    /// `None` once used, or when nothing was reserved.
    epoch: Option<u64>,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Some(epoch) = self.epoch {
            lock(&self.pacer.state).give_back(epoch);
        }
    }
}

/// What a response tells the shared budget: a 429 (or `Remaining: 0` with
/// a reset, for a vendor without a documented limit) holds every process
/// at once; the rest rides on this process's next turn.
fn observe_shared(
    shared: &Arc<Shared>,
    permit: Permit,
    status: StatusCode,
    headers: &HeaderMap,
    max_hold: Duration,
    documented: bool,
) {
    let hold = if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry_after(headers).unwrap_or(DEFAULT_HOLD);
        Some((wait.min(max_hold).min(MAX_WAIT), permit.shared_at))
    } else {
        shared.accepted();
        match remaining(headers) {
            Some(left) if documented => {
                shared.remaining(left);
                None
            }
            Some(left) if left < 1.0 => {
                rate_limit_reset(headers).map(|reset| (reset.min(max_hold).min(MAX_WAIT), None))
            }
            _ => None,
        }
    };
    let Some((wait, sent_at)) = hold else {
        return;
    };
    if shared.in_outage() {
        return;
    }
    // `observe` is not async: the hold goes out on its own task.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let shared = Arc::clone(shared);
        runtime.spawn(async move {
            if let Err(why) = shared.hold(wait, sent_at).await {
                shared.failed(&why);
            }
        });
    }
}

/// A shared turn taken and not yet used: given back if the waiting call
/// is dropped.
struct SharedReserved(Option<Arc<Shared>>);

impl Drop for SharedReserved {
    fn drop(&mut self) {
        let Some(shared) = self.0.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // Lost if Redis does not answer: the budget is then a turn
                // short, which is the safe side.
                let _ = shared.give_back().await;
            });
        }
    }
}

/// `X-Rate-Limit-Remaining` as a number of requests (any digits; an absurd
/// count is just large).
fn remaining(headers: &HeaderMap) -> Option<f64> {
    let text = headers.get("x-rate-limit-remaining")?.to_str().ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod shared_tests;
