//! The `drop-field` fault: an update of two fields under
//! `drop-field=<one>` is answered exactly as without the rule, yet a later
//! read shows the other field changed and the dropped one as it was; a
//! read under the rule is untouched and does not use it up; `times(1)`
//! drops once, then updates store everything again. Raw HTTP against the
//! real sandbox, for every vendor it emulates; plus the rule's syntax.

use chatbots_sandbox::probe::{Auth as ProbeAuth, Call, DropFieldProbe, FieldRead};
use chatbots_sandbox::{Credentials, Fault, FaultRule, Sandbox, Vendor};
use reqwest::Method;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// `vendor`'s drop-field probe (each vendor module's: the requests differ
/// per vendor, what is checked does not).
fn probe(vendor: Vendor) -> &'static DropFieldProbe {
    &chatbots_sandbox::probe(vendor)
        .unwrap_or_else(|| panic!("{vendor}: emulated, so probed"))
        .drop_field
}

/// `json`, a probe's JSON text, as a value.
fn value(json: &str) -> Value {
    serde_json::from_str(json).expect("a probe's JSON parses")
}

/// A client of `vendor`'s default account.
struct Client {
    base: String,
    auth: (&'static str, String),
}

impl Client {
    async fn new(sandbox: &Sandbox, vendor: Vendor) -> Client {
        let base = sandbox.base_url(vendor);
        let creds = sandbox.credentials(vendor).expect("emulated");
        let auth = auth_header(&base, vendor, creds).await;
        Client { base, auth }
    }

    /// The answer of a call that succeeds.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>, id: &str) -> Value {
        let (status, body) = self.answer(method, path, body, id).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    async fn answer(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        id: &str,
    ) -> (u16, Value) {
        let mut request = http()
            .request(method, format!("{}{}", self.base, path.replace("{id}", id)))
            .header(self.auth.0, &self.auth.1);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string().replace("{id}", id));
        }
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    /// `call` for bot `id`, which succeeds.
    async fn probe_call(&self, call: &Call, id: &str) -> Value {
        let body = call.body_for(id).map(|text| value(&text));
        let method = Method::from_bytes(call.method.as_bytes()).expect("a method");
        self.call(method, call.path, body.as_ref(), id).await
    }

    /// The bot's (kept, dropped) fields as a read shows them.
    async fn read(&self, read: &FieldRead, id: &str) -> (Value, Value) {
        match read {
            FieldRead::Get {
                call,
                kept,
                dropped,
            } => {
                let body = self.probe_call(call, id).await;
                let at = |pointer: &str| {
                    body.pointer(pointer)
                        .cloned()
                        .unwrap_or_else(|| panic!("{}: no {pointer} in {body}", call.path))
                };
                (at(kept), at(dropped))
            }
            FieldRead::Chat {
                session,
                session_id,
                ask,
                answer,
                fields,
            } => {
                let opened = self.probe_call(session, id).await;
                let session = opened.pointer(session_id).expect("a session id");
                let body = ask
                    .body
                    .map(|text| value(&text.replace("{session}", &session.to_string())));
                let method = Method::from_bytes(ask.method.as_bytes()).expect("a method");
                let answered = self.call(method, ask.path, body.as_ref(), id).await;
                let text = answered.pointer(answer).and_then(Value::as_str);
                fields(text.expect("an answer")).expect("the answer shows both fields")
            }
        }
    }
}

/// The header carrying `creds`, as the vendor's probe says; a token comes
/// from its exchange.
async fn auth_header(base: &str, vendor: Vendor, creds: Credentials) -> (&'static str, String) {
    let auth = &chatbots_sandbox::probe(vendor).expect("emulated").auth;
    let ProbeAuth::Exchange(exchange) = auth else {
        return auth.header(creds.key);
    };
    let response = http()
        .post(format!("{base}{}", exchange.path))
        .json(&exchange.body(&creds))
        .send()
        .await
        .expect("token");
    let body: Value = response.json().await.expect("JSON");
    let token = body.pointer(exchange.token).and_then(Value::as_str);
    auth.header(token.expect("a token"))
}

/// `value` without its time stamps, which differ between any two answers.
fn untimed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(name, _)| name.as_str() != "updated_at")
                .map(|(name, v)| (name.clone(), untimed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(untimed).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn an_update_under_drop_field_answers_as_usual_but_keeps_the_old_value_once() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    for vendor in sandbox.vendors_to_test() {
        let probe = probe(vendor);
        let sent = (value(probe.sent.0), value(probe.sent.1));
        let id = sandbox.demo_bot(vendor).expect("a demo bot");
        let client = Client::new(&sandbox, vendor).await;
        let rule = FaultRule::new(Fault::DropField(probe.dropped.into()))
            .vendor(vendor)
            .times(1);
        sandbox.faults().inject(rule.clone());

        // A read under the rule answers normally and leaves it in place.
        let (kept_before, dropped_before) = client.read(&probe.read, id).await;
        assert_ne!(kept_before, sent.0, "{vendor}: pick a new value");
        assert_ne!(dropped_before, sent.1, "{vendor}: pick a new value");
        assert_eq!(sandbox.faults().rules(), vec![rule], "{vendor}");

        let dropping = client.probe_call(&probe.update, id).await;
        assert_eq!(
            client.read(&probe.read, id).await,
            (sent.0.clone(), dropped_before.clone()),
            "{vendor}: the other field changed, the dropped one did not"
        );
        assert!(sandbox.faults().rules().is_empty(), "{vendor}: used up");

        // Once: the same update is stored whole now, and its answer is
        // the one the client got under the rule.
        let normal = client.probe_call(&probe.update, id).await;
        assert_eq!(untimed(&dropping), untimed(&normal), "{vendor}");
        assert_eq!(
            client.read(&probe.read, id).await,
            sent,
            "{vendor}: stored whole after times=1"
        );
    }
}

#[tokio::test]
async fn a_vendor_field_path_and_filters_narrow_the_rule() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let vendor = Vendor::OkChat;
    if !sandbox.emulates(vendor) {
        eprintln!("skipped {vendor}: not emulated by the sandbox");
        return;
    }
    let id = sandbox.demo_bot(vendor).expect("a demo bot");
    let client = Client::new(&sandbox, vendor).await;
    let read = FieldRead::Get {
        call: Call::get("/api/external/chatbot/{id}"),
        kept: "/chatbot/settings/model",
        dropped: "/chatbot/settings/prompt",
    };
    // Another vendor's rule, one for a field this update lacks, and one
    // whose random share is nothing leave it alone (and are not used up);
    // the body path is taken as it is.
    for rule in [
        "drop-field=settings.prompt,vendor=puretalk,times=1",
        "drop-field=description,times=1",
        "drop-field=model,fraction=0",
        "drop-field=settings.prompt,vendor=okchat,times=1",
    ] {
        sandbox
            .faults()
            .inject(rule.parse().expect("the syntax parses"));
    }
    let (_, prompt_before) = client.read(&read, id).await;
    let body = json!({"settings": {"model": "gpt-4o", "prompt": "Dropped prompt"}});
    // An update refused (an unknown bot) does not use a rule up.
    let unknown = client
        .answer(
            Method::PATCH,
            "/api/external/chatbots?id=00000000-0000-4000-8000-00000000dead",
            Some(&body),
            id,
        )
        .await;
    assert_eq!(unknown.0, 404, "{unknown:?}");
    assert_eq!(sandbox.faults().rules().len(), 4);
    let answer = client
        .call(
            Method::PATCH,
            "/api/external/chatbots?id={id}",
            Some(&body),
            id,
        )
        .await;
    assert_eq!(answer["chatbot"]["settings"]["prompt"], "Dropped prompt");
    assert_eq!(
        client.read(&read, id).await,
        (json!("gpt-4o"), prompt_before)
    );
    let left: Vec<String> = sandbox
        .faults()
        .rules()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        left,
        [
            "drop-field=settings.prompt,vendor=puretalk,times=1",
            "drop-field=description,times=1",
            "drop-field=model,fraction=0",
        ]
    );
}

#[test]
fn drop_field_rules_round_trip_and_bad_ones_are_refused_with_the_reason() {
    let rule = FaultRule::new(Fault::DropField("greeting".into()))
        .vendor(Vendor::PureTalk)
        .times(1);
    let text = rule.to_string();
    assert_eq!(text, "drop-field=greeting,vendor=puretalk,times=1");
    assert_eq!(text.parse::<FaultRule>(), Ok(rule));
    let longest = format!("drop-field={}", "a".repeat(Fault::MAX_FIELD_NAME));
    assert!(longest.parse::<FaultRule>().is_ok());
    for (text, complaint) in [
        ("drop-field", "needs the name of a field"),
        ("drop-field=", "needs the name of a field"),
        (
            &*format!("drop-field={}", "a".repeat(Fault::MAX_FIELD_NAME + 1)),
            "a field of 257 bytes, above the maximum of 256",
        ),
        ("drop-field=na\u{1b}[2Jme", "control character U+001B"),
        ("drop-field=name,status=500", "names two faults"),
    ] {
        let error = text.parse::<FaultRule>().expect_err(text).to_string();
        assert!(error.contains(complaint), "{text}: {error}");
        assert!(!error.contains(&"a".repeat(100)), "bounded: {error}");
    }
}

#[tokio::test]
async fn the_admin_route_takes_and_refuses_drop_field_rules() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let admin = format!("http://{}/_sandbox/faults", sandbox.addr());
    let too_long = format!("drop-field={}", "x".repeat(300));
    let refused = http().post(&admin).body(too_long).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let text = refused.text().await.unwrap();
    assert!(text.contains("above the maximum of 256"), "{text}");
    let added = http()
        .post(&admin)
        .body("drop-field=settings.greeting,vendor=okchat")
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let listed = http()
        .get(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listed, "drop-field=settings.greeting,vendor=okchat\n");
}

#[test]
fn the_command_line_documents_and_checks_drop_field() {
    let binary = env!("CARGO_BIN_EXE_chatbots-sandbox");
    let help = std::process::Command::new(binary)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("drop-field=<field>"), "{help}");
    let refused = std::process::Command::new(binary)
        .args(["--fault", "drop-field=,vendor=okchat"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("`drop-field` needs the name of a field"),
        "{stderr}"
    );
}
