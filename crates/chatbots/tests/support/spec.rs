//! A vendor's OpenAPI document as the facade's tests and the bench read it:
//! operations by id, `$ref`s followed, examples found. One file for both:
//! the bench includes it (`#[path]` in `crates/bench/src/lib.rs`), so each
//! uses part of it.

use std::path::PathBuf;

use chatbots::Vendor;
use serde_json::Value;

/// A vendor's spec, as JSON.
pub struct Spec {
    doc: Value,
}

/// One operation of a spec.
pub struct Operation<'a> {
    spec: &'a Spec,
    /// `PATCH`, upper-case.
    pub method: String,
    /// As the spec writes it, with `{parameters}`.
    pub path: String,
    item: &'a Value,
    op: &'a Value,
}

/// Where a spec may be: `specs/` for the workspace's vendors, else the
/// vendor crate's own copy (the symlink every generated crate has), so
/// that a vendor whose spec lives elsewhere is found too.
fn candidates(vendor: Vendor) -> [PathBuf; 2] {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let name = vendor.name();
    [
        root.join("specs").join(format!("{name}.yaml")),
        root.join("crates").join(name).join(format!("{name}.yaml")),
    ]
}

/// YAML as JSON; map keys that YAML reads as numbers (`200:`) become text.
fn to_json(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

/// `updateChatbot` → `update_chatbot`, as the runtime names operations.
pub fn snake_case(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Spec {
    /// The spec of `vendor`, or where it was looked for.
    pub fn load(vendor: Vendor) -> Result<Spec, String> {
        let paths = candidates(vendor);
        let Some(path) = paths.iter().find(|p| p.exists()) else {
            return Err(format!(
                "no spec at {} or {}",
                paths[0].display(),
                paths[1].display()
            ));
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Spec { doc: to_json(yaml) })
    }

    /// `value`, with `$ref`s followed (local references only).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(at) => match self.doc.pointer(at.trim_start_matches('#')) {
                    Some(found) => value = found,
                    None => return &Value::Null,
                },
                None => return value,
            }
        }
        value
    }

    fn operations(&self) -> impl Iterator<Item = Operation<'_>> {
        const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
        let paths = self.doc["paths"].as_object().into_iter().flatten();
        paths.flat_map(move |(path, item)| {
            METHODS.iter().filter_map(move |method| {
                let op = item.get(*method)?;
                Some(Operation {
                    spec: self,
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    item,
                    op,
                })
            })
        })
    }

    /// The operation whose id is `id` in snake_case or as written.
    pub fn operation(&self, id: &str) -> Option<Operation<'_>> {
        self.operations().find(|o| {
            let written = o.op["operationId"].as_str().unwrap_or_default();
            written == id || snake_case(written) == id
        })
    }

    /// The operation that needs no credential (`security: []`): the
    /// exchange of a key pair for a token, where a vendor has one.
    pub fn token_operation(&self) -> Option<Operation<'_>> {
        self.operations()
            .find(|o| o.op["security"].as_array().is_some_and(Vec::is_empty))
    }

    /// The path of the first server (`/api` of `https://host/api`).
    pub fn server_stem(&self) -> String {
        let url = self.doc["servers"][0]["url"].as_str().unwrap_or_default();
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(at) => after_scheme[at..].trim_end_matches('/').to_string(),
            None => String::new(),
        }
    }

    /// The header the spec's security scheme puts the credential in
    /// (lower-case), and whether it is sent as `Bearer <credential>`.
    pub fn auth_header(&self) -> Option<(String, bool)> {
        let schemes = self.doc["components"]["securitySchemes"].as_object()?;
        let scheme = schemes.values().next()?;
        match scheme["type"].as_str()? {
            "http" if scheme["scheme"].as_str()?.eq_ignore_ascii_case("bearer") => {
                Some(("authorization".into(), true))
            }
            "apiKey" if scheme["in"].as_str()? == "header" => {
                Some((scheme["name"].as_str()?.to_ascii_lowercase(), false))
            }
            _ => None,
        }
    }
}

/// A media type's example: `example`, or of `examples` the one named
/// `success` (a success answer documented with several examples names the
/// one that succeeds so), else the first by name.
fn example_of(media: &Value) -> Option<Value> {
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let examples = media.get("examples")?.as_object()?;
    examples
        .get("success")
        .and_then(|e| e.get("value"))
        .or_else(|| examples.values().find_map(|e| e.get("value")))
        .cloned()
}

impl Operation<'_> {
    /// The operation's parameters, `$ref`s followed (path item's first).
    pub fn parameters(&self) -> Vec<&Value> {
        let item = self.item["parameters"].as_array().into_iter().flatten();
        let op = self.op["parameters"].as_array().into_iter().flatten();
        item.chain(op).map(|p| self.spec.resolve(p)).collect()
    }

    /// The required path or query parameter that names the object, with
    /// its example: `(in, name, example)`.
    pub fn id_parameter(&self) -> Option<(String, String, Option<String>)> {
        self.parameters()
            .into_iter()
            .filter(|p| p["required"].as_bool() == Some(true))
            .find(|p| matches!(p["in"].as_str(), Some("path" | "query")))
            .map(|p| {
                let example = p
                    .get("example")
                    .or_else(|| self.spec.resolve(&p["schema"]).get("example"))
                    .map(|e| match e {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                (
                    p["in"].as_str().unwrap_or_default().to_string(),
                    p["name"].as_str().unwrap_or_default().to_string(),
                    example,
                )
            })
    }

    /// The request body's example.
    pub fn request_example(&self) -> Option<Value> {
        let body = self.spec.resolve(&self.op["requestBody"]);
        example_of(&body["content"]["application/json"])
    }

    /// The response declared for `status`: its own, else its class
    /// (`4XX`), else `default`.
    pub fn response(&self, status: u16) -> Option<&Value> {
        let responses = self.op["responses"].as_object()?;
        let class = format!("{}XX", status / 100);
        [status.to_string(), class, "default".into()]
            .iter()
            .find_map(|key| responses.get(key))
            .map(|r| self.spec.resolve(r))
    }

    /// The success responses' keys (`200`, `2XX`).
    pub fn success_keys(&self) -> Vec<String> {
        self.op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .filter(|k| k.starts_with('2'))
            .collect()
    }

    /// The example of the first success response.
    pub fn success_example(&self) -> Option<Value> {
        let key = self.success_keys().into_iter().next()?;
        let response = self.spec.resolve(&self.op["responses"][key.as_str()]);
        example_of(&response["content"]["application/json"])
    }

    /// Whether the first success response declares the header `name`.
    pub fn success_declares_header(&self, name: &str) -> bool {
        let Some(key) = self.success_keys().into_iter().next() else {
            return false;
        };
        self.spec.resolve(&self.op["responses"][key.as_str()])["headers"]
            .as_object()
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)))
    }

    /// Every example of the first success response (`example` or each of
    /// `examples`).
    pub fn success_examples(&self) -> Vec<Value> {
        let Some(key) = self.success_keys().into_iter().next() else {
            return Vec::new();
        };
        let response = self.spec.resolve(&self.op["responses"][key.as_str()]);
        let media = &response["content"]["application/json"];
        match media.get("examples").and_then(Value::as_object) {
            Some(examples) => examples
                .values()
                .filter_map(|e| e.get("value").cloned())
                .collect(),
            None => media.get("example").cloned().into_iter().collect(),
        }
    }

    /// The example of the response declared for `status`, where it has one.
    pub fn error_example(&self, status: u16) -> Option<Value> {
        example_of(&self.response(status)?["content"]["application/json"])
    }

    /// The schema of the response declared for `status`, `$ref`s followed.
    pub fn response_schema(&self, status: u16) -> Option<&Value> {
        let schema = &self.response(status)?["content"]["application/json"]["schema"];
        (!schema.is_null()).then(|| self.spec.resolve(schema))
    }

    /// The declared `type` of the property at `pointer` in `schema`.
    pub fn type_at(&self, schema: &Value, pointer: &str) -> Option<String> {
        let mut here = self.spec.resolve(schema);
        for name in pointer.split('/').skip(1) {
            here = self.spec.resolve(here["properties"].get(name)?);
        }
        here["type"].as_str().map(str::to_string)
    }

    /// The top-level properties of `schema` with a declared type, `$ref`s
    /// followed: `(name, type)`.
    pub fn typed_properties(&self, schema: &Value) -> Vec<(String, String)> {
        let schema = self.spec.resolve(schema);
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, s)| {
                let t = self.spec.resolve(s)["type"].as_str()?;
                Some((name.clone(), t.to_string()))
            })
            .collect()
    }
}
