//! The facade client and its configuration.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chatbots_runtime::{ClientConfig, Pacing, RateLimit, RetryPolicy, SecretString};
use futures::future;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::capabilities::VendorInfo;
use crate::error::{Error, ErrorKind, Subject};
use crate::listing;
use crate::model::{BotRef, Chatbot, ChatbotPatch, Vendor};
use crate::vendors::{self, Connect, Driver, VendorApi};

/// The environment variables that hold each vendor's credentials (none
/// for a vendor not compiled in): [`VendorInfo::credential_variables`],
/// for a vendor that may not be compiled in.
pub fn credential_variables(vendor: Vendor) -> &'static [&'static str] {
    VendorInfo::of(vendor).map_or(&[], VendorInfo::credential_variables)
}

/// Configures a [`Chatbots`] client: credentials per vendor, base URLs,
/// timeouts, retries and pacing. Only vendors with credentials are usable; using
/// another one is an [`ErrorKind::Config`] error naming its variable.
///
/// ```
/// use std::time::Duration;
/// use chatbots::{Chatbots, Vendor};
///
/// let client = Chatbots::builder()
///     .okchat_api_key("0123abcd")
///     .base_url(Vendor::OkChat, "http://127.0.0.1:9")
///     .timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert!(format!("{client:?}").contains("[REDACTED]"));
/// assert!(!format!("{client:?}").contains("0123abcd"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ChatbotsBuilder {
    /// Per vendor, one secret per variable of [`credential_variables`].
    credentials: BTreeMap<Vendor, Vec<SecretString>>,
    base_urls: BTreeMap<Vendor, String>,
    rate_limits: BTreeMap<Vendor, RateLimit>,
    config: ClientConfig,
}

impl ChatbotsBuilder {
    /// Sets `vendor`'s credentials, one per variable of
    /// [`credential_variables`] (the vendor modules' setters, such as
    /// `okchat_api_key`, call this).
    pub(crate) fn credential<const N: usize>(
        mut self,
        vendor: Vendor,
        secrets: [String; N],
    ) -> Self {
        self.credentials.insert(
            vendor,
            secrets.into_iter().map(SecretString::from).collect(),
        );
        self
    }

    /// Overrides a vendor's production base URL (tests, regional hosts).
    pub fn base_url(mut self, vendor: Vendor, url: impl Into<String>) -> Self {
        self.base_urls.insert(vendor, url.into());
        self
    }

    /// Time allowed for one attempt. Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Time allowed to connect. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The largest response body read, in bytes (default 16 MiB); a
    /// longer one fails the call as [`ErrorKind::Decode`](crate::ErrorKind::Decode)
    /// without being held in memory.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// Retry policy; [`RetryPolicy::disabled`] switches retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// How every vendor's requests are paced within its rate limit
    /// (default: on, the spec's documented limit or one learned from 429s,
    /// a 10-minute deadline per call); [`Pacing::off`] sends at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chatbots::{Chatbots, Pacing};
    ///
    /// let bots = Chatbots::builder()
    ///     .okchat_api_key("0123abcd")
    ///     .pacing(Pacing { deadline: Duration::from_secs(30), ..Pacing::default() })
    ///     .build()
    ///     .unwrap();
    /// # drop(bots);
    /// ```
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.config.pacing = pacing;
        self
    }

    /// Shares each credential's rate budget with every other process that
    /// uses it (workers, a web app, a nightly `chatbots apply`), through
    /// the Redis at `url`: see [`SharedPacing`](chatbots_runtime::SharedPacing)
    /// for what is stored and the fallback when Redis does not answer.
    /// `from_env` sets it from `CHATBOTS_REDIS_URL`.
    ///
    /// ```
    /// use chatbots::Chatbots;
    ///
    /// let builder = Chatbots::builder().shared_pacing("redis://:pw@10.0.0.5:6379");
    /// let shown = format!("{builder:?}");
    /// assert!(shown.contains("SharedPacing") && !shown.contains(":pw@"));
    /// ```
    pub fn shared_pacing(mut self, url: impl Into<String>) -> Self {
        self.config.pacing.shared = Some(chatbots_runtime::SharedPacing::new(url));
        self
    }

    /// Paces `vendor`'s requests to `limit` instead of its documented (or
    /// learned) limit: a plan with a higher one, or a test server.
    pub fn rate_limit(mut self, vendor: Vendor, limit: RateLimit) -> Self {
        self.rate_limits.insert(vendor, limit);
        self
    }

    /// Replaces the settings every vendor's client shares with `config`:
    /// timeouts, retry policy, pacing, user agent and the largest body
    /// read (the methods above each set one of them; call them after this
    /// one to change one). A base URL belongs to one vendor
    /// ([`base_url`](Self::base_url)): [`build`](Self::build) refuses a
    /// `config` that sets one, rather than ignore it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chatbots::{Chatbots, ClientConfig, ErrorKind};
    ///
    /// let config = ClientConfig {
    ///     user_agent: "support-tools/2.1".into(),
    ///     timeout: Duration::from_secs(5),
    ///     ..ClientConfig::default()
    /// };
    /// let bots = Chatbots::builder().client_config(config.clone()).okchat_api_key("0123abcd").build();
    /// assert!(bots.is_ok());
    ///
    /// let one_url = ClientConfig { base_url: Some("http://127.0.0.1:9".into()), ..config };
    /// let err = Chatbots::builder().client_config(one_url).build().unwrap_err();
    /// assert_eq!(err.kind(), &ErrorKind::Config);
    /// ```
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Reads credentials and base URLs from the environment: each
    /// vendor's [`credential_variables`] (`OKCHAT_API_KEY`, …) and
    /// `<VENDOR>_BASE_URL`, and `CHATBOTS_REDIS_URL` for
    /// [`shared_pacing`](Self::shared_pacing). An empty variable counts as
    /// unset. A vendor with some but not all of its variables is an error
    /// naming the missing one.
    pub fn from_env(self) -> Result<Self, Error> {
        self.from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), with the variables looked up by
    /// `var` instead of in the process environment (tests, or
    /// configuration from elsewhere).
    ///
    /// ```
    /// use chatbots::{Chatbots, Vendor};
    ///
    /// let env = |name: &str| (name == "OKCHAT_API_KEY").then(|| "0123abcd".to_string());
    /// let client = Chatbots::builder().from_env_with(env).unwrap().build().unwrap();
    /// assert_eq!(client.vendors(), [Vendor::OkChat]);
    ///
    /// // Shared pacing from CHATBOTS_REDIS_URL.
    /// let env = |name: &str| (name == "CHATBOTS_REDIS_URL").then(|| "redis://10.0.0.5".into());
    /// let builder = Chatbots::builder().from_env_with(env).unwrap();
    /// assert!(format!("{builder:?}").contains("SharedPacing"));
    /// ```
    pub fn from_env_with(mut self, var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        if let Some(url) = var("CHATBOTS_REDIS_URL") {
            self = self.shared_pacing(url);
        }
        for registered in vendors::registered() {
            let vendor = registered.vendor;
            if let Some(url) = var(&format!("{}_BASE_URL", vendor.env_prefix())) {
                self = self.base_url(vendor, url);
            }
            let names = registered.credentials;
            let values: Vec<Option<String>> = names.iter().map(|n| var(n)).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let mut secrets = Vec::with_capacity(values.len());
            for (name, value) in names.iter().zip(values) {
                match value {
                    Some(value) => secrets.push(SecretString::from(value)),
                    None => {
                        return Err(Error::config(
                            Some(vendor),
                            format!(
                                "{name} is not set ({} needs both {})",
                                vendor.title(),
                                names.join(" and ")
                            ),
                        ));
                    }
                }
            }
            self.credentials.insert(vendor, secrets);
        }
        Ok(self)
    }

    /// Builds the client. Fails on an unusable credential or base URL, or
    /// on credentials for a vendor not compiled in.
    pub fn build(self) -> Result<Chatbots, Error> {
        if let Some(url) = &self.config.base_url {
            return Err(Error::config(
                None,
                format!(
                    "ClientConfig::base_url ({}) names no vendor: set each vendor's with \
                     ChatbotsBuilder::base_url(vendor, url)",
                    crate::printable::one_line(url)
                ),
            ));
        }
        for vendor in self.credentials.keys() {
            vendors::find(*vendor)?;
        }
        // One HTTP client (TLS set-up, connection pool) for every vendor:
        // their settings differ only in the base URL.
        let http = if self.credentials.is_empty() {
            None
        } else {
            Some(
                self.config
                    .http_client()
                    .map_err(|e| Error::config(None, e.message))?,
            )
        };
        let mut drivers = BTreeMap::new();
        for registered in vendors::registered() {
            let vendor = registered.vendor;
            let mut config = self.config.clone();
            config.base_url = self.base_urls.get(&vendor).cloned();
            if let Some(limit) = self.rate_limits.get(&vendor) {
                config.pacing.limit = Some(*limit);
            }
            let with = match (self.credentials.get(&vendor), &http) {
                (Some(secrets), Some(http)) => Some(Connect {
                    secrets,
                    config: &config,
                    http,
                }),
                _ => None,
            };
            drivers.insert(vendor, (registered.connect)(with)?);
        }
        let base_urls = vendors::registered()
            .map(|r| {
                let url = match self.base_urls.get(&r.vendor) {
                    Some(url) => url.trim_end_matches('/').to_string(),
                    None => r.default_base_url.to_string(),
                };
                (r.vendor, url)
            })
            .collect();
        // What each vendor is paced to ahead of any 429: as the runtime
        // picks it (`Pacing::limit` first, then the spec's).
        let rate_limits = vendors::registered()
            .filter(|_| self.config.pacing.enabled)
            .filter_map(|r| {
                let limit = self
                    .rate_limits
                    .get(&r.vendor)
                    .copied()
                    .or(self.config.pacing.limit)
                    .or(r.rate_limit)?;
                (limit.per_second.is_finite() && limit.per_second > 0.0)
                    .then_some((r.vendor, limit))
            })
            .collect();
        Ok(Chatbots {
            drivers,
            configured: self.credentials.keys().copied().collect(),
            base_urls,
            rate_limits,
        })
    }
}

/// Reads and updates chatbots at any vendor through one API.
///
/// Each vendor's typed client (everything vendor-specific) is available
/// with the same auth, retries and timeouts: [`Chatbots::okchat`] and the
/// like.
#[derive(Clone, Debug)]
pub struct Chatbots {
    /// Every vendor compiled in, with its client where it has credentials.
    drivers: BTreeMap<Vendor, Arc<dyn Driver>>,
    configured: Vec<Vendor>,
    /// Every vendor compiled in: the base URL its requests go to.
    base_urls: BTreeMap<Vendor, String>,
    /// The vendors paced to a known limit: see [`Chatbots::rate_limit`].
    rate_limits: BTreeMap<Vendor, RateLimit>,
}

impl Chatbots {
    /// A builder, to configure in code.
    pub fn builder() -> ChatbotsBuilder {
        ChatbotsBuilder::default()
    }

    /// A client configured from the environment (see
    /// [`ChatbotsBuilder::from_env`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().from_env()?.build()
    }

    /// Reads `bot`, where the vendor has a read endpoint.
    pub async fn get(&self, bot: &BotRef) -> Result<Chatbot, Error> {
        if vendors::find(bot.vendor)?.get_operation.is_none() {
            return Err(Error::unsupported(
                bot.vendor,
                Subject::Operation("get".into()),
            ));
        }
        self.driver(bot.vendor)?.get(bot).await
    }

    /// Every chatbot at `vendor`, across all pages of the vendor's list,
    /// each once, where the vendor has a list endpoint. See
    /// [`list_stream`](Self::list_stream) to hold one page at a time.
    pub async fn list(&self, vendor: Vendor) -> Result<Vec<Chatbot>, Error> {
        self.list_stream(vendor).try_collect().await
    }

    /// Every chatbot at `vendor`, as a stream that asks for the next page
    /// of the vendor's list only when the caller has read the previous
    /// one: listing 10,000 bots holds one page in memory. Each bot comes
    /// once. The stream ends after the vendor's last page, or on an empty
    /// page or one that repeats the previous page (a vendor that ignores
    /// paging), and ends after yielding the first error.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use chatbots::{Chatbots, Vendor};
    ///
    /// # async fn demo(bots: Chatbots) -> Result<(), chatbots::Error> {
    /// let mut all = bots.list_stream(Vendor::PureTalk);
    /// while let Some(bot) = all.try_next().await? {
    ///     println!("{}: {:?}", bot.bot, bot.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_stream(
        &self,
        vendor: Vendor,
    ) -> impl Stream<Item = Result<Chatbot, Error>> + Send + Unpin + '_ {
        let driver = vendors::find(vendor).and_then(|registered| {
            if registered.list_operation.is_none() {
                return Err(Error::unsupported(
                    vendor,
                    Subject::Operation("list".into()),
                ));
            }
            self.driver(vendor)
        });
        match driver {
            // Boxed, so that callers can `.next()` it without pinning.
            Ok(driver) => listing::every_bot(driver).boxed().left_stream(),
            Err(e) => stream::once(future::ready(Err(e))).right_stream(),
        }
    }

    /// Applies `patch` to `bot`. Refused before sending when a field is not
    /// supported by the vendor or breaks a documented rule.
    ///
    /// Retried after transient failures: every vendor's update sets absolute
    /// values, so sending it twice is safe.
    pub async fn update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        self.driver(bot.vendor)?.update(bot, patch).await
    }

    /// Whether [`update`](Self::update) would send `patch` to `bot`: the
    /// same checks, nothing sent.
    pub fn check_update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        self.driver(bot.vendor)?.check(bot, patch)
    }

    /// The vendors that have credentials.
    pub fn vendors(&self) -> &[Vendor] {
        &self.configured
    }

    /// The base URL `vendor`'s requests go to: the one configured
    /// ([`ChatbotsBuilder::base_url`], `<VENDOR>_BASE_URL`), else the
    /// vendor's production URL. `None` for a vendor not compiled in.
    ///
    /// ```
    /// use chatbots::{Chatbots, Vendor};
    ///
    /// let bots = Chatbots::builder().base_url(Vendor::OkChat, "http://127.0.0.1:9/okchat").build().unwrap();
    /// assert_eq!(bots.base_url(Vendor::OkChat), Some("http://127.0.0.1:9/okchat"));
    /// assert!(bots.base_url(Vendor::PureTalk).is_some_and(|url| url.starts_with("https://")));
    /// ```
    pub fn base_url(&self, vendor: Vendor) -> Option<&str> {
        self.base_urls.get(&vendor).map(String::as_str)
    }

    /// The limit `vendor`'s requests are paced to from the start: the one
    /// configured ([`ChatbotsBuilder::rate_limit`], [`Pacing::limit`]),
    /// else the one its spec documents. `None` when pacing is off, or when
    /// no limit is known (the client then learns one from 429 answers).
    /// Tools show it to explain why a long run goes at the vendor's pace.
    ///
    /// ```
    /// use chatbots::{Chatbots, Pacing, RateLimit, Vendor};
    ///
    /// let bots = Chatbots::builder().build().unwrap();
    /// // StreamSkill documents 30 requests at once, then 2/s.
    /// assert_eq!(bots.rate_limit(Vendor::StreamSkill), Some(RateLimit { burst: 30, per_second: 2.0 }));
    /// assert_eq!(bots.rate_limit(Vendor::OkChat), None);
    /// let unpaced = Chatbots::builder().pacing(Pacing::off()).build().unwrap();
    /// assert_eq!(unpaced.rate_limit(Vendor::StreamSkill), None);
    /// ```
    pub fn rate_limit(&self, vendor: Vendor) -> Option<RateLimit> {
        self.rate_limits.get(&vendor).copied()
    }

    /// Whether the facade can read one of `vendor`'s bots
    /// ([`get`](Self::get)): the vendor has a read endpoint and is compiled in.
    #[deprecated(note = "use `VendorInfo::of(vendor).is_some_and(|v| v.can_get())`")]
    pub fn can_get(vendor: Vendor) -> bool {
        VendorInfo::of(vendor).is_some_and(VendorInfo::can_get)
    }

    /// Whether the facade can list `vendor`'s bots ([`list`](Self::list)):
    /// the vendor has a list endpoint and is compiled in.
    #[deprecated(note = "use `VendorInfo::of(vendor).is_some_and(|v| v.can_list())`")]
    pub fn can_list(vendor: Vendor) -> bool {
        VendorInfo::of(vendor).is_some_and(VendorInfo::can_list)
    }

    fn driver(&self, vendor: Vendor) -> Result<&dyn Driver, Error> {
        vendors::find(vendor)?;
        self.drivers
            .get(&vendor)
            .map(|d| &**d)
            .ok_or_else(|| not_configured(vendor))
    }

    /// The typed client of `V`, for the escape-hatch accessors.
    pub(crate) fn typed<V: VendorApi>(&self) -> Result<&V::Client, Error> {
        vendors::client::<V>(self.drivers.get(&V::VENDOR).map(|d| &**d))
    }
}

pub(crate) fn not_configured(vendor: Vendor) -> Error {
    let vars = credential_variables(vendor).join(" and ");
    Error::new(
        ErrorKind::Config,
        Some(vendor),
        format!("no credentials: {vars} is not set (or configure it with Chatbots::builder())"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `ClientConfig` given whole reaches every request: its user agent
    /// is the one a vendor sees.
    #[tokio::test]
    async fn a_client_config_reaches_the_requests() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let answer =
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
            socket.write_all(answer).await.unwrap();
            String::from_utf8_lossy(&head).to_lowercase()
        });
        let config = ClientConfig {
            user_agent: "config-probe/1".into(),
            retry: RetryPolicy::disabled(),
            ..ClientConfig::default()
        };
        let bots = Chatbots::builder()
            .client_config(config)
            .okchat_api_key("0123abcd")
            .base_url(Vendor::OkChat, url)
            .build()
            .unwrap();
        let bot = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
        let err = bots.get(&bot).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::NotFound, "{err}");
        let head = server.await.unwrap();
        assert!(head.contains("user-agent: config-probe/1"), "{head}");
    }

    #[test]
    fn a_client_config_with_one_base_url_is_refused() {
        let config = ClientConfig {
            base_url: Some("http://127.0.0.1:9".into()),
            ..ClientConfig::default()
        };
        let err = Chatbots::builder()
            .client_config(config)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Config);
        assert!(
            err.to_string().contains("ChatbotsBuilder::base_url"),
            "{err}"
        );
    }

    #[test]
    fn base_urls_are_known_for_every_vendor() {
        let bots = Chatbots::builder().build().unwrap();
        for registered in vendors::registered() {
            let url = bots.base_url(registered.vendor);
            assert!(
                url.is_some_and(|u| u.starts_with("https://")),
                "{}: {url:?}",
                registered.vendor
            );
        }
    }
}
