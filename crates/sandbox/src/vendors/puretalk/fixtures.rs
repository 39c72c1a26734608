//! The data a fresh PureTalk sandbox starts with (ids listed in the module
//! documentation of `vendors::puretalk`).

use serde_json::{Map, Value, json};

use super::{Store, Voice};
use crate::accounts::Seat;

/// The seed page's assistant (`PATCH /ai-assistants/{assistant_id}` example).
pub(crate) const SEED_ASSISTANT: &str = "123e4567-e89b-12d3-a456-426614174000";
/// The assistant of the `POST /calls/web/register` example; multi-task.
pub(crate) const FRONT_DESK: &str = "e1f09482-2910-45e1-a2f3-ab75cd9a5a51";
/// An assistant in an older page version's shape (`id`, integer `user` and
/// `voice`, string `voice_stability`).
pub(crate) const LEGACY: &str = "9f1c7e2a-4b7d-4c55-9a51-2f0d3c8b6e10";
/// The top-level LLM state of [`FRONT_DESK`] (the delete-task example's id).
pub(crate) const WARM_INTRO_STATE: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
/// The child state of [`WARM_INTRO_STATE`].
pub(crate) const QUALIFY_STATE: &str = "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
/// The first numeric id a cloned voice gets.
pub(crate) const FIRST_CLONED_VOICE_ID: i64 = 1000;

/// The account every fixture belongs to.
pub(crate) fn account_user() -> Value {
    json!({
        "name": "Sandbox Owner",
        "dp": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/sandbox-owner-dp.webp",
        "email": "owner@sandbox.puretalk.test",
    })
}

fn voices() -> Vec<Voice> {
    vec![
        // The get-voice page's example, as documented (its voice_id is not a
        // UUID, so text to speech cannot use it).
        Voice {
            id: 7,
            body: json!({
                "voice_id": "Puretalk Model V4",
                "name": "Seven",
                "avatar": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-57f71505-0c31-4032-b9e8-f0985d7ae43d-webp",
                "gender": "female",
                "demo_audio_url": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-b6dfdb86-6bf3-4851-b134-b525f0a13628-mp3",
                "is_cloned": false,
                "language": "en",
                "description": "This is a description of the voice",
            }),
        },
        // The text-to-speech page's example voice.
        Voice {
            id: 123,
            body: json!({
                "voice_id": "5bc2961c-fb9b-4a3d-a257-e0c5f2f95332",
                "name": "Olivia",
                "avatar": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-olivia-webp",
                "gender": "female",
                "demo_audio_url": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-olivia-demo-mp3",
                "is_cloned": false,
                "language": "en",
                "description": "Warm, friendly American English voice",
            }),
        },
        // The clone-voice page's example result: an already cloned voice.
        Voice {
            id: 124,
            body: json!({
                "voice_id": "70756ba9-cfdd-4108-84de-3a24d3f86b34",
                "name": "Office voice",
                "avatar": "",
                "gender": "male",
                "demo_audio_url": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-70756ba9-demo-mp3",
                "is_cloned": true,
                "language": "de",
                "description": "Warm, calm",
            }),
        },
    ]
}

fn voice_body(voices: &[Voice], id: i64) -> Value {
    voices
        .iter()
        .find(|v| v.id == id)
        .map(|v| v.body.clone())
        .unwrap_or(Value::Null)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The multi-task states of [`FRONT_DESK`].
fn front_desk_states() -> Value {
    json!([{
        "state_id": WARM_INTRO_STATE,
        "name": "warm_intro",
        "description": "Greet the caller and find out why they call.",
        "prompt": "Greet the caller warmly and ask how you can help.",
        "position": {"x": 0, "y": 0},
        "parameters": {},
        "tools": [{
            "type": "function",
            "functionId": "book_appointment",
            "function": {
                "name": "book_appointment",
                "description": "Books an appointment in the calendar.",
                "parameters": {"start_time": "string", "end_time": "string"},
            },
        }],
        "children": [{
            "state_id": QUALIFY_STATE,
            "name": "qualify",
            "description": "The caller wants an appointment.",
            "prompt": "Ask for the preferred day and time.",
            "position": {"x": 240, "y": 0},
            "parameters": {},
            "tools": [],
            "children": [],
        }],
    }])
}

fn assistants(voices: &[Voice]) -> Vec<Map<String, Value>> {
    vec![
        object(json!({
            "assistant_id": SEED_ASSISTANT,
            "name": "My AI Assistant",
            "prompt": "Hello, how are you?",
            "model": "gpt-3.5-turbo",
            "who_speaks_first": "assistant",
            "begin_message": "Hello, how are you?",
            "assistant_type": "single_prompt",
            "avatar": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/assistant-avatar-webp",
            "custom_knowledge_base": "Opening hours: Mon-Fri 9am-5pm.",
            "timezone": "America/New_York",
            "voice_stability": 0.5,
            "voice_clarity_similarity": 0.5,
            "voice_stream_latency_optimization": 2,
            "voice_boost": false,
            "voice_speed": 0,
            "voice_emotion": [],
            "call_recording_enabled": true,
            "reminder_message_frequency": 1,
            "max_reminder_messages": 1,
            "post_analysis": "",
            "chatbot_logo": "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/chatbot-logo-png",
            "chatbot_accent_color": "#4F46E5",
            "chatbot_faq": "What are your hours? Mon-Fri 9am-5pm.",
            "chatbot_whitelisted_domains": ["example.com"],
            "chatbot_begin_message": "Hi! How can I help?",
            "tools": "",
            "created_at": "2023-11-07T05:31:56Z",
            "updated_at": "2023-11-07T05:31:56Z",
            "behavior": 1,
            "user": account_user(),
            "voice": voice_body(voices, 123),
            "llm_states": [],
            "variables": [],
        })),
        object(json!({
            "assistant_id": FRONT_DESK,
            "name": "Front desk",
            "prompt": "You are the front desk of Sunrise Dental. Book, move and cancel appointments.",
            "model": "puretalk-plg",
            "who_speaks_first": "assistant",
            "begin_message": "Thanks for calling Sunrise Dental, how can I help?",
            "assistant_type": "multi_prompt",
            "avatar": "",
            "custom_knowledge_base": "",
            "timezone": "America/Los_Angeles",
            "voice_stability": 0.7,
            "voice_clarity_similarity": 0.8,
            "voice_stream_latency_optimization": 3,
            "voice_boost": true,
            "voice_speed": 1.1,
            "voice_emotion": ["positivity:high"],
            "call_recording_enabled": false,
            "reminder_message_frequency": 2,
            "max_reminder_messages": 3,
            "chatbot_whitelisted_domains": [],
            "tools": "",
            "created_at": "2024-02-12T16:20:00Z",
            "updated_at": "2024-03-01T09:15:42Z",
            "behavior": 2,
            "user": account_user(),
            "voice": voice_body(voices, 7),
            "phone_number": "+14155550123",
            "variables": ["name"],
            "llm_states": front_desk_states(),
        })),
        object(json!({
            "id": 17,
            "assistant_id": LEGACY,
            "name": "Legacy support line",
            "prompt": "Answer questions about order status.",
            "model": "puretalk-plg",
            "who_speaks_first": "user",
            "begin_message": "",
            "assistant_type": "single_prompt",
            "timezone": "UTC",
            "voice_stability": "0.8",
            "voice_clarity_similarity": "0.6",
            "voice_stream_latency_optimization": 0,
            "voice_boost": false,
            "call_recording_enabled": true,
            "reminder_message_frequency": 0,
            "max_reminder_messages": 0,
            "created_at": "2023-05-02T11:04:09Z",
            "updated_at": "2023-05-02T11:04:09Z",
            "user": 42,
            "voice": 7,
        })),
    ]
}

fn calls() -> Vec<Value> {
    vec![
        json!({
            "call_id": "0f8c2d4e-6a1b-4c3d-9e5f-7a8b9c0d1e2f",
            "protocol": "twilio",
            "from_number": "+14155550123",
            "to_number": "+12125550147",
            "assistant_id": SEED_ASSISTANT,
            "assistant_name": "My AI Assistant",
            "voice_id": "5bc2961c-fb9b-4a3d-a257-e0c5f2f95332",
            "voice_name": "Olivia",
            "start_time": "2024-03-05T14:02:11+00:00",
            "end_time": "2024-03-05T14:03:46+00:00",
            "call_duration_seconds": 95,
            "call_type": "outgoing",
            "transcript": "Agent: Hello, how are you?\nUser: Fine, I'd like to check my appointment.\nAgent: Sure, it is on Tuesday at 10am.",
            "transcript_object": [
                {"role": "agent", "content": "Hello, how are you?", "interrupted": false},
                {
                    "role": "user",
                    "content": "Fine, I'd like to check my appointment.",
                    "interrupted": false,
                    "turn_latency": {"latency": 0.82, "eou_delay": 0.31, "llm_latency": 0.36, "tts_latency": 0.15},
                },
                {
                    "role": "agent",
                    "content": "Sure, it is on Tuesday at 10am.",
                    "function_name": "get_appointment",
                    "function_args": "{\"phone\":\"+12125550147\"}",
                    "interrupted": false,
                    "tool_calls": [],
                },
            ],
            "status": "completed",
            "provider_call_id": "CA5f1e3b2a9c8d7e6f5a4b3c2d1e0f9a8b",
            "metadata": {"crm_id": "lead-8841"},
            "variables": ["name"],
            "call_recording_enabled": true,
            "call_recording_url": "https://puretalkstorageprod.blob.core.windows.net/recordings/0f8c2d4e-6a1b-4c3d-9e5f-7a8b9c0d1e2f.mp3",
            "campaign_id": "123e4567-e89b-12d3-a456-426614174000",
            "call_analysis": {
                "summary": "The caller asked about their appointment and was told it is on Tuesday at 10am.",
                "call_completion_summary": "The call ended normally.",
                "call_completion": "complete",
                "task_completion_summary": "The appointment was confirmed.",
                "task_completion": "complete",
                "post_analysis_data": [
                    {"name": "appointment_confirmed", "value": true},
                    {"name": "satisfaction", "value": 5},
                ],
            },
        }),
        json!({
            "call_id": "6b2d8e1f-3c4a-4f5b-8a9c-0d1e2f3a4b5c",
            "protocol": "web",
            "assistant_id": FRONT_DESK,
            "assistant_name": "Front desk",
            "voice_id": "Puretalk Model V4",
            "voice_name": "Seven",
            "start_time": "2024-03-06T09:30:00+00:00",
            "end_time": "2024-03-06T09:31:12+00:00",
            "call_duration_seconds": 72,
            "call_type": "incoming",
            "transcript": "Agent: Thanks for calling Sunrise Dental, how can I help?\nUser: I need to book a cleaning.",
            "transcript_object": [
                {"role": "agent", "content": "Thanks for calling Sunrise Dental, how can I help?"},
                {"role": "user", "content": "I need to book a cleaning.", "turn_latency": {"latency": 0.64}},
            ],
            "status": "completed",
            "provider_call_id": "",
            "metadata": "source=website",
            "variables": [],
            "call_recording_enabled": false,
            "call_analysis": {"summary": "The caller wants to book a cleaning.", "post_analysis_data": []},
        }),
        json!({
            "call_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
            "protocol": "twilio",
            "from_number": "+14155550123",
            "to_number": "+13105550199",
            "assistant_id": SEED_ASSISTANT,
            "assistant_name": "My AI Assistant",
            "voice_id": "5bc2961c-fb9b-4a3d-a257-e0c5f2f95332",
            "voice_name": "Olivia",
            "start_time": "2024-03-07T18:45:03+00:00",
            "end_time": "2024-03-07T18:45:03+00:00",
            "call_duration_seconds": 0,
            "call_type": "outgoing",
            "transcript": "",
            "transcript_object": [],
            "status": "failed",
            "provider_call_id": "CA0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "metadata": {},
            "variables": [],
            "call_recording_enabled": true,
            "call_recording_url": "",
            "campaign_id": "123e4567-e89b-12d3-a456-426614174000",
        }),
    ]
}

fn phone_numbers() -> Vec<Value> {
    vec![
        json!({
            "phone_number_id": "b7e3c1d2-5a4f-4e8b-9c6d-1f2a3b4c5d6e",
            "phone_number": "+14155550123",
            "friendly_name": "(415) 555-0123",
            "provider": "twilio",
            "provider_id": "PN2b9f4c1e7d3a5b8c0e6f2a4d9b1c7e3f",
            "is_active": true,
            "user": account_user(),
            "ai_assistant": {"assistant_id": FRONT_DESK, "name": "Front desk", "variables": ["name"]},
            "additional_data": {
                "postal_code": "94103",
                "capabilities": {"voice": true, "SMS": true, "MMS": false},
                "locality": "San Francisco",
                "region": "CA",
                "iso_country": "US",
            },
            "created_at": "2024-02-12T16:25:31Z",
            "updated_at": "2024-02-12T16:25:31Z",
        }),
        // Inactive, and attached to no assistant.
        json!({
            "phone_number_id": "c8f4d2e3-6b5a-4f9c-8d7e-2a3b4c5d6e7f",
            "phone_number": "+442071838750",
            "friendly_name": "London office",
            "provider": "twilio",
            "provider_id": "PN7c3e9a1b5d2f4e6a8c0b1d3f5a7c9e2b",
            "is_active": false,
            "user": account_user(),
            "additional_data": {
                "postal_code": "",
                "capabilities": {"voice": true, "SMS": false, "MMS": false},
                "locality": "London",
                "region": "",
                "iso_country": "GB",
            },
            "created_at": "2023-09-18T08:00:00Z",
            "updated_at": "2024-01-04T12:30:00Z",
        }),
    ]
}

fn campaigns() -> Vec<Value> {
    vec![
        // The get-campaigns page's example.
        json!({
            "ai_assistant": {"assistant_id": SEED_ASSISTANT, "name": "My AI Assistant", "variables": ["name"]},
            "schedules": [{
                "campaign_schedule_id": "123e4567-e89b-12d3-a456-426614174000",
                "day": "Monday",
                "start_time": "10:00",
                "end_time": "11:00",
            }],
            "campaign_id": "123e4567-e89b-12d3-a456-426614174000",
            "type": "call",
            "name": "My Campaign",
            "start_date": "2021-01-01",
            "end_date": "2021-01-01",
            "status": "active",
            "created_at": "2021-01-01",
            "updated_at": "2021-01-01",
            "total_tasks": 100,
            "completed_tasks": 100,
            "pending_tasks": 0,
        }),
        json!({
            "ai_assistant": {"assistant_id": FRONT_DESK, "name": "Front desk", "variables": ["name"]},
            "schedules": [
                {"campaign_schedule_id": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", "day": "Tuesday", "start_time": "09:00", "end_time": "12:00"},
                {"campaign_schedule_id": "3b4c5d6e-7f8a-4b9c-8d1e-2f3a4b5c6d7e", "day": "Thursday", "start_time": "14:00", "end_time": "17:30"},
            ],
            "campaign_id": "7e6d5c4b-3a2f-4e1d-9c0b-a9b8c7d6e5f4",
            "type": "call",
            "name": "Spring recall reminders",
            "start_date": "2024-03-01",
            "end_date": "2024-05-31",
            "status": "paused",
            "created_at": "2024-02-20",
            "updated_at": "2024-03-04",
            "total_tasks": 250,
            "completed_tasks": 40,
            "pending_tasks": 210,
        }),
    ]
}

/// The id of the `n`th assistant `--bots` seeds (from 1).
pub(crate) fn seeded_id(n: usize) -> String {
    crate::support::seeded_uuid(0x9e, n)
}

/// The id of the second account's `n`th assistant (0: its demo bot).
pub(crate) fn seeded_id_b(n: usize) -> String {
    crate::support::seeded_uuid(0x0b9e, n)
}

/// An assistant `--bots` seeds: single-prompt, voice 123.
fn seeded_assistant(voices: &[Voice], id: String, name: String) -> Map<String, Value> {
    object(json!({
        "assistant_id": id,
        "name": name,
        "prompt": "Seeded for scale tests (--bots).",
        "model": "puretalk-plg",
        "who_speaks_first": "assistant",
        "begin_message": "Hello, how can I help?",
        "assistant_type": "single_prompt",
        "avatar": "",
        "custom_knowledge_base": "",
        "timezone": "UTC",
        "voice_stability": 0.5,
        "voice_clarity_similarity": 0.5,
        "voice_stream_latency_optimization": 0,
        "voice_boost": false,
        "voice_speed": 0,
        "voice_emotion": [],
        "call_recording_enabled": true,
        "reminder_message_frequency": 0,
        "max_reminder_messages": 0,
        "chatbot_whitelisted_domains": [],
        "tools": "",
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2023-11-07T05:31:56Z",
        "user": account_user(),
        "voice": voice_body(voices, 123),
        "llm_states": [],
        "variables": [],
    }))
}

/// A fresh store with every fixture, and `bots` more assistants after
/// them; another account than the default one holds the voices (the
/// vendor's library) and only its own seeded assistants.
pub(crate) fn store(bots: usize, seat: Seat) -> Store {
    let voices = voices();
    let mut assistants = if seat.is_default() {
        assistants(&voices)
    } else {
        Vec::new()
    };
    assistants.extend(
        seat.seeded_bots(bots)
            .into_iter()
            .map(|(id, name)| seeded_assistant(&voices, id, name)),
    );
    let (calls, phone_numbers, campaigns) = if seat.is_default() {
        (calls(), phone_numbers(), campaigns())
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Store {
        assistants,
        voices,
        calls,
        phone_numbers,
        campaigns,
        next_voice_id: FIRST_CLONED_VOICE_ID,
    }
}
