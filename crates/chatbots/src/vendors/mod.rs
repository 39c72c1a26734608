//! The vendors behind the facade: one module each, behind one trait
//! ([`VendorApi`]), registered with one line in [`registry!`] below.
//!
//! A vendor's module holds everything the facade knows about it beyond its
//! spec: its mapping table (where each shared field goes in the update body
//! and how its typed read answer reports it), its typed calls, its envelope
//! handling, its credentials, its error shape and its client construction.
//! Everything else here is generic over [`VendorApi`].

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chatbots_runtime::{CallRecord, ClientConfig, Envelope, Operation, SecretString, VendorClient};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::not_configured;
use crate::error::{Error, ErrorShape, Subject, classify};
use crate::mapping::{self, Convert, FieldMap, Target};
use crate::model::{BotRef, Chatbot, ChatbotPatch, Field, Vendor};

/// One vendor as the facade drives it. Implemented by a unit type in the
/// vendor's module.
pub(crate) trait VendorApi: Sized + 'static {
    /// The vendor.
    const VENDOR: Vendor;
    /// The environment variables of its credentials, in the order
    /// [`connect`](Self::connect) takes the secrets.
    const CREDENTIALS: &'static [&'static str];
    /// The read operation, as the spec names it, if the vendor has one.
    const GET_OPERATION: Option<&'static str> = None;
    /// The list operation, as the spec names it, if the vendor has one.
    const LIST_OPERATION: Option<&'static str> = None;
    /// Where the bot id goes in the update body, when not in the path.
    const ID_IN_BODY: Option<Target> = None;
    /// Each shared field the vendor supports.
    const FIELDS: &'static [FieldMap<Self::Bot>];
    /// Where its error bodies keep code, message and field errors.
    const ERROR: ErrorShape;

    /// The generated client.
    type Client: VendorClient + fmt::Debug;
    /// The generated update request body (what [`VendorPatch`] carries).
    type Body: Clone + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The bot as the read answers type it.
    type Bot: Serialize + Send + 'static;

    /// The client, from the secrets named by [`CREDENTIALS`](Self::CREDENTIALS).
    fn connect(
        secrets: &[SecretString],
        config: &ClientConfig,
        http: &reqwest::Client,
    ) -> Result<Self::Client, Error>;

    /// The update operation, as the vendor crate's `operations` module
    /// types it (its schema validates update bodies).
    fn update_operation() -> &'static Operation;

    /// Rules between fields that a schema cannot say.
    fn check(_body: &Self::Body) -> Result<(), Error> {
        Ok(())
    }

    /// Sends the update.
    fn update(
        client: &Self::Client,
        bot: &BotRef,
        body: Self::Body,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The bot's id, as the read answer reports it.
    fn id(bot: &Self::Bot) -> String;

    /// Whether a 2xx answer of the update (`read == false`) or of the read
    /// whose body is `body` reports a failure that [`update`](Self::update)
    /// or [`get`](Self::get) turns into an error (the vendor's envelope):
    /// `Some(false)` for a vendor without one, `None` when `body` is not
    /// the typed answer. Kept next to the calls that check the envelope so
    /// that tests ask it ([`vendor_facts`]) instead of knowing each vendor.
    fn answer_failed(_read: bool, _body: &Value) -> Option<bool> {
        Some(false)
    }

    /// `id` in the form that tells bots apart (see
    /// [`BotRef::canonical`](crate::BotRef::canonical)): two ids name one
    /// bot exactly when their canonical forms are equal. The default takes
    /// an id as opaque, compared exactly; a vendor whose spec types the id
    /// (`format: uuid`, an integer) returns the form it sends
    /// ([`uuid_id`], [`integer_id`]).
    fn canonical_id(id: &str) -> Cow<'_, str> {
        Cow::Borrowed(id)
    }

    /// Reads one bot (only called when [`GET_OPERATION`](Self::GET_OPERATION) is set).
    fn get(
        _client: &Self::Client,
        _bot: &BotRef,
    ) -> impl Future<Output = Result<Self::Bot, Error>> + Send {
        async {
            Err(Error::unsupported(
                Self::VENDOR,
                Subject::Operation("get".into()),
            ))
        }
    }

    /// One page of the bots, counting from 1 (only called when
    /// [`LIST_OPERATION`](Self::LIST_OPERATION) is set). A vendor whose list
    /// does not page answers everything as page 1.
    fn list_page(
        _client: &Self::Client,
        _page: u32,
    ) -> impl Future<Output = Result<Page<Self::Bot>, Error>> + Send {
        async {
            Err(Error::unsupported(
                Self::VENDOR,
                Subject::Operation("list".into()),
            ))
        }
    }
}

/// One page of a vendor's list.
#[derive(Debug)]
pub(crate) struct Page<B> {
    /// The bots on it.
    pub bots: Vec<B>,
    /// Whether the vendor says that more pages follow.
    pub more: bool,
}

impl<B> Page<B> {
    /// Everything, on one page.
    pub fn all(bots: Vec<B>) -> Self {
        Page { bots, more: false }
    }
}

/// What the facade knows about a registered vendor without a client.
pub(crate) struct Registered {
    pub vendor: Vendor,
    /// The production base URL, from the vendor's crate (the spec's first
    /// `servers` entry).
    pub default_base_url: &'static str,
    pub credentials: &'static [&'static str],
    /// The limit the spec documents, if any (the vendor crate's `RATE_LIMIT`).
    pub rate_limit: Option<chatbots_runtime::RateLimit>,
    pub get_operation: Option<&'static str>,
    pub list_operation: Option<&'static str>,
    /// [`VendorApi::canonical_id`].
    pub canonical_id: fn(&str) -> Cow<'_, str>,
    /// Where a shared field goes in the update body, and how.
    pub field: fn(Field) -> Option<(Target, Option<Convert>)>,
    /// The update operation (its schema names the vendor's own fields).
    pub update_operation: fn() -> &'static Operation,
    /// [`VendorApi::ID_IN_BODY`].
    pub id_in_body: Option<Target>,
    /// [`VendorApi::ERROR`].
    pub error: &'static ErrorShape,
    /// [`VendorApi::answer_failed`].
    pub answer_failed: fn(bool, &Value) -> Option<bool>,
    /// The vendor's driver, with a client when `secrets` are given.
    pub connect: ConnectFn,
}

/// Makes a vendor's driver.
pub(crate) type ConnectFn = fn(Option<Connect<'_>>) -> Result<Arc<dyn Driver>, Error>;

/// What a client is built from.
pub(crate) struct Connect<'a> {
    pub secrets: &'a [SecretString],
    pub config: &'a ClientConfig,
    pub http: &'a reqwest::Client,
}

fn field_of<V: VendorApi>(field: Field) -> Option<(Target, Option<Convert>)> {
    V::FIELDS
        .iter()
        .find(|m| m.field == field)
        .map(|m| (m.target, m.convert))
}

fn connect<V: VendorApi>(with: Option<Connect<'_>>) -> Result<Arc<dyn Driver>, Error> {
    let client = match with {
        Some(with) => Some(V::connect(with.secrets, with.config, with.http)?),
        None => None,
    };
    Ok(Arc::new(Live::<V> { client }))
}

const fn entry<V: VendorApi>(
    default_base_url: &'static str,
    rate_limit: Option<chatbots_runtime::RateLimit>,
) -> Registered {
    Registered {
        vendor: V::VENDOR,
        default_base_url,
        credentials: V::CREDENTIALS,
        rate_limit,
        get_operation: V::GET_OPERATION,
        list_operation: V::LIST_OPERATION,
        canonical_id: V::canonical_id,
        field: field_of::<V>,
        update_operation: V::update_operation,
        id_in_body: V::ID_IN_BODY,
        error: &V::ERROR,
        answer_failed: V::answer_failed,
        connect: connect::<V>,
    }
}

/// What a registered vendor's facade module knows of its update and its
/// errors that its spec does not say, for tests and benchmarks that derive
/// their per-vendor data from the spec and the facade instead of keeping
/// tables of vendors. Not a stable API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct VendorFacts {
    /// The update operation's id, snake_case as the runtime names it
    /// (`updateChatbot` → `update_chatbot`).
    pub update_operation: &'static str,
    /// Whether the update is retried after a failure that may or may not
    /// have reached the vendor (the spec's decision).
    pub update_retry_safe: bool,
    /// The read operation, as the spec names it, if the vendor has one.
    pub get_operation: Option<&'static str>,
    /// Where the bot id goes in the update body (property names), when not
    /// in the path or query.
    pub id_in_body: Option<&'static [&'static str]>,
    /// JSON pointers where its error bodies keep a code, in the order read.
    pub error_code: &'static [&'static str],
    /// JSON pointers where its error bodies keep a message, in the order read.
    pub error_message: &'static [&'static str],
    /// The vendor's error codes (read at [`error_code`](Self::error_code))
    /// that decide an error's kind whatever its status.
    #[allow(
        clippy::type_complexity,
        reason = "the facade's `ErrorShape::kinds`, as it is"
    )]
    pub error_kinds: &'static [(&'static str, fn() -> crate::ErrorKind)],
    /// Whether a 2xx answer of the update (`false`) or of the read (`true`)
    /// with this JSON body reports a failure the facade turns into an
    /// error (`ErrorKind::Rejected`): `Some(false)` for a vendor without
    /// an envelope, `None` when the body is not the typed answer.
    pub answer_failed: fn(bool, &Value) -> Option<bool>,
}

/// The [`VendorFacts`] of `vendor`, `None` when it is not registered.
#[doc(hidden)]
pub fn vendor_facts(vendor: Vendor) -> Option<VendorFacts> {
    let found = find(vendor).ok()?;
    Some(VendorFacts {
        update_operation: (found.update_operation)().id,
        update_retry_safe: (found.update_operation)().retry_safe,
        get_operation: found.get_operation,
        id_in_body: found.id_in_body.map(|t| t.path),
        error_code: found.error.code,
        error_message: found.error.message,
        error_kinds: found.error.kinds,
        answer_failed: found.answer_failed,
    })
}

/// [`VendorApi::answer_failed`] of a vendor whose answer is typed `T`.
pub(crate) fn envelope_failed<T: DeserializeOwned + Envelope>(body: &Value) -> Option<bool> {
    T::deserialize(body)
        .ok()
        .map(|answer| answer.failure().is_some())
}

/// A pending facade call.
pub(crate) type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A vendor with (or without) its client: the calls of [`VendorApi`]
/// without its types.
pub(crate) trait Driver: fmt::Debug + Send + Sync {
    fn update<'a>(&'a self, bot: &'a BotRef, patch: &'a ChatbotPatch) -> Pending<'a, ()>;
    /// What [`update`](Driver::update) checks before sending, without
    /// sending.
    fn check(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error>;
    fn get<'a>(&'a self, bot: &'a BotRef) -> Pending<'a, Chatbot>;
    fn list_page(&self, page: u32) -> Pending<'_, Page<Chatbot>>;
    /// For the typed escape hatch ([`client`]).
    fn as_any(&self) -> &dyn Any;
}

/// A vendor's driver.
struct Live<V: VendorApi> {
    client: Option<V::Client>,
}

impl<V: VendorApi> fmt::Debug for Live<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(V::VENDOR.title())
            .field(&self.client)
            .finish()
    }
}

impl<V: VendorApi> Live<V> {
    fn client(&self) -> Result<&V::Client, Error> {
        self.client
            .as_ref()
            .ok_or_else(|| not_configured(V::VENDOR))
    }
}

impl<V: VendorApi> Driver for Live<V> {
    fn update<'a>(&'a self, bot: &'a BotRef, patch: &'a ChatbotPatch) -> Pending<'a, ()> {
        Box::pin(async move {
            let body = mapping::update_body::<V>(&bot.id, patch)?;
            V::check(&body)?;
            V::update(self.client()?, bot, body)
                .await
                .map_err(|e| e.about(bot, true))
        })
    }

    fn check(&self, bot: &BotRef, patch: &ChatbotPatch) -> Result<(), Error> {
        let body = mapping::update_body::<V>(&bot.id, patch)?;
        V::check(&body)?;
        self.client().map(drop)
    }

    fn get<'a>(&'a self, bot: &'a BotRef) -> Pending<'a, Chatbot> {
        Box::pin(async move {
            let found = V::get(self.client()?, bot)
                .await
                .map_err(|e| e.about(bot, false))?;
            mapping::view::<V>(found)
        })
    }

    fn list_page(&self, page: u32) -> Pending<'_, Page<Chatbot>> {
        Box::pin(async move {
            let found = V::list_page(self.client()?, page).await?;
            Ok(Page {
                bots: found
                    .bots
                    .into_iter()
                    .map(mapping::view::<V>)
                    .collect::<Result<_, _>>()?,
                more: found.more,
            })
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The typed client of `V` in `driver`, for the escape-hatch accessors.
pub(crate) fn client<V: VendorApi>(driver: Option<&dyn Driver>) -> Result<&V::Client, Error> {
    driver
        .and_then(|d| d.as_any().downcast_ref::<Live<V>>())
        .ok_or_else(|| not_configured(V::VENDOR))?
        .client()
}

/// Runs one generated call of `client`, classifying its failure: the
/// credentials are obtained first, so that a refused token exchange is a
/// typed error; a vendor message that echoes a credential does not carry it
/// into the error.
///
/// A generated call's future is kilobytes. It is boxed once here, so that
/// the futures around it (the vendor module's, the driver's) stay small
/// instead of copying it at every layer.
pub(crate) fn call<'a, V, C, T, E>(
    client: &'a C,
    call: impl Future<Output = Result<T, progenitor_client::Error<E>>> + Send + 'a,
) -> Pending<'a, T>
where
    V: VendorApi,
    C: VendorClient,
    T: Send + 'a,
    E: Serialize + Send + 'a,
{
    let call = Box::pin(call);
    Box::pin(async move {
        let runtime = client.runtime();
        client
            .ready()
            .await
            .map_err(|e| Error::auth(V::VENDOR, e).redacted(|t| runtime.redact(t)))?;
        let (result, record): (_, CallRecord) = chatbots_runtime::record(call).await;
        match result {
            Ok(found) => Ok(found),
            Err(e) => Err(classify(V::VENDOR, &V::ERROR, e, &record)
                .await
                .redacted(|t| runtime.redact(t))),
        }
    })
}

/// Every registered vendor: its Cargo feature, its generated crate, its
/// module here and [`VendorApi`] type (also the name of its [`Vendor`] and
/// [`VendorPatch`] variant), and the generated type of its update body.
macro_rules! registry {
    ($(
        $(#[doc = $doc:literal])*
        $feature:literal: $krate:ident => $module:ident::$api:ident(types::$body:ident),
    )*) => {
        #[cfg(not(any($(feature = $feature),*)))]
        compile_error!("enable at least one vendor feature of `chatbots`, e.g. `features = [\"okchat\"]`");

        $(
            #[cfg(feature = $feature)]
            mod $module;
        )*

        /// The typed vendor crates, for everything vendor-specific.
        pub mod crates {
            $(
                #[cfg(feature = $feature)]
                #[doc = concat!("The generated `", $feature, "` client.")]
                pub use ::$krate as $module;
            )*
        }

        /// Vendor-specific settings: the vendor's own request body, as its
        /// crate generates it from the spec. Shared fields set in
        /// [`ChatbotPatch`] are merged into it; setting the same vendor
        /// field both ways is refused.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        // Built once per call; boxing would only make construction noisier.
        #[allow(clippy::large_enum_variant)]
        pub enum VendorPatch {
            $(
                $(#[doc = $doc])*
                #[cfg(feature = $feature)]
                $api(::$krate::types::$body),
            )*
        }

        impl VendorPatch {
            /// The vendor this patch is for.
            pub fn vendor(&self) -> Vendor {
                match self {
                    $(
                        #[cfg(feature = $feature)]
                        VendorPatch::$api(_) => <$module::$api as VendorApi>::VENDOR,
                    )*
                }
            }

            /// The body inside, to be taken as its vendor's type.
            pub(crate) fn body(&self) -> &dyn Any {
                match self {
                    $(
                        #[cfg(feature = $feature)]
                        VendorPatch::$api(body) => body,
                    )*
                }
            }
        }

        impl VendorPatch {
            /// `vendor`'s own update-request fields from JSON, as its spec
            /// names them, read into the generated request type. A key the
            /// type does not have (at any depth) is refused as
            /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported),
            /// a value of the wrong type or a `null` as
            /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput):
            /// nothing is dropped silently. Ranges and enums are checked
            /// when the patch is used ([`Chatbots::check_update`](crate::Chatbots::check_update)).
            ///
            /// ```
            /// use chatbots::{ErrorKind, Vendor, VendorPatch};
            /// let fields = serde_json::json!({"voice_boost": true});
            /// let patch = VendorPatch::from_json(Vendor::PureTalk, fields.as_object().unwrap()).unwrap();
            /// assert_eq!(patch.vendor(), Vendor::PureTalk);
            /// let typo = serde_json::json!({"voice_bost": true});
            /// let err = VendorPatch::from_json(Vendor::PureTalk, typo.as_object().unwrap()).unwrap_err();
            /// assert!(matches!(err.kind(), ErrorKind::Unsupported { field } if field == "voice_bost"));
            /// ```
            pub fn from_json(
                vendor: Vendor,
                fields: &serde_json::Map<String, serde_json::Value>,
            ) -> Result<VendorPatch, Error> {
                match vendor {
                    $(
                        #[cfg(feature = $feature)]
                        v if v == <$module::$api as VendorApi>::VENDOR => {
                            body_from_json::<$module::$api>(fields).map(VendorPatch::$api)
                        }
                    )*
                    _ => match find(vendor) {
                        Err(e) => Err(e),
                        Ok(_) => Err(Error::config(Some(vendor), "the vendor has no patch type")),
                    },
                }
            }
        }

        $(
            #[cfg(feature = $feature)]
            impl From<::$krate::types::$body> for VendorPatch {
                fn from(body: ::$krate::types::$body) -> Self {
                    // The registry line and the module agree on the type.
                    let body: <$module::$api as VendorApi>::Body = body;
                    VendorPatch::$api(body)
                }
            }
        )*

        static REGISTRY: &[Registered] = &[
            $(
                #[cfg(feature = $feature)]
                entry::<$module::$api>(::$krate::DEFAULT_BASE_URL, ::$krate::RATE_LIMIT),
            )*
        ];
    };
}

/// `V`'s update body from JSON; see [`VendorPatch::from_json`].
fn body_from_json<V: VendorApi>(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<V::Body, Error> {
    use serde_json::Value;
    let vendor = V::VENDOR;
    if let Some((key, _)) = fields.iter().find(|(_, v)| v.is_null()) {
        return Err(Error::invalid(
            vendor,
            Subject::VendorField(key.as_str().into()),
            "has no value (leave the field out to keep the vendor's)",
        ));
    }
    let mut input = fields.clone();
    // The generated type cannot leave a required id out; an empty one
    // means "the bot's" (see `mapping::update_body`).
    if let Some(target) = V::ID_IN_BODY {
        input
            .entry(target.path[0])
            .or_insert_with(|| Value::from(""));
    }
    let body: V::Body = serde_json::from_value(Value::Object(input)).map_err(|e| {
        Error::invalid(
            vendor,
            Subject::VendorPatch,
            format!("does not fit {vendor}'s update request: {e}"),
        )
        .caused_by(e)
    })?;
    // Generated types skip keys they do not know: encode the body again
    // and refuse any key that did not survive.
    let again = serde_json::to_value(&body)
        .map_err(|e| Error::invalid(vendor, Subject::VendorPatch, e.to_string()))?;
    if let Some(lost) = lost_key(&Value::Object(fields.clone()), &again, "") {
        return Err(Error::unsupported(
            vendor,
            Subject::VendorField(lost.into()),
        ));
    }
    Ok(body)
}

/// The first key of `input` (dotted, at any depth) that `output` lacks.
fn lost_key(input: &serde_json::Value, output: &serde_json::Value, prefix: &str) -> Option<String> {
    use serde_json::Value;
    match (input, output) {
        (Value::Object(given), Value::Object(kept)) => given.iter().find_map(|(key, value)| {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match kept.get(key) {
                None => Some(path),
                Some(kept) => lost_key(value, kept, &path),
            }
        }),
        (Value::Array(given), Value::Array(kept)) => given
            .iter()
            .zip(kept)
            .enumerate()
            .find_map(|(i, (g, k))| lost_key(g, k, &format!("{prefix}[{i}]"))),
        _ => None,
    }
}

/// The canonical form of an id the spec types `format: uuid`: lower-case
/// and hyphenated, as `uuid::Uuid` displays it (and as the generated
/// clients send it); as written when it is not a UUID (it is refused when
/// used).
pub(crate) fn uuid_id(id: &str) -> Cow<'_, str> {
    match uuid::Uuid::parse_str(id) {
        Ok(uuid) => Cow::Owned(uuid.to_string()),
        Err(_) => Cow::Borrowed(id),
    }
}

/// The canonical form of an id the spec types as a 64-bit integer: its
/// decimal digits without `+` or leading zeros, as it is sent; as written
/// when it is not such an integer (it is refused when used).
pub(crate) fn integer_id(id: &str) -> Cow<'_, str> {
    match id.parse::<i64>() {
        Ok(n) => Cow::Owned(n.to_string()),
        Err(_) => Cow::Borrowed(id),
    }
}

/// A vendor's client from its `N` secrets (in the order of its
/// `CREDENTIALS`): refuses missing ones, and says a configuration failure
/// in the facade's terms.
fn with_secrets<const N: usize, C>(
    vendor: Vendor,
    secrets: &[SecretString],
    client: impl FnOnce(&[SecretString; N]) -> Result<C, chatbots_runtime::ConfigError>,
) -> Result<C, Error> {
    let secrets: &[SecretString; N] = secrets.try_into().map_err(|_| not_configured(vendor))?;
    client(secrets).map_err(|e| Error::config(Some(vendor), e.message))
}

registry! {
    /// StreamSkill: `language`, `count`, `interval`.
    "streamskill": chatbots_streamskill => streamskill::StreamSkill(types::EditAiChatbotsObject),
    /// Converza: `role`, `questions`, `chat_model_level`, …
    "converza": chatbots_converza => converza::Converza(types::UpdateBotRequest),
    /// OKChat: `personality_config`, `settings.snippet`, `is_public`, …
    "okchat": chatbots_okchat => okchat::OkChat(types::UpdateChatbotRequest),
    /// PureTalk: voice settings, reminders, call recording, …
    "puretalk": chatbots_puretalk => puretalk::PureTalk(types::UpdateAssistantRequest),
    /// HotTask: colours, rate limits, model key, … (`serialNumber` comes
    /// from the [`BotRef`](crate::BotRef)).
    "hottask": chatbots_hottask => hottask::HotTask(types::EditChatbotRequest),
}

/// Every vendor compiled into the facade, in the registry's order (which
/// means nothing: what users see is in `Vendor::ALL` order,
/// `VendorInfo::all`).
pub(crate) fn registered() -> impl Iterator<Item = &'static Registered> {
    REGISTRY.iter()
}

/// The registered vendor, or why it is not there.
pub(crate) fn find(vendor: Vendor) -> Result<&'static Registered, Error> {
    REGISTRY.iter().find(|r| r.vendor == vendor).ok_or_else(|| {
        Error::config(
            Some(vendor),
            format!(
                "the `{}` feature of the chatbots crate is not enabled",
                vendor.name()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_norway::Value;

    use super::registered;

    /// The id form a vendor's spec declares for the bot id its read
    /// operation takes in the path: `Some("uuid")`, `Some("integer")`, or
    /// `None` (an opaque string, or no read operation to say).
    fn spec_form(vendor: &str, get_operation: Option<&str>) -> Option<&'static str> {
        let path = format!("{}/../../specs/{vendor}.yaml", env!("CARGO_MANIFEST_DIR"));
        let get_operation = get_operation?;
        let text = std::fs::read_to_string(&path).expect("the spec is readable");
        let spec: Value = serde_norway::from_str(&text).expect("the spec is YAML");
        let operation = spec["paths"]
            .as_mapping()?
            .values()
            .filter_map(Value::as_mapping)
            .flat_map(|item| item.values())
            .find(|op| op["operationId"].as_str() == Some(get_operation))?;
        let resolve = |param: &Value| -> Value {
            match param["$ref"].as_str() {
                Some(at) => {
                    let name = at.rsplit('/').next().unwrap_or_default();
                    spec["components"]["parameters"][name].clone()
                }
                None => param.clone(),
            }
        };
        let id = operation["parameters"]
            .as_sequence()?
            .iter()
            .map(resolve)
            .find(|param| param["in"].as_str() == Some("path"))?;
        let schema = &id["schema"];
        match (schema["type"].as_str(), schema["format"].as_str()) {
            (Some("integer"), _) => Some("integer"),
            (_, Some("uuid")) => Some("uuid"),
            _ => None,
        }
    }

    /// What a vendor's `canonical_id` does, seen from outside.
    fn canonical_form(canonical_id: fn(&str) -> std::borrow::Cow<'_, str>) -> Option<&'static str> {
        let uuid = "3317853E-0AF2-427D-A56F-351A9587F48F";
        if canonical_id(uuid) == uuid.to_lowercase() {
            Some("uuid")
        } else if canonical_id("007") == "7" {
            Some("integer")
        } else {
            assert_eq!(canonical_id(uuid), uuid, "an opaque id is kept as written");
            None
        }
    }

    /// Each vendor module's id rule is the form its spec types the id in.
    #[test]
    fn each_vendors_id_rule_follows_its_spec() {
        for vendor in registered() {
            let name = vendor.vendor.name();
            assert_eq!(
                canonical_form(vendor.canonical_id),
                spec_form(name, vendor.get_operation),
                "{name}: `VendorApi::canonical_id` against specs/{name}.yaml"
            );
        }
    }
}
