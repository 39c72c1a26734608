//! The little of a vendor's OpenAPI document the bench reads: its update
//! operation (method, path, id parameter, request and answer examples), its
//! server's path stem, its security scheme and its token exchange.

use std::path::PathBuf;

use chatbots::Vendor;
use serde_json::Value;

/// A vendor's spec, as JSON.
pub(crate) struct Spec {
    doc: Value,
}

/// One operation of a spec.
pub(crate) struct Operation<'a> {
    spec: &'a Spec,
    /// `PATCH`, upper-case.
    pub method: String,
    /// As the spec writes it, with `{parameters}`.
    pub path: String,
    item: &'a Value,
    op: &'a Value,
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
fn snake_case(id: &str) -> String {
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

/// A media type's example: `example`, or of `examples` the one named
/// `success`, else the first by name.
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

impl Spec {
    /// The spec of `vendor`: `specs/<vendor>.yaml`, else the vendor crate's
    /// own copy.
    pub fn load(vendor: Vendor) -> Result<Spec, String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let name = vendor.name();
        let paths = [
            root.join("specs").join(format!("{name}.yaml")),
            root.join("crates").join(name).join(format!("{name}.yaml")),
        ];
        let Some(path) = paths.iter().find(|p| p.exists()) else {
            return Err(format!("no spec at {}", paths[0].display()));
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Spec { doc: to_json(yaml) })
    }

    /// `value`, with local `$ref`s followed.
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
    /// exchange of a key pair for a token, where there is one.
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

    /// The header the security scheme puts the credential in (lower-case),
    /// and whether it is sent as `Bearer <credential>`.
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

impl Operation<'_> {
    /// The required path or query parameter that names the object:
    /// `(in, name, example)`.
    pub fn id_parameter(&self) -> Option<(String, String, Option<String>)> {
        let item = self.item["parameters"].as_array().into_iter().flatten();
        let op = self.op["parameters"].as_array().into_iter().flatten();
        item.chain(op)
            .map(|p| self.spec.resolve(p))
            .filter(|p| p["required"].as_bool() == Some(true))
            .find(|p| matches!(p["in"].as_str(), Some("path" | "query")))
            .map(|p| {
                let example = p.get("example").map(|e| match e {
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

    /// The first success response, `$ref`s followed.
    fn success(&self) -> Option<&Value> {
        let responses = self.op["responses"].as_object()?;
        let (_, response) = responses.iter().find(|(k, _)| k.starts_with('2'))?;
        Some(self.spec.resolve(response))
    }

    /// The example of the first success response.
    pub fn success_example(&self) -> Option<Value> {
        example_of(&self.success()?["content"]["application/json"])
    }

    /// Whether the success response declares the header `name`.
    pub fn success_declares_header(&self, name: &str) -> bool {
        self.success()
            .and_then(|r| r["headers"].as_object())
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)))
    }
}
