//! The auth extractor: the raw key as the `Authorization` header, with no
//! scheme (`Bearer <key>` is refused, as the vendor refuses it).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::envelope::{Fail, failure, render};
use crate::accounts::Seat;
use crate::support::{self, Problem};

/// The key a request presents: its one `Authorization` header, as sent.
pub(super) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok(),
        _ => None,
    }
}

/// Extractor: the request carries the account's key; refused otherwise, in an
/// HTTP 200 with `Success: false` and `Code: 401`.
pub(super) struct Auth;

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let values: Vec<_> = parts
            .headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .collect();
        match values.as_slice() {
            [] => Err(render(Problem::Unauthorized)),
            [_] if Seat::accepts(&parts.extensions, presented_key(&parts.headers)) => Ok(Auth),
            [_] if support::bearer(&parts.headers).is_some() => Err(failure(Fail::new(
                401,
                "Unauthorized: invalid secret key (send the raw key as the Authorization header, \
                 without a scheme such as Bearer)",
            ))),
            [_] => Err(render(Problem::Unauthorized)),
            _ => Err(failure(Fail::new(
                401,
                "Unauthorized: send exactly one Authorization header",
            ))),
        }
    }
}
