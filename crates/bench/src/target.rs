//! [`Target`]: one vendor's seed request, ready to be sent the three ways.

use std::net::SocketAddr;

use chatbots::{BotRef, ChatbotPatch, Chatbots, Vendor, credential_variables};
use chatbots_runtime::{ClientConfig, Pacing};
use hyper::header::HeaderValue;
use reqwest::header::{ACCEPT, HeaderName};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sdk::Sdk;
use crate::seed::{Seed, access_token, secret, seed, seed_patch, token_request};
use crate::way::Way;

/// Everything needed to send one vendor's seed request three ways.
pub struct Target {
    /// The vendor.
    pub vendor: Vendor,
    seed: &'static Seed,
    sdk: Sdk,
    raw: reqwest::Client,
    /// The base URL (the same for all three ways).
    base: String,
    /// The raw call's credential header.
    auth: (HeaderName, HeaderValue),
    facade: Chatbots,
    bot: BotRef,
    patch: ChatbotPatch,
}

fn config(base: &str) -> ClientConfig {
    ClientConfig {
        base_url: Some(base.to_string()),
        // The benchmark measures a request's cost, not the vendor's rate
        // limit (StreamSkill's would hold it to 2 requests/s).
        pacing: Pacing::off(),
        ..ClientConfig::default()
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

impl Target {
    /// Builds the three clients of `vendor` against the server at `addr`
    /// (under the path of the vendor's production base URL, which the
    /// server serves too). Where the vendor exchanges its credentials for a
    /// token, the raw client exchanges them here (the SDK caches its token
    /// too; warm both with [`Target::send`]).
    pub async fn new(vendor: Vendor, addr: SocketAddr) -> Result<Self, String> {
        let seed = seed(vendor)?;
        let base = format!("http://{addr}{}", seed.stem);
        let cfg = config(&base);
        let sdk = Sdk::new(seed, &cfg)?;
        let raw = cfg.http_client().map_err(|e| e.to_string())?;
        let (name, bearer) = &seed.auth;
        let credential = match &seed.token {
            Some(_) => raw_token(&raw, &base, seed).await?,
            None => secret(
                credential_variables(vendor)
                    .first()
                    .ok_or("no credential")?,
            ),
        };
        let value = if *bearer {
            format!("Bearer {credential}")
        } else {
            credential
        };
        let auth = (
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?,
            sensitive(&value)?,
        );
        let names = credential_variables(vendor);
        let facade = Chatbots::builder()
            .from_env_with(|name| names.contains(&name).then(|| secret(name)))
            .map_err(|e| e.to_string())?
            .base_url(vendor, base.clone())
            .pacing(Pacing::off())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            vendor,
            seed,
            sdk,
            raw,
            base,
            auth,
            facade,
            bot: seed.bot.clone(),
            patch: seed_patch(vendor)?,
        })
    }

    /// Sends the seed request once, `way`; an error says what failed.
    pub async fn send(&self, way: Way) -> Result<(), String> {
        match way {
            Way::Sdk => self.sdk.send().await,
            Way::Raw => self.sdk.send_raw(self).await,
            Way::Facade => self
                .facade
                .update(&self.bot, &self.patch)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// The hand-written call: the update's method, URL and query, the
    /// credential header and `body` as JSON; the answer decoded as `R`.
    pub(crate) async fn raw_call<B: Serialize, R: DeserializeOwned>(
        &self,
        body: &B,
    ) -> Result<R, String> {
        let url = format!("{}{}", self.base, self.seed.path);
        let mut request = self
            .raw
            .request(self.seed.method.clone(), url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(self.auth.0.clone(), self.auth.1.clone())
            .json(body);
        if let Some((name, value)) = &self.seed.query {
            request = request.query(&[(name, value)]);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}

/// The raw client's token exchange (done once, like the SDK's).
async fn raw_token(http: &reqwest::Client, base: &str, seed: &Seed) -> Result<String, String> {
    let (at, _) = seed.token.as_ref().ok_or("no token exchange")?;
    let response = http
        .post(format!("{base}{at}"))
        .header(ACCEPT, "application/json")
        .json(&token_request(seed))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    access_token(&body)
        .map(str::to_string)
        .ok_or_else(|| "no access_token in the exchange answer".into())
}
