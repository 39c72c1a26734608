//! The handlers of HotTask's chatbot operations: create, edit, remove, the
//! model list, and the knowledge base.

use axum::extract::State;
use axum::response::Response;
use chatbots_hottask::types;
use serde_json::{Value, json};

use super::auth::HotTaskAuth;
use super::envelope::{Fail, failure, ok, render, respond};
use super::fixtures::{default_settings, sample_sheet};
use super::state::{App, Chatbot, Knowledge, MODELS, Store, new_serial};
use crate::extract::{PendingJson, SpecFields, SpecJson};

pub(super) async fn add_chatbot(
    State(app): State<App>,
    _auth: HotTaskAuth,
    SpecJson(body): SpecJson<types::AddChatbotRequest>,
) -> Response {
    respond(app.with(|store| {
        // TODO(issue 11): `type` ≥ 0 and a non-blank `timeZone` are the
        // sandbox's rules; the spec states neither.
        if body.type_ < 0 {
            return Err(Fail::invalid(format!(
                "type must be at least 0 (got {})",
                body.type_
            )));
        }
        let time_zone = body.time_zone.trim();
        if time_zone.is_empty() {
            return Err(Fail::invalid("timeZone must not be empty"));
        }
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

pub(super) async fn edit_chatbot(
    State(app): State<App>,
    _auth: HotTaskAuth,
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
        // TODO(issue 11): the spec sets no minimum for these two.
        for (field, n) in [
            ("RateLimitCount", body.rate_limit_count),
            ("RateLimitTime", body.rate_limit_time),
        ] {
            if let Some(n) = n.filter(|n| *n < 0) {
                return Err(Fail::invalid(format!(
                    "{field} must be at least 0 (got {n})"
                )));
            }
        }
        // The settings are the request's fields (the generated type's, so
        // the spec's), as sent; the serial number says which chatbot.
        let Ok(Value::Object(mut settings)) = serde_json::to_value(&body) else {
            return Err(Fail::invalid("(body) must be an object"));
        };
        settings.remove("serialNumber");
        let bot = store.chatbot_mut(&body.serial_number)?;
        bot.settings.extend(settings);
        Ok(json!(1))
    }))
}

pub(super) async fn remove_chatbot(
    State(app): State<App>,
    _auth: HotTaskAuth,
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

pub(super) async fn list_models(_auth: HotTaskAuth) -> Response {
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
    _auth: HotTaskAuth,
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
    _auth: HotTaskAuth,
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
        // TODO(issue 11): the spec does not say `url` and `key` are required
        // ("the docs do not say which keys are required").
        let mut websites = None;
        if sent.contains_key("websiteList") {
            let mut out = Vec::new();
            for (i, site) in body.website_list.iter().enumerate() {
                let url = site.url.as_deref().unwrap_or("").trim();
                if url.is_empty() {
                    return Err(Fail::invalid(format!("websiteList[{i}].url is required")));
                }
                out.push((url.to_string(), site.retrain.unwrap_or(false)));
            }
            websites = Some(out);
        }
        let mut qa = None;
        if sent.contains_key("qaList") {
            let mut out = Vec::new();
            for (i, pair) in body.qa_list.iter().enumerate() {
                let question = pair.key.as_deref().unwrap_or("").trim();
                if question.is_empty() {
                    return Err(Fail::invalid(format!("qaList[{i}].key is required")));
                }
                out.push((question.to_string(), pair.value.clone().unwrap_or_default()));
            }
            qa = Some(out);
        }
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
    _auth: HotTaskAuth,
    body: PendingJson<types::GetGoogleSheetDataRequest>,
) -> Response {
    // TODO(issue 11): the spec documents the defaults, not these ranges. They
    // are checked on the body as sent: without a maximum in the spec, a
    // `pageSize` beyond the generated type's i64 passes the schema.
    let page = |name: &str, default: i64| match body.sent().get(name) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::MAX),
        _ => default,
    };
    let (size, number) = (page("pageSize", 10), page("pageNumber", 1));
    if !(1..=100).contains(&size) {
        return failure(Fail::invalid(format!(
            "pageSize must be between 1 and 100 (got {size})"
        )));
    }
    if number < 1 {
        return failure(Fail::invalid(format!(
            "pageNumber must be at least 1 (got {number})"
        )));
    }
    let body = match body.check() {
        Ok(body) => body,
        Err(problem) => return render(problem),
    };
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
