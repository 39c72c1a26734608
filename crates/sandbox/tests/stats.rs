//! `GET /_sandbox/stats` and `Sandbox::stats()`: requests and answers per
//! vendor and per credential, counted at the server, secrets never shown.

use chatbots_sandbox::{FaultRule, NO_CREDENTIAL, Sandbox, SandboxStats, Vendor};

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn stats_count_requests_and_statuses_per_vendor_and_hashed_credential() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let key = sandbox.credentials(Vendor::OkChat).expect("emulated").key;
    let url = format!("{}/api/external/chatbots", sandbox.base_url(Vendor::OkChat));
    for _ in 0..2 {
        let ok = http
            .get(&url)
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    let wrong = http
        .get(&url)
        .header("x-api-key", "not-a-key-0123456789")
        .send();
    assert_eq!(wrong.await.unwrap().status(), 401);
    // An injected 429 is counted as the client saw it.
    sandbox.faults().inject(
        "rate-limit=1,vendor=okchat,times=1"
            .parse::<FaultRule>()
            .unwrap(),
    );
    let limited = http
        .get(&url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    // Admin routes are not counted.
    let _ = http
        .get(format!("http://{}/_sandbox/health", sandbox.addr()))
        .send()
        .await;

    let stats = sandbox.stats();
    let okchat = stats.vendor(Vendor::OkChat);
    assert_eq!(okchat.total.requests, 4);
    assert_eq!(okchat.total.status(200), 2);
    assert_eq!(okchat.total.status(401), 1);
    assert_eq!(okchat.total.status(429), 1);
    let mine = &okchat.credentials[&sandbox.credential_label("x-api-key", key)];
    assert_eq!(mine.requests, 3);
    assert_eq!((mine.status(200), mine.status(429)), (2, 1));
    assert_eq!(okchat.credentials.len(), 2);
    assert_eq!(stats.vendor(Vendor::HotTask).total.requests, 0);

    // The same over HTTP, and no credential in it.
    let text = http
        .get(format!("http://{}/_sandbox/stats", sandbox.addr()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains(key) && !text.contains("not-a-key"), "{text}");
    let served: SandboxStats = serde_json::from_str(&text).unwrap();
    assert_eq!(served, stats);
}

#[tokio::test]
async fn a_request_without_a_credential_header_counts_under_none() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = format!("{}/purchases", sandbox.base_url(Vendor::StreamSkill));
    let answer = http().get(url).send().await.unwrap();
    let stats = sandbox.stats().vendor(Vendor::StreamSkill);
    assert_eq!(stats.credentials[NO_CREDENTIAL].requests, 1);
    assert_eq!(stats.total.status(answer.status().as_u16()), 1);
}
