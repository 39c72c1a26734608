//! An operation's request body schema as a JSON Schema (draft 2020-12): the
//! spec's OpenAPI 3.0 schema with every `$ref` inlined and the few keywords
//! that differ translated.
//!
//! Only keyword positions are transformed: the names inside `properties`
//! are data, so a property called `description` or `example` is kept and
//! validated like any other.

use serde_json::{Map, Value};

/// Keywords of an OpenAPI 3.0 Schema Object that JSON Schema does not have
/// (`nullable` is translated before it is dropped).
const OPENAPI_ONLY: [&str; 5] = [
    "nullable",
    "example",
    "discriminator",
    "xml",
    "externalDocs",
];

/// The JSON Schema of `schema`, a schema taken from `whole` (the spec as
/// JSON, where `$ref`s point). `Err` says why it cannot be converted.
///
/// A recursive schema cannot be inlined: where a `$ref` would repeat one
/// being inlined, it becomes a `$ref` into the result's `$defs`, which holds
/// that schema (converted the same way).
pub fn convert(whole: &Value, schema: &Value) -> Result<Value, String> {
    let mut converter = Converter {
        whole,
        refs: Vec::new(),
        defs: Vec::new(),
    };
    let mut converted = converter.schema(schema)?;
    let mut defs = Map::new();
    while let Some((name, reference)) = converter
        .defs
        .iter()
        .find(|(name, _)| !defs.contains_key(name.as_str()))
        .cloned()
    {
        let def = converter.reference(&Value::String(reference))?;
        defs.insert(name, def);
    }
    if !defs.is_empty() {
        let Value::Object(root) = &mut converted else {
            return Err("a recursive schema must be an object".into());
        };
        root.insert("$defs".into(), Value::Object(defs));
    }
    Ok(converted)
}

/// The name under `$defs` of the schema `reference` points to: its last
/// segment (`#/components/schemas/LlmState` → `LlmState`).
fn def_name(reference: &str) -> String {
    reference.rsplit('/').next().unwrap_or(reference).to_owned()
}

struct Converter<'a> {
    whole: &'a Value,
    /// The `$ref`s being inlined, outermost first: a `$ref` already in it is
    /// a recursive schema, which goes to `$defs`.
    refs: Vec<String>,
    /// The schemas `$defs` must hold: (name, `$ref`).
    defs: Vec<(String, String)>,
}

impl Converter<'_> {
    /// Converts a value at a schema position.
    fn schema(&mut self, schema: &Value) -> Result<Value, String> {
        let Value::Object(map) = schema else {
            return Err(format!("a schema must be an object, not `{schema}`"));
        };
        if let Some(reference) = map.get("$ref") {
            return self.reference(reference);
        }
        let mut out = Map::new();
        for (keyword, value) in map {
            let converted = match keyword.as_str() {
                k if OPENAPI_ONLY.contains(&k) || k.starts_with("x-") => continue,
                "properties" => Value::Object(self.schema_map(keyword, value)?),
                "items" | "not" => self.schema(value)?,
                // `true`/`false` are JSON Schema too; an object is a schema.
                "additionalProperties" if value.is_object() => self.schema(value)?,
                "allOf" | "anyOf" | "oneOf" => Value::Array(self.schema_list(keyword, value)?),
                // OpenAPI 3.0's boolean forms: `maximum: 5` with
                // `exclusiveMaximum: true` is JSON Schema's `exclusiveMaximum: 5`.
                "exclusiveMaximum" | "exclusiveMinimum" => {
                    let bound = if keyword == "exclusiveMaximum" {
                        "maximum"
                    } else {
                        "minimum"
                    };
                    match (value, map.get(bound)) {
                        (Value::Bool(true), Some(limit)) => limit.clone(),
                        (Value::Bool(true), None) => {
                            return Err(format!("`{keyword}: true` without `{bound}`"));
                        }
                        (Value::Bool(false), _) => continue,
                        (other, _) => other.clone(),
                    }
                }
                "maximum" | "minimum" => {
                    let exclusive = if keyword == "maximum" {
                        "exclusiveMaximum"
                    } else {
                        "exclusiveMinimum"
                    };
                    if map.get(exclusive) == Some(&Value::Bool(true)) {
                        continue;
                    }
                    value.clone()
                }
                _ => value.clone(),
            };
            out.insert(keyword.clone(), converted);
        }
        bound_integer_format(&mut out);
        if map.get("nullable") == Some(&Value::Bool(true)) {
            allow_null(&mut out);
        }
        Ok(Value::Object(out))
    }

    fn schema_map(&mut self, keyword: &str, value: &Value) -> Result<Map<String, Value>, String> {
        let Value::Object(entries) = value else {
            return Err(format!("`{keyword}` must be an object"));
        };
        entries
            .iter()
            .map(|(name, schema)| {
                self.schema(schema)
                    .map(|s| (name.clone(), s))
                    .map_err(|e| format!("{keyword}.{name}: {e}"))
            })
            .collect()
    }

    fn schema_list(&mut self, keyword: &str, value: &Value) -> Result<Vec<Value>, String> {
        let Value::Array(items) = value else {
            return Err(format!("`{keyword}` must be a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, schema)| {
                self.schema(schema)
                    .map_err(|e| format!("{keyword}[{i}]: {e}"))
            })
            .collect()
    }

    /// The schema a `$ref` points to, itself converted.
    fn reference(&mut self, reference: &Value) -> Result<Value, String> {
        let Value::String(reference) = reference else {
            return Err(format!("`$ref` must be a string, not `{reference}`"));
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(format!(
                "`$ref: {reference}` points outside the spec; only local references are supported"
            ));
        };
        if self.refs.contains(reference) {
            let name = def_name(reference);
            match self.defs.iter().find(|(n, _)| *n == name) {
                Some((_, other)) if other != reference => {
                    return Err(format!(
                        "recursive `$ref`s {other} and {reference} share the name `{name}`"
                    ));
                }
                Some(_) => {}
                None => self.defs.push((name.clone(), reference.clone())),
            }
            return Ok(serde_json::json!({ "$ref": format!("#/$defs/{name}") }));
        }
        let target = self
            .whole
            .pointer(pointer)
            .ok_or_else(|| format!("`$ref: {reference}` points to nothing"))?;
        self.refs.push(reference.clone());
        let converted = self.schema(target).map_err(|e| format!("{reference}: {e}"));
        self.refs.pop();
        converted
    }
}

/// An integer's `format: int32` or `int64` (OpenAPI's, unknown to JSON
/// Schema validators) as the range it implies: `minimum`/`maximum` where
/// the schema declares none as tight, so that a number the generated type
/// cannot hold is a schema violation, said like any other range.
fn bound_integer_format(schema: &mut Map<String, Value>) {
    let integer = match schema.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    };
    let (min, max) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return,
    };
    if !integer {
        return;
    }
    // A declared bound at least as tight stays (compared as integers where
    // it is one: at 64 bits an `f64` would round).
    let keep_min = match schema.get("minimum") {
        Some(v) if v.as_u64().is_some() => true,
        Some(v) => v
            .as_i64()
            .map_or_else(|| v.as_f64().is_some_and(|f| f >= min as f64), |i| i >= min),
        None => false,
    };
    let keep_max = match schema.get("maximum") {
        Some(v) => v.as_i64().map_or_else(
            || v.as_u64().is_none() && v.as_f64().is_some_and(|f| f < max as f64),
            |i| i <= max,
        ),
        None => false,
    };
    if !keep_min {
        schema.insert("minimum".into(), min.into());
    }
    if !keep_max {
        schema.insert("maximum".into(), max.into());
    }
}

/// `nullable: true`: `null` joins the allowed types, and the allowed values
/// when there is an `enum`. OpenAPI 3.0.3 gives `nullable` effect only next
/// to an explicit `type`.
fn allow_null(schema: &mut Map<String, Value>) {
    let null = Value::String("null".into());
    match schema.get_mut("type") {
        Some(Value::String(single)) => {
            let single = Value::String(std::mem::take(single));
            schema.insert("type".into(), Value::Array(vec![single, null]));
        }
        Some(Value::Array(types)) if !types.contains(&null) => types.push(null),
        _ => return,
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::convert;

    #[test]
    fn a_property_named_like_a_keyword_is_kept() {
        let schema = json!({
            "type": "object",
            "description": "a bot",
            "example": {"description": "x"},
            "properties": {
                "description": {"type": "string", "example": "a helpful bot"},
                "example": {"type": "integer"},
                "x-internal": {"type": "boolean"},
            },
        });
        let converted = convert(&json!({}), &schema).unwrap();
        assert_eq!(
            converted,
            json!({
                "type": "object",
                "description": "a bot",
                "properties": {
                    "description": {"type": "string"},
                    "example": {"type": "integer"},
                    "x-internal": {"type": "boolean"},
                },
            })
        );
    }

    #[test]
    fn integer_formats_become_their_range() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "integer", "format": "int64"},
            "b": {"type": "integer", "format": "int64", "minimum": 1},
            "c": {"type": "integer", "format": "int32", "maximum": 1e12},
            "d": {"type": "integer", "format": "int64", "maximum": 18446744073709551615u64},
            "e": {"type": "number", "format": "int64"},
            "f": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 60},
        }});
        let converted = convert(&schema, &schema).unwrap();
        let p = &converted["properties"];
        assert_eq!(
            p["a"],
            json!({"type": "integer", "format": "int64",
            "minimum": i64::MIN, "maximum": i64::MAX})
        );
        assert_eq!(
            p["b"],
            json!({"type": "integer", "format": "int64",
            "minimum": 1, "maximum": i64::MAX})
        );
        assert_eq!(
            p["c"],
            json!({"type": "integer", "format": "int32",
            "minimum": i32::MIN, "maximum": i32::MAX})
        );
        assert_eq!(p["d"]["maximum"], json!(i64::MAX));
        assert_eq!(p["e"], json!({"type": "number", "format": "int64"}));
        assert_eq!(
            p["f"],
            json!({"type": "integer", "format": "int32",
            "minimum": 0, "maximum": 60})
        );
    }

    #[test]
    fn nullable_adds_null_to_the_type_and_the_enum() {
        let schema = json!({"type": "string", "enum": ["a", "b"], "nullable": true});
        assert_eq!(
            convert(&json!({}), &schema).unwrap(),
            json!({"type": ["string", "null"], "enum": ["a", "b", null]})
        );
        // Without a `type`, `nullable` has no effect (OpenAPI 3.0.3).
        let schema = json!({"allOf": [{"type": "integer"}], "nullable": true});
        assert_eq!(
            convert(&json!({}), &schema).unwrap(),
            json!({"allOf": [{"type": "integer"}]})
        );
    }

    #[test]
    fn refs_are_inlined_and_exclusive_bounds_translated() {
        let whole = json!({"components": {"schemas": {
            "Temp": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 2},
        }}});
        let schema = json!({"type": "object", "properties": {
            "temperature": {"$ref": "#/components/schemas/Temp"},
        }});
        assert_eq!(
            convert(&whole, &schema).unwrap(),
            json!({"type": "object", "properties": {
                "temperature": {"type": "number", "exclusiveMinimum": 0, "maximum": 2},
            }})
        );
    }

    #[test]
    fn unresolvable_refs_are_errors_and_recursive_ones_go_to_defs() {
        let whole = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}},
        }}});
        let missing = json!({"$ref": "#/components/schemas/Missing"});
        assert!(
            convert(&whole, &missing)
                .unwrap_err()
                .contains("points to nothing")
        );
        let recursive = json!({"$ref": "#/components/schemas/Node"});
        assert_eq!(
            convert(&whole, &recursive).unwrap(),
            json!({
                "type": "object",
                "properties": {"next": {"$ref": "#/$defs/Node"}},
                "$defs": {"Node": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/$defs/Node"}},
                }},
            })
        );
    }
}
