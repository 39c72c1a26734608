//! Fault injection, from code, from the admin route and from the command
//! line. The faults are vendor-neutral, so each test aims at any route.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chatbots_sandbox::{Fault, FaultRule, Sandbox, Vendor};
use proptest::prelude::*;

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

fn url(sandbox: &Sandbox, vendor: Vendor, path: &str) -> String {
    format!("{}{path}", sandbox.base_url(vendor))
}

#[tokio::test]
async fn status_fault_hits_only_the_next_n_matching_requests() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::HotTask)
            .route("/chat/")
            .times(2),
    );
    let client = http();
    let hottask = url(&sandbox, Vendor::HotTask, "/chat/Chatbot/ModelList");
    let other_route = url(&sandbox, Vendor::HotTask, "/other");
    let other_vendor = url(&sandbox, Vendor::OkChat, "/chat/Chatbot/ModelList");

    assert_ne!(client.get(&other_route).send().await.unwrap().status(), 503);
    assert_ne!(
        client.get(&other_vendor).send().await.unwrap().status(),
        503
    );
    for _ in 0..2 {
        let response = client.get(&hottask).send().await.unwrap();
        assert_eq!(response.status(), 503);
        // The vendor's error shape, not an empty body.
        let body: serde_json::Value = response.json().await.expect("JSON error body");
        assert!(body.is_object(), "{body}");
    }
    assert_ne!(client.get(&hottask).send().await.unwrap().status(), 503);
    assert!(sandbox.faults().rules().is_empty(), "used-up rule removed");
}

#[tokio::test]
async fn rate_limit_fault_sends_retry_after_in_whole_seconds() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.faults().inject(FaultRule::new(Fault::RateLimited {
        retry_after: Duration::from_millis(1500),
    }));
    let response = http()
        .get(url(&sandbox, Vendor::PureTalk, "/ai-assistants"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
}

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = http();
    let target = url(&sandbox, Vendor::StreamSkill, "/nowhere");
    let normal = client.get(&target).send().await.unwrap().status();
    sandbox.faults().inject(
        FaultRule::new(Fault::Latency(Duration::from_millis(300)))
            .method("get")
            .times(1),
    );
    let started = Instant::now();
    let delayed = client.get(&target).send().await.unwrap().status();
    // A lower bound only: the delay is the fault's, never a flaky upper bound.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed, normal);
}

#[tokio::test]
async fn malformed_json_is_a_200_that_does_not_parse() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(FaultRule::new(Fault::MalformedJson).vendor(Vendor::Converza));
    let response = http()
        .get(url(&sandbox, Vendor::Converza, "/api/openapi/v1/bots"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
}

#[tokio::test]
async fn truncated_body_breaks_off_mid_body() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(FaultRule::new(Fault::TruncatedBody).times(1));
    let client = http();
    let target = url(&sandbox, Vendor::OkChat, "/api/external/chatbots");
    let response = client.get(&target).send().await.unwrap();
    let announced = response.content_length().expect("Content-Length");
    let body = response.bytes().await;
    assert!(
        body.is_err(),
        "body of {announced} bytes arrived whole: {body:?}"
    );
    // The next request is served whole again.
    let whole = client.get(&target).send().await.unwrap().bytes().await;
    assert!(whole.is_ok());
}

#[tokio::test]
async fn connection_reset_ends_the_request_without_an_answer() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(FaultRule::new(Fault::ConnectionReset).times(1));
    let client = http();
    let target = url(&sandbox, Vendor::HotTask, "/chat/Chatbot/ModelList");
    let error = client.get(&target).send().await.expect_err("reset");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(client.get(&target).send().await.is_ok(), "server still up");
}

#[tokio::test]
async fn fraction_applies_to_about_that_share() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .faults()
        .inject(FaultRule::new(Fault::Status(500)).fraction(0.5));
    let client = http();
    let target = url(&sandbox, Vendor::PureTalk, "/nowhere");
    let mut failed = 0;
    for _ in 0..200 {
        if client.get(&target).send().await.unwrap().status() == 500 {
            failed += 1;
        }
    }
    // 200 draws at p = 0.5: outside 50..150 has probability < 1e-12.
    assert!((50..150).contains(&failed), "{failed} of 200");
}

#[tokio::test]
async fn request_counter_counts_per_vendor() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = http();
    for _ in 0..3 {
        client
            .get(url(&sandbox, Vendor::OkChat, "/x"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(sandbox.requests(Vendor::OkChat), 3);
    assert_eq!(sandbox.requests(Vendor::HotTask), 0);
}

#[tokio::test]
async fn admin_route_adds_lists_and_clears_faults() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = http();
    let admin = format!("http://{}/_sandbox/faults", sandbox.addr());
    let added = client
        .post(&admin)
        .body("status=502,vendor=okchat,times=1")
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let refused = client.post(&admin).body("status=99").send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("not an HTTP status"));
    // Listed one a line, as POST takes them.
    assert_eq!(
        client
            .get(&admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "status=502,vendor=okchat,times=1\n"
    );
    let target = url(&sandbox, Vendor::OkChat, "/x");
    assert_eq!(client.get(&target).send().await.unwrap().status(), 502);
    client
        .post(&admin)
        .body("status=504,vendor=okchat")
        .send()
        .await
        .unwrap();
    assert_eq!(client.delete(&admin).send().await.unwrap().status(), 204);
    assert_ne!(client.get(&target).send().await.unwrap().status(), 504);
}

#[tokio::test]
async fn sandboxes_are_independent_and_stop_on_drop() {
    let one = Sandbox::start().await.unwrap();
    let two = Sandbox::start().await.unwrap();
    assert_ne!(one.addr(), two.addr());
    one.faults().inject(FaultRule::new(Fault::Status(500)));
    let client = http();
    let on_two = url(&two, Vendor::OkChat, "/x");
    assert_ne!(client.get(&on_two).send().await.unwrap().status(), 500);
    let addr = one.addr();
    drop(one);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after drop"
    );
}

#[test]
fn fault_rules_parse_from_the_command_line_syntax() {
    let rule: FaultRule =
        "rate-limit=3,vendor=streamskill,route=/purchases,method=post,fraction=0.25"
            .parse()
            .unwrap();
    assert_eq!(
        rule,
        FaultRule::new(Fault::RateLimited {
            retry_after: Duration::from_secs(3)
        })
        .vendor(Vendor::StreamSkill)
        .route("/purchases")
        .method("POST")
        .fraction(0.25)
    );
    for (text, complaint) in [
        ("", "names no fault"),
        ("vendor=okchat", "names no fault"),
        ("reset,truncate", "names two faults"),
        ("status=700", "not an HTTP status"),
        ("latency=soon", "needs milliseconds"),
        ("status=500,vendor=nosuchvendor", "unknown vendor"),
        ("status=500,fraction=2", "not within 0..1"),
        ("explode", "unknown `explode`"),
    ] {
        let error = text.parse::<FaultRule>().expect_err(text).to_string();
        assert!(error.contains(complaint), "{text}: {error}");
    }
}

#[test]
fn command_line_prints_base_urls_and_credentials_and_refuses_bad_flags() {
    let binary = env!("CARGO_BIN_EXE_chatbots-sandbox");
    let mut child = Command::new(binary)
        .args([
            "--port",
            "0",
            "--fault",
            "status=503,vendor=hottask,times=1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Ctrl-C");
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let text = seen.join("\n");
    for vendor in Vendor::ALL {
        assert!(text.contains(&format!("/{}", vendor.slug())), "{text}");
        match chatbots_sandbox::Credentials::of(vendor) {
            Some(credentials) => assert!(text.contains(credentials.key), "{text}"),
            None => assert!(
                text.contains(&format!("{}: not emulated", vendor.title())),
                "{text}"
            ),
        }
    }
    assert!(text.contains("cvz_secret_sandbox"), "{text}");
    // The rule as `--fault` takes it, not a Rust `Debug` dump.
    assert!(
        text.contains("  status=503,vendor=hottask,times=1"),
        "{text}"
    );

    let refused = Command::new(binary)
        .args(["--fault", "status=42"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an HTTP status"));
}

#[tokio::test]
async fn absurd_and_control_character_rules_are_refused_with_400() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = http();
    let admin = format!("http://{}/_sandbox/faults", sandbox.addr());
    for (rule, complaint) in [
        // u64::MAX ms: summed twice, this overflowed (a panic per request).
        (
            "latency=18446744073709551615",
            "above the maximum of 600000 ms",
        ),
        ("latency=600000.000001", "above the maximum"),
        ("status=500,route=/x\u{1b}[2J", "control character U+001B"),
        ("status=500,method=GE\u{202e}T", "control character U+202E"),
        ("reset=now", "takes no value"),
    ] {
        let answer = client.post(&admin).body(rule).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{rule}");
        let text = answer.text().await.unwrap();
        assert!(text.contains(complaint), "{rule}: {text}");
    }
    let refused = client
        .post(&admin)
        .body("explode\u{1b}]0;owned\u{7}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !refused.trim_end().chars().any(char::is_control),
        "{refused:?}"
    );
    assert!(refused.contains("explode\\e]0;owned\\u{7}"), "{refused}");
    assert!(sandbox.faults().rules().is_empty());
    // The largest latency allowed is taken.
    let added = client
        .post(&admin)
        .body("latency=600000,times=1")
        .send()
        .await;
    assert_eq!(added.unwrap().status(), 201);
}

#[test]
fn command_line_refuses_an_absurd_rule_naming_it_and_escapes_what_it_quotes() {
    let binary = env!("CARGO_BIN_EXE_chatbots-sandbox");
    let absurd = Command::new(binary)
        .args(["--port", "0", "--fault", "latency=18446744073709551615"])
        .output()
        .unwrap();
    assert_eq!(absurd.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&absurd.stderr);
    assert!(
        stderr.contains("`latency=18446744073709551615` is above the maximum of 600000 ms"),
        "{stderr}"
    );
    for hostile in [
        vec!["--fault", "status=500,route=/\u{1b}[31mred"],
        vec!["--fault", "explode\u{1b}[2J\u{9b}1m\u{2066}"],
        vec!["--bots", "many\u{1b}[2J"],
        vec!["--\u{1b}]0;title\u{7}"],
    ] {
        let refused = Command::new(binary).args(&hostile).output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{hostile:?}");
        let stderr = String::from_utf8(refused.stderr).unwrap();
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("chatbots-sandbox: "), "{stderr}");
        assert!(
            !stderr
                .chars()
                .any(|c| c != '\n' && (c.is_control() || ('\u{2066}'..='\u{2069}').contains(&c))),
            "{hostile:?}: {stderr:?}"
        );
        // Quoted escaped, or named by its code point.
        assert!(first.contains("\\e") || first.contains("U+001B"), "{first}");
    }
}

/// A route the syntax can hold: no comma (the separator), no control
/// character (refused), no space at either end (trimmed).
fn route() -> impl Strategy<Value = String> {
    "/([a-zA-Z0-9/_.~ é%-]{0,20}[a-z0-9])?"
}

/// A field name the syntax can hold: a shared name or a dotted body path,
/// non-ASCII included.
fn field() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.é]{0,30}"
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (0..=Fault::MAX_LATENCY.as_nanos() as u64)
            .prop_map(|n| Fault::Latency(Duration::from_nanos(n))),
        (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Fault::RateLimited {
            retry_after: Duration::new(s, n)
        }),
        (100..=599u16).prop_map(Fault::Status),
        Just(Fault::MalformedJson),
        Just(Fault::TruncatedBody),
        Just(Fault::ConnectionReset),
        field().prop_map(Fault::DropField),
    ]
}

proptest! {
    #[test]
    fn fault_rules_print_as_the_text_that_parses_back_to_them(
        fault in fault(),
        vendor in prop::option::of(prop::sample::select(Vendor::ALL.to_vec())),
        route in prop::option::of(route()),
        method in prop::option::of("[A-Z]{1,7}"),
        times in prop::option::of(any::<u64>()),
        fraction in prop::option::of(0.0..=1.0f64),
    ) {
        let rule = FaultRule { fault, vendor, route, method, times, fraction };
        let text = rule.to_string();
        let parsed: FaultRule = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed, rule, "{}", text);
    }
}

#[test]
fn a_rule_from_code_with_control_characters_prints_them_escaped() {
    let rule = FaultRule::new(Fault::Latency(Duration::from_micros(1500)))
        .route("/x\u{1b}[2J\u{2028}")
        .method("get\u{85}");
    assert_eq!(
        rule.to_string(),
        "latency=1.5,route=/x\\e[2J\\u{2028},method=GET\\u{85}"
    );
}
