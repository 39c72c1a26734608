//! Behaviour of the generated HotTask client against a loopback mock server.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chatbots_hottask::types::{self, ErrorEnvelope};
use chatbots_hottask::{Client, header_auth, is_retry_safe};
use chatbots_runtime::{ClientConfig, Envelope, RetryPolicy, SecretString, VendorFailure};
use progenitor_client::{Error, ResponseValue};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "hk-live-7c1d0e5f9a2b4c6d8e0f";
const SERIAL: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";
const SPEC: &str = include_str!("../../../specs/hottask.yaml");

fn config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        base_url: Some(server.uri()),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(1),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn client(server: &MockServer) -> Client {
    let auth = header_auth(&SecretString::from(KEY)).expect("valid key");
    Client::with_config(auth, &config(server)).expect("valid config")
}

/// A success envelope around `data`, as HotTask sends it.
fn ok_envelope(data: Value) -> Value {
    json!({"Data": data, "Version": "1.0.0", "Success": true, "Code": 200, "Message": ""})
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// What HotTask requires of every request: the raw key (one value, no
/// scheme) in `Authorization`, and none of progenitor's `api-version`.
fn assert_hottask_headers(request: &Request) {
    let auth: Vec<_> = request.headers.get_all("authorization").iter().collect();
    assert_eq!(auth.len(), 1, "exactly one Authorization header");
    assert_eq!(auth[0].to_str().unwrap(), KEY, "raw key, no scheme prefix");
    assert!(
        request.headers.get("api-version").is_none(),
        "api-version must be stripped"
    );
}

// ------------------------------------------------------------------ seed

#[tokio::test]
async fn seed_edit_chatbot_request_is_sent_as_documented() {
    let server = MockServer::start().await;
    // The seed page's example request (fetch / requests / cURL / raw HTTP).
    let documented = json!({"serialNumber": SERIAL, "Name": "NewName"});
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .and(header("authorization", KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(&documented))
        .respond_with(json_response(200, &ok_envelope(json!(1))))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .edit_chatbot()
        .body(
            types::EditChatbotRequest::builder()
                .serial_number(SERIAL)
                .name("NewName".to_string()),
        )
        .send()
        .await
        .expect("the mock only answers the documented request");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/chat/Chatbot/Edit");
    assert_eq!(request.url.query(), None);
    assert_hottask_headers(request);
    assert_eq!(request.body_json::<Value>().unwrap(), documented);
}

#[tokio::test]
async fn seed_edit_chatbot_full_parameter_listing_uses_the_documented_keys() {
    let server = MockServer::start().await;
    // The seed page's full request-body listing, key for key.
    let documented = json!({
        "serialNumber": SERIAL,
        "Name": "NewName",
        "Model": "2",
        "SystemMessage": "new Prompt",
        "Temperature": 0,
        "TimeZone": "Asia/Shanghai",
        "AnswerSuffix": "Asia/Shanghai",
        "ChatProfilePicture": "34327",
        "ChatIcon": "34327",
        "ChatBubbleAlign": 0,
        "ChatBubbleColor": "rgb(37,99,235)",
        "ChatbotPopupOnce": true,
        "ChatbotPrivacyPolicyDescription": "",
        "ChatbotPrivacyPolicyName": "privacy policy",
        "ChatbotPrivacyPolicyUrl": "",
        "EnablePushToTalk": false,
        "EnableUploadImage": false,
        "FacebookUrl": "",
        "InstagramUrl": "",
        "RemoveChatLogOnBrowserClose": false,
        "SuggestedMessage": "",
        "TalkToHumanEmail": "",
        "TalkToHumanResponseMessage": "",
        "UserInputPlaceholder": "",
        "UserMessageColor": "rgb(59, 129, 246)",
        "WelcomeMessage": "Hi this is your AI assistant! What can I help you with?",
        "WhatsappUrl": "",
        "VerifyDomain": false,
        "Domains": "",
        "RateLimitCount": 20,
        "RateLimitMessage": "Too many messages in a row",
        "RateLimitTime": 240,
        "CustomDomain": "",
        "EmailForDailyChatLogs": "",
        "EmailForDailyLeads": "",
        "AIResponseLanguage": ""
    });
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(200, &ok_envelope(json!(1))))
        .mount(&server)
        .await;

    let s = |v: &str| Some(v.to_string());
    let body = types::EditChatbotRequest::builder()
        .serial_number(SERIAL)
        .name(s("NewName"))
        .model(s("2"))
        .system_message(s("new Prompt"))
        .temperature(Some(0))
        .time_zone(s("Asia/Shanghai"))
        .answer_suffix(s("Asia/Shanghai"))
        .chat_profile_picture(s("34327"))
        .chat_icon(s("34327"))
        .chat_bubble_align(Some(0))
        .chat_bubble_color(s("rgb(37,99,235)"))
        .chatbot_popup_once(Some(true))
        .chatbot_privacy_policy_description(s(""))
        .chatbot_privacy_policy_name(s("privacy policy"))
        .chatbot_privacy_policy_url(s(""))
        .enable_push_to_talk(Some(false))
        .enable_upload_image(Some(false))
        .facebook_url(s(""))
        .instagram_url(s(""))
        .remove_chat_log_on_browser_close(Some(false))
        .suggested_message(s(""))
        .talk_to_human_email(s(""))
        .talk_to_human_response_message(s(""))
        .user_input_placeholder(s(""))
        .user_message_color(s("rgb(59, 129, 246)"))
        .welcome_message(s("Hi this is your AI assistant! What can I help you with?"))
        .whatsapp_url(s(""))
        .verify_domain(Some(false))
        .domains(s(""))
        .rate_limit_count(Some(20))
        .rate_limit_message(s("Too many messages in a row"))
        .rate_limit_time(Some(240))
        .custom_domain(s(""))
        .email_for_daily_chat_logs(s(""))
        .email_for_daily_leads(s(""))
        .ai_response_language(s(""));
    client(&server)
        .edit_chatbot()
        .body(body)
        .send()
        .await
        .unwrap();

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body_json::<Value>().unwrap(), documented);
}

#[tokio::test]
async fn seed_edit_chatbot_example_response_decodes() {
    let server = MockServer::start().await;
    // The seed page's example response.
    let documented = json!({
        "Data": 1,
        "Version": "1.0.0",
        "Success": true,
        "Code": 200,
        "Message": ""
    });
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(200, &documented))
        .mount(&server)
        .await;

    let response = client(&server)
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.data, Some(1));
    assert_eq!(response.version.as_deref(), Some("1.0.0"));
    assert_eq!(response.success, Some(true));
    assert_eq!(response.code, Some(200));
    assert_eq!(response.message.as_deref(), Some(""));
    assert_eq!(response.failure(), None);
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn documented_error_status_decodes_into_error_envelope() {
    let server = MockServer::start().await;
    let body = json!({
        "Data": null,
        "Version": "1.0.0",
        "Success": false,
        "Code": 401,
        "Message": "Invalid secret key"
    });
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(401, &body))
        .mount(&server)
        .await;

    let error = client(&server)
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    let Error::ErrorResponse(envelope) = error else {
        panic!("expected ErrorResponse, got {error:?}");
    };
    assert_eq!(envelope.status(), 401);
    assert_eq!(envelope.success, Some(false));
    assert_eq!(envelope.code, Some(401));
    assert_eq!(envelope.message.as_deref(), Some("Invalid secret key"));
    // `Data: null` and an absent `Data` both decode to `None`.
    assert_eq!(envelope.data, None);
    assert_eq!(
        envelope.failure(),
        Some(VendorFailure {
            code: Some("401".into()),
            message: Some("Invalid secret key".into()),
        })
    );
}

#[tokio::test]
async fn error_5xx_envelope_decodes_and_is_not_retried_for_a_create() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Add"))
        .respond_with(json_response(
            500,
            &json!({"Success": false, "Code": 500, "Message": "internal error"}),
        ))
        .mount(&server)
        .await;

    let error = client(&server)
        .add_chatbot()
        .body(
            types::AddChatbotRequest::builder()
                .time_zone("America/New_York")
                .type_(0),
        )
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(envelope) = error else {
        panic!("expected ErrorResponse, got {error:?}");
    };
    assert_eq!(envelope.status(), 500);
    assert_eq!(envelope.message.as_deref(), Some("internal error"));
    assert_eq!(envelope.data, None);
    assert_eq!(received(&server).await.len(), 1);
}

// ------------------------------------------------------- every operation

type Outcome = Result<(Value, Option<VendorFailure>), String>;
type Call = for<'a> fn(&'a Client) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// The decoded envelope, serialised back, and what it reports.
fn outcome<T: serde::Serialize + Envelope>(
    result: Result<ResponseValue<T>, Error<ErrorEnvelope>>,
) -> Outcome {
    let response = result.map_err(|e| e.to_string())?;
    let value = serde_json::to_value(&*response).map_err(|e| e.to_string())?;
    Ok((value, response.failure()))
}

struct Case {
    /// The operation id as the hooks see it (snake_case).
    op: &'static str,
    method: &'static str,
    path: &'static str,
    retry_safe: bool,
    /// The JSON body the call must send; `None`: no body.
    request: Option<Value>,
    /// The `Data` the mock answers with.
    data: Value,
    call: Call,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            op: "add_chatbot",
            method: "POST",
            path: "/chat/Chatbot/Add",
            retry_safe: false,
            request: Some(json!({"timeZone": "America/New_York", "type": 0})),
            data: json!({"serialNumber": "new-bot-1"}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.add_chatbot()
                            .body(
                                types::AddChatbotRequest::builder()
                                    .time_zone("America/New_York")
                                    .type_(0),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "edit_chatbot",
            method: "POST",
            path: "/chat/Chatbot/Edit",
            retry_safe: true,
            request: Some(json!({"serialNumber": SERIAL})),
            data: json!(1),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.edit_chatbot()
                            .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "remove_chatbot",
            method: "POST",
            path: "/chat/Chatbot/Remove",
            retry_safe: false,
            request: Some(json!({"serialNumber": SERIAL})),
            data: json!(true),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.remove_chatbot()
                            .body(types::RemoveChatbotRequest::builder().serial_number(SERIAL))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "list_models",
            method: "GET",
            path: "/chat/Chatbot/ModelList",
            retry_safe: true,
            request: None,
            data: json!([
                {"Key": "2", "Value": "gpt-4o", "Status": true},
                {"Key": "7", "Value": "claude-3.5-haiku", "Status": false}
            ]),
            call: |c| Box::pin(async move { outcome(c.list_models().send().await) }),
        },
        Case {
            op: "get_source",
            method: "POST",
            path: "/chat/Chatbot/GetSource",
            retry_safe: true,
            request: Some(json!({"serialNumber": SERIAL})),
            data: json!([{"Id": 1, "Type": "text"}]),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.get_source()
                            .body(types::GetSourceRequest::builder().serial_number(SERIAL))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "edit_knowledge",
            method: "POST",
            path: "/chat/Chatbot/EditKnowledge",
            retry_safe: true,
            request: Some(json!({
                "serialNumber": SERIAL,
                "text": "Opening hours: 9-5",
                "qaList": [{"key": "Open on Sunday?", "value": "No"}]
            })),
            data: json!(1),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.edit_knowledge()
                            .body(
                                types::EditKnowledgeRequest::builder()
                                    .serial_number(SERIAL)
                                    .text(Some("Opening hours: 9-5".to_string()))
                                    .qa_list(vec![types::KnowledgeQa {
                                        key: Some("Open on Sunday?".into()),
                                        value: Some("No".into()),
                                    }]),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "get_google_sheet_data",
            method: "GET",
            path: "/chat/Chatbot/GetGoogleGoolgeSheetData",
            retry_safe: true,
            // The spec's example: a GET with a JSON body, as documented.
            request: Some(json!({
                "serialNumber": SERIAL,
                "ids": [1, 2],
                "pageSize": 10,
                "pageNumber": 1,
                "isASC": true
            })),
            data: json!({"Rows": [["a", "b"]]}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.get_google_sheet_data()
                            .body(
                                types::GetGoogleSheetDataRequest::builder()
                                    .serial_number(SERIAL)
                                    .ids(vec![1, 2]),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "get_session",
            method: "POST",
            path: "/chat/Chatbot/GetSession",
            retry_safe: false,
            request: Some(json!({"serialNumber": SERIAL})),
            // The spec's example response.
            data: json!({"SessionID": 123456}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.get_session()
                            .body(types::GetSessionRequest::builder().serial_number(SERIAL))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "client_ask",
            method: "POST",
            path: "/chat/Chat/ClientAsk",
            retry_safe: false,
            request: Some(json!({
                "sessionID": 123456,
                "content": "What are your opening hours?",
                "stream": false,
                "chatAskType": "Text"
            })),
            data: json!({"Answer": "9 to 5"}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.client_ask()
                            .body(
                                types::ClientAskRequest::builder()
                                    .session_id(123456)
                                    .content("What are your opening hours?")
                                    .chat_ask_type(Some(types::ChatAskType::Text)),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "get_pre_upload_url",
            method: "POST",
            path: "/chat/User/GetPreUploadUrl",
            retry_safe: false,
            request: Some(json!({"fileName": "menu.pdf"})),
            data: json!({
                "FileStoreId": "34327",
                "PreUploadUrl": "http://127.0.0.1:9/upload/menu.pdf?X-Amz-Expires=600"
            }),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.get_pre_upload_url()
                            .body(types::GetPreUploadUrlRequest::builder().file_name("menu.pdf"))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "lead_list",
            method: "POST",
            path: "/chat/Chatbot/LeadList",
            retry_safe: true,
            request: Some(json!({
                "serialNumber": SERIAL,
                "startTime": "2025-01-01",
                "sessionID": 123456
            })),
            data: json!({"Leads": [], "Appointments": []}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.lead_list()
                            .body(
                                types::LeadListRequest::builder()
                                    .serial_number(SERIAL)
                                    .start_time(chrono::NaiveDate::from_ymd_opt(2025, 1, 1))
                                    .session_id(Some(123456)),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "send_twilio_message",
            method: "POST",
            path: "/chat/Chatbot/SendTwilioMessage",
            retry_safe: false,
            request: Some(json!({
                "SerialNumber": SERIAL,
                "ToPhoneNumber": "+15555550123",
                "Message": "Your table is ready"
            })),
            data: json!({"Sid": "SM0123456789"}),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.send_twilio_message()
                            .body(
                                types::SendTwilioMessageRequest::builder()
                                    .serial_number(SERIAL)
                                    .to_phone_number("+15555550123")
                                    .message("Your table is ready"),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "get_message_credits_usage",
            method: "GET",
            path: "/chat/Chatbot/GetMessageCreditsUsage",
            retry_safe: true,
            request: None,
            data: json!({"Total": -1, "Used": 42, "Remain": -1}),
            call: |c| Box::pin(async move { outcome(c.get_message_credits_usage().send().await) }),
        },
        Case {
            op: "chat_content_history",
            method: "POST",
            path: "/chat/Chatbot/ChatContentHistory",
            retry_safe: true,
            // The spec's example request.
            request: Some(json!({
                "SerialNumber": "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35",
                "StartTime": "2025-01-01",
                "EndTime": "2025-03-07"
            })),
            data: json!([{"Role": "user", "Content": "hi"}]),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.chat_content_history()
                            .body(
                                types::ChatContentHistoryRequest::builder()
                                    .serial_number("36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35")
                                    .start_time(chrono::NaiveDate::from_ymd_opt(2025, 1, 1))
                                    .end_time(chrono::NaiveDate::from_ymd_opt(2025, 3, 7)),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            op: "get_message_count_by_chatbot",
            method: "POST",
            path: "/chat/Chatbot/GetMessageCountByChatbot",
            retry_safe: true,
            request: Some(json!({"SerialNumber": "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35"})),
            // The spec's example response.
            data: json!(13),
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.get_message_count_by_chatbot()
                            .body(
                                types::MessageCountRequest::builder()
                                    .serial_number("36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35"),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
    ]
}

/// The spec's operationIds, in the snake_case form the hooks receive.
fn spec_operations() -> Vec<String> {
    let mut ops: Vec<String> = SPEC
        .lines()
        .filter_map(|line| line.trim().strip_prefix("operationId:"))
        .map(|id| {
            id.trim().chars().fold(String::new(), |mut out, c| {
                if c.is_ascii_uppercase() {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                out
            })
        })
        .collect();
    ops.sort();
    ops
}

#[test]
fn the_table_covers_every_spec_operation() {
    let mut covered: Vec<String> = cases().iter().map(|c| c.op.to_string()).collect();
    covered.sort();
    assert_eq!(covered, spec_operations());
    assert_eq!(covered.len(), 15);
}

#[tokio::test]
async fn every_operation_sends_its_request_and_decodes_its_envelope() {
    for case in cases() {
        let server = MockServer::start().await;
        let answer = ok_envelope(case.data.clone());
        Mock::given(method(case.method))
            .and(path(case.path))
            .respond_with(json_response(200, &answer))
            .mount(&server)
            .await;

        let (decoded, failure) = (case.call)(&client(&server))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.op));

        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "{}", case.op);
        let request = &requests[0];
        assert_eq!(request.method.as_str(), case.method, "{}", case.op);
        assert_eq!(request.url.path(), case.path, "{}", case.op);
        assert_hottask_headers(request);
        match &case.request {
            Some(body) => {
                assert_eq!(
                    request.headers.get("content-type").unwrap(),
                    "application/json",
                    "{}",
                    case.op
                );
                assert_eq!(&request.body_json::<Value>().unwrap(), body, "{}", case.op);
            }
            None => assert!(request.body.is_empty(), "{}: no body", case.op),
        }
        // Every field of the answer made it into the typed envelope.
        assert_eq!(decoded, answer, "{}", case.op);
        assert_eq!(failure, None, "{}", case.op);
        assert_eq!(is_retry_safe(case.op), case.retry_safe, "{}", case.op);
    }
}

#[tokio::test]
async fn typed_data_of_the_documented_responses_is_reachable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/GetSession"))
        .respond_with(json_response(
            200,
            &ok_envelope(json!({"SessionID": 123456})),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chat/Chatbot/ModelList"))
        .respond_with(json_response(
            200,
            &ok_envelope(json!([{"Key": "2", "Value": "gpt-4o", "Status": true}])),
        ))
        .mount(&server)
        .await;
    let client = client(&server);

    let session = client
        .get_session()
        .body(types::GetSessionRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .unwrap();
    assert_eq!(session.data.as_ref().unwrap().session_id, Some(123456));

    let models = client.list_models().send().await.unwrap().into_inner();
    let models = models.data.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].key.as_deref(), Some("2"));
    assert_eq!(models[0].value.as_deref(), Some("gpt-4o"));
    assert_eq!(models[0].status, Some(true));
}

// -------------------------------------------------------------- envelope

#[tokio::test]
async fn failure_inside_http_200_is_reported_by_the_envelope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(
            200,
            &json!({
                "Data": null,
                "Version": "1.0.0",
                "Success": false,
                "Code": 404,
                "Message": "Chatbot not found"
            }),
        ))
        .mount(&server)
        .await;

    let response = client(&server)
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .expect("HTTP 200 decodes");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.failure(),
        Some(VendorFailure {
            code: Some("404".into()),
            message: Some("Chatbot not found".into()),
        })
    );
}

#[test]
fn envelope_rules() {
    let decode = |v: Value| serde_json::from_value::<types::ModelListResponse>(v).unwrap();

    // Success decides.
    assert_eq!(decode(ok_envelope(json!([]))).failure(), None);
    assert_eq!(
        decode(json!({"Data": null, "Success": false, "Code": 200, "Message": "Model list unavailable"}))
            .failure(),
        Some(VendorFailure {
            code: Some("200".into()),
            message: Some("Model list unavailable".into()),
        })
    );
    // A failure without detail: the empty message is no message.
    assert_eq!(
        decode(json!({"Success": false, "Message": ""})).failure(),
        Some(VendorFailure::default())
    );
    // Without Success, the code decides.
    assert_eq!(
        decode(json!({"Code": 403, "Message": "Forbidden"})).failure(),
        Some(VendorFailure {
            code: Some("403".into()),
            message: Some("Forbidden".into()),
        })
    );
    assert_eq!(decode(json!({"Code": 200})).failure(), None);
    assert_eq!(decode(json!({})).failure(), None);

    // The error envelope follows the same rules.
    let error: ErrorEnvelope =
        serde_json::from_value(json!({"Success": false, "Code": 500, "Message": "boom"})).unwrap();
    assert_eq!(
        error.failure(),
        Some(VendorFailure {
            code: Some("500".into()),
            message: Some("boom".into()),
        })
    );
}

// --------------------------------------------------------------- retries

#[tokio::test]
async fn retry_safe_operation_is_retried_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(200, &ok_envelope(json!(1))))
        .mount(&server)
        .await;

    let response = client(&server)
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .expect("second attempt succeeds");
    assert_eq!(response.data, Some(1));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    // The retry is the same request, credentials included.
    assert_eq!(requests[0].body, requests[1].body);
    assert_hottask_headers(&requests[1]);
}

#[tokio::test]
async fn create_is_not_retried_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Add"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Add"))
        .respond_with(json_response(200, &ok_envelope(json!(null))))
        .mount(&server)
        .await;

    let error = client(&server)
        .add_chatbot()
        .body(
            types::AddChatbotRequest::builder()
                .time_zone("America/New_York")
                .type_(0),
        )
        .send()
        .await
        .unwrap_err();
    // An empty 503 body is not the documented envelope.
    assert!(
        matches!(error, Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn rate_limit_with_retry_after_zero_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chat/Chatbot/ModelList"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chat/Chatbot/ModelList"))
        .respond_with(json_response(200, &ok_envelope(json!([]))))
        .mount(&server)
        .await;

    let response = client(&server).list_models().send().await.unwrap();
    assert_eq!(response.data, Some(vec![]));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chat/Chatbot/GetMessageCreditsUsage"))
        .respond_with(json_response(
            503,
            &json!({"Success": false, "Code": 503, "Message": "busy"}),
        ))
        .mount(&server)
        .await;

    let error = client(&server)
        .get_message_credits_usage()
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(envelope) = error else {
        panic!("expected ErrorResponse, got {error:?}");
    };
    assert_eq!(envelope.status(), 503);
    assert_eq!(envelope.message.as_deref(), Some("busy"));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn connection_failures_are_retried_only_for_retry_safe_operations() {
    // A loopback port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ClientConfig {
        base_url: Some(format!("http://127.0.0.1:{port}")),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(1),
            ..Default::default()
        },
        ..Default::default()
    };
    let auth = header_auth(&SecretString::from(KEY)).unwrap();
    let client = Client::with_config(auth, &config).unwrap();

    let (result, record) = chatbots_runtime::record(client.list_models().send()).await;
    assert!(matches!(result, Err(Error::CommunicationError(_))));
    assert_eq!(record.attempts, 3);

    let (result, record) = chatbots_runtime::record(
        client
            .get_session()
            .body(types::GetSessionRequest::builder().serial_number(SERIAL))
            .send(),
    )
    .await;
    assert!(matches!(result, Err(Error::CommunicationError(_))));
    assert_eq!(record.attempts, 1);
}

// ------------------------------------------------------- malformed bodies

#[tokio::test]
async fn malformed_bodies_are_errors_not_panics() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let cases = [
        (500, html, "text/html"),
        (502, html, "text/html"),
        (200, html, "text/html"),
        (200, r#"{"Data": 1, "Version": "1.0"#, "application/json"),
        (200, "", "application/json"),
        (
            200,
            r#"{"Data": "one", "Success": true}"#,
            "application/json",
        ),
        (404, "Not Found", "text/plain"),
    ];
    for (status, body, content_type) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/chat/Chatbot/Edit"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
            .mount(&server)
            .await;

        let error = client(&server)
            .edit_chatbot()
            .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
            .send()
            .await
            .expect_err(body);
        assert!(
            matches!(error, Error::InvalidResponsePayload(..)),
            "{status} {body:?}: {error:?}"
        );
        // Only the 502 is retried (edit is retry-safe).
        let expected = if status == 502 { 3 } else { 1 };
        assert_eq!(received(&server).await.len(), expected, "{status} {body:?}");
    }
}

#[tokio::test]
async fn undocumented_status_is_an_unexpected_response() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    let error = client(&server)
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::UnexpectedResponse(r) if r.status() == 204),
        "{error:?}"
    );
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn the_key_never_appears_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/Chatbot/Edit"))
        .respond_with(json_response(
            401,
            &json!({"Success": false, "Code": 401, "Message": "Invalid secret key"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chat/Chatbot/ModelList"))
        .respond_with(ResponseTemplate::new(500).set_body_raw("<html>oops</html>", "text/html"))
        .mount(&server)
        .await;
    let client = client(&server);

    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("REDACTED"), "{debug}");
    assert!(!format!("{:?}", client.runtime().auth()).contains(KEY));

    let error = client
        .edit_chatbot()
        .body(types::EditChatbotRequest::builder().serial_number(SERIAL))
        .send()
        .await
        .unwrap_err();
    for text in [
        format!("{error:?}"),
        format!("{error}"),
        format!("{error:#}"),
    ] {
        assert!(text.contains("Invalid secret key"), "{text}");
        assert!(!text.contains(KEY), "{text}");
    }

    let error = client.list_models().send().await.unwrap_err();
    for text in [
        format!("{error:?}"),
        format!("{error}"),
        format!("{error:#}"),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
}

#[test]
fn unusable_keys_are_refused_without_echoing_them() {
    let bad = "hk-live-secret\nInjected: yes";
    let error = header_auth(&SecretString::from(bad)).unwrap_err();
    for text in [format!("{error:?}"), format!("{error}")] {
        assert!(!text.contains("hk-live-secret"), "{text}");
    }
    assert!(header_auth(&SecretString::from("")).is_err());
}
