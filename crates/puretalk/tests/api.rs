//! Behaviour of the PureTalk client against a local wiremock server.
//!
//! Every test talks to 127.0.0.1 only; the base URL keeps the production
//! `/api` path stem so paths are checked as the vendor documents them.

use std::time::Duration;

use chatbots_puretalk::{
    AudioClip, Client, CloneVoiceForm, DEFAULT_BASE_URL, header_auth, is_retry_safe, types,
};
use chatbots_runtime::{ClientConfig, Envelope, RetryPolicy, SecretString, VendorFailure};
use futures::TryStreamExt;
use progenitor_client::Error;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "pt-test-4f7c2a9e-secret";
const ASSISTANT_ID: &str = "123e4567-e89b-12d3-a456-426614174000";

fn config(base_url: String) -> ClientConfig {
    ClientConfig {
        base_url: Some(base_url),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(1),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn client(server: &MockServer) -> Client {
    let auth = header_auth(&SecretString::from(KEY)).expect("valid key");
    Client::with_config(auth, &config(format!("{}/api", server.uri()))).expect("valid config")
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

// ---------------------------------------------------------------- the seed

/// Request body of the documented `PATCH /ai-assistants/{assistant_id}` example.
const SEED_REQUEST: &str = r#"{
  "who_speaks_first": "assistant",
  "name": "<string>",
  "voice": 123,
  "prompt": "<string>",
  "model": "puretalk-plg",
  "begin_message": "<string>",
  "call_recording_enabled": true,
  "assistant_type": "single_prompt",
  "avatar": "<string>",
  "custom_knowledge_base": "<string>",
  "timezone": "<string>",
  "reminder_message_frequency": 123,
  "max_reminder_messages": 123,
  "voice_stability": "<string>",
  "voice_clarity_similarity": "<string>",
  "voice_stream_latency_optimization": 123,
  "voice_boost": false,
  "chatbot_logo": "<string>",
  "chatbot_accent_color": "<string>",
  "chatbot_faq": "<string>"
}"#;

/// Response body of the same documented example.
const SEED_RESPONSE: &str = r#"{
  "msg": "<string>",
  "err": true,
  "results": {
    "assistant_id": "123e4567-e89b-12d3-a456-426614174000",
    "name": "My AI Assistant",
    "prompt": "Hello, how are you?",
    "model": "gpt-3.5-turbo",
    "who_speaks_first": "assistant",
    "begin_message": "Hello, how are you?",
    "assistant_type": "single_prompt",
    "avatar": "<string>",
    "custom_knowledge_base": "<string>",
    "timezone": "<string>",
    "voice_stability": 0.5,
    "voice_clarity_similarity": 0.5,
    "voice_stream_latency_optimization": 2,
    "voice_boost": false,
    "voice_speed": 0,
    "voice_emotion": [],
    "call_recording_enabled": true,
    "reminder_message_frequency": 1,
    "max_reminder_messages": 1,
    "post_analysis": "<string>",
    "chatbot_logo": "<string>",
    "chatbot_accent_color": "<string>",
    "chatbot_faq": "<string>",
    "chatbot_whitelisted_domains": [
      "<string>"
    ],
    "chatbot_begin_message": "<string>",
    "tools": "<string>",
    "created_at": "2023-11-07T05:31:56Z",
    "updated_at": "2023-11-07T05:31:56Z",
    "behavior": 1,
    "user": {
      "name": "<string>",
      "dp": "<string>",
      "email": "[email protected]"
    },
    "voice": {
      "voice_id": "<string>",
      "name": "<string>",
      "avatar": "<string>",
      "gender": "<string>",
      "demo_audio_url": "<string>",
      "is_cloned": true,
      "language": "<string>",
      "description": "<string>"
    }
  }
}"#;

async fn send_seed(
    client: &Client,
) -> Result<progenitor_client::ResponseValue<types::AssistantResponse>, Error<types::Error>> {
    let s = || "<string>".to_string();
    client
        .update_assistant()
        .assistant_id(ASSISTANT_ID)
        .body(
            types::UpdateAssistantRequest::builder()
                .who_speaks_first(types::WhoSpeaksFirst::Assistant)
                .name(s())
                .voice(123)
                .prompt(s())
                .model(types::AssistantModel::PuretalkPlg)
                .begin_message(s())
                .call_recording_enabled(true)
                .assistant_type("single_prompt".to_string())
                .avatar(s())
                .custom_knowledge_base(s())
                .timezone(s())
                .reminder_message_frequency(123)
                .max_reminder_messages(123)
                .voice_stability(s())
                .voice_clarity_similarity(s())
                .voice_stream_latency_optimization(123)
                .voice_boost(false)
                .chatbot_logo(s())
                .chatbot_accent_color(s())
                .chatbot_faq(s()),
        )
        .send()
        .await
}

#[tokio::test]
async fn seed_request_is_sent_exactly_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/ai-assistants/{ASSISTANT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(SEED_RESPONSE, "application/json"))
        .mount(&server)
        .await;

    send_seed(&client(&server))
        .await
        .expect("seed call succeeds");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(
        request.url.path(),
        format!("/api/ai-assistants/{ASSISTANT_ID}")
    );
    assert_eq!(request.url.query(), None);
    assert_eq!(header(request, "x-api-key"), Some(KEY));
    assert_eq!(request.headers.get_all("x-api-key").iter().count(), 1);
    assert_eq!(header(request, "content-type"), Some("application/json"));
    assert_eq!(header(request, "api-version"), None);
    assert_eq!(header(request, "authorization"), None);
    let sent: Value = serde_json::from_slice(&request.body).expect("JSON body");
    let documented: Value = serde_json::from_str(SEED_REQUEST).unwrap();
    assert_eq!(sent, documented);
}

#[tokio::test]
async fn seed_response_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(SEED_RESPONSE, "application/json"))
        .mount(&server)
        .await;

    let response = send_seed(&client(&server)).await.expect("decodes");
    assert_eq!(response.status().as_u16(), 200);
    let envelope = response.into_inner();
    assert_eq!(envelope.msg.as_deref(), Some("<string>"));
    assert_eq!(envelope.err, Some(true));
    let assistant = envelope.results.expect("results");
    assert_eq!(assistant.assistant_id.as_deref(), Some(ASSISTANT_ID));
    assert_eq!(assistant.name.as_deref(), Some("My AI Assistant"));
    assert_eq!(assistant.model.as_deref(), Some("gpt-3.5-turbo"));
    assert_eq!(assistant.voice_stability, Some(json!(0.5)));
    assert_eq!(assistant.voice_stream_latency_optimization, Some(2));
    assert_eq!(assistant.voice_speed, Some(0.0));
    assert_eq!(assistant.voice_boost, Some(false));
    assert_eq!(assistant.chatbot_whitelisted_domains, vec!["<string>"]);
    assert_eq!(
        assistant.created_at.as_deref(),
        Some("2023-11-07T05:31:56Z")
    );
    assert_eq!(assistant.behavior, Some(json!(1)));
    let voice = assistant.voice.expect("voice");
    assert_eq!(voice["is_cloned"], json!(true));
    assert_eq!(assistant.user.expect("user")["name"], json!("<string>"));

    // The documented success example carries `err: true` (the docs copy it
    // around); the envelope reports it, which is why the crate docs call the
    // HTTP status authoritative.
    assert_eq!(
        envelope_failure_of_seed(),
        Some(VendorFailure {
            code: None,
            message: Some("<string>".into())
        })
    );
}

fn envelope_failure_of_seed() -> Option<VendorFailure> {
    serde_json::from_str::<types::AssistantResponse>(SEED_RESPONSE)
        .unwrap()
        .failure()
}

// --------------------------------------------------------------- errors

#[tokio::test]
async fn documented_404_decodes_into_the_error_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/voices/42"))
        .respond_with(json_response(
            404,
            &json!({"err": true, "msg": "Voice not found"}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .get_voice()
        .id(42)
        .send()
        .await
        .expect_err("404 is an error");
    let Error::ErrorResponse(body) = error else {
        panic!("expected ErrorResponse, got {error:?}");
    };
    assert_eq!(body.status().as_u16(), 404);
    assert_eq!(body.err, Some(true));
    assert_eq!(body.msg.as_deref(), Some("Voice not found"));
    assert_eq!(
        body.failure(),
        Some(VendorFailure {
            code: None,
            message: Some("Voice not found".into())
        })
    );
}

#[tokio::test]
async fn documented_400_of_delete_llm_states_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/ai-assistants/delete-llm-states"))
        .respond_with(json_response(
            400,
            &json!({"err": true, "msg": "llm_states is required"}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .delete_llm_states()
        .body(types::DeleteLlmStatesRequest { llm_states: vec![] })
        .send()
        .await
        .expect_err("400 is an error");
    match error {
        Error::ErrorResponse(body) => {
            assert_eq!(body.status().as_u16(), 400);
            assert_eq!(body.msg.as_deref(), Some("llm_states is required"));
        }
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
}

// ---------------------------------------------------- every operation

/// Every `operationId` in the spec, read from the spec itself so that a new
/// operation without a test fails here.
fn spec_operation_ids() -> Vec<String> {
    include_str!("../../../specs/puretalk.yaml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("operationId:"))
        .map(|id| id.trim().to_string())
        .collect()
}

/// What one operation is expected to send and receive.
struct Case {
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    /// The exact JSON request body, if the operation sends JSON.
    request: Option<Value>,
    /// The response body the mock answers with; the decoded response must
    /// serialize back to it (for `textToSpeech`, the audio bytes as a string).
    response: Value,
    /// Content type of the response.
    content_type: &'static str,
}

fn case(op: &str) -> Case {
    let json = "application/json";
    let assistant = json!({
        "assistant_id": ASSISTANT_ID,
        "name": "Front desk",
        "model": "puretalk-plg",
        "voice_stability": 0.5,
        "chatbot_whitelisted_domains": ["example.test"],
        "voice": {"voice_id": "v1", "is_cloned": false},
    });
    match op {
        "listAssistants" => Case {
            method: "GET",
            path: "/api/ai-assistants",
            query: &[("page", "2"), ("limit", "10")],
            request: None,
            response: json!({
                "count": 11,
                "next": "http://127.0.0.1/api/ai-assistants?page=3",
                "previous": "http://127.0.0.1/api/ai-assistants?page=1",
                "results": [assistant],
            }),
            content_type: json,
        },
        "createAssistant" => Case {
            method: "POST",
            path: "/api/ai-assistants",
            query: &[],
            // The spec's defaults are sent along with the required fields.
            request: Some(json!({
                "name": "Front desk",
                "voice": 7,
                "prompt": "Be helpful.",
                "begin_message": "Hello!",
                "model": "puretalk-plg",
                "who_speaks_first": "assistant",
                "call_recording_enabled": true,
                "voice_boost": false,
            })),
            response: json!({"msg": "Created", "err": false, "results": assistant}),
            content_type: json,
        },
        "getAssistant" => Case {
            method: "GET",
            path: "/api/ai-assistants/123e4567-e89b-12d3-a456-426614174000",
            query: &[],
            request: None,
            response: json!({"msg": "OK", "err": false, "results": assistant}),
            content_type: json,
        },
        "updateAssistant" => Case {
            method: "PATCH",
            path: "/api/ai-assistants/123e4567-e89b-12d3-a456-426614174000",
            query: &[],
            request: Some(json!({"name": "Renamed"})),
            response: json!({"msg": "Updated", "err": false, "results": {"name": "Renamed"}}),
            content_type: json,
        },
        "upsertLlmStates" => Case {
            method: "POST",
            path: "/api/ai-assistants/llm-states/123e4567-e89b-12d3-a456-426614174000",
            query: &[],
            request: Some(json!({
                "llm_states": [{
                    "name": "warm_intro",
                    "prompt": "Greet the caller.",
                    "children": [{"name": "qualify"}],
                }],
            })),
            response: json!({"err": false, "msg": "LLM states saved"}),
            content_type: json,
        },
        "deleteLlmStates" => Case {
            method: "DELETE",
            path: "/api/ai-assistants/delete-llm-states",
            query: &[],
            request: Some(json!({"llm_states": ["3c90c3cc-0d44-4b50-8888-8dd25736052a"]})),
            response: json!({"err": false, "msg": "Successfully deleted LLM states"}),
            content_type: json,
        },
        "listCalls" => Case {
            method: "GET",
            path: "/api/calls",
            query: &[("call_type", "incoming"), ("status", "in-progress")],
            request: None,
            response: json!({
                "count": 1,
                "results": [{
                    "call_id": "c-1",
                    "call_type": "incoming",
                    "status": "in-progress",
                    "call_duration_seconds": 42,
                    "metadata": {"crm": "x"},
                    "call_analysis": {"summary": "ok", "post_analysis_data": [{"name": "n", "value": 3}]},
                    "transcript_object": [{"role": "user", "content": "hi", "turn_latency": {"latency": 0.25}}],
                }],
            }),
            content_type: json,
        },
        "registerWebCall" => Case {
            method: "POST",
            path: "/api/calls/web/register",
            query: &[],
            request: Some(json!({"assistant_id": "e1f09482-2910-45e1-a2f3-ab75cd9a5a51"})),
            response: json!({
                "msg": "Success",
                "err": false,
                "results": {"call_id": "696a4c8f-3eaf-41bf-a052-2c2fe630c046", "token": "eyJ.x.y"},
            }),
            content_type: json,
        },
        "listPhoneNumbers" => Case {
            method: "GET",
            path: "/api/phone-numbers",
            query: &[("limit", "5")],
            request: None,
            response: json!({
                "count": 1,
                "results": [{
                    "phone_number": "+15550100",
                    "is_active": true,
                    "ai_assistant": {"assistant_id": ASSISTANT_ID, "name": "Front desk"},
                    "additional_data": {"iso_country": "US", "capabilities": {"voice": true, "SMS": false}},
                }],
            }),
            content_type: json,
        },
        "listCampaigns" => Case {
            method: "GET",
            path: "/api/campaigns",
            query: &[("page", "1")],
            request: None,
            response: json!({
                "msg": "Campaigns retrieved successfully",
                "err": false,
                "results": {
                    "count": 1,
                    "campaigns": [{
                        "campaign_id": "123e4567-e89b-12d3-a456-426614174000",
                        "type": "call",
                        "name": "My Campaign",
                        "status": "active",
                        "total_tasks": 100,
                        "schedules": [{"day": "Monday", "start_time": "10:00", "end_time": "11:00"}],
                    }],
                },
            }),
            content_type: json,
        },
        "textToSpeech" => Case {
            method: "POST",
            path: "/api/v1/tts",
            query: &[],
            request: Some(json!({
                "voice_id": "5bc2961c-fb9b-4a3d-a257-e0c5f2f95332",
                "text": "Hey there! Welcome to Los Angeles",
                "output_format": "wav",
                "encoding": "pcm_s16le",
                "sample_rate": 16000,
            })),
            response: json!("RIFF....WAVEfmt "),
            content_type: "application/octet-stream",
        },
        "cloneVoice" => Case {
            method: "POST",
            path: "/api/v1/tts/clone-voice",
            query: &[],
            request: None, // multipart: see clone_voice_sends_the_multipart_form
            response: json!({
                "msg": "Voice cloned successfully",
                "err": false,
                "results": {"voice_id": "70756ba9-cfdd-4108-84de-3a24d3f86b34"},
            }),
            content_type: json,
        },
        "getVoice" => Case {
            method: "GET",
            path: "/api/voices/7",
            query: &[],
            request: None,
            response: json!({
                "msg": "Voice retrieved successfully",
                "err": false,
                "results": {
                    "voice_id": "Puretalk Model V4",
                    "name": "Seven",
                    "gender": "female",
                    "is_cloned": false,
                    "language": "en",
                },
            }),
            content_type: json,
        },
        other => panic!("operation `{other}` is in the spec but has no test case"),
    }
}

/// Calls one operation with the input `case(op)` expects and returns the
/// decoded response, serialized back to JSON.
async fn call(client: &Client, op: &str) -> Result<Value, Error<types::Error>> {
    fn back<T: serde::Serialize>(value: progenitor_client::ResponseValue<T>) -> Value {
        serde_json::to_value(value.into_inner()).expect("serializable")
    }
    let assistant_id: uuid::Uuid = ASSISTANT_ID.parse().unwrap();
    Ok(match op {
        "listAssistants" => back(client.list_assistants().page(2).limit(10).send().await?),
        "createAssistant" => back(
            client
                .create_assistant()
                .body(
                    types::CreateAssistantRequest::builder()
                        .name("Front desk".to_string())
                        .voice(7)
                        .prompt("Be helpful.".to_string())
                        .begin_message("Hello!".to_string()),
                )
                .send()
                .await?,
        ),
        "getAssistant" => back(
            client
                .get_assistant()
                .assistant_id(assistant_id)
                .send()
                .await?,
        ),
        "updateAssistant" => back(
            client
                .update_assistant()
                .assistant_id(ASSISTANT_ID)
                .body(types::UpdateAssistantRequest::builder().name("Renamed".to_string()))
                .send()
                .await?,
        ),
        "upsertLlmStates" => back(
            client
                .upsert_llm_states()
                .assistant_id(ASSISTANT_ID)
                .body(types::UpsertLlmStatesRequest {
                    llm_states: vec![types::LlmState {
                        name: Some("warm_intro".into()),
                        prompt: Some("Greet the caller.".into()),
                        children: vec![types::LlmState {
                            name: Some("qualify".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                })
                .send()
                .await?,
        ),
        "deleteLlmStates" => back(
            client
                .delete_llm_states()
                .body(types::DeleteLlmStatesRequest {
                    llm_states: vec!["3c90c3cc-0d44-4b50-8888-8dd25736052a".parse().unwrap()],
                })
                .send()
                .await?,
        ),
        "listCalls" => back(
            client
                .list_calls()
                .call_type(types::CallTypeFilter::Incoming)
                .status(types::CallStatusFilter::InProgress)
                .send()
                .await?,
        ),
        "registerWebCall" => back(
            client
                .register_web_call()
                .body(types::RegisterWebCallRequest {
                    assistant_id: "e1f09482-2910-45e1-a2f3-ab75cd9a5a51".parse().unwrap(),
                })
                .send()
                .await?,
        ),
        "listPhoneNumbers" => back(client.list_phone_numbers().limit(5).send().await?),
        "listCampaigns" => back(client.list_campaigns().page(1).send().await?),
        "textToSpeech" => {
            let audio = client
                .text_to_speech()
                .body(
                    types::TextToSpeechRequest::builder()
                        .voice_id(
                            "5bc2961c-fb9b-4a3d-a257-e0c5f2f95332"
                                .parse::<uuid::Uuid>()
                                .unwrap(),
                        )
                        .text("Hey there! Welcome to Los Angeles".to_string())
                        .output_format(types::TtsOutputFormat::Wav)
                        .encoding(types::TtsEncoding::PcmS16le)
                        .sample_rate(16000),
                )
                .send()
                .await?
                .into_inner()
                .into_inner()
                .map_ok(|chunk| chunk.to_vec())
                .try_concat()
                .await
                .map_err(Error::ResponseBodyError)?;
            Value::String(String::from_utf8(audio).expect("UTF-8 test audio"))
        }
        "cloneVoice" => back(
            client
                .clone_voice(CloneVoiceForm::new(
                    "My voice",
                    types::VoiceGender::Female,
                    AudioClip::new("sample.wav", b"RIFF".to_vec()),
                ))
                .await?,
        ),
        "getVoice" => back(client.get_voice().id(7).send().await?),
        other => panic!("operation `{other}` has no call"),
    })
}

#[tokio::test]
async fn every_spec_operation_reaches_its_endpoint_and_decodes() {
    let ops = spec_operation_ids();
    assert_eq!(ops.len(), 13, "operations in the spec: {ops:?}");
    for op in &ops {
        let case = case(op);
        let server = MockServer::start().await;
        let body = match &case.response {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        };
        let mut mock = Mock::given(method(case.method)).and(path(case.path));
        for (name, value) in case.query {
            mock = mock.and(query_param(*name, *value));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_raw(body, case.content_type))
            .mount(&server)
            .await;

        let decoded = call(&client(&server), op)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e:?}"));
        assert_eq!(decoded, case.response, "{op}: decoded response");

        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "{op}: requests received");
        let request = &requests[0];
        assert_eq!(request.method.as_str(), case.method, "{op}");
        assert_eq!(request.url.path(), case.path, "{op}");
        assert_eq!(
            request.url.query_pairs().count(),
            case.query.len(),
            "{op}: query {:?}",
            request.url.query()
        );
        assert_eq!(header(request, "x-api-key"), Some(KEY), "{op}");
        assert_eq!(header(request, "api-version"), None, "{op}");
        match &case.request {
            Some(expected) => {
                let sent: Value = serde_json::from_slice(&request.body)
                    .unwrap_or_else(|e| panic!("{op}: request body is not JSON: {e}"));
                assert_eq!(&sent, expected, "{op}: request body");
            }
            None if op != "cloneVoice" => {
                assert!(request.body.is_empty(), "{op}: unexpected body")
            }
            None => {}
        }
    }
}

#[tokio::test]
async fn drf_page_with_null_links_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/phone-numbers"))
        .respond_with(json_response(
            200,
            &json!({"count": 0, "next": null, "previous": null, "results": []}),
        ))
        .mount(&server)
        .await;

    let page = client(&server)
        .list_phone_numbers()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(page.count, Some(0));
    assert_eq!(page.next, None);
    assert!(page.results.is_empty());
}

// ------------------------------------------------------------ clone voice

#[tokio::test]
async fn clone_voice_sends_the_multipart_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/tts/clone-voice"))
        .respond_with(json_response(
            200,
            &json!({
                "msg": "Voice cloned successfully",
                "err": false,
                "results": {"voice_id": "70756ba9-cfdd-4108-84de-3a24d3f86b34"},
            }),
        ))
        .mount(&server)
        .await;

    let audio = b"RIFF\x24\x00\x00\x00WAVEfmt sample-bytes".to_vec();
    let form = CloneVoiceForm {
        description: Some("Warm, calm".into()),
        language: types::VoiceLanguage::De,
        ..CloneVoiceForm::new(
            "Office voice",
            types::VoiceGender::Male,
            AudioClip::new("sample.WAV", audio.clone()),
        )
    };
    let response = client(&server).clone_voice(form).await.expect("cloned");
    let envelope = response.into_inner();
    assert_eq!(envelope.failure(), None);
    assert_eq!(
        envelope.results.and_then(|r| r.voice_id).as_deref(),
        Some("70756ba9-cfdd-4108-84de-3a24d3f86b34")
    );

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(header(request, "x-api-key"), Some(KEY));
    assert_eq!(header(request, "api-version"), None);
    assert_eq!(header(request, "accept"), Some("application/json"));
    let content_type = header(request, "content-type").expect("content type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));

    let body = &request.body;
    let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(contains(boundary.as_bytes()));
    assert!(contains(
        b"Content-Disposition: form-data; name=\"audio_clip\"; filename=\"sample.WAV\"\r\nContent-Type: audio/wav\r\n\r\n"
    ));
    assert!(contains(&audio), "the file's bytes are sent as-is");
    for (name, value) in [
        ("name", "Office voice"),
        ("description", "Warm, calm"),
        ("language", "de"),
        ("gender", "male"),
    ] {
        let field = format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        assert!(contains(field.as_bytes()), "field `{name}` = `{value}`");
    }
}

#[tokio::test]
async fn clone_voice_defaults_and_optional_fields() {
    let form = CloneVoiceForm::new(
        "v",
        types::VoiceGender::Female,
        AudioClip::new("clip.bin", vec![1, 2, 3]),
    );
    assert_eq!(form.language, types::VoiceLanguage::En);
    assert_eq!(form.description, None);
    assert_eq!(form.audio_clip.content_type, None);
    assert_eq!(
        AudioClip::new("a.mp3", vec![]).content_type.as_deref(),
        Some("audio/mpeg")
    );
    assert_eq!(
        AudioClip::new("a.m4a", vec![]).content_type.as_deref(),
        Some("audio/mp4")
    );
    // Debug shows the size, not megabytes of audio.
    assert!(format!("{:?}", form.audio_clip).contains("len: 3"));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_response(200, &json!({"err": false})))
        .mount(&server)
        .await;
    client(&server).clone_voice(form).await.expect("sent");
    let body = received(&server).await.remove(0).body;
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("name=\"description\""),
        "no empty description"
    );
    assert!(text.contains("name=\"language\"\r\n\r\nen\r\n"));
    assert!(text.contains("name=\"gender\"\r\n\r\nfemale\r\n"));
}

#[tokio::test]
async fn clone_voice_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_response(
            400,
            &json!({"err": true, "msg": "audio_clip is too short"}),
        ))
        .mount(&server)
        .await;
    let form = || {
        CloneVoiceForm::new(
            "v",
            types::VoiceGender::Male,
            AudioClip::new("a.wav", vec![0; 16]),
        )
    };
    match client(&server).clone_voice(form()).await {
        Err(Error::ErrorResponse(body)) => {
            assert_eq!(body.status().as_u16(), 400);
            assert_eq!(body.msg.as_deref(), Some("audio_clip is too short"));
        }
        other => panic!("expected ErrorResponse, got {other:?}"),
    }

    // An invalid content type is refused before anything is sent.
    let mut bad = form();
    bad.audio_clip.content_type = Some("not a mime type\n".into());
    let error = client(&server).clone_voice(bad).await.expect_err("invalid");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(received(&server).await.len(), 1);

    // An HTML 5xx is an error, not a panic, and the POST is not retried.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_raw("<html>busy</html>", "text/html"))
        .mount(&server)
        .await;
    let error = client(&server).clone_voice(form()).await.expect_err("503");
    assert!(
        matches!(error, Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

// -------------------------------------------------------------- envelopes

#[tokio::test]
async fn envelope_failure_inside_http_200() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/ai-assistants/{ASSISTANT_ID}")))
        .respond_with(json_response(
            200,
            &json!({"msg": "Assistant not found", "err": true}),
        ))
        .mount(&server)
        .await;
    let assistant_id: uuid::Uuid = ASSISTANT_ID.parse().unwrap();
    let envelope = client(&server)
        .get_assistant()
        .assistant_id(assistant_id)
        .send()
        .await
        .expect("HTTP 200 decodes")
        .into_inner();
    assert_eq!(
        envelope.failure(),
        Some(VendorFailure {
            code: None,
            message: Some("Assistant not found".into()),
        })
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(
            200,
            &json!({"msg": "Success", "err": false, "results": {"name": "Front desk"}}),
        ))
        .mount(&server)
        .await;
    let envelope = client(&server)
        .get_assistant()
        .assistant_id(assistant_id)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(envelope.failure(), None);
}

fn failure_of<T: serde::de::DeserializeOwned + Envelope>(body: Value) -> Option<VendorFailure> {
    serde_json::from_value::<T>(body)
        .expect("decodes")
        .failure()
}

#[test]
fn every_err_envelope_implements_envelope() {
    fn check<T: serde::de::DeserializeOwned + Envelope>(name: &str) {
        assert_eq!(
            failure_of::<T>(json!({"err": true, "msg": "boom"})),
            Some(VendorFailure {
                code: None,
                message: Some("boom".into())
            }),
            "{name}"
        );
        assert_eq!(
            failure_of::<T>(json!({"err": true})),
            Some(VendorFailure::default()),
            "{name}: failure without a message"
        );
        assert_eq!(
            failure_of::<T>(json!({"err": false, "msg": "ok"})),
            None,
            "{name}"
        );
        assert_eq!(failure_of::<T>(json!({"msg": "ok"})), None, "{name}");
    }
    check::<types::AssistantResponse>("AssistantResponse");
    check::<types::CampaignListResponse>("CampaignListResponse");
    check::<types::CloneVoiceResponse>("CloneVoiceResponse");
    check::<types::Error>("Error");
    check::<types::LlmStatesResult>("LlmStatesResult");
    check::<types::VoiceResponse>("VoiceResponse");
    check::<types::WebCallResponse>("WebCallResponse");
}

// ---------------------------------------------------------------- retries

#[test]
fn retry_safety_follows_the_spec() {
    for op in [
        "list_assistants",
        "get_assistant",
        "update_assistant",
        "delete_llm_states",
        "list_calls",
        "list_phone_numbers",
        "list_campaigns",
        "get_voice",
    ] {
        assert!(is_retry_safe(op), "{op}");
    }
    for op in [
        "create_assistant",
        "upsert_llm_states",
        "register_web_call",
        "text_to_speech",
        "clone_voice",
    ] {
        assert!(!is_retry_safe(op), "{op}");
    }
}

#[tokio::test]
async fn retry_safe_get_is_retried_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/voices/7"))
        .respond_with(json_response(503, &json!({"err": true, "msg": "busy"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/voices/7"))
        .respond_with(json_response(
            200,
            &json!({"msg": "ok", "err": false, "results": {"name": "Seven"}}),
        ))
        .mount(&server)
        .await;

    let voice = client(&server)
        .get_voice()
        .id(7)
        .send()
        .await
        .expect("second attempt succeeds")
        .into_inner();
    assert_eq!(voice.results.and_then(|v| v.name).as_deref(), Some("Seven"));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            header(request, "x-api-key"),
            Some(KEY),
            "auth on every attempt"
        );
    }
}

#[tokio::test]
async fn post_create_is_not_retried_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/ai-assistants"))
        .respond_with(json_response(503, &json!({"err": true, "msg": "busy"})))
        .mount(&server)
        .await;

    let error = client(&server)
        .create_assistant()
        .body(
            types::CreateAssistantRequest::builder()
                .name("n".to_string())
                .voice(1)
                .prompt("p".to_string())
                .begin_message("b".to_string()),
        )
        .send()
        .await
        .expect_err("503");
    match error {
        Error::ErrorResponse(body) => assert_eq!(body.status().as_u16(), 503),
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn rate_limited_429_with_retry_after_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/ai-assistants"))
        .respond_with(
            json_response(429, &json!({"err": true, "msg": "slow down"}))
                .insert_header("Retry-After", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/ai-assistants"))
        .respond_with(json_response(200, &json!({"count": 0, "results": []})))
        .mount(&server)
        .await;

    let page = client(&server)
        .list_assistants()
        .send()
        .await
        .expect("retried")
        .into_inner();
    assert_eq!(page.count, Some(0));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        )
        .mount(&server)
        .await;

    let error = client(&server)
        .list_calls()
        .send()
        .await
        .expect_err("always 502");
    assert!(
        matches!(error, Error::InvalidResponsePayload(..)),
        "{error:?}"
    );
    assert_eq!(
        received(&server).await.len(),
        RetryPolicy::default().max_attempts as usize
    );
}

// ------------------------------------------------------- malformed bodies

#[tokio::test]
async fn malformed_bodies_are_errors_not_panics() {
    let cases: [(u16, &str, &str); 5] = [
        (
            500,
            "<html><body>Internal Server Error</body></html>",
            "text/html",
        ),
        (
            200,
            r#"{"msg": "ok", "err": false, "results": {"voice_id": "#,
            "application/json",
        ),
        (200, "", "application/json"),
        (200, r#"{"err": "no", "msg": 3}"#, "application/json"),
        (404, "Not Found", "text/plain"),
    ];
    for (status, body, content_type) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
            .mount(&server)
            .await;
        let result = client(&server).get_voice().id(1).send().await;
        match result {
            Err(Error::InvalidResponsePayload(bytes, _)) => {
                assert_eq!(&bytes[..], body.as_bytes(), "{status} {body:?}")
            }
            other => panic!("{status} {body:?}: expected InvalidResponsePayload, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn the_key_never_shows_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(
            401,
            &json!({"err": true, "msg": "Invalid API key"}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(!format!("{client:?}").contains(KEY));
    assert!(!format!("{:?}", client.runtime()).contains(KEY));
    assert!(format!("{:?}", client.runtime().auth()).contains("REDACTED"));

    let error = client.get_voice().id(1).send().await.expect_err("401");
    assert!(matches!(&error, Error::ErrorResponse(body) if body.status().as_u16() == 401));
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!error.to_string().contains(KEY));

    // A transport failure (nothing listens on the port) after retries.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let auth = header_auth(&SecretString::from(KEY)).unwrap();
    let closed =
        Client::with_config(auth, &config(format!("http://127.0.0.1:{port}/api"))).unwrap();
    let error = closed.list_assistants().send().await.expect_err("refused");
    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!error.to_string().contains(KEY));
}

#[test]
fn bad_keys_are_refused_without_echoing_them() {
    let error = header_auth(&SecretString::from(format!("{KEY}\n"))).expect_err("newline");
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!error.to_string().contains(KEY));
    assert!(header_auth(&SecretString::from(String::new())).is_err());
}

#[test]
fn config_defaults_to_the_production_base_url() {
    assert!(DEFAULT_BASE_URL.starts_with("https://"));
    assert!(DEFAULT_BASE_URL.ends_with("/api"));
    let auth = header_auth(&SecretString::from(KEY)).unwrap();
    assert!(Client::from_auth(auth.clone()).is_ok());
    assert!(Client::with_config(auth, &config("not a url".into())).is_err());
}
