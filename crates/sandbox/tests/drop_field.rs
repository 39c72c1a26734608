//! The `drop-field` fault: an update of two fields under
//! `drop-field=<one>` is answered exactly as without the rule, yet a later
//! read shows the other field changed and the dropped one as it was; a
//! read under the rule is untouched and does not use it up; `times(1)`
//! drops once, then updates store everything again. Raw HTTP against the
//! real sandbox, for every vendor it emulates; plus the rule's syntax.

use chatbots_sandbox::{Credentials, Fault, FaultRule, Sandbox, Vendor};
use reqwest::Method;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// How the test updates and reads one vendor's bot: the requests differ
/// per vendor, what is checked does not.
struct Probe {
    /// The bot's update, its path below the base URL (`{id}` for the bot),
    /// with a body setting the kept field and the dropped one.
    update: (Method, &'static str, Value),
    /// The rule's field: a shared name the update takes.
    dropped: &'static str,
    /// The new values the body sets: (kept, dropped).
    sent: (Value, Value),
    /// How the bot is read back.
    read: Read,
}

enum Read {
    /// `GET` this path; the kept and the dropped field at these pointers.
    Get(&'static str, &'static str, &'static str),
    /// HotTask reads no settings back: a chat answer names the bot (`Name`)
    /// and ends with its `AnswerSuffix`.
    Chat,
}

/// The probe of `vendor`; `None` (reported) for a vendor this test does
/// not know yet.
fn probe(vendor: Vendor) -> Option<Probe> {
    let probe = match vendor {
        Vendor::OkChat => Probe {
            update: (
                Method::PATCH,
                "/api/external/chatbots?id={id}",
                json!({"name": "Kept name", "settings": {"greeting": "Dropped greeting"}}),
            ),
            dropped: "greeting",
            sent: (json!("Kept name"), json!("Dropped greeting")),
            read: Read::Get(
                "/api/external/chatbot/{id}",
                "/chatbot/name",
                "/chatbot/settings/greeting",
            ),
        },
        Vendor::PureTalk => Probe {
            update: (
                Method::PATCH,
                "/ai-assistants/{id}",
                json!({"name": "Kept name", "begin_message": "Dropped greeting"}),
            ),
            dropped: "greeting",
            sent: (json!("Kept name"), json!("Dropped greeting")),
            read: Read::Get(
                "/ai-assistants/{id}",
                "/results/name",
                "/results/begin_message",
            ),
        },
        Vendor::Converza => Probe {
            update: (
                Method::PATCH,
                "/api/openapi/v1/bots/{id}",
                json!({"name": "Kept name", "instructions": "Dropped instructions"}),
            ),
            dropped: "instructions",
            sent: (json!("Kept name"), json!("Dropped instructions")),
            read: Read::Get(
                "/api/openapi/v1/bots/{id}",
                "/data/name",
                "/data/instructions",
            ),
        },
        // Its one shared field is `language`; `interval` is its own.
        Vendor::StreamSkill => Probe {
            update: (
                Method::POST,
                "/purchases/{id}/edit-ai-chatbots",
                json!({"language": "ru", "count": 60, "interval": 30}),
            ),
            dropped: "language",
            sent: (json!(30), json!("ru")),
            read: Read::Get(
                "/purchases/{id}",
                "/settings/interval",
                "/settings/language",
            ),
        },
        Vendor::HotTask => Probe {
            update: (
                Method::POST,
                "/chat/Chatbot/Edit",
                json!({"serialNumber": "{id}", "Name": "Dropped name", "AnswerSuffix": "Kept suffix"}),
            ),
            dropped: "name",
            sent: (json!("Kept suffix"), json!("Dropped name")),
            read: Read::Chat,
        },
        _ => {
            eprintln!("skipped {vendor}: tests/drop_field.rs has no probe for it");
            return None;
        }
    };
    Some(probe)
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
        let auth = auth_header(&base, creds).await;
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

    /// The bot's (kept, dropped) fields as a read shows them.
    async fn read(&self, read: &Read, id: &str) -> (Value, Value) {
        match read {
            Read::Get(path, kept, dropped) => {
                let body = self.call(Method::GET, path, None, id).await;
                let at = |pointer: &str| {
                    body.pointer(pointer)
                        .cloned()
                        .unwrap_or_else(|| panic!("{path}: no {pointer} in {body}"))
                };
                (at(kept), at(dropped))
            }
            Read::Chat => {
                let body = json!({"serialNumber": id});
                let session = self
                    .call(Method::POST, "/chat/Chatbot/GetSession", Some(&body), id)
                    .await;
                let ask = json!({"sessionID": session["Data"]["SessionID"], "content": "hello"});
                let answer = self
                    .call(Method::POST, "/chat/Chat/ClientAsk", Some(&ask), id)
                    .await;
                let text = answer["Data"]["Answer"].as_str().expect("an answer");
                let name = text
                    .strip_prefix("This is ")
                    .and_then(|rest| rest.split(", a sandbox chatbot").next())
                    .expect("the answer names the bot");
                let suffix = text.lines().skip(1).last().unwrap_or_default();
                (json!(suffix), json!(name))
            }
        }
    }
}

/// The header carrying `creds`; Converza's token comes from its exchange.
async fn auth_header(base: &str, creds: Credentials) -> (&'static str, String) {
    if let Some(secret) = creds.secret {
        let response = http()
            .post(format!("{base}/api/openapi/auth/token"))
            .json(&json!({"key_id": creds.key, "key_secret": secret}))
            .send()
            .await
            .expect("token");
        let body: Value = response.json().await.expect("JSON");
        let token = body["data"]["access_token"].as_str().expect("a token");
        return ("authorization", format!("Bearer {token}"));
    }
    let how = creds.how.to_ascii_lowercase();
    if how.starts_with("x-api-key") {
        ("x-api-key", creds.key.to_string())
    } else if how.contains("bearer") {
        ("authorization", format!("Bearer {}", creds.key))
    } else {
        ("authorization", creds.key.to_string())
    }
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
        let Some(probe) = probe(vendor) else { continue };
        let id = sandbox.demo_bot(vendor).expect("a demo bot");
        let client = Client::new(&sandbox, vendor).await;
        let rule = FaultRule::new(Fault::DropField(probe.dropped.into()))
            .vendor(vendor)
            .times(1);
        sandbox.faults().inject(rule.clone());

        // A read under the rule answers normally and leaves it in place.
        let (kept_before, dropped_before) = client.read(&probe.read, id).await;
        assert_ne!(kept_before, probe.sent.0, "{vendor}: pick a new value");
        assert_ne!(dropped_before, probe.sent.1, "{vendor}: pick a new value");
        assert_eq!(sandbox.faults().rules(), vec![rule], "{vendor}");

        let (method, path, body) = &probe.update;
        let dropping = client.call(method.clone(), path, Some(body), id).await;
        assert_eq!(
            client.read(&probe.read, id).await,
            (probe.sent.0.clone(), dropped_before.clone()),
            "{vendor}: the other field changed, the dropped one did not"
        );
        assert!(sandbox.faults().rules().is_empty(), "{vendor}: used up");

        // Once: the same update is stored whole now, and its answer is
        // the one the client got under the rule.
        let normal = client.call(method.clone(), path, Some(body), id).await;
        assert_eq!(untimed(&dropping), untimed(&normal), "{vendor}");
        assert_eq!(
            client.read(&probe.read, id).await,
            probe.sent.clone(),
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
    let read = Read::Get(
        "/api/external/chatbot/{id}",
        "/chatbot/settings/model",
        "/chatbot/settings/prompt",
    );
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
