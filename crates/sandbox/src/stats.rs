//! What the sandbox received and answered, per vendor and per credential:
//! the oracle tests and benchmarks count 429s with, at the server rather
//! than at the client (`GET /_sandbox/stats`, [`Sandbox::stats`](crate::Sandbox::stats)).
//!
//! Counted by the outermost layer, so injected faults and rate limits are
//! counted as the client saw them. A credential is shown only as a keyed
//! hash (a key drawn per sandbox), never as sent: a client pointed at the
//! sandbox by mistake may send a real secret.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::Vendor;
use crate::server::split_vendor;

/// The headers that carry a credential in the specs' security schemes
/// (a bearer token or API key in `Authorization`, an API key in
/// `X-API-KEY`). A request with neither (Converza's token exchange, whose
/// key pair is in the body) counts under [`NO_CREDENTIAL`].
const CREDENTIAL_HEADERS: [&str; 2] = ["authorization", "x-api-key"];

/// The credential label of a request that carries none.
pub const NO_CREDENTIAL: &str = "none";

/// The label requests are counted under once a vendor has
/// [`MAX_CREDENTIALS`] labels: a client sending random keys must not grow
/// the counts without bound.
pub const OTHER_CREDENTIALS: &str = "other";

/// Distinct credentials counted apart per vendor.
pub const MAX_CREDENTIALS: usize = 1024;

/// Requests received and answers given, by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Requests received (answered or not yet).
    pub requests: u64,
    /// Answers given, by HTTP status code.
    pub statuses: BTreeMap<u16, u64>,
}

impl Counts {
    /// Answers given with `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

/// One vendor's counts, in all and per credential.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorStats {
    /// Every request under the vendor's base URL.
    pub total: Counts,
    /// Per credential, by its hashed label ([`Sandbox::credential_label`](crate::Sandbox::credential_label)).
    pub credentials: BTreeMap<String, Counts>,
}

/// What `GET /_sandbox/stats` answers: per vendor slug, its counts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use chatbots_sandbox::{Sandbox, Vendor};
///
/// let sandbox = Sandbox::start().await?;
/// # let _ = rustls::crypto::ring::default_provider().install_default();
/// let url = format!("{}/api/external/chatbots", sandbox.base_url(Vendor::OkChat));
/// let _ = reqwest::get(url).await; // no key: 401
/// let stats = sandbox.stats();
/// let okchat = &stats.vendors["okchat"];
/// assert_eq!(okchat.total.requests, 1);
/// assert_eq!(okchat.total.status(401), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    /// Per vendor slug; a vendor that received nothing is absent.
    pub vendors: BTreeMap<String, VendorStats>,
}

impl SandboxStats {
    /// `vendor`'s counts (zero if it received nothing).
    pub fn vendor(&self, vendor: Vendor) -> VendorStats {
        self.vendors.get(vendor.slug()).cloned().unwrap_or_default()
    }
}

/// The live counters of one sandbox.
#[derive(Clone, Default)]
pub(crate) struct Stats {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    key: RandomState,
    counts: Mutex<SandboxStats>,
}

impl Stats {
    /// A copy of the counts so far.
    pub(crate) fn snapshot(&self) -> SandboxStats {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SandboxStats> {
        // Every update leaves the counts consistent.
        self.inner
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The label a credential's requests are counted under: 16 hex digits
    /// of a hash keyed per sandbox, of the whole header value as sent.
    pub(crate) fn credential_label(&self, headers: &HeaderMap) -> String {
        let Some(value) = CREDENTIAL_HEADERS
            .iter()
            .find_map(|name| headers.get(*name))
        else {
            return NO_CREDENTIAL.to_owned();
        };
        let mut hasher = self.inner.key.build_hasher();
        hasher.write(value.as_bytes());
        format!("{:016x}", hasher.finish())
    }

    fn counts<'a>(
        all: &'a mut SandboxStats,
        vendor: Vendor,
        credential: &str,
    ) -> (&'a mut Counts, &'a mut Counts) {
        let stats = all.vendors.entry(vendor.slug().to_owned()).or_default();
        let full = stats.credentials.len() >= MAX_CREDENTIALS;
        let label = if full && !stats.credentials.contains_key(credential) {
            OTHER_CREDENTIALS
        } else {
            credential
        };
        let per = stats.credentials.entry(label.to_owned()).or_default();
        (&mut stats.total, per)
    }
}

/// Middleware: counts a request under its vendor and credential when it
/// arrives, and its status when it is answered. Routes outside any vendor
/// (`/_sandbox/…`, unknown paths) are not counted.
pub(crate) async fn count(State(stats): State<Stats>, request: Request, next: Next) -> Response {
    let (Some(vendor), _) = split_vendor(request.uri().path()) else {
        return next.run(request).await;
    };
    let credential = stats.credential_label(request.headers());
    {
        let mut all = stats.lock();
        let (total, per) = Stats::counts(&mut all, vendor, &credential);
        total.requests += 1;
        per.requests += 1;
    }
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let mut all = stats.lock();
    let (total, per) = Stats::counts(&mut all, vendor, &credential);
    *total.statuses.entry(status).or_default() += 1;
    *per.statuses.entry(status).or_default() += 1;
    response
}

/// `app` with the counting layer around it and `GET /_sandbox/stats`.
pub(crate) fn wrap(app: Router, stats: Stats) -> Router {
    let read = stats.clone();
    app.route(
        "/_sandbox/stats",
        get(move || {
            let snapshot = read.snapshot();
            async move { axum::Json(snapshot) }
        }),
    )
    .layer(axum::middleware::from_fn_with_state(stats, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_credentials_do_not_grow_the_counts_without_bound() {
        let mut all = SandboxStats::default();
        for i in 0..MAX_CREDENTIALS + 100 {
            let (total, per) = Stats::counts(&mut all, Vendor::OkChat, &format!("{i:016x}"));
            total.requests += 1;
            per.requests += 1;
        }
        let okchat = all.vendor(Vendor::OkChat);
        assert_eq!(okchat.total.requests, (MAX_CREDENTIALS + 100) as u64);
        assert!(okchat.credentials.len() <= MAX_CREDENTIALS + 1);
        assert_eq!(okchat.credentials[OTHER_CREDENTIALS].requests, 100);
    }
}
