//! OkChat stand-in (stub: to be written).

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::support::Problem;
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::OkChat,
    key: "5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c",
    secret: None,
    how: "x-api-key: <key>",
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
