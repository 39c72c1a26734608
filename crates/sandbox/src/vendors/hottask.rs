//! HotTask ("AI Agent", white-labelled as NewOaks AI, SmarterBot and
//! others): every operation of `specs/hottask.yaml`, under
//! `/hottask/chat/{Controller}/{Action}`.
//!
//! **Auth.** `Authorization: sandbox-hottask-key`: the raw key, with no
//! scheme (`Bearer sandbox-hottask-key` is refused, as HotTask refuses it).
//!
//! **Failures.** Every body is the envelope `{Data, Version, Success, Code,
//! Message}`. What the application decides (missing or wrong key, a body
//! that breaks the spec, a non-JSON body, the wrong `Content-Type`, an
//! unknown chatbot, session or file, a documented business rule) answers
//! **HTTP 200** with `Success: false`, `Code` set to the matching HTTP
//! status (401, 400, 415, 404, 429) and `Message` naming the field and the
//! rule, e.g. `serialNumber is required`. Failure envelopes carry no `Data`
//! (several operations type `Data` as a non-nullable integer or object). What
//! the web server decides keeps its HTTP status, in the same envelope: an
//! unknown path (404), a wrong method (405), a body above the size limit
//! (413), and injected faults (429 with `Retry-After`, 5xx).
//!
//! **Fixtures** (fresh for each sandbox):
//! - Chatbot `3254a9d0424c4806b9ea3d0763ccfxxx` ("Bistro Bella Assistant",
//!   regular, model `2`): knowledge (a text, two Q&A pairs, a website, file
//!   `34326` `menu.pdf`); sessions `123456` (4 messages, a lead and an
//!   appointment) and `123457` (2 messages, a lead).
//! - Chatbot `36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35` ("Support Bot", regular,
//!   model `5`): 13 history messages in sessions `200001`–`200003`, twelve of
//!   them between 2025-01-01 and 2025-03-07 and one on 2025-03-20; a Google
//!   Sheet source with 12 rows (ids 1–12).
//! - Chatbot `3254a9d0424c4806b9ea3d0763xxxxxx` ("Real Estate Template Bot",
//!   template-based, `type: 1`): no knowledge, sessions or leads; its
//!   Google Sheet data is refused (regular chatbots only, as documented).
//! - Models (`ModelList`): keys `1`–`7`; `7` (`claude-3.5-haiku`) is
//!   unavailable (`Status: false`), and `Edit` refuses it, like unknown keys.
//! - Files: `34326` `menu.pdf`, `34327` `logo.png` (both uploaded). New ids
//!   count up from `34328`.
//! - Credits: `{Total: -1, Used: 42, Remain: -1}` (unlimited); every answered
//!   `ClientAsk` adds one to `Used`.
//!
//! **Behaviour.** `Add` creates a chatbot (32 hex digits, returned as
//! `Data.serialNumber`); `Edit` replaces the settings it is sent (an unknown
//! model key, or an unknown file id as `ChatIcon`/`ChatProfilePicture`, is
//! refused); `Remove` deletes the chatbot with its sessions, messages and
//! leads. No HotTask operation reads a chatbot's settings back; edits show
//! in `ClientAsk`: its canned answer names the chatbot (`Name`), ends with
//! `AnswerSuffix`, and a session sending more than `RateLimitCount` messages
//! within `RateLimitTime` seconds gets `RateLimitMessage` (Code 429). An
//! answer is the matching Q&A answer of the knowledge base when the question
//! equals one; a message containing an e-mail address records a lead.
//! `EditKnowledge` replaces each knowledge source it is sent (`GetSource`
//! lists them); `GetSession` creates a session (ids from `300001`);
//! `ChatContentHistory`, `GetMessageCountByChatbot` and `LeadList` read the
//! recorded messages and leads (dates filter by UTC day, inclusive).
//! `GetPreUploadUrl` hands out a `PreUploadUrl` on this sandbox,
//! `PUT /hottask/upload/{FileStoreId}/{fileName}` (standing in for S3: no
//! auth, `200` with an `ETag`); a file id is usable (`fileList`, `fileIds`,
//! `ChatIcon`, `ChatProfilePicture`) once its bytes are PUT there. With
//! `stream: true`, `ClientAsk` still answers with the JSON envelope (the
//! streaming format is not documented).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value, json};

use crate::support::{self, Problem};
use crate::{Credentials, Settings, Vendor};

pub(crate) const CREDENTIALS: Credentials = Credentials {
    vendor: Vendor::HotTask,
    key: "sandbox-hottask-key",
    secret: None,
    how: "Authorization: <key> (no scheme)",
};

const VERSION: &str = "1.0.0";

// ------------------------------------------------------------------ shapes

/// A business-level failure: HTTP 200, `Success: false`.
#[derive(Debug)]
struct Fail {
    code: u16,
    message: String,
}

impl Fail {
    fn new(code: u16, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(400, message)
    }

    fn chatbot(serial: &str) -> Fail {
        Fail::new(404, format!("Chatbot not found: {serial}"))
    }
}

type Outcome = Result<Value, Fail>;

fn envelope(data: Option<Value>, success: bool, code: u16, message: &str) -> Value {
    let mut body = Map::new();
    if let Some(data) = data {
        body.insert("Data".into(), data);
    }
    body.insert("Version".into(), VERSION.into());
    body.insert("Success".into(), success.into());
    body.insert("Code".into(), code.into());
    body.insert("Message".into(), message.into());
    Value::Object(body)
}

fn with_status(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Response {
    with_status(StatusCode::OK, envelope(Some(data), true, 200, ""))
}

fn failure(fail: Fail) -> Response {
    with_status(
        StatusCode::OK,
        envelope(None, false, fail.code, &fail.message),
    )
}

fn respond(outcome: Outcome) -> Response {
    match outcome {
        Ok(data) => ok(data),
        Err(fail) => failure(fail),
    }
}

/// `problem` in HotTask's shape: the application's failures in an HTTP 200
/// with `Success: false`; the web server's (no route, wrong method, body
/// too large) and injected ones with their HTTP status.
pub(crate) fn render(problem: Problem) -> Response {
    let status = problem.status();
    let message = problem.message();
    match problem {
        Problem::Unauthorized => failure(unauthorized(false)),
        Problem::Invalid(_) => failure(Fail::invalid(message)),
        Problem::BadBody { status, .. } if status != StatusCode::PAYLOAD_TOO_LARGE => {
            failure(Fail::new(status.as_u16(), message))
        }
        _ => {
            if status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::RESET_CONTENT
                || status == StatusCode::NOT_MODIFIED
            {
                return status.into_response();
            }
            let success = status.is_success();
            with_status(status, envelope(None, success, status.as_u16(), &message))
        }
    }
}

// ------------------------------------------------------------------- state

#[derive(Clone, Copy)]
struct Model {
    key: &'static str,
    name: &'static str,
    available: bool,
}

const MODELS: [Model; 7] = [
    Model {
        key: "1",
        name: "gpt-4o-mini",
        available: true,
    },
    Model {
        key: "2",
        name: "gpt-4o",
        available: true,
    },
    Model {
        key: "3",
        name: "gpt-4.1",
        available: true,
    },
    Model {
        key: "4",
        name: "gpt-4.1-mini",
        available: true,
    },
    Model {
        key: "5",
        name: "claude-3.5-sonnet",
        available: true,
    },
    Model {
        key: "6",
        name: "gemini-1.5-pro",
        available: true,
    },
    Model {
        key: "7",
        name: "claude-3.5-haiku",
        available: false,
    },
];

/// The fields `Chatbot/Edit` sets, in the seed page's order.
const SETTINGS: [&str; 35] = [
    "Name",
    "Model",
    "SystemMessage",
    "Temperature",
    "TimeZone",
    "AnswerSuffix",
    "ChatProfilePicture",
    "ChatIcon",
    "ChatBubbleAlign",
    "ChatBubbleColor",
    "ChatbotPopupOnce",
    "ChatbotPrivacyPolicyDescription",
    "ChatbotPrivacyPolicyName",
    "ChatbotPrivacyPolicyUrl",
    "EnablePushToTalk",
    "EnableUploadImage",
    "FacebookUrl",
    "InstagramUrl",
    "RemoveChatLogOnBrowserClose",
    "SuggestedMessage",
    "TalkToHumanEmail",
    "TalkToHumanResponseMessage",
    "UserInputPlaceholder",
    "UserMessageColor",
    "WelcomeMessage",
    "WhatsappUrl",
    "VerifyDomain",
    "Domains",
    "RateLimitCount",
    "RateLimitMessage",
    "RateLimitTime",
    "CustomDomain",
    "EmailForDailyChatLogs",
    "EmailForDailyLeads",
    "AIResponseLanguage",
];

#[derive(Default)]
struct Knowledge {
    site_map_url: String,
    sync_site_map: bool,
    sync_site_map_days: Option<i64>,
    files: Vec<String>,
    text: String,
    google_sheet_url: String,
    websites: Vec<(String, bool)>,
    qa: Vec<(String, String)>,
}

struct Chatbot {
    /// `type` as sent to `Add`: 0 is a regular chatbot, others template-based.
    kind: i64,
    settings: Map<String, Value>,
    knowledge: Knowledge,
    sheet: Vec<Value>,
}

impl Chatbot {
    fn setting_str(&self, key: &str) -> &str {
        self.settings.get(key).and_then(Value::as_str).unwrap_or("")
    }

    fn setting_int(&self, key: &str) -> i64 {
        self.settings.get(key).and_then(Value::as_i64).unwrap_or(0)
    }
}

struct Session {
    serial: String,
}

struct Message {
    id: i64,
    session: i64,
    serial: String,
    role: &'static str,
    content: String,
    at: DateTime<Utc>,
}

struct Lead {
    id: i64,
    serial: String,
    session: i64,
    name: String,
    email: String,
    phone: String,
    at: DateTime<Utc>,
    /// Set for an appointment: when it is booked for.
    appointment: Option<String>,
}

struct File {
    name: String,
    uploaded: bool,
}

struct Store {
    chatbots: BTreeMap<String, Chatbot>,
    sessions: BTreeMap<i64, Session>,
    messages: Vec<Message>,
    leads: Vec<Lead>,
    files: BTreeMap<i64, File>,
    credits_used: i64,
    next_session: i64,
    next_message: i64,
    next_lead: i64,
    next_file: i64,
}

#[derive(Clone)]
struct App {
    store: Arc<Mutex<Store>>,
    limit: usize,
}

impl App {
    fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut store)
    }
}

// ---------------------------------------------------------------- fixtures

const BISTRO: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";
const SUPPORT: &str = "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35";
const TEMPLATE: &str = "3254a9d0424c4806b9ea3d0763xxxxxx";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn default_settings(name: &str, time_zone: &str) -> Map<String, Value> {
    let value = json!({
        "Name": name,
        "Model": "2",
        "SystemMessage": "You are a helpful assistant. Answer from the knowledge base.",
        "Temperature": 0,
        "TimeZone": time_zone,
        "AnswerSuffix": "",
        "ChatProfilePicture": "",
        "ChatIcon": "",
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
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A fixture session: chatbot, session id, `(role, content, time)` messages.
type Conversation = (
    &'static str,
    i64,
    &'static [(&'static str, &'static str, &'static str)],
);

fn fixtures() -> Store {
    let mut store = Store {
        chatbots: BTreeMap::new(),
        sessions: BTreeMap::new(),
        messages: Vec::new(),
        leads: Vec::new(),
        files: BTreeMap::new(),
        credits_used: 42,
        next_session: 300_001,
        next_message: 1,
        next_lead: 1,
        next_file: 34_328,
    };
    for (id, name) in [(34_326, "menu.pdf"), (34_327, "logo.png")] {
        store.files.insert(
            id,
            File {
                name: name.into(),
                uploaded: true,
            },
        );
    }

    let mut bistro = Chatbot {
        kind: 0,
        settings: default_settings("Bistro Bella Assistant", "America/New_York"),
        knowledge: Knowledge {
            files: vec!["34326".into()],
            text: "Bistro Bella, 12 Harbor Street. Opening hours: Tuesday to Saturday, \
                   12:00-22:00. Closed on Sundays and Mondays."
                .into(),
            websites: vec![("https://bistrobella.example.com".into(), false)],
            qa: vec![
                (
                    "Open on Sunday?".into(),
                    "No, we are closed on Sundays and Mondays.".into(),
                ),
                (
                    "Do you take reservations?".into(),
                    "Yes: leave your name, e-mail and the time you would like, and we will \
                     confirm by e-mail."
                        .into(),
                ),
            ],
            ..Knowledge::default()
        },
        sheet: Vec::new(),
    };
    bistro
        .settings
        .insert("ChatIcon".into(), Value::from("34327"));
    store.chatbots.insert(BISTRO.into(), bistro);

    let sheet = [
        (
            "How do I reset my password?",
            "Use 'Forgot password' on the sign-in page.",
        ),
        (
            "Can I change my plan?",
            "Yes, under Settings > Billing, at any time.",
        ),
        ("Do you offer refunds?", "Within 14 days of purchase."),
        ("Where is my invoice?", "Settings > Billing > Invoices."),
        ("How do I add a teammate?", "Settings > Team > Invite."),
        ("Is there an API?", "Yes, see the developer guide."),
        ("Which languages are supported?", "More than 90 languages."),
        (
            "Can I export my chat logs?",
            "Yes, as CSV from the Chat Logs page.",
        ),
        (
            "How do I embed the chatbot?",
            "Copy the script from Settings > Embed.",
        ),
        (
            "Can I use my own domain?",
            "Yes, set a custom domain in Settings.",
        ),
        ("Is my data encrypted?", "Yes, in transit and at rest."),
        ("How do I contact support?", "E-mail support@example.com."),
    ];
    let support = Chatbot {
        kind: 0,
        settings: default_settings("Support Bot", "Europe/Berlin"),
        knowledge: Knowledge {
            google_sheet_url: "https://docs.google.com/spreadsheets/d/1sAnDbOxSuPpOrTfAqSheEt/edit"
                .into(),
            site_map_url: "https://help.example.com/sitemap.xml".into(),
            sync_site_map: true,
            sync_site_map_days: Some(7),
            ..Knowledge::default()
        },
        sheet: sheet
            .iter()
            .enumerate()
            .map(|(i, (q, a))| json!({"Id": i + 1, "Question": q, "Answer": a}))
            .collect(),
    };
    let mut support = support;
    support.settings.insert("Model".into(), Value::from("5"));
    store.chatbots.insert(SUPPORT.into(), support);

    let template = Chatbot {
        kind: 1,
        settings: default_settings("Real Estate Template Bot", "Asia/Shanghai"),
        knowledge: Knowledge::default(),
        sheet: Vec::new(),
    };
    store.chatbots.insert(TEMPLATE.into(), template);

    let conversations: [Conversation; 5] = [
        (
            BISTRO,
            123_456,
            &[
                ("user", "Do you take reservations?", "2025-02-14T18:03:11Z"),
                (
                    "assistant",
                    "Yes: leave your name, e-mail and the time you would like, and we will \
                     confirm by e-mail.",
                    "2025-02-14T18:03:13Z",
                ),
                (
                    "user",
                    "Table for two on Saturday at 19:30, Jane Doe, jane.doe@example.com",
                    "2025-02-14T18:04:02Z",
                ),
                (
                    "assistant",
                    "Thank you, Jane! Your table for two on Saturday at 19:30 is requested.",
                    "2025-02-14T18:04:05Z",
                ),
            ],
        ),
        (
            BISTRO,
            123_457,
            &[
                ("user", "Open on Sunday?", "2025-03-02T11:20:40Z"),
                (
                    "assistant",
                    "No, we are closed on Sundays and Mondays.",
                    "2025-03-02T11:20:41Z",
                ),
            ],
        ),
        (
            SUPPORT,
            200_001,
            &[
                (
                    "user",
                    "How do I reset my password?",
                    "2025-01-05T09:12:00Z",
                ),
                (
                    "assistant",
                    "Use 'Forgot password' on the sign-in page.",
                    "2025-01-05T09:12:02Z",
                ),
                ("user", "I never got the e-mail.", "2025-01-05T09:13:30Z"),
                (
                    "assistant",
                    "Please check your spam folder, or e-mail support@example.com.",
                    "2025-01-05T09:13:32Z",
                ),
                ("user", "Found it, thanks!", "2025-01-05T09:15:10Z"),
                ("assistant", "You're welcome!", "2025-01-05T09:15:11Z"),
            ],
        ),
        (
            SUPPORT,
            200_002,
            &[
                ("user", "Do you offer refunds?", "2025-02-11T16:40:00Z"),
                (
                    "assistant",
                    "Within 14 days of purchase.",
                    "2025-02-11T16:40:01Z",
                ),
                ("user", "Where is my invoice?", "2025-02-11T16:41:20Z"),
                (
                    "assistant",
                    "Settings > Billing > Invoices.",
                    "2025-02-11T16:41:21Z",
                ),
            ],
        ),
        (
            SUPPORT,
            200_003,
            &[
                ("user", "Is there an API?", "2025-03-06T08:00:00Z"),
                (
                    "assistant",
                    "Yes, see the developer guide.",
                    "2025-03-06T08:00:02Z",
                ),
                ("user", "Can I export my chat logs?", "2025-03-20T10:30:00Z"),
            ],
        ),
    ];
    for (serial, session, messages) in conversations {
        store.sessions.insert(
            session,
            Session {
                serial: serial.into(),
            },
        );
        for (role, content, time) in messages {
            let id = store.next_message;
            store.next_message += 1;
            store.messages.push(Message {
                id,
                session,
                serial: serial.into(),
                role,
                content: (*content).into(),
                at: at(time),
            });
        }
    }

    let leads = [
        (
            123_456,
            "Jane Doe",
            "jane.doe@example.com",
            "+15555550123",
            "2025-02-14T18:04:05Z",
            None,
        ),
        (
            123_456,
            "Jane Doe",
            "jane.doe@example.com",
            "+15555550123",
            "2025-02-14T18:04:06Z",
            Some("2025-02-15T19:30:00-05:00"),
        ),
        (
            123_457,
            "",
            "sam@example.org",
            "",
            "2025-03-02T11:22:00Z",
            None,
        ),
    ];
    for (session, name, email, phone, time, appointment) in leads {
        let id = store.next_lead;
        store.next_lead += 1;
        store.leads.push(Lead {
            id,
            serial: BISTRO.into(),
            session,
            name: name.into(),
            email: email.into(),
            phone: phone.into(),
            at: at(time),
            appointment: appointment.map(Into::into),
        });
    }
    store
}

// ------------------------------------------------------------------ router

pub(crate) fn router(settings: &Settings) -> Router {
    let app = App {
        store: Arc::new(Mutex::new(fixtures())),
        limit: settings.body_limit,
    };
    Router::new()
        .route("/chat/Chatbot/Add", post(add_chatbot))
        .route("/chat/Chatbot/Edit", post(edit_chatbot))
        .route("/chat/Chatbot/Remove", post(remove_chatbot))
        .route("/chat/Chatbot/ModelList", get(list_models))
        .route("/chat/Chatbot/GetSource", post(get_source))
        .route("/chat/Chatbot/EditKnowledge", post(edit_knowledge))
        .route(
            "/chat/Chatbot/GetGoogleGoolgeSheetData",
            get(get_google_sheet_data),
        )
        .route("/chat/Chatbot/GetSession", post(get_session))
        .route("/chat/Chat/ClientAsk", post(client_ask))
        .route("/chat/User/GetPreUploadUrl", post(get_pre_upload_url))
        .route("/chat/Chatbot/LeadList", post(lead_list))
        .route("/chat/Chatbot/SendTwilioMessage", post(send_twilio_message))
        .route(
            "/chat/Chatbot/GetMessageCreditsUsage",
            get(get_message_credits_usage),
        )
        .route(
            "/chat/Chatbot/ChatContentHistory",
            post(chat_content_history),
        )
        .route(
            "/chat/Chatbot/GetMessageCountByChatbot",
            post(get_message_count_by_chatbot),
        )
        .route("/upload/{file_id}/{file_name}", put(upload))
        .fallback(|| async { render(Problem::NoRoute) })
        .method_not_allowed_fallback(|| async { render(Problem::MethodNotAllowed) })
        .with_state(app)
}

// -------------------------------------------------------------- plumbing

/// Why the key was refused; `bearer`: it came with a `Bearer` scheme.
fn unauthorized(bearer: bool) -> Fail {
    Fail::new(
        401,
        if bearer {
            "Unauthorized: invalid secret key (send the raw key as the Authorization header, \
             without a scheme such as Bearer)"
        } else {
            "Unauthorized: missing or invalid secret key (send it as the Authorization header)"
        },
    )
}

/// The refusal of a request without the raw key, if it is one.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    let values: Vec<_> = headers.get_all(header::AUTHORIZATION).iter().collect();
    match values.as_slice() {
        [] => Some(render(Problem::Unauthorized)),
        [value] if value.as_bytes() == CREDENTIALS.key.as_bytes() => None,
        [_] => Some(failure(unauthorized(support::bearer(headers).is_some()))),
        _ => Some(failure(Fail::new(
            401,
            "Unauthorized: send exactly one Authorization header",
        ))),
    }
}

/// Auth, then the JSON body checked against the spec's schema of `op`.
async fn accept(app: &App, op: &str, headers: &HeaderMap, body: Body) -> Result<Value, Response> {
    if let Some(response) = refusal(headers) {
        return Err(response);
    }
    support::valid_json(Vendor::HotTask, op, headers, body, app.limit)
        .await
        .map_err(render)
}

fn text<'a>(body: &'a Value, key: &str) -> &'a str {
    body.get(key).and_then(Value::as_str).unwrap_or("")
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The optional `YYYY-MM-DD` field `key`.
fn date(body: &Value, key: &str) -> Result<Option<NaiveDate>, Fail> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Fail::invalid(format!("{key} must be a date as YYYY-MM-DD (got {s:?})"))),
        Some(_) => Err(Fail::invalid(format!("{key} must be a string"))),
    }
}

/// `[from, to]` (inclusive UTC days) from the fields `start` and `end`.
fn date_range(
    body: &Value,
    start: &str,
    end: &str,
) -> Result<impl Fn(&DateTime<Utc>) -> bool, Fail> {
    let from = date(body, start)?;
    let to = date(body, end)?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(Fail::invalid(format!(
            "{end} must not be before {start} ({to} < {from})"
        )));
    }
    Ok(move |t: &DateTime<Utc>| {
        let day = t.date_naive();
        from.is_none_or(|f| day >= f) && to.is_none_or(|e| day <= e)
    })
}

fn chatbot<'a>(store: &'a Store, serial: &str) -> Result<&'a Chatbot, Fail> {
    store
        .chatbots
        .get(serial)
        .ok_or_else(|| Fail::chatbot(serial))
}

fn chatbot_mut<'a>(store: &'a mut Store, serial: &str) -> Result<&'a mut Chatbot, Fail> {
    store
        .chatbots
        .get_mut(serial)
        .ok_or_else(|| Fail::chatbot(serial))
}

/// The file `id` names, if it was handed out and uploaded.
fn file<'a>(store: &'a Store, field: &str, id: &str) -> Result<&'a File, Fail> {
    let found = id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| store.files.get(&n))
        .ok_or_else(|| Fail::new(404, format!("{field}: file not found: {id}")))?;
    if !found.uploaded {
        return Err(Fail::invalid(format!(
            "{field}: file {id} has not been uploaded yet (PUT its bytes to its PreUploadUrl first)"
        )));
    }
    Ok(found)
}

fn new_serial() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

// -------------------------------------------------------------- handlers

async fn add_chatbot(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "add_chatbot", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let kind = body
            .get("type")
            .map_or(0, |v| v.as_i64().unwrap_or(i64::MAX));
        if kind < 0 {
            return Err(Fail::invalid(format!(
                "type must be at least 0 (got {kind})"
            )));
        }
        let time_zone = text(&body, "timeZone").trim();
        if time_zone.is_empty() {
            return Err(Fail::invalid("timeZone must not be empty"));
        }
        let serial = new_serial();
        store.chatbots.insert(
            serial.clone(),
            Chatbot {
                kind,
                settings: default_settings("My Chatbot", time_zone),
                knowledge: Knowledge::default(),
                sheet: Vec::new(),
            },
        );
        Ok(json!({"serialNumber": serial}))
    }))
}

async fn edit_chatbot(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "edit_chatbot", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "serialNumber");
        chatbot(store, serial)?;
        if let Some(key) = body.get("Model").and_then(Value::as_str) {
            match MODELS.iter().find(|m| m.key == key) {
                None => {
                    return Err(Fail::invalid(format!(
                        "Model must be a Key from ModelList (got {key:?})"
                    )));
                }
                Some(model) if !model.available => {
                    return Err(Fail::invalid(format!(
                        "Model {key} ({}) is not available",
                        model.name
                    )));
                }
                Some(_) => {}
            }
        }
        for field in ["ChatIcon", "ChatProfilePicture"] {
            if let Some(id) = body.get(field).and_then(Value::as_str)
                && !id.is_empty()
            {
                file(store, field, id)?;
            }
        }
        for field in ["RateLimitCount", "RateLimitTime"] {
            if let Some(n) = body.get(field).and_then(Value::as_i64)
                && n < 0
            {
                return Err(Fail::invalid(format!(
                    "{field} must be at least 0 (got {n})"
                )));
            }
        }
        let bot = chatbot_mut(store, serial)?;
        for field in SETTINGS {
            if let Some(value) = body.get(field) {
                bot.settings.insert(field.into(), value.clone());
            }
        }
        Ok(json!(1))
    }))
}

async fn remove_chatbot(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "remove_chatbot", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "serialNumber");
        store
            .chatbots
            .remove(serial)
            .ok_or_else(|| Fail::chatbot(serial))?;
        store.sessions.retain(|_, s| s.serial != serial);
        store.messages.retain(|m| m.serial != serial);
        store.leads.retain(|l| l.serial != serial);
        Ok(json!(1))
    }))
}

async fn list_models(headers: HeaderMap) -> Response {
    if let Some(response) = refusal(&headers) {
        return response;
    }
    ok(MODELS
        .iter()
        .map(|m| json!({"Key": m.key, "Value": m.name, "Status": m.available}))
        .collect())
}

fn knowledge_items(bot: &Chatbot, store: &Store) -> Vec<Value> {
    let k = &bot.knowledge;
    let mut items = Vec::new();
    if !k.site_map_url.is_empty() {
        items.push(json!({
            "Type": "sitemap",
            "Url": k.site_map_url,
            "EnableSync": k.sync_site_map,
            "SyncDays": k.sync_site_map_days,
        }));
    }
    for id in &k.files {
        let name = id
            .parse::<i64>()
            .ok()
            .and_then(|n| store.files.get(&n))
            .map(|f| f.name.clone())
            .unwrap_or_default();
        items.push(json!({"Type": "file", "FileStoreId": id, "FileName": name}));
    }
    if !k.text.is_empty() {
        items.push(json!({"Type": "text", "Content": k.text}));
    }
    if !k.google_sheet_url.is_empty() {
        items.push(
            json!({"Type": "googlesheet", "Url": k.google_sheet_url, "Rows": bot.sheet.len()}),
        );
    }
    for (url, retrain) in &k.websites {
        items.push(json!({"Type": "website", "Url": url, "Retrain": retrain}));
    }
    for (question, answer) in &k.qa {
        items.push(json!({"Type": "qa", "Question": question, "Answer": answer}));
    }
    for (i, item) in items.iter_mut().enumerate() {
        if let Value::Object(map) = item {
            map.insert("Id".into(), (i + 1).into());
            map.insert("Status".into(), "Trained".into());
        }
    }
    items
}

async fn get_source(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "get_source", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let bot = chatbot(store, text(&body, "serialNumber"))?;
        Ok(Value::Array(knowledge_items(bot, store)))
    }))
}

fn sample_sheet() -> Vec<Value> {
    [
        (
            "What are your opening hours?",
            "9:00-17:00, Monday to Friday.",
        ),
        ("Where are you located?", "See the address on our website."),
        (
            "How can I contact you?",
            "Reply here and we will get back to you.",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (q, a))| json!({"Id": i + 1, "Question": q, "Answer": a}))
    .collect()
}

async fn edit_knowledge(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "edit_knowledge", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "serialNumber");
        chatbot(store, serial)?;
        let sync = body.get("EnableSyncSiteMap").and_then(Value::as_bool);
        let days = body.get("SyncSiteMapDays").and_then(Value::as_i64);
        if sync == Some(true) && days.is_none() {
            return Err(Fail::invalid(
                "SyncSiteMapDays is required when EnableSyncSiteMap is true",
            ));
        }
        let files: Option<Vec<String>> = body.get("fileList").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
        for id in files.iter().flatten() {
            file(store, "fileList", id)?;
        }
        let mut websites = None;
        if let Some(list) = body.get("websiteList").and_then(Value::as_array) {
            let mut out = Vec::new();
            for (i, site) in list.iter().enumerate() {
                let url = text(site, "url").trim();
                if url.is_empty() {
                    return Err(Fail::invalid(format!("websiteList[{i}].url is required")));
                }
                let retrain = site
                    .get("retrain")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                out.push((url.to_string(), retrain));
            }
            websites = Some(out);
        }
        let mut qa = None;
        if let Some(list) = body.get("qaList").and_then(Value::as_array) {
            let mut out = Vec::new();
            for (i, pair) in list.iter().enumerate() {
                let question = text(pair, "key").trim();
                if question.is_empty() {
                    return Err(Fail::invalid(format!("qaList[{i}].key is required")));
                }
                out.push((question.to_string(), text(pair, "value").to_string()));
            }
            qa = Some(out);
        }
        let bot = chatbot_mut(store, serial)?;
        let k = &mut bot.knowledge;
        if let Some(url) = body.get("SiteMapUrl").and_then(Value::as_str) {
            k.site_map_url = url.to_string();
        }
        if let Some(sync) = sync {
            k.sync_site_map = sync;
            if !sync {
                k.sync_site_map_days = None;
            }
        }
        if let Some(days) = days {
            k.sync_site_map_days = Some(days);
        }
        if let Some(files) = files {
            k.files = files;
        }
        if let Some(t) = body.get("text").and_then(Value::as_str) {
            k.text = t.to_string();
        }
        let retrain = body
            .get("isRetrainGoogleSheet")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(url) = body.get("googleSheetUrl").and_then(Value::as_str) {
            let changed = url != k.google_sheet_url;
            k.google_sheet_url = url.to_string();
            if url.is_empty() {
                bot.sheet.clear();
            } else if changed || retrain || bot.sheet.is_empty() {
                bot.sheet = sample_sheet();
            }
        }
        if let Some(websites) = websites {
            bot.knowledge.websites = websites;
        }
        if let Some(qa) = qa {
            bot.knowledge.qa = qa;
        }
        Ok(json!(1))
    }))
}

async fn get_google_sheet_data(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "get_google_sheet_data", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let bot = chatbot(store, text(&body, "serialNumber"))?;
        if bot.kind != 0 {
            return Err(Fail::invalid(
                "Only regular chatbots are supported, not template-based ones",
            ));
        }
        let size = body
            .get("pageSize")
            .map_or(10, |v| v.as_i64().unwrap_or(i64::MAX));
        if !(1..=100).contains(&size) {
            return Err(Fail::invalid(format!(
                "pageSize must be between 1 and 100 (got {size})"
            )));
        }
        let number = body
            .get("pageNumber")
            .map_or(1, |v| v.as_i64().unwrap_or(i64::MAX));
        if number < 1 {
            return Err(Fail::invalid(format!(
                "pageNumber must be at least 1 (got {number})"
            )));
        }
        let ascending = body.get("isASC").and_then(Value::as_bool).unwrap_or(true);
        let ids: Option<Vec<i64>> = body
            .get("ids")
            .and_then(Value::as_array)
            .filter(|ids| !ids.is_empty())
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect());
        let mut rows: Vec<&Value> = bot
            .sheet
            .iter()
            .filter(|row| {
                let id = row.get("Id").and_then(Value::as_i64).unwrap_or(0);
                ids.as_ref().is_none_or(|ids| ids.contains(&id))
            })
            .collect();
        if !ascending {
            rows.reverse();
        }
        let total = rows.len();
        let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let take = usize::try_from(size).unwrap_or(10);
        let page: Vec<Value> = rows.into_iter().skip(skip).take(take).cloned().collect();
        Ok(json!({
            "Total": total,
            "PageNumber": number,
            "PageSize": size,
            "List": page,
        }))
    }))
}

async fn get_session(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "get_session", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "serialNumber");
        chatbot(store, serial)?;
        let id = store.next_session;
        store.next_session += 1;
        store.sessions.insert(
            id,
            Session {
                serial: serial.to_string(),
            },
        );
        Ok(json!({"SessionID": id}))
    }))
}

/// The media kinds `ClientAsk` accepts, by file extension.
fn media_ok(kind: &str, name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match kind {
        "Image" => ["png", "jpg", "jpeg", "webp", "gif"].contains(&ext.as_str()),
        "Audio" => ext == "wav",
        "Video" => ["mp4", "mkv", "avi", "flv", "mpeg", "mpg"].contains(&ext.as_str()),
        _ => true,
    }
}

/// The first e-mail address in `content`, if any.
fn email_in(content: &str) -> Option<String> {
    content
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| {
            w.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
        })
        .map(str::to_string)
}

async fn client_ask(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "client_ask", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let session_id = body.get("sessionID").and_then(Value::as_i64).unwrap_or(0);
        let content = text(&body, "content").to_string();
        let kind = body
            .get("chatAskType")
            .and_then(Value::as_str)
            .unwrap_or("Text");
        let ids: Vec<&Value> = body
            .get("fileIds")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let serial = store
            .sessions
            .get(&session_id)
            .map(|s| s.serial.clone())
            .ok_or_else(|| Fail::new(404, format!("Session not found: {session_id}")))?;
        let bot = chatbot(store, &serial)?;
        if content.trim().is_empty() && ids.is_empty() {
            return Err(Fail::invalid(
                "content must not be empty unless fileIds names media to ask about",
            ));
        }
        if matches!(kind, "Audio" | "Video") && ids.len() > 1 {
            return Err(Fail::invalid(format!(
                "fileIds: only one {} file is allowed per message (got {})",
                kind.to_ascii_lowercase(),
                ids.len()
            )));
        }
        let mut names = Vec::new();
        for id in &ids {
            let id = id.to_string();
            let found = file(store, "fileIds", &id)?;
            if !media_ok(kind, &found.name) {
                let expected = match kind {
                    "Image" => "a PNG, JPEG, WEBP or static GIF image",
                    "Audio" => "a WAV audio file",
                    _ => "an MP4, MKV, AVI, FLV or MPEG video",
                };
                return Err(Fail::invalid(format!(
                    "fileIds: file {id} ({}) is not {expected}",
                    found.name
                )));
            }
            names.push(found.name.clone());
        }

        let now = Utc::now();
        let limit = bot.setting_int("RateLimitCount");
        let window = bot.setting_int("RateLimitTime");
        if limit > 0 {
            let since = chrono::TimeDelta::try_seconds(window.max(0))
                .and_then(|window| now.checked_sub_signed(window))
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            let recent = store
                .messages
                .iter()
                .filter(|m| m.session == session_id && m.role == "user" && m.at > since)
                .count();
            if i64::try_from(recent).unwrap_or(i64::MAX) >= limit {
                let message = match bot.setting_str("RateLimitMessage") {
                    "" => "Too many messages in a row",
                    custom => custom,
                };
                return Err(Fail::new(429, message));
            }
        }

        let question = content.trim().trim_end_matches('?').to_lowercase();
        let mut answer = bot
            .knowledge
            .qa
            .iter()
            .find(|(q, _)| q.trim().trim_end_matches('?').to_lowercase() == question)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| {
                if content.trim().is_empty() {
                    format!(
                        "This is {}. I received your {} ({}).",
                        bot.setting_str("Name"),
                        kind.to_ascii_lowercase(),
                        names.join(", ")
                    )
                } else {
                    format!(
                        "This is {}, a sandbox chatbot. You said: \"{}\"",
                        bot.setting_str("Name"),
                        content.trim()
                    )
                }
            });
        let suffix = bot.setting_str("AnswerSuffix");
        if !suffix.is_empty() {
            answer = format!("{answer}\n{suffix}");
        }

        for (role, text) in [("user", content.clone()), ("assistant", answer.clone())] {
            let id = store.next_message;
            store.next_message += 1;
            store.messages.push(Message {
                id,
                session: session_id,
                serial: serial.clone(),
                role,
                content: text,
                at: now,
            });
        }
        let message_id = store.next_message - 1;
        if let Some(email) = email_in(&content) {
            let id = store.next_lead;
            store.next_lead += 1;
            store.leads.push(Lead {
                id,
                serial: serial.clone(),
                session: session_id,
                name: String::new(),
                email,
                phone: String::new(),
                at: now,
                appointment: None,
            });
        }
        store.credits_used += 1;
        Ok(json!({"Answer": answer, "SessionID": session_id, "MessageID": message_id}))
    }))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `host[:port]` of the request, if it is one.
fn host(headers: &HeaderMap) -> String {
    support::header_str(headers, header::HOST.as_str())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1")
        .to_string()
}

async fn get_pre_upload_url(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "get_pre_upload_url", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let host = host(&headers);
    respond(app.with(|store| {
        let name = text(&body, "fileName").trim();
        if name.is_empty() {
            return Err(Fail::invalid("fileName must not be empty"));
        }
        if name.contains('/') || name.contains('\\') {
            return Err(Fail::invalid(format!(
                "fileName must be a file name, not a path (got {name:?})"
            )));
        }
        let id = store.next_file;
        store.next_file += 1;
        store.files.insert(
            id,
            File {
                name: name.to_string(),
                uploaded: false,
            },
        );
        let signature = uuid::Uuid::new_v4().simple().to_string();
        let url = format!(
            "http://{host}/{}/upload/{id}/{}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Date={}&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}",
            Vendor::HotTask.slug(),
            encode(name),
            Utc::now().format("%Y%m%dT%H%M%SZ"),
        );
        Ok(json!({"FileStoreId": id.to_string(), "PreUploadUrl": url}))
    }))
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/xml")],
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message></Error>"
        ),
    )
        .into_response()
}

/// Step 2 of an upload: the S3 pre-signed `PUT`, standing in for S3.
async fn upload(
    State(app): State<App>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Body,
) -> Response {
    let Ok(Path((id, name))) = path else {
        return s3_error(StatusCode::BAD_REQUEST, "InvalidURI", "Invalid URI.");
    };
    let Ok(id) = id.parse::<i64>() else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    };
    let known = app.with(|store| store.files.get(&id).is_some_and(|f| f.name == name));
    if !known {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let bytes = match Limited::new(body, app.limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return s3_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            );
        }
    };
    app.with(|store| {
        if let Some(file) = store.files.get_mut(&id) {
            file.uploaded = true;
        }
    });
    let etag = format!("\"{:032x}\"", bytes.len());
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

async fn lead_list(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "lead_list", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "serialNumber");
        chatbot(store, serial)?;
        let within = date_range(&body, "startTime", "endTime")?;
        let session = body.get("sessionID").and_then(Value::as_i64);
        let mut leads = Vec::new();
        let mut appointments = Vec::new();
        for lead in store.leads.iter().filter(|l| {
            l.serial == serial && within(&l.at) && session.is_none_or(|s| s == l.session)
        }) {
            let mut item = json!({
                "Id": lead.id,
                "SessionID": lead.session,
                "Name": lead.name,
                "Email": lead.email,
                "Phone": lead.phone,
                "CreateTime": time(&lead.at),
            });
            match (&lead.appointment, &mut item) {
                (Some(when), Value::Object(map)) => {
                    map.insert("AppointmentTime".into(), when.clone().into());
                    appointments.push(item);
                }
                _ => leads.push(item),
            }
        }
        Ok(json!({"Leads": leads, "Appointments": appointments}))
    }))
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

async fn send_twilio_message(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "send_twilio_message", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        chatbot(store, text(&body, "SerialNumber"))?;
        let to = text(&body, "ToPhoneNumber");
        if !is_e164(to) {
            return Err(Fail::invalid(format!(
                "ToPhoneNumber must be a phone number in E.164 format, e.g. +15555550123 (got {to:?})"
            )));
        }
        if text(&body, "Message").trim().is_empty() {
            return Err(Fail::invalid("Message must not be empty"));
        }
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        Ok(json!({"Sid": sid, "To": to, "Status": "queued"}))
    }))
}

async fn get_message_credits_usage(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(response) = refusal(&headers) {
        return response;
    }
    let used = app.with(|store| store.credits_used);
    ok(json!({"Total": -1, "Used": used, "Remain": -1}))
}

async fn chat_content_history(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let body = match accept(&app, "chat_content_history", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "SerialNumber");
        chatbot(store, serial)?;
        let within = date_range(&body, "StartTime", "EndTime")?;
        Ok(store
            .messages
            .iter()
            .filter(|m| m.serial == serial && within(&m.at))
            .map(|m| {
                json!({
                    "Id": m.id,
                    "SessionID": m.session,
                    "Role": m.role,
                    "Content": m.content,
                    "CreateTime": time(&m.at),
                })
            })
            .collect())
    }))
}

async fn get_message_count_by_chatbot(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match accept(&app, "get_message_count_by_chatbot", &headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    respond(app.with(|store| {
        let serial = text(&body, "SerialNumber");
        chatbot(store, serial)?;
        Ok(store
            .messages
            .iter()
            .filter(|m| m.serial == serial)
            .count()
            .into())
    }))
}
