//! Behaviour of the HotTask stand-in, over raw HTTP.

use chatbots_sandbox::{Fault, FaultRule, Sandbox, Vendor};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const KEY: &str = "sandbox-hottask-key";
const BISTRO: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";
const SUPPORT: &str = "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35";
const TEMPLATE: &str = "3254a9d0424c4806b9ea3d0763xxxxxx";

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        Api::with(Sandbox::start().await.expect("sandbox starts"))
    }

    fn with(sandbox: Sandbox) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url(Vendor::HotTask))
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("authorization", KEY)
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = builder.send().await.expect("sandbox answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response.bytes().await.expect("whole body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !bytes.is_empty() {
            assert!(content_type.contains("json"), "{status}: {content_type}");
        }
        (status, body)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, body) = self
            .send(self.request(Method::POST, path).json(&body))
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    async fn get(&self, path: &str, body: Option<Value>) -> Value {
        let mut builder = self.request(Method::GET, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let (status, body) = self.send(builder).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// `Data` of a successful call.
    async fn ok(&self, path: &str, body: Value) -> Value {
        let answer = self.post(path, body).await;
        data(answer, path)
    }

    async fn ask(&self, session: i64, content: &str) -> Value {
        self.post(
            "/chat/Chat/ClientAsk",
            json!({"sessionID": session, "content": content}),
        )
        .await
    }

    async fn session(&self, serial: &str) -> i64 {
        self.ok("/chat/Chatbot/GetSession", json!({"serialNumber": serial}))
            .await["SessionID"]
            .as_i64()
            .expect("SessionID")
    }
}

fn data(answer: Value, what: &str) -> Value {
    assert_eq!(answer["Success"], json!(true), "{what}: {answer}");
    assert_eq!(answer["Code"], json!(200), "{what}: {answer}");
    assert_eq!(answer["Version"], json!("1.0.0"), "{what}: {answer}");
    assert_eq!(answer["Message"], json!(""), "{what}: {answer}");
    answer["Data"].clone()
}

/// A business failure: `Success: false` with this code, a message
/// containing `needle`, and no `Data`.
fn assert_failure(answer: &Value, code: u16, needle: &str) {
    assert_eq!(answer["Success"], json!(false), "{answer}");
    assert_eq!(answer["Code"], json!(code), "{answer}");
    assert_eq!(answer["Version"], json!("1.0.0"), "{answer}");
    assert!(answer.get("Data").is_none(), "{answer}");
    let message = answer["Message"].as_str().unwrap_or("");
    assert!(message.contains(needle), "{needle:?} not in {answer}");
}

// ------------------------------------------------------------ round trips

#[tokio::test]
async fn an_edit_shows_in_later_answers() {
    let api = Api::start().await;
    let session = api.session(BISTRO).await;
    let before = data(api.ask(session, "Where do I park?").await, "ask");
    let answer = before["Answer"].as_str().unwrap();
    assert!(answer.contains("Bistro Bella Assistant"), "{answer}");

    let edited = api
        .ok(
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Name": "Chez Nous", "AnswerSuffix": "-- Chez Nous team"}),
        )
        .await;
    assert_eq!(edited, json!(1));

    let after = data(api.ask(session, "Where do I park?").await, "ask");
    let answer = after["Answer"].as_str().unwrap();
    assert!(answer.contains("Chez Nous"), "{answer}");
    assert!(!answer.contains("Bistro Bella Assistant"), "{answer}");
    assert!(answer.ends_with("\n-- Chez Nous team"), "{answer}");
    assert_eq!(after["SessionID"], json!(session));

    // Editing is idempotent, and omitted fields stay as they were.
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "AnswerSuffix": ""}),
    )
    .await;
    let again = data(api.ask(session, "Where do I park?").await, "ask");
    let answer = again["Answer"].as_str().unwrap();
    assert!(answer.contains("Chez Nous"), "{answer}");
    assert!(!answer.contains("team"), "{answer}");
}

#[tokio::test]
async fn an_edited_rate_limit_is_enforced() {
    let api = Api::start().await;
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "RateLimitCount": 2, "RateLimitTime": 3600,
               "RateLimitMessage": "Slow down, please"}),
    )
    .await;
    let session = api.session(BISTRO).await;
    data(api.ask(session, "one").await, "first");
    data(api.ask(session, "two").await, "second");
    let third = api.ask(session, "three").await;
    assert_failure(&third, 429, "Slow down, please");
    // Another session has its own count.
    let other = api.session(BISTRO).await;
    data(api.ask(other, "one").await, "other session");
    // Lifting the limit lets the first session talk again.
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "RateLimitCount": 0}),
    )
    .await;
    data(api.ask(session, "three").await, "unlimited");

    // Extreme windows neither panic nor wrap around.
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "RateLimitCount": 1, "RateLimitTime": i64::MAX}),
    )
    .await;
    let fresh = api.session(BISTRO).await;
    data(api.ask(fresh, "one").await, "huge window");
    let answer = api.ask(fresh, "two").await;
    assert_failure(&answer, 429, "Slow down, please");
}

#[tokio::test]
async fn add_use_remove_then_not_found() {
    let api = Api::start().await;
    let added = api
        .ok(
            "/chat/Chatbot/Add",
            json!({"timeZone": "America/New_York", "type": 0}),
        )
        .await;
    let serial = added["serialNumber"].as_str().unwrap().to_string();
    assert_eq!(serial.len(), 32);
    assert!(serial.chars().all(|c| c.is_ascii_hexdigit()), "{serial}");

    // A new chatbot has no knowledge, no history, no leads.
    let source = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": serial}))
        .await;
    assert_eq!(source, json!([]));
    let count = api
        .ok(
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(count, json!(0));
    let session = api.session(&serial).await;
    let answer = data(api.ask(session, "hello").await, "ask");
    assert!(answer["Answer"].as_str().unwrap().contains("My Chatbot"));
    let count = api
        .ok(
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"SerialNumber": serial}),
        )
        .await;
    assert_eq!(count, json!(2));

    let removed = api
        .ok("/chat/Chatbot/Remove", json!({"serialNumber": serial}))
        .await;
    assert_eq!(removed, json!(1));

    for (path, body) in [
        ("/chat/Chatbot/Remove", json!({"serialNumber": serial})),
        (
            "/chat/Chatbot/Edit",
            json!({"serialNumber": serial, "Name": "x"}),
        ),
        ("/chat/Chatbot/GetSource", json!({"serialNumber": serial})),
        (
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": serial, "text": "x"}),
        ),
        ("/chat/Chatbot/GetSession", json!({"serialNumber": serial})),
        ("/chat/Chatbot/LeadList", json!({"serialNumber": serial})),
        (
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": serial}),
        ),
        (
            "/chat/Chatbot/SendTwilioMessage",
            json!({"SerialNumber": serial, "ToPhoneNumber": "+15555550123", "Message": "hi"}),
        ),
    ] {
        let answer = api.post(path, body).await;
        assert_failure(&answer, 404, &format!("Chatbot not found: {serial}"));
    }
    let answer = api.ask(session, "still there?").await;
    assert_failure(&answer, 404, "Session not found");
    let answer = api
        .get(
            "/chat/Chatbot/GetGoogleGoolgeSheetData",
            Some(json!({"serialNumber": serial})),
        )
        .await;
    assert_failure(&answer, 404, "Chatbot not found");
}

#[tokio::test]
async fn edit_knowledge_replaces_the_sources_it_is_sent() {
    let api = Api::start().await;
    let before = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": BISTRO}))
        .await;
    let kinds: Vec<&str> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["file", "text", "website", "qa", "qa"]);

    api.ok(
        "/chat/Chatbot/EditKnowledge",
        json!({"serialNumber": BISTRO, "qaList": [{"key": "Dogs allowed?", "value": "Yes, on the terrace."}]}),
    )
    .await;
    let after = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": BISTRO}))
        .await;
    let items = after.as_array().unwrap();
    let qa: Vec<&Value> = items.iter().filter(|i| i["Type"] == "qa").collect();
    assert_eq!(qa.len(), 1);
    assert_eq!(qa[0]["Question"], json!("Dogs allowed?"));
    // The text was not sent, so it stays.
    assert!(items.iter().any(|i| i["Type"] == "text"));
    let ids: Vec<i64> = items.iter().map(|i| i["Id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=items.len() as i64).collect::<Vec<_>>());

    // The knowledge base answers matching questions.
    let session = api.session(BISTRO).await;
    let answer = data(api.ask(session, "dogs allowed").await, "ask");
    assert_eq!(answer["Answer"], json!("Yes, on the terrace."));
    let answer = data(api.ask(session, "Open on Sunday?").await, "ask");
    assert_ne!(
        answer["Answer"],
        json!("No, we are closed on Sundays and Mondays.")
    );

    // An empty text removes the text source; a sitemap needs its period.
    api.ok(
        "/chat/Chatbot/EditKnowledge",
        json!({"serialNumber": BISTRO, "text": "", "SiteMapUrl": "https://b.example/sitemap.xml",
               "EnableSyncSiteMap": true, "SyncSiteMapDays": 1}),
    )
    .await;
    let items = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": BISTRO}))
        .await;
    let items = items.as_array().unwrap();
    assert!(!items.iter().any(|i| i["Type"] == "text"));
    let sitemap = items.iter().find(|i| i["Type"] == "sitemap").unwrap();
    assert_eq!(sitemap["SyncDays"], json!(1));
    assert_eq!(sitemap["EnableSync"], json!(true));

    let answer = api
        .post(
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": BISTRO, "EnableSyncSiteMap": true}),
        )
        .await;
    assert_failure(&answer, 400, "SyncSiteMapDays is required");
    let answer = api
        .post(
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": BISTRO, "fileList": ["99999"]}),
        )
        .await;
    assert_failure(&answer, 404, "fileList: file not found: 99999");
}

#[tokio::test]
async fn history_counts_leads_and_credits_follow_the_conversation() {
    let api = Api::start().await;
    let history = api
        .ok(
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": SUPPORT, "StartTime": "2025-01-01", "EndTime": "2025-03-07"}),
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 12);
    let all = api
        .ok(
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": SUPPORT}),
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 13);
    assert_eq!(all[0]["Role"], json!("user"));
    assert_eq!(all[0]["CreateTime"], json!("2025-01-05T09:12:00Z"));
    let late = api
        .ok(
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": SUPPORT, "StartTime": "2025-03-08"}),
        )
        .await;
    assert_eq!(late.as_array().unwrap().len(), 1);
    let count = api
        .ok(
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"SerialNumber": SUPPORT}),
        )
        .await;
    assert_eq!(count, json!(13));
    let credits = data(
        api.get("/chat/Chatbot/GetMessageCreditsUsage", None).await,
        "credits",
    );
    assert_eq!(credits, json!({"Total": -1, "Used": 42, "Remain": -1}));

    let session = api.session(SUPPORT).await;
    assert!(session >= 300_001);
    let answer = data(
        api.ask(session, "Please call me back: max@example.net")
            .await,
        "ask",
    );
    assert!(answer["MessageID"].as_i64().is_some());

    let count = api
        .ok(
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"SerialNumber": SUPPORT}),
        )
        .await;
    assert_eq!(count, json!(15));
    let all = api
        .ok(
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": SUPPORT}),
        )
        .await;
    let last = all.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["Role"], json!("assistant"));
    assert_eq!(last["SessionID"], json!(session));
    let credits = data(
        api.get("/chat/Chatbot/GetMessageCreditsUsage", None).await,
        "credits",
    );
    assert_eq!(credits["Used"], json!(43));

    let leads = api
        .ok(
            "/chat/Chatbot/LeadList",
            json!({"serialNumber": SUPPORT, "sessionID": session}),
        )
        .await;
    assert_eq!(leads["Leads"][0]["Email"], json!("max@example.net"));
    assert_eq!(leads["Appointments"], json!([]));
}

#[tokio::test]
async fn lead_list_filters_by_session_and_date() {
    let api = Api::start().await;
    let all = api
        .ok("/chat/Chatbot/LeadList", json!({"serialNumber": BISTRO}))
        .await;
    assert_eq!(all["Leads"].as_array().unwrap().len(), 2);
    assert_eq!(all["Appointments"].as_array().unwrap().len(), 1);
    assert_eq!(
        all["Appointments"][0]["AppointmentTime"],
        json!("2025-02-15T19:30:00-05:00")
    );
    let session = api
        .ok(
            "/chat/Chatbot/LeadList",
            json!({"serialNumber": BISTRO, "sessionID": 123457}),
        )
        .await;
    assert_eq!(session["Leads"][0]["Email"], json!("sam@example.org"));
    assert_eq!(session["Appointments"], json!([]));
    let march = api
        .ok(
            "/chat/Chatbot/LeadList",
            json!({"serialNumber": BISTRO, "startTime": "2025-03-01", "endTime": "2025-03-31"}),
        )
        .await;
    assert_eq!(march["Leads"].as_array().unwrap().len(), 1);
    let none = api
        .ok("/chat/Chatbot/LeadList", json!({"serialNumber": TEMPLATE}))
        .await;
    assert_eq!(none, json!({"Leads": [], "Appointments": []}));
}

#[tokio::test]
async fn google_sheet_data_pages_sorts_and_refuses_template_chatbots() {
    let api = Api::start().await;
    let path = "/chat/Chatbot/GetGoogleGoolgeSheetData";
    let first = data(
        api.get(path, Some(json!({"serialNumber": SUPPORT}))).await,
        path,
    );
    assert_eq!(first["Total"], json!(12));
    assert_eq!(first["List"].as_array().unwrap().len(), 10);
    let second = data(
        api.get(
            path,
            Some(json!({"serialNumber": SUPPORT, "pageNumber": 2, "pageSize": 5, "isASC": false})),
        )
        .await,
        path,
    );
    let ids: Vec<i64> = second["List"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [7, 6, 5, 4, 3]);
    let picked = data(
        api.get(
            path,
            Some(json!({"serialNumber": SUPPORT, "ids": [3, 12, 99]})),
        )
        .await,
        path,
    );
    assert_eq!(picked["Total"], json!(2));

    let template = api.get(path, Some(json!({"serialNumber": TEMPLATE}))).await;
    assert_failure(&template, 400, "Only regular chatbots are supported");
    // The docs give defaults, no range: a large page holds every row, a
    // page before the first or of size 0 or less is empty.
    let huge = data(
        api.get(
            path,
            Some(json!({"serialNumber": SUPPORT, "pageSize": 1000})),
        )
        .await,
        path,
    );
    assert_eq!(huge["List"].as_array().unwrap().len(), 12);
    for body in [
        json!({"serialNumber": SUPPORT, "pageNumber": 0}),
        json!({"serialNumber": SUPPORT, "pageNumber": i64::MIN}),
        json!({"serialNumber": SUPPORT, "pageSize": 0}),
        json!({"serialNumber": SUPPORT, "pageSize": -3, "pageNumber": -3}),
    ] {
        let empty = data(api.get(path, Some(body.clone())).await, path);
        assert_eq!(empty["List"], json!([]), "{body}");
    }
    // Beyond the spec's `format: int64`.
    let beyond = api
        .get(
            path,
            Some(json!({"serialNumber": SUPPORT, "pageSize": u64::MAX})),
        )
        .await;
    assert_failure(&beyond, 400, "pageSize");
    let far = data(
        api.get(
            path,
            Some(json!({"serialNumber": SUPPORT, "pageNumber": i64::MAX, "pageSize": 100})),
        )
        .await,
        path,
    );
    assert_eq!(far["List"], json!([]));
    // A GET whose body a proxy dropped.
    let (status, body) = api.send(api.request(Method::GET, path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_failure(&body, 415, "Content-Type must be application/json");
}

#[tokio::test]
async fn upload_flow_gives_usable_file_ids() {
    let api = Api::start().await;
    let pre = api
        .ok(
            "/chat/User/GetPreUploadUrl",
            json!({"fileName": "table photo.png"}),
        )
        .await;
    let id = pre["FileStoreId"].as_str().unwrap().to_string();
    assert_eq!(id, "34328");
    let url = pre["PreUploadUrl"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&api.url("/upload/34328/table%20photo.png?")),
        "{url}"
    );
    assert!(url.contains("X-Amz-Expires=600"), "{url}");

    let session = api.session(BISTRO).await;
    let ask = |kind: &str, ids: Value| json!({"sessionID": session, "content": "", "chatAskType": kind, "fileIds": ids});
    // Not uploaded yet.
    let early = api
        .post("/chat/Chat/ClientAsk", ask("Image", json!([34328])))
        .await;
    assert_failure(&early, 400, "has not been uploaded yet");

    // Step 2: the PUT (no HotTask auth: the URL is pre-signed).
    let put = api.http.put(&url).body(vec![0u8; 32]).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    assert!(put.headers().contains_key("etag"));
    let forged = api
        .http
        .put(api.url("/upload/34328/other.png"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let answer = data(
        api.post("/chat/Chat/ClientAsk", ask("Image", json!([34328, 34327])))
            .await,
        "ask",
    );
    let text = answer["Answer"].as_str().unwrap();
    assert!(text.contains("table photo.png, logo.png"), "{text}");
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "ChatProfilePicture": id}),
    )
    .await;

    let wrong = api
        .post("/chat/Chat/ClientAsk", ask("Audio", json!([34328])))
        .await;
    assert_failure(&wrong, 400, "is not a WAV audio file");
    let two = api
        .post("/chat/Chat/ClientAsk", ask("Video", json!([34326, 34327])))
        .await;
    assert_failure(&two, 400, "only one video file");
    let unknown = api
        .post("/chat/Chat/ClientAsk", ask("Image", json!([1])))
        .await;
    assert_failure(&unknown, 404, "fileIds: file not found: 1");
    let empty = api
        .post(
            "/chat/Chat/ClientAsk",
            json!({"sessionID": session, "content": "  "}),
        )
        .await;
    assert_failure(&empty, 400, "content must not be empty");
    let path = api
        .post(
            "/chat/User/GetPreUploadUrl",
            json!({"fileName": "../x.png"}),
        )
        .await;
    assert_failure(&path, 400, "fileName must be a file name");
}

#[tokio::test]
async fn models_list_and_edit_refuses_unknown_or_unavailable_ones() {
    let api = Api::start().await;
    let models = data(api.get("/chat/Chatbot/ModelList", None).await, "models");
    let models = models.as_array().unwrap();
    assert_eq!(models.len(), 7);
    assert_eq!(
        models[1],
        json!({"Key": "2", "Value": "gpt-4o", "Status": true})
    );
    assert_eq!(models[6]["Status"], json!(false));
    // The docs send `{}` with this GET; a body is ignored.
    data(
        api.get("/chat/Chatbot/ModelList", Some(json!({}))).await,
        "models with body",
    );

    let unknown = api
        .post(
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Model": "gpt-4o"}),
        )
        .await;
    assert_failure(&unknown, 400, "Model must be a Key from ModelList");
    let unavailable = api
        .post(
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Model": "7"}),
        )
        .await;
    assert_failure(
        &unavailable,
        400,
        "Model 7 (claude-3.5-haiku) is not available",
    );
    let icon = api
        .post(
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "ChatIcon": "nope"}),
        )
        .await;
    assert_failure(&icon, 404, "ChatIcon: file not found");
    data(
        api.post(
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Model": "5", "ChatIcon": ""}),
        )
        .await,
        "edit",
    );
}

#[tokio::test]
async fn twilio_messages_need_an_e164_number() {
    let api = Api::start().await;
    let sent = api
        .ok(
            "/chat/Chatbot/SendTwilioMessage",
            json!({"SerialNumber": BISTRO, "ToPhoneNumber": "+15555550123", "Message": "Ready"}),
        )
        .await;
    assert!(sent["Sid"].as_str().unwrap().starts_with("SM"));
    assert_eq!(sent["To"], json!("+15555550123"));
    for number in [
        "5555550123",
        "+0123",
        "+1 555 555 0123",
        "+1234567890123456",
    ] {
        let answer = api
            .post(
                "/chat/Chatbot/SendTwilioMessage",
                json!({"SerialNumber": BISTRO, "ToPhoneNumber": number, "Message": "Ready"}),
            )
            .await;
        assert_failure(
            &answer,
            400,
            "ToPhoneNumber must be a phone number in E.164",
        );
    }
    let answer = api
        .post(
            "/chat/Chatbot/SendTwilioMessage",
            json!({"SerialNumber": BISTRO, "ToPhoneNumber": "+15555550123", "Message": ""}),
        )
        .await;
    assert_failure(&answer, 400, "Message must not be empty");
}

// -------------------------------------------------------------------- auth

#[tokio::test]
async fn requests_without_the_raw_key_are_refused_in_an_http_200() {
    let api = Api::start().await;
    let body = json!({"serialNumber": BISTRO, "Name": "Hacked"});
    let url = api.url("/chat/Chatbot/Edit");
    let cases = [
        (None, "missing or invalid secret key"),
        (Some("wrong-key"), "missing or invalid secret key"),
        (
            Some("Bearer sandbox-hottask-key"),
            "without a scheme such as Bearer",
        ),
        (Some("SANDBOX-HOTTASK-KEY"), "missing or invalid secret key"),
    ];
    for (value, needle) in cases {
        let mut builder = api.http.post(&url).json(&body);
        if let Some(value) = value {
            builder = builder.header("authorization", value);
        }
        let (status, answer) = api.send(builder).await;
        assert_eq!(status, StatusCode::OK, "{value:?}");
        assert_failure(&answer, 401, needle);
        assert!(!answer.to_string().contains(KEY), "key echoed: {answer}");
    }
    let (_, answer) = api
        .send(
            api.http
                .post(&url)
                .header("authorization", KEY)
                .header("authorization", KEY)
                .json(&body),
        )
        .await;
    assert_failure(&answer, 401, "exactly one Authorization header");
    for path in [
        "/chat/Chatbot/ModelList",
        "/chat/Chatbot/GetMessageCreditsUsage",
    ] {
        let (status, answer) = api.send(api.http.get(api.url(path))).await;
        assert_eq!(status, StatusCode::OK);
        assert_failure(&answer, 401, "Unauthorized");
    }
    // Auth comes before the body: a bad body without a key is a 401.
    let (_, answer) = api.send(api.http.post(&url).body("not json")).await;
    assert_failure(&answer, 401, "Unauthorized");

    // Nothing changed.
    let session = api.session(BISTRO).await;
    let answer = data(api.ask(session, "hello").await, "ask");
    assert!(!answer["Answer"].as_str().unwrap().contains("Hacked"));
}

// -------------------------------------------------------------- validation

/// Rules no HotTask page documents are not enforced (issue 11): any `type`
/// and `timeZone` on create, any `RateLimitCount`/`RateLimitTime`, entries
/// of `websiteList`/`qaList` without `url`/`key`, an end date before the
/// start.
#[tokio::test]
async fn undocumented_rules_are_not_enforced() {
    let api = Api::start().await;
    for body in [
        json!({"timeZone": "UTC", "type": -1}),
        json!({"timeZone": " ", "type": 0}),
    ] {
        let added = api.ok("/chat/Chatbot/Add", body).await;
        assert!(added["serialNumber"].is_string(), "{added}");
    }
    api.ok(
        "/chat/Chatbot/Edit",
        json!({"serialNumber": BISTRO, "RateLimitCount": -5, "RateLimitTime": -1}),
    )
    .await;
    // A negative count limits nothing.
    let session = api.session(BISTRO).await;
    data(api.ask(session, "one").await, "negative limit");
    api.ok(
        "/chat/Chatbot/EditKnowledge",
        json!({"serialNumber": BISTRO, "websiteList": [{"retrain": true}],
               "qaList": [{"value": "an answer without its question"}]}),
    )
    .await;
    let sources = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": BISTRO}))
        .await;
    let kinds: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Type"].as_str())
        .collect();
    assert!(
        kinds.contains(&"website") && kinds.contains(&"qa"),
        "{sources}"
    );
    // An end before the start selects nothing.
    let backwards = api
        .ok(
            "/chat/Chatbot/LeadList",
            json!({"serialNumber": BISTRO, "startTime": "2025-03-01", "endTime": "2025-02-01"}),
        )
        .await;
    assert_eq!(backwards, json!({"Leads": [], "Appointments": []}));
}

#[tokio::test]
async fn bodies_breaking_the_spec_name_the_field_and_rule() {
    let api = Api::start().await;
    let cases = [
        (
            "/chat/Chatbot/Edit",
            json!({"Name": "x"}),
            "serialNumber is required",
        ),
        (
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Temperature": 0.5}),
            "Temperature must be an integer (got the number 0.5)",
        ),
        (
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "ChatbotPopupOnce": "yes"}),
            "ChatbotPopupOnce must be a boolean (got a string)",
        ),
        (
            "/chat/Chatbot/Edit",
            json!({"serialNumber": 42}),
            "serialNumber must be a string",
        ),
        (
            "/chat/Chatbot/Add",
            json!({"timeZone": "UTC"}),
            "type is required",
        ),
        (
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": BISTRO, "SyncSiteMapDays": 14}),
            "SyncSiteMapDays must be one of 1, 7, 30 (got 14)",
        ),
        (
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": BISTRO, "qaList": [{"key": 1}]}),
            "qaList[0].key must be a string",
        ),
        (
            "/chat/Chat/ClientAsk",
            json!({"sessionID": 123456, "content": "hi", "chatAskType": "Hologram"}),
            "chatAskType must be one of",
        ),
        (
            "/chat/Chat/ClientAsk",
            json!({"content": "hi"}),
            "sessionID is required",
        ),
        (
            "/chat/Chatbot/ChatContentHistory",
            json!({"SerialNumber": SUPPORT, "EndTime": "2025-13-01"}),
            "EndTime must be a date as YYYY-MM-DD",
        ),
        (
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"serialNumber": SUPPORT}),
            "SerialNumber is required",
        ),
        (
            "/chat/User/GetPreUploadUrl",
            json!({}),
            "fileName is required",
        ),
        (
            "/chat/Chatbot/GetSource",
            json!([BISTRO]),
            "(body) must be an object",
        ),
    ];
    for (path, body, needle) in cases {
        let answer = api.post(path, body).await;
        assert_failure(&answer, 400, needle);
    }
    let unknown = api
        .post("/chat/Chatbot/GetSource", json!({"serialNumber": "nope"}))
        .await;
    assert_failure(&unknown, 404, "Chatbot not found: nope");
    let unknown = api.ask(999, "hi").await;
    assert_failure(&unknown, 404, "Session not found: 999");
}

#[tokio::test]
async fn unusable_bodies_get_the_envelope_never_a_panic() {
    let api = Api::start().await;
    let path = "/chat/Chatbot/Edit";
    let not_json = api
        .send(
            api.request(Method::POST, path)
                .header("content-type", "application/json")
                .body("{\"serialNumber\": \"x\""),
        )
        .await;
    assert_eq!(not_json.0, StatusCode::OK);
    assert_failure(&not_json.1, 400, "not valid JSON");
    let empty = api
        .send(
            api.request(Method::POST, path)
                .header("content-type", "application/json"),
        )
        .await;
    assert_failure(&empty.1, 400, "not valid JSON");
    let form = api
        .send(
            api.request(Method::POST, path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("serialNumber=x"),
        )
        .await;
    assert_eq!(form.0, StatusCode::OK);
    assert_failure(&form.1, 415, "Content-Type must be application/json");
    let none = api.send(api.request(Method::POST, path).body("{}")).await;
    assert_failure(&none.1, 415, "got none");
    let binary = api
        .send(
            api.request(Method::POST, path)
                .header("content-type", "application/json")
                .body(vec![0xff, 0xfe, 0x00]),
        )
        .await;
    assert_failure(&binary.1, 400, "not valid JSON");
}

#[tokio::test]
async fn oversized_bodies_get_an_http_413_envelope() {
    let sandbox = Sandbox::builder()
        .body_limit(64)
        .start()
        .await
        .expect("sandbox starts");
    let api = Api::with(sandbox);
    let big = json!({"serialNumber": BISTRO, "SystemMessage": "x".repeat(500)});
    let (status, body) = api
        .send(api.request(Method::POST, "/chat/Chatbot/Edit").json(&big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["Success"], json!(false), "{body}");
    assert_eq!(body["Code"], json!(413), "{body}");
    assert!(
        body["Message"].as_str().unwrap().contains("64 bytes"),
        "{body}"
    );
    // A small body still works.
    let small = api
        .ok("/chat/Chatbot/GetSource", json!({"serialNumber": TEMPLATE}))
        .await;
    assert_eq!(small, json!([]));
    // The upload stand-in has the same limit.
    let pre = api
        .ok("/chat/User/GetPreUploadUrl", json!({"fileName": "a.wav"}))
        .await;
    let put = api
        .http
        .put(pre["PreUploadUrl"].as_str().unwrap())
        .body(vec![1u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

// ------------------------------------------------------ routes and faults

#[tokio::test]
async fn unknown_paths_and_wrong_methods_keep_their_http_status() {
    let api = Api::start().await;
    let (status, body) = api
        .send(
            api.request(Method::POST, "/chat/Chatbot/List")
                .json(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["Success"], json!(false));
    assert_eq!(body["Code"], json!(404));
    let (status, body) = api
        .send(
            api.request(Method::GET, "/chat/Chatbot/Edit")
                .json(&json!({"serialNumber": BISTRO})),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["Code"], json!(405));
    let (status, body) = api
        .send(
            api.request(Method::POST, "/chat/Chatbot/ModelList")
                .json(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["Success"], json!(false));
}

#[tokio::test]
async fn injected_faults_use_the_envelope_with_their_status() {
    let api = Api::start().await;
    api.sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::HotTask)
            .route("/chat/Chatbot/Edit")
            .times(1),
    );
    api.sandbox.faults().inject(
        FaultRule::new(Fault::RateLimited {
            retry_after: std::time::Duration::from_millis(1500),
        })
        .vendor(Vendor::HotTask)
        .route("/chat/Chatbot/ModelList")
        .times(1),
    );
    let edit = json!({"serialNumber": BISTRO, "Name": "After the outage"});
    let (status, body) = api
        .send(api.request(Method::POST, "/chat/Chatbot/Edit").json(&edit))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["Success"], json!(false));
    assert_eq!(body["Code"], json!(503));
    assert!(body["Message"].as_str().unwrap().contains("injected"));
    // Only once: the retry goes through.
    data(api.post("/chat/Chatbot/Edit", edit).await, "retry");

    let response = api
        .request(Method::GET, "/chat/Chatbot/ModelList")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Code"], json!(429));
    data(api.get("/chat/Chatbot/ModelList", None).await, "after 429");
}

// ------------------------------------------------------ the generated client

#[tokio::test]
async fn the_generated_client_round_trips_an_edit() {
    use chatbots_hottask::{Client, header_auth, types};
    use chatbots_runtime::{ClientConfig, Envelope, SecretString};

    let api = Api::start().await;
    let config = ClientConfig {
        base_url: Some(api.sandbox.base_url(Vendor::HotTask)),
        ..Default::default()
    };
    let key = SecretString::from(
        api.sandbox
            .credentials(Vendor::HotTask)
            .expect("emulated")
            .key,
    );
    let client = Client::with_config(header_auth(&key).unwrap(), &config).unwrap();

    let edited = client
        .edit_chatbot()
        .body(
            types::EditChatbotRequest::builder()
                .serial_number(BISTRO)
                .name("NewName".to_string())
                .answer_suffix("Asia/Shanghai".to_string()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(edited.failure(), None);
    assert_eq!(edited.data, Some(1));

    let session = client
        .get_session()
        .body(types::GetSessionRequest::builder().serial_number(BISTRO))
        .send()
        .await
        .unwrap();
    let id = session.data.as_ref().and_then(|d| d.session_id).unwrap();
    let answer = client
        .client_ask()
        .body(
            types::ClientAskRequest::builder()
                .session_id(id)
                .content("What is on the menu?")
                .chat_ask_type(Some(types::ChatAskType::Text)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.failure(), None);
    let text = answer.data.as_ref().unwrap()["Answer"].as_str().unwrap();
    assert!(
        text.contains("NewName") && text.ends_with("Asia/Shanghai"),
        "{text}"
    );

    // A business failure decodes as an HTTP 200 the envelope reports.
    let missing = client
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 200);
    let failure = missing.failure().unwrap();
    assert_eq!(failure.code.as_deref(), Some("404"));
    assert_eq!(failure.message.as_deref(), Some("Chatbot not found: nope"));

    let models = client.list_models().send().await.unwrap().into_inner();
    assert_eq!(models.data.map(|m| m.len()), Some(7));
}
