//! The handlers of Converza's documents: list, upload (multipart), get,
//! rename.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chatbots_converza::types;
use serde_json::{Value, json};

use super::App;
use super::auth::Auth;
use super::bots::usable_team;
use super::errors::{Reply, fail_detail, invalid, not_found, ok, reject};
use super::input::{
    Params, UuidPath, check, contains, is_uuid, paginate, paging, query, uuid_param,
};
use super::state::{Document, now, text};
use crate::extract::SpecFields;
use crate::multipart;
use crate::support::{self, Problem};

pub(super) async fn list_documents(
    Extract(app): Extract<App>,
    _auth: Auth,
    params: Result<Query<Params>, QueryRejection>,
) -> Reply {
    let params = query(params)?;
    let mut violations = Vec::new();
    let paging = paging(&params, &mut violations);
    let team_id = uuid_param(&params, "team_id", &mut violations);
    check(violations)?;
    let name = params.get("name");
    let kind = params.get("type");
    let state = app.lock();
    let documents: Vec<Value> = state
        .documents
        .iter()
        .filter(|d| team_id.as_deref().is_none_or(|t| d.team_id == t))
        .filter(|d| name.is_none_or(|n| contains(&d.name, n)))
        .filter(|d| kind.is_none_or(|k| d.kind.eq_ignore_ascii_case(k)))
        .map(Document::json)
        .collect();
    let (documents, meta) = paginate(documents, &paging);
    Ok((
        StatusCode::OK,
        axum::Json(json!({"success": true, "data": documents, "meta": meta})),
    )
        .into_response())
}

/// The file types Converza accepts, by extension: the spec names them in
/// words (a multipart upload has no JSON schema to check).
const DOCUMENT_TYPES: [&str; 4] = ["pdf", "txt", "docx", "doc"];

pub(super) async fn upload_document(
    Extract(app): Extract<App>,
    _auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let content_type = support::header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let Some(boundary) = multipart::boundary(content_type) else {
        return Err(reject(Problem::BadBody {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reason: format!(
                "Content-Type must be multipart/form-data with a boundary (got {})",
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            ),
        }));
    };
    let bytes = support::read_body(body, app.body_limit)
        .await
        .map_err(reject)?;
    let Some(parts) = multipart::parse(&bytes, &boundary) else {
        return Err(fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_MULTIPART",
            "Formulário inválido",
            "the body is not a multipart/form-data form with the announced boundary",
        ));
    };
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let mut violations = Vec::new();
    let file = field("file");
    let mut kind = String::new();
    let mut file_name = String::new();
    match file {
        None => violations.push(invalid("file", "is required")),
        Some(part) => {
            file_name = part.file_name.clone().unwrap_or_default();
            kind = file_name
                .rsplit_once('.')
                .map(|(_, ext)| ext.to_ascii_lowercase())
                .unwrap_or_default();
            if !DOCUMENT_TYPES.contains(&kind.as_str()) {
                violations.push(invalid(
                    "file",
                    format!("must be a pdf, txt, docx or doc file (got {file_name:?})"),
                ));
            }
        }
    }
    let team_id = match field("team_id").map(|p| String::from_utf8_lossy(p.data).trim().to_string())
    {
        None => {
            violations.push(invalid("team_id", "is required"));
            String::new()
        }
        Some(id) if !is_uuid(&id) => {
            violations.push(invalid("team_id", format!("must be a UUID (got {id:?})")));
            String::new()
        }
        Some(id) => id.to_ascii_lowercase(),
    };
    let chars = match field("chars").map(|p| String::from_utf8_lossy(p.data).trim().to_string()) {
        None => 0,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                violations.push(invalid(
                    "chars",
                    format!("must be a non-negative integer (got {raw:?})"),
                ));
                0
            }
        },
    };
    check(violations)?;
    let size = file.map(|p| p.data.len() as u64).unwrap_or(0);
    let mut state = app.lock();
    usable_team(&state, &team_id)?;
    let document = Document::upload(&team_id, &file_name, &kind, size, chars);
    let data = document.json();
    state.documents.push(document);
    Ok(ok(StatusCode::CREATED, data))
}

pub(super) async fn get_document(
    Extract(app): Extract<App>,
    _auth: Auth,
    UuidPath(id): UuidPath,
) -> Reply {
    let state = app.lock();
    match state.documents.iter().find(|d| d.id == id) {
        Some(document) => Ok(ok(StatusCode::OK, document.json())),
        None => Err(not_found(
            "DOCUMENT_NOT_FOUND",
            "Documento não encontrado",
            &id,
        )),
    }
}

pub(super) async fn update_document(
    Extract(app): Extract<App>,
    _auth: Auth,
    UuidPath(id): UuidPath,
    SpecFields(_, body): SpecFields<types::UpdateDocumentRequest>,
) -> Reply {
    let mut state = app.lock();
    let Some(document) = state.documents.iter_mut().find(|d| d.id == id) else {
        return Err(not_found(
            "DOCUMENT_NOT_FOUND",
            "Documento não encontrado",
            &id,
        ));
    };
    let mut changes = Vec::new();
    if let Some(name) = text(&body, "name")
        && name != document.name
    {
        document.name = name;
        changes.push("name");
    }
    if !changes.is_empty() {
        document.updated_at = now();
    }
    Ok((
        StatusCode::OK,
        axum::Json(json!({
            "success": true,
            "data": document.json(),
            "meta": {"changes": changes},
        })),
    )
        .into_response())
}
