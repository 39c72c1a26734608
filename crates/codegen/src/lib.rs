//! The one place where a vendor spec becomes Rust.
//!
//! Every vendor crate's `build.rs` is a single call to [`build_script`], and
//! `cargo xtask` uses [`load`], [`check`], [`generate`] and
//! [`check_request_schemas`] from here, so the progenitor settings and our
//! spec rules cannot drift between the build and the tooling.
//!
//! Codegen links no JSON Schema engine (it would delay every vendor build
//! script): request schemas are converted here, and compiled by
//! `cargo xtask check` and this crate's tests over `specs/`.
//!
//! ```text
//! // build.rs of a vendor crate
//! fn main() {
//!     chatbots_codegen::build_script();
//! }
//! ```
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, Operation, ReferenceOr};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;

mod rate_limit;
mod retry_safety;
mod rules;
mod schema;

pub use rate_limit::{DocumentedLimit, RATE_LIMIT_EXTENSION, documented_limit};
pub use retry_safety::{
    IDEMPOTENT_EXTENSION, MIN_REASON_WORDS, RETRY_SAFE_MARKER, RetrySafety, is_retry_safe,
    retry_safety,
};
pub use rules::{MANUAL_EXTENSION, Problem};

/// Prefix of every vendor crate's package name: `chatbots-<vendor>`.
pub const CRATE_PREFIX: &str = "chatbots-";

/// A parsed vendor spec and where it came from.
pub struct Spec {
    /// The file the spec was read from.
    pub path: PathBuf,
    /// The vendor name: the file stem (`specs/okchat.yaml` → `okchat`).
    pub vendor: String,
    /// The parsed document.
    pub api: OpenAPI,
}

/// Why a spec could not be turned into a client. `Display` is one line that
/// names the spec file, the operation (when there is one) and the reason.
#[derive(Debug)]
pub struct SpecError {
    /// The spec file.
    pub path: PathBuf,
    /// The operationId (or `METHOD /path`) at fault, if any.
    pub operation: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(
                f,
                "{}: operation `{op}`: {}",
                self.path.display(),
                self.reason
            ),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

impl std::error::Error for SpecError {}

/// Reads and parses one spec file (YAML or JSON).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let fail = |reason: String| SpecError {
        path: path.to_path_buf(),
        operation: None,
        reason,
    };
    let vendor = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| fail("file name is not valid UTF-8".into()))?
        .to_string();
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let api: OpenAPI = serde_norway::from_str(&text)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;
    Ok(Spec {
        path: path.to_path_buf(),
        vendor,
        api,
    })
}

/// Lists every spec in `dir` (`*.yaml`), sorted by vendor name.
pub fn spec_paths(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Checks our rules: the shapes progenitor accepts and the conventions every
/// vendor spec follows. An empty list means the spec can be generated.
pub fn check(spec: &Spec) -> Vec<Problem> {
    rules::check(&spec.api)
}

/// The progenitor settings every vendor client is generated with.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::Inner))
        .with_derive("PartialEq");
    settings
}

/// Generates the client source for one spec: progenitor's output as
/// progenitor writes it, followed by data for the runtime: an `operations`
/// module (one `chatbots_runtime::Operation` per operation) and a
/// `chatbots_runtime::vendor_client!` call (vendor, base URL, security
/// scheme, documented rate limit), which writes the hooks and constructors.
pub fn generate(spec: &Spec) -> Result<String, SpecError> {
    if let Some(problem) = check(spec).into_iter().next() {
        return Err(SpecError {
            path: spec.path.clone(),
            operation: problem.operation,
            reason: problem.reason,
        });
    }
    // First, so that a schema problem is reported as ours.
    let (operations, call) = glue(spec)?;
    let generated = rules::prepare_for_progenitor(&spec.api);
    let client = run_progenitor(&generated).map_err(|reason| SpecError {
        path: spec.path.clone(),
        operation: find_failing_operation(&generated),
        reason,
    })?;
    let file = syn::parse2::<syn::File>(quote!(#client #operations)).map_err(|e| SpecError {
        path: spec.path.clone(),
        operation: None,
        reason: format!("generated code does not parse: {e}"),
    })?;
    Ok(prettyplease::unparse(&file) + &call)
}

/// Entry point for a vendor crate's `build.rs`.
///
/// Reads `<vendor>.yaml` from the vendor crate's directory (the vendor is
/// the package name without the `chatbots-` prefix), or the workspace's
/// `specs/<vendor>.yaml` when the crate has no copy; writes the client to
/// `$OUT_DIR/client.rs`; on a bad spec, stops the build with one line naming
/// the file, the operation and the reason.
pub fn build_script() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let package = env("CARGO_PKG_NAME");
    let vendor = package.strip_prefix(CRATE_PREFIX).unwrap_or(&package);
    // The crate's own copy (a symlink to `specs/`, so that the packaged
    // crate carries its spec); `specs/` itself in a checkout without it.
    let own = manifest_dir.join(format!("{vendor}.yaml"));
    let spec_path = if own.exists() {
        own
    } else {
        manifest_dir
            .join("../../specs")
            .join(format!("{vendor}.yaml"))
    };
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let out = PathBuf::from(env("OUT_DIR")).join("client.rs");
    match load(&spec_path).and_then(|spec| generate(&spec)) {
        Ok(code) => {
            if let Err(e) = std::fs::write(&out, code) {
                println!("cargo::error=cannot write {}: {e}", out.display());
            }
        }
        Err(e) => println!("cargo::error={e}"),
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        println!("cargo::error=chatbots-codegen: {name} is not set; build_script() runs only from build.rs");
        std::process::exit(1)
    })
}

/// Runs progenitor, turning its errors and panics into a message.
///
/// The process-wide panic hook is left alone: swapping it here would race
/// with every other thread (parallel tests, a build script's own threads),
/// silencing or losing their panics. So the hook still prints a panic of
/// progenitor's to stderr, and the message returned names the operation.
fn run_progenitor(api: &OpenAPI) -> Result<proc_macro2::TokenStream, String> {
    let result = std::panic::catch_unwind(|| Generator::new(&settings()).generate_tokens(api));
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(format!("progenitor cannot generate it: {e}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            Err(format!("progenitor panicked: {message}"))
        }
    }
}

/// When progenitor fails on a whole spec, generates each operation alone to
/// name the one at fault.
fn find_failing_operation(api: &OpenAPI) -> Option<String> {
    for (path, item) in api.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let mut single = api.clone();
            let mut only = item.clone();
            for (m, slot) in operation_slots(&mut only) {
                if m != method {
                    *slot = None;
                }
            }
            single.paths.paths = [(path.clone(), ReferenceOr::Item(only))]
                .into_iter()
                .collect();
            if run_progenitor(&single).is_err() {
                return Some(operation_name(method, path, op));
            }
        }
    }
    None
}

fn operation_slots(item: &mut openapiv3::PathItem) -> Vec<(&'static str, &mut Option<Operation>)> {
    vec![
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
}

/// `operationId`, or `METHOD /path` when there is none.
pub fn operation_name(method: &str, path: &str, op: &Operation) -> String {
    op.operation_id
        .clone()
        .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()))
}

/// The operation id as progenitor passes it to `ClientHooks`
/// (`OperationInfo::operation_id`): snake_case.
pub fn hook_operation_id(operation_id: &str) -> String {
    use heck::ToSnakeCase;
    operation_id
        .replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
        .to_snake_case()
}

/// One documented operation, as the README table and the runtime see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSummary {
    /// The operationId.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template, relative to the base URL.
    pub path: String,
    /// The operation's `summary`, if any.
    pub summary: Option<String>,
    /// See [`is_retry_safe`].
    pub retry_safe: bool,
    /// Why it is (or is not) retry-safe: see [`retry_safety`].
    pub retry_reason: String,
}

/// Every operation in the spec, in path order.
pub fn operations(api: &OpenAPI) -> Vec<OperationSummary> {
    let mut out = Vec::new();
    for (path, item) in api.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let RetrySafety { retry_safe, reason } = retry_safety(method, op);
            out.push(OperationSummary {
                id: operation_name(method, path, op),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: op.summary.clone(),
                retry_safe,
                retry_reason: reason,
            });
        }
    }
    out
}

/// The spec's first server URL: the vendor's production base URL.
pub fn default_base_url(api: &OpenAPI) -> Option<&str> {
    api.servers.first().map(|s| s.url.as_str())
}

/// What codegen adds after progenitor's client: data only. The code that
/// uses it is `chatbots_runtime::vendor_client!`.
fn glue(spec: &Spec) -> Result<(proc_macro2::TokenStream, String), SpecError> {
    let vendor = &spec.vendor;
    let base_url = default_base_url(&spec.api).unwrap_or_default();
    let schemas = request_body_schemas(spec)?;
    let mut statics = Vec::new();
    let mut names = Vec::new();
    for op in operations(&spec.api) {
        let id = hook_operation_id(&op.id);
        let name = id.to_uppercase();
        if syn::parse_str::<syn::Ident>(&name).is_err() {
            return Err(SpecError {
                path: spec.path.clone(),
                operation: Some(op.id.clone()),
                reason: format!("`{name}` is not a Rust identifier; rename the operationId"),
            });
        }
        let name = quote::format_ident!("{name}");
        let doc = format!(" `{}`: `{} {}`.", op.id, op.method, op.path);
        let retry_safe = op.retry_safe;
        let schema = match schemas.get(&id) {
            Some(schema) => {
                let schema = raw_string(schema);
                quote!(Some(#schema))
            }
            None => quote!(None),
        };
        statics.push(quote! {
            #[doc = #doc]
            pub static #name: Operation = Operation::new(#id, #retry_safe, #schema);
        });
        names.push(name);
    }
    let operations = quote! {
        /// Every operation of the spec, with what the runtime needs of it:
        /// its hook id, whether it may be retried, its request schema.
        pub mod operations {
            use chatbots_runtime::Operation;

            #(#statics)*

            /// Every operation above, in spec order.
            pub static ALL: &[&Operation] = &[#(&#names),*];
        }
    };
    // Written as text: prettyplease leaves a macro call's tokens unformatted.
    let header_auth = header_auth_scheme(&spec.api)
        .map(|HeaderScheme { name, header, prefix }| {
            format!("    header_auth: {{ scheme: {name:?}, header: {header:?}, prefix: {prefix:?} }},\n")
        })
        .unwrap_or_default();
    let rate_limit = documented_limit(&spec.api)
        .map(rate_limit::macro_argument)
        .map_err(|reason| SpecError {
            path: spec.path.clone(),
            operation: None,
            reason,
        })?;
    let call = format!(
        "\nchatbots_runtime::vendor_client! {{\n    vendor: {vendor:?},\n    default_base_url: {base_url:?},\n    operations: operations::ALL,\n    auth: crate::Auth,\n{header_auth}{rate_limit}}}\n"
    );
    Ok((operations, call))
}

/// `text` as a raw string literal (`r#"…"#`), so that a schema reads in the
/// generated code as it is.
fn raw_string(text: &str) -> proc_macro2::Literal {
    let mut hashes = "#".to_owned();
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    let literal = format!("r{hashes}\"{text}\"{hashes}");
    literal
        .parse()
        .unwrap_or_else(|_| proc_macro2::Literal::string(text))
}

/// A security scheme that is one header carrying the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderScheme {
    /// The scheme's name in `components.securitySchemes`.
    pub name: String,
    /// The header, lower-case.
    pub header: String,
    /// What precedes the secret (`"Bearer "` or nothing).
    pub prefix: String,
}

/// The spec's global security scheme, when it is a single header: HTTP
/// bearer, or an API key in a header.
pub fn header_auth_scheme(api: &OpenAPI) -> Option<HeaderScheme> {
    let requirement = api.security.as_ref()?.first()?;
    let name = requirement.keys().next()?;
    let scheme = api
        .components
        .as_ref()?
        .security_schemes
        .get(name)?
        .as_item()?;
    let (header, prefix) = match scheme {
        openapiv3::SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => {
            ("authorization".to_string(), "Bearer ".to_string())
        }
        openapiv3::SecurityScheme::APIKey {
            location: openapiv3::APIKeyLocation::Header,
            name,
            ..
        } => (name.to_ascii_lowercase(), String::new()),
        _ => return None,
    };
    Some(HeaderScheme {
        name: name.clone(),
        header,
        prefix,
    })
}

/// Each operation's `application/json` request body schema as a JSON
/// Schema (draft 2020-12, `$ref`s inlined, see `schema.rs`), keyed by the
/// snake_case operation id. A schema that cannot be converted is an error
/// naming the operation.
///
/// Whether each one *compiles* is not checked here: that needs a JSON Schema
/// engine, which would sit on every vendor build script's critical path (see
/// `BENCHMARKS.md`, build cost). [`check_request_schemas`] does it, run by
/// `cargo xtask check` and by this crate's tests over `specs/`.
pub fn request_body_schemas(spec: &Spec) -> Result<BTreeMap<String, String>, SpecError> {
    let mut out = BTreeMap::new();
    for (name, converted) in converted_request_schemas(spec)? {
        let text = serde_json::to_string_pretty(&converted).map_err(|e| SpecError {
            path: spec.path.clone(),
            operation: Some(name.clone()),
            reason: format!("cannot write the request schema: {e}"),
        })?;
        out.insert(hook_operation_id(&name), text);
    }
    Ok(out)
}

/// Compiles each request body schema of `spec` (as
/// [`request_body_schemas`] converts it) with `compile`, a JSON Schema
/// engine supplied by the caller, so that this crate, which every vendor
/// build script links, needs none. Returns how many schemas were checked;
/// the first that cannot be converted or compiled is an error naming the
/// file, the operation and the engine's reason.
///
/// ```
/// # fn demo(spec: &chatbots_codegen::Spec) -> Result<(), chatbots_codegen::SpecError> {
/// // xtask passes `chatbots_runtime::Schema::try_new`, the tests the
/// // `jsonschema` crate; any engine whose error is `Display` will do.
/// let checked = chatbots_codegen::check_request_schemas(spec, |schema| {
///     if schema.is_object() { Ok(()) } else { Err("not an object") }
/// })?;
/// # let _ = checked;
/// # Ok(())
/// # }
/// ```
pub fn check_request_schemas<E: fmt::Display>(
    spec: &Spec,
    mut compile: impl FnMut(&serde_json::Value) -> Result<(), E>,
) -> Result<usize, SpecError> {
    let schemas = converted_request_schemas(spec)?;
    for (name, converted) in &schemas {
        compile(converted).map_err(|e| SpecError {
            path: spec.path.clone(),
            operation: Some(name.clone()),
            reason: format!("request schema does not compile: {e}"),
        })?;
    }
    Ok(schemas.len())
}

/// Each operation with an `application/json` request body: its name (see
/// [`operation_name`]) and its schema converted to JSON Schema, in path
/// order.
fn converted_request_schemas(spec: &Spec) -> Result<Vec<(String, serde_json::Value)>, SpecError> {
    let fail = |operation: Option<String>, reason: String| SpecError {
        path: spec.path.clone(),
        operation,
        reason,
    };
    let whole = serde_json::to_value(&spec.api)
        .map_err(|e| fail(None, format!("cannot read the spec as JSON: {e}")))?;
    let mut out = Vec::new();
    for (path, item) in spec.api.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let name = operation_name(method, path, op);
            let fail = |reason: String| fail(Some(name.clone()), reason);
            let body = match &op.request_body {
                None => continue,
                Some(ReferenceOr::Item(body)) => serde_json::to_value(body)
                    .map_err(|e| fail(format!("cannot read the request body: {e}")))?,
                Some(ReferenceOr::Reference { reference }) => reference
                    .strip_prefix('#')
                    .and_then(|pointer| whole.pointer(pointer))
                    .cloned()
                    .ok_or_else(|| {
                        fail(format!(
                            "request body `$ref: {reference}` points to nothing"
                        ))
                    })?,
            };
            let Some(openapi) = body.pointer("/content/application~1json/schema") else {
                continue;
            };
            let converted = schema::convert(&whole, openapi)
                .map_err(|e| fail(format!("request schema: {e}")))?;
            out.push((name, converted));
        }
    }
    Ok(out)
}
