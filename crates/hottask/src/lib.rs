//! Typed client for the HotTask "AI Agent" chatbot API (white-labelled as
//! NewOaks AI, SmarterBot, Neoagent and others), generated at build time from
//! `specs/hottask.yaml` by `chatbots-codegen`.
//!
//! Every operation of the spec is a method of [`Client`] that returns a
//! builder (`client.edit_chatbot().body(..).send().await`); request and
//! response types are in [`types`].
//!
//! # Authentication
//!
//! HotTask expects the raw secret key as the whole value of the
//! `Authorization` header, with no `Bearer` (or any other) prefix:
//! `Authorization: <Your-Secret-Key>`. [`header_auth`] builds exactly that;
//! the key is marked sensitive and never appears in `Debug` output.
//!
//! # Failures inside HTTP 200
//!
//! Every response is the envelope `{Data, Version, Success, Code, Message}`,
//! and HotTask reports business failures as `Success: false` inside an
//! HTTP 200. A successful `send()` therefore only means the HTTP exchange
//! worked: check the envelope with [`chatbots_runtime::Envelope::failure`],
//! implemented here for every response envelope and for [`types::ErrorEnvelope`]
//! (the body of documented 4XX/5XX responses, returned as
//! [`Error::ErrorResponse`]).
//!
//! # Example
//!
//! ```no_run
//! use chatbots_hottask::{Client, header_auth, types};
//! use chatbots_runtime::{ClientConfig, Envelope, SecretString};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretString::from(std::env::var("HOTTASK_SECRET_KEY")?);
//! let client = Client::with_config(header_auth(&key)?, &ClientConfig::default())?;
//!
//! let response = client
//!     .edit_chatbot()
//!     .body(
//!         types::EditChatbotRequest::builder()
//!             .serial_number("3254a9d0424c4806b9ea3d0763ccfxxx")
//!             .name("NewName".to_string()),
//!     )
//!     .send()
//!     .await?;
//!
//! match response.failure() {
//!     Some(failure) => eprintln!("HotTask refused: {:?} {:?}", failure.code, failure.message),
//!     None => println!("updated (Data = {:?})", response.data),
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
/// How HotTask AI Agent chatbot API requests are authenticated: one header, `authorization: <secret>`
/// (build it with [`header_auth`]).
pub type Auth = chatbots_runtime::HeaderAuth;

/// The failure an envelope reports, if any.
///
/// `Success` decides when present; without it, a `Code` outside 200–299 is
/// a failure. An empty `Message` (what HotTask sends on success) counts as
/// no message.
fn envelope_failure(
    success: Option<bool>,
    code: Option<i64>,
    message: Option<&str>,
) -> Option<chatbots_runtime::VendorFailure> {
    let failed = match success {
        Some(success) => !success,
        None => code.is_some_and(|code| !(200..300).contains(&code)),
    };
    failed.then(|| chatbots_runtime::VendorFailure {
        code: code.map(|code| code.to_string()),
        message: message.filter(|m| !m.is_empty()).map(str::to_owned),
    })
}

macro_rules! envelopes {
    ($($ty:ident),+ $(,)?) => {$(
        impl chatbots_runtime::Envelope for types::$ty {
            fn failure(&self) -> Option<chatbots_runtime::VendorFailure> {
                envelope_failure(self.success, self.code, self.message.as_deref())
            }
        }
    )+};
}

envelopes!(
    ErrorEnvelope,
    AddChatbotResponse,
    EditChatbotResponse,
    RemoveChatbotResponse,
    ModelListResponse,
    GetSourceResponse,
    EditKnowledgeResponse,
    GetGoogleSheetDataResponse,
    GetSessionResponse,
    ClientAskResponse,
    GetPreUploadUrlResponse,
    LeadListResponse,
    SendTwilioMessageResponse,
    MessageCreditsUsageResponse,
    ChatContentHistoryResponse,
    MessageCountResponse,
);
