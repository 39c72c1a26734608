//! The client: from the environment, as `Chatbots::from_env` reads it, or
//! from a standalone sandbox's `GET /_sandbox/credentials`.

use std::collections::HashMap;

use chatbots::{Chatbots, ClientConfig, Vendor, credential_variables};
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
}

/// The public sandbox credentials stay out of `Debug` all the same: a
/// habit, so that no credential type of ours ever prints its secret.
impl std::fmt::Debug for SandboxVendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxVendor")
            .field("base_url", &self.base_url)
            .field("credentials", &"[REDACTED]")
            .finish()
    }
}

/// The client every command uses; with `redis`, its pacing is shared
/// through that Redis.
pub async fn client(sandbox: Option<&str>, redis: Option<&str>) -> Result<Chatbots, Failure> {
    let mut builder = match sandbox {
        None => Chatbots::builder().from_env()?,
        Some(url) => {
            let variables = sandbox_variables(url).await?;
            Chatbots::builder().from_env_with(|name| variables.get(name).cloned())?
        }
    };
    if let Some(url) = redis.filter(|url| !url.is_empty()) {
        builder = builder.shared_pacing(url);
    }
    Ok(builder.build()?)
}

/// How to configure a vendor from the command line, in the CLI's words.
const SANDBOX_HINT: &str = "or try everything on a local sandbox: `cargo run -p chatbots-sandbox`, \
     then --sandbox http://127.0.0.1:8080";

/// Refuses, before anything is read or sent, a command on vendors that
/// have no credentials, saying which variables to set.
pub fn require(bots: &Chatbots, vendors: impl IntoIterator<Item = Vendor>) -> Result<(), Failure> {
    let mut missing: Vec<Vendor> = vendors
        .into_iter()
        .filter(|v| !bots.vendors().contains(v))
        // A vendor not compiled in has no variables: the facade says so.
        .filter(|v| !credential_variables(*v).is_empty())
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let each: Vec<String> = missing
        .iter()
        .map(|v| format!("{v} needs {}", credential_variables(*v).join(" and ")))
        .collect();
    Err(Failure::message(format!(
        "no credentials: {}; set {} in the environment, {SANDBOX_HINT}",
        each.join(", "),
        if missing.len() == 1 { "it" } else { "them" }
    )))
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

/// The environment a sandbox at `url` stands for: each vendor's credential
/// variables and `<PREFIX>_BASE_URL`.
async fn sandbox_variables(url: &str) -> Result<HashMap<String, String>, Failure> {
    let url = sandbox_url(url)?;
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
    let document: SandboxDocument = serde_json::from_slice(&body)
        .map_err(|e| unreachable(&format!("not the sandbox's credentials document: {e}")))?;
    variables(document)
}

fn variables(document: SandboxDocument) -> Result<HashMap<String, String>, Failure> {
    let mut variables = HashMap::new();
    for vendor in Vendor::ALL {
        // A vendor this sandbox does not emulate stays unconfigured.
        let Some(entry) = document.vendors.get(vendor.slug()) else {
            continue;
        };
        let names = credential_variables(vendor);
        if entry.credentials.len() != names.len() {
            return Err(Failure::message(format!(
                "the sandbox gives {} credential(s) for {vendor}, the client needs {} ({})",
                entry.credentials.len(),
                names.len(),
                names.join(", ")
            )));
        }
        for (name, value) in names.iter().zip(&entry.credentials) {
            variables.insert(name.to_string(), value.clone());
        }
        variables.insert(
            format!("{}_BASE_URL", vendor.env_prefix()),
            entry.base_url.clone(),
        );
    }
    Ok(variables)
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
        let vars = variables(document).unwrap();
        assert_eq!(vars["CONVERZA_KEY_ID"], "id");
        assert_eq!(vars["CONVERZA_KEY_SECRET"], "secret");
        assert_eq!(vars["OKCHAT_API_KEY"], "key");
        assert_eq!(vars["OKCHAT_BASE_URL"], "http://127.0.0.1:1/okchat");
        assert!(!vars.contains_key("PURETALK_API_KEY"));

        let short: SandboxDocument = serde_json::from_value(serde_json::json!({"vendors": {
            "converza": {"base_url": "http://127.0.0.1:1/converza", "credentials": ["id"]}
        }}))
        .unwrap();
        let err = variables(short).unwrap_err().to_string();
        assert!(err.contains("CONVERZA_KEY_SECRET"), "{err}");
        assert!(
            !format!(
                "{:?}",
                SandboxVendor {
                    base_url: String::new(),
                    credentials: vec!["s3cret".into()]
                }
            )
            .contains("s3cret")
        );
    }
}
