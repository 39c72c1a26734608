//! Way (a): each vendor's generated client, with its typed seed body, and
//! the typed answer way (b) decodes into. The one part of the bench written
//! per vendor, because each generated client is its own type; a vendor
//! without a line here is refused.

use chatbots::{SecretString, Vendor};
use chatbots_runtime::ClientConfig;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::seed::{Seed, not_benched, secret};
use crate::target::Target;

/// The generated client of one vendor with its typed seed body (and the
/// bot id in the type its builder takes).
// Built once per vendor; boxing would only make construction noisier.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sdk {
    StreamSkill(
        chatbots::streamskill::Client,
        chatbots::streamskill::types::EditAiChatbotsObject,
        i64,
    ),
    Converza(
        chatbots::converza::Client,
        chatbots::converza::types::UpdateBotRequest,
        uuid::Uuid,
    ),
    OkChat(
        chatbots::okchat::Client,
        chatbots::okchat::types::UpdateChatbotRequest,
        uuid::Uuid,
    ),
    PureTalk(
        chatbots::puretalk::Client,
        chatbots::puretalk::types::UpdateAssistantRequest,
        String,
    ),
    HotTask(
        chatbots::hottask::Client,
        chatbots::hottask::types::EditChatbotRequest,
    ),
}

/// `value` as the generated type `T`.
fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone())
        .map_err(|e| format!("the seed body does not fit the generated type: {e}"))
}

impl Sdk {
    /// The generated client of `seed`'s vendor, with the bench's
    /// credentials and `cfg`.
    pub(crate) fn new(seed: &Seed, cfg: &ClientConfig) -> Result<Sdk, String> {
        use chatbots::{converza, hottask, okchat, puretalk, streamskill};
        let e = |e: chatbots_runtime::ConfigError| e.to_string();
        let variables = chatbots::credential_variables(seed.vendor);
        let secret = |i: usize| -> Result<SecretString, String> {
            let variable = variables
                .get(i)
                .ok_or_else(|| format!("{}: no credential {i}", seed.vendor))?;
            Ok(SecretString::from(secret(variable)))
        };
        let id = seed.bot.id.as_str();
        let uuid = || uuid::Uuid::parse_str(id).map_err(|e| e.to_string());
        Ok(match seed.vendor {
            Vendor::StreamSkill => Sdk::StreamSkill(
                streamskill::Client::with_config(
                    streamskill::header_auth(&secret(0)?).map_err(e)?,
                    cfg,
                )
                .map_err(e)?,
                decode(&seed.request)?,
                id.parse().map_err(|_| format!("order id `{id}`"))?,
            ),
            Vendor::Converza => Sdk::Converza(
                converza::Client::with_config(converza::Auth::new(secret(0)?, secret(1)?), cfg)
                    .map_err(e)?,
                decode(&seed.request)?,
                uuid()?,
            ),
            Vendor::OkChat => Sdk::OkChat(
                okchat::Client::with_config(okchat::header_auth(&secret(0)?).map_err(e)?, cfg)
                    .map_err(e)?,
                decode(&seed.request)?,
                uuid()?,
            ),
            Vendor::PureTalk => Sdk::PureTalk(
                puretalk::Client::with_config(puretalk::header_auth(&secret(0)?).map_err(e)?, cfg)
                    .map_err(e)?,
                decode(&seed.request)?,
                id.to_string(),
            ),
            Vendor::HotTask => Sdk::HotTask(
                hottask::Client::with_config(hottask::header_auth(&secret(0)?).map_err(e)?, cfg)
                    .map_err(e)?,
                decode(&seed.request)?,
            ),
            #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
            other => return Err(not_benched(other, "no generated-client call in the bench")),
        })
    }

    /// Whether the bench has a generated-client call for `vendor`.
    pub(crate) fn supports(vendor: Vendor) -> Result<(), String> {
        match vendor {
            Vendor::StreamSkill
            | Vendor::Converza
            | Vendor::OkChat
            | Vendor::PureTalk
            | Vendor::HotTask => Ok(()),
            #[allow(unreachable_patterns, reason = "a vendor added to specs/")]
            other => Err(not_benched(other, "no generated-client call in the bench")),
        }
    }

    /// Way (a): the generated builder call.
    pub(crate) async fn send(&self) -> Result<(), String> {
        match self {
            Sdk::StreamSkill(client, body, id) => {
                let r = client
                    .edit_ai_chatbots()
                    .order_id(*id)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::Converza(client, body, id) => {
                let r = client
                    .update_bot()
                    .id(*id)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::OkChat(client, body, id) => {
                let r = client
                    .update_chatbot()
                    .id(*id)
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::PureTalk(client, body, id) => {
                let r = client
                    .update_assistant()
                    .assistant_id(id.as_str())
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
            Sdk::HotTask(client, body) => {
                let r = client
                    .edit_chatbot()
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                std::hint::black_box(r);
            }
        }
        Ok(())
    }

    /// Way (b): the hand-written call of `target`, with the same typed body
    /// and decoding into the same typed answer.
    pub(crate) async fn send_raw(&self, target: &Target) -> Result<(), String> {
        use chatbots::{converza, hottask, okchat, puretalk, streamskill};
        match self {
            Sdk::StreamSkill(_, body, _) => {
                let r: streamskill::types::ActionSuccess = target.raw_call(&body.clone()).await?;
                std::hint::black_box(r);
            }
            Sdk::Converza(_, body, _) => {
                let r: converza::types::BotResponse = target.raw_call(&body.clone()).await?;
                std::hint::black_box(r);
            }
            Sdk::OkChat(_, body, _) => {
                let r: okchat::types::ChatbotResponse = target.raw_call(&body.clone()).await?;
                std::hint::black_box(r);
            }
            Sdk::PureTalk(_, body, _) => {
                let r: puretalk::types::AssistantResponse = target.raw_call(&body.clone()).await?;
                std::hint::black_box(r);
            }
            Sdk::HotTask(_, body) => {
                let r: hottask::types::EditChatbotResponse = target.raw_call(&body.clone()).await?;
                std::hint::black_box(r);
            }
        }
        Ok(())
    }
}
