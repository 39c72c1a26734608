//! A request body checked against its operation's JSON Schema — types,
//! required fields, ranges, enums, lengths, formats — with the `jsonschema`
//! crate (draft 2020-12, formats checked), and each failure said in words
//! that name the field, the limit and the value.
//!
//! progenitor's types do not enforce what a spec documents beyond types (a
//! documented 0–2 range still accepts 7), so the facade checks the body it
//! is about to send and the sandbox checks the body it received, both
//! against the same schema.

use std::fmt;

use serde_json::Value;

/// One documented constraint a value breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as the vendor spells it: `temperature`, `settings.prompt`,
    /// `questions[0].answer`; `(body)` for the body itself.
    pub field: String,
    /// The rule, in words: `must be between 0 and 2 (got 3)`.
    pub rule: String,
}

/// Every violation of `schema` (JSON Schema 2020-12) by `value`. Compiles
/// the schema on every call: keep a [`Schema`] to check many values.
///
/// ```
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"temperature": {"type": "number", "minimum": 0, "maximum": 2}}
/// });
/// let bad = serde_json::json!({"temperature": 3});
/// let violations = chatbots_runtime::validate(&schema, &bad);
/// assert_eq!(violations[0].field, "temperature");
/// assert_eq!(violations[0].rule, "must be between 0 and 2 (got 3)");
/// ```
///
/// # Panics
///
/// When `schema` is not a valid JSON Schema (see [`Schema::new`]).
pub fn validate(schema: &Value, value: &Value) -> Vec<Violation> {
    Schema::new(schema.clone()).validate(value)
}

/// A request-body schema (JSON Schema 2020-12, `$ref`s inlined), compiled
/// once for checking many values.
///
/// ```
/// use chatbots_runtime::Schema;
///
/// let schema = Schema::new(serde_json::json!({
///     "type": "object",
///     "properties": {"settings": {"type": "object", "properties": {
///         "prompt": {"type": "string", "maxLength": 3}
///     }}}
/// }));
/// let violations = schema.validate(&serde_json::json!({"settings": {"prompt": "long"}}));
/// assert_eq!(violations[0].field, "settings.prompt");
/// assert_eq!(violations[0].rule, "must be at most 3 characters long (got 4)");
/// ```
pub struct Schema {
    json: Value,
    validator: jsonschema::Validator,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema").field("json", &self.json).finish()
    }
}

/// A schema that is not valid JSON Schema 2020-12, and the operation whose
/// request schema it is, when known.
#[derive(Clone, Debug, thiserror::Error)]
pub struct SchemaError {
    operation: Option<&'static str>,
    reason: String,
}

impl SchemaError {
    pub(crate) fn new(reason: String) -> Self {
        Self {
            operation: None,
            reason,
        }
    }

    /// The same error, said to be `operation`'s request schema.
    pub(crate) fn for_operation(&self, operation: &'static str) -> Self {
        Self {
            operation: Some(operation),
            reason: self.reason.clone(),
        }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(operation) = self.operation {
            write!(f, "the request schema of `{operation}` is ")?;
        }
        write!(f, "not a valid JSON Schema 2020-12: {}", self.reason)
    }
}

impl Schema {
    /// Compiles `json`, a JSON Schema 2020-12 document with `$ref`s inlined.
    ///
    /// # Panics
    ///
    /// When `json` is not a valid schema: for schemas written in code. The
    /// specs' schemas are compiled with [`Schema::try_new`] (see
    /// `Operation::request_schema`), whose error is returned, never a panic.
    pub fn new(json: Value) -> Self {
        match Self::try_new(json) {
            Ok(schema) => schema,
            Err(e) => panic!("{e}"),
        }
    }

    /// Compiles `json`, or says why it is not a valid schema.
    pub fn try_new(json: Value) -> Result<Self, SchemaError> {
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&json)
            .map_err(|e| SchemaError::new(e.to_string()))?;
        Ok(Self { json, validator })
    }

    /// The schema as JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Every violation by `value`, in the order the validator finds them.
    pub fn validate(&self, value: &Value) -> Vec<Violation> {
        // The common case, valid, without building any error.
        if self.validator.is_valid(value) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for error in self.validator.iter_errors(value) {
            self.describe(value, &error, &mut out);
        }
        out
    }

    fn describe(
        &self,
        root: &Value,
        error: &jsonschema::ValidationError<'_>,
        out: &mut Vec<Violation>,
    ) {
        use jsonschema::error::ValidationErrorKind as K;
        let at = error.instance_path().as_str();
        let field = || dotted(root, at, None);
        let got = error.instance();
        let got: &Value = got;
        // The keyword's schema object, for the other bound of a range.
        let keyword = error.schema_path().as_str();
        let node = keyword
            .rfind('/')
            .and_then(|slash| self.json.pointer(&keyword[..slash]));
        let bound = |name: &str| node.and_then(|n| n.get(name)).filter(|b| b.is_number());
        let rule = match error.kind() {
            K::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.push(Violation {
                    field: dotted(root, at, Some(name)),
                    rule: "is required".into(),
                });
                return;
            }
            K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
                for name in unexpected {
                    out.push(Violation {
                        field: dotted(root, at, Some(name)),
                        rule: "is not a documented field".into(),
                    });
                }
                return;
            }
            K::Type { .. } if got.is_null() => "must not be null".into(),
            K::Type { .. } => {
                let wanted = match self.json.pointer(keyword) {
                    Some(Value::String(one)) => article(one).to_string(),
                    Some(Value::Array(many)) => many
                        .iter()
                        .filter_map(Value::as_str)
                        .map(article)
                        .collect::<Vec<_>>()
                        .join(" or "),
                    _ => "of another type".into(),
                };
                format!("must be {wanted} (got {})", shape(got))
            }
            K::Enum { options } => {
                let list: Vec<String> = match &**options {
                    Value::Array(items) => items.iter().map(Value::to_string).collect(),
                    other => vec![other.to_string()],
                };
                format!("must be one of {} (got {got})", list.join(", "))
            }
            K::Constant { expected_value } => format!("must be {expected_value} (got {got})"),
            K::Minimum { limit: l } | K::Maximum { limit: l } => {
                let limit = l;
                match (bound("minimum"), bound("maximum")) {
                    (Some(min), Some(max)) => {
                        format!("must be between {min} and {max} (got {got})")
                    }
                    _ if matches!(error.kind(), K::Minimum { .. }) => {
                        format!("must be at least {limit} (got {got})")
                    }
                    _ => format!("must be at most {limit} (got {got})"),
                }
            }
            K::ExclusiveMinimum { limit: l } => {
                format!("must be greater than {} (got {got})", l)
            }
            K::ExclusiveMaximum { limit: l } => {
                format!("must be less than {} (got {got})", l)
            }
            K::MultipleOf { multiple_of, .. } => {
                format!("must be a multiple of {multiple_of} (got {got})")
            }
            K::MinLength { limit } => {
                format!(
                    "must be at least {limit} characters long (got {})",
                    chars(got)
                )
            }
            K::MaxLength { limit } => {
                format!(
                    "must be at most {limit} characters long (got {})",
                    chars(got)
                )
            }
            K::MinItems { limit } => {
                format!("must have at least {limit} items (got {})", items(got))
            }
            K::MaxItems { limit } => {
                format!("must have at most {limit} items (got {})", items(got))
            }
            K::UniqueItems => "must not repeat an item".into(),
            K::MinProperties { limit } => format!("must have at least {limit} fields"),
            K::MaxProperties { limit } => format!("must have at most {limit} fields"),
            K::Pattern { pattern } => format!("must match the pattern `{pattern}` (got {got})"),
            K::Format { format } => format!("must be {} (got {got})", format_name(format)),
            K::AnyOf { .. } | K::OneOfNotValid { .. } => {
                "must match one of the documented shapes".into()
            }
            K::OneOfMultipleValid { .. } => {
                "must match exactly one of the documented shapes".into()
            }
            K::Not { .. } | K::FalseSchema => "is not allowed".into(),
            // Keywords the specs do not use: the validator's own words.
            _ => error.to_string(),
        };
        out.push(Violation {
            field: field(),
            rule,
        });
    }
}

/// `settings.prompt`, `questions[0].answer` for the JSON pointer `at` into
/// `root` (an index only where the value there is an array), plus `child`.
fn dotted(root: &Value, at: &str, child: Option<&str>) -> String {
    let mut out = String::new();
    let mut here = Some(root);
    let tokens = at
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"));
    for token in tokens
        .map(Some)
        .chain([child.map(str::to_string)])
        .flatten()
    {
        match here {
            Some(Value::Array(items)) => {
                out.push_str(&format!("[{token}]"));
                here = token.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&token);
                here = other.and_then(|v| v.get(&token));
            }
        }
    }
    if out.is_empty() { "(body)".into() } else { out }
}

fn article(kind: &str) -> &'static str {
    match kind {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean",
        "array" => "an array",
        "object" => "an object",
        "null" => "null",
        _ => "a value of another type",
    }
}

/// What a value is, for "must be a string (got …)".
fn shape(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn format_name(format: &str) -> String {
    match format {
        "uuid" => "a UUID".into(),
        "date-time" => "a date-time as RFC 3339".into(),
        "date" => "a date as YYYY-MM-DD".into(),
        "email" => "an email address".into(),
        "uri" => "an absolute URI".into(),
        other => format!("in the `{other}` format"),
    }
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn items(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Schema, validate};

    fn found(schema: &serde_json::Value, value: &serde_json::Value) -> Vec<(String, String)> {
        validate(schema, value)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect()
    }

    #[test]
    fn reports_nested_fields_and_rules() {
        let schema = json!({
            "type": "object",
            "required": ["serialNumber"],
            "properties": {
                "count": {"type": "integer", "minimum": 1},
                "interval": {"type": "integer", "minimum": 1, "maximum": 60},
                "role": {"type": "string", "enum": ["support", "dynamic", "sales"]},
                "settings": {"type": "object", "properties": {"prompt": {"type": "string", "maxLength": 3}}},
                "ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            }
        });
        let value = json!({
            "count": 0, "interval": 61, "role": "boss",
            "settings": {"prompt": "long"}, "ids": ["nope"], "unknown": 1
        });
        let mut found = found(&schema, &value);
        found.sort();
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "count",
                "ids[0]",
                "interval",
                "role",
                "serialNumber",
                "settings.prompt"
            ],
            "{found:?}"
        );
        assert_eq!(found[0].1, "must be at least 1 (got 0)");
        assert_eq!(found[1].1, "must be a UUID (got \"nope\")");
        assert_eq!(found[2].1, "must be between 1 and 60 (got 61)");
        assert_eq!(
            found[3].1,
            "must be one of \"support\", \"dynamic\", \"sales\" (got \"boss\")"
        );
        assert_eq!(found[4].1, "is required");
        assert_eq!(found[5].1, "must be at most 3 characters long (got 4)");
    }

    #[test]
    fn integer_type_refuses_fractions_and_accepts_valid_values() {
        let schema = json!({"type": "object", "properties": {"t": {"type": "integer"}}});
        assert_eq!(
            found(&schema, &json!({"t": 0.5})),
            [(
                "t".to_string(),
                "must be an integer (got the number 0.5)".to_string()
            )]
        );
        assert!(validate(&schema, &json!({"t": 2})).is_empty());
    }

    /// JSON Schema counts a number by its value: `1.0` is an integer, and
    /// so is one past 64 bits; a range decides whether it is acceptable.
    #[test]
    fn integers_are_counted_by_value_not_by_spelling() {
        let schema = json!({"type": "object", "properties": {
            "t": {"type": "integer"},
            "small": {"type": "integer", "maximum": 60},
        }});
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(found(&schema, &parse(r#"{"t": 1.0}"#)), []);
        assert_eq!(found(&schema, &parse(r#"{"t": 1e2}"#)), []);
        assert_eq!(
            found(&schema, &parse(r#"{"t": 123456789012345678901234567890}"#)),
            []
        );
        let too_big = found(
            &schema,
            &parse(r#"{"small": 123456789012345678901234567890}"#),
        );
        assert_eq!(too_big.len(), 1, "{too_big:?}");
        assert_eq!(too_big[0].0, "small");
        assert!(
            too_big[0].1.starts_with("must be at most 60"),
            "{too_big:?}"
        );
    }

    /// Every property is checked whatever its name, including names that
    /// are also schema keywords.
    #[test]
    fn properties_named_like_keywords_are_checked() {
        let schema = json!({"type": "object", "properties": {
            "description": {"type": "string"},
            "example": {"type": "integer"},
            "type": {"type": "string", "enum": ["a"]},
        }});
        let mut found = found(
            &schema,
            &json!({"description": {}, "example": "x", "type": "b"}),
        );
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "description".to_string(),
                    "must be a string (got an object)".to_string()
                ),
                (
                    "example".to_string(),
                    "must be an integer (got a string)".to_string()
                ),
                (
                    "type".to_string(),
                    "must be one of \"a\" (got \"b\")".to_string()
                ),
            ]
        );
    }

    #[test]
    fn all_of_parts_are_checked_with_nested_paths() {
        let schema = json!({"type": "object", "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"model": {"allOf": [{"type": "string", "enum": ["a", "b"]}], "default": "a"}}
        }}}});
        let found = found(
            &schema,
            &json!({"items": [{"model": "a"}, {"model": "gpt-4"}]}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "items[1].model");
        assert!(found[0].1.starts_with("must be one of"), "{found:?}");
    }

    #[test]
    fn null_and_type_mismatches_are_named() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": ["string", "null"]},
            "c": {"type": "array", "items": {"type": "integer"}, "maxItems": 1},
        }});
        let mut found = found(&schema, &json!({"a": null, "b": null, "c": [1, "x"]}));
        found.sort();
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|(f, r)| (f.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("a", "must not be null"),
                ("c", "must have at most 1 items (got 2)"),
                ("c[1]", "must be an integer (got a string)"),
            ]
        );
        assert_eq!(
            validate(&schema, &json!([]))[0].rule,
            "must be an object (got an array)"
        );
        assert_eq!(validate(&schema, &json!([]))[0].field, "(body)");
        let b = validate(
            &json!({"properties": {"b": {"type": ["string", "integer"]}}}),
            &json!({"b": true}),
        );
        assert_eq!(b[0].rule, "must be a string or an integer (got a boolean)");
    }

    #[test]
    fn ranges_say_both_bounds_where_the_schema_has_both() {
        let schema = Schema::new(json!({"type": "object", "properties": {
            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
            "low": {"type": "number", "minimum": 0},
            "high": {"type": "number", "maximum": 2},
            "open": {"type": "number", "exclusiveMinimum": 0},
        }}));
        let rule = |body| schema.validate(&body)[0].rule.clone();
        assert_eq!(
            rule(json!({"temperature": -0.1})),
            "must be between 0 and 2 (got -0.1)"
        );
        assert_eq!(
            rule(json!({"temperature": 3.0})),
            "must be between 0 and 2 (got 3.0)"
        );
        assert_eq!(rule(json!({"low": -1})), "must be at least 0 (got -1)");
        assert_eq!(rule(json!({"high": 3})), "must be at most 2 (got 3)");
        assert_eq!(rule(json!({"open": 0})), "must be greater than 0 (got 0)");
        assert_eq!(schema.validate(&json!({"temperature": 1.5})), vec![]);
    }

    #[test]
    fn formats_are_checked() {
        let schema = Schema::new(json!({"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"},
            "at": {"type": "string", "format": "date-time"},
        }}));
        assert_eq!(
            schema.validate(
                &json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "at": "2024-01-02T03:04:05Z"})
            ),
            vec![]
        );
        let mut found: Vec<String> = schema
            .validate(&json!({"id": "nope", "at": "yesterday"}))
            .into_iter()
            .map(|v| format!("{}: {}", v.field, v.rule))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "at: must be a date-time as RFC 3339 (got \"yesterday\")",
                "id: must be a UUID (got \"nope\")"
            ]
        );
    }

    #[test]
    fn an_invalid_schema_is_refused_by_try_new() {
        let error = Schema::try_new(json!({"type": "nonsense"})).unwrap_err();
        assert!(error.to_string().contains("JSON Schema"), "{error}");
    }
}
