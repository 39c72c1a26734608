//! The four edit endpoints: which orders each accepts, the rules the docs
//! state beyond the schema, and the settings an edit stores.

use axum::extract::State;
use axum::response::Response;
use chatbots_streamskill::types;
use serde_json::{Map, Value};

use super::auth::Auth;
use super::handlers::{App, RawPath, Shared, action_success, add, path_id};
use super::model::Purchase;
use super::{Errors, invalid, not_allowed, not_found, purchase_done, render};
use crate::drop_field::Dropping;
use crate::extract::{PendingJson, SpecBody, documented};

/// Which edit endpoint, and so which orders it accepts and which rules it
/// checks (the fields it stores are its request type's).
#[derive(Clone, Copy)]
enum Edit {
    AiChatbots,
    Chatbot,
    TwitchViewers,
    TwitchFollowers,
}

/// Where the edits' bodies keep each shared field (the facade's names),
/// for the `drop-field` fault.
pub(super) const SHARED_FIELDS: &[(&str, &str)] = &[("language", "language")];

/// The fields the spec's description of `EditTwitchViewersObject` makes
/// required together (OpenAPI 3.0 cannot say so in the schema).
const MANUAL_FIELDS: [&str; 4] = [
    "manual_chart",
    "manual_chart_randomization",
    "manual_chart_end_action",
    "manual_chart_end_param",
];

impl Edit {
    fn accepts(self, purchase: &Purchase) -> bool {
        match self {
            Edit::AiChatbots => purchase.order_type == "ai_chatbots",
            Edit::Chatbot => purchase.order_type == "chatbots",
            Edit::TwitchViewers => {
                matches!(purchase.order_type.as_str(), "twitch_viewers" | "viewers")
                    && purchase.service == "twitch"
            }
            Edit::TwitchFollowers => purchase.order_type == "twitch_followers",
        }
    }
}

fn current_u64(purchase: &Purchase, field: &str) -> Option<u64> {
    purchase.settings.get(field).and_then(Value::as_u64)
}

/// A channel name as the edits take it: no URL prefix (both edits' docs);
/// not blank after trimming only where documented (the followers' edit).
fn check_channel(errors: &mut Errors, fields: &Map<String, Value>, not_blank: bool) {
    if let Some(channel) = fields.get("channel").and_then(Value::as_str) {
        let channel = channel.trim();
        if channel.is_empty() && not_blank {
            add(errors, "channel", "Channel cannot be blank.");
        } else if channel.contains('/') || channel.contains(':') {
            add(
                errors,
                "channel",
                "Enter the channel name without the URL prefix.",
            );
        }
    }
}

/// The rules beyond the schema, per endpoint.
fn check_rules(
    edit: Edit,
    purchase: &Purchase,
    languages: Option<&[&str]>,
    fields: &Map<String, Value>,
) -> Errors {
    let mut errors = Errors::new();
    match edit {
        Edit::AiChatbots => {
            if let Some(language) = fields.get("language").and_then(Value::as_str) {
                let known = languages.is_none_or(|list| list.contains(&language));
                if language.trim().is_empty() || !known {
                    add(
                        &mut errors,
                        "language",
                        format!(
                            "Language \"{language}\" is not available for this tariff (available: {}).",
                            languages.unwrap_or_default().join(", ")
                        ),
                    );
                }
            }
            let new_count = fields.get("count").and_then(Value::as_u64);
            if let Some(count) = new_count
                && count > purchase.quantity
            {
                add(
                    &mut errors,
                    "count",
                    format!(
                        "Count cannot exceed the purchased amount ({}).",
                        purchase.quantity
                    ),
                );
            }
            let count = new_count
                .or_else(|| current_u64(purchase, "count"))
                .unwrap_or(1)
                .max(1);
            let minimum = 60u64.div_ceil(count).max(1);
            let new_interval = fields.get("interval").and_then(Value::as_u64);
            if let Some(interval) = new_interval.or_else(|| current_u64(purchase, "interval"))
                && interval < minimum
            {
                let hint = if new_interval.is_none() {
                    " Send a larger interval together with the new count."
                } else {
                    ""
                };
                add(
                    &mut errors,
                    "interval",
                    format!(
                        "Interval must be at least {minimum} seconds for {count} chatbots (ceil(60 / count)); it is {interval}.{hint}"
                    ),
                );
            }
        }
        Edit::Chatbot => {
            // `phrases` is a string list; the docs set no rule on its length
            // or on blank phrases, so none is checked.
        }
        Edit::TwitchViewers => {
            check_channel(&mut errors, fields, false);
            if let Some(threads) = fields.get("threads").and_then(Value::as_u64)
                && threads > purchase.quantity
            {
                add(
                    &mut errors,
                    "threads",
                    format!(
                        "Threads cannot exceed the purchased amount ({}).",
                        purchase.quantity
                    ),
                );
            }
            for field in ["stream_views", "uniq_viewers"] {
                if let Some(n) = fields.get(field).and_then(Value::as_u64)
                    && n > 10
                    && !purchase.custom_x
                {
                    add(
                        &mut errors,
                        field,
                        format!(
                            "{field} must be at most 10 unless the customX option is on (got {n})."
                        ),
                    );
                }
            }
            if let Some(percent) = fields.get("geo_percent").and_then(Value::as_i64)
                && !(0..=100).contains(&percent)
            {
                add(
                    &mut errors,
                    "geo_percent",
                    format!("geo_percent must be between 0 and 100 (got {percent})."),
                );
            }
            let manual = match fields.get("online_mode").and_then(Value::as_str) {
                Some(mode) => mode == "manual",
                None => {
                    purchase.settings.get("online_mode").and_then(Value::as_str) == Some("manual")
                }
            };
            if manual {
                for field in MANUAL_FIELDS {
                    if !fields.contains_key(field) {
                        add(
                            &mut errors,
                            field,
                            format!("{field} is required when online_mode is manual."),
                        );
                    }
                }
            }
        }
        Edit::TwitchFollowers => {
            check_channel(&mut errors, fields, true);
            let current = purchase.settings.get("channel").and_then(Value::as_str);
            if let Some(channel) = fields.get("channel").and_then(Value::as_str)
                && Some(channel.trim()) != current
                && purchase.channel_changes_left == 0
                && !errors.contains_key("channel")
            {
                add(
                    &mut errors,
                    "channel",
                    "The channel can no longer be changed for this order.",
                );
            }
        }
    }
    errors
}

/// An edit: the order is looked up and its type and state checked before
/// the body is.
async fn edit<T: SpecBody>(
    app: &App,
    edit: Edit,
    path: RawPath,
    dropping: Dropping,
    body: PendingJson<T>,
) -> Response {
    let id = match path_id(path) {
        Ok(id) => id,
        Err(raw) => return not_found(&raw),
    };
    let mut account = app.account();
    let languages = account
        .purchases
        .get(&id)
        .and_then(|p| account.tarif(p.tarif))
        .and_then(|t| t.languages);
    let Some(purchase) = account.purchases.get_mut(&id) else {
        return not_found(&id.to_string());
    };
    if !edit.accepts(purchase) {
        return not_allowed();
    }
    if purchase.is_done() {
        return purchase_done();
    }
    let fields = match body.check_fields() {
        Ok((_, fields)) => fields,
        Err(problem) => return render(problem),
    };
    let errors = check_rules(edit, purchase, languages, &fields);
    if !errors.is_empty() {
        return invalid(errors);
    }
    let fields = documented::<T>(&fields);
    let dropped = dropping.field(SHARED_FIELDS, &fields);
    let before = dropped.as_ref().map(|_| {
        (
            purchase.settings.clone(),
            purchase.channel.clone(),
            purchase.channel_changes_left,
        )
    });
    for (name, value) in fields {
        let value = match (name.as_str(), &value) {
            ("channel", Value::String(channel)) => {
                let channel = channel.trim().to_string();
                let changed = purchase.settings.get("channel").and_then(Value::as_str)
                    != Some(channel.as_str());
                if changed {
                    if matches!(edit, Edit::TwitchFollowers) {
                        purchase.channel_changes_left =
                            purchase.channel_changes_left.saturating_sub(1);
                    }
                    purchase.channel = format!("https://twitch.tv/{channel}");
                }
                Value::String(channel)
            }
            _ => value,
        };
        purchase.settings.insert(name, value);
    }
    // The answer says nothing of the settings; the old value put back (with
    // what a channel change does besides) is a vendor that did not keep the
    // field.
    if let (Some(dropped), Some((settings, channel, changes_left))) = (dropped, before) {
        dropped.restore(&mut purchase.settings, &settings);
        if dropped.top() == "channel" {
            purchase.channel = channel;
            purchase.channel_changes_left = changes_left;
        }
    }
    action_success()
}

pub(super) async fn edit_ai_chatbots(
    State(app): Shared,
    _auth: Auth,
    dropping: Dropping,
    path: RawPath,
    body: PendingJson<types::EditAiChatbotsObject>,
) -> Response {
    edit(&app, Edit::AiChatbots, path, dropping, body).await
}

pub(super) async fn edit_chatbot(
    State(app): Shared,
    _auth: Auth,
    dropping: Dropping,
    path: RawPath,
    body: PendingJson<types::EditChatbotObject>,
) -> Response {
    edit(&app, Edit::Chatbot, path, dropping, body).await
}

pub(super) async fn edit_twitch_viewers(
    State(app): Shared,
    _auth: Auth,
    dropping: Dropping,
    path: RawPath,
    body: PendingJson<types::EditTwitchViewersObject>,
) -> Response {
    edit(&app, Edit::TwitchViewers, path, dropping, body).await
}

pub(super) async fn edit_twitch_followers(
    State(app): Shared,
    _auth: Auth,
    dropping: Dropping,
    path: RawPath,
    body: PendingJson<types::EditTwitchFollowersObject>,
) -> Response {
    edit(&app, Edit::TwitchFollowers, path, dropping, body).await
}
