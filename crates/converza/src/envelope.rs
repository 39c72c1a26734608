//! Converza answers `{success, data, meta?}`; `success: false` is a failure
//! even under HTTP 2xx. The failure detail is not documented: like
//! `ErrorResponse`, the envelopes read an optional `message` and an `error`
//! of unknown type (see the spec).

use chatbots_runtime::{Envelope, VendorFailure};
use serde_json::Value;

use crate::types;

/// The vendor's code and message from the inferred failure fields:
///
/// - `message` (a string) is the message;
/// - `error` as an object gives `error.code` (string or number) as the code,
///   and `error.message` as the message when there is no top-level one;
/// - `error` as a string is a code when it looks like one (no whitespace,
///   e.g. `NOT_FOUND`), otherwise the message when there is no top-level one.
fn details(message: Option<&String>, error: Option<&Value>) -> VendorFailure {
    let mut failure = VendorFailure {
        code: None,
        message: message.filter(|m| !m.is_empty()).cloned(),
    };
    match error {
        Some(Value::Object(map)) => {
            failure.code = match map.get("code") {
                Some(Value::String(code)) if !code.is_empty() => Some(code.clone()),
                Some(Value::Number(code)) => Some(code.to_string()),
                _ => None,
            };
            if failure.message.is_none() {
                failure.message = map
                    .get("message")
                    .and_then(Value::as_str)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned);
            }
        }
        Some(Value::String(text)) if !text.is_empty() => {
            if text.chars().any(char::is_whitespace) {
                failure.message.get_or_insert_with(|| text.clone());
            } else {
                failure.code = Some(text.clone());
            }
        }
        _ => {}
    }
    failure
}

/// `impl Envelope` for success envelopes: a failure only when `success` is
/// `false` (absent counts as success, as the HTTP status already said so).
macro_rules! success_envelope {
    ($($name:ident),* $(,)?) => {$(
        impl Envelope for types::$name {
            fn failure(&self) -> Option<VendorFailure> {
                (self.success == Some(false))
                    .then(|| details(self.message.as_ref(), self.error.as_ref()))
            }
        }
    )*};
}

success_envelope!(
    TokenResponse,
    ApiKeyListResponse,
    ApiKeyResponse,
    CreatedApiKeyResponse,
    BotResponse,
    BotDetailResponse,
    BotListResponse,
    DocumentResponse,
    DocumentListResponse,
    DocumentUpdateResponse,
    TeamListResponse,
    CreateTeamResponse,
);

/// The error body of a 4xx/5xx is a failure unless it says `success: true`;
/// its code and message are read as for the success envelopes.
impl Envelope for types::ErrorResponse {
    fn failure(&self) -> Option<VendorFailure> {
        (self.success != Some(true)).then(|| details(self.message.as_ref(), self.error.as_ref()))
    }
}
