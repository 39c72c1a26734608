//! StreamSkill: chatbots are orders (`order_type` `ai_chatbots`), addressed
//! by their integer order id; only the language is a shared field.

use chatbots_runtime::{ClientConfig, Operation, SecretString};

use super::{Page, VendorApi, call};
use crate::error::{Error, ErrorKind, ErrorShape, Subject};
use crate::mapping::{FieldMap, field};
use crate::model::{BotRef, Vendor};
use crate::streamskill as api;

/// StreamSkill behind the facade.
pub(crate) struct StreamSkill;

impl VendorApi for StreamSkill {
    const VENDOR: Vendor = Vendor::StreamSkill;
    const CREDENTIALS: &'static [&'static str] = &["STREAMSKILL_TOKEN"];
    const GET_OPERATION: Option<&'static str> = Some("getPurchase");
    const LIST_OPERATION: Option<&'static str> = Some("listPurchases");
    const FIELDS: &'static [FieldMap<Self::Bot>] = &[field!(Language at "language")];
    const ERROR: ErrorShape = ErrorShape {
        code: &["/type"],
        message: &["/message", "/name"],
        field_errors: Some("/errors"),
        kinds: &[
            ("unauthorized_http_exception", || ErrorKind::Unauthorized),
            ("purchase_not_found_exception", || ErrorKind::NotFound),
            ("action_unavailable", || ErrorKind::NotAllowed),
            ("purchase_done", || ErrorKind::Conflict),
            ("action_failed", || ErrorKind::Server),
        ],
    };

    type Client = api::Client;
    type Body = api::types::EditAiChatbotsObject;
    type Bot = api::types::Purchase;

    fn connect(
        secrets: &[SecretString],
        config: &ClientConfig,
        http: &reqwest::Client,
    ) -> Result<Self::Client, Error> {
        super::with_secrets(Self::VENDOR, secrets, |[secret]| {
            api::Client::with_http(api::header_auth(secret)?, config, http.clone())
        })
    }

    fn update_operation() -> &'static Operation {
        &api::operations::EDIT_AI_CHATBOTS
    }

    /// The documented rule between two fields, which a schema cannot say:
    /// `interval` is at least ceil(60 / `count`).
    fn check(body: &Self::Body) -> Result<(), Error> {
        if let (Some(count), Some(interval)) = (body.count, body.interval) {
            let (count, interval) = (count.get(), interval.get());
            let minimum = 60u64.div_ceil(count.max(1)).max(1);
            if interval < minimum {
                return Err(Error::invalid(
                    Self::VENDOR,
                    Subject::VendorField("interval".into()),
                    format!(
                        "must be at least ceil(60 / count) = {minimum} for count {count} (got {interval})"
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn update(client: &Self::Client, bot: &BotRef, body: Self::Body) -> Result<(), Error> {
        let order_id = order_id(&bot.id)?;
        let send = client.edit_ai_chatbots().order_id(order_id).body(body).send();
        call::<Self, _, _, _>(client, send).await?;
        Ok(())
    }

    fn id(bot: &Self::Bot) -> String {
        bot.id.map(|id| id.to_string()).unwrap_or_default()
    }

    /// StreamSkill's spec types the order id as an `int64` (`orderId`).
    fn canonical_id(id: &str) -> std::borrow::Cow<'_, str> {
        super::integer_id(id)
    }

    async fn get(client: &Self::Client, bot: &BotRef) -> Result<Self::Bot, Error> {
        let order_id = order_id(&bot.id)?;
        let send = client.get_purchase().order_id(order_id).send();
        Ok(call::<Self, _, _, _>(client, send).await?.into_inner())
    }

    /// The list does not page.
    async fn list_page(client: &Self::Client, _page: u32) -> Result<Page<Self::Bot>, Error> {
        let send = client.list_purchases().send();
        let all = call::<Self, _, _, _>(client, send).await?.into_inner();
        // Orders of other types are not chatbots.
        Ok(Page::all(
            all.into_iter()
                .filter(|p| p.order_type.as_deref() == Some("ai_chatbots"))
                .collect(),
        ))
    }
}

fn order_id(id: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| {
        Error::invalid(
            Vendor::StreamSkill,
            Subject::BotId("orderId".into()),
            format!("must be an integer order id (got `{id}`)"),
        )
    })
}

impl crate::ChatbotsBuilder {
    /// StreamSkill's API token (`Authorization: Bearer`).
    pub fn streamskill_token(self, token: impl Into<String>) -> Self {
        self.credential(Vendor::StreamSkill, [token.into()])
    }
}

impl crate::Chatbots {
    /// The typed StreamSkill client, with this client's auth, retries and
    /// timeouts, for everything vendor-specific.
    pub fn streamskill(&self) -> Result<&api::Client, Error> {
        self.typed::<StreamSkill>()
    }
}
