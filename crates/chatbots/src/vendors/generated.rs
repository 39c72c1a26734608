//! [`GeneratedUpdate`]: a vendor's update on its generated client alone,
//! for the bench's way (a), which measures the generated client without the
//! facade; built from the registry, so that the bench holds no list of
//! vendors. Not a stable API.

use std::future::Future;
use std::pin::Pin;

use chatbots_runtime::{ClientConfig, SecretString};
use serde_json::Value;

use super::{VendorApi, find};
use crate::error::Error;
use crate::model::{BotRef, Vendor};

/// One vendor's generated client with a typed update body, decoded once:
/// [`send`](Self::send) runs the generated builder's `send()` and nothing
/// else (no credentials fetched first, no call record, no classification,
/// no envelope check).
#[doc(hidden)]
pub struct GeneratedUpdate(Box<dyn Erased>);

/// A pending generated call (failures as text: the bench only reports them).
type Sent<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

trait Erased: Send + Sync {
    fn vendor(&self) -> Vendor;
    fn send(&self) -> Sent<'_>;
    fn body_json(&self) -> Result<Vec<u8>, String>;
    fn decode_answer(&self, bytes: &[u8]) -> Result<(), String>;
}

struct Typed<V: VendorApi> {
    client: V::Client,
    bot: BotRef,
    body: V::Body,
}

impl<V: VendorApi> Erased for Typed<V> {
    fn vendor(&self) -> Vendor {
        V::VENDOR
    }

    fn send(&self) -> Sent<'_> {
        Box::pin(async move {
            let send = V::send_update(&self.client, &self.bot, self.body.clone())
                .map_err(|e| e.to_string())?;
            let answer = send.await.map_err(|e| format!("{e:?}"))?;
            std::hint::black_box(answer);
            Ok(())
        })
    }

    fn body_json(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(&self.body.clone()).map_err(|e| e.to_string())
    }

    fn decode_answer(&self, bytes: &[u8]) -> Result<(), String> {
        let answer: V::Answer = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        std::hint::black_box(answer);
        Ok(())
    }
}

/// Builds a [`GeneratedUpdate`] of `V` (the registry's entry).
pub(crate) fn build<V: VendorApi>(
    bot: &BotRef,
    secrets: &[SecretString],
    config: &ClientConfig,
    body: &Value,
) -> Result<GeneratedUpdate, Error> {
    let http = config
        .http_client()
        .map_err(|e| Error::config(Some(V::VENDOR), e.message))?;
    let client = V::connect(secrets, config, &http)?;
    let body: V::Body = serde_json::from_value(body.clone()).map_err(|e| {
        Error::config(
            Some(V::VENDOR),
            format!("the body does not fit the generated type: {e}"),
        )
    })?;
    Ok(GeneratedUpdate(Box::new(Typed::<V> {
        client,
        bot: bot.clone(),
        body,
    })))
}

impl GeneratedUpdate {
    /// The generated client of `bot`'s vendor, built from `secrets` (in
    /// the order of `credential_variables`) and `config` as
    /// `Client::with_config` builds it, with `body` decoded into the
    /// vendor's generated update type.
    pub fn new(
        bot: &BotRef,
        secrets: &[SecretString],
        config: &ClientConfig,
        body: &Value,
    ) -> Result<Self, Error> {
        (find(bot.vendor)?.generated)(bot, secrets, config, body)
    }

    /// The vendor.
    pub fn vendor(&self) -> Vendor {
        self.0.vendor()
    }

    /// Sends the update once on the generated builder; the answer decoded
    /// into its generated type.
    pub fn send(&self) -> impl Future<Output = Result<(), String>> + Send + '_ {
        self.0.send()
    }

    /// The typed body, cloned and serialized as the generated call sends
    /// it (for a hand-written call of the same request).
    pub fn body_json(&self) -> Result<Vec<u8>, String> {
        self.0.body_json()
    }

    /// Decodes an answer into the update's generated answer type.
    pub fn decode_answer(&self, bytes: &[u8]) -> Result<(), String> {
        self.0.decode_answer(bytes)
    }
}
