//! Checks a request body against the constraints its spec documents —
//! types, ranges, enums, lengths, required fields — that progenitor's types
//! do not enforce (a documented 0–2 range still accepts 7). The schema comes
//! from the generated `request_body_schema(operation_id)`.

use serde_json::Value;

/// One documented constraint a value breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as the vendor spells it: `temperature`, `settings.prompt`,
    /// `questions[0].answer`.
    pub field: String,
    /// The rule, in words: `must be between 0 and 2 (got 3)`.
    pub rule: String,
}

/// Every violation of `schema` (OpenAPI 3.0 schema as JSON, `$ref`s
/// inlined) by `value`. Keywords the schema does not use are not checked.
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
pub fn validate(schema: &Value, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    check(schema, value, &At::Root, &mut out);
    out
}

/// Where a value sits in the body; spelt out only for a violation, so a
/// valid body costs no string building.
enum At<'a> {
    Root,
    Field(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Field(parent, name) => join(&parent.render(), name),
            At::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// The keywords of one schema node, found in one pass over its entries
/// (cheaper than a map lookup per keyword, on every node of every body).
#[derive(Default)]
struct Keywords<'a> {
    kind: Option<&'a str>,
    has_type: bool,
    nullable: bool,
    allowed: Option<&'a Vec<Value>>,
    minimum: Option<&'a Value>,
    maximum: Option<&'a Value>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    uuid: bool,
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: Option<&'a Value>,
    required: Option<&'a Vec<Value>>,
    properties: Option<&'a serde_json::Map<String, Value>>,
    all_of: Option<&'a Vec<Value>>,
}

impl<'a> Keywords<'a> {
    fn of(schema: &'a serde_json::Map<String, Value>) -> Self {
        let mut k = Keywords::default();
        for (key, value) in schema {
            match key.as_str() {
                "type" => {
                    k.has_type = true;
                    k.kind = value.as_str();
                }
                "nullable" => k.nullable = value == &Value::Bool(true),
                "enum" => k.allowed = value.as_array(),
                "minimum" => k.minimum = Some(value),
                "maximum" => k.maximum = Some(value),
                "exclusiveMinimum" => k.exclusive_minimum = value == &Value::Bool(true),
                "exclusiveMaximum" => k.exclusive_maximum = value == &Value::Bool(true),
                "minLength" => k.min_length = value.as_u64(),
                "maxLength" => k.max_length = value.as_u64(),
                "format" => k.uuid = value.as_str() == Some("uuid"),
                "minItems" => k.min_items = value.as_u64(),
                "maxItems" => k.max_items = value.as_u64(),
                "items" => k.items = Some(value),
                "required" => k.required = value.as_array(),
                "properties" => k.properties = value.as_object(),
                "allOf" => k.all_of = value.as_array(),
                _ => {}
            }
        }
        k
    }
}

fn check(schema: &Value, value: &Value, at: &At<'_>, out: &mut Vec<Violation>) {
    let Value::Object(schema) = schema else {
        return;
    };
    let keys = Keywords::of(schema);
    let mut fail = |rule: String| {
        let field = at.render();
        out.push(Violation {
            field: if field.is_empty() {
                "(body)".into()
            } else {
                field
            },
            rule,
        })
    };
    if value.is_null() {
        if !keys.nullable && keys.has_type {
            fail("must not be null".into());
        }
        return;
    }
    if let Some(expected) = keys.kind {
        let ok = match expected {
            "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !ok {
            fail(format!(
                "must be {} (got {})",
                article(expected),
                describe(value)
            ));
            return;
        }
    }
    if let Some(allowed) = keys.allowed
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
        fail(format!("must be one of {} (got {value})", list.join(", ")));
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = keys.minimum.and_then(Value::as_f64)
            && (number < min || (keys.exclusive_minimum && number == min))
        {
            fail(range_rule(&keys, value));
        }
        if let Some(max) = keys.maximum.and_then(Value::as_f64)
            && (number > max || (keys.exclusive_maximum && number == max))
        {
            fail(range_rule(&keys, value));
        }
    }
    if let Some(text) = value.as_str() {
        let length = || text.chars().count() as u64;
        if let Some(min) = keys.min_length
            && length() < min
        {
            fail(format!(
                "must be at least {min} characters long (got {})",
                length()
            ));
        }
        if let Some(max) = keys.max_length
            && length() > max
        {
            fail(format!(
                "must be at most {max} characters long (got {})",
                length()
            ));
        }
        if keys.uuid && !is_uuid(text) {
            fail(format!("must be a UUID (got {value})"));
        }
    }
    if let Value::Array(items) = value {
        let count = items.len() as u64;
        if let Some(min) = keys.min_items
            && count < min
        {
            fail(format!("must have at least {min} items (got {count})"));
        }
        if let Some(max) = keys.max_items
            && count > max
        {
            fail(format!("must have at most {max} items (got {count})"));
        }
        if let Some(item_schema) = keys.items {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &At::Index(at, i), out);
            }
        }
    }
    if let Value::Object(fields) = value {
        if let Some(required) = keys.required {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    out.push(Violation {
                        field: join(&at.render(), name),
                        rule: "is required".into(),
                    });
                }
            }
        }
        if let Some(properties) = keys.properties {
            for (name, field) in fields {
                if let Some(field_schema) = properties.get(name) {
                    check(field_schema, field, &At::Field(at, name), out);
                }
            }
        }
    }
    // The specs wrap a `$ref`'d enum in `allOf` to give it a default.
    if let Some(all) = keys.all_of {
        for part in all {
            check(part, value, at, out);
        }
    }
}

fn range_rule(keys: &Keywords<'_>, value: &Value) -> String {
    match (keys.minimum, keys.maximum) {
        (Some(min), Some(max)) => format!("must be between {min} and {max} (got {value})"),
        (Some(min), None) => format!("must be at least {min} (got {value})"),
        (None, Some(max)) => format!("must be at most {max} (got {value})"),
        (None, None) => format!("is out of range (got {value})"),
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn is_uuid(text: &str) -> bool {
    // 8-4-4-4-12 hex digits, checked without allocating.
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::validate;

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
        let found: Vec<(String, String)> = validate(&schema, &value)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect();
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "serialNumber",
                "count",
                "ids[0]",
                "interval",
                "role",
                "settings.prompt"
            ],
            "{found:?}"
        );
        assert!(found[3].1.contains("between 1 and 60"));
        assert!(found[4].1.contains("\"support\""));
    }

    #[test]
    fn integer_type_refuses_fractions_and_accepts_valid_values() {
        let schema = json!({"type": "object", "properties": {"t": {"type": "integer"}}});
        assert_eq!(
            validate(&schema, &json!({"t": 0.5}))[0].rule,
            "must be an integer (got the number 0.5)"
        );
        assert!(validate(&schema, &json!({"t": 2})).is_empty());
    }

    #[test]
    fn all_of_parts_are_checked_with_nested_paths() {
        let schema = json!({"type": "object", "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"model": {"allOf": [{"type": "string", "enum": ["a", "b"]}], "default": "a"}}
        }}}});
        let found = validate(
            &schema,
            &json!({"items": [{"model": "a"}, {"model": "gpt-4"}]}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "items[1].model");
        assert!(found[0].rule.starts_with("must be one of"), "{found:?}");
    }
}
