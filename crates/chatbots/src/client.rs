//! The facade client and its configuration.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chatbots_runtime::{ClientConfig, RetryPolicy, SecretString};

use crate::error::{Error, ErrorKind};
use crate::mapping;
use crate::model::{BotRef, Chatbot, ChatbotPatch, Vendor};
use crate::vendors;

/// Credentials for one vendor. `Debug` redacts them.
#[derive(Clone)]
enum Credentials {
    Token(SecretString),
    KeyPair {
        key_id: SecretString,
        key_secret: SecretString,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credentials::Token(_) => "Token([REDACTED])",
            Credentials::KeyPair { .. } => "KeyPair([REDACTED])",
        })
    }
}

/// The environment variables that hold each vendor's credentials.
pub fn credential_variables(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::StreamSkill => &["STREAMSKILL_TOKEN"],
        Vendor::Converza => &["CONVERZA_KEY_ID", "CONVERZA_KEY_SECRET"],
        Vendor::OkChat => &["OKCHAT_API_KEY"],
        Vendor::PureTalk => &["PURETALK_API_KEY"],
        Vendor::HotTask => &["HOTTASK_API_KEY"],
    }
}

/// Configures a [`Chatbots`] client: credentials per vendor, base URLs,
/// timeouts and retries. Only vendors with credentials are usable; using
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
    credentials: BTreeMap<Vendor, Credentials>,
    base_urls: BTreeMap<Vendor, String>,
    config: ClientConfig,
}

impl ChatbotsBuilder {
    /// StreamSkill's API token (`Authorization: Bearer`).
    pub fn streamskill_token(mut self, token: impl Into<String>) -> Self {
        self.credentials.insert(
            Vendor::StreamSkill,
            Credentials::Token(SecretString::from(token.into())),
        );
        self
    }

    /// Converza's key pair, exchanged for a JWT that is cached and renewed.
    pub fn converza_keys(
        mut self,
        key_id: impl Into<String>,
        key_secret: impl Into<String>,
    ) -> Self {
        self.credentials.insert(
            Vendor::Converza,
            Credentials::KeyPair {
                key_id: SecretString::from(key_id.into()),
                key_secret: SecretString::from(key_secret.into()),
            },
        );
        self
    }

    /// OKChat's API key (`x-api-key`).
    pub fn okchat_api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials.insert(
            Vendor::OkChat,
            Credentials::Token(SecretString::from(key.into())),
        );
        self
    }

    /// PureTalk's API key (`X-API-KEY`).
    pub fn puretalk_api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials.insert(
            Vendor::PureTalk,
            Credentials::Token(SecretString::from(key.into())),
        );
        self
    }

    /// HotTask's secret key (raw `Authorization`).
    pub fn hottask_api_key(mut self, key: impl Into<String>) -> Self {
        self.credentials.insert(
            Vendor::HotTask,
            Credentials::Token(SecretString::from(key.into())),
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

    /// Retry policy; [`RetryPolicy::disabled`] switches retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Reads credentials and base URLs from the environment:
    /// `STREAMSKILL_TOKEN`, `CONVERZA_KEY_ID` + `CONVERZA_KEY_SECRET`,
    /// `OKCHAT_API_KEY`, `PURETALK_API_KEY`, `HOTTASK_API_KEY`, and
    /// `<VENDOR>_BASE_URL`. Half a Converza key pair is an error naming the
    /// missing variable.
    pub fn from_env(self) -> Result<Self, Error> {
        self.with_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub(crate) fn with_vars(mut self, var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        for vendor in Vendor::ALL {
            if let Some(url) = var(&format!("{}_BASE_URL", vendor.env_prefix())) {
                self = self.base_url(vendor, url);
            }
            let names = credential_variables(vendor);
            let values: Vec<Option<String>> = names.iter().map(|n| var(n)).collect();
            match (vendor, values.as_slice()) {
                (Vendor::Converza, [Some(id), Some(secret)]) => {
                    self = self.converza_keys(id, secret)
                }
                (Vendor::Converza, [Some(_), None]) | (Vendor::Converza, [None, Some(_)]) => {
                    let missing = names[values.iter().position(Option::is_none).unwrap_or(0)];
                    return Err(Error::config(
                        Some(vendor),
                        format!(
                            "{missing} is not set (Converza needs both CONVERZA_KEY_ID and CONVERZA_KEY_SECRET)"
                        ),
                    ));
                }
                (_, [Some(token)]) => {
                    self.credentials.insert(
                        vendor,
                        Credentials::Token(SecretString::from(token.clone())),
                    );
                }
                _ => {}
            }
        }
        Ok(self)
    }

    /// Builds the client. Fails on an unusable credential or base URL.
    pub fn build(self) -> Result<Chatbots, Error> {
        let mut clients = vendors::Clients::default();
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
        for (vendor, credentials) in &self.credentials {
            let mut config = self.config.clone();
            config.base_url = self.base_urls.get(vendor).cloned();
            if let Some(http) = &http {
                clients.connect(*vendor, credentials_parts(credentials), &config, http)?;
            }
        }
        Ok(Chatbots {
            clients,
            configured: self.credentials.keys().copied().collect(),
        })
    }
}

fn credentials_parts(c: &Credentials) -> (&SecretString, Option<&SecretString>) {
    match c {
        Credentials::Token(t) => (t, None),
        Credentials::KeyPair { key_id, key_secret } => (key_id, Some(key_secret)),
    }
}

/// Reads and updates chatbots at any vendor through one API.
///
/// Each vendor's typed client (everything vendor-specific) is available
/// with the same auth, retries and timeouts: [`Chatbots::okchat`] and the
/// like.
#[derive(Clone, Debug)]
pub struct Chatbots {
    clients: vendors::Clients,
    configured: Vec<Vendor>,
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

    pub(crate) fn clients(&self) -> &vendors::Clients {
        &self.clients
    }

    /// The vendors that have credentials.
    pub fn vendors(&self) -> &[Vendor] {
        &self.configured
    }

    /// Applies `patch` to `bot`. Refused before sending when a field is not
    /// supported by the vendor or breaks a documented rule.
    ///
    /// Retried after transient failures: every vendor's update sets absolute
    /// values, so sending it twice is safe.
    pub async fn update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        self.clients.update(bot, patch).await
    }

    /// Reads `bot`, where the vendor has a read endpoint.
    pub async fn get(&self, bot: &BotRef) -> Result<Chatbot, Error> {
        let vm = mapping::of(bot.vendor);
        if vm.get_operation.is_none() {
            return Err(Error::unsupported(bot.vendor, "get"));
        }
        let raw = self.clients.get(bot).await?;
        Ok(view(bot.vendor, raw))
    }

    /// Lists the chatbots at `vendor`, where the vendor has a list endpoint.
    pub async fn list(&self, vendor: Vendor) -> Result<Vec<Chatbot>, Error> {
        let vm = mapping::of(vendor);
        if vm.list_operation.is_none() {
            return Err(Error::unsupported(vendor, "list"));
        }
        let items = self.clients.list(vendor).await?;
        Ok(items.into_iter().map(|raw| view(vendor, raw)).collect())
    }
}

/// The vendor-neutral view of a vendor's bot object.
fn view(vendor: Vendor, raw: serde_json::Value) -> Chatbot {
    let vm = mapping::of(vendor);
    let id = match raw.pointer(vm.read_id) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    };
    let mut bot = Chatbot {
        bot: BotRef::new(vendor, id),
        name: None,
        description: None,
        instructions: None,
        model: None,
        temperature: None,
        greeting: None,
        language: None,
        timezone: None,
        raw: serde_json::Value::Null,
    };
    for m in vm.fields {
        if let Some(value) = m.read.and_then(|p| raw.pointer(p)) {
            bot.set(m.field, value);
        }
    }
    bot.raw = raw;
    bot
}

pub(crate) fn not_configured(vendor: Vendor) -> Error {
    let vars = credential_variables(vendor).join(" and ");
    Error::new(
        ErrorKind::Config,
        Some(vendor),
        format!("no credentials: {vars} is not set (or configure it with Chatbots::builder())"),
    )
}
