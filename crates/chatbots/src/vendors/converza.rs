//! Converza: bots by UUID; a key pair exchanged for a cached JWT; failures
//! also reported inside 200 (`success: false`).

use std::num::NonZeroU64;

use chatbots_runtime::{ClientConfig, Envelope, Operation, SecretString};

use super::{Page, VendorApi, call};
use crate::converza as api;
use crate::error::{Error, ErrorShape, Subject};
use crate::mapping::{FieldMap, field};
use crate::model::{BotRef, Vendor};

/// Bots asked for per page: the documented maximum of `limit`.
const PAGE_SIZE: NonZeroU64 = NonZeroU64::new(100).expect("100 is not zero");

/// Converza behind the facade.
pub(crate) struct Converza;

impl VendorApi for Converza {
    const VENDOR: Vendor = Vendor::Converza;
    const CREDENTIALS: &'static [&'static str] = &["CONVERZA_KEY_ID", "CONVERZA_KEY_SECRET"];
    const GET_OPERATION: Option<&'static str> = Some("getBot");
    const LIST_OPERATION: Option<&'static str> = Some("listBots");
    const FIELDS: &'static [FieldMap<Self::Bot>] = &[
        field!(Name at "name", text |b| b.name),
        field!(Description at "description", text |b| b.description),
        field!(Instructions at "instructions", text |b| b.instructions),
        field!(Temperature at "temperature", number |b| b.temperature),
    ];
    const ERROR: ErrorShape = ErrorShape {
        code: &["/error/code", "/error"],
        message: &["/message", "/error/message"],
        field_errors: None,
        kinds: &[],
    };

    type Client = api::Client;
    type Body = api::types::UpdateBotRequest;
    type Bot = api::types::BotDetail;

    fn connect(
        secrets: &[SecretString],
        config: &ClientConfig,
        http: &reqwest::Client,
    ) -> Result<Self::Client, Error> {
        super::with_secrets(Self::VENDOR, secrets, |[key_id, key_secret]| {
            let auth = api::Auth::new(key_id.clone(), key_secret.clone());
            api::Client::with_http(auth, config, http.clone())
        })
    }

    fn update_operation() -> &'static Operation {
        &api::operations::UPDATE_BOT
    }

    async fn update(client: &Self::Client, bot: &BotRef, body: Self::Body) -> Result<(), Error> {
        let id = uuid("id", &bot.id)?;
        let send = client.update_bot().id(id).body(body).send();
        let response = refused_token(client, call::<Self, _, _, _>(client, send).await)?;
        match response.failure() {
            Some(failure) => Err(Error::vendor_failure(Self::VENDOR, failure)),
            None => Ok(()),
        }
    }

    fn answer_failed(read: bool, body: &serde_json::Value) -> Option<bool> {
        match read {
            true => super::envelope_failed::<api::types::BotDetailResponse>(body),
            false => super::envelope_failed::<api::types::BotResponse>(body),
        }
    }

    fn id(bot: &Self::Bot) -> String {
        bot.id.clone().unwrap_or_default()
    }

    /// Converza's spec types the bot id `format: uuid` (`BotId`).
    fn canonical_id(id: &str) -> std::borrow::Cow<'_, str> {
        super::uuid_id(id)
    }

    async fn get(client: &Self::Client, bot: &BotRef) -> Result<Self::Bot, Error> {
        let id = uuid("id", &bot.id)?;
        let send = client.get_bot().id(id).send();
        let response = refused_token(client, call::<Self, _, _, _>(client, send).await)?;
        if let Some(failure) = response.failure() {
            return Err(Error::vendor_failure(Self::VENDOR, failure));
        }
        response
            .into_inner()
            .data
            .ok_or_else(|| Error::decode(Self::VENDOR, "the answer has no `data`"))
    }

    /// Pages of [`PAGE_SIZE`] (the documented maximum of `limit`); more
    /// follow while `pagination.totalPages` is beyond this page.
    async fn list_page(client: &Self::Client, page: u32) -> Result<Page<Self::Bot>, Error> {
        let number = NonZeroU64::new(u64::from(page))
            .ok_or_else(|| Error::invalid(Self::VENDOR, Subject::Parameter("page".into()), "pages count from 1"))?;
        let send = client.list_bots().page(number).limit(PAGE_SIZE).send();
        let response = refused_token(client, call::<Self, _, _, _>(client, send).await)?;
        if let Some(failure) = response.failure() {
            return Err(Error::vendor_failure(Self::VENDOR, failure));
        }
        let data = response.into_inner().data.unwrap_or_default();
        let total_pages = data.pagination.and_then(|p| p.total_pages);
        let bots: Vec<_> = data.bots.into_iter().flatten().map(detail).collect();
        Ok(Page {
            // Without `pagination`, a full page may have a next one.
            more: match total_pages {
                Some(total) => total > i64::from(page),
                None => bots.len() as u64 == PAGE_SIZE.get(),
            },
            bots,
        })
    }
}

/// A bot of the list as the detail types it (the list's bot is the
/// detail without its actions, documents and questions).
fn detail(bot: api::types::Bot) -> api::types::BotDetail {
    api::types::BotDetail {
        allow_human: bot.allow_human,
        created_at: bot.created_at,
        description: bot.description,
        id: bot.id,
        instructions: bot.instructions,
        name: bot.name,
        openai_id: bot.openai_id,
        published: bot.published,
        role: bot.role,
        team_id: bot.team_id,
        temperature: bot.temperature,
        updated_at: bot.updated_at,
        vector_id: bot.vector_id,
        ..Default::default()
    }
}

/// A 401 on a call (not on the exchange) means the cached JWT was revoked:
/// the next call exchanges the key pair again.
fn refused_token<T>(client: &api::Client, result: Result<T, Error>) -> Result<T, Error> {
    if let Err(error) = &result
        && error.status() == Some(401)
    {
        client.runtime().auth().invalidate();
    }
    result
}

impl crate::ChatbotsBuilder {
    /// Converza's key pair, exchanged for a JWT that is cached and renewed.
    pub fn converza_keys(self, key_id: impl Into<String>, key_secret: impl Into<String>) -> Self {
        self.credential(Vendor::Converza, [key_id.into(), key_secret.into()])
    }
}

impl crate::Chatbots {
    /// The typed Converza client, with this client's auth, retries and
    /// timeouts, for everything vendor-specific.
    pub fn converza(&self) -> Result<&api::Client, Error> {
        self.typed::<Converza>()
    }
}

/// The bot id as the UUID the vendor's `{field}` takes.
fn uuid(field: &str, id: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(id).map_err(|_| {
        Error::invalid(Vendor::Converza, Subject::BotId(field.into()), format!("must be a UUID (got `{id}`)"))
    })
}
