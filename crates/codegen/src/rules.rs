//! Our rules for vendor specs: the shapes progenitor 0.15 generates without
//! panicking, plus the conventions the runtime relies on. Each rule exists
//! because breaking it either panics progenitor or weakens the client (see
//! `shared/progenitor-notes.md`).

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Response, StatusCode};

use crate::operation_name;

/// Extension that keeps an operation in the spec (it is documented) but out
/// of generation: its vendor crate implements it by hand (multipart uploads).
pub const MANUAL_EXTENSION: &str = "x-chatbots-manual";

/// One rule a spec breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The operationId (or `METHOD /path`) at fault, if the problem is local.
    pub operation: Option<String>,
    /// What is wrong and what to do about it.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "operation `{op}`: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

const JSON: &str = "application/json";
const BYTES: &str = "application/octet-stream";

pub(crate) fn check(api: &OpenAPI) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut global = |reason: String| {
        problems.push(Problem {
            operation: None,
            reason,
        })
    };
    if !api.openapi.starts_with("3.0.") {
        global(format!(
            "`openapi: {}` is not 3.0.x; progenitor 0.15 reads OpenAPI 3.0 only",
            api.openapi
        ));
    }
    if api.servers.is_empty() {
        global("no `servers` entry: the first one is the vendor's default base URL".into());
    }
    let whole = serde_json::to_value(api).unwrap_or_default();
    if contains_closed_object(&whole) {
        global("`additionalProperties: false` found: a new vendor field would then fail decoding; leave objects open".into());
    }

    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in api.paths.paths.iter() {
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                problems.push(Problem {
                    operation: Some(path.clone()),
                    reason:
                        "`$ref` path items are not supported by progenitor; inline the path item"
                            .into(),
                });
                continue;
            }
        };
        for (method, op) in item.iter() {
            let name = operation_name(method, path, op);
            let mut fail = |reason: String| {
                problems.push(Problem {
                    operation: Some(name.clone()),
                    reason,
                })
            };
            let where_ = format!("{} {path}", method.to_uppercase());
            match &op.operation_id {
                None => fail(format!("{where_} has no operationId")),
                Some(id) => {
                    if let Some(other) = seen_ids.insert(id.clone(), where_.clone()) {
                        fail(format!("operationId is used twice ({other} and {where_})"));
                    }
                }
            }
            if let Some(reason) = crate::retry_safety::problem(op) {
                fail(reason);
            }
            let manual = matches!(
                op.extensions.get(MANUAL_EXTENSION),
                Some(serde_json::Value::Bool(true))
            );
            if manual {
                continue;
            }

            for param in item.parameters.iter().chain(op.parameters.iter()) {
                let ReferenceOr::Item(param) = param else {
                    continue;
                };
                match param {
                    Parameter::Cookie { parameter_data, .. } => fail(format!(
                        "cookie parameter `{}`: progenitor does not support cookies",
                        parameter_data.name
                    )),
                    Parameter::Query {
                        style,
                        parameter_data,
                        ..
                    } if !matches!(style, openapiv3::QueryStyle::Form) => fail(format!(
                        "query parameter `{}` uses a style other than `form`",
                        parameter_data.name
                    )),
                    _ => {}
                }
            }

            if let Some(ReferenceOr::Item(body)) = &op.request_body {
                let types: Vec<&String> = body.content.keys().collect();
                if types != [JSON] {
                    fail(format!(
                        "request body media types {types:?}: only exactly `{JSON}` is generated; \
                         mark a multipart operation `{MANUAL_EXTENSION}: true` and write it in the vendor crate"
                    ));
                }
            }

            let mut success: Vec<(String, Option<String>)> = Vec::new();
            let mut errors: Vec<(String, Option<String>)> = Vec::new();
            let mut has_default = false;
            let responses = op
                .responses
                .responses
                .iter()
                .map(|(code, r)| (status_label(code), status_class(code), r))
                .chain(
                    op.responses
                        .default
                        .iter()
                        .map(|r| ("default".to_string(), 0, r)),
                );
            for (label, class, response) in responses {
                let body = match response_body(api, response) {
                    Ok(body) => body,
                    Err(reason) => {
                        fail(format!("response {label}: {reason}"));
                        continue;
                    }
                };
                match class {
                    2 => success.push((label, body)),
                    4 | 5 => errors.push((label, body)),
                    0 => {
                        has_default = true;
                        errors.push((label, body));
                    }
                    _ => {}
                }
            }
            if success.is_empty() {
                fail("no 2xx response".into());
            }
            if distinct(&success) > 1 {
                fail(format!(
                    "more than one success body type ({}); progenitor allows one",
                    labels(&success)
                ));
            }
            if distinct(&errors) > 1 {
                fail(format!(
                    "more than one error body type ({}); use one error schema for `4XX`/`5XX`",
                    labels(&errors)
                ));
            }
            if has_default && success.iter().any(|(_, b)| b.is_some()) {
                fail("a typed 2xx next to `default`: use `4XX`/`5XX` for errors".into());
            }
        }
    }
    problems
}

fn status_label(code: &StatusCode) -> String {
    match code {
        StatusCode::Code(n) => n.to_string(),
        StatusCode::Range(n) => format!("{n}XX"),
    }
}

fn status_class(code: &StatusCode) -> u16 {
    match code {
        StatusCode::Code(n) => n / 100,
        StatusCode::Range(n) => *n,
    }
}

/// The response body as a comparable key (its schema as JSON), or `None`
/// when the response has no body.
fn response_body(
    api: &OpenAPI,
    response: &ReferenceOr<Response>,
) -> Result<Option<String>, String> {
    let response = match response {
        ReferenceOr::Item(r) => r,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/responses/");
            match api.components.as_ref().and_then(|c| c.responses.get(name)) {
                Some(ReferenceOr::Item(r)) => r,
                _ => return Err(format!("`{reference}` does not resolve to a response")),
            }
        }
    };
    if response.content.is_empty() {
        return Ok(None);
    }
    let types: Vec<&String> = response.content.keys().collect();
    if types != [JSON] && types != [BYTES] {
        return Err(format!(
            "media types {types:?}: use exactly `{JSON}` (or `{BYTES}` for raw bytes)"
        ));
    }
    let (media, content) = response.content.iter().next().ok_or("empty content")?;
    match &content.schema {
        Some(schema) => Ok(Some(format!(
            "{media} {}",
            serde_json::to_string(schema).unwrap_or_default()
        ))),
        None if media == BYTES => Ok(Some(media.clone())),
        None => Err("a JSON response without a schema".into()),
    }
}

/// How many different bodies there are; a body-less response next to a
/// typed one counts as a second type.
fn distinct(responses: &[(String, Option<String>)]) -> usize {
    let mut bodies: Vec<&Option<String>> = responses.iter().map(|(_, b)| b).collect();
    bodies.sort();
    bodies.dedup();
    bodies.len()
}

fn labels(responses: &[(String, Option<String>)]) -> String {
    responses
        .iter()
        .map(|(label, body)| match body {
            Some(_) => label.clone(),
            None => format!("{label} without body"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn contains_closed_object(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "additionalProperties" && *v == serde_json::Value::Bool(false))
                || contains_closed_object(v)
        }),
        serde_json::Value::Array(items) => items.iter().any(contains_closed_object),
        _ => false,
    }
}

/// What progenitor sees: the spec without manual operations, and without
/// error statuses that a `4XX`/`5XX` range already covers (they document
/// examples; generated, they would be unreachable match arms), and with
/// the terms-of-service URL as an autolink.
pub(crate) fn prepare_for_progenitor(api: &OpenAPI) -> OpenAPI {
    let mut api = api.clone();
    // progenitor writes the terms-of-service URL on a doc line of its own,
    // where rustdoc flags a bare URL; as an autolink it is a link.
    if let Some(url) = &mut api.info.terms_of_service {
        *url = format!("<{url}>");
    }
    for item in api.paths.paths.values_mut() {
        if let ReferenceOr::Item(item) = item {
            for param in item.parameters.iter_mut() {
                one_line_description(param);
            }
            for (_, slot) in crate::operation_slots(item) {
                if let Some(op) = slot.as_mut() {
                    for param in op.parameters.iter_mut() {
                        one_line_description(param);
                    }
                    let ranges: Vec<u16> = op
                        .responses
                        .responses
                        .keys()
                        .filter_map(|code| match code {
                            StatusCode::Range(n) if *n >= 4 => Some(*n),
                            _ => None,
                        })
                        .collect();
                    op.responses.responses.retain(|code, _| match code {
                        StatusCode::Code(n) => !ranges.contains(&(n / 100)),
                        StatusCode::Range(_) => true,
                    });
                }
                let manual = slot.as_ref().is_some_and(|op| {
                    matches!(
                        op.extensions.get(MANUAL_EXTENSION),
                        Some(serde_json::Value::Bool(true))
                    )
                });
                if manual {
                    *slot = None;
                }
            }
        }
    }
    api.paths
        .paths
        .retain(|_, item| !matches!(item, ReferenceOr::Item(i) if i.iter().next().is_none()));
    api
}

/// progenitor renders a parameter's description inside a doc list; a
/// multi-line one breaks the list (clippy `doc_lazy_continuation`).
fn one_line_description(param: &mut ReferenceOr<Parameter>) {
    let ReferenceOr::Item(param) = param else {
        return;
    };
    let data = match param {
        Parameter::Query { parameter_data, .. }
        | Parameter::Header { parameter_data, .. }
        | Parameter::Path { parameter_data, .. }
        | Parameter::Cookie { parameter_data, .. } => parameter_data,
    };
    if let Some(text) = data.description.as_mut() {
        *text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
}
