//! OKChat: chatbots by UUID, the prompt, model and greeting nested under
//! `settings`.

use chatbots_runtime::{ClientConfig, Operation, SecretString};

use super::{Page, VendorApi, call};
use crate::error::{Error, ErrorShape, Subject};
use crate::mapping::{FieldMap, field};
use crate::model::{BotRef, Vendor};
use crate::okchat as api;

/// OKChat behind the facade.
pub(crate) struct OkChat;

impl VendorApi for OkChat {
    const VENDOR: Vendor = Vendor::OkChat;
    const CREDENTIALS: &'static [&'static str] = &["OKCHAT_API_KEY"];
    const GET_OPERATION: Option<&'static str> = Some("getChatbot");
    const LIST_OPERATION: Option<&'static str> = Some("listChatbots");
    const FIELDS: &'static [FieldMap<Self::Bot>] = &[
        field!(Name at "name", text |b| b.name),
        field!(Description at "description", text |b| b.description),
        field!(Instructions at "settings" / "prompt", text |b| b.settings.as_ref()?.prompt),
        field!(Model at "settings" / "model", text |b| b.settings.as_ref()?.model),
        field!(Greeting at "settings" / "greeting", text |b| b.settings.as_ref()?.greeting),
    ];
    const ERROR: ErrorShape = ErrorShape {
        code: &[],
        message: &["/message", "/error"],
        field_errors: None,
        kinds: &[],
    };

    type Client = api::Client;
    type Body = api::types::UpdateChatbotRequest;
    type Bot = api::types::Chatbot;

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
        &api::operations::UPDATE_CHATBOT
    }

    async fn update(client: &Self::Client, bot: &BotRef, body: Self::Body) -> Result<(), Error> {
        let id = uuid("id", &bot.id)?;
        let send = client.update_chatbot().id(id).body(body).send();
        call::<Self, _, _, _>(client, send).await?;
        Ok(())
    }

    fn id(bot: &Self::Bot) -> String {
        bot.id.clone().unwrap_or_default()
    }

    /// OKChat's spec types the chatbot id `format: uuid` (`updateChatbot`'s `id`, `getChatbot`'s `chatbotId`).
    fn canonical_id(id: &str) -> std::borrow::Cow<'_, str> {
        super::uuid_id(id)
    }

    async fn get(client: &Self::Client, bot: &BotRef) -> Result<Self::Bot, Error> {
        let id = uuid("chatbotId", &bot.id)?;
        let send = client.get_chatbot().chatbot_id(id).send();
        call::<Self, _, _, _>(client, send)
            .await?
            .into_inner()
            .chatbot
            .ok_or_else(|| Error::decode(Self::VENDOR, "the answer has no `chatbot`"))
    }

    /// The list does not page.
    async fn list_page(client: &Self::Client, _page: u32) -> Result<Page<Self::Bot>, Error> {
        let send = client.list_chatbots().send();
        let bots = call::<Self, _, _, _>(client, send)
            .await?
            .into_inner()
            .chatbots;
        Ok(Page::all(bots))
    }
}

impl crate::ChatbotsBuilder {
    /// OKChat's API key (`x-api-key`).
    pub fn okchat_api_key(self, key: impl Into<String>) -> Self {
        self.credential(Vendor::OkChat, [key.into()])
    }
}

impl crate::Chatbots {
    /// The typed OKChat client, with this client's auth, retries and
    /// timeouts, for everything vendor-specific.
    pub fn okchat(&self) -> Result<&api::Client, Error> {
        self.typed::<OkChat>()
    }
}

/// The bot id as the UUID the vendor's `{field}` takes.
fn uuid(field: &str, id: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(id).map_err(|_| {
        Error::invalid(Vendor::OkChat, Subject::BotId(field.into()), format!("must be a UUID (got `{id}`)"))
    })
}
