//! The facade client and its configuration.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chatbots_runtime::{
    ClientConfig, CredentialId, ExposeSecret, Pacing, RateLimit, RetryPolicy, SecretString,
};
use futures::future;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::account::{Account, AccountRef, SecretOrigin, SecretSource};
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
    /// Per vendor, one secret per variable of [`credential_variables`]:
    /// the default account.
    credentials: BTreeMap<Vendor, Vec<SecretString>>,
    /// The vendors whose default account's secrets were given in code
    /// (the others' come from the environment).
    defaults_in_code: std::collections::BTreeSet<Vendor>,
    base_urls: BTreeMap<Vendor, String>,
    rate_limits: BTreeMap<Vendor, RateLimit>,
    config: ClientConfig,
    /// The named accounts, by vendor and name, as given.
    accounts: BTreeMap<(Vendor, String), PendingAccount>,
    /// Base URLs given for named accounts ([`ChatbotsBuilder::account_base_url`]).
    account_base_urls: BTreeMap<(Vendor, String), String>,
}

/// A named account as given to the builder, checked by `build`.
#[derive(Clone, Debug)]
struct PendingAccount {
    /// Where it was defined, for errors (`config.toml:12`), if not in code.
    origin: Option<String>,
    base_url: Option<String>,
    secrets: Vec<PendingSecret>,
}

/// One secret of a named account: where it comes from and what was found
/// there (`Err`: why it could not be read).
#[derive(Clone, Debug)]
pub(crate) struct PendingSecret {
    pub variable: String,
    pub source: SecretSource,
    pub value: Result<Option<SecretString>, String>,
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
        self.defaults_in_code.insert(vendor);
        self
    }

    /// Adds the account `name` at `vendor` (an agency's client, a staging
    /// account), with its secrets in the order of
    /// [`credential_variables`]`(vendor)`. Its bots are
    /// `vendor@name:id` ([`BotRef::in_account`]). The name `default` sets
    /// the vendor's default account instead. A name that breaks the rule
    /// of [`AccountRef::try_new`], or the wrong number of secrets, is
    /// refused by [`build`](Self::build). Giving the same name twice keeps
    /// the last.
    ///
    /// Pacing follows the credential: two accounts with one key share
    /// one rate budget, and a bot reached through both names is refused by
    /// the bulk and fleet calls as listed twice.
    ///
    /// ```
    /// use chatbots::{AccountRef, BotRef, Chatbots, Vendor};
    ///
    /// let bots = Chatbots::builder()
    ///     .okchat_api_key("default-key-0123")
    ///     .account("client-a", Vendor::OkChat, ["client-a-key-0123"])
    ///     .account_base_url("client-a", Vendor::OkChat, "http://127.0.0.1:9")
    ///     .build()
    ///     .unwrap();
    /// let client_a = AccountRef::new(Vendor::OkChat, "client-a");
    /// let account = bots.account(&client_a).unwrap();
    /// assert_eq!(account.base_url, "http://127.0.0.1:9");
    /// assert!(account.is_usable());
    /// assert!(!format!("{bots:?}").contains("client-a-key-0123"));
    ///
    /// let bad = Chatbots::builder().account("client:a", Vendor::OkChat, ["k"]).build();
    /// assert!(bad.unwrap_err().to_string().contains("account name"));
    /// ```
    pub fn account(
        mut self,
        name: impl Into<String>,
        vendor: Vendor,
        secrets: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let name = name.into();
        let values: Vec<String> = secrets.into_iter().map(Into::into).collect();
        let variables = credential_variables(vendor);
        let secrets = if values.len() == variables.len() {
            variables
                .iter()
                .zip(values)
                .map(|(variable, value)| PendingSecret {
                    variable: (*variable).to_string(),
                    source: SecretSource::Code,
                    value: Ok(Some(SecretString::from(value))),
                })
                .collect()
        } else {
            // Refused by `build`, which names the variables.
            vec![
                PendingSecret {
                    variable: String::new(),
                    source: SecretSource::Code,
                    value: Err(format!(
                        "{} secret(s) given; {} takes {} ({})",
                        values.len(),
                        vendor.title(),
                        variables.len(),
                        variables.join(", ")
                    )),
                };
                1
            ]
        };
        self.accounts.insert(
            (vendor, name),
            PendingAccount {
                origin: None,
                base_url: None,
                secrets,
            },
        );
        self
    }

    /// Overrides the base URL of the account `name` at `vendor` (given
    /// with [`account`](Self::account), before or after this call);
    /// `default` is the vendor's default account, as
    /// [`base_url`](Self::base_url) sets it. Without one, a named account
    /// uses its vendor's base URL.
    pub fn account_base_url(
        mut self,
        name: impl Into<String>,
        vendor: Vendor,
        url: impl Into<String>,
    ) -> Self {
        let name = name.into();
        if name == crate::account::DEFAULT_ACCOUNT {
            return self.base_url(vendor, url);
        }
        self.account_base_urls.insert((vendor, name), url.into());
        self
    }

    /// Adds the accounts of the config file at `path` (see
    /// [`crate::config`]): refused, naming file, line, key and rule, when
    /// it does not parse, names an unknown vendor or holds a secret.
    /// `from_env` reads the file `CHATBOTS_CONFIG` names, else the default
    /// one if it exists.
    ///
    /// Each secret is read from where the file says (an environment
    /// variable, a file) now; an account whose secret is not found is
    /// kept, listed by [`Chatbots::accounts`] with why, and refused when
    /// used.
    ///
    /// ```
    /// use chatbots::{AccountRef, Chatbots, Vendor};
    ///
    /// let path = std::env::temp_dir().join("chatbots-config-file-doc.toml");
    /// std::fs::write(&path, "[accounts.okchat.client-a]\nOKCHAT_API_KEY = { env = \"CLIENT_A_UNSET_KEY\" }\n")?;
    /// let bots = Chatbots::builder().config_file(&path)?.build()?;
    /// let account = bots.account(&AccountRef::new(Vendor::OkChat, "client-a")).unwrap();
    /// assert!(!account.is_usable());
    /// assert!(account.problem.as_deref().unwrap().contains("CLIENT_A_UNSET_KEY"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config_file(self, path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let config = crate::config::ConfigFile::load(path)?;
        Ok(self.with_config(&config, &|name| std::env::var(name).ok()))
    }

    /// Adds the accounts of `config`, each secret read through `var`.
    fn with_config(
        mut self,
        config: &crate::config::ConfigFile,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        for account in &config.accounts {
            let secrets = account
                .secrets
                .iter()
                .map(|(variable, source)| PendingSecret {
                    variable: variable.clone(),
                    source: source.clone(),
                    value: source.read(var),
                })
                .collect();
            self = self.account_from(
                account.vendor,
                account.name.clone(),
                format!("{}:{}", config.path, account.line),
                account.base_url.clone(),
                secrets,
            );
        }
        self
    }

    /// Adds a named account whose secrets come from elsewhere (a config
    /// file): each secret with its source and what was read there.
    fn account_from(
        mut self,
        vendor: Vendor,
        name: String,
        origin: String,
        base_url: Option<String>,
        secrets: Vec<PendingSecret>,
    ) -> Self {
        self.accounts.insert(
            (vendor, name),
            PendingAccount {
                origin: Some(origin),
                base_url,
                secrets,
            },
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
    ///
    /// Named accounts come from the config file (see [`crate::config`]):
    /// the one `CHATBOTS_CONFIG` names, else
    /// [`default_path`](crate::config::default_path) if it exists; one
    /// that does not parse is an error naming file, line and rule.
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
        if let Some(config) = crate::config::ConfigFile::discover(&var)? {
            self = self.with_config(&config, &var);
        }
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
            self.defaults_in_code.remove(&vendor);
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
        let named = self.check_accounts()?;
        // One HTTP client (TLS set-up, connection pool) for every vendor:
        // their settings differ only in the base URL.
        let http = if self.credentials.is_empty() && named.is_empty() {
            None
        } else {
            Some(
                self.config
                    .http_client()
                    .map_err(|e| Error::config(None, e.message))?,
            )
        };
        let base_urls: BTreeMap<Vendor, String> = vendors::registered()
            .map(|r| {
                let url = match self.base_urls.get(&r.vendor) {
                    Some(url) => url.trim_end_matches('/').to_string(),
                    None => r.default_base_url.to_string(),
                };
                (r.vendor, url)
            })
            .collect();
        let mut routes = BTreeMap::new();
        let mut accounts = Vec::new();
        for registered in vendors::registered() {
            let vendor = registered.vendor;
            let secrets = self.credentials.get(&vendor);
            let route = self.route(
                registered,
                self.base_urls.get(&vendor).cloned(),
                secrets.map(Vec::as_slice),
                http.as_ref(),
            )?;
            let in_code = self.defaults_in_code.contains(&vendor);
            accounts.push(Account {
                account: AccountRef::default_of(vendor),
                base_url: base_urls[&vendor].clone(),
                secrets: registered
                    .credentials
                    .iter()
                    .map(|variable| SecretOrigin {
                        variable: (*variable).to_string(),
                        source: if in_code {
                            SecretSource::Code
                        } else {
                            SecretSource::Env((*variable).to_string())
                        },
                        set: secrets.is_some(),
                    })
                    .collect(),
                problem: secrets
                    .is_none()
                    .then(|| not_configured(vendor).to_string()),
            });
            routes.insert(AccountRef::default_of(vendor), route);
        }
        for named in named {
            let registered = vendors::find(named.account.vendor)?;
            let route = self.route(
                registered,
                named.base_url,
                named.secrets.as_deref(),
                http.as_ref(),
            )?;
            accounts.push(Account {
                account: named.account.clone(),
                base_url: route.base_url.clone(),
                secrets: named.origins,
                problem: named.problem.clone(),
            });
            routes.insert(
                named.account,
                Route {
                    problem: named.problem,
                    ..route
                },
            );
        }
        // Accounts with one vendor, server and credential are one account
        // under several names: each maps to the first.
        let mut first: HashMap<(Vendor, String, CredentialId), AccountRef> = HashMap::new();
        for (account, route) in &mut routes {
            if let Some(credential) = &route.credential {
                let same = (account.vendor, route.base_url.clone(), *credential);
                route.same_as = first.entry(same).or_insert_with(|| account.clone()).clone();
            }
        }
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
            routes,
            accounts,
            configured: self.credentials.keys().copied().collect(),
            base_urls,
            rate_limits,
        })
    }

    /// Checks each named account: its name, its vendor, its base URL
    /// override, its secrets. An account with a secret not found is kept,
    /// with why: it is refused when used, and listed by
    /// [`Chatbots::accounts`].
    fn check_accounts(&self) -> Result<Vec<NamedAccount>, Error> {
        for (vendor, name) in self.account_base_urls.keys() {
            if !self.accounts.contains_key(&(*vendor, name.clone())) {
                return Err(Error::config(
                    Some(*vendor),
                    format!(
                        "account_base_url names the account `{}`, which no account() defines",
                        crate::printable::one_line(name)
                    ),
                ));
            }
        }
        let mut named = Vec::new();
        for ((vendor, name), pending) in &self.accounts {
            let at = pending
                .origin
                .as_ref()
                .map(|origin| format!("{origin}: "))
                .unwrap_or_default();
            vendors::find(*vendor)?;
            let account = AccountRef::try_new(*vendor, name)
                .map_err(|e| Error::config(Some(*vendor), format!("{at}{e}")))?;
            let mut secrets = Vec::new();
            let mut problems = Vec::new();
            for secret in &pending.secrets {
                match &secret.value {
                    Ok(Some(value)) => secrets.push(value.clone()),
                    Ok(None) => problems.push(format!(
                        "{} ({}) is not set",
                        secret.variable, secret.source
                    )),
                    // A count mismatch in code is a programming error.
                    Err(rule) if secret.variable.is_empty() => {
                        return Err(Error::config(
                            Some(*vendor),
                            format!("{at}account {account}: {rule}"),
                        ));
                    }
                    Err(why) => problems.push(why.clone()),
                }
            }
            let problem = (!problems.is_empty())
                .then(|| format!("{at}account {account}: {}", problems.join("; ")));
            named.push(NamedAccount {
                base_url: self
                    .account_base_urls
                    .get(&(*vendor, name.clone()))
                    .or(pending.base_url.as_ref())
                    .or_else(|| self.base_urls.get(vendor))
                    .cloned(),
                origins: pending
                    .secrets
                    .iter()
                    .map(|s| SecretOrigin {
                        variable: s.variable.clone(),
                        source: s.source.clone(),
                        set: matches!(s.value, Ok(Some(_))),
                    })
                    .collect(),
                secrets: problem.is_none().then_some(secrets),
                problem,
                account,
            });
        }
        Ok(named)
    }

    /// One account's route: its driver (with a client when it has its
    /// secrets) and what identifies its credential.
    fn route(
        &self,
        registered: &vendors::Registered,
        base_url: Option<String>,
        secrets: Option<&[SecretString]>,
        http: Option<&reqwest::Client>,
    ) -> Result<Route, Error> {
        let vendor = registered.vendor;
        let mut config = self.config.clone();
        config.base_url = base_url.clone();
        if let Some(limit) = self.rate_limits.get(&vendor) {
            config.pacing.limit = Some(*limit);
        }
        let with = match (secrets, http) {
            (Some(secrets), Some(http)) => Some(Connect {
                secrets,
                config: &config,
                http,
            }),
            _ => None,
        };
        let driver = (registered.connect)(with)?;
        Ok(Route {
            driver,
            base_url: base_url
                .map(|url| url.trim_end_matches('/').to_string())
                .unwrap_or_else(|| registered.default_base_url.to_string()),
            credential: secrets.map(|secrets| {
                CredentialId::of(secrets.iter().map(|s| s.expose_secret().as_bytes()))
            }),
            same_as: AccountRef::default_of(vendor),
            problem: None,
        })
    }
}

/// A named account, checked.
struct NamedAccount {
    account: AccountRef,
    base_url: Option<String>,
    origins: Vec<SecretOrigin>,
    /// All its secrets, or `None` when one is missing.
    secrets: Option<Vec<SecretString>>,
    problem: Option<String>,
}

/// How calls for one account are made.
#[derive(Clone, Debug)]
struct Route {
    /// The vendor's driver, with a client when the account has its secrets.
    driver: Arc<dyn Driver>,
    base_url: String,
    /// Which credential it uses; `None` without secrets.
    credential: Option<CredentialId>,
    /// The first account (in order) with the same vendor, server and
    /// credential: bots are told apart by it and their canonical id.
    same_as: AccountRef,
    /// Why it cannot be used (a named account with a secret not found).
    problem: Option<String>,
}

/// Reads and updates chatbots at any vendor through one API.
///
/// Each vendor's typed client (everything vendor-specific) is available
/// with the same auth, retries and timeouts: [`Chatbots::okchat`] and the
/// like.
#[derive(Clone, Debug)]
pub struct Chatbots {
    /// Every account: each vendor's default one (with its client where it
    /// has credentials) and the named ones.
    routes: BTreeMap<AccountRef, Route>,
    /// What [`Chatbots::accounts`] shows, in the same order.
    accounts: Vec<Account>,
    /// The vendors whose default account has credentials.
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

    /// Reads `bot`, where the vendor has a read endpoint, through the
    /// bot's account.
    pub async fn get(&self, bot: &BotRef) -> Result<Chatbot, Error> {
        if vendors::find(bot.vendor)?.get_operation.is_none() {
            return Err(Error::unsupported(
                bot.vendor,
                Subject::Operation("get".into()),
            ));
        }
        let mut read = self.driver(bot)?.get(bot).await?;
        read.bot.account.clone_from(&bot.account);
        Ok(read)
    }

    /// Every chatbot of an account (a [`Vendor`] for its default
    /// account), across all pages of the vendor's list, each once, where
    /// the vendor has a list endpoint. Each bot names the account. See
    /// [`list_stream`](Self::list_stream) to hold one page at a time.
    pub async fn list(&self, account: impl Into<AccountRef>) -> Result<Vec<Chatbot>, Error> {
        self.list_stream(account).try_collect().await
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
        account: impl Into<AccountRef>,
    ) -> impl Stream<Item = Result<Chatbot, Error>> + Send + Unpin + '_ {
        let account = account.into();
        let vendor = account.vendor;
        let driver = vendors::find(vendor).and_then(|registered| {
            if registered.list_operation.is_none() {
                return Err(Error::unsupported(
                    vendor,
                    Subject::Operation("list".into()),
                ));
            }
            self.account_driver(&account)
        });
        match driver {
            // Boxed, so that callers can `.next()` it without pinning.
            Ok(driver) => listing::every_bot(driver)
                .map_ok(move |mut read| {
                    read.bot.account.clone_from(&account.account);
                    read
                })
                .boxed()
                .left_stream(),
            Err(e) => stream::once(future::ready(Err(e))).right_stream(),
        }
    }

    /// Applies `patch` to `bot`. Refused before sending when a field is not
    /// supported by the vendor or breaks a documented rule.
    ///
    /// Retried after transient failures: every vendor's update sets absolute
    /// values, so sending it twice is safe.
    pub async fn update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        self.driver(bot)?.update(bot, patch).await
    }

    /// Whether [`update`](Self::update) would send `patch` to `bot`: the
    /// same checks, nothing sent.
    pub fn check_update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        self.driver(bot)?.check(bot, patch)
    }

    /// The vendors whose default account has credentials.
    pub fn vendors(&self) -> &[Vendor] {
        &self.configured
    }

    /// Every account this client knows, never a secret: each compiled-in
    /// vendor's default account (with its credentials or not), then the
    /// named ones ([`ChatbotsBuilder::account`], the config file), each
    /// with where its secrets come from and whether they were found.
    ///
    /// ```
    /// use chatbots::{Chatbots, SecretSource, Vendor};
    ///
    /// let env = |name: &str| (name == "OKCHAT_API_KEY").then(|| "0123abcd".to_string());
    /// let bots = Chatbots::builder()
    ///     .from_env_with(env)
    ///     .unwrap()
    ///     .account("client-a", Vendor::OkChat, ["4567efgh"])
    ///     .build()
    ///     .unwrap();
    /// let okchat: Vec<String> = bots
    ///     .accounts()
    ///     .iter()
    ///     .filter(|a| a.account.vendor == Vendor::OkChat)
    ///     .map(|a| format!("{} {} {}", a.account, a.secrets[0].source, a.secrets[0].set))
    ///     .collect();
    /// assert_eq!(okchat, ["okchat env OKCHAT_API_KEY true", "okchat@client-a set in code true"]);
    /// ```
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// What this client knows of `account`, `None` for one it does not
    /// know.
    pub fn account(&self, account: &AccountRef) -> Option<&Account> {
        self.accounts.iter().find(|a| &a.account == account)
    }

    /// What tells `bot` apart from every other bot: two references are
    /// one bot when their ids' canonical forms are equal and their
    /// accounts are one account under two names (same vendor, server and
    /// credential). For an account this client does not know, the
    /// reference as written.
    pub(crate) fn identity(&self, bot: &BotRef) -> BotRef {
        let mut canonical = bot.canonical();
        if let Some(route) = self.routes.get(&bot.account_ref()) {
            canonical.account.clone_from(&route.same_as.account);
        }
        canonical
    }

    /// Each bot of `bots` that an earlier one already names (as
    /// [`identity`](Self::identity) tells them apart), as its index and
    /// the first one's.
    pub(crate) fn repeats<'a>(
        &self,
        bots: impl IntoIterator<Item = &'a BotRef>,
    ) -> Vec<(usize, usize)> {
        crate::model::repeats_of(bots.into_iter().map(|bot| self.identity(bot)))
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

    /// The driver of `bot`'s account.
    fn driver(&self, bot: &BotRef) -> Result<&dyn Driver, Error> {
        self.account_driver(&bot.account_ref())
    }

    /// The driver of `account`: refused, before anything is sent, for an
    /// account this client does not know or one whose secrets were not
    /// found.
    fn account_driver(&self, account: &AccountRef) -> Result<&dyn Driver, Error> {
        vendors::find(account.vendor)?;
        let Some(route) = self.routes.get(account) else {
            let known: Vec<String> = self
                .accounts
                .iter()
                .filter(|a| a.account.vendor == account.vendor && a.is_usable())
                .map(|a| a.account.to_string())
                .collect();
            return Err(Error::config(
                Some(account.vendor),
                format!(
                    "no account `{}`: {} (add one with ChatbotsBuilder::account or in the config file)",
                    account.name(),
                    match known.is_empty() {
                        true => format!("{} has no usable account", account.vendor.title()),
                        false => format!("the usable ones are {}", known.join(", ")),
                    }
                ),
            ));
        };
        if let Some(problem) = &route.problem {
            return Err(Error::config(Some(account.vendor), problem.clone()));
        }
        Ok(&*route.driver)
    }

    /// The typed client of `V`, for the escape-hatch accessors (the
    /// default account's).
    pub(crate) fn typed<V: VendorApi>(&self) -> Result<&V::Client, Error> {
        vendors::client::<V>(
            self.routes
                .get(&AccountRef::default_of(V::VENDOR))
                .map(|r| &*r.driver),
        )
    }
}

/// Why two references to one bot are not the same text, when it is that
/// they name two accounts with one credential: `""` otherwise.
pub(crate) fn through_two_names(first: &BotRef, again: &BotRef) -> String {
    if first.account == again.account {
        return String::new();
    }
    format!(
        ": {} and {} are one account (the same credential at the same server)",
        first.account_ref(),
        again.account_ref()
    )
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
