//! What PureTalk's handlers extract from a request besides the body: the
//! API key, path ids, DRF-style paging.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use super::errors::{Reply, fail, invalid, ok, refuse};
use crate::accounts::Seat;
use crate::extract::Refusal;
use crate::support::{Problem, header_str};

/// The key a request presents: its `X-API-KEY`.
pub(super) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, "x-api-key")
}

/// Extractor: the request carries `X-API-KEY: <the account's key>`; 401
/// otherwise (DRF's words for a missing header).
pub(super) struct Auth;

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Refusal> {
        let headers = &parts.headers;
        match presented_key(headers) {
            key @ Some(_) if Seat::accepts(&parts.extensions, key) => Ok(Auth),
            Some(_) => Err(refuse(Problem::Unauthorized)),
            None if headers.contains_key("x-api-key") => Err(refuse(Problem::Unauthorized)),
            None => Err(fail(
                StatusCode::UNAUTHORIZED,
                "Authentication credentials were not provided.",
            )),
        }
    }
}

/// The query string, or 400.
pub(super) type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// A path id as a canonical (lower-case, hyphenated) UUID.
pub(super) fn canonical_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

pub(super) struct Paging {
    pub(super) page: usize,
    pub(super) limit: usize,
}

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

pub(super) fn query_of(params: Params) -> Result<HashMap<String, String>, Refusal> {
    params.map(|Query(q)| q).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("Invalid query string: {e}"),
        )
    })
}

/// A query integer as the spec types `page` and `limit`: `integer`,
/// `format: int32`. Anything else is a 400; the range within is the
/// caller's.
pub(super) fn int32(query: &HashMap<String, String>, name: &str) -> Result<Option<i32>, Refusal> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) => i32::try_from(n).map(Some).map_err(|_| {
                invalid(
                    name,
                    format!(
                        "must be a 32-bit integer (int32), at most {} (got {n})",
                        i32::MAX
                    ),
                )
            }),
            Err(_) => Err(invalid(
                name,
                format!("must be an integer (got {:?})", text),
            )),
        },
    }
}

/// `page` and `limit`. The docs set no range: as DRF does, a `limit` below
/// 1 means the default (10) and one above 100 means 100, and a `page`
/// below 1, like one past the last, is 404 `Invalid page.`.
pub(super) fn paging(query: &HashMap<String, String>) -> Result<Paging, Refusal> {
    let page = int32(query, "page")?.unwrap_or(1);
    let limit = int32(query, "limit")?;
    let Ok(page) = usize::try_from(page) else {
        return Err(fail(StatusCode::NOT_FOUND, "Invalid page."));
    };
    if page == 0 {
        return Err(fail(StatusCode::NOT_FOUND, "Invalid page."));
    }
    let limit = match limit.map(usize::try_from) {
        Some(Ok(n)) if n >= 1 => n.min(MAX_LIMIT),
        _ => DEFAULT_LIMIT,
    };
    Ok(Paging { page, limit })
}

pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The URL of page `page` of the list at `uri`, other parameters kept.
pub(super) fn page_url(
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    query: &HashMap<String, String>,
    page: usize,
) -> String {
    let host = header_str(headers, header::HOST.as_str()).unwrap_or("127.0.0.1");
    let mut pairs: Vec<(&String, &String)> = query.iter().filter(|(k, _)| *k != "page").collect();
    pairs.sort();
    let mut parts: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    parts.push(format!("page={page}"));
    format!("http://{host}{}?{}", uri.path(), parts.join("&"))
}

/// A DRF page of `items`; a page past the last is 404 `Invalid page.`.
pub(super) fn drf_page(
    items: Vec<Value>,
    paging: &Paging,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    query: &HashMap<String, String>,
) -> Reply {
    let count = items.len();
    let pages = count.div_ceil(paging.limit).max(1);
    if paging.page > pages {
        return Err(fail(StatusCode::NOT_FOUND, "Invalid page."));
    }
    let start = (paging.page - 1).saturating_mul(paging.limit);
    let results: Vec<Value> = items.into_iter().skip(start).take(paging.limit).collect();
    let link = |page: usize| Value::String(page_url(headers, uri, query, page));
    Ok(ok(json!({
        "count": count,
        "next": if paging.page < pages { link(paging.page + 1) } else { Value::Null },
        "previous": if paging.page > 1 { link(paging.page - 1) } else { Value::Null },
        "results": results,
    })))
}
