//! Where a client connects and how long it waits: [`ClientConfig`], and
//! [`ConfigError`] for a client that cannot be built.

use std::time::Duration;

use crate::{Pacing, RetryPolicy};

/// Settings shared by every vendor client: where to connect, how long to
/// wait, how to retry, how fast to send.
///
/// ```
/// use std::time::Duration;
/// use chatbots_runtime::{ClientConfig, RetryPolicy};
///
/// let config = ClientConfig {
///     base_url: Some("http://127.0.0.1:8080".into()),
///     timeout: Duration::from_secs(5),
///     retry: RetryPolicy::disabled(),
///     ..ClientConfig::default()
/// };
/// assert_eq!(config.retry.max_attempts, 1);
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Overrides the vendor's production base URL (tests, regional hosts).
    pub base_url: Option<String>,
    /// Time allowed to open a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the last byte of the
    /// response. Default 30 s.
    pub timeout: Duration,
    /// What is retried, how often and how long to wait: see
    /// [`RetryPolicy`]. Default: retry-safe operations, 3 attempts in all.
    pub retry: RetryPolicy,
    /// How requests are paced under the vendor's rate limit. Default: on,
    /// by the documented limit or one learned from 429s.
    pub pacing: Pacing,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The largest response body read, in bytes. Default 16 MiB, far above
    /// any vendor's page. Every body is read whole inside the retry loop (so
    /// that one cut off is retried like a reset); a larger one is not
    /// allocated but fails to read, with [`BodyTooLarge`](crate::BodyTooLarge)
    /// as the source of the `reqwest` error.
    pub max_response_bytes: usize,
}

/// The default [`ClientConfig::max_response_bytes`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
            user_agent: concat!("chatbots-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientConfig {
    /// The `reqwest::Client` these settings describe (rustls with ring).
    pub fn http_client(&self) -> Result<reqwest::Client, ConfigError> {
        // reqwest is built without a default crypto provider so that the
        // lighter `ring` is used; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(&self.user_agent)
            .build()
            .map_err(|e| ConfigError::new(None, format!("cannot build the HTTP client: {e}")))
    }
}

/// A client that cannot be built as configured.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}{message}", vendor.map(|v| format!("{v}: ")).unwrap_or_default())]
pub struct ConfigError {
    /// The vendor, when the problem is specific to one.
    pub vendor: Option<&'static str>,
    /// What is wrong; never contains a credential.
    pub message: String,
}

impl ConfigError {
    /// A configuration error.
    pub fn new(vendor: Option<&'static str>, message: String) -> Self {
        Self { vendor, message }
    }
}

/// Refuses a base URL that is not an absolute http(s) URL.
pub fn check_base_url(vendor: &'static str, base_url: &str) -> Result<(), ConfigError> {
    match reqwest::Url::parse(base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        _ => Err(ConfigError::new(
            Some(vendor),
            format!("base URL `{base_url}` is not an absolute http(s) URL"),
        )),
    }
}
