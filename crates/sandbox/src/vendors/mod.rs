//! One module per emulated vendor (its state, fixtures, auth, handlers and
//! error shape), each exporting its [`Emulated`] entry, and the registry of
//! them.

mod converza;
mod hottask;
mod okchat;
mod puretalk;
pub(crate) mod streamskill;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::accounts::{ACCOUNTS, Account};
use crate::extract::BodyLimit;
use crate::support::Problem;
use crate::{Credentials, FaultRule, Faults, Settings, Vendor, bucket, server};

/// What the sandbox knows of a vendor it emulates; each vendor module
/// exports one as `EMULATED`.
pub(crate) struct Emulated {
    pub(crate) vendor: Vendor,
    /// Its accounts, in the order of `accounts::ACCOUNTS`: the default one
    /// (the documented credentials; its demo bot is the id the vendor's
    /// documentation pages use), then the second one.
    pub(crate) accounts: [Account; ACCOUNTS.len()],
    /// Its routes, below its base URL, with `Settings::bots` extra bots per
    /// account, each account served from its own state
    /// (`accounts::by_account`).
    pub(crate) router: fn(&Settings) -> Router,
    /// A shared failure in its documented error shape.
    pub(crate) render: fn(Problem) -> Response,
    /// How `Settings::rate_limit` applies to it.
    pub(crate) limiting: Limiting,
    /// What tests need to know of it (`crate::probe`).
    pub(crate) probe: crate::probe::Probe,
}

/// Where a vendor's rate limit is enforced.
pub(crate) enum Limiting {
    /// By its own router: a documented limiter with its own headers
    /// (StreamSkill), on by default with this limit.
    Own(crate::RateLimit),
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

/// `account` of `vendor` (a name of `accounts::ACCOUNTS`), if the sandbox
/// emulates the vendor and has the account.
pub(crate) fn account(vendor: Vendor, account: &str) -> Option<Account> {
    let index = crate::accounts::named(account)?;
    emulated(vendor).map(|e| e.accounts[index])
}

/// The sandbox credentials of `vendor`'s `account`, if it emulates it.
pub(crate) fn credentials(vendor: Vendor, name: &str) -> Option<Credentials> {
    account(vendor, name).map(|a| a.credentials)
}

/// The demo bot of `vendor`'s `account`, if it emulates it.
pub(crate) fn demo_bot(vendor: Vendor, name: &str) -> Option<&'static str> {
    account(vendor, name).map(|a| a.demo_bot)
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
/// URL and the default account's public credentials in the order the
/// facade's `credential_variables` name them (the key; Converza's key id,
/// then its secret), so that a client can configure itself without copying
/// them; under `accounts`, every other account's credentials in the same
/// order.
///
/// ```json
/// {"vendors": {"okchat": {"base_url": "http://127.0.0.1:8080/okchat",
///                         "credentials": ["5a1d…"], "auth": "x-api-key: <key>",
///                         "accounts": {"client-b": {"credentials": ["b7e2…"]}}}}}
/// ```
pub(crate) fn credentials_document(origin: &str) -> serde_json::Value {
    fn secrets(c: Credentials) -> Vec<&'static str> {
        std::iter::once(c.key).chain(c.secret).collect()
    }
    let vendors: serde_json::Map<String, serde_json::Value> = EMULATED
        .iter()
        .map(|e| {
            let [default, others @ ..] = &e.accounts;
            let accounts: serde_json::Map<String, serde_json::Value> = ACCOUNTS[1..]
                .iter()
                .zip(others)
                .map(|(name, account)| {
                    (
                        (*name).to_string(),
                        serde_json::json!({ "credentials": secrets(account.credentials) }),
                    )
                })
                .collect();
            (
                e.vendor.slug().to_string(),
                serde_json::json!({
                    "base_url": format!("{origin}/{}", e.vendor.slug()),
                    "credentials": secrets(default.credentials),
                    "auth": default.credentials.how,
                    "accounts": accounts,
                }),
            )
        })
        .collect();
    serde_json::json!({ "vendors": vendors })
}

/// The ids of the `count` bots `--bots` seeds in `vendor`'s `account`
/// (none for a vendor or account the sandbox does not have).
pub(crate) fn seeded_bots(vendor: Vendor, name: &str, count: usize) -> Vec<String> {
    account(vendor, name).map_or_else(Vec::new, |a| (1..=count).map(a.seeded_bot).collect())
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
                for account in e.accounts {
                    let c = account.credentials;
                    assert_eq!(c.vendor, vendor);
                    assert!(!c.key.is_empty() && !account.demo_bot.is_empty());
                }
            }
        }
    }

    /// Every probe's JSON texts parse (a test reading one would panic far
    /// from here), its dropped field is one of its shared fields, and its
    /// credential travels in the header the rate limit is keyed by.
    #[test]
    fn each_probe_is_consistent_with_its_module() {
        use crate::probe::{Auth, Call, Expect, FieldRead};

        fn parses(vendor: Vendor, what: &str, json: &str) {
            let json = json.replace("{session}", "1");
            assert!(
                serde_json::from_str::<serde_json::Value>(&json).is_ok(),
                "{vendor}: {what} is not JSON: {json}"
            );
        }
        fn call(vendor: Vendor, call: &Call) {
            assert!(call.path.starts_with('/'), "{vendor}: {}", call.path);
            assert!(
                axum::http::Method::from_bytes(call.method.as_bytes()).is_ok(),
                "{vendor}: {}",
                call.method
            );
            if let Some(body) = call.body_for("x") {
                parses(vendor, call.path, &body);
            }
        }
        for e in EMULATED {
            let (vendor, probe) = (e.vendor, &e.probe);
            for check in probe.success.iter().chain(probe.rate_limited) {
                if let Expect::Is(json) = check.expect {
                    parses(vendor, check.pointer, json);
                }
            }
            assert!(!probe.rate_limited.is_empty(), "{vendor}: a 429's shape");
            let drop = &probe.drop_field;
            for c in [&probe.read, &probe.write, &drop.update]
                .into_iter()
                .chain(probe.others)
            {
                call(vendor, c);
            }
            if let FieldRead::Get { call: c, .. } = &drop.read {
                call(vendor, c);
            }
            if let FieldRead::Chat { session, ask, .. } = &drop.read {
                call(vendor, session);
                call(vendor, ask);
            }
            parses(vendor, "drop_field.sent", drop.sent.0);
            parses(vendor, "drop_field.sent", drop.sent.1);
            assert!(
                probe
                    .shared_fields
                    .iter()
                    .any(|(name, _)| *name == drop.dropped),
                "{vendor}: drops `{}`, not one of its shared fields",
                drop.dropped
            );
            if let Limiting::PerCredential(header) = e.limiting {
                let carried = match &probe.auth {
                    Auth::Header(name) => name.to_ascii_lowercase(),
                    Auth::Bearer | Auth::Exchange(_) => "authorization".to_string(),
                };
                assert_eq!(carried, header, "{vendor}: the limit's key");
            }
        }
    }

    #[test]
    fn accounts_of_a_vendor_share_no_credential_bot_or_seeded_id() {
        for e in EMULATED {
            let [default, second] = e.accounts;
            let vendor = e.vendor;
            assert_ne!(default.credentials.key, second.credentials.key, "{vendor}");
            assert_eq!(
                default.credentials.secret.is_some(),
                second.credentials.secret.is_some(),
                "{vendor}: the same shape"
            );
            if default.credentials.secret.is_some() {
                assert_ne!(default.credentials.secret, second.credentials.secret);
            }
            assert_eq!(default.credentials.how, second.credentials.how, "{vendor}");
            assert_ne!(default.demo_bot, second.demo_bot, "{vendor}");
            // A second account's demo bot is its bot 0.
            assert_eq!(second.demo_bot, (second.seeded_bot)(0), "{vendor}");
            for n in [1, 2, 250] {
                assert_ne!((default.seeded_bot)(n), (second.seeded_bot)(n), "{vendor}");
                assert_ne!((default.seeded_bot)(n), second.demo_bot, "{vendor}");
            }
        }
    }
}
