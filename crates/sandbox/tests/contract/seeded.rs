//! The bots `--bots` seeds, read through each vendor's lists and reads,
//! and an emulated rate limit's 429: the same schemas as the fixtures.

use chatbots_sandbox::Vendor;
use reqwest::Method;
use serde_json::json;

use crate::Contract;

/// Reads the seeded bots of `contract.vendor` (the sandbox seeded at least
/// three) with every list and read that returns them, then empties the
/// vendor's bucket (the sandbox has a limit of `burst` requests).
pub(crate) async fn exercise(contract: &mut Contract) {
    let vendor = contract.vendor;
    let seeded = contract.sandbox.seeded_bots(vendor);
    assert!(seeded.len() >= 3, "{vendor}: {seeded:?}");
    let credentials = contract.sandbox.credentials(vendor);
    let mut reads: Vec<(Method, String, Option<serde_json::Value>)> = Vec::new();
    match vendor {
        Vendor::StreamSkill => {
            contract.set_auth("Authorization", &format!("Bearer {}", credentials.key));
            reads.push((Method::GET, "/purchases".into(), None));
            reads.push((Method::GET, "/purchases/uncomplete".into(), None));
            reads.push((
                Method::GET,
                format!("/purchases/bulk?ids={},{}", seeded[0], seeded[2]),
                None,
            ));
            reads.push((Method::GET, format!("/purchases/{}", seeded[1]), None));
        }
        Vendor::Converza => {
            let (status, body) = contract
                .json(
                    Method::POST,
                    "/api/openapi/auth/token",
                    Some(json!({"key_id": credentials.key, "key_secret": credentials.secret})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            let token = body["data"]["access_token"].as_str().unwrap_or_default();
            contract.set_auth("Authorization", &format!("Bearer {token}"));
            reads.push((Method::GET, "/api/openapi/v1/bots?limit=100".into(), None));
            reads.push((
                Method::GET,
                format!("/api/openapi/v1/bots/{}", seeded[1]),
                None,
            ));
        }
        Vendor::OkChat => {
            contract.set_auth("x-api-key", credentials.key);
            reads.push((Method::GET, "/api/external/chatbots".into(), None));
            reads.push((
                Method::GET,
                format!("/api/external/chatbot/{}", seeded[1]),
                None,
            ));
        }
        Vendor::PureTalk => {
            contract.set_auth("X-API-KEY", credentials.key);
            reads.push((Method::GET, "/ai-assistants?limit=100".into(), None));
            reads.push((Method::GET, "/ai-assistants?page=2&limit=2".into(), None));
            reads.push((Method::GET, format!("/ai-assistants/{}", seeded[1]), None));
        }
        Vendor::HotTask => {
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
        }
    }
    for (method, path, body) in reads {
        let (status, answer) = contract.json(method, &path, body).await;
        assert_eq!(status, 200, "{vendor} {path}: {answer}");
        if vendor == Vendor::HotTask {
            assert_eq!(answer["Success"], true, "{vendor} {path}: {answer}");
        }
    }
    // Until the bucket is empty.
    let path = match vendor {
        Vendor::StreamSkill => "/purchases",
        Vendor::Converza => "/api/openapi/v1/teams",
        Vendor::OkChat => "/api/external/chatbots",
        Vendor::PureTalk => "/ai-assistants",
        Vendor::HotTask => "/chat/Chatbot/ModelList",
    };
    let mut status = 200;
    for _ in 0..100 {
        status = contract.json(Method::GET, path, None).await.0;
        if status == 429 {
            break;
        }
    }
    assert_eq!(status, 429, "{vendor}: the bucket never emptied");
}
