//! The scenario: every operation with a 2xx, plus documented failures.

use reqwest::Method;
use serde_json::{Value, json};

use crate::Contract;
use crate::seeded::Read;

const BISTRO: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";
const SUPPORT: &str = "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35";

fn assert_ok(what: &str, status: u16, body: &Value) {
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(body["Success"], json!(true), "{what}: {body}");
    assert_eq!(body["Code"], json!(200), "{what}: {body}");
}

fn assert_fail(what: &str, status: u16, body: &Value, code: u16, needle: &str) {
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(body["Success"], json!(false), "{what}: {body}");
    assert_eq!(body["Code"], json!(code), "{what}: {body}");
    let message = body["Message"].as_str().unwrap_or("");
    assert!(message.contains(needle), "{what}: {body}");
}

pub(crate) async fn exercise(contract: &mut Contract) {
    let key = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated")
        .key;

    // Without credentials, then with a Bearer scheme: refused in an HTTP 200.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/Edit",
            Some(json!({"serialNumber": BISTRO, "Name": "x"})),
        )
        .await;
    assert_fail("no key", status, &body, 401, "Unauthorized");
    let (status, body) = contract
        .check(contract.request(Method::GET, "/chat/Chatbot/ModelList"))
        .await;
    assert_fail("no key (GET)", status, &body, 401, "Unauthorized");
    contract.set_auth("Authorization", &format!("Bearer {key}"));
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/GetSource",
            Some(json!({"serialNumber": BISTRO})),
        )
        .await;
    assert_fail("bearer", status, &body, 401, "Bearer");
    contract.set_auth("Authorization", key);

    // Chatbot: models, add, edit, remove.
    let (status, body) = contract
        .json(Method::GET, "/chat/Chatbot/ModelList", None)
        .await;
    assert_ok("ModelList", status, &body);
    assert!(body["Data"].as_array().is_some_and(|m| m.len() == 7));

    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/Add",
            Some(json!({"timeZone": "America/New_York", "type": 0})),
        )
        .await;
    assert_ok("Add", status, &body);
    let serial = body["Data"]["serialNumber"]
        .as_str()
        .expect("new serial")
        .to_string();

    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/Edit",
            Some(json!({
                "serialNumber": serial,
                "Name": "NewName",
                "Model": "2",
                "AnswerSuffix": "-- NewName",
                "ChatIcon": "34327",
                "RateLimitCount": 20,
            })),
        )
        .await;
    assert_ok("Edit", status, &body);
    assert_eq!(body["Data"], json!(1));

    // Knowledge.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/EditKnowledge",
            Some(json!({
                "serialNumber": serial,
                "text": "Opening hours: 9-5",
                "qaList": [{"key": "Open on Sunday?", "value": "No"}],
                "websiteList": [{"url": "https://example.com", "retrain": true}],
                "SiteMapUrl": "https://example.com/sitemap.xml",
                "EnableSyncSiteMap": true,
                "SyncSiteMapDays": 30,
                "fileList": ["34326"],
                "googleSheetUrl": "https://docs.google.com/spreadsheets/d/abc/edit",
            })),
        )
        .await;
    assert_ok("EditKnowledge", status, &body);
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/GetSource",
            Some(json!({"serialNumber": serial})),
        )
        .await;
    assert_ok("GetSource", status, &body);
    assert_eq!(body["Data"].as_array().map(Vec::len), Some(6), "{body}");
    let (status, body) = contract
        .json(
            Method::GET,
            "/chat/Chatbot/GetGoogleGoolgeSheetData",
            Some(json!({
                "serialNumber": SUPPORT,
                "ids": [1, 2],
                "pageSize": 10,
                "pageNumber": 1,
                "isASC": true
            })),
        )
        .await;
    assert_ok("GetGoogleGoolgeSheetData", status, &body);
    assert_eq!(body["Data"]["Total"], json!(2));

    // Chat.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/GetSession",
            Some(json!({"serialNumber": serial})),
        )
        .await;
    assert_ok("GetSession", status, &body);
    let session = body["Data"]["SessionID"].as_i64().expect("session id");
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chat/ClientAsk",
            Some(json!({
                "sessionID": session,
                "content": "Open on Sunday?",
                "stream": false,
                "chatAskType": "Text"
            })),
        )
        .await;
    assert_ok("ClientAsk", status, &body);
    assert_eq!(body["Data"]["Answer"], json!("No\n-- NewName"));

    // Files.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/User/GetPreUploadUrl",
            Some(json!({"fileName": "menu.pdf"})),
        )
        .await;
    assert_ok("GetPreUploadUrl", status, &body);
    assert!(body["Data"]["PreUploadUrl"].as_str().is_some());

    // Leads, messaging, usage.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/LeadList",
            Some(json!({"serialNumber": BISTRO, "startTime": "2025-01-01", "sessionID": 123456})),
        )
        .await;
    assert_ok("LeadList", status, &body);
    assert_eq!(body["Data"]["Leads"].as_array().map(Vec::len), Some(1));
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/SendTwilioMessage",
            Some(json!({
                "SerialNumber": BISTRO,
                "ToPhoneNumber": "+15555550123",
                "Message": "Your table is ready"
            })),
        )
        .await;
    assert_ok("SendTwilioMessage", status, &body);
    let (status, body) = contract
        .json(Method::GET, "/chat/Chatbot/GetMessageCreditsUsage", None)
        .await;
    assert_ok("GetMessageCreditsUsage", status, &body);
    assert_eq!(body["Data"]["Used"], json!(43));
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/ChatContentHistory",
            Some(json!({
                "SerialNumber": SUPPORT,
                "StartTime": "2025-01-01",
                "EndTime": "2025-03-07"
            })),
        )
        .await;
    assert_ok("ChatContentHistory", status, &body);
    assert_eq!(body["Data"].as_array().map(Vec::len), Some(12));
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/GetMessageCountByChatbot",
            Some(json!({"SerialNumber": SUPPORT})),
        )
        .await;
    assert_ok("GetMessageCountByChatbot", status, &body);
    assert_eq!(body["Data"], json!(13));

    // Remove, then the chatbot is gone.
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chatbot/Remove",
            Some(json!({"serialNumber": serial})),
        )
        .await;
    assert_ok("Remove", status, &body);
    for (path, body) in [
        ("/chat/Chatbot/Edit", json!({"serialNumber": serial})),
        ("/chat/Chatbot/Remove", json!({"serialNumber": serial})),
        ("/chat/Chatbot/GetSource", json!({"serialNumber": serial})),
        ("/chat/Chatbot/GetSession", json!({"serialNumber": serial})),
        (
            "/chat/Chatbot/GetMessageCountByChatbot",
            json!({"SerialNumber": serial}),
        ),
    ] {
        let (status, answer) = contract.json(Method::POST, path, Some(body)).await;
        assert_fail(path, status, &answer, 404, "Chatbot not found");
    }
    let (status, body) = contract
        .json(
            Method::POST,
            "/chat/Chat/ClientAsk",
            Some(json!({"sessionID": session, "content": "still there?"})),
        )
        .await;
    assert_fail("ask after remove", status, &body, 404, "Session not found");

    // Validation: missing required, wrong type, unknown enum value, rules.
    let failures = [
        (
            Method::POST,
            "/chat/Chatbot/Edit",
            json!({"Name": "x"}),
            "serialNumber is required",
        ),
        (
            Method::POST,
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Temperature": "hot"}),
            "Temperature must be an integer",
        ),
        (
            Method::POST,
            "/chat/Chatbot/Edit",
            json!({"serialNumber": BISTRO, "Model": "99"}),
            "Model",
        ),
        (
            Method::POST,
            "/chat/Chatbot/EditKnowledge",
            json!({"serialNumber": BISTRO, "SyncSiteMapDays": 3}),
            "SyncSiteMapDays must be one of",
        ),
        (
            Method::POST,
            "/chat/Chat/ClientAsk",
            json!({"sessionID": 123456, "content": "hi", "chatAskType": "Smell"}),
            "chatAskType must be one of",
        ),
        (
            Method::POST,
            "/chat/Chatbot/LeadList",
            json!({"serialNumber": BISTRO, "startTime": "01/02/2025"}),
            "startTime must be a date",
        ),
        (
            Method::POST,
            "/chat/Chatbot/SendTwilioMessage",
            json!({"SerialNumber": BISTRO, "ToPhoneNumber": "555-0123", "Message": "hi"}),
            "ToPhoneNumber",
        ),
    ];
    for (method, path, body, needle) in failures {
        let (status, answer) = contract.json(method, path, Some(body)).await;
        assert_fail(path, status, &answer, 400, needle);
    }

    // Bad bodies: not JSON, wrong content type.
    let (status, body) = contract
        .check(
            contract
                .request(Method::POST, "/chat/Chatbot/Edit")
                .header("content-type", "application/json")
                .body("{\"serialNumber\": "),
        )
        .await;
    assert_fail("not JSON", status, &body, 400, "not valid JSON");
    let (status, body) = contract
        .check(
            contract
                .request(Method::POST, "/chat/Chatbot/Edit")
                .header("content-type", "text/plain")
                .body("serialNumber=x"),
        )
        .await;
    assert_fail("text/plain", status, &body, 415, "Content-Type");

    // Injected faults keep their HTTP status, in the envelope.
    contract
        .injected_failures(
            Method::POST,
            "/chat/Chatbot/Edit",
            Some(json!({"serialNumber": BISTRO, "Name": "x"})),
        )
        .await;
}

/// The reads that return the bots `--bots` seeded (`seeded`, at least
/// three), and a cheap read that empties a rate-limit bucket.
pub(crate) async fn seeded_reads(
    contract: &mut Contract,
    seeded: &[String],
) -> (Vec<Read>, &'static str) {
    let credentials = contract
        .sandbox
        .credentials(contract.vendor)
        .expect("emulated");
    let mut reads: Vec<Read> = Vec::new();
    contract.set_auth("Authorization", credentials.key);
    reads.push((
        Method::POST,
        "/chat/Chatbot/GetSource".into(),
        Some(json!({"serialNumber": seeded[1]})),
    ));
    reads.push((
        Method::POST,
        "/chat/Chatbot/GetSession".into(),
        Some(json!({"serialNumber": seeded[2]})),
    ));
    (reads, "/chat/Chatbot/ModelList")
}
