//! StreamSkill's auth: `Authorization: Bearer <token>` on every route.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use super::render;
use crate::accounts::Seat;
use crate::support::{self, Problem};

/// Extractor: the request carries the account's token; the documented 401
/// (`unauthorized_http_exception`) otherwise.
pub(super) struct Auth;

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        if Seat::accepts(&parts.extensions, support::bearer(&parts.headers)) {
            Ok(Auth)
        } else {
            Err(render(Problem::Unauthorized))
        }
    }
}
