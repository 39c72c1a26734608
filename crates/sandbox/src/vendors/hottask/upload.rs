//! The two-step upload: `GetPreUploadUrl` hands out an S3-style
//! pre-signed URL on this sandbox, and the `PUT` to it (standing in for S3:
//! no auth, S3's XML errors) makes the file usable.

use super::types;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http_body_util::{BodyExt, Limited};
use serde_json::json;

use super::EMULATED;
use super::auth::Auth;
use super::envelope::{Fail, respond};
use super::state::{App, File};
use crate::accounts::{self, Seat};
use crate::extract::SpecJson;
use crate::support;

fn encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `host[:port]` of the request, if it is one.
fn host(headers: &HeaderMap) -> String {
    support::header_str(headers, header::HOST.as_str())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1")
        .to_string()
}

/// The query parameter naming the account of a pre-signed upload URL, so
/// that its `PUT` (which carries no key) reaches that account's files.
const ACCOUNT_PARAMETER: &str = "X-Amz-Credential";

/// The account a pre-signed upload URL names (none: the default one).
pub(super) fn account_of(uri: &axum::http::Uri) -> Option<usize> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix(ACCOUNT_PARAMETER)?.strip_prefix('='))
        .and_then(accounts::named)
}

pub(super) async fn get_pre_upload_url(
    State(app): State<App>,
    _auth: Auth,
    seat: axum::Extension<Seat>,
    headers: HeaderMap,
    SpecJson(body): SpecJson<types::GetPreUploadUrlRequest>,
) -> Response {
    let host = host(&headers);
    respond(app.with(|store| {
        let name = body.file_name.trim();
        if name.is_empty() {
            return Err(Fail::invalid("fileName must not be empty"));
        }
        if name.contains('/') || name.contains('\\') {
            return Err(Fail::invalid(format!(
                "fileName must be a file name, not a path (got {name:?})"
            )));
        }
        let id = store.next_file;
        store.next_file += 1;
        store.files.insert(
            id,
            File {
                name: name.to_string(),
                uploaded: false,
            },
        );
        let signature = uuid::Uuid::new_v4().simple().to_string();
        // Only another account than the default one is named (account names
        // need no encoding).
        let account = if seat.is_default() {
            String::new()
        } else {
            format!("&{ACCOUNT_PARAMETER}={}", seat.name())
        };
        let url = format!(
            "http://{host}/{}/upload/{id}/{}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Date={}&X-Amz-Expires=600&X-Amz-SignedHeaders=host{account}&X-Amz-Signature={signature}",
            EMULATED.vendor.slug(),
            encode(name),
            Utc::now().format("%Y%m%dT%H%M%SZ"),
        );
        Ok(json!({"FileStoreId": id.to_string(), "PreUploadUrl": url}))
    }))
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/xml")],
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message></Error>"
        ),
    )
        .into_response()
}

/// Step 2 of an upload: the S3 pre-signed `PUT`, standing in for S3.
pub(super) async fn upload(
    State(app): State<App>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Body,
) -> Response {
    let Ok(Path((id, name))) = path else {
        return s3_error(StatusCode::BAD_REQUEST, "InvalidURI", "Invalid URI.");
    };
    let Ok(id) = id.parse::<i64>() else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    };
    let known = app.with(|store| store.files.get(&id).is_some_and(|f| f.name == name));
    if !known {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let bytes = match Limited::new(body, app.limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return s3_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            );
        }
    };
    app.with(|store| {
        if let Some(file) = store.files.get_mut(&id) {
            file.uploaded = true;
        }
    });
    let etag = format!("\"{:032x}\"", bytes.len());
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
