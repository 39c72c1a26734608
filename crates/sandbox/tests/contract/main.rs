//! Every response the sandbox serves validates against its vendor's spec.
//!
//! Each vendor module drives a scenario through [`Contract`]: every
//! operation of the spec at least once with a 2xx, plus its documented
//! failures. Each response is checked with the `jsonschema` crate against
//! the schema the spec gives for that path, method and status.

mod converza;
mod hottask;
mod okchat;
mod puretalk;
mod seeded;
mod streamskill;

use std::collections::BTreeSet;
use std::path::Path;

use chatbots_sandbox::{Fault, FaultRule, RateLimit, Sandbox, SandboxBuilder, Vendor};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

pub(crate) struct Contract {
    pub(crate) sandbox: Sandbox,
    pub(crate) vendor: Vendor,
    http: reqwest::Client,
    spec: Value,
    /// `METHOD /template` of every operation answered with a 2xx.
    succeeded: BTreeSet<String>,
    checked: usize,
    failures: Vec<String>,
    auth: Option<(String, String)>,
}

impl Contract {
    pub(crate) async fn new(vendor: Vendor) -> Contract {
        Contract::with(vendor, Sandbox::builder()).await
    }

    /// A contract run against a sandbox configured by `builder`.
    pub(crate) async fn with(vendor: Vendor, builder: SandboxBuilder) -> Contract {
        // reqwest is built without a default TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sandbox = builder.start().await.expect("sandbox starts");
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../specs")
            .join(format!("{}.yaml", vendor.slug()));
        let text = std::fs::read_to_string(&file).expect("spec readable");
        let spec: Value = serde_norway::from_str(&text).expect("spec parses");
        Contract {
            sandbox,
            vendor,
            http: reqwest::Client::new(),
            spec: openapi_to_json_schema(spec),
            succeeded: BTreeSet::new(),
            checked: 0,
            failures: Vec::new(),
            auth: None,
        }
    }

    /// Sends every later request with this header (e.g. `x-api-key`).
    pub(crate) fn set_auth(&mut self, name: &str, value: &str) {
        self.auth = Some((name.to_string(), value.to_string()));
    }

    /// A request to `path` below the vendor's base URL, with the auth header
    /// set by [`set_auth`](Self::set_auth).
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{}", self.sandbox.base_url(self.vendor), path);
        let builder = self.http.request(method, url);
        match &self.auth {
            Some((name, value)) => builder.header(name.as_str(), value.as_str()),
            None => builder,
        }
    }

    /// A JSON request, checked: shorthand for `check(request(..).json(body))`.
    pub(crate) async fn json(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        self.check(builder).await
    }

    /// Sends the request and checks the response against the spec. Returns
    /// the status and the JSON body (`Null` if the body is not JSON).
    pub(crate) async fn check(&mut self, builder: RequestBuilder) -> (u16, Value) {
        let request = builder.build().expect("request builds");
        let method = request.method().as_str().to_ascii_lowercase();
        let base = self.sandbox.base_url(self.vendor);
        let url = request.url().to_string();
        let path = url
            .strip_prefix(&base)
            .unwrap_or(&url)
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let response = self.http.execute(request).await.expect("sandbox answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response.bytes().await.expect("whole body");
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        self.checked += 1;
        let what = format!("{} {method} {path} -> {status}", self.vendor);
        let Some((template, operation)) = self.find_operation(&method, &path) else {
            self.failures.push(format!(
                "{what}: no operation in the spec has this path and method"
            ));
            return (status, body);
        };
        if (200..300).contains(&status) {
            self.succeeded
                .insert(format!("{} {template}", method.to_ascii_uppercase()));
        }
        let Some(response_spec) = self.response_spec(&operation, status) else {
            self.failures.push(format!(
                "{what}: the spec documents no {status} (nor its range, nor default) for {template}"
            ));
            return (status, body);
        };
        let Some(content) = response_spec.get("content").and_then(Value::as_object) else {
            if !bytes.is_empty() && body != Value::Null {
                // A body the spec does not describe is allowed only when empty.
                self.failures
                    .push(format!("{what}: the spec documents no body, got {body}"));
            }
            return (status, body);
        };
        let Some(schema) = content
            .iter()
            .find(|(media, _)| media.contains("json"))
            .and_then(|(_, media)| media.get("schema"))
        else {
            return (status, body);
        };
        if !content_type.contains("json") {
            self.failures.push(format!(
                "{what}: Content-Type is `{content_type}`, the spec says JSON"
            ));
            return (status, body);
        }
        if bytes.is_empty() || (body == Value::Null && bytes.as_ref() != b"null") {
            self.failures.push(format!(
                "{what}: body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            ));
            return (status, body);
        }
        let document = json!({
            "$ref": "#/definitions/response",
            "definitions": {"response": schema},
            "components": self.spec.get("components").cloned().unwrap_or_default(),
        });
        match jsonschema::draft7::new(&document) {
            Ok(validator) => {
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| format!("at `{}`: {}", e.instance_path(), e))
                    .collect();
                if !errors.is_empty() {
                    self.failures.push(format!(
                        "{what}: {}\n    body: {body}",
                        errors.join("\n    ")
                    ));
                }
            }
            Err(e) => self
                .failures
                .push(format!("{what}: spec schema does not compile: {e}")),
        }
        (status, body)
    }

    fn find_operation(&self, method: &str, path: &str) -> Option<(String, Value)> {
        let paths = self.spec.get("paths")?.as_object()?;
        let concrete: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.trim_end_matches('/').split('/').collect();
            let fits = parts.len() == concrete.len()
                && parts.iter().zip(&concrete).all(|(t, c)| {
                    t == c || (t.starts_with('{') && t.ends_with('}') && !c.is_empty())
                });
            let op = item.get(method)?;
            fits.then(|| (template.clone(), op.clone()))
        })
    }

    fn response_spec(&self, operation: &Value, status: u16) -> Option<Value> {
        let responses = operation.get("responses")?;
        let range = format!("{}XX", status / 100);
        let found = responses
            .get(status.to_string())
            .or_else(|| responses.get(&range))
            .or_else(|| responses.get("default"))?;
        Some(self.resolve(found))
    }

    fn resolve(&self, value: &Value) -> Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .spec
                .pointer(reference.trim_start_matches('#'))
                .map(|v| self.resolve(v))
                .unwrap_or(Value::Null),
            None => value.clone(),
        }
    }

    /// Injected 429 and 503 on `path` also come in the spec's shapes.
    pub(crate) async fn injected_failures(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) {
        for fault in [
            Fault::RateLimited {
                retry_after: std::time::Duration::from_secs(1),
            },
            Fault::Status(503),
            Fault::Status(500),
        ] {
            self.sandbox
                .faults()
                .inject(FaultRule::new(fault).vendor(self.vendor).times(1));
            let (status, _) = self.json(method.clone(), path, body.clone()).await;
            assert!(
                status >= 429,
                "{} {path}: injected fault not served",
                self.vendor
            );
        }
    }

    /// Fails the test with every response that does not match the spec
    /// (for a scenario that covers only some operations).
    pub(crate) fn finish_partial(self) {
        assert!(
            self.failures.is_empty(),
            "{} contract: {} of {} responses fail:\n  {}",
            self.vendor,
            self.failures.len(),
            self.checked,
            self.failures.join("\n  ")
        );
    }

    /// Fails the test with every mismatch, and with every operation never
    /// answered with a 2xx.
    pub(crate) fn finish(self) {
        let mut problems = self.failures;
        for (template, item) in self
            .spec
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    let key = format!("{} {template}", method.to_ascii_uppercase());
                    if !self.succeeded.contains(&key) {
                        problems.push(format!(
                            "{}: {key} was never answered with a 2xx",
                            self.vendor
                        ));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{} contract: {} of {} responses or operations fail:\n  {}",
            self.vendor,
            problems.len(),
            self.checked,
            problems.join("\n  ")
        );
    }
}

/// OpenAPI 3.0 schemas are JSON Schema but for `nullable`: rewrite
/// `type: T, nullable: true` as `type: [T, "null"]` (and admit null in an
/// enum), everywhere in the document.
fn openapi_to_json_schema(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(options)) = map.get_mut("enum")
                    && !options.contains(&Value::Null)
                {
                    options.push(Value::Null);
                }
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, openapi_to_json_schema(v)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(openapi_to_json_schema).collect())
        }
        other => other,
    }
}

#[tokio::test]
async fn streamskill_responses_match_its_spec() {
    let mut contract = Contract::with(Vendor::StreamSkill, streamskill::sandbox()).await;
    streamskill::exercise(&mut contract).await;
    contract.finish();
}

#[tokio::test]
async fn converza_responses_match_its_spec() {
    let mut contract = Contract::new(Vendor::Converza).await;
    converza::exercise(&mut contract).await;
    contract.finish();
}

#[tokio::test]
async fn okchat_responses_match_its_spec() {
    let mut contract = Contract::new(Vendor::OkChat).await;
    okchat::exercise(&mut contract).await;
    contract.finish();
}

#[tokio::test]
async fn puretalk_responses_match_its_spec() {
    let mut contract = Contract::new(Vendor::PureTalk).await;
    puretalk::exercise(&mut contract).await;
    contract.finish();
}

#[tokio::test]
async fn hottask_responses_match_its_spec() {
    let mut contract = Contract::new(Vendor::HotTask).await;
    hottask::exercise(&mut contract).await;
    contract.finish();
}

/// A contract run on a sandbox with three seeded bots per vendor and
/// `vendor` limited to a bucket of 10 that never refills.
async fn seeded(vendor: Vendor) -> Contract {
    let builder = Sandbox::builder().bots(3).rate_limit(
        vendor,
        Some(RateLimit {
            burst: 10,
            per_second: 0.0,
        }),
    );
    let contract = Contract::with(vendor, builder).await;
    let seeded = contract.sandbox.seeded_bots(vendor);
    assert!(seeded.len() >= 3, "{vendor}: {seeded:?}");
    contract
}

/// Each vendor's seeded bots and emulated rate limit, as its spec says.
macro_rules! seeded_contract {
    ($($test:ident: $vendor:ident => $module:ident;)+) => {$(
        #[tokio::test]
        async fn $test() {
            let mut contract = seeded(Vendor::$vendor).await;
            let ids = contract.sandbox.seeded_bots(Vendor::$vendor);
            let (reads, bucket_read) = $module::seeded_reads(&mut contract, &ids).await;
            seeded::exercise(&mut contract, reads, bucket_read).await;
            contract.finish_partial();
        }
    )+};
}

seeded_contract! {
    streamskill_seeded_bots_and_rate_limit_match_its_spec: StreamSkill => streamskill;
    converza_seeded_bots_and_rate_limit_match_its_spec: Converza => converza;
    okchat_seeded_bots_and_rate_limit_match_its_spec: OkChat => okchat;
    puretalk_seeded_bots_and_rate_limit_match_its_spec: PureTalk => puretalk;
    hottask_seeded_bots_and_rate_limit_match_its_spec: HotTask => hottask;
}
