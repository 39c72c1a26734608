//! The client: from the environment, as `Chatbots::from_env` reads it, or
//! from a standalone sandbox's `GET /_sandbox/credentials`; plus the
//! accounts of a config file (`--config`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chatbots::config::CONFIG_VARIABLE;
use chatbots::{
    AccountRef, Chatbots, ClientConfig, SecretOrigin, SecretSource, Vendor, credential_variables,
};
use serde::Deserialize;

use crate::output::Failure;

/// What `GET /_sandbox/credentials` answers.
#[derive(Debug, Deserialize)]
struct SandboxDocument {
    vendors: HashMap<String, SandboxVendor>,
}

#[derive(Deserialize)]
struct SandboxVendor {
    base_url: String,
    /// In the order of `credential_variables`.
    credentials: Vec<String>,
    /// The vendor's other accounts, by name (a sandbox older than
    /// accounts has none).
    #[serde(default)]
    accounts: BTreeMap<String, SandboxAccount>,
}

/// One more account of a vendor at the sandbox: its own credentials, at
/// the vendor's base URL.
#[derive(Deserialize)]
struct SandboxAccount {
    /// In the order of `credential_variables`.
    credentials: Vec<String>,
}

/// The public sandbox credentials stay out of `Debug` all the same: a
/// habit, so that no credential type of ours ever prints its secret.
impl std::fmt::Debug for SandboxVendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxVendor")
            .field("base_url", &self.base_url)
            .field("credentials", &"[REDACTED]")
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The client every command uses, and where its accounts came from.
#[derive(Debug)]
pub struct Client {
    /// The client.
    pub bots: Chatbots,
    /// With `--sandbox`: its URL, and the accounts configured with the
    /// credentials it publishes.
    pub sandbox: Option<(String, BTreeSet<AccountRef>)>,
}

impl Client {
    /// The URL of the sandbox that gave `secret` of `account`, if one did.
    /// The builder was told the sandbox's secrets as variables (default
    /// accounts) or in code (its other accounts); a config file's account
    /// of the same name replaces the sandbox's, and keeps its own source.
    pub fn sandbox_gave(&self, account: &AccountRef, secret: &SecretOrigin) -> Option<&str> {
        let (url, configured) = self.sandbox.as_ref()?;
        let given = match &secret.source {
            SecretSource::Code => !account.is_default(),
            SecretSource::Env(name) => account.is_default() && *name == secret.variable,
            _ => false,
        };
        (given && configured.contains(account)).then_some(url.as_str())
    }
}

/// The client every command uses: with `redis`, its pacing is shared
/// through that Redis. Accounts beyond the default ones come from the
/// config file `config` names, else the one `CHATBOTS_CONFIG` names, else
/// the default one, each read once, by the library; with a sandbox, from
/// the sandbox plus `config` or `CHATBOTS_CONFIG` (not the default file:
/// a try-out does not pick up the user's real accounts unasked).
pub async fn client(
    sandbox: Option<&str>,
    config: Option<&Path>,
    redis: Option<&str>,
) -> Result<Client, Failure> {
    let mut from_sandbox = None;
    let mut builder = match sandbox {
        None => {
            // `--config` is `CHATBOTS_CONFIG` given on the command line:
            // the library resolves both (and the default file) in one
            // place.
            let config = config.map(|path| path.to_string_lossy().into_owned());
            Chatbots::builder()
                .from_env_with(|name| match (name, &config) {
                    (CONFIG_VARIABLE, Some(path)) => Some(path.clone()),
                    _ => std::env::var(name).ok(),
                })
                .map_err(config_failure)?
        }
        Some(url) => {
            let url = sandbox_url(url)?;
            let sandbox = sandbox_settings(sandbox_document(&url).await?)?;
            // The sandbox's variables only: no config file is found
            // through them.
            let mut builder =
                Chatbots::builder().from_env_with(|name| sandbox.variables.get(name).cloned())?;
            let mut accounts: BTreeSet<AccountRef> = sandbox
                .vendors
                .iter()
                .map(|v| AccountRef::default_of(*v))
                .collect();
            for account in sandbox.accounts {
                accounts.insert(AccountRef::new(account.vendor, account.name.clone()));
                builder = builder
                    .account(account.name.clone(), account.vendor, account.credentials)
                    .account_base_url(account.name, account.vendor, account.base_url);
            }
            from_sandbox = Some((url, accounts));
            let named = config.map(Path::to_path_buf).or_else(|| {
                std::env::var_os(CONFIG_VARIABLE)
                    .filter(|v| !v.is_empty())
                    .map(Into::into)
            });
            match named {
                Some(path) => builder.config_file(path).map_err(config_failure)?,
                None => builder,
            }
        }
    };
    if let Some(url) = redis.filter(|url| !url.is_empty()) {
        builder = builder.shared_pacing(url);
    }
    Ok(Client {
        bots: builder.build()?,
        sandbox: from_sandbox,
    })
}

/// A configuration error: a config file's problems are several lines (one
/// per problem, each naming file and line), kept as lines.
fn config_failure(error: chatbots::Error) -> Failure {
    Failure::message(error.to_string())
}

/// How to configure a vendor from the command line, in the CLI's words.
const SANDBOX_HINT: &str = "or try everything on a local sandbox: `cargo run -p chatbots-sandbox`, \
     then --sandbox http://127.0.0.1:8080";

/// Refuses, before anything is read or sent, a command on vendors that
/// have no credentials, saying which variables to set.
pub fn require(bots: &Chatbots, vendors: impl IntoIterator<Item = Vendor>) -> Result<(), Failure> {
    require_accounts(bots, vendors.into_iter().map(AccountRef::default_of))
}

/// Refuses, before anything is read or sent, a command on accounts that
/// cannot be used: a vendor's default account without credentials (saying
/// which variables to set), an account this client does not know, or one
/// whose secrets were not found (saying which, and where they were
/// looked for).
pub fn require_accounts(
    bots: &Chatbots,
    accounts: impl IntoIterator<Item = AccountRef>,
) -> Result<(), Failure> {
    let accounts: BTreeSet<AccountRef> = accounts.into_iter().collect();
    let mut problems = Vec::new();
    let missing: Vec<Vendor> = accounts
        .iter()
        .filter(|a| a.is_default())
        .map(|a| a.vendor)
        .filter(|v| !bots.vendors().contains(v))
        // A vendor not compiled in has no variables: the facade says so.
        .filter(|v| !credential_variables(*v).is_empty())
        .collect();
    if !missing.is_empty() {
        let each: Vec<String> = missing
            .iter()
            .map(|v| format!("{v} needs {}", credential_variables(*v).join(" and ")))
            .collect();
        problems.push(format!(
            "no credentials: {}; set {} in the environment, {SANDBOX_HINT}",
            each.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }
    for account in accounts.iter().filter(|a| !a.is_default()) {
        match bots.account(account) {
            Some(known) => {
                // The library's words name the account (and where it is
                // configured).
                if let Some(problem) = &known.problem {
                    problems.push(problem.clone());
                }
            }
            // A vendor not compiled in: the facade says so.
            None if credential_variables(account.vendor).is_empty() => {}
            None => {
                let known: Vec<String> = bots
                    .accounts()
                    .iter()
                    .filter(|a| a.account.vendor == account.vendor)
                    .map(|a| a.account.to_string())
                    .collect();
                problems.push(format!(
                    "unknown account `{account}`: {}'s accounts are {} \
                     (`chatbots accounts` lists them; add one to the config file, \
                     README \"Several accounts\")",
                    account.vendor.title(),
                    known.join(", ")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::message(format!(
            "{}; nothing was sent",
            problems.join("; ")
        )))
    }
}

/// `--sandbox`'s value as a base URL: `http(s)://HOST[:PORT]`, without a
/// trailing `/`.
fn sandbox_url(given: &str) -> Result<String, Failure> {
    let wrong = |why: &str| {
        Failure::message(format!(
            "--sandbox: `{given}` is not a URL{why}: give http://HOST:PORT \
             (the sandbox says its address when it starts)"
        ))
    };
    let url = reqwest::Url::parse(given.trim()).map_err(|_| wrong(""))?;
    // `localhost:8080` parses, as a URL of scheme `localhost`.
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(wrong(" of http or https"));
    }
    Ok(given.trim().trim_end_matches('/').to_string())
}

/// `GET URL/_sandbox/credentials`, read at most as far as the facade
/// reads an answer.
async fn sandbox_document(url: &str) -> Result<SandboxDocument, Failure> {
    let endpoint = format!("{url}/_sandbox/credentials");
    let unreachable = |e: &dyn std::fmt::Display| {
        Failure::message(format!(
            "--sandbox {url}: cannot read {endpoint}: {e} (is `cargo run -p chatbots-sandbox` running there?)"
        ))
    };
    // The facade's HTTP settings (timeouts, TLS provider, the most of a
    // body it reads), for one request.
    let config = ClientConfig::default();
    let http = config
        .http_client()
        .map_err(|e| Failure::message(e.message))?;
    let response = http
        .get(&endpoint)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(unreachable(&format!(
            "HTTP {status} (an older sandbox without this endpoint, or not a sandbox)"
        )));
    }
    // Whatever answers at URL, no more than the facade reads of an answer.
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(&e))? {
        if body.len() + chunk.len() > config.max_response_bytes {
            return Err(unreachable(&format!(
                "an answer longer than {} bytes (not a sandbox)",
                config.max_response_bytes
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| unreachable(&format!("not the sandbox's credentials document: {e}")))
}

/// What a sandbox's credentials document configures.
#[derive(Debug, Default)]
struct SandboxSettings {
    /// The environment it stands for: each vendor's credential variables
    /// and `<PREFIX>_BASE_URL` (its default accounts).
    variables: HashMap<String, String>,
    /// The vendors it configures.
    vendors: Vec<Vendor>,
    /// Its other accounts.
    accounts: Vec<SandboxNamed>,
}

/// One more account a sandbox publishes.
struct SandboxNamed {
    vendor: Vendor,
    name: String,
    credentials: Vec<String>,
    base_url: String,
}

impl std::fmt::Debug for SandboxNamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxNamed")
            .field("vendor", &self.vendor)
            .field("name", &self.name)
            .field("credentials", &"[REDACTED]")
            .field("base_url", &self.base_url)
            .finish()
    }
}

fn sandbox_settings(document: SandboxDocument) -> Result<SandboxSettings, Failure> {
    let mut settings = SandboxSettings::default();
    for vendor in Vendor::ALL {
        // A vendor this sandbox does not emulate stays unconfigured.
        let Some(entry) = document.vendors.get(vendor.slug()) else {
            continue;
        };
        let names = credential_variables(vendor);
        let count = |what: &str, given: &[String]| {
            if given.len() == names.len() {
                return Ok(());
            }
            Err(Failure::message(format!(
                "the sandbox gives {} credential(s) for {what}, the client needs {} ({})",
                given.len(),
                names.len(),
                names.join(", ")
            )))
        };
        count(&vendor.to_string(), &entry.credentials)?;
        for (name, value) in names.iter().zip(&entry.credentials) {
            settings.variables.insert(name.to_string(), value.clone());
        }
        settings.variables.insert(
            format!("{}_BASE_URL", vendor.env_prefix()),
            entry.base_url.clone(),
        );
        settings.vendors.push(vendor);
        for (name, account) in &entry.accounts {
            // The name is checked as any account's (`build` refuses one
            // that could not round-trip); shown escaped here.
            count(
                &format!("{vendor}@{}", chatbots::printable::one_line(name)),
                &account.credentials,
            )?;
            settings.accounts.push(SandboxNamed {
                vendor,
                name: name.clone(),
                credentials: account.credentials.clone(),
                base_url: entry.base_url.clone(),
            });
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_address_without_a_scheme_is_refused_in_words() {
        for given in ["127.0.0.1:18080", "localhost:8080", "ftp://127.0.0.1:1", ""] {
            let err = sandbox_url(given).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--sandbox: `{given}` is not a URL"))
                    && err.contains("http://HOST:PORT"),
                "{err}"
            );
        }
        assert_eq!(
            sandbox_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn each_vendor_gets_its_variables_and_a_wrong_count_is_refused() {
        let document: SandboxDocument = serde_json::from_value(serde_json::json!({"vendors": {
            "converza": {"base_url": "http://127.0.0.1:1/converza", "credentials": ["id", "secret"]},
            "okchat": {"base_url": "http://127.0.0.1:1/okchat", "credentials": ["key"]},
            "elsewhere": {"base_url": "http://127.0.0.1:1/x", "credentials": []}
        }}))
        .unwrap();
        let settings = sandbox_settings(document).unwrap();
        let vars = &settings.variables;
        assert_eq!(vars["CONVERZA_KEY_ID"], "id");
        assert_eq!(vars["CONVERZA_KEY_SECRET"], "secret");
        assert_eq!(vars["OKCHAT_API_KEY"], "key");
        assert_eq!(vars["OKCHAT_BASE_URL"], "http://127.0.0.1:1/okchat");
        assert!(!vars.contains_key("PURETALK_API_KEY"));
        // A sandbox without accounts: the default ones only.
        assert!(settings.accounts.is_empty());

        let short: SandboxDocument = serde_json::from_value(serde_json::json!({"vendors": {
            "converza": {"base_url": "http://127.0.0.1:1/converza", "credentials": ["id"]}
        }}))
        .unwrap();
        let err = sandbox_settings(short).unwrap_err().to_string();
        assert!(err.contains("CONVERZA_KEY_SECRET"), "{err}");
        assert!(
            !format!(
                "{:?}",
                SandboxVendor {
                    base_url: String::new(),
                    credentials: vec!["s3cret".into()],
                    accounts: BTreeMap::new(),
                }
            )
            .contains("s3cret")
        );
    }

    #[test]
    fn each_account_of_the_sandbox_gets_its_credentials_at_its_vendors_url() {
        let document: SandboxDocument = serde_json::from_value(serde_json::json!({"vendors": {
            "converza": {
                "base_url": "http://127.0.0.1:1/converza",
                "credentials": ["id", "secret"],
                "accounts": {"client-b": {"credentials": ["id-b", "secret-b"]}}
            },
            "okchat": {
                "base_url": "http://127.0.0.1:1/okchat",
                "credentials": ["key"],
                "accounts": {"client-b": {"credentials": ["key-b"]}}
            }
        }}))
        .unwrap();
        let settings = sandbox_settings(document).unwrap();
        let accounts: Vec<String> = settings
            .accounts
            .iter()
            .map(|a| {
                format!(
                    "{}@{} {} {}",
                    a.vendor,
                    a.name,
                    a.credentials.join("+"),
                    a.base_url
                )
            })
            .collect();
        assert_eq!(
            accounts,
            [
                "converza@client-b id-b+secret-b http://127.0.0.1:1/converza",
                "okchat@client-b key-b http://127.0.0.1:1/okchat"
            ]
        );
        assert!(!format!("{settings:?}").contains("key-b"));

        let short: SandboxDocument = serde_json::from_value(serde_json::json!({"vendors": {
            "converza": {
                "base_url": "http://127.0.0.1:1/converza",
                "credentials": ["id", "secret"],
                "accounts": {"client-b": {"credentials": ["id-b"]}}
            }
        }}))
        .unwrap();
        let err = sandbox_settings(short).unwrap_err().to_string();
        assert!(
            err.contains("converza@client-b") && err.contains("CONVERZA_KEY_SECRET"),
            "{err}"
        );
    }
}
