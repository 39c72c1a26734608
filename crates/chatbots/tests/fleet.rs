//! Fleet scale: complete listings across every page, and numbers checked
//! on the caller's value before any conversion (issue 12).

use std::collections::HashSet;
mod common;

use chatbots::{BotRef, ChatbotPatch, Chatbots, ErrorKind, Vendor};
use chatbots_sandbox::Sandbox;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Extra bots seeded per vendor: more than two pages at Converza and
/// PureTalk (100 a page).
const BOTS: usize = 250;

/// A facade client with the sandbox's credentials for every vendor.
fn client(sandbox: &Sandbox) -> Chatbots {
    common::client(sandbox)
}

#[tokio::test]
async fn list_and_list_stream_return_every_seeded_bot_once() {
    let sandbox = Sandbox::builder()
        .bots(BOTS)
        .rate_limit(chatbots_sandbox::Vendor::StreamSkill, None)
        .start()
        .await
        .expect("sandbox starts");
    let bots = client(&sandbox);
    let mut listed_vendors = 0;
    let vendors = sandbox.vendors_to_test();
    for vendor in vendors.iter().copied() {
        let listed = match bots.list(vendor).await {
            Err(e) if matches!(e.kind(), ErrorKind::Unsupported { .. }) => continue,
            listed => listed.expect("list"),
        };
        listed_vendors += 1;
        let seeded: HashSet<String> = sandbox.seeded_bots(vendor).into_iter().collect();
        assert_eq!(seeded.len(), BOTS, "{vendor}");
        let streamed: Vec<_> = bots
            .list_stream(vendor)
            .try_collect()
            .await
            .expect("list_stream");
        for (how, found) in [("list", &listed), ("list_stream", &streamed)] {
            let ids: Vec<&str> = found.iter().map(|b| b.bot.id.as_str()).collect();
            let unique: HashSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{vendor} {how}: a bot came twice");
            for id in &seeded {
                assert!(unique.contains(id.as_str()), "{vendor} {how}: {id} missing");
            }
            assert!(
                unique.contains(sandbox.demo_bot(vendor).expect("emulated")),
                "{vendor} {how}: the fixture is missing"
            );
            assert!(found.iter().all(|b| b.bot.vendor == vendor));
        }
    }
    // Every emulated vendor whose facade module lists.
    let listing = vendors
        .iter()
        .filter(|v| chatbots::VendorInfo::of(**v).is_some_and(|v| v.can_list()))
        .count();
    assert_eq!(listed_vendors, listing);
    assert!(listed_vendors > 0);
}

#[tokio::test]
async fn list_of_a_vendor_without_a_list_is_unsupported() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let err = client(&sandbox).list(Vendor::HotTask).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unsupported { field } if field == "list"),
        "{err}"
    );
}

/// A PureTalk page with `next` set, holding `ids`.
fn puretalk_page(ids: &[&str]) -> serde_json::Value {
    let results: Vec<_> = ids
        .iter()
        .map(|id| json!({"assistant_id": id, "name": format!("bot {id}")}))
        .collect();
    json!({"count": 1000, "next": "http://127.0.0.1:9/ai-assistants?page=9", "previous": null, "results": results})
}

fn puretalk_client(server: &MockServer) -> Chatbots {
    Chatbots::builder()
        .puretalk_api_key("key")
        .base_url(Vendor::PureTalk, server.uri())
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn a_vendor_repeating_its_page_ends_the_listing_instead_of_looping() {
    let server = MockServer::start().await;
    let a = "123e4567-e89b-12d3-a456-42661417400a";
    let b = "123e4567-e89b-12d3-a456-42661417400b";
    Mock::given(method("GET"))
        .and(path("/ai-assistants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(puretalk_page(&[a, b])))
        .mount(&server)
        .await;
    let listed = puretalk_client(&server)
        .list(Vendor::PureTalk)
        .await
        .expect("list");
    let ids: Vec<_> = listed.iter().map(|b| b.bot.id.as_str()).collect();
    assert_eq!(ids, [a, b]);
    // The first page, then the same page again: two requests, no more.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_empty_page_ends_the_listing_and_a_failed_page_is_an_error() {
    let server = MockServer::start().await;
    let a = "123e4567-e89b-12d3-a456-42661417400a";
    Mock::given(method("GET"))
        .and(path("/ai-assistants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(puretalk_page(&[a])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ai-assistants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(puretalk_page(&[])))
        .with_priority(2)
        .mount(&server)
        .await;
    let listed = puretalk_client(&server)
        .list(Vendor::PureTalk)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // A page that fails fails the listing: nothing is lost silently.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ai-assistants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(puretalk_page(&[a])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ai-assistants"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"err": true, "msg": "Invalid page."})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let bots = puretalk_client(&server);
    // The stream gives the first page's bot, then the error, then ends.
    let items: Vec<_> =
        futures::StreamExt::collect::<Vec<_>>(bots.list_stream(Vendor::PureTalk)).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok(), "{items:?}");
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound, "{err}");
    // `list` gives the error, not the bots before it.
    let err = bots.list(Vendor::PureTalk).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound, "{err}");
}

/// A Converza server that would accept any update; the tests check that
/// none reaches it.
async fn converza_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/openapi/auth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"access_token": "jwt", "token_type": "Bearer", "expires_in": 86400}
        })))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {}})),
        )
        .mount(&server)
        .await;
    server
}

fn converza(server: &MockServer) -> Chatbots {
    Chatbots::builder()
        .converza_keys("cvz_key", "cvz_secret")
        .base_url(Vendor::Converza, server.uri())
        .build()
        .expect("client builds")
}

const CONVERZA_BOT: &str = "770e8400-e29b-41d4-a716-446655440002";

#[tokio::test]
async fn numbers_are_checked_on_the_callers_value_before_anything_is_sent() {
    let server = converza_server().await;
    let bots = converza(&server);
    let bot = BotRef::new(Vendor::Converza, CONVERZA_BOT);
    let refused = [
        // Out of range on the caller's value, not after an overflow.
        (1e308, "between 0.0 and 2.0"),
        (f64::INFINITY, "finite"),
        (f64::NAN, "finite"),
        (-0.5, "between 0.0 and 2.0"),
        // In range, but a 32-bit float would change it.
        (0.123456789, "32-bit float"),
    ];
    for (value, rule) in refused {
        let err = bots
            .update(&bot, &ChatbotPatch::new().temperature(value))
            .await
            .unwrap_err();
        match err.kind() {
            ErrorKind::InvalidInput { field, rule: said } => {
                assert_eq!(field, "temperature", "{value}: {err}");
                assert!(said.contains(rule), "{value}: `{said}` should say {rule}");
            }
            other => panic!("{value}: {other:?} {err}"),
        }
        assert!(err.to_string().contains("converza"), "{err}");
    }
    assert!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.method.as_str() != "PATCH"),
        "nothing was sent"
    );

    // What a 32-bit float holds exactly goes through, written as given.
    for value in [0.1, 0.7, 2.0, 0.0] {
        bots.update(&bot, &ChatbotPatch::new().temperature(value))
            .await
            .unwrap_or_else(|e| panic!("{value}: {e}"));
    }
    let sent: Vec<serde_json::Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let temperatures: Vec<String> = sent.iter().map(|b| b["temperature"].to_string()).collect();
    assert_eq!(temperatures, ["0.1", "0.7", "2.0", "0.0"]);
}

#[tokio::test]
async fn update_many_reports_every_bot_and_a_failure_stops_no_other() {
    let sandbox = Sandbox::builder()
        .bots(20)
        .rate_limit(chatbots_sandbox::Vendor::StreamSkill, None)
        .start()
        .await
        .expect("sandbox starts");
    let bots = client(&sandbox);
    let mut items = Vec::new();
    for vendor in [Vendor::Converza, Vendor::PureTalk, Vendor::OkChat] {
        for id in sandbox.seeded_bots(vendor) {
            items.push((
                BotRef::new(vendor, id),
                ChatbotPatch::new().name("Fleet name"),
            ));
        }
    }
    // A bot that does not exist, in the middle of the batch.
    let missing = BotRef::new(Vendor::PureTalk, "123e4567-e89b-12d3-a456-426614170000");
    items.insert(
        25,
        (missing.clone(), ChatbotPatch::new().name("Fleet name")),
    );
    let total = items.len();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = seen.clone();
    let options = chatbots::BulkOptions::new()
        .concurrency(4)
        .on_progress(move |p| {
            progress
                .lock()
                .unwrap()
                .push((p.done, p.total, p.result.is_ok()))
        });

    let outcomes = bots
        .update_many(items.clone(), &options)
        .await
        .expect("all valid");

    assert_eq!(outcomes.len(), total);
    for ((bot, _), outcome) in items.iter().zip(&outcomes) {
        assert_eq!(&outcome.bot, bot, "in the order given");
        if *bot == missing {
            let err = outcome.result.as_ref().unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::NotFound, "{err}");
        } else {
            assert!(outcome.result.is_ok(), "{bot}: {:?}", outcome.result);
        }
    }
    let seen = seen.lock().unwrap().clone();
    let done: Vec<usize> = seen.iter().map(|(done, _, _)| *done).collect();
    assert_eq!(done, (1..=total).collect::<Vec<_>>());
    assert!(seen.iter().all(|(_, t, _)| *t == total));
    assert_eq!(seen.iter().filter(|(_, _, ok)| !ok).count(), 1);
    // The updates took effect.
    let read = bots.get(&items[0].0).await.expect("get");
    assert_eq!(read.name.as_deref(), Some("Fleet name"));
}

#[tokio::test]
async fn update_many_sends_nothing_when_a_patch_is_refused() {
    let server = converza_server().await;
    let bots = converza(&server);
    let good = (
        BotRef::new(Vendor::Converza, CONVERZA_BOT),
        ChatbotPatch::new().name("ok"),
    );
    // Other bots: one bot twice is refused as such (`identity.rs`).
    let out_of_range = (
        BotRef::new(Vendor::Converza, "770e8400-e29b-41d4-a716-446655440003"),
        ChatbotPatch::new().temperature(7.0),
    );
    let unsupported = (
        BotRef::new(Vendor::Converza, "770e8400-e29b-41d4-a716-446655440004"),
        ChatbotPatch::new().greeting("hi"),
    );
    let not_configured = (
        BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f"),
        ChatbotPatch::new().name("x"),
    );
    let err = bots
        .update_many(
            [good, out_of_range, unsupported, not_configured],
            &chatbots::BulkOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.total, 4);
    let kinds: Vec<_> = err
        .refused
        .iter()
        .map(|o| o.result.as_ref().unwrap_err().kind().clone())
        .collect();
    assert!(
        matches!(kinds[0], ErrorKind::InvalidInput { .. }),
        "{kinds:?}"
    );
    assert!(
        matches!(kinds[1], ErrorKind::Unsupported { .. }),
        "{kinds:?}"
    );
    assert!(matches!(kinds[2], ErrorKind::Config), "{kinds:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("3 of 4 updates refused, nothing sent"),
        "{shown}"
    );
    assert!(shown.contains("temperature"), "{shown}");
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing sent"
    );
}

#[tokio::test]
async fn a_hundred_concurrent_updates_on_one_streamskill_credential_all_succeed() {
    // StreamSkill's documented bucket, refilled faster so the test runs in
    // under two seconds; the client is told the same limit. Not faster:
    // at 200/s a loaded machine's scheduling delays (a few ms) bunched
    // requests at the server beyond its bucket.
    let limit = chatbots::RateLimit {
        burst: 30,
        per_second: 50.0,
    };
    let sandbox = Sandbox::builder()
        .bots(100)
        .rate_limit(
            chatbots_sandbox::Vendor::StreamSkill,
            Some(chatbots_sandbox::RateLimit {
                burst: limit.burst,
                per_second: limit.per_second,
            }),
        )
        .start()
        .await
        .expect("sandbox starts");
    let bots = std::sync::Arc::new(
        Chatbots::builder()
            .streamskill_token(
                sandbox
                    .credentials(chatbots_sandbox::Vendor::StreamSkill)
                    .expect("emulated")
                    .key,
            )
            .base_url(
                Vendor::StreamSkill,
                sandbox.base_url(chatbots_sandbox::Vendor::StreamSkill),
            )
            .rate_limit(Vendor::StreamSkill, limit)
            // A 429 would fail the call: only pacing keeps them all inside.
            .retry(chatbots::RetryPolicy::disabled())
            .build()
            .expect("client builds"),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for id in sandbox.seeded_bots(chatbots_sandbox::Vendor::StreamSkill) {
        let bots = bots.clone();
        tasks.spawn(async move {
            bots.update(
                &BotRef::new(Vendor::StreamSkill, id),
                &ChatbotPatch::new().language("de"),
            )
            .await
        });
    }
    let mut succeeded = 0;
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("update within the limit");
        succeeded += 1;
    }
    assert_eq!(succeeded, 100);
}
