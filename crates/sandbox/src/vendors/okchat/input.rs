//! What OKChat's handlers extract from a request besides the body: the
//! API key, the ids in the path, the query string.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{error, render};
use crate::accounts::Seat;
use crate::extract::Refusal;
use crate::support::{self, Problem};

/// The key a request presents: its `x-api-key`, trimmed.
pub(super) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    support::header_str(headers, "x-api-key").map(str::trim)
}

/// Extractor: the request carries `x-api-key: <the account's key>`; 401
/// otherwise.
pub(super) struct Auth;

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        if Seat::accepts(&parts.extensions, presented_key(&parts.headers)) {
            Ok(Auth)
        } else {
            Err(render(Problem::Unauthorized))
        }
    }
}

/// Extractor: the `{chatbot_id}` path segment, a UUID, lowercased; 400
/// otherwise.
pub(super) struct ChatbotId(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for ChatbotId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let path: Result<Path<String>, PathRejection> =
            Path::from_request_parts(parts, state).await;
        match path {
            Ok(Path(id)) => uuid_value("chatbotId", &id).map(ChatbotId),
            Err(rejection) => Err(error(StatusCode::BAD_REQUEST, rejection.body_text())),
        }
        .map_err(IntoResponse::into_response)
    }
}

/// Extractor: the `{chatbot_id}` and `{session_id}` path segments, UUIDs,
/// lowercased; 400 otherwise.
pub(super) struct ChatbotSession(pub(super) String, pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for ChatbotSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let path: Result<Path<(String, String)>, PathRejection> =
            Path::from_request_parts(parts, state).await;
        match path {
            Ok(Path((bot, session))) => uuid_value("chatbotId", &bot)
                .and_then(|bot| Ok(ChatbotSession(bot, uuid_value("sessionId", &session)?))),
            Err(rejection) => Err(error(StatusCode::BAD_REQUEST, rejection.body_text())),
        }
        .map_err(IntoResponse::into_response)
    }
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(len, part)| part.len() == *len && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A UUID path or query value, lowercased; 400 otherwise.
fn uuid_value(name: &str, value: &str) -> Result<String, Refusal> {
    if is_uuid(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(error(
            StatusCode::BAD_REQUEST,
            format!("{name} must be a UUID (got {value:?})"),
        ))
    }
}

/// The query string's pairs, percent-decoded (`+` is a space).
pub(super) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            Some(&byte) => out.push(byte),
            None => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The required UUID query parameter `name`.
pub(super) fn query_uuid(raw: Option<&str>, name: &str) -> Result<String, Refusal> {
    let pairs = query_pairs(raw);
    match pairs.iter().find(|(n, _)| n == name) {
        Some((_, value)) if !value.is_empty() => uuid_value(name, value),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            format!("Missing required query parameter `{name}` (a UUID)"),
        )),
    }
}
