//! Emulated rate limits of the vendors that document none (Converza,
//! OKChat, PureTalk, HotTask): set from code or `--rate-limit`, a bucket
//! per credential, 429 with `Retry-After` in the vendor's error shape.
//! StreamSkill's documented bucket is covered in `streamskill.rs`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use chatbots_sandbox::probe::{Auth, Probe, holds_all};
use chatbots_sandbox::{RateLimit, RateLimitRule, Sandbox, Vendor};
use reqwest::{RequestBuilder, Response};
use serde_json::Value;

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Moves tokio's clock (the sandbox's: its server runs on this test's
/// runtime) forward without waiting. Time runs again afterwards, because
/// paused during a request tokio would jump straight to reqwest's timers.
async fn advance(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// `vendor`'s probe (its module's: a cheap authenticated read, how the
/// credential is carried, what a success and a 429 look like).
fn probe(vendor: Vendor) -> &'static Probe {
    chatbots_sandbox::probe(vendor).unwrap_or_else(|| panic!("{vendor}: emulated, so probed"))
}

/// A cheap authenticated read of `vendor`, with `credential` (the key, or
/// the token its exchange brought).
fn read(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    vendor: Vendor,
    credential: &str,
) -> RequestBuilder {
    let probe = probe(vendor);
    let (header, value) = probe.auth.header(credential);
    http.get(format!("{}{}", sandbox.base_url(vendor), probe.cheap_read))
        .header(header, value)
}

/// The credential a request of `vendor` carries: the key, or the token
/// its exchange gives for the key pair.
async fn credential(http: &reqwest::Client, sandbox: &Sandbox, vendor: Vendor) -> String {
    let credentials = sandbox.credentials(vendor).expect("emulated");
    let Auth::Exchange(exchange) = &probe(vendor).auth else {
        return credentials.key.to_string();
    };
    let body: Value = http
        .post(format!("{}{}", sandbox.base_url(vendor), exchange.path))
        .json(&exchange.body(&credentials))
        .send()
        .await
        .expect("exchange")
        .json()
        .await
        .expect("JSON");
    body.pointer(exchange.token)
        .and_then(Value::as_str)
        .expect("a token")
        .to_string()
}

/// Whether `response` is a success in `vendor`'s terms (HotTask answers
/// its own failures with HTTP 200).
async fn succeeded(vendor: Vendor, response: Response) -> bool {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    status.is_success() && holds_all(probe(vendor).success, &body)
}

/// Checks a refusal: 429, `Retry-After: <seconds>`, the vendor's shape.
async fn assert_rate_limited(vendor: Vendor, response: Response, retry_after: &str) {
    assert_eq!(response.status(), 429, "{vendor}");
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().ok()),
        Some(Some(retry_after)),
        "{vendor}"
    );
    let body: Value = response.json().await.expect("a JSON error body");
    for check in probe(vendor).rate_limited {
        assert!(check.holds(&body), "{vendor}: {check:?} in {body}");
    }
}

/// The vendors whose limit is the generic per-credential bucket (all but
/// those with a documented limiter of their own, which their own tests
/// cover: StreamSkill's `streamskill.rs`) that this sandbox emulates; the
/// others are reported as skipped.
fn generic_limits(sandbox: &Sandbox) -> Vec<Vendor> {
    sandbox
        .vendors_to_test()
        .into_iter()
        .filter(|v| RateLimit::documented(*v).is_none())
        .collect()
}

#[tokio::test]
async fn a_limit_set_from_code_answers_429_in_the_vendor_shape_until_time_passes() {
    let http = http();
    let vendors = generic_limits(&Sandbox::start().await.expect("sandbox starts"));
    for &vendor in &vendors {
        // Three at once, then one every two seconds.
        let sandbox = Sandbox::builder()
            .rate_limit(
                vendor,
                Some(RateLimit {
                    burst: 3,
                    per_second: 0.5,
                }),
            )
            .start()
            .await
            .expect("sandbox starts");
        let key = credential(&http, &sandbox, vendor).await;
        for i in 0..3 {
            let response = read(&http, &sandbox, vendor, &key).send().await.unwrap();
            assert!(succeeded(vendor, response).await, "{vendor}: request {i}");
        }
        let refused = read(&http, &sandbox, vendor, &key).send().await.unwrap();
        assert_rate_limited(vendor, refused, "2").await;

        // Another credential has a bucket of its own: it gets the
        // vendor's auth failure, not a 429.
        let stranger = read(&http, &sandbox, vendor, "someone-else")
            .send()
            .await
            .unwrap();
        assert_ne!(stranger.status(), 429, "{vendor}");

        // One second brings half a token: still refused, now for 1 s.
        advance(Duration::from_secs(1)).await;
        let refused = read(&http, &sandbox, vendor, &key).send().await.unwrap();
        assert_rate_limited(vendor, refused, "1").await;
        // A whole token.
        advance(Duration::from_secs(1)).await;
        let response = read(&http, &sandbox, vendor, &key).send().await.unwrap();
        assert!(succeeded(vendor, response).await, "{vendor}: after refill");
        let refused = read(&http, &sandbox, vendor, &key).send().await.unwrap();
        assert_eq!(refused.status(), 429, "{vendor}");
        // The rest of the sandbox is not limited: every other vendor
        // without a documented limit.
        for &other in vendors.iter().filter(|other| **other != vendor) {
            let other_key = credential(&http, &sandbox, other).await;
            for _ in 0..5 {
                let response = read(&http, &sandbox, other, &other_key)
                    .send()
                    .await
                    .unwrap();
                assert!(succeeded(other, response).await, "{other} next to {vendor}");
            }
        }
        assert_eq!(
            sandbox.settings().rate_limit(vendor).map(|l| l.burst),
            Some(3)
        );
    }
}

#[tokio::test]
async fn the_other_vendors_are_unlimited_by_default_and_streamskill_can_be_turned_off() {
    let http = http();
    let sandbox = Sandbox::builder()
        .rate_limit(Vendor::StreamSkill, None)
        .start()
        .await
        .expect("sandbox starts");
    for vendor in generic_limits(&sandbox) {
        assert_eq!(sandbox.settings().rate_limit(vendor), None);
        let key = credential(&http, &sandbox, vendor).await;
        for i in 0..40 {
            let response = read(&http, &sandbox, vendor, &key).send().await.unwrap();
            assert!(succeeded(vendor, response).await, "{vendor}: request {i}");
        }
    }
    // `rate_limit(StreamSkill, None)` is `streamskill_rate_limit(None)`.
    assert_eq!(sandbox.settings().streamskill_rate_limit, None);
    let key = sandbox
        .credentials(Vendor::StreamSkill)
        .expect("emulated")
        .key;
    for _ in 0..40 {
        let response = read(&http, &sandbox, Vendor::StreamSkill, key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("x-rate-limit-limit").is_none());
    }
    // And setting it from the generic method is the documented bucket's
    // setting.
    let scaled = Sandbox::builder()
        .rate_limit(Vendor::StreamSkill, Some(RateLimit::per_second(1000.0)))
        .start()
        .await
        .expect("sandbox starts");
    assert_eq!(
        scaled.settings().streamskill_rate_limit,
        Some(RateLimit {
            burst: 1000,
            per_second: 1000.0
        })
    );
    let response = read(&http, &scaled, Vendor::StreamSkill, key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-rate-limit-limit"], "1000");
}

#[test]
fn rate_limit_rules_parse_from_the_command_line_syntax() {
    // Every vendor's slug, in every form.
    for vendor in Vendor::ALL {
        let slug = vendor.slug();
        for (text, limit) in [
            (
                format!("{slug}=10/s,burst=10"),
                Some(RateLimit {
                    burst: 10,
                    per_second: 10.0,
                }),
            ),
            (
                format!("{slug}=20/s"),
                Some(RateLimit {
                    burst: 20,
                    per_second: 20.0,
                }),
            ),
            (
                format!(" {slug} = 0.5/s , burst=4 "),
                Some(RateLimit {
                    burst: 4,
                    per_second: 0.5,
                }),
            ),
            (
                format!("{slug}=0.25/s"),
                Some(RateLimit {
                    burst: 1,
                    per_second: 0.25,
                }),
            ),
            (
                format!("{slug}=2/s,burst=30"),
                Some(RateLimit {
                    burst: 30,
                    per_second: 2.0,
                }),
            ),
            (format!("{slug}=off"), None),
        ] {
            assert_eq!(
                text.parse::<RateLimitRule>(),
                Ok(RateLimitRule { vendor, limit }),
                "{text}"
            );
        }
    }
    for (text, complaint) in [
        ("", "names no vendor"),
        ("okchat", "names no vendor"),
        ("nosuchvendor=1/s", "unknown vendor `nosuchvendor`"),
        ("okchat=10", "`10` is not a rate"),
        ("okchat=ten/s", "not a number of requests"),
        ("okchat=-1/s", "not a number of requests"),
        ("okchat=inf/s", "not a number of requests"),
        ("okchat=1/s,burst=0", "`burst=0` is not a whole number ≥ 1"),
        ("okchat=1/s,burst=2.5", "not a whole number"),
        ("okchat=1/s,rate=2", "unknown `rate=2`"),
    ] {
        let error = text.parse::<RateLimitRule>().expect_err(text).to_string();
        assert!(error.contains(complaint), "{text}: {error}");
        // Every message teaches the syntax.
        assert!(
            error.contains("<vendor>=<rate>/s[,burst=<n>]"),
            "{text}: {error}"
        );
    }
}

/// Kills the sandbox process when the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn command_line_sets_limits_and_bots_and_refuses_bad_values() {
    let binary = env!("CARGO_BIN_EXE_chatbots-sandbox");
    let mut child = Command::new(binary)
        .args([
            "--port",
            "0",
            "--rate-limit",
            "okchat=0/s,burst=2",
            "--rate-limit=streamskill=off",
            "--bots",
            "3",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Ctrl-C");
            seen.push(line);
            if done {
                break;
            }
        }
    }
    let guard = KillOnDrop(child);
    let text = seen.join("\n");
    assert!(
        text.contains("limit:    0/s,burst=2 per credential"),
        "{text}"
    );
    assert_eq!(text.matches("limit:").count(), 1, "{text}");
    assert!(
        text.contains("bots:     3 seeded, 100001 … 100003"),
        "{text}"
    );
    assert!(
        text.contains(
            "5eed000c-0000-4000-8000-000000000001 … 5eed000c-0000-4000-8000-000000000003"
        ),
        "{text}"
    );
    let base = text
        .lines()
        .find_map(|l| l.strip_prefix("chatbots-sandbox listening on "))
        .expect("the address")
        .to_string();

    let http = http();
    let key = chatbots_sandbox::Credentials::of(Vendor::OkChat)
        .expect("emulated")
        .key;
    let okchat = || {
        http.get(format!("{base}/okchat/api/external/chatbots"))
            .header("x-api-key", key)
            .send()
    };
    let first: Value = okchat().await.unwrap().json().await.unwrap();
    assert_eq!(first["chatbots"].as_array().map(Vec::len), Some(3 + 3));
    assert_eq!(okchat().await.unwrap().status(), 200);
    let refused = okchat().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "3600");
    // StreamSkill's documented bucket is off: no headers.
    let streamskill = http
        .get(format!("{base}/streamskill/purchases"))
        .bearer_auth(
            chatbots_sandbox::Credentials::of(Vendor::StreamSkill)
                .expect("emulated")
                .key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(streamskill.status(), 200);
    assert!(streamskill.headers().get("x-rate-limit-limit").is_none());
    drop(guard);

    for (args, complaint) in [
        (&["--rate-limit", "okchat=10"][..], "`10` is not a rate"),
        (
            &["--rate-limit", "nosuchvendor=1/s"][..],
            "unknown vendor `nosuchvendor`",
        ),
        (&["--rate-limit", "okchat=1/s,burst=0"][..], "burst=0"),
        (&["--rate-limit"][..], "--rate-limit needs a value"),
        (
            &["--bots", "many"][..],
            "--bots: `many` is not a whole number",
        ),
        (&["--bots", "-1"][..], "--bots: `-1` is not a whole number"),
    ] {
        let refused = Command::new(binary).args(args).output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(complaint), "{args:?}: {stderr}");
        if args[0] == "--rate-limit" && args.len() > 1 {
            assert!(stderr.contains("--rate-limit: "), "{args:?}: {stderr}");
            assert!(
                stderr.contains("<vendor>=<rate>/s[,burst=<n>]"),
                "{args:?}: {stderr}"
            );
        }
    }
}
