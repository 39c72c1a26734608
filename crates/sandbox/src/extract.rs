//! The body extractors every vendor's handlers share, axum-style: a handler
//! names the generated request type it takes (`SpecJson<types::EditChatbotRequest>`)
//! and receives it read, checked against the operation's schema from the
//! spec, and decoded — or never runs, and the client gets the failure in the
//! vendor's error shape.
//!
//! Which operation, schema and error shape belong to a request type is said
//! once per vendor with [`spec_bodies!`].

use std::marker::PhantomData;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chatbots_runtime::{Schema, SchemaError, Violation};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::support::{self, Problem};

/// The largest request body, in bytes: a request extension the app layer
/// sets from `Settings::body_limit`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimit(pub(crate) usize);

/// A generated request type, tied to its operation.
pub(crate) trait SpecBody: DeserializeOwned {
    /// The operation, as the vendor crate's `operations` module types it.
    fn operation() -> &'static chatbots_runtime::Operation;
    /// The operation's request schema (the spec's own); `Err` when it does
    /// not compile.
    fn schema() -> Result<Option<&'static Schema>, SchemaError> {
        Self::operation().request_schema()
    }
    /// `problem` in the vendor's error shape.
    fn render(problem: Problem) -> Response;
    /// The spec does not require this body (`requestBody.required` unset):
    /// an empty one counts as `{}`.
    const OPTIONAL: bool = false;
}

/// Ties each generated request type of a vendor to its operation:
///
/// ```text
/// spec_bodies! {
///     operations: chatbots_okchat::operations,
///     render: super::render,
///     UPDATE_CHATBOT => types::UpdateChatbotRequest;
///     PROLONG => types::ProlongRequest, optional: true;
/// }
/// ```
macro_rules! spec_bodies {
    (operations: $ops:path, render: $render:path, $($op:ident => $ty:ty $(, optional: $optional:literal)?);+ $(;)?) => {
        $(
            impl $crate::extract::SpecBody for $ty {
                $(const OPTIONAL: bool = $optional;)?
                fn operation() -> &'static chatbots_runtime::Operation {
                    use $ops as operations;
                    &operations::$op
                }
                fn render(problem: $crate::support::Problem) -> axum::response::Response {
                    $render(problem)
                }
            }
        )+

        /// Every operation listed has a JSON request body in the spec, whose
        /// schema compiles, so its bodies are always checked.
        #[test]
        fn spec_bodies_have_schemas() {
            use $ops as operations;
            $(
                assert!(
                    operations::$op
                        .request_schema()
                        .expect("the request schema compiles")
                        .is_some(),
                    "`{}` has no JSON request body in the spec",
                    operations::$op.id,
                );
            )+
        }
    };
}
pub(crate) use spec_bodies;

/// A refusal on its way out of a handler, boxed (a `Response` is large to
/// pass around in `Err`).
pub(crate) struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Refusal(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A JSON body checked against the spec and decoded into `T`.
pub(crate) struct SpecJson<T>(pub(crate) T);

impl<S: Send + Sync, T: SpecBody> FromRequest<S> for SpecJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Response> {
        let value = read::<T>(request).await.map_err(T::render)?;
        check::<T>(value)
            .map(|(body, _)| SpecJson(body))
            .map_err(T::render)
    }
}

/// A JSON object checked against the spec and decoded into `T`, with the
/// fields as they were sent: an update that merges needs to tell an absent
/// field from one sent as `null` or `[]`, which `T`'s `Option`s and
/// defaulted lists cannot.
pub(crate) struct SpecFields<T>(pub(crate) T, pub(crate) Map<String, Value>);

impl<S: Send + Sync, T: SpecBody> FromRequest<S> for SpecFields<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Response> {
        let value = read::<T>(request).await.map_err(T::render)?;
        match check::<T>(value).map_err(T::render)? {
            (body, Value::Object(fields)) => Ok(SpecFields(body, fields)),
            _ => Err(T::render(not_an_object())),
        }
    }
}

/// A JSON body read and parsed, whose check against the spec waits for
/// [`PendingJson::check`]: for vendors that refuse a request for its target
/// (unknown id, wrong state) before they look at its body.
pub(crate) struct PendingJson<T>(Value, PhantomData<T>);

impl<T: SpecBody> PendingJson<T> {
    /// The body checked against the spec and decoded, or why not (for the
    /// vendor's `render`).
    pub(crate) fn check(self) -> Result<T, Problem> {
        check::<T>(self.0).map(|(body, _)| body)
    }

    /// [`PendingJson::check`], with the fields as sent (see [`SpecFields`]).
    pub(crate) fn check_fields(self) -> Result<(T, Map<String, Value>), Problem> {
        match check::<T>(self.0)? {
            (body, Value::Object(fields)) => Ok((body, fields)),
            _ => Err(not_an_object()),
        }
    }
}

impl<S: Send + Sync, T: SpecBody> FromRequest<S> for PendingJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Response> {
        let value = read::<T>(request).await.map_err(T::render)?;
        Ok(PendingJson(value, PhantomData))
    }
}

/// The body as JSON: content type, size limit, parse. For a body the spec
/// does not require, no body and no `Content-Type` at all counts as `{}`.
async fn read<T: SpecBody>(request: Request) -> Result<Value, Problem> {
    let limit = request
        .extensions()
        .get::<BodyLimit>()
        .map_or(crate::Settings::default().body_limit, |limit| limit.0);
    let (parts, body) = request.into_parts();
    if !T::OPTIONAL || parts.headers.contains_key(header::CONTENT_TYPE) {
        return support::read_json(&parts.headers, body, limit).await;
    }
    let bytes = support::read_body(body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Object(Map::new()))
    } else {
        // Refused for its missing Content-Type, like any other body.
        support::read_json(&parts.headers, Body::from(bytes), limit).await
    }
}

/// `value` checked against `T`'s schema, then decoded into `T`.
fn check<T: SpecBody>(value: Value) -> Result<(T, Value), Problem> {
    match T::schema() {
        Ok(Some(schema)) => {
            let violations = schema.validate(&value);
            if !violations.is_empty() {
                return Err(Problem::Invalid(violations));
            }
        }
        // Each vendor's `spec_bodies_have_schemas` test rules this out; a
        // build that slipped past it still never accepts a body unchecked.
        Ok(None) => {
            return Err(Problem::Internal(format!(
                "the sandbox cannot check this body: the spec gives `{}` no JSON request body",
                T::operation().id
            )));
        }
        // The emulator cannot check this body: refused, never accepted
        // unchecked.
        Err(e) => return Err(Problem::Internal(e.to_string())),
    }
    match serde_path_to_error::deserialize::<_, T>(&integral(&value)) {
        Ok(body) => Ok((body, value)),
        Err(error) => Err(Problem::Invalid(vec![undecodable::<T>(&error, &value)])),
    }
}

/// `value` with every whole-numbered float (`1.0`) as an integer: JSON
/// Schema counts it as one, and the generated `i64` fields should take what
/// the schema accepts.
fn integral(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map_or_else(|| value.clone(), |f| Value::from(f as i64)),
        Value::Array(items) => Value::Array(items.iter().map(integral).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| (name.clone(), integral(field)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A body the schema let through that still does not decode, named by its
/// field. A `format` the schema states (`date`, `date-time`, `uuid`) is what
/// the generated type parses, so the rule says that format.
fn undecodable<T: SpecBody>(
    error: &serde_path_to_error::Error<serde_json::Error>,
    value: &Value,
) -> Violation {
    // Only for bodies `check` validated, so the schema compiled.
    let mut schema = T::schema().ok().flatten().map(Schema::json);
    let mut sent = Some(value);
    for segment in error.path().iter() {
        match segment {
            serde_path_to_error::Segment::Map { key } => {
                schema = schema.and_then(|s| s.get("properties")?.get(key));
                sent = sent.and_then(|v| v.get(key));
            }
            serde_path_to_error::Segment::Seq { index } => {
                schema = schema.and_then(|s| s.get("items"));
                sent = sent.and_then(|v| v.get(index));
            }
            _ => {}
        }
    }
    let got = sent.map_or_else(String::new, |v| format!(" (got {v})"));
    let rule = match schema.and_then(|s| s.get("format")).and_then(Value::as_str) {
        Some("date") => format!("must be a date as YYYY-MM-DD{got}"),
        Some("date-time") => format!("must be an RFC 3339 date-time{got}"),
        Some("uuid") => format!("must be a UUID{got}"),
        _ => format!("does not fit the request type: {}", error.inner()),
    };
    let field = match error.path().to_string().as_str() {
        "." => "(body)".to_string(),
        path => path.to_string(),
    };
    Violation { field, rule }
}

fn not_an_object() -> Problem {
    Problem::Invalid(vec![Violation {
        field: "(body)".into(),
        rule: "must be an object".into(),
    }])
}

/// The sent fields without those the spec does not document for `T`'s
/// operation (at every level of objects and arrays), for vendors that
/// ignore undocumented fields.
pub(crate) fn documented<T: SpecBody>(sent: &Map<String, Value>) -> Map<String, Value> {
    let sent = Value::Object(sent.clone());
    // Only for fields `check` validated, so the schema compiled.
    let pruned = match T::schema() {
        Ok(Some(schema)) => prune(schema.json(), &sent),
        Ok(None) | Err(_) => sent,
    };
    match pruned {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// `value` without the object fields `schema` does not declare.
fn prune(schema: &Value, value: &Value) -> Value {
    match (schema.get("properties").and_then(Value::as_object), value) {
        (Some(properties), Value::Object(fields)) => Value::Object(
            fields
                .iter()
                .filter_map(|(name, field)| {
                    properties
                        .get(name)
                        .map(|s| (name.clone(), prune(s, field)))
                })
                .collect(),
        ),
        (_, Value::Array(items)) => match schema.get("items") {
            Some(item_schema) => {
                Value::Array(items.iter().map(|item| prune(item_schema, item)).collect())
            }
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Body {
        count: i64,
        day: Option<chrono::NaiveDate>,
    }

    static OPERATION: chatbots_runtime::Operation = chatbots_runtime::Operation::new(
        "test",
        true,
        Some(
            r#"{"type": "object", "properties": {
                "count": {"type": "integer"},
                "day": {"type": "string", "format": "date"}
            }}"#,
        ),
    );

    impl SpecBody for Body {
        fn operation() -> &'static chatbots_runtime::Operation {
            &OPERATION
        }
        fn render(problem: Problem) -> Response {
            (problem.status(), problem.message()).into_response()
        }
    }

    fn violation(value: Value) -> Option<Violation> {
        match check::<Body>(value) {
            Ok(_) => None,
            Err(Problem::Invalid(mut violations)) => violations.pop(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    /// A request type tied to an operation whose spec has no JSON body.
    #[derive(serde::Deserialize, Debug)]
    struct Unchecked {}

    static NO_BODY: chatbots_runtime::Operation =
        chatbots_runtime::Operation::new("no_body", true, None);

    impl SpecBody for Unchecked {
        fn operation() -> &'static chatbots_runtime::Operation {
            &NO_BODY
        }
        fn render(problem: Problem) -> Response {
            (problem.status(), problem.message()).into_response()
        }
    }

    #[test]
    fn a_body_without_a_schema_is_refused_never_accepted_unchecked() {
        // A `debug_assert!` stood here: a release build decoded the body
        // without checking it.
        match check::<Unchecked>(json!({})) {
            Err(problem @ Problem::Internal(_)) => {
                assert_eq!(problem.status(), 500);
                assert!(problem.message().contains("`no_body`"), "{problem:?}");
            }
            other => panic!("accepted or refused otherwise: {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_refusal_is_a_500_in_the_vendor_shape() {
        let request = Request::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from("{}"))
            .expect("request");
        let Err(response) = SpecJson::<Unchecked>::from_request(request, &()).await else {
            panic!("a body without a schema was accepted");
        };
        assert_eq!(response.status(), 500);
    }

    #[test]
    fn whole_floats_decode_as_integers() {
        // What the schema then accepts (JSON Schema's integers) decodes.
        let whole = integral(&json!({"count": 3.0, "list": [2.0, 2.5]}));
        assert_eq!(whole, json!({"count": 3, "list": [2, 2.5]}));
        let body: Body = serde_json::from_value(whole).expect("decodes");
        assert_eq!((body.count, body.day), (3, None));
        assert!(violation(json!({"count": 3})).is_none());
    }

    #[test]
    fn a_body_the_type_cannot_hold_is_refused_naming_the_field() {
        let v = violation(json!({"count": 1, "day": "2025-13-01"})).expect("refused");
        assert_eq!(v.field, "day");
        assert!(
            v.rule.contains("must be a date as YYYY-MM-DD"),
            "{}",
            v.rule
        );
        let v = violation(json!({"count": u64::MAX})).expect("refused");
        assert_eq!(v.field, "count");
    }

    #[test]
    fn documented_drops_what_the_schema_does_not_declare() {
        let sent = json!({"count": 1, "extra": true});
        let Value::Object(sent) = sent else {
            unreachable!()
        };
        let kept = documented::<Body>(&sent);
        assert_eq!(Value::Object(kept), json!({"count": 1}));
    }
}
