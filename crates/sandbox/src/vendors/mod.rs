//! One module per vendor: its routes, state, fixtures, auth and error shape.
//! Each exports `CREDENTIALS`, `router(&Settings)` and `render(Problem)`.

mod converza;
mod hottask;
mod okchat;
mod puretalk;
mod streamskill;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::support::Problem;
use crate::{Credentials, FaultRule, Faults, Settings, Vendor, server};

/// Every vendor under its slug, the admin routes under `/_sandbox`, and the
/// fault layer around them all.
pub(crate) fn app(settings: &Settings, faults: Faults) -> Router {
    Router::new()
        .nest("/streamskill", streamskill::router(settings))
        .nest("/converza", converza::router(settings))
        .nest("/okchat", okchat::router(settings))
        .nest("/puretalk", puretalk::router(settings))
        .nest("/hottask", hottask::router(settings))
        .nest("/_sandbox", admin(faults.clone()))
        .fallback(server::no_route)
        .layer(axum::middleware::from_fn_with_state(
            faults,
            server::apply_faults,
        ))
}

pub(crate) fn credentials(vendor: Vendor) -> Credentials {
    match vendor {
        Vendor::StreamSkill => streamskill::CREDENTIALS,
        Vendor::Converza => converza::CREDENTIALS,
        Vendor::OkChat => okchat::CREDENTIALS,
        Vendor::PureTalk => puretalk::CREDENTIALS,
        Vendor::HotTask => hottask::CREDENTIALS,
    }
}

/// A seeded bot per vendor that accepts edits and reads back (the ids the
/// vendors' documentation pages use).
pub(crate) fn demo_bot(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::StreamSkill => "12345",
        Vendor::Converza => "770e8400-e29b-41d4-a716-446655440002",
        Vendor::OkChat => "3317853e-0af2-427d-a56f-351a9587f48f",
        Vendor::PureTalk => "123e4567-e89b-12d3-a456-426614174000",
        Vendor::HotTask => "3254a9d0424c4806b9ea3d0763ccfxxx",
    }
}

/// `problem` in `vendor`'s error shape.
pub(crate) fn render(vendor: Option<Vendor>, problem: Problem) -> Response {
    match vendor {
        Some(Vendor::StreamSkill) => streamskill::render(problem),
        Some(Vendor::Converza) => converza::render(problem),
        Some(Vendor::OkChat) => okchat::render(problem),
        Some(Vendor::PureTalk) => puretalk::render(problem),
        Some(Vendor::HotTask) => hottask::render(problem),
        None => (
            problem.status(),
            axum::Json(serde_json::json!({"message": problem.message()})),
        )
            .into_response(),
    }
}

/// `/_sandbox/faults`: GET lists the rules, POST adds one (the `--fault`
/// syntax as a text body), DELETE clears them. `/_sandbox/health`: 200.
fn admin(faults: Faults) -> Router {
    let list = faults.clone();
    let add = faults.clone();
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/faults",
            get(move || {
                let rules = list.rules();
                async move { format!("{rules:#?}\n") }
            })
            .post(move |request: Request| {
                let faults = add.clone();
                async move {
                    let body = axum::body::to_bytes(request.into_body(), 4096)
                        .await
                        .unwrap_or_default();
                    match String::from_utf8_lossy(&body).trim().parse::<FaultRule>() {
                        Ok(rule) => {
                            faults.inject(rule);
                            (StatusCode::CREATED, "added\n".to_string())
                        }
                        Err(error) => (StatusCode::BAD_REQUEST, format!("{error}\n")),
                    }
                }
            })
            .merge(delete(move || {
                faults.clear();
                async { StatusCode::NO_CONTENT }
            })),
        )
        .route("/", post(|| async { StatusCode::NOT_FOUND }))
}
