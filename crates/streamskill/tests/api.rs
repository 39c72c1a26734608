//! Wire-level tests of the StreamSkill client against a loopback mock server.

use std::collections::BTreeSet;
use std::future::Future;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::time::Duration;

use chatbots_runtime::{ClientConfig, RetryPolicy, SecretString};
use chatbots_streamskill::types::{self, ApiError};
use chatbots_streamskill::{Client, Error, ResponseValue, header_auth, is_retry_safe};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ss-test-token-7f3a9c1e";
const BEARER: &str = "Bearer ss-test-token-7f3a9c1e";

fn config(server: &MockServer, retry: RetryPolicy) -> ClientConfig {
    ClientConfig {
        base_url: Some(server.uri()),
        timeout: Duration::from_secs(10),
        retry,
        ..ClientConfig::default()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(1),
        ..RetryPolicy::default()
    }
}

fn client(server: &MockServer) -> Client {
    client_with(server, fast_retries())
}

fn client_with(server: &MockServer, retry: RetryPolicy) -> Client {
    let auth = header_auth(&SecretString::from(TOKEN)).expect("valid token");
    Client::with_config(auth, &config(server, retry)).expect("valid config")
}

/// The body of the seed page's example request (the property examples of
/// `EditAiChatbotsObject`).
fn seed_request() -> Value {
    json!({ "language": "auto", "count": 50, "interval": 10 })
}

/// The seed page's `ActionSuccess` example.
fn seed_response() -> Value {
    json!({ "status": "ok" })
}

fn purchase() -> Value {
    json!({
        "id": 42,
        "price": 12.5,
        "currency": "usd",
        "created_at": 1716681599,
        "order_type": "ai_chatbots",
        "channel": "https://twitch.tv/example",
        "status": "active",
        "service": "twitch",
        "parent": false,
        "api": true,
        "chatbot": false,
        "tarif": 3
    })
}

fn ok_json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("X-Rate-Limit-Limit", "30")
        .insert_header("X-Rate-Limit-Remaining", "29")
        .set_body_json(body)
}

fn error_json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.expect("recording is on")
}

/// The `ApiError` inside an `ErrorResponse`, with its status.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error<ApiError>>) -> (u16, ApiError) {
    match result {
        Err(Error::ErrorResponse(response)) => (response.status().as_u16(), response.into_inner()),
        other => panic!("expected an ErrorResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn seed_request_is_sent_exactly_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/purchases/12345/edit-ai-chatbots"))
        .respond_with(ok_json(seed_response()))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .edit_ai_chatbots()
        .order_id(12345)
        .body(types::EditAiChatbotsObject {
            language: Some("auto".into()),
            count: NonZeroU64::new(50),
            interval: NonZeroU64::new(10),
        })
        .send()
        .await
        .expect("the mock answers 200");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/purchases/12345/edit-ai-chatbots");
    assert_eq!(request.url.query(), None);
    assert_eq!(request.headers.get_all("authorization").iter().count(), 1);
    assert_eq!(request.headers["authorization"], BEARER);
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers.get("api-version").is_none());
    assert!(request.headers.get("accept-language").is_none());
    let body: Value = request.body_json().expect("a JSON body");
    assert_eq!(body, seed_request());
}

#[tokio::test]
async fn seed_response_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/purchases/12345/edit-ai-chatbots"))
        .respond_with(ok_json(seed_response()).insert_header("X-Rate-Limit-Reset", "1"))
        .mount(&server)
        .await;

    let response = client(&server)
        .edit_ai_chatbots()
        .order_id(12345)
        .body(serde_json::from_value::<types::EditAiChatbotsObject>(seed_request()).unwrap())
        .send()
        .await
        .expect("the mock answers 200");

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["x-rate-limit-remaining"], "29");
    assert_eq!(response.status.as_deref(), Some("ok"));
    assert_eq!(
        response.into_inner(),
        types::ActionSuccess {
            status: Some("ok".into())
        }
    );
}

#[tokio::test]
async fn documented_error_responses_decode_into_api_error() {
    // The error examples of the seed page, by status.
    let examples = [
        json!({
            "name": "Unauthorized",
            "message": "Your request was made with invalid credentials.",
            "code": 0, "status": 401, "type": "unauthorized_http_exception"
        }),
        json!({
            "name": "Purchase not found", "code": 0,
            "message": "Object not found: {ID}",
            "status": 404, "type": "purchase_not_found_exception"
        }),
        json!({
            "name": "Method Not Allowed",
            "message": "Action is unavailable for this order",
            "code": 0, "status": 405, "type": "action_unavailable"
        }),
        json!({
            "name": "Purchase Done", "message": "Order already completed",
            "code": 0, "status": 409, "type": "purchase_done"
        }),
        json!({
            "name": "Bad Request",
            "errors": { "tarif.id": ["Tarif not found"] },
            "code": 0, "status": 422, "type": "validate_exception"
        }),
        json!({
            "name": "Action failed", "message": "Action not performed",
            "code": 0, "status": 500, "type": "action_failed"
        }),
    ];
    for example in examples {
        let status = example["status"].as_u64().unwrap() as u16;
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/purchases/12345/edit-ai-chatbots"))
            .respond_with(error_json(status, example.clone()))
            .expect(1)
            .mount(&server)
            .await;

        let result = client(&server)
            .edit_ai_chatbots()
            .order_id(12345)
            .body(types::EditAiChatbotsObject::default())
            .send()
            .await;
        let (got_status, error) = api_error(result);

        assert_eq!(got_status, status);
        assert_eq!(error.status, Some(i64::from(status)));
        assert_eq!(error.code, Some(0));
        assert_eq!(error.name.as_deref(), example["name"].as_str());
        assert_eq!(error.message.as_deref(), example["message"].as_str());
        assert_eq!(error.type_.as_deref(), example["type"].as_str());
        if status == 422 {
            assert_eq!(error.errors["tarif.id"], ["Tarif not found"]);
            assert!(error.message.is_none());
        } else {
            assert!(error.errors.is_empty());
        }
    }
}

#[tokio::test]
async fn accept_language_is_sent_only_when_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/purchases/42"))
        .respond_with(ok_json(purchase()))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    client
        .get_purchase()
        .order_id(42)
        .accept_language(types::LanguageObject::Ru)
        .send()
        .await
        .unwrap();
    client.get_purchase().order_id(42).send().await.unwrap();

    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].headers["accept-language"], "ru");
    assert_eq!(
        requests[0]
            .headers
            .get_all("accept-language")
            .iter()
            .count(),
        1
    );
    assert!(requests[1].headers.get("accept-language").is_none());
    for request in &requests {
        assert_eq!(request.headers["authorization"], BEARER);
    }
}

#[test]
fn auth_is_a_bearer_token_and_refuses_unusable_ones() {
    assert!(header_auth(&SecretString::from("")).is_err());
    let error = header_auth(&SecretString::from("line\nbreak-secret")).unwrap_err();
    assert!(!error.to_string().contains("break-secret"));
    assert!(!format!("{error:?}").contains("break-secret"));
    let auth = header_auth(&SecretString::from(TOKEN)).unwrap();
    let debug = format!("{auth:?}");
    assert!(debug.contains("authorization"));
    assert!(!debug.contains(TOKEN));
}

/// The decoded response as JSON, or the error's `Debug`.
type Call<'a> = Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'a>>;

/// One operation of the spec: how it looks on the wire and how to call it
/// with minimal valid input.
struct Case {
    /// The spec's operationId.
    id: &'static str,
    method: &'static str,
    path: &'static str,
    query: Option<(&'static str, &'static str)>,
    /// The JSON body the call must send, if it sends one.
    sends: Option<Value>,
    replies: Value,
    call: for<'a> fn(&'a Client) -> Call<'a>,
}

fn decoded<T: serde::Serialize>(
    result: Result<ResponseValue<T>, Error<ApiError>>,
) -> Result<Value, String> {
    result
        .map(|response| serde_json::to_value(response.into_inner()).unwrap())
        .map_err(|e| format!("{e:?}"))
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            id: "listPurchases",
            method: "GET",
            path: "/purchases",
            query: None,
            sends: None,
            replies: json!([purchase()]),
            call: |c| Box::pin(async move { decoded(c.list_purchases().send().await) }),
        },
        Case {
            id: "listUncompletedPurchases",
            method: "GET",
            path: "/purchases/uncomplete",
            query: Some(("expand", "tarif,parent")),
            sends: None,
            replies: json!([purchase(), { "id": 43, "status": "working" }]),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.list_uncompleted_purchases()
                            .expand("tarif,parent")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "getPurchasesBulk",
            method: "GET",
            path: "/purchases/bulk",
            query: Some(("ids", "42,99")),
            sends: None,
            replies: json!({ "items": [purchase()], "missing_ids": [99] }),
            call: |c| {
                Box::pin(async move { decoded(c.get_purchases_bulk().ids("42,99").send().await) })
            },
        },
        Case {
            id: "getPurchase",
            method: "GET",
            path: "/purchases/42",
            query: Some(("expand", "tarif")),
            sends: None,
            replies: {
                let mut p = purchase();
                p["tarif"] = json!({ "id": 3, "title": "AI chatbots" });
                p
            },
            call: |c| {
                Box::pin(async move {
                    decoded(c.get_purchase().order_id(42).expand("tarif").send().await)
                })
            },
        },
        Case {
            id: "createPurchase",
            method: "POST",
            path: "/purchases/create",
            query: None,
            sends: Some(json!({
                "tarif": { "id": 1, "quantity": 1000, "duration": 24 },
                "channel": "https://twitch.tv/example",
                "comment": "",
                "start": false
            })),
            replies: purchase(),
            call: |c| {
                Box::pin(async move {
                    let cart = types::CartObject::builder()
                        .tarif(types::TarifObject {
                            id: Some(1),
                            quantity: Some(1000),
                            duration: Some(24),
                        })
                        .channel("https://twitch.tv/example".to_string());
                    decoded(c.create_purchase().body(cart).send().await)
                })
            },
        },
        Case {
            id: "startPurchase",
            method: "POST",
            path: "/purchases/42/start",
            query: None,
            sends: None,
            replies: seed_response(),
            call: |c| {
                Box::pin(async move { decoded(c.start_purchase().order_id(42).send().await) })
            },
        },
        Case {
            id: "prolongPurchase",
            method: "POST",
            path: "/purchases/42/prolong",
            query: None,
            sends: Some(json!({ "count": 2 })),
            replies: seed_response(),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.prolong_purchase()
                            .order_id(42)
                            .body(types::ProlongObject {
                                count: NonZeroU64::new(2),
                            })
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "bulkStopPurchases",
            method: "POST",
            path: "/purchases/bulk-stop",
            query: None,
            sends: Some(json!({ "ids": [42, 43] })),
            replies: json!({ "success": [42], "failed": { "43": "purchase_done" } }),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.bulk_stop_purchases()
                            .body(types::BulkIdsObject { ids: vec![42, 43] })
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "editAiChatbots",
            method: "POST",
            path: "/purchases/42/edit-ai-chatbots",
            query: None,
            sends: Some(json!({ "count": 5 })),
            replies: seed_response(),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.edit_ai_chatbots()
                            .order_id(42)
                            .body_map(|b| b.count(NonZeroU64::new(5)))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "editChatbot",
            method: "POST",
            path: "/purchases/42/edit-chatbot",
            query: None,
            sends: Some(json!({ "interval": 30, "mode": 1, "phrases": ["hi", "gg"] })),
            replies: seed_response(),
            call: |c| {
                Box::pin(async move {
                    let body = types::EditChatbotObject {
                        interval: NonZeroU64::new(30),
                        mode: Some(1.try_into().unwrap()),
                        phrases: vec!["hi".into(), "gg".into()],
                    };
                    decoded(c.edit_chatbot().order_id(42).body(body).send().await)
                })
            },
        },
        Case {
            id: "editTwitchViewers",
            method: "POST",
            path: "/purchases/42/edit-twitch-viewers",
            query: None,
            sends: Some(json!({ "channel": "example", "threads": 2, "raid": true })),
            replies: seed_response(),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.edit_twitch_viewers()
                            .order_id(42)
                            .body_map(|b| {
                                b.channel("example".to_string())
                                    .threads(NonZeroU64::new(2))
                                    .raid(true)
                            })
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "editTwitchFollowers",
            method: "POST",
            path: "/purchases/42/edit-twitch-followers",
            query: None,
            sends: Some(json!({ "interval": 60, "floating_interval": true })),
            replies: seed_response(),
            call: |c| {
                Box::pin(async move {
                    decoded(
                        c.edit_twitch_followers()
                            .order_id(42)
                            .body_map(|b| b.interval(NonZeroU64::new(60)).floating_interval(true))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            id: "getTarif",
            method: "GET",
            path: "/tarifs/7",
            query: Some(("expand", "panel")),
            sends: None,
            replies: json!({
                "id": 7,
                "title": "AI chatbots",
                "text": ["Chatbots that answer the stream"],
                "count": { "min": 1, "max": 100 },
                "price": 9.5,
                "type": "ai_chatbots",
                "hourly": true,
                "pricing_type": "graduated",
                "graduated_prices": { "1": 9.5, "50": 8.25 },
                "discounts": { "100": 5.0 },
                "link": { "prefix": "https://twitch.tv/", "placeholder": "channel" },
                "panel": { "enabled": true }
            }),
            call: |c| {
                Box::pin(
                    async move { decoded(c.get_tarif().tarif_id(7).expand("panel").send().await) },
                )
            },
        },
    ]
}

/// The operationIds of `specs/streamskill.yaml`.
fn spec_operations() -> BTreeSet<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/streamskill.yaml"
    ))
    .expect("the spec is readable");
    let spec: Value = serde_norway::from_str(&text).expect("the spec is YAML");
    spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId")?.as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn every_operation_reaches_its_endpoint_and_decodes() {
    let cases = cases();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(covered.len(), cases.len(), "an operation is listed twice");
    assert_eq!(covered, spec_operations(), "the table and the spec differ");

    for case in &cases {
        let server = MockServer::start().await;
        let mut mock = Mock::given(method(case.method))
            .and(path(case.path))
            .and(header("authorization", BEARER));
        if let Some((key, value)) = case.query {
            mock = mock.and(query_param(key, value));
        }
        if let Some(body) = &case.sends {
            mock = mock.and(body_json(body));
        }
        mock.respond_with(ok_json(case.replies.clone()))
            .expect(1)
            .named(case.id)
            .mount(&server)
            .await;

        let value = (case.call)(&client(&server))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));

        assert_eq!(value, case.replies, "{}: decoded response", case.id);
        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "{}", case.id);
        assert!(
            requests[0].headers.get("api-version").is_none(),
            "{}: api-version sent",
            case.id
        );
        if case.sends.is_none() {
            assert!(requests[0].body.is_empty(), "{}: unexpected body", case.id);
        }
        server.verify().await;
    }
}

#[test]
fn retry_safety_follows_the_spec() {
    for op in [
        "list_purchases",
        "list_uncompleted_purchases",
        "get_purchases_bulk",
        "get_purchase",
        "get_tarif",
        "edit_ai_chatbots",
        "edit_chatbot",
        "edit_twitch_viewers",
        "edit_twitch_followers",
    ] {
        assert!(is_retry_safe(op), "{op}");
    }
    for op in [
        "create_purchase",
        "start_purchase",
        "prolong_purchase",
        "bulk_stop_purchases",
    ] {
        assert!(!is_retry_safe(op), "{op}");
    }
}

/// Mounts `first` for the first request only, then `then` for the rest.
async fn answer_first_then(
    server: &MockServer,
    http_method: &str,
    at: &str,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    Mock::given(method(http_method))
        .and(path(at))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(http_method))
        .and(path(at))
        .respond_with(then)
        .mount(server)
        .await;
}

#[tokio::test]
async fn retry_safe_read_is_retried_after_503() {
    let server = MockServer::start().await;
    answer_first_then(
        &server,
        "GET",
        "/purchases",
        ResponseTemplate::new(503),
        ok_json(json!([purchase()])),
    )
    .await;

    let purchases = client(&server).list_purchases().send().await.unwrap();

    assert_eq!(purchases[0].id, Some(42));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn idempotent_edit_is_retried_after_502() {
    let server = MockServer::start().await;
    answer_first_then(
        &server,
        "POST",
        "/purchases/42/edit-ai-chatbots",
        ResponseTemplate::new(502),
        ok_json(seed_response()),
    )
    .await;

    let done = client(&server)
        .edit_ai_chatbots()
        .order_id(42)
        .body(serde_json::from_value::<types::EditAiChatbotsObject>(seed_request()).unwrap())
        .send()
        .await
        .unwrap();

    assert_eq!(done.status.as_deref(), Some("ok"));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    // The retry repeats the same body and credentials.
    for request in &requests {
        assert_eq!(request.body_json::<Value>().unwrap(), seed_request());
        assert_eq!(request.headers["authorization"], BEARER);
    }
}

#[tokio::test]
async fn rate_limited_read_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    answer_first_then(
        &server,
        "GET",
        "/purchases/42",
        error_json(
            429,
            json!({ "name": "Too Many Requests", "code": 0, "status": 429 }),
        )
        .insert_header("Retry-After", "0"),
        ok_json(purchase()),
    )
    .await;

    let order = client(&server)
        .get_purchase()
        .order_id(42)
        .send()
        .await
        .unwrap();

    assert_eq!(order.status.as_deref(), Some("active"));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/tarifs/7"))
        .respond_with(error_json(
            503,
            json!({ "name": "Service Unavailable", "code": 0, "status": 503 }),
        ))
        .mount(&server)
        .await;

    let result = client(&server).get_tarif().tarif_id(7).send().await;

    let (status, error) = api_error(result);
    assert_eq!(status, 503);
    assert_eq!(error.name.as_deref(), Some("Service Unavailable"));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn operations_that_charge_or_act_are_not_retried() {
    let unavailable = || {
        error_json(
            503,
            json!({ "name": "Service Unavailable", "code": 0, "status": 503 }),
        )
    };
    // The create first: it is the one that pays for a new order.
    let server = MockServer::start().await;
    answer_first_then(
        &server,
        "POST",
        "/purchases/create",
        unavailable(),
        ok_json(purchase()),
    )
    .await;
    let cart = types::CartObject::builder()
        .tarif(types::TarifObject::default())
        .channel("example".to_string());
    let result = client(&server).create_purchase().body(cart).send().await;
    assert_eq!(api_error(result).0, 503);
    assert_eq!(received(&server).await.len(), 1);

    let server = MockServer::start().await;
    for at in [
        "/purchases/42/start",
        "/purchases/42/prolong",
        "/purchases/bulk-stop",
    ] {
        answer_first_then(&server, "POST", at, unavailable(), ok_json(seed_response())).await;
    }
    let client = client(&server);
    let start = client.start_purchase().order_id(42).send().await;
    assert_eq!(api_error(start).0, 503);
    let prolong = client
        .prolong_purchase()
        .order_id(42)
        .body(types::ProlongObject::default())
        .send()
        .await;
    assert_eq!(api_error(prolong).0, 503);
    let stop = client
        .bulk_stop_purchases()
        .body(types::BulkIdsObject { ids: vec![42] })
        .send()
        .await;
    assert_eq!(api_error(stop).0, 503);
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn malformed_bodies_are_errors_not_panics() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/tarifs/7"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body><h1>500 Internal Server Error</h1></body></html>"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/purchases"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"[{"id": 42, "status": "act"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/purchases/42/start"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>OK</html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/purchases/42"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/purchases/bulk"))
        .respond_with(ok_json(json!({ "items": "not a list" })))
        .mount(&server)
        .await;
    let client = client(&server);

    let html_500 = client.get_tarif().tarif_id(7).send().await;
    assert!(
        matches!(html_500, Err(Error::InvalidResponsePayload(..))),
        "{html_500:?}"
    );
    let truncated = client.list_purchases().send().await;
    assert!(
        matches!(truncated, Err(Error::InvalidResponsePayload(..))),
        "{truncated:?}"
    );
    let html_200 = client.start_purchase().order_id(42).send().await;
    assert!(
        matches!(html_200, Err(Error::InvalidResponsePayload(..))),
        "{html_200:?}"
    );
    let empty_200 = client.get_purchase().order_id(42).send().await;
    assert!(
        matches!(empty_200, Err(Error::InvalidResponsePayload(..))),
        "{empty_200:?}"
    );
    let wrong_shape = client.get_purchases_bulk().ids("42").send().await;
    assert!(
        matches!(wrong_shape, Err(Error::InvalidResponsePayload(..))),
        "{wrong_shape:?}"
    );
}

#[tokio::test]
async fn the_token_never_appears_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/purchases"))
        .respond_with(error_json(
            401,
            json!({
                "name": "Unauthorized",
                "message": "Your request was made with invalid credentials.",
                "code": 0, "status": 401, "type": "unauthorized_http_exception"
            }),
        ))
        .mount(&server)
        .await;
    let client = client(&server);

    let client_debug = format!("{client:?}");
    assert!(!client_debug.contains(TOKEN), "{client_debug}");
    assert!(!format!("{:?}", client.runtime()).contains(TOKEN));

    let error = client.list_purchases().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    for text in [format!("{error:?}"), format!("{error}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    // The request did carry it.
    assert_eq!(received(&server).await[0].headers["authorization"], BEARER);

    // A transport error (nothing listening on the port) does not leak it
    // either. (A dropped MockServer goes back to wiremock's pool and keeps
    // listening, so close a port of our own.)
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = Client::with_config(
        header_auth(&SecretString::from(TOKEN)).unwrap(),
        &ClientConfig {
            base_url: Some(uri),
            retry: RetryPolicy::disabled(),
            ..ClientConfig::default()
        },
    )
    .unwrap();
    let error = offline.list_purchases().send().await.unwrap_err();
    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
    for text in [format!("{error:?}"), format!("{error}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[test]
fn a_bad_base_url_is_refused() {
    let auth = header_auth(&SecretString::from(TOKEN)).unwrap();
    let config = ClientConfig {
        base_url: Some("not a url".into()),
        ..ClientConfig::default()
    };
    assert!(Client::with_config(auth, &config).is_err());
}

/// The generated builders are post-processed (`chatbots-codegen`); what a
/// caller sees of an incomplete call must stay progenitor's.
#[tokio::test]
async fn an_incomplete_call_fails_with_progenitor_s_messages() {
    let server = MockServer::start().await;
    let c = client(&server);
    let error = c
        .edit_ai_chatbots()
        .body(types::EditAiChatbotsObject {
            count: NonZeroU64::new(5),
            interval: None,
            language: None,
        })
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidRequest(m) if m == "order_id was not initialized"),
        "{error:?}"
    );

    let error = c.create_purchase().send().await.unwrap_err();
    assert!(
        matches!(&error, Error::InvalidRequest(m) if m == "no value supplied for channel"),
        "{error:?}"
    );

    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn body_map_edits_the_body_given_to_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/purchases/42/edit-ai-chatbots"))
        .and(body_json(json!({ "count": 5, "language": "en" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(seed_response()))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .edit_ai_chatbots()
        .order_id(42)
        .body(types::EditAiChatbotsObject {
            count: NonZeroU64::new(5),
            interval: None,
            language: None,
        })
        .body_map(|b| b.language(Some("en".to_string())))
        .send()
        .await
        .expect("sent");
}
