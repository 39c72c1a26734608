//! OKChat's error shape (the spec's loose `ErrorResponse`): `{"error":
//! "<HTTP reason>", "message": "<what went wrong>"}`, with `details` for
//! validation failures.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::extract::Refusal;
use crate::support::Problem;

/// A handler's answer: a success, or a refusal in the error shape.
pub(super) type Reply = Result<Response, Refusal>;

pub(crate) fn render(problem: Problem) -> Response {
    let status = match &problem {
        Problem::Invalid(_) => StatusCode::BAD_REQUEST,
        other => other.status(),
    };
    let message = match &problem {
        Problem::Unauthorized => {
            "Invalid or missing API key (send it in the x-api-key header)".into()
        }
        Problem::NoRoute => "Route not found".into(),
        Problem::MethodNotAllowed => "Method not allowed".into(),
        other => other.message(),
    };
    let mut body = json!({"error": reason(status), "message": message});
    if let Problem::Invalid(violations) = &problem {
        body["details"] = violations
            .iter()
            .map(|v| json!({"field": v.field, "rule": v.rule}))
            .collect();
    }
    (status, Json(body)).into_response()
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// An error in OKChat's shape.
pub(super) fn error<T: From<Response>>(status: StatusCode, message: impl Into<String>) -> T {
    (
        status,
        Json(json!({"error": reason(status), "message": message.into()})),
    )
        .into_response()
        .into()
}

/// A 400 naming one field, like a schema violation.
pub(super) fn invalid(field: &str, rule: &str) -> Refusal {
    render(Problem::Invalid(vec![chatbots_runtime::Violation {
        field: field.into(),
        rule: rule.into(),
    }]))
    .into()
}

pub(super) fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}
