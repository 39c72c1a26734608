//! Errors, resilience, configuration and secrets of the facade, against
//! wiremock servers on loopback: every error kind at every vendor that can
//! produce it, failures inside HTTP 200, retries, configuration errors, and
//! that no credential leaks into logs, `Debug` or `Display`.

use std::collections::BTreeMap;
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatbots::{
    BotRef, ChatbotPatch, Chatbots, ChatbotsBuilder, Error, ErrorKind, OnOutage, Pacing,
    RetryPolicy, SharedPacing, Vendor,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

mod support;

use support::{ISSUED_TOKEN, VendorData};

/// Every credential the tests hand out, and the token the exchange issues:
/// distinctive, so that a leak is found by a plain substring search.
fn secrets() -> Vec<String> {
    support::secrets()
}

const CONVERZA_JWT: &str = ISSUED_TOKEN;

fn converza_key_id() -> String {
    support::secret("CONVERZA_KEY_ID")
}

fn converza_key_secret() -> String {
    support::secret("CONVERZA_KEY_SECRET")
}

fn okchat_key() -> String {
    support::secret("OKCHAT_API_KEY")
}

/// Converza's token exchange, from its spec.
fn token_path() -> &'static str {
    support::data(Vendor::Converza)
        .token_path
        .as_deref()
        .expect("Converza exchanges its key pair for a token")
}

/// Whether a request head (lower-case) is a token exchange of any vendor.
fn is_token_request(head: &str) -> bool {
    Vendor::ALL.into_iter().any(|v| {
        support::try_data(v)
            .ok()
            .and_then(|d| d.token_path.as_deref())
            .is_some_and(|p| head.contains(&p.to_lowercase()))
    })
}

// ---------------------------------------------------------------------------
// Per-vendor plumbing: credentials, the seed update and its wire shape, all
// from the vendor's spec and facade module (`support`).

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(1),
        ..Default::default()
    }
}

/// The test data of `vendor`.
fn case(vendor: Vendor) -> &'static VendorData {
    support::data(vendor)
}

/// The vendors with test data (the others are named on stderr).
fn vendors(test: &str) -> Vec<Vendor> {
    support::vendors(test)
}

/// Every vendor whose spec is in `specs/` documents what these tests need
/// (an example id, a success answer): a spec that loses an example fails
/// here instead of its vendor being skipped.
#[test]
fn every_vendor_in_specs_has_test_data() {
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");
    for vendor in Vendor::ALL {
        let spec = std::path::Path::new(specs).join(format!("{}.yaml", vendor.name()));
        let registered = chatbots::vendor_facts(vendor).is_some();
        match support::try_data(vendor) {
            Ok(data) => assert_eq!(data.vendor, vendor),
            Err(lacks) if registered && spec.exists() => panic!("{vendor}: {lacks}"),
            Err(lacks) => eprintln!("{vendor}: no test data ({lacks})"),
        }
    }
}

fn with_credentials(builder: ChatbotsBuilder, vendor: Vendor) -> ChatbotsBuilder {
    support::credentials(builder, vendor)
}

fn builder(vendor: Vendor, base_url: &str, retry: RetryPolicy) -> ChatbotsBuilder {
    with_credentials(Chatbots::builder(), vendor)
        .base_url(vendor, base_url)
        .retry(retry)
}

fn client(vendor: Vendor, server: &MockServer) -> Chatbots {
    client_with(vendor, server, fast_retries())
}

fn client_with(vendor: Vendor, server: &MockServer, retry: RetryPolicy) -> Chatbots {
    builder(vendor, &server.uri(), retry)
        .build()
        .expect("a valid configuration")
}

fn bot(vendor: Vendor) -> BotRef {
    case(vendor).bot_ref()
}

/// A patch the vendor accepts.
fn patch(vendor: Vendor) -> ChatbotPatch {
    case(vendor).patch()
}

/// The update's method and path.
fn update_route(vendor: Vendor) -> (&'static str, String) {
    let case = case(vendor);
    (case.method.as_str(), case.path.clone())
}

/// The update's operation id, as the runtime's tracing span names it.
fn operation(vendor: Vendor) -> &'static str {
    case(vendor).facts.update_operation
}

/// The header that carries the credential, and its expected value.
fn auth_header(vendor: Vendor) -> (String, String) {
    case(vendor).auth_header()
}

/// A mock of the vendor's update request.
fn update_mock(vendor: Vendor) -> MockBuilder {
    let (verb, to) = update_route(vendor);
    let mock = Mock::given(method(verb)).and(path(to));
    match &case(vendor).query {
        Some((name, value)) => mock.and(query_param(name.as_str(), value.as_str())),
        None => mock,
    }
}

/// The vendor's documented success answer to the update.
fn ok_body(vendor: Vendor) -> Value {
    case(vendor).ok_body.clone()
}

fn ok(vendor: Vendor) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(ok_body(vendor))
}

/// An error body in the vendor's shape, with `code` where the vendor has a
/// code of its own.
fn error_body(vendor: Vendor, status: u16, code: &str, message: &str) -> Value {
    case(vendor).error_body(status, code, message)
}

fn error_response(vendor: Vendor, status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(error_body(vendor, status, code, message))
}

/// The code the facade reports for [`error_body`]: the vendor's own code
/// (StreamSkill `type`, HotTask `Code`, Converza `error.code`); OKChat and
/// PureTalk have none.
fn expected_code(vendor: Vendor, status: u16, code: &str) -> Option<Option<String>> {
    Some(case(vendor).expected_code(status, code))
}

/// The code of `vendor`'s documented 401 and 404 answers (its spec's
/// examples), or a placeholder where it documents none.
fn codes(vendor: Vendor) -> (String, String) {
    let case = case(vendor);
    (
        case.documented_code(401, "UNAUTHORIZED"),
        case.documented_code(404, "NOT_FOUND"),
    )
}

/// A server with the token exchange mounted (issuing [`CONVERZA_JWT`])
/// where `vendor` exchanges its credential for a token.
async fn server_for(vendor: Vendor) -> MockServer {
    let server = MockServer::start().await;
    if let Some(at) = &case(vendor).token_path {
        token_ok_at(at).mount(&server).await;
    }
    server
}

fn token_body(jwt: &str) -> Value {
    json!({
        "success": true,
        "data": {"access_token": jwt, "token_type": "Bearer", "expires_in": 86400}
    })
}

fn token_ok_at(at: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(CONVERZA_JWT)))
        .named("token exchange")
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// The update requests the server received.
async fn updates(server: &MockServer, vendor: Vendor) -> Vec<Request> {
    let (verb, to) = update_route(vendor);
    received(server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == to)
        .collect()
}

async fn token_requests(server: &MockServer) -> usize {
    received(server)
        .await
        .iter()
        .filter(|r| r.url.path() == token_path())
        .count()
}

async fn update(bots: &Chatbots, vendor: Vendor) -> Result<(), Error> {
    bots.update(&bot(vendor), &patch(vendor)).await
}

async fn update_err(bots: &Chatbots, vendor: Vendor) -> Error {
    update(bots, vendor)
        .await
        .expect_err("the mock answers with a failure")
}

// ---------------------------------------------------------------------------
// Assertions every error shares.

/// `Display` is one readable line that names the vendor and repeats what the
/// error knows; the accessors agree with it.
#[track_caller]
fn assert_readable(err: &Error, vendor: Vendor) {
    let text = err.to_string();
    assert_eq!(err.vendor(), Some(vendor), "{text}");
    assert!(
        text.starts_with(&format!("{vendor}: ")),
        "Display should start with the vendor: {text}"
    );
    assert!(!text.contains('\n'), "Display should be one line: {text:?}");
    assert!(
        text.len() > vendor.name().len() + 8,
        "Display should say what happened: {text}"
    );
    assert!(text.contains(err.message()), "{text}");
    if let Some(status) = err.status() {
        assert!(text.contains(&format!("HTTP {status}")), "{text}");
    }
    if let Some(code) = err.code() {
        assert!(text.contains(code), "{text}");
    }
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{what} leaks `{secret}`: {text}");
    }
}

// ---------------------------------------------------------------------------
// 1. Every error kind.

#[tokio::test]
async fn unauthorized_401_at_every_vendor() {
    for vendor in vendors("unauthorized_401_at_every_vendor") {
        let server = server_for(vendor).await;
        let code = &codes(vendor).0;
        update_mock(vendor)
            .respond_with(error_response(vendor, 401, code, "Invalid credentials"))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{vendor}: {err}");
        assert_eq!(err.status(), Some(401), "{vendor}: {err}");
        assert_eq!(err.message(), "Invalid credentials", "{vendor}: {err}");
        if let Some(code) = expected_code(vendor, 401, code) {
            assert_eq!(err.code(), code.as_deref(), "{vendor}: {err}");
        }
        assert!(!err.is_retryable(), "{vendor}: {err}");
        assert!(err.to_string().contains("credentials refused"), "{err}");
        assert_readable(&err, vendor);
        assert_eq!(
            updates(&server, vendor).await.len(),
            1,
            "{vendor}: 401 is not retried"
        );
    }
}

#[tokio::test]
async fn converza_refused_token_exchange_is_unauthorized_and_sends_nothing_else() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "success": false, "error": "INVALID_API_KEY", "message": "Invalid API key"
        })))
        .expect(1)
        .mount(&server)
        .await;
    update_mock(Vendor::Converza)
        .respond_with(ok(Vendor::Converza))
        .expect(0)
        .named("update after a refused exchange")
        .mount(&server)
        .await;

    let err = update_err(&client(Vendor::Converza, &server), Vendor::Converza).await;

    assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(err.message().contains("token exchange"), "{err}");
    assert!(err.message().contains("Invalid API key"), "{err}");
    assert!(!err.is_retryable(), "{err}");
    // The runtime's typed auth error is the source (no side channel).
    let source = std::error::Error::source(&err).expect("a source");
    let auth = source
        .downcast_ref::<chatbots::AuthError>()
        .expect("an AuthError");
    assert_eq!(
        (auth.vendor, auth.status, auth.transient),
        ("converza", Some(401), false)
    );
    assert_readable(&err, Vendor::Converza);
}

#[tokio::test]
async fn converza_token_exchange_failing_inside_200_is_unauthorized() {
    for answer in [
        json!({"success": false, "error": "INVALID_API_KEY", "message": "Invalid API key"}),
        json!({"success": true, "data": {"token_type": "Bearer"}}),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
            .mount(&server)
            .await;
        update_mock(Vendor::Converza)
            .respond_with(ok(Vendor::Converza))
            .expect(0)
            .mount(&server)
            .await;

        let err = update_err(&client(Vendor::Converza, &server), Vendor::Converza).await;

        assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{answer}: {err}");
        assert!(err.message().contains("token exchange"), "{err}");
        assert!(!err.is_retryable(), "{err}");
        assert_readable(&err, Vendor::Converza);
    }
}

#[tokio::test]
async fn not_found_404_at_every_vendor() {
    for vendor in vendors("not_found_404_at_every_vendor") {
        let server = server_for(vendor).await;
        let code = &codes(vendor).1;
        update_mock(vendor)
            .respond_with(error_response(vendor, 404, code, "Object not found: 12345"))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &ErrorKind::NotFound, "{vendor}: {err}");
        assert_eq!(err.status(), Some(404), "{vendor}: {err}");
        assert_eq!(err.message(), "Object not found: 12345", "{vendor}: {err}");
        // The error names the bot it is about.
        let bot_id = case(vendor).bot.as_str();
        assert_eq!(err.bot_id(), Some(bot_id), "{vendor}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{vendor}: bot {bot_id} not found (HTTP 404")),
            "{err}"
        );
        assert!(
            !err.may_have_been_applied(),
            "{vendor}: the vendor answered"
        );
        if let Some(code) = expected_code(vendor, 404, code) {
            assert_eq!(err.code(), code.as_deref(), "{vendor}: {err}");
        }
        assert!(!err.is_retryable(), "{vendor}: {err}");
        assert_readable(&err, vendor);
        assert_eq!(
            updates(&server, vendor).await.len(),
            1,
            "{vendor}: 404 is not retried"
        );
    }
}

/// StreamSkill's documented error bodies (the spec's examples), and that its
/// `type` decides the kind.
#[tokio::test]
async fn streamskill_error_types() {
    let vendor = Vendor::StreamSkill;
    let cases = [
        (
            404,
            json!({"name": "Purchase not found", "code": 0, "message": "Object not found: 12345",
                   "status": 404, "type": "purchase_not_found_exception"}),
            ErrorKind::NotFound,
            "Object not found: 12345",
        ),
        (
            405,
            json!({"name": "Method Not Allowed", "message": "Action is unavailable for this order",
                   "code": 0, "status": 405, "type": "action_unavailable"}),
            ErrorKind::NotAllowed,
            "Action is unavailable for this order",
        ),
        (
            409,
            json!({"name": "Purchase Done", "message": "Order already completed", "code": 0,
                   "status": 409, "type": "purchase_done"}),
            ErrorKind::Conflict,
            "Order already completed",
        ),
        (
            500,
            json!({"name": "Action failed", "message": "Action not performed", "code": 0,
                   "status": 500, "type": "action_failed"}),
            ErrorKind::Server,
            "Action not performed",
        ),
        // The type decides even when the status says something vaguer.
        (
            400,
            json!({"name": "Purchase not found", "message": "Object not found: 12345",
                   "code": 0, "status": 400, "type": "purchase_not_found_exception"}),
            ErrorKind::NotFound,
            "Object not found: 12345",
        ),
    ];
    for (status, body, kind, message) in cases {
        let server = MockServer::start().await;
        update_mock(vendor)
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &kind, "{status}: {err}");
        assert_eq!(err.status(), Some(status), "{err}");
        assert_eq!(err.code(), body["type"].as_str(), "{err}");
        assert_eq!(err.message(), message, "{err}");
        assert!(!err.is_retryable(), "{err}");
        assert_readable(&err, vendor);
        assert_eq!(
            updates(&server, vendor).await.len(),
            1,
            "{status} is not retried"
        );
    }
}

#[tokio::test]
async fn streamskill_422_keeps_field_errors() {
    let vendor = Vendor::StreamSkill;
    let server = MockServer::start().await;
    update_mock(vendor)
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "name": "Bad Request",
            "errors": {
                "interval": ["Interval must be no less than 2.", "Interval is too small."],
                "language": ["Language is invalid."]
            },
            "code": 0,
            "status": 422,
            "type": "validate_exception"
        })))
        .mount(&server)
        .await;

    let err = update_err(&client(vendor, &server), vendor).await;

    let expected: BTreeMap<String, Vec<String>> = BTreeMap::from([
        (
            "interval".to_string(),
            vec![
                "Interval must be no less than 2.".to_string(),
                "Interval is too small.".to_string(),
            ],
        ),
        (
            "language".to_string(),
            vec!["Language is invalid.".to_string()],
        ),
    ]);
    assert_eq!(
        err.kind(),
        &ErrorKind::Rejected {
            field_errors: expected
        },
        "{err}"
    );
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("validate_exception"));
    // No `message` in the body: the error's `name` stands in.
    assert_eq!(err.message(), "Bad Request");
    assert!(!err.is_retryable());
    assert_readable(&err, vendor);
    let text = err.to_string();
    assert!(
        text.contains("interval: Interval must be no less than 2., Interval is too small."),
        "{text}"
    );
    assert!(text.contains("language: Language is invalid."), "{text}");
    assert_eq!(
        updates(&server, vendor).await.len(),
        1,
        "422 is not retried"
    );
}

#[tokio::test]
async fn rate_limited_after_retries_at_every_vendor() {
    for vendor in vendors("rate_limited_after_retries_at_every_vendor") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(
                error_response(vendor, 429, "RATE_LIMITED", "Too many requests")
                    .insert_header("Retry-After", "0"),
            )
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(
            err.kind(),
            &ErrorKind::RateLimited {
                retry_after: Some(Duration::ZERO)
            },
            "{vendor}: {err}"
        );
        assert_eq!(err.status(), Some(429), "{vendor}: {err}");
        assert_eq!(err.message(), "Too many requests", "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert!(err.to_string().contains("rate limited"), "{err}");
        assert_readable(&err, vendor);
        assert_eq!(
            updates(&server, vendor).await.len(),
            3,
            "{vendor}: 429 is retried until the attempts are used up"
        );
        if vendor == Vendor::Converza {
            assert_eq!(token_requests(&server).await, 1, "the token is reused");
        }
    }
}

/// Shared pacing set to fail without its Redis (`OnOutage::Fail`): the
/// update is not sent, and the error says so as its own kind — not a rate
/// limit, not a deadline — without the password the Redis URL holds.
#[tokio::test]
async fn shared_pacing_without_its_redis_fails_as_such_at_every_vendor() {
    for vendor in vendors("shared_pacing_without_its_redis_fails_as_such_at_every_vendor") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(ok(vendor))
            .mount(&server)
            .await;
        // Nothing listens on port 1.
        let shared = SharedPacing {
            command_timeout: Duration::from_millis(100),
            on_outage: OnOutage::Fail,
            ..SharedPacing::new("redis://:s3cret-pw@127.0.0.1:1/")
        };
        let bots = builder(vendor, &server.uri(), fast_retries())
            .pacing(Pacing {
                shared: Some(shared),
                ..Pacing::default()
            })
            .build()
            .expect("a valid configuration");
        let err = update_err(&bots, vendor).await;
        assert_eq!(
            err.kind(),
            &ErrorKind::SharedPacingUnavailable,
            "{vendor}: {err}"
        );
        assert_eq!(err.status(), None, "{vendor}: no vendor answered");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert!(!err.may_have_been_applied(), "{vendor}: {err}");
        assert_readable(&err, vendor);
        let text = err.to_string();
        assert!(
            text.contains("shared pacing unavailable, nothing sent")
                && text.contains("Redis at 127.0.0.1:1 did not answer"),
            "{text}"
        );
        for wrong in ["s3cret-pw", "rate limited", "deadline"] {
            assert!(!text.contains(wrong), "{vendor}: {text}");
        }
        assert!(
            updates(&server, vendor).await.is_empty(),
            "{vendor}: nothing sent"
        );
    }
}

/// A wait longer than `max_retry_after` is not waited for: the 429 comes
/// back at once with the wait the vendor asked for.
#[tokio::test]
async fn rate_limit_asking_for_a_long_wait_is_returned_at_once() {
    // StreamSkill's own header, in seconds.
    let server = MockServer::start().await;
    update_mock(Vendor::StreamSkill)
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-Rate-Limit-Limit", "30")
                .insert_header("X-Rate-Limit-Remaining", "0")
                .insert_header("X-Rate-Limit-Reset", "3600")
                .set_body_json(json!({"name": "Too Many Requests",
                    "message": "Rate limit exceeded.", "code": 0, "status": 429})),
        )
        .mount(&server)
        .await;
    let err = update_err(&client(Vendor::StreamSkill, &server), Vendor::StreamSkill).await;
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        },
        "{err}"
    );
    assert!(err.to_string().ends_with("; retry after 3600s"), "{err}");
    assert_eq!(updates(&server, Vendor::StreamSkill).await.len(), 1);

    // `Retry-After` over the configured maximum.
    let server = MockServer::start().await;
    update_mock(Vendor::OkChat)
        .respond_with(
            error_response(Vendor::OkChat, 429, "Too Many Requests", "Slow down")
                .insert_header("Retry-After", "120"),
        )
        .mount(&server)
        .await;
    let retry = RetryPolicy {
        max_retry_after: Duration::from_secs(5),
        ..fast_retries()
    };
    let err = update_err(&client_with(Vendor::OkChat, &server, retry), Vendor::OkChat).await;
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        },
        "{err}"
    );
    assert!(err.is_retryable());
    assert_readable(&err, Vendor::OkChat);
    assert!(err.to_string().contains("retry after 120s"), "{err}");
    assert_eq!(updates(&server, Vendor::OkChat).await.len(), 1);
}

#[tokio::test]
async fn server_errors_at_every_vendor() {
    for vendor in vendors("server_errors_at_every_vendor") {
        for (status, retryable, attempts) in [(500, false, 1), (503, true, 3)] {
            let server = server_for(vendor).await;
            update_mock(vendor)
                .respond_with(error_response(
                    vendor,
                    status,
                    "SERVER_ERROR",
                    "Something went wrong",
                ))
                .mount(&server)
                .await;

            let err = update_err(&client(vendor, &server), vendor).await;

            assert_eq!(err.kind(), &ErrorKind::Server, "{vendor} {status}: {err}");
            assert_eq!(err.status(), Some(status), "{vendor}: {err}");
            assert_eq!(err.message(), "Something went wrong", "{vendor}: {err}");
            assert_eq!(err.is_retryable(), retryable, "{vendor} {status}: {err}");
            assert!(err.to_string().contains("vendor server error"), "{err}");
            assert_readable(&err, vendor);
            assert_eq!(
                updates(&server, vendor).await.len(),
                attempts,
                "{vendor}: attempts on {status}"
            );
        }
    }
}

/// A server that accepts connections and drops them at once.
fn dropping_listener() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn transport_failure_at_every_vendor() {
    let base_url = dropping_listener();
    for vendor in vendors("transport_failure_at_every_vendor") {
        let bots = builder(vendor, &base_url, fast_retries())
            .build()
            .expect("a valid configuration");

        let err = update_err(&bots, vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Transport, "{vendor}: {err}");
        assert_eq!(err.status(), None, "{vendor}: {err}");
        assert_eq!(err.code(), None, "{vendor}: {err}");
        assert!(!err.message().is_empty(), "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert!(err.to_string().contains("transport"), "{err}");
        let source = std::error::Error::source(&err).expect("a source");
        // Converza's call fails in its token exchange: the runtime's
        // `AuthError`, caused by the transport failure.
        let transport = match source.downcast_ref::<chatbots::AuthError>() {
            Some(auth) => {
                assert_eq!(vendor, Vendor::Converza, "{vendor}: {auth:?}");
                std::error::Error::source(auth).expect("the auth error's source")
            }
            None => source,
        };
        assert!(transport.is::<reqwest::Error>(), "{vendor}: {transport:?}");
        assert_readable(&err, vendor);
    }
}

#[tokio::test]
async fn timeout_at_every_vendor() {
    for vendor in vendors("timeout_at_every_vendor") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(ok(vendor).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let bots = builder(vendor, &server.uri(), fast_retries())
            .timeout(Duration::from_millis(150))
            .build()
            .expect("a valid configuration");

        let err = update_err(&bots, vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Timeout, "{vendor}: {err}");
        assert_eq!(err.status(), None, "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert!(err.to_string().contains("timed out"), "{err}");
        assert_readable(&err, vendor);
        assert_eq!(
            updates(&server, vendor).await.len(),
            3,
            "{vendor}: a timed-out update is retried"
        );
    }
}

/// A 200 whose body is not the documented JSON: a field of the wrong type,
/// or JSON cut off.
#[tokio::test]
async fn decode_errors_at_every_vendor() {
    for vendor in vendors("decode_errors_at_every_vendor") {
        let wrong_shape = case(vendor).wrong_shape();
        let bodies = [wrong_shape.to_string(), r#"{"status": "o"#.to_string()];
        for body in bodies {
            let server = server_for(vendor).await;
            update_mock(vendor)
                .respond_with(
                    ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
                )
                .mount(&server)
                .await;

            let err = update_err(&client(vendor, &server), vendor).await;

            assert_eq!(err.kind(), &ErrorKind::Decode, "{vendor} {body}: {err}");
            assert_eq!(err.status(), Some(200), "{vendor}: {err}");
            assert!(!err.is_retryable(), "{vendor}: {err}");
            assert!(
                err.to_string().contains("unexpected response body"),
                "{err}"
            );
            let source = std::error::Error::source(&err).expect("the decode error as the source");
            assert!(source.is::<serde_json::Error>(), "{vendor}: {source:?}");
            assert_readable(&err, vendor);
            assert_eq!(
                updates(&server, vendor).await.len(),
                1,
                "{vendor}: a bad body is not retried"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Failure inside HTTP 200.

#[tokio::test]
async fn hottask_failure_inside_200() {
    let vendor = Vendor::HotTask;
    let server = MockServer::start().await;
    update_mock(vendor)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "Data": null, "Version": "1.0.0", "Success": false, "Code": 500,
            "Message": "Chatbot not found"
        })))
        .mount(&server)
        .await;

    let err = update_err(&client(vendor, &server), vendor).await;

    assert_eq!(
        err.kind(),
        &ErrorKind::Rejected {
            field_errors: BTreeMap::new()
        },
        "{err}"
    );
    assert_eq!(err.code(), Some("500"), "{err}");
    assert_eq!(err.message(), "Chatbot not found", "{err}");
    // The envelope's `Code` is not the HTTP status.
    assert_ne!(err.status(), Some(500), "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert_readable(&err, vendor);
    assert_eq!(updates(&server, vendor).await.len(), 1);
}

#[tokio::test]
async fn puretalk_failure_inside_200() {
    let vendor = Vendor::PureTalk;
    let server = MockServer::start().await;
    update_mock(vendor)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"err": true, "msg": "Assistant not found"})),
        )
        .mount(&server)
        .await;

    let err = update_err(&client(vendor, &server), vendor).await;

    assert!(matches!(err.kind(), ErrorKind::Rejected { .. }), "{err}");
    assert_eq!(err.code(), None, "PureTalk sends no code: {err}");
    assert_eq!(err.message(), "Assistant not found", "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert_readable(&err, vendor);
    assert_eq!(updates(&server, vendor).await.len(), 1);
}

#[tokio::test]
async fn converza_failure_inside_200() {
    let vendor = Vendor::Converza;
    let cases = [
        (
            json!({"success": false, "error": "BOT_NOT_FOUND", "message": "Bot not found"}),
            Some("BOT_NOT_FOUND"),
            "Bot not found",
        ),
        (
            json!({"success": false, "error": {"code": 404, "message": "Bot not found"}}),
            Some("404"),
            "Bot not found",
        ),
        (
            json!({"success": false, "error": "The bot is locked"}),
            None,
            "The bot is locked",
        ),
    ];
    for (body, code, message) in cases {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert!(
            matches!(err.kind(), ErrorKind::Rejected { .. }),
            "{body}: {err}"
        );
        assert_eq!(err.code(), code, "{body}: {err}");
        assert_eq!(err.message(), message, "{body}: {err}");
        assert!(!err.is_retryable(), "{err}");
        assert_readable(&err, vendor);
        assert_eq!(updates(&server, vendor).await.len(), 1);
    }
}

/// The same body under a 4xx keeps the vendor's code as it does under a 200.
#[tokio::test]
async fn converza_error_body_keeps_its_code() {
    let vendor = Vendor::Converza;
    for (body, code, message) in [
        (
            json!({"success": false, "error": "BOT_NOT_FOUND", "message": "Bot not found"}),
            "BOT_NOT_FOUND",
            "Bot not found",
        ),
        (
            json!({"success": false, "error": {"code": "BOT_NOT_FOUND", "message": "Bot not found"}}),
            "BOT_NOT_FOUND",
            "Bot not found",
        ),
    ] {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(ResponseTemplate::new(404).set_body_json(&body))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &ErrorKind::NotFound, "{body}: {err}");
        assert_eq!(err.code(), Some(code), "{body}: {err}");
        assert_eq!(err.message(), message, "{body}: {err}");
    }
}

// ---------------------------------------------------------------------------
// 3. Non-JSON error pages.

#[tokio::test]
async fn html_error_page_keeps_status_and_kind() {
    let page = "<html><head><title>502 Bad Gateway</title></head>\
                <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    for vendor in vendors("html_error_page_keeps_status_and_kind") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(ResponseTemplate::new(502).set_body_raw(page, "text/html"))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Server, "{vendor}: {err}");
        assert_eq!(err.status(), Some(502), "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert_readable(&err, vendor);
        assert!(!err.to_string().contains("<html>"), "{err}");
        assert_eq!(
            updates(&server, vendor).await.len(),
            3,
            "{vendor}: 502 is retried"
        );
    }
}

#[tokio::test]
async fn non_json_4xx_keeps_status_and_kind() {
    for vendor in vendors("non_json_4xx_keeps_status_and_kind") {
        for (status, kind) in [
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Unauthorized),
            (404, ErrorKind::NotFound),
        ] {
            let server = server_for(vendor).await;
            update_mock(vendor)
                .respond_with(
                    ResponseTemplate::new(status).set_body_raw("<h1>nope</h1>", "text/html"),
                )
                .mount(&server)
                .await;

            let err = update_err(&client(vendor, &server), vendor).await;

            assert_eq!(err.kind(), &kind, "{vendor} {status}: {err}");
            assert_eq!(err.status(), Some(status), "{vendor}: {err}");
            assert_readable(&err, vendor);
        }
    }
}

// ---------------------------------------------------------------------------
// 4. Retries.

#[tokio::test]
async fn retry_after_zero_then_success() {
    for vendor in vendors("retry_after_zero_then_success") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(
                error_response(vendor, 429, "RATE_LIMITED", "Too many requests")
                    .insert_header("Retry-After", "0"),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        update_mock(vendor)
            .respond_with(ok(vendor))
            .mount(&server)
            .await;

        update(&client(vendor, &server), vendor)
            .await
            .unwrap_or_else(|e| panic!("{vendor}: the retry succeeds: {e}"));

        assert_eq!(updates(&server, vendor).await.len(), 2, "{vendor}");
    }
}

#[tokio::test]
async fn unavailable_then_success() {
    for vendor in vendors("unavailable_then_success") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(error_response(vendor, 503, "UNAVAILABLE", "Try again"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        update_mock(vendor)
            .respond_with(ok(vendor))
            .mount(&server)
            .await;

        update(&client(vendor, &server), vendor)
            .await
            .unwrap_or_else(|e| panic!("{vendor}: the retry succeeds: {e}"));

        let sent = updates(&server, vendor).await;
        assert_eq!(sent.len(), 2, "{vendor}");
        assert_eq!(
            sent[0].body, sent[1].body,
            "{vendor}: the same body is resent"
        );
        if vendor == Vendor::Converza {
            assert_eq!(token_requests(&server).await, 1, "the token is reused");
        }
    }
}

#[tokio::test]
async fn no_retry_on_4xx() {
    for vendor in vendors("no_retry_on_4xx") {
        for status in [400, 422] {
            let server = server_for(vendor).await;
            update_mock(vendor)
                .respond_with(error_response(vendor, status, "INVALID", "Invalid request"))
                .mount(&server)
                .await;

            let err = update_err(&client(vendor, &server), vendor).await;

            assert!(
                matches!(err.kind(), ErrorKind::Rejected { .. }),
                "{vendor} {status}: {err}"
            );
            assert_eq!(err.status(), Some(status), "{vendor}: {err}");
            assert!(!err.is_retryable(), "{vendor}: {err}");
            assert_readable(&err, vendor);
            assert_eq!(
                updates(&server, vendor).await.len(),
                1,
                "{vendor}: {status} is sent once"
            );
        }
    }
}

#[tokio::test]
async fn retries_disabled_sends_once() {
    for vendor in vendors("retries_disabled_sends_once") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(error_response(vendor, 503, "UNAVAILABLE", "Try again"))
            .mount(&server)
            .await;

        let bots = client_with(vendor, &server, RetryPolicy::disabled());
        let err = update_err(&bots, vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Server, "{vendor}: {err}");
        assert_eq!(err.status(), Some(503), "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        assert_eq!(updates(&server, vendor).await.len(), 1, "{vendor}");
    }
}

#[tokio::test]
async fn converza_retries_disabled_sends_the_token_exchange_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"success": false})))
        .mount(&server)
        .await;

    let bots = client_with(Vendor::Converza, &server, RetryPolicy::disabled());
    let _ = update_err(&bots, Vendor::Converza).await;

    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn converza_token_exchange_server_error_is_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "success": false, "message": "Service unavailable"
        })))
        .mount(&server)
        .await;
    let err = update_err(&client(Vendor::Converza, &server), Vendor::Converza).await;
    assert_eq!(err.kind(), &ErrorKind::Server, "{err}");
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.is_retryable(), "{err}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_json(json!({"success": false, "message": "Too many requests"})),
        )
        .mount(&server)
        .await;
    let err = update_err(&client(Vendor::Converza, &server), Vendor::Converza).await;
    assert!(matches!(err.kind(), ErrorKind::RateLimited { .. }), "{err}");
    assert_eq!(err.status(), Some(429), "{err}");
}

/// A token the vendor stops accepting (revoked, rotated) is not used again:
/// after a 401 the next call exchanges the key pair anew.
#[tokio::test]
async fn converza_exchanges_a_new_token_after_a_401() {
    const NEW_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.second-token.sig";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(CONVERZA_JWT)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(NEW_JWT)))
        .mount(&server)
        .await;
    update_mock(Vendor::Converza)
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {NEW_JWT}").as_str(),
        ))
        .respond_with(ok(Vendor::Converza))
        .mount(&server)
        .await;
    update_mock(Vendor::Converza)
        .respond_with(error_response(
            Vendor::Converza,
            401,
            "TOKEN_REVOKED",
            "Token revoked",
        ))
        .mount(&server)
        .await;

    let bots = client(Vendor::Converza, &server);
    let err = update_err(&bots, Vendor::Converza).await;
    assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{err}");

    update(&bots, Vendor::Converza)
        .await
        .expect("the second call uses a fresh token");
    assert_eq!(token_requests(&server).await, 2);
}

// ---------------------------------------------------------------------------
// 5. Configuration.

#[tokio::test]
async fn vendor_without_credentials_is_a_config_error_naming_its_variables() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .named("anything at all")
        .mount(&server)
        .await;
    // Only OKChat has credentials; the others get a base URL and nothing else.
    let mut builder = Chatbots::builder().okchat_api_key(okchat_key());
    for vendor in Vendor::ALL {
        builder = builder.base_url(vendor, server.uri());
    }
    let bots = builder.build().expect("a valid configuration");
    assert_eq!(bots.vendors(), [Vendor::OkChat]);

    // The variables the vendors document, spot-checked against the registry.
    const DOCUMENTED: &[(Vendor, &[&str])] = &[
        (Vendor::StreamSkill, &["STREAMSKILL_TOKEN"]),
        (
            Vendor::Converza,
            &["CONVERZA_KEY_ID", "CONVERZA_KEY_SECRET"],
        ),
        (Vendor::PureTalk, &["PURETALK_API_KEY"]),
        (Vendor::HotTask, &["HOTTASK_API_KEY"]),
    ];
    let test = "vendor_without_credentials_is_a_config_error_naming_its_variables";
    for vendor in vendors(test).into_iter().filter(|v| *v != Vendor::OkChat) {
        let variables = chatbots::credential_variables(vendor);
        assert!(!variables.is_empty(), "{vendor} names its variables");
        let err = update_err(&bots, vendor).await;
        assert_eq!(err.kind(), &ErrorKind::Config, "{vendor}: {err}");
        for variable in variables {
            assert!(err.message().contains(variable), "{vendor}: {err}");
        }
        assert_eq!(err.status(), None);
        assert!(!err.is_retryable(), "{err}");
        assert_readable(&err, vendor);
        if let Some((_, documented)) = DOCUMENTED.iter().find(|(v, _)| *v == vendor) {
            assert_eq!(variables, *documented);
        }
    }

    // Reads and the typed clients say the same.
    let err = bots.get(&bot(Vendor::PureTalk)).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("PURETALK_API_KEY"), "{err}");
    let err = bots.list(Vendor::StreamSkill).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("STREAMSKILL_TOKEN"), "{err}");
    let err = bots.hottask().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("HOTTASK_API_KEY"), "{err}");

    // With no credentials at all.
    let err = update_err(&Chatbots::builder().build().unwrap(), Vendor::OkChat).await;
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("OKCHAT_API_KEY"), "{err}");
}

#[test]
fn bad_base_url_is_a_config_error_at_build() {
    for vendor in vendors("bad_base_url_is_a_config_error_at_build") {
        for url in [
            "not a url",
            "127.0.0.1:8080",
            "ftp://127.0.0.1/files",
            "http://",
            "",
            "/relative/path",
        ] {
            let err = builder(vendor, url, fast_retries())
                .build()
                .expect_err("an unusable base URL");
            assert_eq!(err.kind(), &ErrorKind::Config, "{vendor} `{url}`: {err}");
            assert_eq!(err.vendor(), Some(vendor), "{err}");
            assert!(
                err.message().contains("base URL"),
                "{vendor} `{url}`: {err}"
            );
            assert!(!err.is_retryable());
            assert_readable(&err, vendor);
            assert_no_secret("a base URL error", &err.to_string());
        }
    }
}

#[test]
fn unusable_credential_is_a_config_error_at_build_without_repeating_it() {
    type Set = fn(ChatbotsBuilder, &str) -> ChatbotsBuilder;
    let cases: &[(Vendor, &str, Set)] = &[
        (Vendor::OkChat, "", |b, k| b.okchat_api_key(k)),
        (Vendor::OkChat, "okc-line\nbreak-4242", |b, k| {
            b.okchat_api_key(k)
        }),
        (Vendor::PureTalk, "pt-with-\r-control-4242", |b, k| {
            b.puretalk_api_key(k)
        }),
        (Vendor::HotTask, "ht-\u{0}-nul-4242", |b, k| {
            b.hottask_api_key(k)
        }),
        (Vendor::StreamSkill, "", |b, k| b.streamskill_token(k)),
    ];
    for &(vendor, key, set) in cases {
        let builder = set(Chatbots::builder(), key);
        let err = builder.build().expect_err("an unusable credential");
        assert_eq!(err.kind(), &ErrorKind::Config, "{vendor}: {err}");
        assert_readable(&err, vendor);
        if !key.is_empty() {
            assert!(!format!("{err} {err:?}").contains("4242"), "{err:?}");
        }
    }
}

/// A client configured from `vars` as if they were the environment.
fn from_vars(vars: &[(&str, &str)]) -> Result<Chatbots, Error> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Chatbots::builder()
        .from_env_with(|name| {
            vars.iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| v.clone())
        })?
        .build()
}

/// Every `from_env` check, through `from_env_with` and a map of variables
/// (the process environment is shared by the tests of this binary, which
/// run in parallel).
#[tokio::test]
async fn from_env() {
    // Nothing set: a client with no vendors.
    let bots = from_vars(&[]).expect("no variables is not an error");
    assert!(bots.vendors().is_empty());

    // Half a Converza key pair names the missing half, and not the other.
    let err = from_vars(&[("CONVERZA_KEY_ID", &converza_key_id())]).expect_err("half a key pair");
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert_eq!(err.vendor(), Some(Vendor::Converza));
    assert!(err.message().contains("CONVERZA_KEY_SECRET"), "{err}");
    assert_no_secret("the error", &format!("{err} {err:?}"));

    let err =
        from_vars(&[("CONVERZA_KEY_SECRET", &converza_key_secret())]).expect_err("half a key pair");
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("CONVERZA_KEY_ID"), "{err}");
    assert_no_secret("the error", &format!("{err} {err:?}"));

    // An empty variable counts as unset.
    let bots = from_vars(&[("OKCHAT_API_KEY", "")]).expect("an empty variable is ignored");
    assert!(bots.vendors().is_empty());
    let err = update_err(&bots, Vendor::OkChat).await;
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("OKCHAT_API_KEY"), "{err}");

    // A bad base URL fails when the client is built.
    let err = from_vars(&[
        ("OKCHAT_API_KEY", &okchat_key()),
        ("OKCHAT_BASE_URL", "not a url"),
    ])
    .expect_err("a bad base URL");
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert_eq!(err.vendor(), Some(Vendor::OkChat));
    assert!(err.message().contains("not a url"), "{err}");

    // Key and base URL from the environment: a working update.
    let server = MockServer::start().await;
    update_mock(Vendor::OkChat)
        .respond_with(ok(Vendor::OkChat))
        .expect(1)
        .mount(&server)
        .await;
    let bots = from_vars(&[
        ("OKCHAT_API_KEY", &okchat_key()),
        ("OKCHAT_BASE_URL", &server.uri()),
    ])
    .expect("a valid environment");
    assert_eq!(bots.vendors(), [Vendor::OkChat]);
    update(&bots, Vendor::OkChat)
        .await
        .expect("the update reaches the mock");
    let sent = updates(&server, Vendor::OkChat).await;
    assert_eq!(
        sent[0]
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some(okchat_key().as_str())
    );
    // The other vendors stay unconfigured, naming their variables.
    let err = update_err(&bots, Vendor::PureTalk).await;
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(err.message().contains("PURETALK_API_KEY"), "{err}");
}

// ---------------------------------------------------------------------------
// 6. Secrets.

/// A `MakeWriter` that appends to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A failing and retried call (503, 503, then 401) at every vendor leaks no
/// credential into the logs (at TRACE), the client's or builder's `Debug`,
/// or the error's `Debug` and `Display`.
#[tokio::test]
async fn no_secret_in_logs_debug_or_errors() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    // tracing caches whether a callsite is enabled, process-wide. With one
    // registered dispatcher it asks the *registering thread's* subscriber, so
    // a sibling test without one, first to reach a runtime callsite, would
    // disable it for this test too. A second, inert dispatcher makes tracing
    // ask every registered dispatcher instead (and check each event against
    // the current thread's), whichever thread registers the callsite.
    let _anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::new());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    for vendor in vendors("no_secret_in_logs_debug_or_errors") {
        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(error_response(vendor, 503, "UNAVAILABLE", "Try again"))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        update_mock(vendor)
            .respond_with(error_response(
                vendor,
                401,
                "UNAUTHORIZED",
                "Invalid credentials",
            ))
            .mount(&server)
            .await;

        let builder = builder(vendor, &server.uri(), fast_retries());
        assert_no_secret("the builder's Debug", &format!("{builder:?}"));
        let bots = builder.build().expect("a valid configuration");
        assert_no_secret("the client's Debug", &format!("{bots:?}"));

        let err = update_err(&bots, vendor).await;
        assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{vendor}: {err}");

        // The secret was really in play: it went out on the wire.
        let sent = updates(&server, vendor).await;
        assert_eq!(sent.len(), 3, "{vendor}");
        let (name, value) = auth_header(vendor);
        for request in &sent {
            assert_eq!(
                request
                    .headers
                    .get(name.as_str())
                    .and_then(|v| v.to_str().ok()),
                Some(value.as_str()),
                "{vendor}"
            );
        }

        assert_no_secret("the error's Display", &err.to_string());
        assert_no_secret("the error's Debug", &format!("{err:?}"));
        // After the exchange, with a token cached.
        assert_no_secret("the client's Debug", &format!("{bots:?}"));
    }

    let logs = capture.text();
    assert_no_secret("the tracing output", &logs);
    for vendor in vendors("no_secret_in_logs_debug_or_errors") {
        assert!(
            logs.contains(vendor.name()),
            "the logs name {vendor}:\n{logs}"
        );
        assert!(
            logs.contains(operation(vendor)),
            "the logs name {}:\n{logs}",
            operation(vendor)
        );
    }
    assert!(logs.contains("create_token"), "{logs}");
}

/// `Display` never contains a credential (as `Error` documents), even when
/// the vendor echoes it in its error message.
#[tokio::test]
async fn credential_echoed_in_an_error_message_is_not_repeated() {
    let mut leaks = Vec::new();
    for vendor in vendors("credential_echoed_in_an_error_message_is_not_repeated") {
        let server = server_for(vendor).await;
        let (_, value) = auth_header(vendor);
        update_mock(vendor)
            .respond_with(error_response(
                vendor,
                401,
                "UNAUTHORIZED",
                &format!("Invalid credential: {value}"),
            ))
            .mount(&server)
            .await;

        let err = update_err(&client(vendor, &server), vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{vendor}: {err}");
        let text = format!("{err} {err:?}");
        if secrets().iter().any(|secret| text.contains(secret)) {
            leaks.push(text);
        }
    }
    assert!(
        leaks.is_empty(),
        "credentials repeated:\n{}",
        leaks.join("\n")
    );
}

/// A refused Converza exchange keeps the vendor's text but neither half of
/// the key pair, even when the vendor echoes them.
#[tokio::test]
async fn converza_key_pair_echoed_by_a_refused_exchange_is_not_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "success": false,
            "error": "INVALID_API_KEY",
            "message": format!("Invalid key pair {}/{}", converza_key_id(), converza_key_secret())
        })))
        .mount(&server)
        .await;

    let err = update_err(&client(Vendor::Converza, &server), Vendor::Converza).await;

    assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{err}");
    assert!(err.message().contains("Invalid key pair"), "{err}");
    assert_no_secret("the error", &format!("{err} {err:?}"));
}

// ---------------------------------------------------------------------------
// Issue 19: undocumented statuses keep the vendor's words; an answer lost
// after sending is retried where that is safe and otherwise said to be
// unknown.

/// A status the spec does not declare (every spec covers 4XX and 5XX, so
/// one beyond them) is read like a documented error: its message and code
/// are kept, as they are for a declared one.
#[tokio::test]
async fn an_undeclared_status_keeps_the_vendors_message() {
    let rejected = || ErrorKind::Rejected {
        field_errors: BTreeMap::new(),
    };
    for vendor in vendors("an_undeclared_status_keeps_the_vendors_message") {
        for (status, kind) in [
            (600, rejected()),
            (999, rejected()),
            (500, ErrorKind::Server),
            (418, rejected()),
        ] {
            let server = server_for(vendor).await;
            update_mock(vendor)
                .respond_with(error_response(
                    vendor,
                    status,
                    "KETTLE",
                    "the kettle is off",
                ))
                .mount(&server)
                .await;

            let err = update_err(&client(vendor, &server), vendor).await;

            assert_eq!(err.kind(), &kind, "{vendor} {status}: {err}");
            assert_eq!(err.status(), Some(status), "{vendor}: {err}");
            assert_eq!(
                err.message(),
                "the kettle is off",
                "{vendor} {status}: {err}"
            );
            if let Some(code) = expected_code(vendor, status, "KETTLE") {
                assert_eq!(err.code(), code.as_deref(), "{vendor} {status}: {err}");
            }
            assert!(!err.to_string().contains("nothing sent"), "{err}");
            assert_readable(&err, vendor);
        }
    }
}

/// Whether the vendor's update is retry-safe, as its spec decides (the
/// facade module's update operation).
fn retry_safe(vendor: Vendor) -> bool {
    case(vendor).facts.update_retry_safe
}

/// A loopback HTTP/1.1 server: Converza's token exchange is answered with
/// a token; every other request gets the next of `answers` (raw bytes, the
/// last one repeated), and the connection is closed. Returns its URL and
/// the count of requests other than token exchanges.
async fn raw_server(answers: Vec<Vec<u8>>) -> (String, Arc<Mutex<usize>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as many bytes as it announces.
                let head_end = loop {
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end + 4;
                    }
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = if is_token_request(&head) {
                    let body = token_body(CONVERZA_JWT).to_string();
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .into_bytes()
                } else {
                    let mut n = seen.lock().unwrap();
                    *n += 1;
                    answers[(*n - 1).min(answers.len() - 1)].clone()
                };
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, count)
}

/// A 200 whose body, `body`, is sent whole, or (`cut`) only its first half
/// before the connection closes.
fn answer(body: &Value, cut: bool) -> Vec<u8> {
    let body = body.to_string();
    let sent = if cut {
        &body[..body.len() / 2]
    } else {
        &body[..]
    };
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{sent}",
        body.len()
    )
    .into_bytes()
}

/// A body cut off after the head is a transport failure: a retry-safe
/// update is sent again and succeeds; one that is not retried fails
/// saying it may have been applied.
#[tokio::test]
async fn a_body_cut_off_is_retried_or_said_to_be_an_unknown_outcome() {
    for vendor in vendors("a_body_cut_off_is_retried_or_said_to_be_an_unknown_outcome") {
        let ok = ok_body(vendor);
        let (url, requests) = raw_server(vec![answer(&ok, true), answer(&ok, false)]).await;
        let bots = builder(vendor, &url, fast_retries())
            .build()
            .expect("a valid configuration");

        let result = update(&bots, vendor).await;

        let sent = *requests.lock().unwrap();
        if retry_safe(vendor) {
            // Sent again, and it went through.
            assert!(result.is_ok(), "{vendor}: {result:?}");
            assert_eq!(sent, 2, "{vendor}");
        } else {
            let err = result.expect_err("an update that is not retry-safe is sent once");
            assert_eq!(sent, 1, "{vendor}");
            assert_eq!(err.kind(), &ErrorKind::Transport, "{vendor}: {err}");
            assert!(err.may_have_been_applied(), "{vendor}: {err}");
            assert!(err.to_string().contains("may have been applied"), "{err}");
            assert_readable(&err, vendor);
        }
    }
}

/// Cut off on every attempt, a retry-safe update fails after its attempts,
/// and says it may have been applied; a refusal the vendor answered does
/// not.
#[tokio::test]
async fn an_update_whose_every_answer_is_cut_off_may_have_been_applied() {
    for vendor in vendors("an_update_whose_every_answer_is_cut_off_may_have_been_applied") {
        let (url, requests) = raw_server(vec![answer(&ok_body(vendor), true)]).await;
        let bots = builder(vendor, &url, fast_retries())
            .build()
            .expect("a valid configuration");

        let err = update_err(&bots, vendor).await;

        assert_eq!(err.kind(), &ErrorKind::Transport, "{vendor}: {err}");
        assert!(err.may_have_been_applied(), "{vendor}: {err}");
        assert!(err.is_retryable(), "{vendor}: {err}");
        let attempts = if retry_safe(vendor) { 3 } else { 1 };
        assert_eq!(*requests.lock().unwrap(), attempts, "{vendor}");

        let server = server_for(vendor).await;
        update_mock(vendor)
            .respond_with(error_response(vendor, 422, "INVALID", "name is too long"))
            .mount(&server)
            .await;
        let refused = update_err(&client(vendor, &server), vendor).await;
        assert!(!refused.may_have_been_applied(), "{vendor}: {refused}");
        assert!(!refused.to_string().contains("may have been applied"));
    }
}

/// A read whose answer is lost has nothing to have applied.
#[tokio::test]
async fn a_read_cut_off_is_never_said_to_be_applied() {
    let bot_body = json!({"chatbot": {"id": case(Vendor::OkChat).bot, "name": "Support bot"}});
    let (url, requests) = raw_server(vec![answer(&bot_body, true)]).await;
    let bots = builder(Vendor::OkChat, &url, fast_retries())
        .build()
        .expect("a valid configuration");

    let err = bots
        .get(&bot(Vendor::OkChat))
        .await
        .expect_err("every answer is cut off");

    assert_eq!(err.kind(), &ErrorKind::Transport, "{err}");
    assert_eq!(*requests.lock().unwrap(), 3, "a read is retried");
    assert!(!err.may_have_been_applied(), "{err}");
    assert_eq!(err.bot_id(), Some(case(Vendor::OkChat).bot.as_str()));
}

/// A body longer than the client reads is refused, not allocated, and said
/// so.
#[tokio::test]
async fn a_body_over_the_limit_is_a_decode_error() {
    let vendor = Vendor::OkChat;
    let mut ok = ok_body(vendor);
    ok["padding"] = Value::String("x".repeat(4096));
    let (url, requests) = raw_server(vec![answer(&ok, false)]).await;
    let bots = builder(vendor, &url, fast_retries())
        .max_response_bytes(1024)
        .build()
        .expect("a valid configuration");

    let err = update_err(&bots, vendor).await;

    assert_eq!(err.kind(), &ErrorKind::Decode, "{err}");
    assert_eq!(err.status(), Some(200), "{err}");
    assert!(err.message().contains("1024 bytes"), "{err}");
    assert_eq!(*requests.lock().unwrap(), 1, "not retried");
}

/// An update whose first answer was lost may have been applied, even when
/// the retries that follow are refused by a server error.
#[tokio::test]
async fn a_lost_answer_is_still_reported_after_later_server_errors() {
    for vendor in vendors("a_lost_answer_is_still_reported_after_later_server_errors")
        .into_iter()
        .filter(|v| retry_safe(*v))
    {
        let body = error_body(vendor, 503, "UNAVAILABLE", "try later").to_string();
        let unavailable = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let (url, requests) = raw_server(vec![
            answer(&ok_body(vendor), true),
            unavailable.into_bytes(),
        ])
        .await;
        let bots = builder(vendor, &url, fast_retries())
            .build()
            .expect("a valid configuration");

        let err = update_err(&bots, vendor).await;

        assert_eq!(*requests.lock().unwrap(), 3, "{vendor}");
        assert_eq!(err.kind(), &ErrorKind::Server, "{vendor}: {err}");
        assert!(err.may_have_been_applied(), "{vendor}: {err}");
        assert!(err.to_string().contains("may have been applied"), "{err}");
    }
}
