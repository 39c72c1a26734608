//! What Converza's handlers extract from a request besides the body: ids
//! in the path, paging and filters in the query.

use std::collections::HashMap;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chatbots_runtime::Violation;
use serde_json::{Value, json};

use super::errors::{fail_detail, invalid, reject};
use crate::extract::Refusal;
use crate::support::Problem;

pub(super) fn is_uuid(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok()
}

/// Extractor: the `{id}` path segment, a UUID, lowercased.
pub(super) struct UuidPath(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for UuidPath {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let path: Result<Path<String>, PathRejection> =
            Path::from_request_parts(parts, state).await;
        path_uuid(path).map(UuidPath)
    }
}

fn path_uuid(path: Result<Path<String>, PathRejection>) -> Result<String, Refusal> {
    let Path(id) = path.map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_PATH",
            "Parâmetro de rota inválido",
            &e.body_text(),
        )
    })?;
    if is_uuid(&id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(reject(Problem::Invalid(vec![invalid(
            "id",
            format!("must be a UUID (got {id:?})"),
        )])))
    }
}

pub(super) type Params = HashMap<String, String>;

pub(super) fn query(query: Result<Query<Params>, QueryRejection>) -> Result<Params, Refusal> {
    query.map(|Query(q)| q).map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "Parâmetros de consulta inválidos",
            &e.body_text(),
        )
    })
}

/// `page` (≥ 1, default 1; the spec's `int64`, so at most 2^63 − 1) and
/// `limit` (1–100, default 20).
pub(super) struct Paging {
    page: u64,
    limit: u64,
}

/// The largest `format: int64` value, as the `u64` the paging holds.
const INT64_MAX: u64 = i64::MAX.unsigned_abs();

pub(super) fn paging(params: &Params, violations: &mut Vec<Violation>) -> Paging {
    let mut number = |name: &str, default: u64, min: u64, max: u64| -> u64 {
        let Some(raw) = params.get(name) else {
            return default;
        };
        match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                let rule = if max == INT64_MAX {
                    format!("must be a 64-bit integer of at least {min} (got {raw:?})")
                } else {
                    format!("must be an integer between {min} and {max} (got {raw:?})")
                };
                violations.push(invalid(name, rule));
                default
            }
        }
    };
    let page = number("page", 1, 1, INT64_MAX);
    let limit = number("limit", 20, 1, 100);
    Paging { page, limit }
}

/// A uuid query filter, lowercased.
pub(super) fn uuid_param(
    params: &Params,
    name: &str,
    violations: &mut Vec<Violation>,
) -> Option<String> {
    let raw = params.get(name)?;
    if is_uuid(raw) {
        Some(raw.to_ascii_lowercase())
    } else {
        violations.push(invalid(name, format!("must be a UUID (got {raw:?})")));
        None
    }
}

/// Whether `haystack` contains `needle`, ignoring case.
pub(super) fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// One page of `items` and its `Pagination`.
pub(super) fn paginate(items: Vec<Value>, paging: &Paging) -> (Vec<Value>, Value) {
    let total = items.len() as u64;
    let skip = paging.page.saturating_sub(1).saturating_mul(paging.limit);
    let page: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(usize::MAX))
        .collect();
    let meta = json!({
        "page": paging.page,
        "limit": paging.limit,
        "total": total,
        "totalPages": total.div_ceil(paging.limit.max(1)),
    });
    (page, meta)
}

pub(super) fn check(violations: Vec<Violation>) -> Result<(), Refusal> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(reject(Problem::Invalid(violations)))
    }
}
