//! The generated clients pace themselves under the sandbox's emulated rate
//! limits: StreamSkill's documented bucket (scaled up so that the tests run
//! in about a second), one budget per credential across clients, and a
//! limit a vendor does not document, learned from its 429s.

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use chatbots_runtime::{ClientConfig, Pacing, RetryPolicy, SecretString};
use chatbots_sandbox::{RateLimit, Sandbox, Vendor};

/// The sandbox's limit and the client's, the same bucket.
fn limits(burst: u32, per_second: f64) -> (RateLimit, chatbots_runtime::RateLimit) {
    (
        RateLimit { burst, per_second },
        chatbots_runtime::RateLimit { burst, per_second },
    )
}

fn streamskill(
    sandbox: &Sandbox,
    limit: chatbots_runtime::RateLimit,
) -> chatbots_streamskill::Client {
    let config = ClientConfig {
        base_url: Some(sandbox.base_url(Vendor::StreamSkill)),
        // Not retried: a 429 would be a failed call.
        retry: RetryPolicy::disabled(),
        pacing: Pacing {
            limit: Some(limit),
            ..Pacing::default()
        },
        ..ClientConfig::default()
    };
    let key = SecretString::from(
        sandbox
            .credentials(Vendor::StreamSkill)
            .expect("emulated")
            .key,
    );
    let auth = chatbots_streamskill::header_auth(&key).expect("key");
    chatbots_streamskill::Client::with_config(auth, &config).expect("client")
}

/// `n` edits of the demo order at once, each from its own task and clone;
/// the failures, as text.
async fn edits(client: &chatbots_streamskill::Client, n: usize) -> Vec<String> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let body = chatbots_streamskill::types::EditAiChatbotsObject {
                    interval: NonZeroU64::new(30),
                    count: None,
                    language: None,
                };
                client
                    .edit_ai_chatbots()
                    .order_id(12345)
                    .body(body)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("task") {
            failures.push(e);
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_streamskill_edits_all_succeed_within_the_bucket() {
    // StreamSkill's burst of 30, refilled 100 times faster than documented.
    let (server, client) = limits(30, 200.0);
    let sandbox = Sandbox::builder()
        .streamskill_rate_limit(Some(server))
        .start()
        .await
        .expect("sandbox");
    let client = streamskill(&sandbox, client);
    assert_eq!(chatbots_streamskill::RATE_LIMIT.map(|l| l.burst), Some(30));

    let started = Instant::now();
    let failures = edits(&client, 100).await;
    let took = started.elapsed();
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(
        sandbox.requests(Vendor::StreamSkill),
        100,
        "nothing re-sent"
    );
    // 10 at once (100 ms of refill kept spare), then 90 at 200/s.
    assert!(took >= Duration::from_millis(440), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_on_one_credential_share_one_budget() {
    let (server, client) = limits(10, 40.0);
    let sandbox = Sandbox::builder()
        .streamskill_rate_limit(Some(server))
        .start()
        .await
        .expect("sandbox");
    // Built separately, from the same key: one budget. Each alone would
    // send its 30 within the vendor's limit; together, unshared, they would
    // send twice as fast and meet 429s (which are not retried here).
    let one = streamskill(&sandbox, client);
    let two = streamskill(&sandbox, client);
    let started = Instant::now();
    let (a, b) = tokio::join!(edits(&one, 30), edits(&two, 30));
    let took = started.elapsed();
    assert_eq!(a, Vec::<String>::new());
    assert_eq!(b, Vec::<String>::new());
    // 6 at once (100 ms of refill kept spare), then 54 at 40/s.
    assert!(took >= Duration::from_millis(1300), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_slows_a_vendor_without_a_documented_limit_and_it_recovers() {
    use chatbots_okchat::{Client, header_auth};

    let sandbox = Sandbox::builder()
        .rate_limit(
            Vendor::OkChat,
            Some(RateLimit {
                burst: 10,
                per_second: 50.0,
            }),
        )
        .start()
        .await
        .expect("sandbox");
    assert_eq!(chatbots_okchat::RATE_LIMIT, None, "OKChat documents none");
    let config = ClientConfig {
        base_url: Some(sandbox.base_url(Vendor::OkChat)),
        // Enough attempts for the learning; no wait of their own beyond
        // the vendor's Retry-After.
        retry: RetryPolicy {
            max_attempts: 5,
            min_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    let key = SecretString::from(sandbox.credentials(Vendor::OkChat).expect("emulated").key);
    let client = Client::with_config(header_auth(&key).expect("key"), &config).expect("client");
    assert_eq!(client.runtime().pacing_rate(), None, "unpaced at first");

    let bot = sandbox.demo_bot(Vendor::OkChat).expect("emulated");
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_chatbot().chatbot_id(bot).send().await.map(drop) })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("every read succeeds");
    }
    let learned = client
        .runtime()
        .pacing_rate()
        .expect("paced after the storm");
    // The storm sent 100 at once; the rate learned is far below that.
    assert!(learned < 500.0, "{learned}");
    // Only the first storm is large: afterwards the client stays near the
    // vendor's rate.
    let sent = sandbox.requests(Vendor::OkChat);
    assert!(sent < 100 + 100 + 60, "{sent} requests for 100 reads");

    // No 429 for a while: the rate grows back.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let recovered = client.runtime().pacing_rate().expect("still paced");
    assert!(recovered > learned, "{recovered} after {learned}");
}
