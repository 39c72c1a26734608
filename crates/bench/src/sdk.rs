//! Way (a): each vendor's generated client with its typed seed body, and
//! the typed answer way (b) decodes into. Both come from the facade's
//! registry (`chatbots::GeneratedUpdate`, doc-hidden: each vendor module's
//! `send_update`, the generated builder call alone), so the bench holds no
//! list of vendors; a vendor the facade does not register is refused.

use chatbots::{GeneratedUpdate, SecretString, Vendor};
use chatbots_runtime::ClientConfig;

use crate::seed::{Seed, not_benched, secret};
use crate::target::Target;

/// The generated client of one vendor with its typed seed body (decoded
/// once, cloned for each call, as a caller of the builder would).
pub(crate) struct Sdk(GeneratedUpdate);

impl Sdk {
    /// The generated client of `seed`'s vendor, with the bench's
    /// credentials and `cfg`.
    pub(crate) fn new(seed: &Seed, cfg: &ClientConfig) -> Result<Sdk, String> {
        Self::supports(seed.vendor)?;
        let secrets: Vec<SecretString> = chatbots::credential_variables(seed.vendor)
            .iter()
            .map(|variable| SecretString::from(secret(variable)))
            .collect();
        GeneratedUpdate::new(&seed.bot, &secrets, cfg, &seed.request)
            .map(Sdk)
            .map_err(|e| e.to_string())
    }

    /// Whether the bench has a generated-client call for `vendor`: every
    /// vendor the facade registers has one.
    pub(crate) fn supports(vendor: Vendor) -> Result<(), String> {
        match chatbots::vendor_facts(vendor) {
            Some(_) => Ok(()),
            None => Err(not_benched(vendor, "no generated-client call in the bench")),
        }
    }

    /// Way (a): the generated builder call.
    pub(crate) async fn send(&self) -> Result<(), String> {
        self.0.send().await
    }

    /// Way (b): the hand-written call of `target`, with the same typed body
    /// and decoding into the same typed answer.
    pub(crate) async fn send_raw(&self, target: &Target) -> Result<(), String> {
        let answer = target.raw_call(self.0.body_json()?).await?;
        self.0.decode_answer(&answer)
    }
}
