//! The handlers of Converza's API keys: list, create, get.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use chatbots_converza::types;
use serde_json::{Value, json};

use super::App;
use super::auth::Auth;
use super::errors::{Reply, fail_detail, not_found, ok};
use super::state::{self, ApiKey, now, text};
use crate::extract::SpecFields;

pub(super) async fn list_api_keys(Extract(app): Extract<App>, _auth: Auth) -> Reply {
    let keyring = app.keyring();
    let own = keyring.keys.iter().filter(|k| k.account == app.seat.index);
    Ok(ok(
        StatusCode::OK,
        Value::Array(own.map(ApiKey::json).collect()),
    ))
}

pub(super) async fn create_api_key(
    Extract(app): Extract<App>,
    _auth: Auth,
    SpecFields(typed, body): SpecFields<types::CreateApiKeyRequest>,
) -> Reply {
    // `expires_at` is a date-time in the spec, so the generated type parsed
    // it already.
    let expires_at = typed
        .expires_at
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let key = ApiKey {
        key_id: format!("cvz_key_{}", state::hex(16)),
        secret: format!("cvz_secret_{}", state::hex(32)),
        name: text(&body, "name").unwrap_or_default(),
        scope: "global".into(),
        is_active: true,
        expires_at,
        last_used: None,
        created_at: now(),
        account: app.seat.index,
    };
    let data = json!({
        "key_id": key.key_id,
        "key_secret": key.secret,
        "name": key.name,
        "created_at": key.created_at,
    });
    app.keyring().keys.push(key);
    Ok(ok(StatusCode::CREATED, data))
}

pub(super) async fn get_api_key(
    Extract(app): Extract<App>,
    _auth: Auth,
    path: Result<Path<String>, PathRejection>,
) -> Reply {
    let Path(key_id) = path.map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_PATH",
            "Parâmetro de rota inválido",
            &e.body_text(),
        )
    })?;
    let keyring = app.keyring();
    let own = |k: &&ApiKey| k.key_id == key_id && k.account == app.seat.index;
    match keyring.keys.iter().find(own) {
        Some(key) => Ok(ok(StatusCode::OK, key.json())),
        None => Err(not_found(
            "API_KEY_NOT_FOUND",
            "Chave API não encontrada",
            &key_id,
        )),
    }
}
