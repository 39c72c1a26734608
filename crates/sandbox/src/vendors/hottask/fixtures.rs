//! The chatbots, conversations, leads and files a new sandbox starts with
//! (listed in the module docs), and the settings of a new chatbot.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::state::{Chatbot, File, Knowledge, Lead, Message, Session, Store};
use crate::accounts::Seat;

pub(super) const BISTRO: &str = "3254a9d0424c4806b9ea3d0763ccfxxx";
const SUPPORT: &str = "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35";
const TEMPLATE: &str = "3254a9d0424c4806b9ea3d0763xxxxxx";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

pub(super) fn default_settings(name: &str, time_zone: &str) -> Map<String, Value> {
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

/// The serial number of the `n`th chatbot `--bots` seeds (from 1): 32 hex
/// digits, `5eed` and `n`.
pub(super) fn seeded_id(n: usize) -> String {
    format!("5eed{:028x}", n as u64)
}

/// The serial number of the second account's `n`th chatbot (0: its demo
/// bot): 32 hex digits, `5eedb` and `n`.
pub(super) fn seeded_id_b(n: usize) -> String {
    format!("5eedb{:027x}", n as u64)
}

/// `bots` regular chatbots with default settings, as the account seeds
/// them.
fn seeded(store: &mut Store, bots: usize, seat: Seat) {
    for (id, name) in seat.seeded_bots(bots) {
        store.chatbots.insert(
            id,
            Chatbot {
                kind: 0,
                settings: default_settings(&name, "UTC"),
                knowledge: Knowledge::default(),
                sheet: Vec::new(),
            },
        );
    }
}

/// The fixtures, and `bots` more regular chatbots with default settings;
/// another account than the default one holds only its own seeded
/// chatbots.
pub(super) fn seed(bots: usize, seat: Seat) -> Store {
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
    if !seat.is_default() {
        seeded(&mut store, bots, seat);
        return store;
    }
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
    seeded(&mut store, bots, seat);

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

/// The rows a newly linked Google Sheet reads as.
pub(super) fn sample_sheet() -> Vec<Value> {
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
