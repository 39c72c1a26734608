//! PureTalk: assistants by UUID; failures also reported inside 200
//! (`err: true`).

use chatbots_runtime::{ClientConfig, Envelope, Operation, SecretString};

use super::{Page, VendorApi, call};
use crate::error::{Error, ErrorShape, Subject};
use crate::mapping::{FieldMap, field};
use crate::model::{BotRef, Vendor};
use crate::puretalk as api;

/// Assistants asked for per page. The spec gives `limit` no bounds; 100 is
/// a common server-side cap (Django REST framework's), and a vendor that
/// caps lower still says so with `next`.
const PAGE_SIZE: i32 = 100;

/// PureTalk behind the facade.
pub(crate) struct PureTalk;

impl VendorApi for PureTalk {
    const VENDOR: Vendor = Vendor::PureTalk;
    const CREDENTIALS: &'static [&'static str] = &["PURETALK_API_KEY"];
    const GET_OPERATION: Option<&'static str> = Some("getAssistant");
    const LIST_OPERATION: Option<&'static str> = Some("listAssistants");
    const FIELDS: &'static [FieldMap<Self::Bot>] = &[
        field!(Name at "name", text |b| b.name),
        field!(Instructions at "prompt", text |b| b.prompt),
        field!(Model at "model", text |b| b.model),
        field!(Greeting at "begin_message", text |b| b.begin_message),
        field!(Timezone at "timezone", text |b| b.timezone),
    ];
    const ERROR: ErrorShape = ErrorShape {
        code: &[],
        message: &["/msg"],
        field_errors: None,
        kinds: &[],
    };

    type Client = api::Client;
    type Body = api::types::UpdateAssistantRequest;
    type Bot = api::types::Assistant;

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
        &api::operations::UPDATE_ASSISTANT
    }

    async fn update(client: &Self::Client, bot: &BotRef, body: Self::Body) -> Result<(), Error> {
        let send = client
            .update_assistant()
            .assistant_id(bot.id.clone())
            .body(body)
            .send();
        let response = call::<Self, _, _, _>(client, send).await?;
        match response.failure() {
            Some(failure) => Err(Error::vendor_failure(Self::VENDOR, failure)),
            None => Ok(()),
        }
    }

    fn answer_failed(_read: bool, body: &serde_json::Value) -> Option<bool> {
        super::envelope_failed::<api::types::AssistantResponse>(body)
    }

    fn id(bot: &Self::Bot) -> String {
        bot.assistant_id.clone().unwrap_or_default()
    }

    /// PureTalk's spec types `assistant_id` `format: uuid` where it reads the assistant (`getAssistant`); the update takes the same id.
    fn canonical_id(id: &str) -> std::borrow::Cow<'_, str> {
        super::uuid_id(id)
    }

    async fn get(client: &Self::Client, bot: &BotRef) -> Result<Self::Bot, Error> {
        let id = uuid("assistant_id", &bot.id)?;
        let send = client.get_assistant().assistant_id(id).send();
        let response = call::<Self, _, _, _>(client, send).await?;
        if let Some(failure) = response.failure() {
            return Err(Error::vendor_failure(Self::VENDOR, failure));
        }
        response
            .into_inner()
            .results
            .ok_or_else(|| Error::decode(Self::VENDOR, "the answer has no `results`"))
    }

    /// DRF-style pages: `next` is set while more follow. Pages are asked
    /// for by number (the `next` URL would point at the vendor's own host,
    /// not at a base URL this client was given).
    async fn list_page(client: &Self::Client, page: u32) -> Result<Page<Self::Bot>, Error> {
        let page = i32::try_from(page)
            .map_err(|_| Error::decode(Self::VENDOR, "the list has more pages than `page` can count"))?;
        let send = client.list_assistants().page(page).limit(PAGE_SIZE).send();
        let answer = call::<Self, _, _, _>(client, send).await?.into_inner();
        Ok(Page {
            more: answer.next.is_some(),
            bots: answer.results,
        })
    }
}

impl crate::ChatbotsBuilder {
    /// PureTalk's API key (`X-API-KEY`).
    pub fn puretalk_api_key(self, key: impl Into<String>) -> Self {
        self.credential(Vendor::PureTalk, [key.into()])
    }
}

impl crate::Chatbots {
    /// The typed PureTalk client, with this client's auth, retries and
    /// timeouts, for everything vendor-specific.
    pub fn puretalk(&self) -> Result<&api::Client, Error> {
        self.typed::<PureTalk>()
    }
}

/// The bot id as the UUID the vendor's `{field}` takes.
fn uuid(field: &str, id: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(id).map_err(|_| {
        Error::invalid(Vendor::PureTalk, Subject::BotId(field.into()), format!("must be a UUID (got `{id}`)"))
    })
}
