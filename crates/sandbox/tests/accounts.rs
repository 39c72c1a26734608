//! Two accounts per vendor: `default` and `client-b`, each with its own
//! credentials and bots. A bot of one account asked for with the other's
//! credential is answered exactly as a bot that does not exist (the
//! vendor's 404 in its own shape), on every per-bot route; lists show the
//! caller's bots only; a refused write changes nothing. Raw HTTP against
//! the real sandbox, for every vendor it emulates.

use chatbots_sandbox::probe::{Auth as ProbeAuth, Call, Probe};
use chatbots_sandbox::{Credentials, SECOND_ACCOUNT, Sandbox, Vendor};
use reqwest::Method;
use serde_json::{Value, json};

const BOTS: usize = 12;

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .bots(BOTS)
        .start()
        .await
        .expect("sandbox starts")
}

/// The probe of `vendor` (each vendor module's: the requests differ per
/// vendor, what is checked does not).
fn probe(vendor: Vendor) -> &'static Probe {
    chatbots_sandbox::probe(vendor).unwrap_or_else(|| panic!("{vendor}: emulated, so probed"))
}

/// A client of one account of one vendor.
struct Client {
    base: String,
    vendor: Vendor,
    probe: &'static Probe,
    /// The credential header as sent.
    auth: (&'static str, String),
}

impl Client {
    async fn new(sandbox: &Sandbox, vendor: Vendor, account: &str) -> Client {
        let creds = sandbox
            .credentials_of(vendor, account)
            .unwrap_or_else(|| panic!("{vendor}@{account}: credentials"));
        let base = sandbox.base_url(vendor);
        let auth = auth_header(&base, vendor, creds).await;
        Client {
            base,
            vendor,
            probe: probe(vendor),
            auth,
        }
    }

    async fn call(&self, call: &Call, id: &str) -> (u16, Value) {
        let method = Method::from_bytes(call.method.as_bytes()).expect("a method");
        let mut request = http()
            .request(method, format!("{}{}", self.base, call.path_for(id)))
            .header(self.auth.0, &self.auth.1);
        if let Some(text) = call.body_for(id) {
            request = request
                .header("content-type", "application/json")
                .body(text);
        }
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    /// `GET path`, `path` below the base URL.
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = http()
            .get(format!("{}{path}", self.base))
            .header(self.auth.0, &self.auth.1)
            .send()
            .await
            .expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `method path` with the JSON `body`, `path` below the base URL.
    async fn send(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        let response = http()
            .request(method, format!("{}{path}", self.base))
            .header(self.auth.0, &self.auth.1)
            .json(&body)
            .send()
            .await
            .expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The status `answer` carries: in the body for a vendor that answers
    /// failures inside HTTP 200, else the HTTP status.
    fn status_of(&self, answer: &(u16, Value)) -> u64 {
        self.probe
            .status_in_body
            .and_then(|pointer| answer.1.pointer(pointer)?.as_u64())
            .unwrap_or(u64::from(answer.0))
    }

    /// Every id `list` shows (under `key`, at any depth).
    async fn listed(&self, path: &str, key: &str) -> (Vec<String>, Value) {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{}: list {body}", self.vendor);
        let mut ids = Vec::new();
        collect_ids(&body, key, &mut ids);
        (ids, body)
    }
}

/// The header carrying `creds`, as the vendor's probe says; a token comes
/// from its exchange.
async fn auth_header(base: &str, vendor: Vendor, creds: Credentials) -> (&'static str, String) {
    let auth = &probe(vendor).auth;
    let ProbeAuth::Exchange(exchange) = auth else {
        return auth.header(creds.key);
    };
    let response = http()
        .post(format!("{base}{}", exchange.path))
        .json(&exchange.body(&creds))
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), 200, "{vendor}: token exchange");
    let body: Value = response.json().await.expect("JSON");
    let token = body.pointer(exchange.token).and_then(Value::as_str);
    auth.header(token.expect("a token"))
}

fn collect_ids(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, value) in map {
                match value {
                    Value::String(id) if name == key => out.push(id.clone()),
                    Value::Number(id) if name == key => out.push(id.to_string()),
                    _ => collect_ids(value, key, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, key, out)),
        _ => {}
    }
}

/// `answer` with `id` written as `{id}`, so that answers about two ids can
/// be compared.
fn without(answer: &(u16, Value), id: &str) -> (u16, String) {
    (answer.0, answer.1.to_string().replace(id, "{id}"))
}

/// A bot of the default account's id format that this sandbox does not
/// hold.
fn unknown_bot(vendor: Vendor) -> String {
    Sandbox::seeded_bots_of(vendor, BOTS + 7)
        .pop()
        .expect("an id")
}

/// The bots of `account`: its demo bot and its seeded ones.
fn bots_of(sandbox: &Sandbox, vendor: Vendor, account: &str) -> Vec<String> {
    let mut bots = sandbox.seeded_bots_in(vendor, account);
    assert_eq!(bots.len(), BOTS, "{vendor}@{account}");
    bots.push(
        sandbox
            .demo_bot_in(vendor, account)
            .expect("a demo bot")
            .to_string(),
    );
    bots
}

#[tokio::test]
async fn lists_show_only_the_callers_bots() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        let probe = probe(vendor);
        let Some(list) = &probe.list else {
            eprintln!("{vendor}: no list endpoint, nothing to list");
            continue;
        };
        let accounts = Sandbox::accounts();
        for account in accounts {
            let client = Client::new(&sandbox, vendor, account).await;
            let (listed, body) = client.listed(list.path, list.id_key).await;
            for own in bots_of(&sandbox, vendor, account) {
                assert!(
                    listed.contains(&own),
                    "{vendor}@{account}: {own} not listed"
                );
            }
            for other in accounts.iter().filter(|a| *a != account) {
                for theirs in bots_of(&sandbox, vendor, other) {
                    assert!(
                        !listed.contains(&theirs),
                        "{vendor}@{account}: lists {other}'s {theirs}"
                    );
                }
            }
            if *account == SECOND_ACCOUNT {
                // Only its own: its demo bot and its seeded ones.
                assert_eq!(listed.len(), BOTS + 1, "{vendor}@{account}: {listed:?}");
                if let Some(total) = list.total {
                    let total = body.pointer(total).and_then(Value::as_u64);
                    assert_eq!(total, Some(BOTS as u64 + 1), "{vendor}@{account}");
                }
            }
        }
    }
}

#[tokio::test]
async fn pages_hold_the_callers_bots_only() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        let Some((pages, key)) = probe(vendor)
            .list
            .as_ref()
            .and_then(|list| Some((list.pages?, list.id_key)))
        else {
            continue;
        };
        let client = Client::new(&sandbox, vendor, SECOND_ACCOUNT).await;
        let mut seen = Vec::new();
        // 13 bots in pages of 5: three pages, then none.
        for page in 1..=3 {
            let path = format!("{pages}?page={page}&limit=5");
            let (ids, _) = client.listed(&path, key).await;
            assert_eq!(
                ids.len(),
                if page < 3 { 5 } else { BOTS + 1 - 10 },
                "{vendor} page {page}"
            );
            seen.extend(ids);
        }
        seen.sort();
        let mut own = bots_of(&sandbox, vendor, SECOND_ACCOUNT);
        own.sort();
        assert_eq!(seen, own, "{vendor}: every own bot once, nothing else");
    }
}

#[tokio::test]
async fn another_accounts_bot_is_an_unknown_bot_and_stays_unchanged() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        let probe = probe(vendor);
        let unknown = unknown_bot(vendor);
        for (mine, theirs) in [("default", SECOND_ACCOUNT), (SECOND_ACCOUNT, "default")] {
            let me = Client::new(&sandbox, vendor, mine).await;
            let owner = Client::new(&sandbox, vendor, theirs).await;
            let bot = sandbox.demo_bot_in(vendor, theirs).expect("a demo bot");
            let before = owner.call(&probe.read, bot).await;
            assert_eq!(before.0, 200, "{vendor}@{theirs}: reads its own {bot}");

            let calls = [&probe.read, &probe.write].into_iter().chain(probe.others);
            for call in calls {
                let answer = me.call(call, bot).await;
                let nobody = me.call(call, &unknown).await;
                assert_eq!(
                    without(&answer, bot),
                    without(&nobody, &unknown),
                    "{vendor}@{mine} {} {}: {theirs}'s bot answers as an unknown one",
                    call.method,
                    call.path
                );
                // The vendor's 404: as a status, or (HotTask) in its envelope.
                let code = me.status_of(&answer);
                assert_eq!(code, 404, "{vendor}@{mine} {}: {:?}", call.path, answer);
            }
            let after = owner.call(&probe.read, bot).await;
            assert_eq!(
                before, after,
                "{vendor}@{theirs}: {mine}'s writes changed {bot}"
            );
        }
    }
}

#[tokio::test]
async fn each_account_updates_its_own_bots() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        let probe = probe(vendor);
        for account in Sandbox::accounts() {
            let client = Client::new(&sandbox, vendor, account).await;
            let other = Sandbox::accounts()
                .iter()
                .find(|a| *a != account)
                .expect("two accounts");
            let theirs = Client::new(&sandbox, vendor, other).await;
            let their_bot = sandbox.demo_bot_in(vendor, other).expect("a demo bot");
            let theirs_before = theirs.call(&probe.read, their_bot).await;

            let bot = sandbox.seeded_bots_in(vendor, account)[0].clone();
            let before = client.call(&probe.read, &bot).await;
            assert_eq!(before.0, 200, "{vendor}@{account}: read {bot} {before:?}");
            let written = client.call(&probe.write, &bot).await;
            assert_eq!(
                written.0, 200,
                "{vendor}@{account}: write {bot} {written:?}"
            );
            assert_eq!(
                client.status_of(&written),
                200,
                "{vendor}@{account}: {written:?}"
            );
            let after = client.call(&probe.read, &bot).await;
            assert_eq!(after.0, 200, "{vendor}@{account}");
            assert_ne!(before, after, "{vendor}@{account}: the write shows");

            let theirs_after = theirs.call(&probe.read, their_bot).await;
            assert_eq!(theirs_before, theirs_after, "{vendor}@{other} untouched");
        }
    }
}

#[tokio::test]
async fn the_second_accounts_bots_are_named_after_it() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        let Some(list) = &probe(vendor).list else {
            continue;
        };
        let client = Client::new(&sandbox, vendor, SECOND_ACCOUNT).await;
        let (_, body) = client.listed(list.path, "name").await;
        let text = body.to_string();
        // StreamSkill's orders have no name; their `comment` carries it.
        assert!(text.contains("Client B demo bot"), "{vendor}: {text}");
        assert!(
            text.contains(&format!("Client B support bot {BOTS}")),
            "{vendor}"
        );
    }
}

#[tokio::test]
async fn the_credentials_document_lists_every_account_in_order() {
    let sandbox = sandbox().await;
    let url = format!("http://{}/_sandbox/credentials", sandbox.addr());
    let body: Value = http()
        .get(&url)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    for vendor in sandbox.vendors_to_test() {
        let entry = &body["vendors"][vendor.slug()];
        let secrets =
            |c: Credentials| json!(std::iter::once(c.key).chain(c.secret).collect::<Vec<_>>());
        let default = sandbox.credentials(vendor).expect("emulated");
        assert_eq!(entry["credentials"], secrets(default), "{vendor}");
        let accounts = entry["accounts"].as_object().expect("accounts");
        assert_eq!(accounts.len(), Sandbox::accounts().len() - 1, "{vendor}");
        let second = sandbox
            .credentials_of(vendor, SECOND_ACCOUNT)
            .expect("a second account");
        assert_eq!(
            accounts[SECOND_ACCOUNT]["credentials"],
            secrets(second),
            "{vendor}"
        );
        assert_ne!(default.key, second.key, "{vendor}");
    }
    assert_eq!(
        body["vendors"]["converza"]["accounts"][SECOND_ACCOUNT]["credentials"],
        json!(["cvz_key_client_b", "cvz_secret_client_b"]),
        "key id first, then the secret, as for the default account"
    );
}

#[tokio::test]
async fn the_accounts_are_known_and_unknown_ones_are_none() {
    let sandbox = sandbox().await;
    assert_eq!(Sandbox::accounts(), ["default", SECOND_ACCOUNT]);
    for vendor in sandbox.vendors_to_test() {
        assert_eq!(
            sandbox.credentials_of(vendor, "default"),
            sandbox.credentials(vendor)
        );
        assert_eq!(
            sandbox.demo_bot_in(vendor, "default"),
            sandbox.demo_bot(vendor)
        );
        assert_eq!(
            sandbox.seeded_bots_in(vendor, "default"),
            sandbox.seeded_bots(vendor)
        );
        assert_eq!(sandbox.credentials_of(vendor, "client-z"), None);
        assert_eq!(sandbox.demo_bot_in(vendor, "client-z"), None);
        assert!(sandbox.seeded_bots_in(vendor, "client-z").is_empty());
    }
}

#[tokio::test]
async fn two_accounts_have_two_rate_limit_buckets() {
    use chatbots_sandbox::RateLimit;

    let mut builder = Sandbox::builder();
    let probe_vendors: Vec<Vendor> = Vendor::ALL.into_iter().collect();
    for vendor in &probe_vendors {
        builder = builder.rate_limit(
            *vendor,
            Some(RateLimit {
                burst: 2,
                per_second: 0.01,
            }),
        );
    }
    let sandbox = builder.start().await.expect("sandbox starts");
    for vendor in sandbox.vendors_to_test() {
        let probe = probe(vendor);
        let mut statuses = Vec::new();
        let mut clients = Vec::new();
        for account in Sandbox::accounts() {
            let client = Client::new(&sandbox, vendor, account).await;
            let bot = sandbox.demo_bot_in(vendor, account).expect("a demo bot");
            // The burst (Converza's exchange took no turn: it carries no
            // token), then one over.
            let mut own = Vec::new();
            for _ in 0..3 {
                own.push(client.call(&probe.read, bot).await.0);
            }
            statuses.push(own);
            clients.push((account, client));
        }
        // Each account spent its own burst: the second was not refused
        // because the first emptied a shared one.
        for own in &statuses {
            assert_eq!(own[..2], [200, 200], "{vendor}: {statuses:?}");
            assert_eq!(own[2], 429, "{vendor}: {statuses:?}");
        }
        // And the stats count each account's credential apart.
        let stats = sandbox.stats().vendor(vendor);
        for (account, client) in &clients {
            let label = sandbox.credential_label(client.auth.0, &client.auth.1);
            let counts = &stats.credentials[&label];
            assert_eq!(
                (counts.status(200), counts.status(429)),
                (2, 1),
                "{vendor}@{account}"
            );
        }
    }
}

/// Converza's keys and tokens belong to accounts: the exchange binds a
/// token to its key's account, a key made with the API belongs to the
/// account that made it, and each account lists (and finds) its own keys.
#[tokio::test]
async fn converza_keys_and_tokens_belong_to_their_account() {
    let sandbox = sandbox().await;
    let vendor = Vendor::Converza;
    if !sandbox.emulates(vendor) {
        eprintln!("skipped {vendor}: not emulated by the sandbox");
        return;
    }
    let keys_of = |body: &Value| -> Vec<String> {
        let mut ids = Vec::new();
        collect_ids(body, "key_id", &mut ids);
        ids
    };
    let default = Client::new(&sandbox, vendor, "default").await;
    let second = Client::new(&sandbox, vendor, SECOND_ACCOUNT).await;
    let list = "/api/openapi/v1/api-keys";
    let (_, body) = second.get(list).await;
    assert_eq!(keys_of(&body), ["cvz_key_client_b"], "{body}");
    let (_, body) = default.get(list).await;
    assert!(keys_of(&body).contains(&"cvz_key_sandbox".to_string()));
    assert!(!keys_of(&body).contains(&"cvz_key_client_b".to_string()));
    let get = |id: &str| format!("/api/openapi/v1/api-keys/{id}");
    assert_eq!(second.get(&get("cvz_key_sandbox")).await.0, 404);
    assert_eq!(default.get(&get("cvz_key_client_b")).await.0, 404);

    // A pair made by client-b opens client-b.
    let (status, body) = second
        .send(
            Method::POST,
            "/api/openapi/v1/api-keys",
            json!({"name": "second key of client-b"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let creds = Credentials {
        key: body["data"]["key_id"]
            .as_str()
            .expect("key id")
            .to_string()
            .leak(),
        secret: Some(
            body["data"]["key_secret"]
                .as_str()
                .expect("secret")
                .to_string()
                .leak(),
        ),
        ..sandbox
            .credentials_of(vendor, SECOND_ACCOUNT)
            .expect("emulated")
    };
    let base = sandbox.base_url(vendor);
    let made = Client {
        auth: auth_header(&base, vendor, creds).await,
        base,
        vendor,
        probe: probe(vendor),
    };
    let (_, body) = made.get("/api/openapi/v1/bots?limit=100").await;
    let mut listed = Vec::new();
    collect_ids(&body, "id", &mut listed);
    let demo = sandbox
        .demo_bot_in(vendor, SECOND_ACCOUNT)
        .expect("a demo bot");
    assert!(listed.contains(&demo.to_string()), "{body}");
    let default_demo = sandbox.demo_bot(vendor).expect("a demo bot");
    assert!(!listed.contains(&default_demo.to_string()), "{body}");
}

/// HotTask's pre-signed upload `PUT` carries no key: the URL names the
/// account, so that the upload reaches that account's file.
#[tokio::test]
async fn hottask_uploads_reach_the_account_that_asked() {
    let sandbox = sandbox().await;
    let vendor = Vendor::HotTask;
    if !sandbox.emulates(vendor) {
        eprintln!("skipped {vendor}: not emulated by the sandbox");
        return;
    }
    let second = Client::new(&sandbox, vendor, SECOND_ACCOUNT).await;
    let (status, body) = second
        .send(
            Method::POST,
            "/chat/User/GetPreUploadUrl",
            json!({"fileName": "menu.pdf"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let url = body["Data"]["PreUploadUrl"]
        .as_str()
        .expect("a URL")
        .to_string();
    assert!(url.contains("X-Amz-Credential=client-b"), "{url}");
    // Without the account, the default account has no such file.
    let bare = url.replace("&X-Amz-Credential=client-b", "");
    let refused = http().put(&bare).body("x").send().await.expect("answered");
    assert_eq!(refused.status(), 403);
    let put = http().put(&url).body("x").send().await.expect("answered");
    assert_eq!(put.status(), 200);
}
