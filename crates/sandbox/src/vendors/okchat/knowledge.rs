//! The handlers of OKChat's knowledge base: list, delete, and the query
//! that ranks items by the share of query words they contain.

use std::collections::BTreeSet;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chatbots_okchat::types;
use serde_json::{Value, json};

use super::errors::{Reply, error, ok};
use super::input::{Auth, ChatbotId, query_uuid};
use super::state::{App, Db, str_of};
use crate::extract::{SpecFields, documented};

pub(super) async fn list_knowledge(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
) -> Reply {
    let db = app.db();
    db.chatbot(&id)?;
    let items: Vec<&Value> = db.items_of(&id).collect();
    Ok(ok(json!({"data": items})))
}

pub(super) async fn delete_knowledge_item(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(bot): ChatbotId,
    RawQuery(query): RawQuery,
) -> Reply {
    let item = query_uuid(query.as_deref(), "id")?;
    let mut db = app.db();
    db.chatbot(&bot)?;
    let Some(index) = db
        .knowledge
        .iter()
        .position(|i| str_of(i, "id") == item && str_of(i, "chatbot_id") == bot)
    else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "Knowledge base item not found",
        ));
    };
    db.knowledge.remove(index);
    Ok(ok(json!({
        "message": "Knowledge base data deleted successfully",
        "id": item,
    })))
}

/// Words too common to say what a text is about.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "at", "be", "by", "can", "do", "does", "for", "how", "i", "in", "is",
    "it", "me", "my", "of", "on", "or", "our", "the", "this", "that", "to", "was", "we", "what",
    "when", "where", "who", "why", "with", "you", "your",
];

/// The distinct lowercase words of `text`, without stop words (unless
/// that leaves none).
fn words(text: &str) -> BTreeSet<String> {
    let all: BTreeSet<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let meaningful: BTreeSet<String> = all
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        all
    } else {
        meaningful
    }
}

/// The chatbot's items containing words of `query`, best first, with the
/// share of the query's words each contains.
pub(super) fn search(db: &Db, bot: &str, query: &str) -> Vec<(f64, String)> {
    let wanted = words(query);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(f64, String)> = db
        .items_of(bot)
        .filter_map(|item| {
            let content = str_of(item, "content");
            let have = words(content);
            let shared = wanted.intersection(&have).count();
            let score = (shared as f64 / wanted.len() as f64 * 10_000.0).round() / 10_000.0;
            (shared > 0).then(|| (score, content.to_string()))
        })
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
    hits.truncate(5);
    hits
}

pub(super) async fn query_knowledge(
    State(app): State<App>,
    _auth: Auth,
    ChatbotId(id): ChatbotId,
    SpecFields(_, sent): SpecFields<types::QueryKnowledgeRequest>,
) -> Reply {
    let input = Value::Object(documented::<types::QueryKnowledgeRequest>(&sent));
    let query = str_of(&input, "query");
    // `query` is not documented as required: none matches nothing.
    let db = app.db();
    db.chatbot(&id)?;
    let results: Vec<Value> = search(&db, &id, query)
        .into_iter()
        .map(|(similarity, content)| json!({"content": content, "similarity": similarity}))
        .collect();
    Ok(ok(json!({"results": results})))
}
