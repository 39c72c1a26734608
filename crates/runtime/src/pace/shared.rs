//! Shared pacing (issue 23): one rate budget per credential for every
//! process that uses it, kept in Redis.
//!
//! Each turn is one round trip: `shared.lua` (sent by its SHA with
//! EVALSHA, loaded again after `NOSCRIPT`) keeps the budget as GCRA on
//! Redis's own clock (`TIME`), for a documented limit as for a learned one
//! (probing, then AIMD), and answers how long to wait. A 429, or
//! `Remaining: 0` with a reset, holds every process: each answer to a turn
//! says how much of a hold is left, so that a process cancels the turns it
//! had reserved before another one's hold, and a turn that waited without
//! any fresher answer from Redis asks once more (`peek`) before it is used.
//! What the answers say otherwise (accepted answers, `X-Rate-Limit-Remaining`) rides on this
//! process's next turn.
//!
//! Redis holds, per vendor + base URL + credential + limit, one hash (the
//! budget) and one sorted set (random ids of the processes that took a
//! turn in the last minute), both under `key_prefix` + the hex
//! HMAC-SHA-256, keyed with the deployment key, of the vendor, the base
//! URL, the limit and a digest of the credential. Nothing else: never a
//! secret, never an unkeyed hash of one. Both expire an hour after the
//! last use.
//!
//! When Redis does not answer within `command_timeout` (down, stopped,
//! restarted, a network split), the process paces itself with the local
//! pacer at its share of the limit — the documented limit divided by the
//! number of processes Redis last reported (or `assumed_processes` if it
//! never answered) — logs one warning for the outage, tries Redis again
//! once a second, and shares again as soon as it answers. Nothing is sent
//! or lost because of Redis: a turn is taken before a request leaves.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::RateLimit;

/// The deployment key used unless one is set: it makes the keys stable
/// across processes, and unreadable to anyone who cannot guess the
/// credential. Set your own (`SharedPacing::deployment_key`) when
/// others can read the Redis, so that they cannot test guesses either.
pub const DEFAULT_DEPLOYMENT_KEY: &str = "chatbots shared pacing, default deployment key";

/// The key prefix used unless one is set.
pub const DEFAULT_KEY_PREFIX: &str = "chatbots:pace:";

/// The script, loaded once per process.
static SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(include_str!("shared.lua")));

/// How often a process in an outage asks Redis again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// What a process does while Redis does not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnOutage {
    /// Paces itself at its share of the limit (the default): calls go on.
    #[default]
    PaceLocally,
    /// Sends nothing: each call fails at once, without a turn, with an
    /// answer the client makes saying that shared pacing's Redis did not
    /// answer (a 503, header `x-chatbots-paced-out: shared-pacing-unavailable`,
    /// `Retry-After: 1`, and
    /// [`CallRecord::shared_pacing_unavailable`](crate::CallRecord::shared_pacing_unavailable));
    /// the facade reports it as its own error kind. Redis is asked again
    /// once a second: calls go out again as soon as it answers.
    Fail,
}

/// Shared pacing's settings: where the budget is kept and what to do
/// without it. Part of [`Pacing`](crate::Pacing).
///
/// ```
/// use std::time::Duration;
/// use chatbots_runtime::{ExposeSecret, OnOutage, Pacing, SharedPacing};
///
/// let shared = SharedPacing {
///     key_prefix: "agency-a:".into(),
///     command_timeout: Duration::from_millis(100),
///     on_outage: OnOutage::Fail,
///     ..SharedPacing::new("redis://:hunter2@10.0.0.5:6379/0")
/// };
/// let pacing = Pacing { shared: Some(shared), ..Pacing::default() };
/// // The URL may hold a password: it is never shown.
/// assert!(!format!("{pacing:?}").contains("hunter2"));
/// # let _ = ExposeSecret::expose_secret(&pacing.shared.unwrap().url);
/// ```
#[derive(Clone)]
pub struct SharedPacing {
    /// The Redis URL (`redis://[:password@]host:port/db`,
    /// `redis+unix:///path`); secret, since it may hold a password.
    pub url: SecretString,
    /// Put before every key, so that deployments can share a Redis.
    /// Default [`DEFAULT_KEY_PREFIX`].
    pub key_prefix: String,
    /// The HMAC key the keys derive from; the same in every process of a
    /// deployment. Default [`DEFAULT_DEPLOYMENT_KEY`].
    pub deployment_key: SecretString,
    /// The longest one Redis command (or connecting) may take before the
    /// process paces itself locally. Default 250 ms.
    pub command_timeout: Duration,
    /// What to do while Redis does not answer. Default: pace locally.
    pub on_outage: OnOutage,
    /// The share of the limit a process takes while Redis does not answer,
    /// if Redis never said how many processes there are. Default 4.
    pub assumed_processes: u32,
}

impl SharedPacing {
    /// Shared pacing through the Redis at `url`, with the default settings.
    pub fn new(url: impl Into<String>) -> SharedPacing {
        SharedPacing {
            url: SecretString::from(url.into()),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            deployment_key: SecretString::from(DEFAULT_DEPLOYMENT_KEY),
            command_timeout: Duration::from_millis(250),
            on_outage: OnOutage::PaceLocally,
            assumed_processes: 4,
        }
    }
}

impl SharedPacing {
    /// Where the Redis is, as it may be shown: `host:port` or the socket's
    /// path, never the password the URL may hold (`[REDACTED]` for a URL
    /// that does not parse, which could be anything).
    pub(crate) fn address(&self) -> String {
        match redis::Client::open(self.url.expose_secret()) {
            Ok(client) => client.get_connection_info().addr().to_string(),
            Err(_) => "[REDACTED]".to_owned(),
        }
    }
}

impl PartialEq for SharedPacing {
    fn eq(&self, other: &Self) -> bool {
        self.url.expose_secret() == other.url.expose_secret()
            && self.key_prefix == other.key_prefix
            && self.deployment_key.expose_secret() == other.deployment_key.expose_secret()
            && self.command_timeout == other.command_timeout
            && self.on_outage == other.on_outage
            && self.assumed_processes == other.assumed_processes
    }
}

impl std::fmt::Debug for SharedPacing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPacing")
            .field("url", &"[REDACTED]")
            .field("key_prefix", &self.key_prefix)
            .field("deployment_key", &"[REDACTED]")
            .field("command_timeout", &self.command_timeout)
            .field("on_outage", &self.on_outage)
            .field("assumed_processes", &self.assumed_processes)
            .finish()
    }
}

/// The keys of one budget: prefix + hex HMAC-SHA-256(deployment key,
/// vendor, base URL, limit, credential digest).
pub(crate) fn budget_key(
    settings: &SharedPacing,
    vendor: &str,
    base_url: &str,
    limit: Option<RateLimit>,
    credential: &[u8; 32],
) -> String {
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        settings.deployment_key.expose_secret().as_bytes(),
    );
    let mut context = ring::hmac::Context::with_key(&key);
    let limit = limit.map_or_else(
        || "learned".to_owned(),
        |l| format!("{}/{}", l.burst, l.per_second),
    );
    for part in [vendor.as_bytes(), base_url.as_bytes(), limit.as_bytes()] {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    context.update(credential);
    let tag = context.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{hex}", settings.key_prefix)
}

/// A turn Redis granted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Granted {
    /// How long to wait before sending.
    pub(crate) wait: Duration,
    /// When it was granted, on Redis's clock (µs).
    pub(crate) at: u64,
}

/// Redis's answer to a turn.
pub(crate) enum Turn {
    Granted(Granted),
    /// The turn would come after the deadline: nothing reserved.
    Refused(Duration),
}

/// Redis's answer to a turn, with how much of the budget's hold (set by any
/// process) is left when it answered.
pub(crate) struct Answer {
    pub(crate) turn: Turn,
    /// `ZERO`: no hold.
    pub(crate) held: Duration,
}

/// One pacer's link to its shared budget.
pub(crate) struct Shared {
    pub(crate) settings: SharedPacing,
    vendor: &'static str,
    key: String,
    processes_key: String,
    /// What the script is told: the usable burst and the rate (0: learned).
    burst: u32,
    rate: f64,
    /// This pacer's id among those sharing the budget (one per process,
    /// since a process has one pacer per budget).
    process: u64,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// Answers other than 429 since the last turn (learned vendors grow
    /// their probing rate by them).
    accepted: AtomicU32,
    /// The lowest `X-Rate-Limit-Remaining` since the last turn (-1: none).
    remaining: AtomicI64,
    /// Processes Redis last counted (0: it never answered).
    pub(crate) processes: AtomicU32,
    /// The learned rate Redis last reported, × 1000 (0: probing).
    pub(crate) learned_rate: AtomicU64,
    /// `Some` during an outage: when to ask Redis again.
    outage: Mutex<Option<Instant>>,
    /// Why Redis last failed to answer (never a URL), for the error of a
    /// call that fails without it.
    why: Mutex<String>,
    /// When Redis last answered this process (`None`: never).
    last_answer: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("settings", &self.settings)
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

/// Why Redis gave no answer.
#[derive(Debug)]
pub(crate) enum Unreachable {
    Timeout,
    Redis(redis::RedisError),
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreachable::Timeout => f.write_str("no answer in time"),
            // The kind only: a message could quote the URL.
            Unreachable::Redis(error) => write!(f, "{:?}", error.kind()),
        }
    }
}

impl Shared {
    pub(crate) fn new(
        settings: SharedPacing,
        vendor: &'static str,
        base_url: &str,
        limit: Option<RateLimit>,
        usable_burst: u32,
        credential: &[u8; 32],
    ) -> Shared {
        let key = budget_key(&settings, vendor, base_url, limit, credential);
        Shared {
            processes_key: format!("{key}:processes"),
            key,
            settings,
            vendor,
            burst: usable_burst,
            rate: limit.map_or(0.0, |l| l.per_second),
            process: process_id(),
            connection: tokio::sync::Mutex::new(None),
            accepted: AtomicU32::new(0),
            remaining: AtomicI64::new(-1),
            processes: AtomicU32::new(0),
            learned_rate: AtomicU64::new(0),
            outage: Mutex::new(None),
            why: Mutex::new(String::new()),
            last_answer: Mutex::new(None),
        }
    }

    /// The key of the budget.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Whether to ask Redis now: always outside an outage, once every
    /// [`RETRY_EVERY`] inside one.
    pub(crate) fn should_ask(&self) -> bool {
        let mut outage = super::lock(&self.outage);
        match *outage {
            None => true,
            Some(next) if Instant::now() >= next => {
                *outage = Some(Instant::now() + RETRY_EVERY);
                true
            }
            Some(_) => false,
        }
    }

    /// Whether an outage is going on.
    pub(crate) fn in_outage(&self) -> bool {
        super::lock(&self.outage).is_some()
    }

    /// Notes that Redis did not answer: warns once per outage.
    pub(crate) fn failed(&self, why: &Unreachable) {
        let mut outage = super::lock(&self.outage);
        if outage.is_none() {
            tracing::warn!(
                vendor = self.vendor,
                reason = %why,
                share = self.share(),
                "shared pacing: Redis does not answer; pacing this process locally at 1/{} \
                 of the limit until it does",
                self.share()
            );
        }
        *outage = Some(Instant::now() + RETRY_EVERY);
        *super::lock(&self.why) = why.to_string();
    }

    /// What a call that fails without Redis says ([`OnOutage::Fail`]):
    /// which Redis did not answer (no password) and why.
    pub(crate) fn unavailable(&self) -> String {
        let why = super::lock(&self.why).clone();
        let why = if why.is_empty() {
            "no answer".to_owned()
        } else {
            why
        };
        format!(
            "shared pacing's Redis at {} did not answer ({why}); set to fail without it \
             (OnOutage::Fail)",
            self.settings.address()
        )
    }

    /// When Redis last answered this process: holds set before then are
    /// known here.
    pub(crate) fn last_answer(&self) -> Option<Instant> {
        *super::lock(&self.last_answer)
    }

    /// Notes that Redis answered: ends an outage.
    fn answered(&self) {
        *super::lock(&self.last_answer) = Some(Instant::now());
        let mut outage = super::lock(&self.outage);
        if outage.take().is_some() {
            tracing::info!(
                vendor = self.vendor,
                "shared pacing: Redis answers again; the budget is shared again"
            );
        }
    }

    /// How many processes the limit is divided by while Redis does not
    /// answer: those Redis last counted, or `assumed_processes`.
    pub(crate) fn share(&self) -> u32 {
        match self.processes.load(Ordering::Relaxed) {
            0 => self.settings.assumed_processes.max(1),
            n => n,
        }
    }

    /// An answer that was not a 429, told on the next turn.
    pub(crate) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// `X-Rate-Limit-Remaining`, told on the next turn.
    pub(crate) fn remaining(&self, remaining: f64) {
        let remaining = remaining.min(i64::MAX as f64) as i64;
        let _ = self
            .remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |seen| {
                (seen < 0 || remaining < seen).then_some(remaining)
            });
    }

    /// The connection, opened on first use (and again after a failure to
    /// open it).
    async fn connection(&self) -> Result<ConnectionManager, Unreachable> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = &*slot {
            return Ok(connection.clone());
        }
        let client =
            redis::Client::open(self.settings.url.expose_secret()).map_err(Unreachable::Redis)?;
        let timeout = self.settings.command_timeout;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let connection =
            tokio::time::timeout(timeout, ConnectionManager::new_with_config(client, config))
                .await
                .map_err(|_| Unreachable::Timeout)?
                .map_err(Unreachable::Redis)?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Runs the script once, within the command timeout (twice the
    /// timeout at most, when the script must be loaded again).
    async fn run(&self, args: &[String]) -> Result<Vec<i64>, Unreachable> {
        let mut connection = self.connection().await?;
        let mut invocation = SCRIPT.key(&self.key);
        invocation.key(&self.processes_key);
        for arg in args {
            invocation.arg(arg);
        }
        let answer = tokio::time::timeout(
            self.settings.command_timeout * 2,
            invocation.invoke_async::<Vec<i64>>(&mut connection),
        )
        .await
        .map_err(|_| Unreachable::Timeout)?
        .map_err(Unreachable::Redis)?;
        self.answered();
        Ok(answer)
    }

    /// Takes a turn from the shared budget: `Refused` when it would come
    /// later than `longest` from now (nothing reserved then).
    pub(crate) async fn turn(&self, longest: Duration) -> Result<Answer, Unreachable> {
        let accepted = self.accepted.swap(0, Ordering::Relaxed);
        let remaining = self.remaining.swap(-1, Ordering::Relaxed);
        let longest = u64::try_from(longest.as_micros()).unwrap_or(u64::MAX / 2);
        let answer = self
            .run(&[
                "turn".to_owned(),
                self.burst.to_string(),
                self.rate.to_string(),
                self.process.to_string(),
                longest.min(i64::MAX as u64).to_string(),
                accepted.to_string(),
                remaining.to_string(),
            ])
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                // Told again on the next turn.
                self.accepted.fetch_add(accepted, Ordering::Relaxed);
                return Err(error);
            }
        };
        let [wait, now, processes, rate, held] = answer[..] else {
            return Err(Unreachable::Timeout);
        };
        self.processes.store(
            u32::try_from(processes).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
        self.learned_rate
            .store(u64::try_from(rate).unwrap_or(0), Ordering::Relaxed);
        let turn = if wait < 0 {
            Turn::Refused(micros(wait + 1))
        } else {
            Turn::Granted(Granted {
                wait: micros(wait),
                at: u64::try_from(now).unwrap_or(0),
            })
        };
        Ok(Answer {
            turn,
            held: micros(held),
        })
    }

    /// How much of the budget's hold is left (`ZERO`: none), without
    /// taking a turn.
    pub(crate) async fn peek(&self) -> Result<Duration, Unreachable> {
        let answer = self
            .run(&[
                "peek".to_owned(),
                self.burst.to_string(),
                self.rate.to_string(),
            ])
            .await?;
        let [_now, held] = answer[..] else {
            return Err(Unreachable::Timeout);
        };
        Ok(micros(held))
    }

    /// Holds every process for `hold`; `sent_at` (Redis time) of a request
    /// that got a 429 lowers a learned rate once per storm.
    pub(crate) async fn hold(
        &self,
        hold: Duration,
        sent_at: Option<u64>,
    ) -> Result<(), Unreachable> {
        let hold = u64::try_from(hold.as_micros()).unwrap_or(u64::MAX / 2);
        self.run(&[
            "hold".to_owned(),
            self.burst.to_string(),
            self.rate.to_string(),
            hold.min(i64::MAX as u64).to_string(),
            sent_at.unwrap_or(0).to_string(),
        ])
        .await
        .map(drop)
    }

    /// Gives back a turn reserved and not used.
    pub(crate) async fn give_back(&self) -> Result<(), Unreachable> {
        self.run(&[
            "back".to_owned(),
            self.burst.to_string(),
            self.rate.to_string(),
        ])
        .await
        .map(drop)
    }
}

/// A script's count of microseconds (a negative count is taken as its
/// size).
fn micros(us: i64) -> Duration {
    Duration::from_micros(us.unsigned_abs())
}

/// A random id (positive as an i64, for the script).
fn process_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish() >> 1
}
