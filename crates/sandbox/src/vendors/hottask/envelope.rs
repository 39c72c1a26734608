//! The envelope `{Data, Version, Success, Code, Message}`, and the
//! failures in it: the application's in an HTTP 200 with `Success: false`,
//! the web server's with their HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::support::Problem;

const VERSION: &str = "1.0.0";

/// A business-level failure: HTTP 200, `Success: false`.
#[derive(Debug)]
pub(super) struct Fail {
    code: u16,
    message: String,
}

impl Fail {
    pub(super) fn new(code: u16, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
        }
    }

    pub(super) fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(400, message)
    }

    pub(super) fn chatbot(serial: &str) -> Fail {
        Fail::new(404, format!("Chatbot not found: {serial}"))
    }
}

/// What a handler decides: the envelope's `Data`, or a failure.
pub(super) type Outcome = Result<Value, Fail>;

fn envelope(data: Option<Value>, success: bool, code: u16, message: &str) -> Value {
    let mut body = Map::new();
    if let Some(data) = data {
        body.insert("Data".into(), data);
    }
    body.insert("Version".into(), VERSION.into());
    body.insert("Success".into(), success.into());
    body.insert("Code".into(), code.into());
    body.insert("Message".into(), message.into());
    Value::Object(body)
}

fn with_status(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(super) fn ok(data: Value) -> Response {
    with_status(StatusCode::OK, envelope(Some(data), true, 200, ""))
}

/// Failure envelopes carry no `Data` (several operations type it as a
/// non-nullable integer or object).
pub(super) fn failure(fail: Fail) -> Response {
    with_status(
        StatusCode::OK,
        envelope(None, false, fail.code, &fail.message),
    )
}

pub(super) fn respond(outcome: Outcome) -> Response {
    match outcome {
        Ok(data) => ok(data),
        Err(fail) => failure(fail),
    }
}

/// `problem` in the vendor's shape: the application's failures in an HTTP 200
/// with `Success: false`; the web server's (no route, wrong method, body
/// too large) and injected ones with their HTTP status.
pub(crate) fn render(problem: Problem) -> Response {
    let status = problem.status();
    let message = problem.message();
    match problem {
        Problem::Unauthorized => failure(Fail::new(
            401,
            "Unauthorized: missing or invalid secret key (send it as the Authorization header)",
        )),
        Problem::Invalid(_) => failure(Fail::invalid(message)),
        Problem::BadBody { status, .. } if status != StatusCode::PAYLOAD_TOO_LARGE => {
            failure(Fail::new(status.as_u16(), message))
        }
        _ => {
            if status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::RESET_CONTENT
                || status == StatusCode::NOT_MODIFIED
            {
                return status.into_response();
            }
            let success = status.is_success();
            with_status(status, envelope(None, success, status.as_u16(), &message))
        }
    }
}
