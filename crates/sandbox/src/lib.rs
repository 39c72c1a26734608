//! A local emulator of the vendor APIs in `specs/`, the way LocalStack
//! stands in for AWS: every documented endpoint of each emulated vendor
//! (`vendors/mod.rs` lists them), served from one process on loopback, with
//! in-memory state, each vendor's own auth and error shapes, and fault
//! injection for resilience tests.
//!
//! Each vendor lives under its own base URL, `http://127.0.0.1:<port>/<vendor>`
//! (the path prefix stands in for the vendor's host and base path), and
//! accepts the documented sandbox [`Credentials`]. Every vendor has two
//! accounts ([`Sandbox::accounts`]): [`DEFAULT_ACCOUNT`] and
//! [`SECOND_ACCOUNT`], each with its own credentials and bots; one
//! account's key finds none of the other's bots.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use chatbots_sandbox::{Sandbox, Vendor};
//!
//! let sandbox = Sandbox::start().await?;
//! let base = sandbox.base_url(Vendor::OkChat);
//! assert!(base.starts_with("http://127.0.0.1:"));
//! assert!(base.ends_with("/okchat"));
//! let key = sandbox.credentials(Vendor::OkChat).expect("emulated").key;
//! # let _ = key;
//! // Point a client at `base` with `key`; the server stops when `sandbox` drops.
//!
//! // A vendor without an emulation answers 404 under its base URL, and has
//! // neither credentials nor a demo bot.
//! for vendor in Vendor::ALL {
//!     assert_eq!(sandbox.credentials(vendor).is_some(), sandbox.emulates(vendor));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Run it on its own with `cargo run -p chatbots-sandbox -- --port 8080`.

#![forbid(unsafe_code)]

mod accounts;
mod bucket;
mod drop_field;
mod escape;
mod extract;
mod faults;
mod multipart;
#[doc(hidden)]
pub mod probe;
mod rate_limit;
mod server;
mod stats;
pub(crate) mod support;
mod vendors;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

pub use accounts::{DEFAULT_ACCOUNT, SECOND_ACCOUNT};
pub use escape::printable;
pub use faults::{Fault, FaultRule, Faults, ParseFaultError};
#[doc(hidden)]
pub use probe::probe;
pub use rate_limit::{ParseRateLimitError, RateLimit, RateLimitRule};
pub use stats::{
    Counts, MAX_CREDENTIALS, NO_CREDENTIAL, OTHER_CREDENTIALS, SandboxStats, VendorStats,
};

pub use chatbots_runtime::Vendor;

/// The documented sandbox credentials of one vendor. They are fixed and
/// public: they open only the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub vendor: Vendor,
    /// The API key or token (Converza: the key id).
    pub key: &'static str,
    /// Converza's key secret; `None` for the others.
    pub secret: Option<&'static str>,
    /// How a request carries it, in words.
    pub how: &'static str,
}

impl Credentials {
    /// The sandbox credentials of `vendor`; `None` for a vendor the sandbox
    /// does not emulate.
    ///
    /// ```
    /// use chatbots_sandbox::{Credentials, Vendor};
    ///
    /// let okchat = Credentials::of(Vendor::OkChat).expect("emulated");
    /// assert_eq!(okchat.vendor, Vendor::OkChat);
    /// assert!(!okchat.key.is_empty());
    /// ```
    pub fn of(vendor: Vendor) -> Option<Credentials> {
        vendors::credentials(vendor, DEFAULT_ACCOUNT)
    }

    /// The sandbox credentials of `vendor`'s `account` (one of
    /// [`Sandbox::accounts`]: [`DEFAULT_ACCOUNT`], the same as
    /// [`of`](Self::of), or [`SECOND_ACCOUNT`]); `None` for a vendor the
    /// sandbox does not emulate or an account it does not have. Each
    /// account's key opens only that account's bots.
    ///
    /// ```
    /// use chatbots_sandbox::{Credentials, SECOND_ACCOUNT, Vendor};
    ///
    /// let default = Credentials::of_account(Vendor::OkChat, "default").expect("emulated");
    /// let client_b = Credentials::of_account(Vendor::OkChat, SECOND_ACCOUNT).expect("emulated");
    /// assert_eq!(Some(default), Credentials::of(Vendor::OkChat));
    /// assert_ne!(default.key, client_b.key);
    /// assert_eq!(Credentials::of_account(Vendor::OkChat, "client-z"), None);
    /// ```
    pub fn of_account(vendor: Vendor, account: &str) -> Option<Credentials> {
        vendors::credentials(vendor, account)
    }
}

/// Settings of a sandbox, fixed when it starts.
#[derive(Clone, Debug)]
pub struct Settings {
    /// StreamSkill's per-token limit; `None` turns it off (load tests).
    pub streamskill_rate_limit: Option<RateLimit>,
    /// Emulated limits of the other vendors, which document none: a token
    /// bucket per credential, 429 with `Retry-After` in the vendor's error
    /// shape when empty. A vendor not listed has no limit (the default).
    /// StreamSkill's entry is ignored: its limit is `streamskill_rate_limit`.
    pub rate_limits: BTreeMap<Vendor, RateLimit>,
    /// Bots seeded per vendor in addition to the fixtures, for scale tests
    /// (`Sandbox::seeded_bots` lists their ids).
    pub bots: usize,
    /// Lifetime of the JWTs Converza's token endpoint issues (`expires_in`).
    pub converza_token_ttl: Duration,
    /// Request bodies above this many bytes are refused in the vendor's
    /// error shape.
    pub body_limit: usize,
    /// How long a connection may take to send a request head (request line
    /// and headers), counted from when the sandbox starts waiting for it:
    /// from the connection's start, and after each answer on a kept-alive
    /// connection (so an idle kept-alive connection closes after this long
    /// too). Slow or silent clients (slowloris) are closed then. Default
    /// 10 s; used within 1 ms ..= a day.
    pub header_read_timeout: Duration,
    /// How long a connection may go without a byte moving either way while
    /// it reads a request body or writes an answer, before it is closed. A
    /// request held by a `latency` fault does not count as idle. Default
    /// 60 s; used within 1 ms ..= a day.
    pub idle_timeout: Duration,
}

impl Settings {
    /// The limit `vendor` runs with: StreamSkill's documented bucket (unless
    /// turned off), for the others what `rate_limits` says.
    pub fn rate_limit(&self, vendor: Vendor) -> Option<RateLimit> {
        if vendor == Vendor::StreamSkill {
            self.streamskill_rate_limit
        } else {
            self.rate_limits.get(&vendor).copied()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            streamskill_rate_limit: RateLimit::documented(Vendor::StreamSkill),
            rate_limits: BTreeMap::new(),
            bots: 0,
            converza_token_ttl: Duration::from_secs(86_400),
            body_limit: 1 << 20,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Configures a [`Sandbox`] before it starts.
#[derive(Debug)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    settings: Settings,
    faults: Vec<FaultRule>,
}

impl SandboxBuilder {
    /// Where to listen; default `127.0.0.1:0` (a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// StreamSkill's per-token rate limit, or `None` for no limit.
    pub fn streamskill_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.settings.streamskill_rate_limit = limit;
        self
    }

    /// `vendor`'s rate limit, or `None` for no limit. StreamSkill's is on
    /// by default ([`RateLimit::documented`], the same setting as
    /// [`streamskill_rate_limit`](Self::streamskill_rate_limit)); the other
    /// vendors' are off unless set here. With a limit, each credential gets
    /// a token bucket; an empty one answers 429 with `Retry-After` in the
    /// vendor's error shape.
    ///
    /// ```
    /// use chatbots_sandbox::{RateLimit, Sandbox, Vendor};
    ///
    /// let builder = Sandbox::builder()
    ///     .rate_limit(Vendor::OkChat, Some(RateLimit::per_second(20.0)))
    ///     .rate_limit(Vendor::StreamSkill, None);
    /// # let _ = builder;
    /// ```
    pub fn rate_limit(mut self, vendor: Vendor, limit: Option<RateLimit>) -> Self {
        if vendor == Vendor::StreamSkill {
            self.settings.streamskill_rate_limit = limit;
        } else if let Some(limit) = limit {
            self.settings.rate_limits.insert(vendor, limit);
        } else {
            self.settings.rate_limits.remove(&vendor);
        }
        self
    }

    /// Applies a parsed `--rate-limit` setting.
    pub fn rate_limit_rule(self, rule: RateLimitRule) -> Self {
        self.rate_limit(rule.vendor, rule.limit)
    }

    /// Seeds `n` bots per vendor in addition to the fixtures (default 0),
    /// with deterministic ids ([`Sandbox::seeded_bots`]), for scale tests.
    pub fn bots(mut self, n: usize) -> Self {
        self.settings.bots = n;
        self
    }

    /// Lifetime of issued Converza tokens (default 86 400 s, as documented).
    pub fn converza_token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.converza_token_ttl = ttl;
        self
    }

    /// Largest accepted request body, in bytes (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// See [`Settings::header_read_timeout`] (default 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_read_timeout = timeout;
        self
    }

    /// See [`Settings::idle_timeout`] (default 60 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle_timeout = timeout;
        self
    }

    /// A fault active from the first request on.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Binds and starts serving in the background.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let faults = Faults::default();
        for rule in self.faults {
            faults.inject(rule);
        }
        let stats = stats::Stats::default();
        let app = stats::wrap(vendors::app(&self.settings, faults.clone()), stats.clone());
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let timeouts = server::Timeouts {
            header_read: self.settings.header_read_timeout,
            idle: self.settings.idle_timeout,
        };
        let server = server::spawn(listener, app, timeouts);
        Ok(Sandbox {
            addr,
            faults,
            stats,
            settings: self.settings,
            _server: server,
        })
    }
}

/// A running sandbox. It serves until dropped; each one has its own port and
/// state, so tests can start one each and run in parallel.
pub struct Sandbox {
    addr: SocketAddr,
    faults: Faults,
    stats: stats::Stats,
    settings: Settings,
    _server: server::Handle,
}

impl Sandbox {
    /// Starts a sandbox with default [`Settings`] on a free loopback port.
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::builder().start().await
    }

    /// Configures a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            settings: Settings::default(),
            faults: Vec::new(),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client of `vendor` uses, in place of the vendor's own.
    pub fn base_url(&self, vendor: Vendor) -> String {
        format!("http://{}/{}", self.addr, vendor.slug())
    }

    /// Whether this sandbox emulates `vendor`. Every vendor of [`Vendor`]
    /// has a base URL here, but only an emulated one answers there (with
    /// [`credentials`](Self::credentials) and a
    /// [`demo_bot`](Self::demo_bot)); the others answer 404.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use chatbots_sandbox::{Sandbox, Vendor};
    ///
    /// let sandbox = Sandbox::start().await?;
    /// assert!(sandbox.emulates(Vendor::OkChat));
    /// let emulated: Vec<Vendor> = sandbox.emulated_vendors().collect();
    /// assert!(emulated.contains(&Vendor::OkChat));
    /// # Ok(())
    /// # }
    /// ```
    pub fn emulates(&self, vendor: Vendor) -> bool {
        vendors::emulated(vendor).is_some()
    }

    /// The vendors this sandbox emulates, in the order of [`Vendor::ALL`].
    pub fn emulated_vendors(&self) -> impl Iterator<Item = Vendor> + use<> {
        Vendor::ALL
            .into_iter()
            .filter(|v| vendors::emulated(*v).is_some())
    }

    /// For tests that run every vendor against the sandbox: the emulated
    /// vendors, as [`emulated_vendors`](Self::emulated_vendors); each other
    /// vendor is reported on stderr as `skipped <vendor>: not emulated by
    /// the sandbox`, so that no vendor drops out of a test unseen.
    pub fn vendors_to_test(&self) -> Vec<Vendor> {
        Vendor::ALL
            .into_iter()
            .filter(|vendor| {
                let emulated = self.emulates(*vendor);
                if !emulated {
                    eprintln!("skipped {vendor}: not emulated by the sandbox");
                }
                emulated
            })
            .collect()
    }

    /// The sandbox credentials of `vendor` (its default account); `None` for
    /// a vendor it does not emulate.
    pub fn credentials(&self, vendor: Vendor) -> Option<Credentials> {
        Credentials::of(vendor)
    }

    /// The accounts every emulated vendor has here: [`DEFAULT_ACCOUNT`] (the
    /// documented credentials and fixtures, what [`credentials`],
    /// [`demo_bot`] and [`seeded_bots`] mean) and [`SECOND_ACCOUNT`] (a
    /// second credential set with bots of its own). A request with one
    /// account's credential for another account's bot is answered as the
    /// vendor answers an unknown bot (404 in its error shape), and lists
    /// show the caller's own bots only.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use chatbots_sandbox::{Sandbox, Vendor};
    ///
    /// let sandbox = Sandbox::builder().bots(2).start().await?;
    /// assert_eq!(Sandbox::accounts(), ["default", "client-b"]);
    /// for account in Sandbox::accounts() {
    ///     let key = sandbox.credentials_of(Vendor::OkChat, account).expect("emulated").key;
    ///     let demo = sandbox.demo_bot_in(Vendor::OkChat, account).expect("emulated");
    ///     assert_eq!(sandbox.seeded_bots_in(Vendor::OkChat, account).len(), 2);
    ///     # let _ = (key, demo);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// [`credentials`]: Self::credentials
    /// [`demo_bot`]: Self::demo_bot
    /// [`seeded_bots`]: Self::seeded_bots
    pub fn accounts() -> &'static [&'static str] {
        &accounts::ACCOUNTS
    }

    /// The sandbox credentials of `vendor`'s `account` (see
    /// [`Credentials::of_account`]); `None` for a vendor it does not emulate
    /// or an account not in [`accounts`](Self::accounts).
    pub fn credentials_of(&self, vendor: Vendor, account: &str) -> Option<Credentials> {
        Credentials::of_account(vendor, account)
    }

    /// A bot of `vendor`'s `account` that accepts edits and reads back
    /// ([`demo_bot`](Self::demo_bot) for [`DEFAULT_ACCOUNT`]; the second
    /// account's "Client B demo bot"). `None` for a vendor it does not
    /// emulate or an unknown account.
    pub fn demo_bot_in(&self, vendor: Vendor, account: &str) -> Option<&'static str> {
        vendors::demo_bot(vendor, account)
    }

    /// The ids of the bots [`SandboxBuilder::bots`] seeded in `vendor`'s
    /// `account`, in list order, as [`seeded_bots`](Self::seeded_bots) for
    /// the default account (the second account's are named "Client B support
    /// bot 1"… and have ids of their own). Empty for a vendor it does not
    /// emulate or an unknown account.
    pub fn seeded_bots_in(&self, vendor: Vendor, account: &str) -> Vec<String> {
        vendors::seeded_bots(vendor, account, self.settings.bots)
    }

    /// The fault injector; rules added here apply to the next requests.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// How many requests `vendor`'s routes have received so far.
    pub fn requests(&self, vendor: Vendor) -> u64 {
        self.faults.requests(vendor)
    }

    /// Requests received and answers given so far, per vendor and per
    /// credential (hashed), as `GET /_sandbox/stats` answers them: how
    /// tests and benchmarks count 429s at the server.
    pub fn stats(&self) -> SandboxStats {
        self.stats.snapshot()
    }

    /// The label [`stats`](Self::stats) counts requests carrying
    /// `header: value` under (`header` one of the credential headers:
    /// `Authorization`, `X-API-KEY`), so that a test can find its own
    /// credential's counts without the secret ever being shown.
    pub fn credential_label(&self, header: &str, value: &str) -> String {
        let mut headers = axum::http::HeaderMap::new();
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(header),
            axum::http::HeaderValue::try_from(value),
        ) {
            headers.insert(name, value);
        }
        self.stats.credential_label(&headers)
    }

    /// The id of a seeded bot of `vendor` that accepts edits and reads
    /// (StreamSkill: an `ai_chatbots` order in progress) — what demos and
    /// quick tests can aim at. The README lists every fixture. `None` for
    /// a vendor the sandbox does not emulate.
    pub fn demo_bot(&self, vendor: Vendor) -> Option<&'static str> {
        vendors::demo_bot(vendor, DEFAULT_ACCOUNT)
    }

    /// The ids of the bots [`SandboxBuilder::bots`] seeded for `vendor`, in
    /// the order its lists return them (after the fixtures), in the
    /// vendor's own id format (each vendor module's docs say which). The
    /// same for every sandbox with the same count. None for a vendor the
    /// sandbox does not emulate ([`emulates`](Self::emulates) tells).
    pub fn seeded_bots(&self, vendor: Vendor) -> Vec<String> {
        vendors::seeded_bots(vendor, DEFAULT_ACCOUNT, self.settings.bots)
    }

    /// The ids `--bots count` seeds for `vendor` in any sandbox: for
    /// clients of a standalone sandbox started elsewhere.
    pub fn seeded_bots_of(vendor: Vendor, count: usize) -> Vec<String> {
        vendors::seeded_bots(vendor, DEFAULT_ACCOUNT, count)
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish()
    }
}
