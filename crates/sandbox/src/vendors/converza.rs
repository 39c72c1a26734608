//! Converza stand-in (stub: to be written).

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::Converza,
    key: "cvz_key_sandbox",
    secret: Some("cvz_secret_sandbox"),
    how: "POST /api/openapi/auth/token with {\"key_id\": <key>, \"key_secret\": <secret>}, then Authorization: Bearer <access_token>",
};

pub(crate) fn router(_settings: &Settings) -> Router {
    Router::new().fallback(|| async { render(Problem::NoRoute) })
}

pub(crate) fn render(problem: Problem) -> Response {
    (
        problem.status(),
        axum::Json(serde_json::json!({"message": problem.message()})),
    )
        .into_response()
}
