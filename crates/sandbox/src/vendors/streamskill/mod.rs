//! StreamSkill stand-in: every operation of `specs/streamskill.yaml` under
//! `/streamskill` (in place of `https://api.streamskill.pro/v1`), with an
//! in-memory account.
//!
//! **Auth.** Every route takes `Authorization: Bearer sandbox-streamskill-token`;
//! a missing or wrong token gets the documented 401
//! (`unauthorized_http_exception`). Unknown routes answer 404 and known
//! paths with the wrong method 405, in the same `ApiError` shape.
//!
//! **Rate limit.** A token bucket per token (default burst 30, refill 2/s,
//! `limit::DOCUMENTED`, from the spec); requests without the sandbox token
//! share the documented guest bucket (burst 5, refill 0.5/s, never more
//! than the token's) and are then refused with 401. Every response the
//! module serves carries `X-Rate-Limit-Limit` (burst), `X-Rate-Limit-Remaining`
//! and `X-Rate-Limit-Reset` (seconds until the bucket is full); an empty
//! bucket answers 429 `too_many_requests_http_exception` with `Retry-After`.
//! `streamskill_rate_limit(None)` turns all of it off (and the headers).
//!
//! **Fixtures** (orders; the purchased amount is `quantity`):
//!
//! | id | order_type | status | tariff | quantity | use |
//! |---|---|---|---|---|---|
//! | 42 | ai_chatbots | active | 3 | 50 | the SDK tests' example order |
//! | 12345 | ai_chatbots | working | 7 | 100 | the seed page's order: language `auto`, count 50, interval 10 |
//! | 12346 | ai_chatbots | completed | 7 | 20 | actions and edits → 409 `purchase_done` |
//! | 12347 | twitch_viewers | working | 1 | 10 | edit-twitch-viewers; edit-ai-chatbots → 405 `action_unavailable` |
//! | 12348 | chatbots | stopped | 5 | 20 | edit-chatbot; start → `working` |
//! | 12349 | twitch_followers | awaiting | 6 | 100 | edit-twitch-followers; the channel may change once |
//! | 12350 | ai_chatbots | created | 3 | 10 | start → `working` |
//!
//! `--bots N` adds N `ai_chatbots` orders in progress (tariff 7, quantity
//! 100), ids 100001 to 100000 + N. Created orders get ids from 20001 on
//! (skipping seeded ones). Tariffs: 1 (twitch_viewers,
//! hourly, standard pricing), 3 (ai_chatbots, daily), 5 (chatbots, hourly),
//! 6 (twitch_followers, fixed count 100), 7 (ai_chatbots, hourly, graduated:
//! the SDK tests' example). The AI-chatbot tariffs list their `languages`
//! (`auto`, `en`, `ru`, `de`, `es`, `fr`, `pt`, `uk`, `tr`, `pl`); any other
//! `language` is a 422. The balance starts at 10 000 USD; a create or
//! prolong that costs more answers 402 (e.g. tariff 1, quantity 5000,
//! duration 720).
//!
//! Account `client-b` (token `client-b-streamskill-token`) holds the
//! tariffs, its own balance and only its own orders: `200000` ("Client B demo
//! bot" as its `comment`) and, with `--bots N`, 200001 to 200000 + N ("Client
//! B support bot n"), as the seeded ones above; its created orders get ids
//! from 220001 on. It has its own token bucket.
//!
//! **Rules.** Unknown order id (or a non-numeric one) → 404
//! `purchase_not_found_exception`; an edit for another order type → 405
//! `action_unavailable`; any action on a `completed` (or `failed`,
//! `deleted`, `refunded`) order → 409 `purchase_done`; starting an order
//! that is already `working`/`active` → 405. Edits of AI chatbots check
//! `count` ≤ the purchased amount and `interval` ≥ ceil(60 / count) (the
//! count after the edit), and answer 422 `validate_exception` with
//! `errors` (field → messages), as do the spec's types and ranges. Bodies
//! that are not JSON → 400 `bad_request_http_exception`; the wrong
//! Content-Type → 415; too large → 413. Orders show two sandbox extras:
//! `settings` (what the edit endpoints change) and `quantity`; `expand`
//! understands `tarif` and `chatbot` (tariffs: `panel`). `Accept-Language:
//! ru` localises tariff texts; a value other than `en` or `ru` (the spec's
//! `LanguageObject`) is a 422 naming the header.

mod auth;
mod edits;
mod fixtures;
mod handlers;
pub(crate) mod limit;
mod model;
mod probe;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use chatbots_streamskill::types;

use crate::accounts::{self, Account, Seat};
use crate::extract::spec_bodies;
use crate::support::{self, Problem};
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::StreamSkill,
    key: "sandbox-streamskill-token",
    secret: None,
    how: "Authorization: Bearer <key>",
};

/// The second account's token (`accounts::SECOND_ACCOUNT`).
pub(crate) const CREDENTIALS_B: Credentials = Credentials {
    key: "client-b-streamskill-token",
    ..CREDENTIALS
};

/// This vendor's entry in the registry (`vendors/mod.rs`).
pub(crate) const EMULATED: super::Emulated = super::Emulated {
    vendor: Vendor::StreamSkill,
    accounts: [
        Account {
            credentials: CREDENTIALS,
            demo_bot: "12345",
            seeded_bot: fixtures::seeded_id,
        },
        Account {
            credentials: CREDENTIALS_B,
            demo_bot: "200000",
            seeded_bot: fixtures::seeded_id_b,
        },
    ],
    router,
    render,
    // The documented bucket and its headers: `limit.rs`.
    limiting: super::Limiting::Own(limit::DOCUMENTED),
    probe: probe::PROBE,
};

// The spec does not require the prolong and edit bodies: an empty one is `{}`.
spec_bodies! {
    operations: chatbots_streamskill::operations,
    render: render,
    CREATE_PURCHASE => types::CartObject;
    BULK_STOP_PURCHASES => types::BulkIdsObject;
    PROLONG_PURCHASE => types::ProlongObject, optional: true;
    EDIT_AI_CHATBOTS => types::EditAiChatbotsObject, optional: true;
    EDIT_CHATBOT => types::EditChatbotObject, optional: true;
    EDIT_TWITCH_VIEWERS => types::EditTwitchViewersObject, optional: true;
    EDIT_TWITCH_FOLLOWERS => types::EditTwitchFollowersObject, optional: true;
}

pub(crate) fn router(settings: &Settings) -> Router {
    accounts::by_key(&EMULATED.accounts, support::bearer, |seat| {
        account_router(settings, seat)
    })
}

/// One account's routes, state and rate limiter (the guest bucket is the
/// default account's: a request without a known token goes there).
fn account_router(settings: &Settings, seat: Seat) -> Router {
    let app = Arc::new(handlers::App {
        account: Mutex::new(model::Account::seeded(settings.bots, seat)),
    });
    let limiter = limit::Limiter::new(settings.streamskill_rate_limit);
    Router::new()
        .route("/purchases", get(handlers::list_purchases))
        .route("/purchases/uncomplete", get(handlers::list_uncompleted))
        .route("/purchases/bulk", get(handlers::get_purchases_bulk))
        .route("/purchases/create", post(handlers::create_purchase))
        .route("/purchases/bulk-stop", post(handlers::bulk_stop))
        .route("/purchases/{order_id}", get(handlers::get_purchase))
        .route(
            "/purchases/{order_id}/start",
            post(handlers::start_purchase),
        )
        .route(
            "/purchases/{order_id}/prolong",
            post(handlers::prolong_purchase),
        )
        .route(
            "/purchases/{order_id}/edit-ai-chatbots",
            post(edits::edit_ai_chatbots),
        )
        .route(
            "/purchases/{order_id}/edit-chatbot",
            post(edits::edit_chatbot),
        )
        .route(
            "/purchases/{order_id}/edit-twitch-viewers",
            post(edits::edit_twitch_viewers),
        )
        .route(
            "/purchases/{order_id}/edit-twitch-followers",
            post(edits::edit_twitch_followers),
        )
        .route("/tarifs/{tarif_id}", get(handlers::get_tarif))
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .fallback(|| async { render(Problem::NoRoute) })
        .with_state(app)
        .layer(axum::middleware::from_fn(accept_language))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            limit::rate_limit,
        ))
}

/// The spec's `Accept-Language` (`LanguageObject`: `en` | `ru`, optional) on
/// every operation: any other value is a 422 naming the header.
async fn accept_language(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(value) = request.headers().get(header::ACCEPT_LANGUAGE)
        && !matches!(value.as_bytes(), b"en" | b"ru")
    {
        let got = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let mut errors = Errors::new();
        errors.insert(
            "Accept-Language".to_string(),
            vec![format!(
                "Accept-Language must be one of: en, ru (got \"{got}\")."
            )],
        );
        return invalid(errors);
    }
    next.run(request).await
}

/// Field → messages, as in a 422's `errors`.
pub(super) type Errors = BTreeMap<String, Vec<String>>;

/// `body` with `status` and StreamSkill's `Content-Type`.
pub(super) fn reply(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// The `ApiError` shape: `name`, `message`, `code` (0), `status`, `type`.
pub(super) fn error(status: StatusCode, name: &str, message: &str, kind: &str) -> Response {
    reply(
        status,
        &json!({
            "name": name,
            "message": message,
            "code": 0,
            "status": status.as_u16(),
            "type": kind,
        }),
    )
}

/// 404 `purchase_not_found_exception` (the seed page's `NotFound`).
pub(super) fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Purchase not found",
        &format!("Object not found: {id}"),
        "purchase_not_found_exception",
    )
}

/// 405 `action_unavailable` (the seed page's `NotAllowed`).
pub(super) fn not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "Action is unavailable for this order",
        "action_unavailable",
    )
}

/// 409 `purchase_done` (the seed page's `PurchaseDone`).
pub(super) fn purchase_done() -> Response {
    error(
        StatusCode::CONFLICT,
        "Purchase Done",
        "Order already completed",
        "purchase_done",
    )
}

/// 402: the errors page's "insufficient funds".
pub(super) fn insufficient_funds(price: f64, balance: f64) -> Response {
    error(
        StatusCode::PAYMENT_REQUIRED,
        "Payment Required",
        &format!("Insufficient funds: the order costs {price:.2}, the balance is {balance:.2}"),
        "insufficient_funds",
    )
}

/// 422 `validate_exception` with its `errors` map; like the seed page's
/// example, without `message`.
pub(super) fn invalid(errors: Errors) -> Response {
    reply(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({
            "name": "Bad Request",
            "errors": errors,
            "code": 0,
            "status": 422,
            "type": "validate_exception",
        }),
    )
}

/// `yii`-style type of a generic HTTP error: `bad_request_http_exception`.
fn http_exception(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    let snake: String = reason
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{snake}_http_exception")
}

pub(crate) fn render(problem: Problem) -> Response {
    match problem {
        Problem::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Your request was made with invalid credentials.",
            "unauthorized_http_exception",
        ),
        Problem::NoRoute => error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "Page not found.",
            "not_found_http_exception",
        ),
        Problem::MethodNotAllowed => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            "Method Not Allowed. This URL can not handle this request method.",
            "method_not_allowed_http_exception",
        ),
        Problem::BadBody { status, reason } => error(
            status,
            status.canonical_reason().unwrap_or("Bad Request"),
            &reason,
            &http_exception(status),
        ),
        Problem::Invalid(violations) => {
            let mut errors = Errors::new();
            for violation in violations {
                let field = if violation.field == "(body)" {
                    "body".to_string()
                } else {
                    violation.field
                };
                let message = format!("{field} {}", violation.rule);
                errors.entry(field).or_default().push(message);
            }
            invalid(errors)
        }
        Problem::RateLimited => error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Rate limit exceeded.",
            "too_many_requests_http_exception",
        ),
        Problem::Injected(StatusCode::INTERNAL_SERVER_ERROR) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Action failed",
            "Action not performed",
            "action_failed",
        ),
        Problem::Injected(status) => error(
            status,
            status.canonical_reason().unwrap_or("Error"),
            &Problem::Injected(status).message(),
            &http_exception(status),
        ),
        Problem::Internal(reason) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            &reason,
            &http_exception(StatusCode::INTERNAL_SERVER_ERROR),
        ),
    }
}
