//! The handlers of OKChat's chatbot operations: list, create, update, get,
//! the avatar upload, and the voice agent and chat widget configs.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use chatbots_okchat::types;
use serde_json::{Map, Value, json};

use super::errors::{Reply, error, invalid, ok, render};
use super::fixtures;
use super::input::{Auth, ChatbotId, query_uuid};
use super::state::{App, merge, new_id, now, str_of};
use crate::drop_field::Dropping;
use crate::extract::{Refusal, SpecFields, documented};
use crate::multipart;
use crate::support::{self, Problem};

/// The multipart field the SDK sends the avatar image in (any other is
/// taken too: the docs do not name it).
const AVATAR_FIELD: &str = "file";

pub(super) async fn list_chatbots(State(app): State<App>, _auth: Auth) -> Reply {
    let db = app.db();
    Ok(ok(json!({"chatbots": db.chatbots})))
}

fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

pub(super) async fn create_chatbot(
    State(app): State<App>,
    _auth: Auth,
    SpecFields(_, sent): SpecFields<types::CreateChatbotRequest>,
) -> Reply {
    let input = Value::Object(documented::<types::CreateChatbotRequest>(&sent));
    // The docs do not require `name` (nor any field): a blank one is kept.
    let name = str_of(&input, "name").trim().to_string();
    let id = new_id();
    let slug = match input.get("slug").and_then(Value::as_str) {
        Some(slug) if !slug.trim().is_empty() => slug.trim().to_string(),
        _ => match slugify(&name) {
            slug if slug.is_empty() => format!("chatbot-{}", id.get(..8).unwrap_or("new")),
            slug => slug,
        },
    };
    let mut settings = json!({
        "greeting": "Hello! How can I assist you today?",
        "isRequestUserInfoEnabled": false,
        "isToolEnabled": false,
        "model": "gpt-4o-mini",
        "prompt": "",
    });
    if let Some(given) = input.get("settings") {
        merge(&mut settings, given);
    }
    let stamp = now();
    let chatbot = json!({
        "active": true,
        "created_at": stamp,
        "description": input.get("description").cloned().unwrap_or_else(|| json!("")),
        "docs_metadata": null,
        "enabled_plugins": null,
        "id": id,
        "is_public": input.get("is_public").cloned().unwrap_or(Value::Bool(false)),
        "managers": null,
        "migrated_data": false,
        "name": name,
        "openai_api_key": null,
        "organization_id": fixtures::ORGANIZATION,
        "personality_config": input.get("personality_config").cloned().unwrap_or_else(|| json!({})),
        "settings": settings,
        "slug": slug,
        "suggestions": null,
        "updated_at": stamp,
        "v1_chatbot_id": null,
        "version_id": null,
        "voice_widget_config": null,
    });
    let mut db = app.db();
    if db.chatbots.iter().any(|bot| str_of(bot, "slug") == slug) {
        return Err(error(
            StatusCode::CONFLICT,
            format!("A chatbot with slug {slug:?} already exists"),
        ));
    }
    db.chatbots.push(chatbot.clone());
    Ok(ok(json!({"chatbot": chatbot})))
}

/// Where Update Chatbot's body keeps each shared field (the facade's
/// names), for the `drop-field` fault.
pub(super) const SHARED_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("instructions", "settings.prompt"),
    ("model", "settings.model"),
    ("greeting", "settings.greeting"),
];

pub(super) async fn update_chatbot(
    State(app): State<App>,
    _auth: Auth,
    dropping: Dropping,
    RawQuery(query): RawQuery,
    SpecFields(_, sent): SpecFields<types::UpdateChatbotRequest>,
) -> Reply {
    let id = query_uuid(query.as_deref(), "id")?;
    let input = documented::<types::UpdateChatbotRequest>(&sent);
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    let dropped = dropping.field(SHARED_FIELDS, &input);
    let before = dropped.as_ref().map(|_| bot.clone());
    // Objects (`settings`, `personality_config`) merge into the stored
    // ones; the rest replace.
    merge(bot, &Value::Object(input));
    bot["updated_at"] = json!(now());
    let answer = json!({"chatbot": bot, "message": "Chatbot updated successfully"});
    // The stored bot keeps the fields where the body has them, so putting
    // the old value back after answering is the answer of a vendor that
    // did not keep the field.
    if let (Some(dropped), Some(Value::Object(before)), Value::Object(after)) =
        (dropped, before, bot)
    {
        dropped.restore(after, &before);
    }
    Ok(ok(answer))
}

pub(super) async fn get_chatbot(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
) -> Reply {
    let db = app.db();
    Ok(ok(json!({"chatbot": db.chatbot(&id)?})))
}

pub(super) async fn update_avatar(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let content_type = support::header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    if !multipart::is_form(content_type) {
        return Err(render(Problem::BadBody {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reason: format!(
                "Content-Type must be multipart/form-data (got {})",
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            ),
        })
        .into());
    }
    let boundary = multipart::boundary(content_type).ok_or_else(|| {
        error::<Refusal>(StatusCode::BAD_REQUEST, "multipart boundary is missing")
    })?;
    let bytes = support::read_body(body, app.body_limit)
        .await
        .map_err(|problem| Refusal::from(render(problem)))?;
    let parts = multipart::parse(&bytes, &boundary).ok_or_else(|| {
        error::<Refusal>(
            StatusCode::BAD_REQUEST,
            "the body is not a complete multipart form (a part without a name, or no closing boundary)",
        )
    })?;
    // The docs do not name the field (the spec's schema names none): the
    // part named `file` (as the SDK sends it), else the first with a file
    // name, else the first. A form without any part changes nothing.
    let file = parts
        .iter()
        .find(|p| p.name == AVATAR_FIELD)
        .or_else(|| parts.iter().find(|p| p.file_name.is_some()))
        .or_else(|| parts.first());
    let Some(file) = file else {
        let db = app.db();
        let bot = db.chatbot(&id)?;
        return Ok(ok(json!({"chatbot": bot})));
    };
    let mime = file.content_type.as_deref().map(str::to_ascii_lowercase);
    if let Some(mime) = &mime
        && !mime.starts_with("image/")
    {
        return Err(invalid(
            AVATAR_FIELD,
            &format!("must be an image (got {mime})"),
        ));
    }
    let extension = file
        .file_name
        .clone()
        .and_then(|name| {
            let (_, ext) = name.rsplit_once('.')?;
            let ext = ext.to_ascii_lowercase();
            (!ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
                .then_some(ext)
        })
        .or_else(|| {
            mime.as_deref()
                .and_then(|m| m.strip_prefix("image/"))
                .map(|s| s.split(['+', ';']).next().unwrap_or("png").to_string())
        })
        .unwrap_or_else(|| "png".into());
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    let url = format!(
        "https://okchat-sandbox.supabase.co/storage/v1/object/public/avatars/{id}/{}.{extension}",
        new_id()
    );
    if !bot.get("settings").is_some_and(Value::is_object) {
        bot["settings"] = json!({});
    }
    bot["settings"]["avatar"] = json!(url);
    bot["updated_at"] = json!(now());
    Ok(ok(json!({"chatbot": bot})))
}

pub(super) async fn update_voice_agent(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
    SpecFields(_, sent): SpecFields<types::UpdateVoiceAgentRequest>,
) -> Reply {
    let input = Value::Object(documented::<types::UpdateVoiceAgentRequest>(&sent));
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    if !bot.get("voice_widget_config").is_some_and(Value::is_object) {
        bot["voice_widget_config"] = json!({});
    }
    if let Some(config) = bot.get_mut("voice_widget_config") {
        merge(config, &input);
    }
    bot["updated_at"] = json!(now());
    Ok(ok(json!({
        "message": "Voice widget config updated successfully",
        "voice_widget_config": bot["voice_widget_config"],
    })))
}

pub(super) async fn update_chat_widget(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
    SpecFields(_, sent): SpecFields<types::UpdateChatWidgetRequest>,
) -> Reply {
    let input = Value::Object(documented::<types::UpdateChatWidgetRequest>(&sent));
    let mut db = app.db();
    let bot = db.chatbot_mut(&id)?;
    let snippet = bot
        .get("settings")
        .and_then(|s| s.get("snippet"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut stored = db.chat_widgets.get(&id).cloned().unwrap_or_else(|| {
        let mut base = json!({"language": "auto"});
        merge(&mut base, &snippet);
        base
    });
    merge(&mut stored, &input);
    // The snippet holds the same appearance fields (all but `language`).
    let mut snippet_patch: Map<String, Value> = input.as_object().cloned().unwrap_or_default();
    snippet_patch.remove("language");
    let bot = db.chatbot_mut(&id)?;
    if !bot.get("settings").is_some_and(Value::is_object) {
        bot["settings"] = json!({});
    }
    if !bot["settings"].get("snippet").is_some_and(Value::is_object) {
        bot["settings"]["snippet"] = json!({});
    }
    merge(
        &mut bot["settings"]["snippet"],
        &Value::Object(snippet_patch),
    );
    bot["updated_at"] = json!(now());
    db.chat_widgets.insert(id, stored.clone());
    Ok(ok(json!({
        "chat_widget_config": stored,
        "message": "Chat widget config updated successfully",
    })))
}
