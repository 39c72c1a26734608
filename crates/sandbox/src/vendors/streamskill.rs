//! StreamSkill stand-in (stub: to be written).

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::StreamSkill,
    key: "sandbox-streamskill-token",
    secret: None,
    how: "Authorization: Bearer <key>",
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
