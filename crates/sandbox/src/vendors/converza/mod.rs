//! Converza stand-in: every operation of `specs/converza.yaml` (token
//! exchange, API keys, bots, documents, teams) under `/converza`, with
//! in-memory state.
//!
//! **Auth.** `POST /api/openapi/auth/token` exchanges a key pair
//! (`{"key_id": "cvz_key_sandbox", "key_secret": "cvz_secret_sandbox"}`, or
//! any pair made with `POST /api/openapi/v1/api-keys`) for a JWT-shaped
//! token (`header.payload.signature`, base64url; the payload has `sub`,
//! `iat`, `exp`, `jti`) that lives `Settings::converza_token_ttl` (default
//! 86 400 s, the `expires_in` it answers). Every other route wants
//! `Authorization: Bearer <that token>`. Tokens are checked against the ones
//! issued: a forged or altered one answers 401 `INVALID_TOKEN`, an expired
//! one 401 `TOKEN_EXPIRED`, none at all 401 `UNAUTHORIZED`.
//!
//! **Errors.** Converza documents no error format; the sandbox answers the
//! shape the spec infers (`ErrorResponse`):
//! `{"success": false, "message": "<pt-BR text>", "error": {"code": "<CODE>",
//! "message"?: "<detail>", "details"?: [{"field", "message"}]}}`. Codes:
//! `UNAUTHORIZED` (401, no bearer token), `INVALID_TOKEN` (401, never issued
//! or altered), `TOKEN_EXPIRED` (401), `INVALID_CREDENTIALS` (401, wrong key
//! pair), `KEY_REVOKED` / `KEY_EXPIRED` (401, exchange with an inactive or
//! expired key), `VALIDATION_ERROR` (422, `details` name each field),
//! `INVALID_JSON` (400), `INVALID_MULTIPART` (400), `INVALID_QUERY` (400),
//! `UNSUPPORTED_MEDIA_TYPE` (415), `PAYLOAD_TOO_LARGE` (413),
//! `BOT_NOT_FOUND` / `DOCUMENT_NOT_FOUND` / `TEAM_NOT_FOUND` /
//! `API_KEY_NOT_FOUND` (404), `TEAM_BANNED` (403), `EMAIL_TAKEN` (409),
//! `NOT_FOUND` (404, no route), `METHOD_NOT_ALLOWED` (405), `RATE_LIMITED`
//! (429), and for injected failures `INTERNAL_ERROR` (500),
//! `SERVICE_UNAVAILABLE` (503), `BAD_GATEWAY` (502), `GATEWAY_TIMEOUT`
//! (504) or `HTTP_<status>`.
//!
//! **Fixtures** (each sandbox starts with these):
//!
//! | kind | id | notes |
//! |---|---|---|
//! | API key | `cvz_key_sandbox` / `cvz_secret_sandbox` | the sandbox pair |
//! | API key | `cvz_key_abc123` / `cvz_secret_xyz789` | the docs' example pair, expires 2099 |
//! | API key | `cvz_key_revoked` / `cvz_secret_revoked` | inactive: the exchange answers `KEY_REVOKED` |
//! | API key | `cvz_key_expired` / `cvz_secret_expired` | expired 2023: the exchange answers `KEY_EXPIRED` |
//! | team | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | "Corporação ACME", Pro, paying; owner `ana@example.com` |
//! | team | `550e8400-e29b-41d4-a716-446655440000` | "Padaria do Bairro", Free, not paying |
//! | team | `aa0e8400-e29b-41d4-a716-446655440005` | "Spam Ltda", banned: creating bots or uploading into it answers 403 |
//! | bot | `770e8400-e29b-41d4-a716-446655440002` | "Bot de Suporte" (the seed page's id), ACME, with a question, an action and document `660e…0001` |
//! | bot | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | "Bot de Vendas", ACME, unpublished, empty lists |
//! | bot | `880e8400-e29b-41d4-a716-446655440003` | "Assistente Dinâmico", Padaria, temperature 0, chat model level 2 |
//! | document | `660e8400-e29b-41d4-a716-446655440001` | `contrato.pdf`, ACME |
//! | document | `3c90c3cc-0d44-4b50-8888-8dd25736052a` | `faq.txt`, ACME (the id in the seed request's `document_ids`) |
//! | document | `990e8400-e29b-41d4-a716-446655440004` | `politica.docx`, Padaria |
//!
//! **Behaviour not in the docs** (sandbox choices): `GET /bots/{id}` also
//! echoes the settings an update accepts (`identification_name`,
//! `use_audio_responses`, …), so every update can be read back;
//! `document_ids` must name documents of the bot's team (else 404
//! `DOCUMENT_NOT_FOUND`); creates answer 201; a new bot is published, with
//! role `support`, temperature 0.7 and the create page's example flags; a
//! new team is on its `plan_name` (default `Free`), not paying. There are
//! no delete operations in the spec, so none here.

mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chatbots_runtime::Violation;
use serde_json::{Map, Value, json};

use self::state::{ApiKey, Bot, Document, Issued, State, Team, User, now, text};
use crate::multipart;
use crate::support::{self, Problem};
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::Converza,
    key: "cvz_key_sandbox",
    secret: Some("cvz_secret_sandbox"),
    how: "POST /api/openapi/auth/token with {\"key_id\": <key>, \"key_secret\": <secret>}, then Authorization: Bearer <access_token>",
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::Converza,
    credentials: CREDENTIALS,
    demo_bot: "770e8400-e29b-41d4-a716-446655440002",
    router,
    render,
};

/// `CREDENTIALS.secret`, unwrapped at compile time.
const SANDBOX_KEY_SECRET: &str = match CREDENTIALS.secret {
    Some(secret) => secret,
    None => "",
};

/// Issued tokens kept before expired ones are forgotten.
const MAX_TOKENS: usize = 10_000;

/// What every handler shares: the state and the settings it needs.
#[derive(Clone)]
struct App {
    state: Arc<Mutex<State>>,
    ttl: Duration,
    body_limit: usize,
}

impl App {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the bearer token: issued here, unaltered and unexpired.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let Some(token) = support::bearer(headers).filter(|t| !t.is_empty()) else {
            return Err(reject(Problem::Unauthorized));
        };
        let mut state = self.lock();
        let key_id = match state.tokens.get(token) {
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
            Some(issued) => issued.key_id.clone(),
        };
        if let Some(key) = state.keys.iter_mut().find(|k| k.key_id == key_id) {
            key.last_used = Some(now());
        }
        Ok(())
    }
}

/// A handler's answer: a success, or a failure envelope (boxed, as a
/// `Response` is large).
type Reply = Result<Response, Refusal>;

/// A failure envelope on its way out of a handler.
struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Refusal(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// `problem` in the failure envelope, as a handler's refusal.
fn reject(problem: Problem) -> Refusal {
    render(problem).into()
}

pub(crate) fn router(settings: &Settings) -> Router {
    let app = App {
        state: Arc::new(Mutex::new(State::seeded())),
        ttl: settings.converza_token_ttl,
        body_limit: settings.body_limit,
    };
    Router::new()
        .route("/api/openapi/auth/token", post(create_token))
        .route(
            "/api/openapi/v1/api-keys",
            get(list_api_keys).post(create_api_key),
        )
        .route("/api/openapi/v1/api-keys/{key_id}", get(get_api_key))
        .route("/api/openapi/v1/bots", get(list_bots).post(create_bot))
        .route("/api/openapi/v1/bots/{id}", get(get_bot).patch(update_bot))
        .route(
            "/api/openapi/v1/documents",
            get(list_documents).post(upload_document),
        )
        .route(
            "/api/openapi/v1/documents/{id}",
            get(get_document).patch(update_document),
        )
        .route("/api/openapi/v1/teams", get(list_teams).post(create_team))
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(app)
}

// ------------------------------------------------------------------ errors

/// The failure envelope: `{success: false, message, error: {code, …}}`.
fn failure(
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

fn fail(status: StatusCode, code: &str, message: &str) -> Refusal {
    failure(status, code, message, Map::new()).into()
}

/// `fail` with a detail line in `error.message`.
fn fail_detail(status: StatusCode, code: &str, message: &str, detail: &str) -> Refusal {
    let mut error = Map::new();
    error.insert("message".into(), json!(detail));
    failure(status, code, message, error).into()
}

fn invalid(field: &str, rule: impl Into<String>) -> Violation {
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
    };
    refusal.into_response()
}

fn not_found(code: &str, message: &str, id: &str) -> Refusal {
    fail_detail(
        StatusCode::NOT_FOUND,
        code,
        message,
        &format!("no such id: {id}"),
    )
}

// ----------------------------------------------------------------- helpers

fn ok(status: StatusCode, data: Value) -> Response {
    (status, axum::Json(json!({"success": true, "data": data}))).into_response()
}

/// A validated JSON body as an object (the schemas all want one).
async fn json_body(
    app: &App,
    operation: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, Refusal> {
    match support::valid_json(Vendor::Converza, operation, headers, body, app.body_limit).await {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(reject(Problem::Invalid(vec![invalid(
            "(body)",
            "must be an object",
        )]))),
        Err(problem) => Err(reject(problem)),
    }
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok()
}

/// A path id that must be a UUID, lowercased.
fn path_uuid(path: Result<Path<String>, PathRejection>) -> Result<String, Refusal> {
    let Path(id) = path.map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_PATH",
            "Parâmetro de rota inválido",
            &e.body_text(),
        )
    })?;
    if is_uuid(&id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(reject(Problem::Invalid(vec![invalid(
            "id",
            format!("must be a UUID (got {id:?})"),
        )])))
    }
}

type Params = HashMap<String, String>;

fn query(query: Result<Query<Params>, QueryRejection>) -> Result<Params, Refusal> {
    query.map(|Query(q)| q).map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "Parâmetros de consulta inválidos",
            &e.body_text(),
        )
    })
}

/// `page` (≥ 1, default 1) and `limit` (1–100, default 20).
struct Paging {
    page: u64,
    limit: u64,
}

fn paging(params: &Params, violations: &mut Vec<Violation>) -> Paging {
    let mut number = |name: &str, default: u64, min: u64, max: u64| -> u64 {
        let Some(raw) = params.get(name) else {
            return default;
        };
        match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                let rule = if max == u64::MAX {
                    format!("must be an integer of at least {min} (got {raw:?})")
                } else {
                    format!("must be an integer between {min} and {max} (got {raw:?})")
                };
                violations.push(invalid(name, rule));
                default
            }
        }
    };
    let page = number("page", 1, 1, u64::MAX);
    let limit = number("limit", 20, 1, 100);
    Paging { page, limit }
}

/// A uuid query filter, lowercased.
fn uuid_param(params: &Params, name: &str, violations: &mut Vec<Violation>) -> Option<String> {
    let raw = params.get(name)?;
    if is_uuid(raw) {
        Some(raw.to_ascii_lowercase())
    } else {
        violations.push(invalid(name, format!("must be a UUID (got {raw:?})")));
        None
    }
}

/// Whether `haystack` contains `needle`, ignoring case.
fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// One page of `items` and its `Pagination`.
fn paginate(items: Vec<Value>, paging: &Paging) -> (Vec<Value>, Value) {
    let total = items.len() as u64;
    let skip = paging.page.saturating_sub(1).saturating_mul(paging.limit);
    let page: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(usize::MAX))
        .collect();
    let meta = json!({
        "page": paging.page,
        "limit": paging.limit,
        "total": total,
        "totalPages": total.div_ceil(paging.limit.max(1)),
    });
    (page, meta)
}

fn check(violations: Vec<Violation>) -> Result<(), Refusal> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(reject(Problem::Invalid(violations)))
    }
}

/// A team that exists and may receive bots and documents.
fn usable_team(state: &State, team_id: &str) -> Result<(), Refusal> {
    match state
        .teams
        .iter()
        .find(|t| t.id.eq_ignore_ascii_case(team_id))
    {
        None => Err(not_found(
            "TEAM_NOT_FOUND",
            "Equipe não encontrada",
            team_id,
        )),
        Some(team) if team.banned => Err(fail(
            StatusCode::FORBIDDEN,
            "TEAM_BANNED",
            "Equipe bloqueada",
        )),
        Some(_) => Ok(()),
    }
}

/// Every id in `body.document_ids` names a document of `team_id`.
fn documents_of_team(
    documents: &[Document],
    body: &Map<String, Value>,
    team_id: &str,
) -> Result<(), Refusal> {
    let ids = body
        .get("document_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for id in ids {
        let found = documents
            .iter()
            .any(|d| d.id.eq_ignore_ascii_case(id) && d.team_id.eq_ignore_ascii_case(team_id));
        if !found {
            return Err(not_found(
                "DOCUMENT_NOT_FOUND",
                "Documento não encontrado nesta equipe",
                id,
            ));
        }
    }
    Ok(())
}

// -------------------------------------------------------------------- auth

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

async fn create_token(Extract(app): Extract<App>, headers: HeaderMap, body: Body) -> Reply {
    let body = json_body(&app, "create_token", &headers, body).await?;
    let key_id = text(&body, "key_id").unwrap_or_default();
    let secret = text(&body, "key_secret").unwrap_or_default();
    let mut state = app.lock();
    let Some(key) = state
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
    let token = jwt(&key_id, app.ttl);
    let issued_at = Instant::now();
    if state.tokens.len() >= MAX_TOKENS {
        state.tokens.retain(|_, t| t.expires > issued_at);
    }
    state.tokens.insert(
        token.clone(),
        Issued {
            key_id,
            expires: issued_at + app.ttl,
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

// ---------------------------------------------------------------- api keys

async fn list_api_keys(Extract(app): Extract<App>, headers: HeaderMap) -> Reply {
    app.authorize(&headers)?;
    let state = app.lock();
    Ok(ok(
        StatusCode::OK,
        Value::Array(state.keys.iter().map(ApiKey::json).collect()),
    ))
}

async fn create_api_key(Extract(app): Extract<App>, headers: HeaderMap, body: Body) -> Reply {
    app.authorize(&headers)?;
    let body = json_body(&app, "create_api_key", &headers, body).await?;
    let expires_at = match body.get("expires_at").and_then(Value::as_str) {
        None => None,
        Some(raw) => match chrono::DateTime::parse_from_rfc3339(raw) {
            Ok(time) => Some(
                time.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            Err(_) => {
                return Err(reject(Problem::Invalid(vec![invalid(
                    "expires_at",
                    format!("must be an ISO 8601 date-time (got {raw:?})"),
                )])));
            }
        },
    };
    let key = ApiKey {
        key_id: format!("cvz_key_{}", state::hex(16)),
        secret: format!("cvz_secret_{}", state::hex(32)),
        name: text(&body, "name").unwrap_or_default(),
        scope: "global".into(),
        is_active: true,
        expires_at,
        last_used: None,
        created_at: now(),
    };
    let data = json!({
        "key_id": key.key_id,
        "key_secret": key.secret,
        "name": key.name,
        "created_at": key.created_at,
    });
    app.lock().keys.push(key);
    Ok(ok(StatusCode::CREATED, data))
}

async fn get_api_key(
    Extract(app): Extract<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
    let Path(key_id) = path.map_err(|e| {
        fail_detail(
            StatusCode::BAD_REQUEST,
            "INVALID_PATH",
            "Parâmetro de rota inválido",
            &e.body_text(),
        )
    })?;
    let state = app.lock();
    match state.keys.iter().find(|k| k.key_id == key_id) {
        Some(key) => Ok(ok(StatusCode::OK, key.json())),
        None => Err(not_found(
            "API_KEY_NOT_FOUND",
            "Chave API não encontrada",
            &key_id,
        )),
    }
}

// -------------------------------------------------------------------- bots

async fn list_bots(
    Extract(app): Extract<App>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
    let params = query(params)?;
    let mut violations = Vec::new();
    let paging = paging(&params, &mut violations);
    let team_id = uuid_param(&params, "team_id", &mut violations);
    check(violations)?;
    let name = params.get("name");
    let state = app.lock();
    let bots: Vec<Value> = state
        .bots
        .iter()
        .filter(|b| team_id.as_deref().is_none_or(|t| b.team_id == t))
        .filter(|b| name.is_none_or(|n| contains(&b.name, n)))
        .map(Bot::json)
        .collect();
    let (bots, pagination) = paginate(bots, &paging);
    Ok(ok(
        StatusCode::OK,
        json!({"bots": bots, "pagination": pagination}),
    ))
}

async fn create_bot(Extract(app): Extract<App>, headers: HeaderMap, body: Body) -> Reply {
    app.authorize(&headers)?;
    let body = json_body(&app, "create_bot", &headers, body).await?;
    let team_id = text(&body, "team_id")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut state = app.lock();
    usable_team(&state, &team_id)?;
    documents_of_team(&state.documents, &body, &team_id)?;
    let mut bot = Bot::create(&body);
    bot.team_id = team_id;
    let data = bot.json();
    state.bots.push(bot);
    Ok(ok(StatusCode::CREATED, data))
}

async fn get_bot(
    Extract(app): Extract<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
    let id = path_uuid(path)?;
    let state = app.lock();
    match state.bots.iter().find(|b| b.id == id) {
        Some(bot) => Ok(ok(StatusCode::OK, bot.detail_json())),
        None => Err(not_found("BOT_NOT_FOUND", "Bot não encontrado", &id)),
    }
}

async fn update_bot(
    Extract(app): Extract<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    app.authorize(&headers)?;
    let id = path_uuid(path)?;
    let body = json_body(&app, "update_bot", &headers, body).await?;
    let mut guard = app.lock();
    let state = &mut *guard;
    let Some(bot) = state.bots.iter_mut().find(|b| b.id == id) else {
        return Err(not_found("BOT_NOT_FOUND", "Bot não encontrado", &id));
    };
    documents_of_team(&state.documents, &body, &bot.team_id)?;
    bot.apply(&body);
    Ok(ok(StatusCode::OK, bot.json()))
}

// --------------------------------------------------------------- documents

async fn list_documents(
    Extract(app): Extract<App>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
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

/// The file types Converza accepts, by extension.
const DOCUMENT_TYPES: [&str; 4] = ["pdf", "txt", "docx", "doc"];

async fn upload_document(Extract(app): Extract<App>, headers: HeaderMap, body: Body) -> Reply {
    app.authorize(&headers)?;
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

async fn get_document(
    Extract(app): Extract<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
    let id = path_uuid(path)?;
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

async fn update_document(
    Extract(app): Extract<App>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    app.authorize(&headers)?;
    let id = path_uuid(path)?;
    let body = json_body(&app, "update_document", &headers, body).await?;
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

// ------------------------------------------------------------------- teams

async fn list_teams(
    Extract(app): Extract<App>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Reply {
    app.authorize(&headers)?;
    let params = query(params)?;
    let mut violations = Vec::new();
    let paging = paging(&params, &mut violations);
    let paying = match params.get("paying").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            violations.push(invalid(
                "paying",
                format!("must be true or false (got {other:?})"),
            ));
            None
        }
    };
    check(violations)?;
    let name = params.get("name");
    let state = app.lock();
    let teams: Vec<Value> = state
        .teams
        .iter()
        .filter(|t| paying.is_none_or(|p| t.paying == p))
        .filter(|t| name.is_none_or(|n| contains(&t.name, n)))
        .map(Team::json)
        .collect();
    let (teams, meta) = paginate(teams, &paging);
    Ok((
        StatusCode::OK,
        axum::Json(json!({"success": true, "data": teams, "meta": meta})),
    )
        .into_response())
}

async fn create_team(Extract(app): Extract<App>, headers: HeaderMap, body: Body) -> Reply {
    app.authorize(&headers)?;
    let body = json_body(&app, "create_team", &headers, body).await?;
    let empty = Map::new();
    let user_fields = body
        .get("user")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let team_fields = body
        .get("team")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let team = Team::create(team_fields);
    let user = User::create(user_fields);
    let mut state = app.lock();
    if !user.email.is_empty()
        && state
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(&user.email))
    {
        return Err(fail_detail(
            StatusCode::CONFLICT,
            "EMAIL_TAKEN",
            "E-mail já usado",
            &format!("a user with e-mail {} already exists", user.email),
        ));
    }
    let data = json!({"team": team.json(), "user": user.json()});
    state.teams.push(team);
    state.users.push(user);
    Ok(ok(StatusCode::CREATED, data))
}
