//! Converza's failure envelope `{success: false, message, error: {code,
//! …}}` (the shape the spec infers; Converza documents none), and its
//! success envelope.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chatbots_runtime::Violation;
use serde_json::{Map, Value, json};

use crate::extract::Refusal;
use crate::support::Problem;

/// A handler's answer: a success, or a failure envelope.
pub(super) type Reply = Result<Response, Refusal>;

/// `problem` in the failure envelope, as a handler's refusal.
pub(super) fn reject(problem: Problem) -> Refusal {
    render(problem).into()
}

/// The failure envelope: `{success: false, message, error: {code, …}}`.
pub(super) fn failure(
    status: StatusCode,
    code: &str,
    message: &str,
    mut error: Map<String, Value>,
) -> Response {
    error.insert("code".into(), json!(code));
    (
        status,
        axum::Json(json!({"success": false, "message": message, "error": error})),
    )
        .into_response()
}

pub(super) fn fail(status: StatusCode, code: &str, message: &str) -> Refusal {
    failure(status, code, message, Map::new()).into()
}

/// `fail` with a detail line in `error.message`.
pub(super) fn fail_detail(status: StatusCode, code: &str, message: &str, detail: &str) -> Refusal {
    let mut error = Map::new();
    error.insert("message".into(), json!(detail));
    failure(status, code, message, error).into()
}

pub(super) fn invalid(field: &str, rule: impl Into<String>) -> Violation {
    Violation {
        field: field.into(),
        rule: rule.into(),
    }
}

pub(crate) fn render(problem: Problem) -> Response {
    let status = problem.status();
    let detail = problem.message();
    let refusal = match problem {
        Problem::Unauthorized => fail_detail(
            status,
            "UNAUTHORIZED",
            "Token de acesso ausente",
            "send Authorization: Bearer <access_token from POST /api/openapi/auth/token>",
        ),
        Problem::NoRoute => fail(status, "NOT_FOUND", "Rota não encontrada"),
        Problem::MethodNotAllowed => fail(status, "METHOD_NOT_ALLOWED", "Método não permitido"),
        Problem::BadBody { status, .. } => {
            let (code, message) = match status {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                    ("UNSUPPORTED_MEDIA_TYPE", "Content-Type não suportado")
                }
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ("PAYLOAD_TOO_LARGE", "Corpo da requisição muito grande")
                }
                _ => ("INVALID_JSON", "Corpo da requisição inválido"),
            };
            fail_detail(status, code, message, &detail)
        }
        Problem::Invalid(violations) => {
            let details: Vec<Value> = violations
                .iter()
                .map(|v| json!({"field": v.field, "message": v.rule}))
                .collect();
            let mut error = Map::new();
            error.insert("message".into(), json!(detail));
            error.insert("details".into(), Value::Array(details));
            failure(
                status,
                "VALIDATION_ERROR",
                &format!("Dados inválidos: {detail}"),
                error,
            )
            .into()
        }
        Problem::RateLimited => fail(
            status,
            "RATE_LIMITED",
            "Muitas requisições; tente novamente mais tarde",
        ),
        Problem::Injected(status) => {
            let code = match status.as_u16() {
                500 => "INTERNAL_ERROR".to_string(),
                502 => "BAD_GATEWAY".to_string(),
                503 => "SERVICE_UNAVAILABLE".to_string(),
                504 => "GATEWAY_TIMEOUT".to_string(),
                429 => "RATE_LIMITED".to_string(),
                other => format!("HTTP_{other}"),
            };
            fail_detail(status, &code, "Erro no servidor", &detail)
        }
        Problem::Internal(_) => fail_detail(status, "INTERNAL_ERROR", "Erro no servidor", &detail),
    };
    refusal.into_response()
}

pub(super) fn not_found(code: &str, message: &str, id: &str) -> Refusal {
    fail_detail(
        StatusCode::NOT_FOUND,
        code,
        message,
        &format!("no such id: {id}"),
    )
}

pub(super) fn ok(status: StatusCode, data: Value) -> Response {
    (status, axum::Json(json!({"success": true, "data": data}))).into_response()
}
