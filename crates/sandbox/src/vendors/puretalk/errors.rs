//! PureTalk's error shape `{"err": true, "msg": ...}` (DRF's, with the
//! status it answers) and its success envelope.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::extract::Refusal;
use crate::support::Problem;

/// A handler's answer: a success, or a failure.
pub(super) type Reply = Result<Response, Refusal>;

/// A shared failure in PureTalk's shape, as a handler's refusal.
pub(super) fn refuse(problem: Problem) -> Refusal {
    match problem {
        Problem::Unauthorized => fail(StatusCode::UNAUTHORIZED, "Invalid API key."),
        Problem::NoRoute => fail(StatusCode::NOT_FOUND, "Not found."),
        Problem::MethodNotAllowed => fail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed."),
        Problem::BadBody { status, reason } => fail(status, reason),
        // DRF answers a serializer's errors with 400.
        Problem::Invalid(violations) => fail(
            StatusCode::BAD_REQUEST,
            violations
                .iter()
                .map(|v| format!("{}: {}", v.field, v.rule))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Problem::RateLimited => fail(StatusCode::TOO_MANY_REQUESTS, "Request was throttled."),
        other @ (Problem::Injected(_) | Problem::Internal(_)) => {
            fail(other.status(), other.message())
        }
    }
}

/// `{"err": true, "msg": ...}` with `status`.
pub(super) fn fail(status: StatusCode, msg: impl Into<String>) -> Refusal {
    let msg: String = msg.into();
    Refusal::from((status, axum::Json(json!({"err": true, "msg": msg}))).into_response())
}

/// HTTP 200 with `body`.
pub(super) fn ok(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// HTTP 200 `{"msg", "err": false, "results"}`.
pub(super) fn success(msg: &str, results: Value) -> Response {
    ok(json!({"msg": msg, "err": false, "results": results}))
}

pub(crate) fn render(problem: Problem) -> Response {
    refuse(problem).into_response()
}

/// A 400 naming `field`.
pub(super) fn invalid(field: &str, rule: impl std::fmt::Display) -> Refusal {
    fail(StatusCode::BAD_REQUEST, format!("{field}: {rule}"))
}

pub(super) fn not_found_assistant() -> Refusal {
    fail(StatusCode::NOT_FOUND, "AI Assistant not found")
}

pub(super) fn not_found_voice() -> Refusal {
    fail(StatusCode::NOT_FOUND, "Voice not found")
}
