//! The handlers of Converza's teams: list, create (with its first user).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as Extract};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chatbots_converza::types;
use serde_json::{Map, Value, json};

use super::App;
use super::auth::Auth;
use super::errors::{Reply, fail_detail, invalid, ok};
use super::input::{Params, check, contains, paginate, paging, query};
use super::state::{Team, User};
use crate::extract::SpecFields;

pub(super) async fn list_teams(
    Extract(app): Extract<App>,
    _auth: Auth,
    params: Result<Query<Params>, QueryRejection>,
) -> Reply {
    let params = query(params)?;
    let mut violations = Vec::new();
    let paging = paging(&params, &mut violations);
    let paying = match params.get("paying").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            violations.push(invalid(
                "paying",
                format!("must be true or false (got {other:?})"),
            ));
            None
        }
    };
    check(violations)?;
    let name = params.get("name");
    let state = app.lock();
    let teams: Vec<Value> = state
        .teams
        .iter()
        .filter(|t| paying.is_none_or(|p| t.paying == p))
        .filter(|t| name.is_none_or(|n| contains(&t.name, n)))
        .map(Team::json)
        .collect();
    let (teams, meta) = paginate(teams, &paging);
    Ok((
        StatusCode::OK,
        axum::Json(json!({"success": true, "data": teams, "meta": meta})),
    )
        .into_response())
}

pub(super) async fn create_team(
    Extract(app): Extract<App>,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::CreateTeamRequest>,
) -> Reply {
    let empty = Map::new();
    let user_fields = body
        .get("user")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let team_fields = body
        .get("team")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let team = Team::create(team_fields);
    let user = User::create(user_fields);
    let mut state = app.lock();
    if !user.email.is_empty()
        && state
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(&user.email))
    {
        return Err(fail_detail(
            StatusCode::CONFLICT,
            "EMAIL_TAKEN",
            "E-mail já usado",
            &format!("a user with e-mail {} already exists", user.email),
        ));
    }
    let data = json!({"team": team.json(), "user": user.json()});
    state.teams.push(team);
    state.users.push(user);
    Ok(ok(StatusCode::CREATED, data))
}
