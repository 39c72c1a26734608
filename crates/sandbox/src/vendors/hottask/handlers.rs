//! The handlers of the chatbot operations: create, edit, remove, the
//! model list, and the knowledge base.

use super::types;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Auth;
use super::envelope::{Fail, ok, respond};
use super::fixtures::{default_settings, sample_sheet};
use super::state::{App, Chatbot, Knowledge, MODELS, Store, new_serial};
use crate::drop_field::Dropping;
use crate::extract::{SpecFields, SpecJson};

pub(super) async fn add_chatbot(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::AddChatbotRequest>,
) -> Response {
    respond(app.with(|store| {
        // The docs name `0` (generic) as a `type` and an IANA name as the
        // `timeZone`, but bound neither: any integer and any text is kept.
        let time_zone = body.time_zone.as_str();
        let serial = new_serial();
        store.chatbots.insert(
            serial.clone(),
            Chatbot {
                kind: body.type_,
                settings: default_settings("My Chatbot", time_zone),
                knowledge: Knowledge::default(),
                sheet: Vec::new(),
            },
        );
        Ok(json!({"serialNumber": serial}))
    }))
}

/// Where Edit's body keeps each shared field (the facade's names), for
/// the `drop-field` fault.
pub(super) const SHARED_FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("instructions", "SystemMessage"),
    ("temperature", "Temperature"),
    ("greeting", "WelcomeMessage"),
    ("language", "AIResponseLanguage"),
    ("timezone", "TimeZone"),
];

pub(super) async fn edit_chatbot(
    State(app): State<App>,
    _auth: Auth,
    dropping: Dropping,
    SpecJson(body): SpecJson<types::EditChatbotRequest>,
) -> Response {
    respond(app.with(|store| {
        store.chatbot(&body.serial_number)?;
        if let Some(key) = &body.model {
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
        for (field, id) in [
            ("ChatIcon", &body.chat_icon),
            ("ChatProfilePicture", &body.chat_profile_picture),
        ] {
            if let Some(id) = id.as_deref().filter(|id| !id.is_empty()) {
                store.file(field, id)?;
            }
        }
        // The settings are the request's fields (the generated type's, so
        // the spec's), as sent; the serial number says which chatbot.
        let Ok(Value::Object(mut settings)) = serde_json::to_value(&body) else {
            return Err(Fail::invalid("(body) must be an object"));
        };
        settings.remove("serialNumber");
        let dropped = dropping.field(SHARED_FIELDS, &settings);
        let bot = store.chatbot_mut(&body.serial_number)?;
        let before = dropped.as_ref().map(|_| bot.settings.clone());
        bot.settings.extend(settings);
        // The answer says nothing of the settings; the old value put back
        // is a vendor that did not keep the field.
        if let (Some(dropped), Some(before)) = (dropped, before) {
            dropped.restore(&mut bot.settings, &before);
        }
        Ok(json!(1))
    }))
}

pub(super) async fn remove_chatbot(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::RemoveChatbotRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number;
        store
            .chatbots
            .remove(&serial)
            .ok_or_else(|| Fail::chatbot(&serial))?;
        store.sessions.retain(|_, s| s.serial != serial);
        store.messages.retain(|m| m.serial != serial);
        store.leads.retain(|l| l.serial != serial);
        Ok(json!(1))
    }))
}

pub(super) async fn list_models(_auth: Auth) -> Response {
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

pub(super) async fn get_source(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::GetSourceRequest>,
) -> Response {
    respond(app.with(|store| {
        let bot = store.chatbot(&body.serial_number)?;
        Ok(Value::Array(knowledge_items(bot, store)))
    }))
}

/// `EditKnowledge` replaces each source it is sent; `sent` tells a list sent
/// empty (cleared) from one not sent (kept).
pub(super) async fn edit_knowledge(
    State(app): State<App>,
    _auth: Auth,
    SpecFields(body, sent): SpecFields<types::EditKnowledgeRequest>,
) -> Response {
    respond(app.with(|store| {
        let serial = body.serial_number.as_str();
        store.chatbot(serial)?;
        let sync = body.enable_sync_site_map;
        let days = body.sync_site_map_days.map(|days| *days);
        // The spec says so in words (`SyncSiteMapDays`); OpenAPI 3.0 has no
        // way to say it in the schema.
        if sync == Some(true) && days.is_none() {
            return Err(Fail::invalid(
                "SyncSiteMapDays is required when EnableSyncSiteMap is true",
            ));
        }
        let files = sent.contains_key("fileList").then_some(&body.file_list);
        for id in files.into_iter().flatten() {
            store.file("fileList", id)?;
        }
        // The docs do not say which keys of an entry are required: a
        // missing one is kept as empty.
        let websites = sent.contains_key("websiteList").then(|| {
            body.website_list
                .iter()
                .map(|site| {
                    (
                        site.url.clone().unwrap_or_default(),
                        site.retrain.unwrap_or(false),
                    )
                })
                .collect::<Vec<_>>()
        });
        let qa = sent.contains_key("qaList").then(|| {
            body.qa_list
                .iter()
                .map(|pair| {
                    (
                        pair.key.clone().unwrap_or_default(),
                        pair.value.clone().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        });
        let bot = store.chatbot_mut(serial)?;
        let k = &mut bot.knowledge;
        if let Some(url) = &body.site_map_url {
            k.site_map_url.clone_from(url);
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
            k.files.clone_from(files);
        }
        if let Some(text) = &body.text {
            k.text.clone_from(text);
        }
        let retrain = body.is_retrain_google_sheet.unwrap_or(false);
        if let Some(url) = &body.google_sheet_url {
            let changed = *url != k.google_sheet_url;
            k.google_sheet_url.clone_from(url);
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

pub(super) async fn get_google_sheet_data(
    State(app): State<App>,
    _auth: Auth,
    SpecJson(body): SpecJson<types::GetGoogleSheetDataRequest>,
) -> Response {
    // The docs give the defaults (10, 1), no range: a page before the first
    // or of no rows is empty.
    let (size, number) = (body.page_size, body.page_number);
    respond(app.with(|store| {
        let bot = store.chatbot(&body.serial_number)?;
        if bot.kind != 0 {
            return Err(Fail::invalid(
                "Only regular chatbots are supported, not template-based ones",
            ));
        }
        let mut rows: Vec<&Value> = bot
            .sheet
            .iter()
            .filter(|row| {
                let id = row.get("Id").and_then(Value::as_i64).unwrap_or(0);
                body.ids.is_empty() || body.ids.contains(&id)
            })
            .collect();
        if !body.is_asc {
            rows.reverse();
        }
        let total = rows.len();
        let skip =
            usize::try_from(number.saturating_sub(1).saturating_mul(size)).unwrap_or(usize::MAX);
        let take = usize::try_from(size).unwrap_or(0);
        let page: Vec<Value> = rows.into_iter().skip(skip).take(take).cloned().collect();
        Ok(json!({
            "Total": total,
            "PageNumber": number,
            "PageSize": size,
            "List": page,
        }))
    }))
}
