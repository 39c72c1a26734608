//! The auth extractor: the raw key as the `Authorization` header, with no
//! scheme (`Bearer <key>` is refused, as the vendor refuses it).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;

use super::CREDENTIALS;
use super::envelope::{Fail, failure, render};
use crate::support::{self, Problem};

/// Extractor: the request carries the sandbox key; refused otherwise, in an
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
            [value] if value.as_bytes() == CREDENTIALS.key.as_bytes() => Ok(Auth),
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
