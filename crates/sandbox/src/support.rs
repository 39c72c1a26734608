//! What every vendor module uses: reading a body safely, headers, the
//! failures each vendor renders in its own error shape, and JWT-shaped
//! tokens. The spec check of JSON bodies is `extract.rs`.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use chatbots_runtime::Violation;
use http_body_util::{BodyExt, Limited};
use serde_json::Value;

/// A failure the shared code detects; each vendor module turns it into its
/// documented error shape (`vendors::<vendor>::render`).
#[derive(Debug)]
pub(crate) enum Problem {
    /// Missing or wrong credentials.
    Unauthorized,
    /// No route at this path (below the vendor's base URL).
    NoRoute,
    /// A route exists, but not for this method.
    MethodNotAllowed,
    /// The request body is unusable: not JSON, the wrong content type, or
    /// too large. `status` is 400, 415 or 413.
    BadBody { status: StatusCode, reason: String },
    /// The body breaks the constraints the spec documents.
    Invalid(Vec<Violation>),
    /// An injected 429 (the fault layer adds `Retry-After`).
    RateLimited,
    /// An injected failure with this status.
    Injected(StatusCode),
    /// The sandbox cannot serve the request as the spec says (a request
    /// schema that does not compile): 500, with the reason.
    Internal(String),
}

impl Problem {
    /// The HTTP status a vendor without a more specific rule uses.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Problem::Unauthorized => StatusCode::UNAUTHORIZED,
            Problem::NoRoute => StatusCode::NOT_FOUND,
            Problem::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Problem::BadBody { status, .. } => *status,
            Problem::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Problem::Injected(status) => *status,
            Problem::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// One line for a vendor's `message` field.
    pub(crate) fn message(&self) -> String {
        match self {
            Problem::Unauthorized => "Unauthenticated.".into(),
            Problem::NoRoute => "Not found.".into(),
            Problem::MethodNotAllowed => "Method not allowed.".into(),
            Problem::BadBody { reason, .. } => reason.clone(),
            Problem::Invalid(violations) => violations
                .iter()
                .map(|v| format!("{} {}", v.field, v.rule))
                .collect::<Vec<_>>()
                .join("; "),
            Problem::RateLimited => "Too Many Attempts.".into(),
            Problem::Injected(status) => format!(
                "{} (injected by the sandbox)",
                status.canonical_reason().unwrap_or("Server error")
            ),
            Problem::Internal(reason) => reason.clone(),
        }
    }
}

/// The value of header `name`, if it is valid text.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION.as_str())?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Reads a JSON request body: it must say `application/json` (or `+json`),
/// fit in `limit` bytes, and parse. Never panics, never waits for more than
/// `limit` bytes.
pub(crate) async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Value, Problem> {
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !(essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")) {
        return Err(Problem::BadBody {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reason: format!(
                "Content-Type must be application/json (got {})",
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            ),
        });
    }
    let bytes = read_body(body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|error| Problem::BadBody {
        status: StatusCode::BAD_REQUEST,
        reason: format!("request body is not valid JSON: {error}"),
    })
}

/// The whole request body, refused (413) beyond `limit` bytes without
/// reading further.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, Problem> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(Problem::BadBody {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            reason: format!("request body is larger than {limit} bytes"),
        }),
        Err(error) => Err(Problem::BadBody {
            status: StatusCode::BAD_REQUEST,
            reason: format!("could not read the request body: {error}"),
        }),
    }
}

/// The UUID of the `n`th bot `--bots` seeds for a vendor: v4-shaped,
/// `5eed<tag>-0000-4000-8000-<n in hex>`, so that every sandbox with the
/// same count has the same ids and a seeded id is recognisable at a glance.
pub(crate) fn seeded_uuid(tag: u16, n: usize) -> String {
    // Twelve hex digits hold any count a sandbox can store.
    let n = (n as u64) & 0xffff_ffff_ffff;
    format!("5eed{tag:04x}-0000-4000-8000-{n:012x}")
}

/// Unpadded base64url.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// A JWT-shaped token carrying `claims`: an HS256 header and a random
/// signature. The sandbox recognises its tokens by having issued them,
/// never by their signature.
pub(crate) fn jwt_shaped(claims: &Value) -> String {
    let signature: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
    format!(
        "{}.{}.{}",
        base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        base64url(claims.to_string().as_bytes()),
        base64url(&signature)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_values() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        assert_eq!(
            base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        );
    }

    #[test]
    fn seeded_uuids_are_uuids() {
        let id = seeded_uuid(0xc0, 250);
        assert_eq!(id, "5eed00c0-0000-4000-8000-0000000000fa");
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }

    #[test]
    fn jwt_shaped_tokens_have_three_parts_and_the_claims() {
        let token = jwt_shaped(&serde_json::json!({"sub": "k"}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1], base64url(br#"{"sub":"k"}"#));
    }
}
