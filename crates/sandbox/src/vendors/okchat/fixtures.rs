//! The chatbots, knowledge base items, conversations and messages every
//! OKChat sandbox starts with (the ids are listed in the module docs).

use serde_json::{Value, json};

use super::state::Db;
use crate::accounts::Seat;

/// The chatbot of the vendor's examples (Update Chatbot page, SDK tests).
pub(super) const DEMO_BOT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
/// A public, migrated chatbot with an avatar and a voice widget.
pub(super) const SHOP_BOT: &str = "7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37";
/// An inactive chatbot with minimal settings and no data.
pub(super) const DRAFT_BOT: &str = "e5b7a0f4-93c2-4d1e-8f6a-2c9d4b7e1a05";
/// The organization owning every chatbot (from the vendor's example).
pub(super) const ORGANIZATION: &str = "123042b2-86e2-4184-a86e-95423d728815";

const PROMPT: &str = "You are a highly skilled customer support assistant for [company name]. Your goal is to provide accurate, polite, and concise answers to customer inquiries. If you do not know the answer, recommend the customer to contact human support or check the FAQ section. Ensure a positive tone in all responses";

/// The organization owning the second account's chatbots.
const ORGANIZATION_B: &str = "6a0f3c2e-9b1d-4e7a-8c5f-2d4b6e8a0c1b";

/// The id of the `n`th chatbot `--bots` seeds (from 1).
pub(super) fn seeded_id(n: usize) -> String {
    crate::support::seeded_uuid(0x0c, n)
}

/// The id of the second account's `n`th chatbot (0: its demo bot).
pub(super) fn seeded_id_b(n: usize) -> String {
    crate::support::seeded_uuid(0x0b0c, n)
}

/// The fixtures, and `bots` more chatbots after them; another account than
/// the default one holds only its own seeded chatbots.
pub(super) fn seed(bots: usize, seat: Seat) -> Db {
    let seeded = seat.seeded_bots(bots).into_iter().map(|(id, name)| {
        let organization = if seat.is_default() {
            ORGANIZATION
        } else {
            ORGANIZATION_B
        };
        seeded_bot(id, &name, organization)
    });
    if !seat.is_default() {
        return Db {
            chatbots: seeded.collect(),
            chat_widgets: Default::default(),
            knowledge: Vec::new(),
            sessions: Vec::new(),
            messages: Vec::new(),
        };
    }
    Db {
        chatbots: [demo_bot(), shop_bot(), draft_bot()]
            .into_iter()
            .chain(seeded)
            .collect(),
        chat_widgets: Default::default(),
        knowledge: knowledge(),
        sessions: sessions(),
        messages: messages(),
    }
}

/// The Update Chatbot example response of the docs.
fn demo_bot() -> Value {
    json!({
        "active": true,
        "created_at": "2025-01-22T04:30:45.790337+00:00",
        "description": "A helpful support assistant",
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": DEMO_BOT,
        "is_public": false,
        "managers": null,
        "migrated_data": false,
        "name": "API Docs Demo Chatbot",
        "openai_api_key": null,
        "organization_id": ORGANIZATION,
        "personality_config": {"style": "Friendly", "tone": "Professional"},
        "settings": {
            "greeting": "Hello! How can I assist you today?",
            "isRequestUserInfoEnabled": false,
            "isToolEnabled": true,
            "model": "gpt-4o-mini",
            "prompt": PROMPT,
            "snippet": {
                "header": "Customer Support",
                "logo": "https://example.com/logo.png",
                "name": "Support Assistant",
                "primaryColor": "#4F46E5",
                "secondaryColor": "#10B981",
                "slogan": "How can I help you today?"
            }
        },
        "slug": "api-docs-demo-chatbot",
        "suggestions": null,
        "updated_at": "2025-01-22T04:30:45.790337+00:00",
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": null
    })
}

fn shop_bot() -> Value {
    json!({
        "active": true,
        "created_at": "2024-11-05T09:12:03.120004+00:00",
        "description": "Answers order, delivery and return questions for Dasom Shop",
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": SHOP_BOT,
        "is_public": true,
        "managers": null,
        "migrated_data": true,
        "name": "다솜 쇼핑 도우미",
        "openai_api_key": null,
        "organization_id": ORGANIZATION,
        "personality_config": {"style": "Concise", "tone": "Warm"},
        "settings": {
            "avatar": "https://okchat-sandbox.supabase.co/storage/v1/object/public/avatars/7d1e9c54-2b8a-4f63-a0d5-6e4b8c2f1a37/avatar.png",
            "greeting": "안녕하세요! 무엇을 도와드릴까요?",
            "isRequestUserInfoEnabled": true,
            "isToolEnabled": false,
            "model": "gpt-4o",
            "prompt": "You answer questions about Dasom Shop orders, delivery and returns, in the customer's language.",
            "snippet": {
                "header": "다솜 쇼핑",
                "logo": "https://shop.example.com/logo.png",
                "name": "다솜",
                "primaryColor": "#FF6B35",
                "secondaryColor": "#1A1A2E",
                "slogan": "Ask me about your order"
            }
        },
        "slug": "dasom-shop-helper",
        "suggestions": null,
        "updated_at": "2025-01-10T02:45:51.004218+00:00",
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": {
            "agentId": "va_7d1e9c54",
            "appearance": {
                "backgroundColor": "#FFFFFF",
                "borderColor": "#E5E7EB",
                "buttonColor": "#FF6B35",
                "buttonRadius": 24,
                "buttonTextColor": "#FFFFFF",
                "cardRadius": 16,
                "focusOutlineColor": "#1A1A2E",
                "textColor": "#111827"
            },
            "avatar": {"imageUrl": "https://shop.example.com/voice-avatar.png"},
            "model": {"max_output_tokens": 1024, "temperature": 0.7},
            "text": {
                "callToAction": "Talk to Dasom",
                "endCall": "End call",
                "listeningStatus": "Listening…",
                "speakingStatus": "Speaking…",
                "startCall": "Start call"
            },
            "vad": {"prefix_padding_ms": 300, "silence_duration_ms": 500, "threshold": 0.5},
            "voice": "shimmer"
        }
    })
}

/// A chatbot `--bots` seeds: active, private, default settings, its slug
/// the name's words joined by `-` ("sandbox-bot-1").
fn seeded_bot(id: String, name: &str, organization: &str) -> Value {
    let slug = name.to_lowercase().replace(' ', "-");
    json!({
        "active": true,
        "created_at": "2025-01-22T04:30:45.790337+00:00",
        "description": "Seeded for scale tests (--bots)",
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": id,
        "is_public": false,
        "managers": null,
        "migrated_data": false,
        "name": name,
        "openai_api_key": null,
        "organization_id": organization,
        "personality_config": {},
        "settings": {
            "greeting": "Hello! How can I assist you today?",
            "isRequestUserInfoEnabled": false,
            "isToolEnabled": false,
            "model": "gpt-4o-mini",
            "prompt": "",
        },
        "slug": slug,
        "suggestions": null,
        "updated_at": "2025-01-22T04:30:45.790337+00:00",
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": null
    })
}

fn draft_bot() -> Value {
    json!({
        "active": false,
        "created_at": "2025-02-01T00:00:00.000000+00:00",
        "description": "",
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": DRAFT_BOT,
        "is_public": false,
        "managers": null,
        "migrated_data": false,
        "name": "Inactive Draft Bot",
        "openai_api_key": null,
        "organization_id": ORGANIZATION,
        "personality_config": {},
        "settings": {"model": "gpt-4o-mini"},
        "slug": "inactive-draft-bot",
        "suggestions": null,
        "updated_at": "2025-02-01T00:00:00.000000+00:00",
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": null
    })
}

fn knowledge() -> Vec<Value> {
    vec![
        json!({
            "id": "0f1e2d3c-4b5a-4968-8776-655443322110",
            "chatbot_id": DEMO_BOT,
            "name": "refund-policy.pdf",
            "type": "file",
            "status": "completed",
            "content": "Refund policy: refunds are available within 30 days of purchase. Contact support@example.com with your order number to request a refund.",
            "created_at": "2025-01-22T04:40:12.551230+00:00",
            "updated_at": "2025-01-22T04:40:12.551230+00:00"
        }),
        json!({
            "id": "5c4b3a29-1807-4f6e-9d5c-4b3a29180706",
            "chatbot_id": DEMO_BOT,
            "name": "Opening hours",
            "type": "text",
            "status": "completed",
            "content": "Opening hours: Monday to Friday, 9am to 5pm (KST). Closed on public holidays.",
            "created_at": "2025-01-22T04:41:30.004100+00:00",
            "updated_at": "2025-01-22T04:41:30.004100+00:00"
        }),
        json!({
            "id": "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586",
            "chatbot_id": SHOP_BOT,
            "name": "https://shop.example.com/faq/shipping",
            "type": "url",
            "status": "completed",
            "content": "배송은 보통 2-3일 걸립니다. Delivery usually takes 2-3 business days; express delivery arrives the next day.",
            "created_at": "2024-11-05T09:30:00.000000+00:00",
            "updated_at": "2024-11-05T09:30:00.000000+00:00"
        }),
    ]
}

fn sessions() -> Vec<Value> {
    vec![
        json!({
            "active": true,
            "chatbot_id": DEMO_BOT,
            "created_at": "2025-01-23T01:02:03.000000+00:00",
            "id": "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f",
            "is_human_mode": false,
            "metadata": {"anonymous": true},
            "migrated_data": false,
            "platform": "web",
            "session_token": "st_9b2f4c1e5d6a4b7c",
            "sns_user_id": null,
            "state": "in_progress",
            "updated_at": "2025-01-23T01:02:09.000000+00:00",
            "user_id": null,
            "voice_path": null
        }),
        json!({
            "active": true,
            "chatbot_id": DEMO_BOT,
            "created_at": "2025-01-24T08:00:00.000000+00:00",
            "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "is_human_mode": false,
            "metadata": {"anonymous": true},
            "migrated_data": false,
            "platform": "web",
            "session_token": null,
            "sns_user_id": null,
            "state": "in_progress",
            "updated_at": "2025-01-24T08:00:00.000000+00:00",
            "user_id": null,
            "voice_path": null
        }),
        json!({
            "active": false,
            "chatbot_id": SHOP_BOT,
            "created_at": "2024-12-01T10:00:00.000000+00:00",
            "id": "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
            "is_human_mode": true,
            "metadata": {"anonymous": false},
            "migrated_data": true,
            "platform": "navertalktalk",
            "session_token": null,
            "sns_user_id": "naver_u_5521",
            "state": "in_progress",
            "updated_at": "2024-12-01T10:05:00.000000+00:00",
            "user_id": "b8a7c6d5-e4f3-4a2b-9c1d-0e9f8a7b6c5d",
            "voice_path": null
        }),
    ]
}

fn messages() -> Vec<Value> {
    vec![
        json!({
            "attachments": null,
            "content": "What are your opening hours?",
            "created_at": "2025-01-23T01:02:03.000000+00:00",
            "id": "f1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8",
            "metadata": {},
            "migrated_data": false,
            "model": null,
            "provider": null,
            "sender_type": "user",
            "session_id": "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f",
            "session_token": "st_9b2f4c1e5d6a4b7c",
            "tokens_used": 7,
            "tool_calls": null,
            "tool_results": null
        }),
        json!({
            "attachments": null,
            "content": "We are open Monday to Friday, 9am to 5pm (KST), and closed on public holidays.",
            "created_at": "2025-01-23T01:02:09.000000+00:00",
            "id": "a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d",
            "metadata": {},
            "migrated_data": false,
            "model": "gpt-4o-mini",
            "provider": "openai",
            "sender_type": "bot",
            "session_id": "9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f",
            "session_token": "st_9b2f4c1e5d6a4b7c",
            "tokens_used": 42,
            "tool_calls": null,
            "tool_results": null
        }),
        json!({
            "attachments": [{"name": "receipt.jpg", "url": "https://shop.example.com/uploads/receipt.jpg"}],
            "content": "주문한 상품이 아직 안 왔어요. 영수증 첨부합니다.",
            "created_at": "2024-12-01T10:00:00.000000+00:00",
            "id": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
            "metadata": {},
            "migrated_data": true,
            "model": null,
            "provider": null,
            "sender_type": "user",
            "session_id": "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
            "session_token": null,
            "tokens_used": 18,
            "tool_calls": null,
            "tool_results": null
        }),
        json!({
            "attachments": null,
            "content": "확인해 보겠습니다. 상담원이 곧 연결됩니다.",
            "created_at": "2024-12-01T10:05:00.000000+00:00",
            "id": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70",
            "metadata": {"handoff": true},
            "migrated_data": true,
            "model": "gpt-4o",
            "provider": "openai",
            "sender_type": "bot",
            "session_id": "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
            "session_token": null,
            "tokens_used": 25,
            "tool_calls": null,
            "tool_results": null
        }),
    ]
}
