//! The typed calls behind the facade: one small block per vendor. Each
//! turns the checked JSON body into the vendor's generated request type,
//! calls its generated client, and turns the answer (or failure) into the
//! facade's terms.

use chatbots_runtime::{ClientConfig, SecretString};
use serde_json::Value;

#[cfg_attr(
    not(any(
        feature = "converza",
        feature = "okchat",
        feature = "puretalk",
        feature = "hottask",
        feature = "streamskill"
    )),
    allow(unused_imports)
)]
use crate::error::{Error, classify, from_body};
use crate::mapping;
use crate::model::{BotRef, ChatbotPatch, Vendor, VendorPatch};

/// The vendor clients that have credentials.
#[derive(Clone, Debug, Default)]
pub(crate) struct Clients {
    #[cfg(feature = "streamskill")]
    pub streamskill: Option<crate::streamskill::Client>,
    #[cfg(feature = "converza")]
    pub converza: Option<crate::converza::Client>,
    #[cfg(feature = "okchat")]
    pub okchat: Option<crate::okchat::Client>,
    #[cfg(feature = "puretalk")]
    pub puretalk: Option<crate::puretalk::Client>,
    #[cfg(feature = "hottask")]
    pub hottask: Option<crate::hottask::Client>,
}

fn compiled_out(vendor: Vendor) -> Error {
    Error::config(
        Some(vendor),
        format!(
            "the `{}` feature of the chatbots crate is not enabled",
            vendor.name()
        ),
    )
}

fn config_error(vendor: Vendor, e: chatbots_runtime::ConfigError) -> Error {
    Error::config(Some(vendor), e.message)
}

/// A decoded vendor answer as JSON (it was JSON a moment ago).
#[allow(dead_code)]
fn json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

#[allow(dead_code)]
fn order_id(vendor: Vendor, id: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| {
        Error::invalid(
            vendor,
            "orderId",
            format!("must be an integer order id (got `{id}`)"),
        )
    })
}

#[allow(dead_code)]
fn uuid(vendor: Vendor, field: &str, id: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(id)
        .map_err(|_| Error::invalid(vendor, field, format!("must be a UUID (got `{id}`)")))
}

/// A failure reported inside a 2xx answer, as an error.
#[allow(dead_code)]
fn envelope<T: chatbots_runtime::Envelope>(vendor: Vendor, value: &T) -> Result<(), Error> {
    reported(vendor, value.failure())
}

/// The failure a decoded answer reports, if any: taken inside the call, so
/// that only this small value, not the whole answer, travels back up.
#[allow(dead_code)]
fn failure_in<R, T>(response: R) -> Option<chatbots_runtime::VendorFailure>
where
    R: std::ops::Deref<Target = T>,
    T: chatbots_runtime::Envelope,
{
    response.failure()
}

/// A failure reported inside a 2xx answer, as an error.
#[allow(dead_code)]
fn reported(vendor: Vendor, failure: Option<chatbots_runtime::VendorFailure>) -> Result<(), Error> {
    match failure {
        None => Ok(()),
        Some(failure) => {
            let body = serde_json::json!({"code": failure.code, "message": failure.message});
            let shape = crate::error::ErrorShape {
                code: &["/code"],
                message: &["/message"],
                field_errors: None,
                kinds: &[],
            };
            Err(from_body(vendor, &shape, None, &body, &Default::default()))
        }
    }
}

/// Runs one generated call on `client`, classifying its failure; a vendor
/// message that echoes a credential does not carry it into the error.
macro_rules! call {
    ($vendor:expr, $client:expr, $fut:expr) => {
        call!($vendor, $client, $fut, |_: &Error| {})
    };
    ($vendor:expr, $client:expr, $fut:expr, $on_error:expr) => {
        call!($vendor, $client, $fut, $on_error, |response| response)
    };
    // `$keep` picks what the caller needs from the answer inside the call.
    ($vendor:expr, $client:expr, $fut:expr, $on_error:expr, $keep:expr) => {{
        let (result, record) =
            chatbots_runtime::record_with(|| async { ($fut).await.map($keep) }).await;
        result.map_err(|e| {
            let error = classify($vendor, &mapping::of($vendor).error, e, &record)
                .redacted(|text| $client.runtime().redact(text));
            ($on_error)(&error);
            error
        })?
    }};
}

/// A 401 on a call (not on the exchange) means the cached JWT was revoked:
/// the next call exchanges the key pair again.
#[cfg(feature = "converza")]
fn drop_refused_token(client: &crate::converza::Client) -> impl Fn(&Error) + '_ {
    move |error| {
        if error.status() == Some(401) {
            client.runtime().auth().invalidate();
        }
    }
}

impl Clients {
    /// Creates the client of `vendor`.
    pub fn connect(
        &mut self,
        vendor: Vendor,
        (secret, second): (&SecretString, Option<&SecretString>),
        config: &ClientConfig,
        http: &reqwest::Client,
    ) -> Result<(), Error> {
        let _ = (secret, second, config, http);
        /// A vendor whose credential is one header, built from its spec.
        macro_rules! header_auth_client {
            ($module:ident) => {{
                use crate::$module as v;
                let auth = v::header_auth(secret).map_err(|e| config_error(vendor, e))?;
                self.$module = Some(
                    v::Client::with_http(auth, config, http.clone())
                        .map_err(|e| config_error(vendor, e))?,
                );
            }};
        }
        match vendor {
            #[cfg(feature = "streamskill")]
            Vendor::StreamSkill => header_auth_client!(streamskill),
            #[cfg(feature = "converza")]
            Vendor::Converza => {
                use crate::converza as v;
                let key_secret = second.ok_or_else(|| crate::client::not_configured(vendor))?;
                let auth = v::Auth::new(secret.clone(), key_secret.clone());
                self.converza = Some(
                    v::Client::with_http(auth, config, http.clone())
                        .map_err(|e| config_error(vendor, e))?,
                );
            }
            #[cfg(feature = "okchat")]
            Vendor::OkChat => header_auth_client!(okchat),
            #[cfg(feature = "puretalk")]
            Vendor::PureTalk => header_auth_client!(puretalk),
            #[cfg(feature = "hottask")]
            Vendor::HotTask => header_auth_client!(hottask),
            #[allow(unreachable_patterns)]
            _ => return Err(compiled_out(vendor)),
        }
        Ok(())
    }

    /// Applies `patch` to `bot`: builds the vendor's typed body (refusing
    /// what the spec does not allow) and sends it.
    pub async fn update(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        let vendor = bot.vendor;
        let _ = patch;
        /// The vendor's typed update body for `patch`.
        macro_rules! body {
            ($module:ident, $variant:ident) => {{
                let own = match &patch.vendor {
                    Some(VendorPatch::$variant(own)) => Some(own),
                    #[allow(unreachable_patterns)]
                    _ => None,
                };
                let schema =
                    crate::$module::request_body_schema(mapping::of(vendor).update_operation);
                mapping::update_body(vendor, &bot.id, patch, own, schema)?
            }};
        }
        match vendor {
            #[cfg(feature = "streamskill")]
            Vendor::StreamSkill => {
                let body: crate::streamskill::types::EditAiChatbotsObject =
                    body!(streamskill, StreamSkill);
                mapping::streamskill_interval_rule(
                    body.count.map(|c| c.get()),
                    body.interval.map(|i| i.get()),
                )?;
                let client = self
                    .streamskill
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let order_id = order_id(vendor, &bot.id)?;
                call!(
                    vendor,
                    client,
                    client
                        .edit_ai_chatbots()
                        .order_id(order_id)
                        .body(body)
                        .send(),
                    |_: &Error| {},
                    drop
                );
                Ok(())
            }
            #[cfg(feature = "converza")]
            Vendor::Converza => {
                let body: crate::converza::types::UpdateBotRequest = body!(converza, Converza);
                let client = self
                    .converza
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let id = uuid(vendor, "id", &bot.id)?;
                let failure = call!(
                    vendor,
                    client,
                    client.update_bot().id(id).body(body).send(),
                    drop_refused_token(client),
                    failure_in
                );
                reported(vendor, failure)
            }
            #[cfg(feature = "okchat")]
            Vendor::OkChat => {
                let body: crate::okchat::types::UpdateChatbotRequest = body!(okchat, OkChat);
                let client = self
                    .okchat
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let id = uuid(vendor, "id", &bot.id)?;
                call!(
                    vendor,
                    client,
                    client.update_chatbot().id(id).body(body).send(),
                    |_: &Error| {},
                    drop
                );
                Ok(())
            }
            #[cfg(feature = "puretalk")]
            Vendor::PureTalk => {
                let body: crate::puretalk::types::UpdateAssistantRequest =
                    body!(puretalk, PureTalk);
                let client = self
                    .puretalk
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let failure = call!(
                    vendor,
                    client,
                    client
                        .update_assistant()
                        .assistant_id(bot.id.clone())
                        .body(body)
                        .send(),
                    |_: &Error| {},
                    failure_in
                );
                reported(vendor, failure)
            }
            #[cfg(feature = "hottask")]
            Vendor::HotTask => {
                let body: crate::hottask::types::EditChatbotRequest = body!(hottask, HotTask);
                let client = self
                    .hottask
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let failure = call!(
                    vendor,
                    client,
                    client.edit_chatbot().body(body).send(),
                    |_: &Error| {},
                    failure_in
                );
                reported(vendor, failure)
            }
            #[allow(unreachable_patterns)]
            _ => Err(compiled_out(vendor)),
        }
    }

    /// The vendor's bot object.
    pub async fn get(&self, bot: &BotRef) -> Result<Value, Error> {
        let vendor = bot.vendor;
        match vendor {
            #[cfg(feature = "streamskill")]
            Vendor::StreamSkill => {
                let client = self
                    .streamskill
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let order_id = order_id(vendor, &bot.id)?;
                let response = call!(
                    vendor,
                    client,
                    client.get_purchase().order_id(order_id).send()
                );
                Ok(json(response.into_inner()))
            }
            #[cfg(feature = "converza")]
            Vendor::Converza => {
                let client = self
                    .converza
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let id = uuid(vendor, "id", &bot.id)?;
                let response = call!(
                    vendor,
                    client,
                    client.get_bot().id(id).send(),
                    drop_refused_token(client)
                );
                envelope(vendor, response.as_ref())?;
                Ok(json(response.into_inner().data))
            }
            #[cfg(feature = "okchat")]
            Vendor::OkChat => {
                let client = self
                    .okchat
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let id = uuid(vendor, "chatbotId", &bot.id)?;
                let response = call!(vendor, client, client.get_chatbot().chatbot_id(id).send());
                Ok(json(response.into_inner().chatbot))
            }
            #[cfg(feature = "puretalk")]
            Vendor::PureTalk => {
                let client = self
                    .puretalk
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let id = uuid(vendor, "assistant_id", &bot.id)?;
                let response = call!(
                    vendor,
                    client,
                    client.get_assistant().assistant_id(id).send()
                );
                envelope(vendor, response.as_ref())?;
                Ok(json(response.into_inner().results))
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::unsupported(vendor, "get")),
        }
    }

    /// The vendor's bot objects.
    pub async fn list(&self, vendor: Vendor) -> Result<Vec<Value>, Error> {
        match vendor {
            #[cfg(feature = "streamskill")]
            Vendor::StreamSkill => {
                let client = self
                    .streamskill
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let response = call!(vendor, client, client.list_purchases().send());
                // Orders of other types are not chatbots.
                Ok(json(response.into_inner())
                    .as_array()
                    .map(|all| {
                        all.iter()
                            .filter(|p| {
                                p.get("order_type").and_then(Value::as_str) == Some("ai_chatbots")
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default())
            }
            #[cfg(feature = "converza")]
            Vendor::Converza => {
                let client = self
                    .converza
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let response = call!(
                    vendor,
                    client,
                    client.list_bots().send(),
                    drop_refused_token(client)
                );
                envelope(vendor, response.as_ref())?;
                Ok(array(json(response.into_inner()).pointer("/data/bots")))
            }
            #[cfg(feature = "okchat")]
            Vendor::OkChat => {
                let client = self
                    .okchat
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let response = call!(vendor, client, client.list_chatbots().send());
                Ok(array(json(response.into_inner()).pointer("/chatbots")))
            }
            #[cfg(feature = "puretalk")]
            Vendor::PureTalk => {
                let client = self
                    .puretalk
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured(vendor))?;
                let response = call!(vendor, client, client.list_assistants().send());
                Ok(array(json(response.into_inner()).pointer("/results")))
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::unsupported(vendor, "list")),
        }
    }
}

#[allow(dead_code)]
fn array(value: Option<&Value>) -> Vec<Value> {
    value.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Accessors for the typed vendor clients (the escape hatch).
macro_rules! escape_hatch {
    ($feature:literal, $method:ident, $module:ident, $vendor:expr) => {
        #[cfg(feature = $feature)]
        impl crate::Chatbots {
            #[doc = concat!("The typed `", $feature, "` client, with this client's auth, retries and timeouts, for everything vendor-specific.")]
            pub fn $method(&self) -> Result<&crate::$module::Client, Error> {
                self.clients_ref()
                    .$method
                    .as_ref()
                    .ok_or_else(|| crate::client::not_configured($vendor))
            }
        }
    };
}

escape_hatch!("streamskill", streamskill, streamskill, Vendor::StreamSkill);
escape_hatch!("converza", converza, converza, Vendor::Converza);
escape_hatch!("okchat", okchat, okchat, Vendor::OkChat);
escape_hatch!("puretalk", puretalk, puretalk, Vendor::PureTalk);
escape_hatch!("hottask", hottask, hottask, Vendor::HotTask);
