//! The handlers of Converza's bots: list, create, get, update.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as Extract};
use axum::http::StatusCode;
use chatbots_converza::types;
use serde_json::{Map, Value, json};

use super::App;
use super::auth::Auth;
use super::errors::{Reply, fail, not_found, ok};
use super::input::{Params, UuidPath, check, contains, paginate, paging, query, uuid_param};
use super::state::{Bot, Document, State, text};
use crate::drop_field::Dropping;
use crate::extract::{Refusal, SpecFields};

/// A team that exists and may receive bots and documents.
pub(super) fn usable_team(state: &State, team_id: &str) -> Result<(), Refusal> {
    match state
        .teams
        .iter()
        .find(|t| t.id.eq_ignore_ascii_case(team_id))
    {
        None => Err(not_found(
            "TEAM_NOT_FOUND",
            "Equipe não encontrada",
            team_id,
        )),
        Some(team) if team.banned => Err(fail(
            StatusCode::FORBIDDEN,
            "TEAM_BANNED",
            "Equipe bloqueada",
        )),
        Some(_) => Ok(()),
    }
}

/// Every id in `body.document_ids` names a document of `team_id`.
pub(super) fn documents_of_team(
    documents: &[Document],
    body: &Map<String, Value>,
    team_id: &str,
) -> Result<(), Refusal> {
    let ids = body
        .get("document_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for id in ids {
        let found = documents
            .iter()
            .any(|d| d.id.eq_ignore_ascii_case(id) && d.team_id.eq_ignore_ascii_case(team_id));
        if !found {
            return Err(not_found(
                "DOCUMENT_NOT_FOUND",
                "Documento não encontrado nesta equipe",
                id,
            ));
        }
    }
    Ok(())
}

pub(super) async fn list_bots(
    Extract(app): Extract<App>,
    _auth: Auth,
    params: Result<Query<Params>, QueryRejection>,
) -> Reply {
    let params = query(params)?;
    let mut violations = Vec::new();
    let paging = paging(&params, &mut violations);
    let team_id = uuid_param(&params, "team_id", &mut violations);
    check(violations)?;
    let name = params.get("name");
    let state = app.lock();
    let bots: Vec<Value> = state
        .bots
        .iter()
        .filter(|b| team_id.as_deref().is_none_or(|t| b.team_id == t))
        .filter(|b| name.is_none_or(|n| contains(&b.name, n)))
        .map(Bot::json)
        .collect();
    let (bots, pagination) = paginate(bots, &paging);
    Ok(ok(
        StatusCode::OK,
        json!({"bots": bots, "pagination": pagination}),
    ))
}

pub(super) async fn create_bot(
    Extract(app): Extract<App>,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::CreateBotRequest>,
) -> Reply {
    let team_id = text(&body, "team_id")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut state = app.lock();
    usable_team(&state, &team_id)?;
    documents_of_team(&state.documents, &body, &team_id)?;
    let mut bot = Bot::create(&body);
    bot.team_id = team_id;
    let data = bot.json();
    state.bots.push(bot);
    Ok(ok(StatusCode::CREATED, data))
}

pub(super) async fn get_bot(
    Extract(app): Extract<App>,
    _auth: Auth,
    UuidPath(id): UuidPath,
) -> Reply {
    let state = app.lock();
    match state.bots.iter().find(|b| b.id == id) {
        Some(bot) => Ok(ok(StatusCode::OK, bot.detail_json())),
        None => Err(not_found("BOT_NOT_FOUND", "Bot não encontrado", &id)),
    }
}

/// Where Update Bot's body keeps each shared field (the facade's names),
/// for the `drop-field` fault.
pub(super) const SHARED_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("instructions", "instructions"),
    ("temperature", "temperature"),
];

pub(super) async fn update_bot(
    Extract(app): Extract<App>,
    _auth: Auth,
    dropping: Dropping,
    UuidPath(id): UuidPath,
    SpecFields(_, body): SpecFields<types::UpdateBotRequest>,
) -> Reply {
    let mut guard = app.lock();
    let state = &mut *guard;
    let Some(bot) = state.bots.iter_mut().find(|b| b.id == id) else {
        return Err(not_found("BOT_NOT_FOUND", "Bot não encontrado", &id));
    };
    documents_of_team(&state.documents, &body, &bot.team_id)?;
    let Some(dropped) = dropping.field(SHARED_FIELDS, &body) else {
        bot.apply(&body);
        return Ok(ok(StatusCode::OK, bot.json()));
    };
    // `apply` takes each field on its own: the bot stores all but the
    // field, and answers as if it had applied that one on top (at the
    // same instant).
    let (kept, alone) = dropped.split(&body);
    bot.apply(&kept);
    let mut answered = bot.clone();
    answered.apply(&alone);
    answered.updated_at.clone_from(&bot.updated_at);
    Ok(ok(StatusCode::OK, answered.json()))
}
