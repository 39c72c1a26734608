//! `bots(n)` / `--bots N`: n extra bots per vendor with deterministic ids,
//! listed after the fixtures, each exactly once across the pages of the
//! paginated lists (Converza's `page`/`limit` with `pagination`,
//! PureTalk's DRF pages), read through the generated clients.

use std::collections::BTreeSet;

use chatbots_runtime::{ClientConfig, SecretString};
use chatbots_sandbox::{Sandbox, Vendor};
use serde_json::{Value, json};

const BOTS: usize = 250;

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn sandbox() -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Sandbox::builder()
        .bots(BOTS)
        .start()
        .await
        .expect("sandbox starts")
}

fn config(sandbox: &Sandbox, vendor: Vendor) -> ClientConfig {
    ClientConfig {
        base_url: Some(sandbox.base_url(vendor)),
        ..Default::default()
    }
}

/// Adds `ids` to `seen`, failing on a repeat.
fn collect(seen: &mut BTreeSet<String>, ids: impl IntoIterator<Item = String>, vendor: Vendor) {
    for id in ids {
        assert!(seen.insert(id.clone()), "{vendor}: {id} listed twice");
    }
}

/// Every seeded id is listed, and the fixtures besides.
fn assert_all_listed(sandbox: &Sandbox, vendor: Vendor, seen: &BTreeSet<String>, fixtures: usize) {
    let seeded = sandbox.seeded_bots(vendor);
    assert_eq!(seeded.len(), BOTS, "{vendor}");
    assert_eq!(seen.len(), BOTS + fixtures, "{vendor}");
    for id in &seeded {
        assert!(seen.contains(id), "{vendor}: {id} not listed");
    }
    assert!(
        seen.contains(sandbox.demo_bot(vendor).expect("emulated")),
        "{vendor}"
    );
}

#[tokio::test]
async fn converza_pages_list_every_bot_once() {
    use chatbots_converza::{Auth, Client};

    let sandbox = sandbox().await;
    let credentials = sandbox.credentials(Vendor::Converza).expect("emulated");
    let auth = Auth::new(
        SecretString::from(credentials.key),
        SecretString::from(credentials.secret.unwrap_or_default()),
    );
    let client = Client::with_config(auth, &config(&sandbox, Vendor::Converza)).expect("client");
    // The spec's default page size (20), and its largest (100).
    for limit in [None, Some(100u64)] {
        let mut seen = BTreeSet::new();
        let mut page = 1u64;
        loop {
            let mut request = client.list_bots().page(page);
            if let Some(limit) = limit {
                request = request.limit(limit);
            }
            let answer = request.send().await.expect("list").into_inner();
            let data = answer.data.expect("data");
            let pagination = data.pagination.expect("pagination");
            let size = limit.unwrap_or(20);
            assert_eq!(pagination.page, Some(page as i64));
            assert_eq!(pagination.limit, Some(size as i64));
            assert_eq!(pagination.total, Some((BOTS + 3) as i64));
            let pages = (BOTS as u64 + 3).div_ceil(size);
            assert_eq!(pagination.total_pages, Some(pages as i64));
            let bots = data.bots.unwrap_or_default();
            let expected = if page < pages {
                size
            } else {
                (BOTS as u64 + 3) - size * (pages - 1)
            };
            assert_eq!(bots.len() as u64, expected, "page {page}");
            collect(
                &mut seen,
                bots.into_iter().map(|b| b.id.expect("id")),
                Vendor::Converza,
            );
            if page >= pages {
                break;
            }
            page += 1;
        }
        assert_all_listed(&sandbox, Vendor::Converza, &seen, 3);
        // A page past the last is empty, not an error.
        let mut past = client.list_bots().page(page + 1);
        if let Some(limit) = limit {
            past = past.limit(limit);
        }
        let past = past.send().await.expect("list").into_inner();
        assert_eq!(past.data.and_then(|d| d.bots).map(|b| b.len()), Some(0));
    }
    // A seeded bot reads back and takes an update.
    let id: uuid::Uuid = sandbox.seeded_bots(Vendor::Converza)[BOTS - 1]
        .parse()
        .expect("a UUID");
    let bot = client
        .get_bot()
        .id(id)
        .send()
        .await
        .expect("get")
        .into_inner();
    assert_eq!(
        bot.data.and_then(|b| b.name).as_deref(),
        Some("Sandbox bot 250")
    );
}

#[tokio::test]
async fn puretalk_drf_pages_list_every_assistant_once() {
    use chatbots_puretalk::{Client, header_auth};

    let sandbox = sandbox().await;
    let key = sandbox.credentials(Vendor::PureTalk).expect("emulated").key;
    let auth = header_auth(&SecretString::from(key)).expect("valid key");
    let client = Client::with_config(auth, &config(&sandbox, Vendor::PureTalk)).expect("client");
    // The default page size (10), and a larger one.
    for limit in [None, Some(100i32)] {
        let mut seen = BTreeSet::new();
        let mut page = 1i32;
        loop {
            let mut request = client.list_assistants().page(page);
            if let Some(limit) = limit {
                request = request.limit(limit);
            }
            let answer = request.send().await.expect("list").into_inner();
            assert_eq!(answer.count, Some((BOTS + 3) as i64));
            assert_eq!(answer.previous.is_some(), page > 1, "page {page}");
            collect(
                &mut seen,
                answer
                    .results
                    .into_iter()
                    .map(|a| a.assistant_id.expect("assistant_id")),
                Vendor::PureTalk,
            );
            if answer.next.is_none() {
                break;
            }
            page += 1;
        }
        assert_all_listed(&sandbox, Vendor::PureTalk, &seen, 3);
    }
}

/// `next` and `previous` are absolute URLs on the sandbox's own base URL:
/// following `next` from the first page visits every assistant once.
#[tokio::test]
async fn puretalk_next_links_work_against_the_sandbox() {
    let sandbox = sandbox().await;
    let http = http();
    let key = sandbox.credentials(Vendor::PureTalk).expect("emulated").key;
    let base = sandbox.base_url(Vendor::PureTalk);
    let mut url = format!("{base}/ai-assistants?limit=7");
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    loop {
        let page: Value = http
            .get(&url)
            .header("X-API-KEY", key)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("JSON");
        pages += 1;
        let ids = page["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|a| a["assistant_id"].as_str().unwrap_or_default().to_string());
        collect(&mut seen, ids, Vendor::PureTalk);
        if pages > 1 {
            let previous = page["previous"].as_str().expect("previous");
            assert!(previous.starts_with(&format!("{base}/ai-assistants?")));
            assert!(previous.contains("limit=7"), "{previous}");
        }
        match page["next"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&format!("{base}/ai-assistants?")),
                    "{next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, (BOTS + 3).div_ceil(7));
    assert_all_listed(&sandbox, Vendor::PureTalk, &seen, 3);
}

#[tokio::test]
async fn unpaginated_lists_and_reads_include_the_seeded_bots() {
    let sandbox = sandbox().await;
    let http = http();

    // OKChat: one list of every chatbot; each seeded one reads back.
    let key = sandbox.credentials(Vendor::OkChat).expect("emulated").key;
    let base = sandbox.base_url(Vendor::OkChat);
    let list: Value = http
        .get(format!("{base}/api/external/chatbots"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    let ids = list["chatbots"]
        .as_array()
        .expect("chatbots")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or_default().to_string());
    collect(&mut seen, ids, Vendor::OkChat);
    assert_all_listed(&sandbox, Vendor::OkChat, &seen, 3);
    let last = &sandbox.seeded_bots(Vendor::OkChat)[BOTS - 1];
    let bot: Value = http
        .get(format!("{base}/api/external/chatbot/{last}"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bot["chatbot"]["slug"], "sandbox-bot-250", "{bot}");

    // StreamSkill: every order in one array, the seeded ones in progress.
    let token = sandbox
        .credentials(Vendor::StreamSkill)
        .expect("emulated")
        .key;
    let base = sandbox.base_url(Vendor::StreamSkill);
    let list: Value = http
        .get(format!("{base}/purchases/uncomplete"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    let ids = list
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].to_string());
    collect(&mut seen, ids, Vendor::StreamSkill);
    let seeded = sandbox.seeded_bots(Vendor::StreamSkill);
    assert_eq!(seeded.first().map(String::as_str), Some("100001"));
    assert_eq!(seeded.last().map(String::as_str), Some("100250"));
    for id in &seeded {
        assert!(seen.contains(id), "{id} not listed");
    }
    // A seeded order takes the documented edit.
    let edited = http
        .post(format!("{base}/purchases/100250/edit-ai-chatbots"))
        .bearer_auth(token)
        .json(&json!({"count": 20, "interval": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);

    // HotTask: no list operation; a seeded serial number takes an edit.
    let key = sandbox.credentials(Vendor::HotTask).expect("emulated").key;
    let base = sandbox.base_url(Vendor::HotTask);
    let serial = &sandbox.seeded_bots(Vendor::HotTask)[BOTS - 1];
    assert_eq!(serial.len(), 32);
    let edited: Value = http
        .post(format!("{base}/chat/Chatbot/Edit"))
        .header("Authorization", key)
        .json(&json!({"serialNumber": serial, "Name": "Renamed"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["Success"], true, "{edited}");
}

#[tokio::test]
async fn seeded_ids_are_the_same_in_every_sandbox() {
    let one = Sandbox::builder().bots(2).start().await.unwrap();
    let other = Sandbox::builder().bots(2).start().await.unwrap();
    let none = Sandbox::start().await.unwrap();
    for vendor in one.vendors_to_test() {
        let ids = one.seeded_bots(vendor);
        assert_eq!(ids.len(), 2, "{vendor}");
        assert_ne!(ids[0], ids[1], "{vendor}");
        assert_eq!(ids, other.seeded_bots(vendor), "{vendor}");
        assert!(none.seeded_bots(vendor).is_empty(), "{vendor}");
        let demo = one.demo_bot(vendor).expect("emulated");
        assert!(!ids.iter().any(|id| id == demo), "{vendor}");
    }
    // A vendor without emulation has no bots, no demo bot, no credentials.
    for vendor in Vendor::ALL.into_iter().filter(|v| !one.emulates(*v)) {
        assert!(one.seeded_bots(vendor).is_empty(), "{vendor}");
        assert_eq!(one.demo_bot(vendor), None, "{vendor}");
        assert_eq!(one.credentials(vendor), None, "{vendor}");
    }
    assert_eq!(
        one.seeded_bots(Vendor::Converza),
        [
            "5eed00c0-0000-4000-8000-000000000001",
            "5eed00c0-0000-4000-8000-000000000002"
        ]
    );
    assert_eq!(
        one.seeded_bots(Vendor::HotTask)[0],
        "5eed0000000000000000000000000001"
    );
}
