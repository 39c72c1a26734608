//! HotTask: chatbots by serial number, which goes in the update body;
//! no read endpoint; failures also reported inside 200 (`Success: false`).

use chatbots_runtime::{ClientConfig, Envelope, Operation, SecretString};

use super::{VendorApi, call};
use crate::error::{Error, ErrorShape};
use crate::hottask as api;
use crate::mapping::{Convert, FieldMap, Target, at, field};
use crate::model::{BotRef, FieldValue, Vendor};
use serde_json::Value;

/// HotTask behind the facade.
pub(crate) struct HotTask;

impl VendorApi for HotTask {
    const VENDOR: Vendor = Vendor::HotTask;
    const CREDENTIALS: &'static [&'static str] = &["HOTTASK_API_KEY"];
    const ID_IN_BODY: Option<Target> = Some(at!("serialNumber"));
    const FIELDS: &'static [FieldMap<Self::Bot>] = &[
        field!(Name at "Name"),
        field!(Instructions at "SystemMessage"),
        field!(Temperature at "Temperature", convert WHOLE_NUMBER),
        field!(Greeting at "WelcomeMessage"),
        field!(Language at "AIResponseLanguage", convert LANGUAGE_NAME),
        field!(Timezone at "TimeZone"),
    ];
    const ERROR: ErrorShape = ErrorShape {
        code: &["/Code"],
        message: &["/Message"],
        field_errors: None,
        kinds: &[],
    };

    type Client = api::Client;
    type Body = api::types::EditChatbotRequest;
    /// No read endpoint: nothing is ever read.
    type Bot = ();

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
        &api::operations::EDIT_CHATBOT
    }

    async fn update(client: &Self::Client, _bot: &BotRef, body: Self::Body) -> Result<(), Error> {
        // The serial number is in the body (`ID_IN_BODY`).
        let send = client.edit_chatbot().body(body).send();
        let response = call::<Self, _, _, _>(client, send).await?;
        match response.failure() {
            Some(failure) => Err(Error::vendor_failure(Self::VENDOR, failure)),
            None => Ok(()),
        }
    }

    fn answer_failed(read: bool, body: &Value) -> Option<bool> {
        match read {
            // No read: nothing answers one.
            true => Some(false),
            false => super::envelope_failed::<api::types::EditChatbotResponse>(body),
        }
    }

    fn id(_bot: &Self::Bot) -> String {
        String::new()
    }

    // `serialNumber` is a plain string in the spec (its examples end in
    // `xxx`): the default `canonical_id` compares it exactly.
}

/// `Temperature` is an integer: a whole number is sent as one, a fraction
/// refused, never rounded.
const WHOLE_NUMBER: Convert = ("whole numbers only", |value| match value {
    FieldValue::Number(n) if n.fract() == 0.0 && n.is_finite() && n.abs() < 9.0e15 => {
        Ok(Value::from(*n as i64))
    }
    FieldValue::Number(n) => Err(format!(
        "must be a whole number: {} takes an integer (got {n}); it is not rounded",
        Vendor::HotTask
    )),
    other => Err(format!("has the wrong type ({other:?})")),
});

/// `AIResponseLanguage` takes an English language name: an ISO 639-1 code
/// becomes one (`es` → `Spanish`); an unknown code is refused, never guessed.
const LANGUAGE_NAME: Convert = ("ISO code → English name", |value| match value {
    FieldValue::Text(code) => LANGUAGE_NAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, name)| Value::from(*name))
        .ok_or_else(|| {
            format!(
                "must be an ISO 639-1 code {} has a language name for (got `{code}`); \
                 set `AIResponseLanguage` in the vendor patch for others",
                Vendor::HotTask
            )
        }),
    other => Err(format!("has the wrong type ({other:?})")),
});

/// ISO 639-1 codes and the English names `AIResponseLanguage` takes. A
/// code not listed is refused rather than guessed.
const LANGUAGE_NAMES: &[(&str, &str)] = &[
    ("ar", "Arabic"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sv", "Swedish"),
    ("th", "Thai"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
];

impl crate::ChatbotsBuilder {
    /// HotTask's secret key (raw `Authorization`).
    pub fn hottask_api_key(self, key: impl Into<String>) -> Self {
        self.credential(Vendor::HotTask, [key.into()])
    }
}

impl crate::Chatbots {
    /// The typed HotTask client, with this client's auth, retries and
    /// timeouts, for everything vendor-specific.
    pub fn hottask(&self) -> Result<&api::Client, Error> {
        self.typed::<HotTask>()
    }
}
