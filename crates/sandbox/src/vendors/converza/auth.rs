//! Converza's auth: the key-pair exchange for a JWT-shaped token, and the
//! extractor every other route uses to check it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, State as Extract};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chatbots_converza::types;
use serde_json::json;
// Tokio's clock, as in `state.rs`: tests move it to expire tokens.
use tokio::time::Instant;

use super::errors::{Reply, fail, ok, reject};
use super::state::{Issued, now, text};
use super::{App, MAX_TOKENS};
use crate::extract::{Refusal, SpecFields};
use crate::support::{self, Problem};

/// Extractor: `Authorization: Bearer <token>` with a token issued here,
/// unaltered and unexpired.
pub(super) struct Auth;

impl FromRequestParts<App> for Auth {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Refusal> {
        app.authorize(&parts.headers).map(|()| Auth)
    }
}

impl App {
    /// Checks the bearer token: issued here, unaltered and unexpired.
    fn authorize(&self, headers: &axum::http::HeaderMap) -> Result<(), Refusal> {
        let Some(token) = support::bearer(headers).filter(|t| !t.is_empty()) else {
            return Err(reject(Problem::Unauthorized));
        };
        let mut keyring = self.keyring();
        let key_id = match keyring.tokens.get(token) {
            None => {
                return Err(fail(
                    StatusCode::UNAUTHORIZED,
                    "INVALID_TOKEN",
                    "Token inválido",
                ));
            }
            Some(issued) if Instant::now() >= issued.expires => {
                return Err(fail(
                    StatusCode::UNAUTHORIZED,
                    "TOKEN_EXPIRED",
                    "Token expirado",
                ));
            }
            // Routed here by its account (`router`); a token of another
            // account is not one this account issued.
            Some(issued) if issued.account != self.seat.index => {
                return Err(fail(
                    StatusCode::UNAUTHORIZED,
                    "INVALID_TOKEN",
                    "Token inválido",
                ));
            }
            Some(issued) => issued.key_id.clone(),
        };
        if let Some(key) = keyring.keys.iter_mut().find(|k| k.key_id == key_id) {
            key.last_used = Some(now());
        }
        Ok(())
    }
}

/// A JWT-shaped token for `key_id`: HS256 header, `{sub, iat, exp, jti}`
/// payload, a random signature (tokens are recognised by being issued, not
/// by their signature).
fn jwt(key_id: &str, ttl: Duration) -> String {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    support::jwt_shaped(&json!({
        "sub": key_id,
        "iat": iat,
        "exp": iat.saturating_add(ttl.as_secs()),
        "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

/// Whether an RFC 3339 time lies in the past (unparseable: no).
fn is_past(time: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(time).is_ok_and(|t| t < chrono::Utc::now())
}

pub(super) async fn create_token(
    Extract(app): Extract<App>,
    SpecFields(_, body): SpecFields<types::TokenRequest>,
) -> Reply {
    let key_id = text(&body, "key_id").unwrap_or_default();
    let secret = text(&body, "key_secret").unwrap_or_default();
    let mut keyring = app.keyring();
    let Some(key) = keyring
        .keys
        .iter_mut()
        .find(|k| k.key_id == key_id && k.secret == secret)
    else {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Credenciais inválidas",
        ));
    };
    if !key.is_active {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "KEY_REVOKED",
            "Chave API revogada",
        ));
    }
    if key.expires_at.as_deref().is_some_and(is_past) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "KEY_EXPIRED",
            "Chave API expirada",
        ));
    }
    key.last_used = Some(now());
    let account = key.account;
    let token = jwt(&key_id, app.ttl);
    let issued_at = Instant::now();
    if keyring.tokens.len() >= MAX_TOKENS {
        keyring.tokens.retain(|_, t| t.expires > issued_at);
    }
    keyring.tokens.insert(
        token.clone(),
        Issued {
            key_id,
            expires: issued_at + app.ttl,
            account,
        },
    );
    Ok(ok(
        StatusCode::OK,
        json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": app.ttl.as_secs(),
        }),
    ))
}
