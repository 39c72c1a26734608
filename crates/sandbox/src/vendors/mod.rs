//! One module per emulated vendor (its state, fixtures, auth, handlers and
//! error shape), each exporting its [`Emulated`] entry, and the registry of
//! them.

mod converza;
mod hottask;
mod okchat;
mod puretalk;
mod streamskill;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::extract::BodyLimit;
use crate::support::Problem;
use crate::{Credentials, FaultRule, Faults, Settings, Vendor, bucket, server};

/// What the sandbox knows of a vendor it emulates; each vendor module
/// exports one as `EMULATED`.
pub(crate) struct Emulated {
    pub(crate) vendor: Vendor,
    pub(crate) credentials: Credentials,
    /// A seeded bot that accepts edits and reads back (the id the vendor's
    /// documentation pages use).
    pub(crate) demo_bot: &'static str,
    /// The id of the `n`th bot `--bots` seeds (from 1), deterministic so
    /// that scale tests can name them.
    pub(crate) seeded_bot: fn(usize) -> String,
    /// Its routes, below its base URL, with `Settings::bots` extra bots.
    pub(crate) router: fn(&Settings) -> Router,
    /// A shared failure in its documented error shape.
    pub(crate) render: fn(Problem) -> Response,
    /// How `Settings::rate_limit` applies to it.
    pub(crate) limiting: Limiting,
}

/// Where a vendor's rate limit is enforced.
pub(crate) enum Limiting {
    /// By its own router: a documented limiter with its own headers
    /// (StreamSkill).
    Own,
    /// By the generic per-credential bucket (`bucket.rs`), keyed by the
    /// value of this request header, the one carrying the credential.
    PerCredential(&'static str),
}

/// The registry: one line per emulated vendor. A vendor of
/// `chatbots_runtime::Vendor` without a line here is simply not emulated
/// (its base URL answers 404).
const EMULATED: &[Emulated] = &[
    streamskill::EMULATED,
    converza::EMULATED,
    okchat::EMULATED,
    puretalk::EMULATED,
    hottask::EMULATED,
];

/// `vendor`'s entry, if the sandbox emulates it.
pub(crate) fn emulated(vendor: Vendor) -> Option<&'static Emulated> {
    EMULATED.iter().find(|e| e.vendor == vendor)
}

/// The slugs of the emulated vendors, for messages.
pub(crate) fn slugs() -> Vec<&'static str> {
    EMULATED.iter().map(|e| e.vendor.slug()).collect()
}

/// Every emulated vendor under its slug, the admin routes under
/// `/_sandbox`, and the fault layer around them all.
pub(crate) fn app(settings: &Settings, faults: Faults) -> Router {
    let mut app = Router::new();
    for emulated in EMULATED {
        let mut router = (emulated.router)(settings);
        if let Limiting::PerCredential(header) = emulated.limiting
            && let Some(limit) = settings.rate_limit(emulated.vendor)
        {
            router = router.layer(axum::middleware::from_fn_with_state(
                bucket::Limiter::new(emulated.vendor, header, limit),
                bucket::rate_limit,
            ));
        }
        app = app.nest(&format!("/{}", emulated.vendor.slug()), router);
    }
    app.nest("/_sandbox", admin(faults.clone()))
        .fallback(server::no_route)
        .layer(axum::Extension(BodyLimit(settings.body_limit)))
        .layer(axum::middleware::from_fn_with_state(
            faults,
            server::apply_faults,
        ))
}

/// The sandbox credentials of `vendor`, if it emulates it.
pub(crate) fn credentials(vendor: Vendor) -> Option<Credentials> {
    emulated(vendor).map(|e| e.credentials)
}

/// The demo bot of `vendor`, if it emulates it.
pub(crate) fn demo_bot(vendor: Vendor) -> Option<&'static str> {
    emulated(vendor).map(|e| e.demo_bot)
}

/// `problem` in `vendor`'s error shape; plain JSON outside any emulated
/// vendor.
pub(crate) fn render(vendor: Option<Vendor>, problem: Problem) -> Response {
    match vendor.and_then(emulated) {
        Some(emulated) => (emulated.render)(problem),
        None => (
            problem.status(),
            axum::Json(serde_json::json!({"message": problem.message()})),
        )
            .into_response(),
    }
}

/// 429 in `vendor`'s error shape with `Retry-After: <retry_after>` (whole
/// seconds): what an injected `rate-limit` fault and every emulated rate
/// limit answer.
pub(crate) fn rate_limited(vendor: Option<Vendor>, retry_after: u64) -> Response {
    let mut response = render(vendor, Problem::RateLimited);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// What `GET /_sandbox/credentials` answers, for a sandbox reached at
/// `origin` (`http://127.0.0.1:8080`): per emulated vendor slug, its base
/// URL and its public credentials in the order the facade's
/// `credential_variables` name them (the key; Converza's key id, then its
/// secret), so that a client can configure itself without copying them.
///
/// ```json
/// {"vendors": {"okchat": {"base_url": "http://127.0.0.1:8080/okchat",
///                         "credentials": ["5a1d…"], "auth": "x-api-key: <key>"}}}
/// ```
pub(crate) fn credentials_document(origin: &str) -> serde_json::Value {
    let vendors: serde_json::Map<String, serde_json::Value> = EMULATED
        .iter()
        .map(|e| {
            let c = e.credentials;
            let secrets: Vec<&str> = std::iter::once(c.key).chain(c.secret).collect();
            (
                e.vendor.slug().to_string(),
                serde_json::json!({
                    "base_url": format!("{origin}/{}", e.vendor.slug()),
                    "credentials": secrets,
                    "auth": c.how,
                }),
            )
        })
        .collect();
    serde_json::json!({ "vendors": vendors })
}

/// The ids of the `count` bots `--bots` seeds for `vendor` (none for a
/// vendor it does not emulate).
pub(crate) fn seeded_bots(vendor: Vendor, count: usize) -> Vec<String> {
    emulated(vendor).map_or_else(Vec::new, |e| (1..=count).map(e.seeded_bot).collect())
}

/// `/_sandbox/faults`: GET lists the rules (one a line, in the `--fault`
/// syntax), POST adds one (that syntax as a text body), DELETE clears them. `/_sandbox/health`: 200.
/// `/_sandbox/credentials`: GET, every emulated vendor's base URL and
/// public credentials (see [`credentials_document`]).
fn admin(faults: Faults) -> Router {
    let list = faults.clone();
    let add = faults.clone();
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/credentials",
            get(|headers: axum::http::HeaderMap| async move {
                // The address the client reached us on is the one it can
                // reach the vendors on, whatever interface we are bound to.
                let host = crate::support::header_str(&headers, header::HOST.as_str())
                    .unwrap_or("127.0.0.1");
                axum::Json(credentials_document(&format!("http://{host}")))
            }),
        )
        .route(
            "/faults",
            get(move || {
                let rules = list.rules();
                // One rule a line, as POST takes it.
                async move { rules.iter().map(|r| format!("{r}\n")).collect::<String>() }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vendor_has_at_most_one_entry_and_its_own_credentials() {
        for vendor in Vendor::ALL {
            let entries = EMULATED.iter().filter(|e| e.vendor == vendor).count();
            assert!(entries <= 1, "{vendor} is registered {entries} times");
            if let Some(e) = emulated(vendor) {
                assert_eq!(e.credentials.vendor, vendor);
                assert!(!e.credentials.key.is_empty() && !e.demo_bot.is_empty());
            }
        }
    }
}
