//! The one place where a vendor spec becomes Rust.
//!
//! Every vendor crate's `build.rs` is a single call to [`build_script`], and
//! `cargo xtask` uses [`load`], [`check`] and [`generate`] from here, so the
//! progenitor settings and our spec rules cannot drift between the build and
//! the tooling.
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

mod fields;
mod rules;

pub use rules::{MANUAL_EXTENSION, Problem};

/// Prefix of every vendor crate's package name: `chatbots-<vendor>`.
pub const CRATE_PREFIX: &str = "chatbots-";

/// Spec extension that marks an operation as safe (or unsafe) to send twice.
///
/// Without it, GET, PUT, PATCH and DELETE are retry-safe and POST is not.
pub const IDEMPOTENT_EXTENSION: &str = "x-chatbots-idempotent";

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

/// Generates the client source for one spec: progenitor's output followed by
/// the glue every vendor crate shares (base URL, hooks into the runtime,
/// constructors).
pub fn generate(spec: &Spec) -> Result<String, SpecError> {
    if let Some(problem) = check(spec).into_iter().next() {
        return Err(SpecError {
            path: spec.path.clone(),
            operation: problem.operation,
            reason: problem.reason,
        });
    }
    let generated = rules::prepare_for_progenitor(&spec.api);
    let client = run_progenitor(&generated).map_err(|reason| SpecError {
        path: spec.path.clone(),
        operation: find_failing_operation(&generated),
        reason,
    })?;
    let glue = glue(spec);
    let mut file = syn::parse2::<syn::File>(quote!(#client #glue)).map_err(|e| SpecError {
        path: spec.path.clone(),
        operation: None,
        reason: format!("generated code does not parse: {e}"),
    })?;
    syn::visit_mut::VisitMut::visit_file_mut(&mut WithoutApiVersion, &mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut Leaner, &mut file);
    for item in &mut file.items {
        // The operation builders; `types::builder` holds the body builders.
        if let syn::Item::Mod(module) = item
            && module.ident == "builder"
        {
            syn::visit_mut::VisitMut::visit_item_mod_mut(&mut DraftBodies, module);
            syn::visit_mut::VisitMut::visit_item_mod_mut(&mut StaticErrors, module);
        }
    }
    let json_fields = syn::parse2::<syn::File>(fields::impls(&file)).map_err(|e| SpecError {
        path: spec.path.clone(),
        operation: None,
        reason: format!("generated field setters do not parse: {e}"),
    })?;
    if let Some((_, items)) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
        _ => None,
    }) {
        items.extend(json_fields.items);
    }
    Ok(prettyplease::unparse(&file))
}

/// Rewrites progenitor's request code so that a call allocates less, with
/// the same request on the wire and the same value returned:
///
/// - `encode_path(&x.to_string())` becomes `chatbots_runtime::PathSegment(&x)`,
///   which encodes `x` straight into the URL;
/// - `HeaderMap::with_capacity(n)` becomes `HeaderMap::new()`, which
///   allocates only when an optional header is actually set, and
///   `.headers(header_map)` becomes `chatbots_runtime::headers_if_any(..)`,
///   which skips merging it when none is;
/// - `ResponseValue::from_response(r)` becomes the glue's `response_value(r)`,
///   which moves the response headers instead of copying them.
struct Leaner;

impl syn::visit_mut::VisitMut for Leaner {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Some(call) = headers_call(expr) {
            let builder = &call.receiver;
            *expr = syn::parse_quote!(chatbots_runtime::headers_if_any(#builder, header_map));
            return;
        }
        let syn::Expr::Call(call) = expr else {
            return;
        };
        let syn::Expr::Path(func) = call.func.as_ref() else {
            return;
        };
        let path = &func.path;
        if path.is_ident("encode_path")
            && let Some(value) = displayed(&call.args)
        {
            *expr = syn::parse_quote!(chatbots_runtime::PathSegment(&#value));
        } else if ends_with(path, &["HeaderMap", "with_capacity"]) {
            *expr = syn::parse_quote!(::reqwest::header::HeaderMap::new());
        } else if ends_with(path, &["ResponseValue", "from_response"]) && path.segments.len() == 2 {
            let args = &call.args;
            *expr = syn::parse_quote!(crate::response_value(#args));
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // `format!` builds the URL; its arguments are plain expressions.
        if !mac.path.is_ident("format") {
            return;
        }
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(mut args) = mac.parse_body_with(parser) {
            for arg in args.iter_mut() {
                self.visit_expr_mut(arg);
            }
            mac.tokens = quote!(#args);
        }
    }
}

/// Makes the operation builders keep their body in a
/// `chatbots_runtime::BodyDraft` instead of progenitor's field-by-field body
/// builder, so that a complete body passed to `.body(..)` is sent as it is
/// instead of being taken apart and put back together. Rewrites, for every
/// operation with such a body: the field's type, its initial value
/// (`Unset`), `.body(..)`, `.body_map(..)` and the conversion in `send()`.
/// They only fit together, so one that stopped matching progenitor's output
/// fails the vendor crate's build.
struct DraftBodies;

impl syn::visit_mut::VisitMut for DraftBodies {
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        let is_body = field.ident.as_ref().is_some_and(|i| i == "body");
        if is_body && let Some((typed, builder)) = body_builder_types(&field.ty) {
            field.ty = syn::parse_quote!(
                Result<chatbots_runtime::BodyDraft<#typed, #builder>, String>
            );
        }
    }

    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        if matches!(&field.member, syn::Member::Named(name) if name == "body")
            && same(&field.expr, quote!(Ok(::std::default::Default::default())))
        {
            field.expr = syn::parse_quote!(Ok(chatbots_runtime::BodyDraft::Unset));
        }
        syn::visit_mut::visit_field_value_mut(self, field);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if matches!(expr, syn::Expr::Assign(_)) && same(expr, quote!(self.body = self.body.map(f)))
        {
            *expr = syn::parse_quote!(self.body = self.body.map(|body| body.map_builder(f)));
            return;
        }
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method == "map" && call.args.len() == 1 && same(&call.args[0], quote!(From::from)) {
            call.args[0] = syn::parse_quote!(chatbots_runtime::BodyDraft::Value);
        } else if call.method == "and_then"
            && call.args.len() == 1
            && matches!(&call.args[0], syn::Expr::Closure(closure) if is_builder_try_from(&closure.body))
        {
            call.args[0] = syn::parse_quote!(chatbots_runtime::BodyDraft::into_value);
        }
    }
}

/// Makes the operation builders keep a parameter's error (not set yet, or
/// a failed conversion) as a `Cow<'static, str>` instead of a `String`:
/// progenitor's messages are literals, and a builder allocated one for every
/// required parameter (`"id was not initialized"`) on every call, only to
/// drop it when the parameter was set. The message reaches
/// `Error::InvalidRequest` unchanged, and `Debug` prints it the same.
///
/// Rewrites, in the `builder` module: every `Result<T, String>` field but a
/// `BodyDraft` body (its errors are formatted), every `"..".to_string()`,
/// and `x.map_err(Error::InvalidRequest)` for such a field `x` in `send()`.
/// Like [`DraftBodies`], the rewrites only compile together.
struct StaticErrors;

impl syn::visit_mut::VisitMut for StaticErrors {
    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        if let syn::Type::Path(ty) = &mut field.ty
            && let Some(last) = ty.path.segments.last_mut()
            && last.ident == "Result"
            && let syn::PathArguments::AngleBracketed(args) = &mut last.arguments
            && args.args.len() == 2
            && !quote!(#args).to_string().contains("BodyDraft")
            && let Some(syn::GenericArgument::Type(error)) = args.args.last_mut()
            && quote!(#error).to_string() == "String"
        {
            *error = syn::parse_quote!(::std::borrow::Cow<'static, str>);
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method == "to_string"
            && call.args.is_empty()
            && let syn::Expr::Lit(lit) = call.receiver.as_ref()
            && let syn::Lit::Str(text) = &lit.lit
        {
            *expr = syn::parse_quote!(::std::borrow::Cow::Borrowed(#text));
        } else if call.method == "map_err"
            && call.args.len() == 1
            && matches!(call.receiver.as_ref(), syn::Expr::Path(p) if p.path.get_ident().is_some())
            && same(&call.args[0], quote!(Error::InvalidRequest))
        {
            call.args[0] = syn::parse_quote!(|e| Error::InvalidRequest(e.into_owned()));
        }
    }
}

/// Whether `expr` is `expected`, token for token (syn's `PartialEq` needs a
/// feature this crate does not otherwise use). Only for small expressions.
fn same(expr: &syn::Expr, expected: proc_macro2::TokenStream) -> bool {
    quote!(#expr).to_string() == expected.to_string()
}

/// `(types::X, types::builder::X)` when `ty` is `Result<types::builder::X, String>`.
fn body_builder_types(ty: &syn::Type) -> Option<(syn::Path, syn::Path)> {
    let syn::Type::Path(result) = ty else {
        return None;
    };
    let last = result.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let (Some(syn::GenericArgument::Type(syn::Type::Path(builder))), 2) =
        (args.args.first(), args.args.len())
    else {
        return None;
    };
    if last.ident != "Result" || !builder.path.segments.iter().any(|s| s.ident == "builder") {
        return None;
    }
    let mut typed = builder.path.clone();
    typed.segments = builder
        .path
        .segments
        .iter()
        .filter(|s| s.ident != "builder")
        .cloned()
        .collect();
    Some((typed, builder.path.clone()))
}

/// Whether `body` is `X::try_from(v).map_err(..)`, progenitor's conversion
/// of a body builder in `send()`.
fn is_builder_try_from(body: &syn::Expr) -> bool {
    let syn::Expr::MethodCall(map_err) = body else {
        return false;
    };
    let syn::Expr::Call(call) = map_err.receiver.as_ref() else {
        return false;
    };
    map_err.method == "map_err"
        && matches!(call.func.as_ref(), syn::Expr::Path(func) if func.path.segments.last().is_some_and(|s| s.ident == "try_from"))
}

/// `x` when `args` is exactly `&x.to_string()`.
fn displayed(args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) -> Option<&syn::Expr> {
    let [syn::Expr::Reference(reference)] = args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let syn::Expr::MethodCall(call) = reference.expr.as_ref() else {
        return None;
    };
    (call.method == "to_string" && call.args.is_empty() && call.turbofish.is_none())
        .then_some(call.receiver.as_ref())
}

/// Whether `path` ends with `names` (`::reqwest::header::HeaderMap::new`
/// ends with `["HeaderMap", "new"]`).
fn ends_with(path: &syn::Path, names: &[&str]) -> bool {
    path.segments.len() >= names.len()
        && path
            .segments
            .iter()
            .rev()
            .zip(names.iter().rev())
            .all(|(segment, name)| segment.ident == name)
}

/// Removes the `api-version: <info.version>` header progenitor adds to every
/// request: no vendor documents it, and sending it only to strip it at run
/// time costs every call. Where it was the only header, the then empty
/// header map goes too.
struct WithoutApiVersion;

impl syn::visit_mut::VisitMut for WithoutApiVersion {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| {
            header_map_call(stmt).is_none_or(|args| !args.contains("\"api-version\""))
        });
        if block.stmts.len() != before && !mutates_header_map(block) {
            // The header map it filled stays empty: drop it, and the call
            // that merges it into the request.
            let declares = |stmt: &syn::Stmt| {
                matches!(stmt, syn::Stmt::Local(local)
                    if matches!(&local.pat, syn::Pat::Ident(ident) if ident.ident == "header_map"))
            };
            if block.stmts.iter().any(declares) {
                block.stmts.retain(|stmt| !declares(stmt));
                for stmt in &mut block.stmts {
                    syn::visit_mut::VisitMut::visit_stmt_mut(&mut WithoutHeaderMap, stmt);
                }
            }
        }
        syn::visit_mut::visit_block_mut(self, block);
    }
}

/// Takes `.headers(header_map)` out of a request builder chain.
struct WithoutHeaderMap;

impl syn::visit_mut::VisitMut for WithoutHeaderMap {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Some(call) = headers_call(expr) {
            *expr = (*call.receiver).clone();
        }
    }
}

/// A `<request builder>.headers(header_map)` call.
fn headers_call(expr: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    match expr {
        syn::Expr::MethodCall(call)
            if call.method == "headers"
                && call.args.len() == 1
                && matches!(&call.args[0], syn::Expr::Path(arg) if arg.path.is_ident("header_map")) =>
        {
            Some(call)
        }
        _ => None,
    }
}

/// Whether `header_map.append(..)` / `.insert(..)` is still called
/// anywhere in `block` (also inside nested `if`s).
fn mutates_header_map(block: &syn::Block) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if is_header_map_mutation(call) {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_block(&mut finder, block);
    finder.0
}

fn is_header_map_mutation(call: &syn::ExprMethodCall) -> bool {
    let syn::Expr::Path(receiver) = call.receiver.as_ref() else {
        return false;
    };
    (call.method == "append" || call.method == "insert") && receiver.path.is_ident("header_map")
}

/// The arguments, as text, of a `header_map.append(..)` / `.insert(..)`
/// statement; `None` for any other statement (only these small argument
/// lists are ever turned into text).
fn header_map_call(stmt: &syn::Stmt) -> Option<String> {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_)) = stmt else {
        return None;
    };
    is_header_map_mutation(call).then(|| {
        let args = &call.args;
        quote!(#args).to_string()
    })
}

/// Entry point for a vendor crate's `build.rs`.
///
/// Reads `specs/<vendor>.yaml` (the vendor is the package name without the
/// `chatbots-` prefix), writes the client to `$OUT_DIR/client.rs`, and on a
/// bad spec stops the build with one line naming the file, the operation and
/// the reason.
pub fn build_script() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let package = env("CARGO_PKG_NAME");
    let vendor = package.strip_prefix(CRATE_PREFIX).unwrap_or(&package);
    let spec_path = manifest_dir
        .join("../../specs")
        .join(format!("{vendor}.yaml"));
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
fn run_progenitor(api: &OpenAPI) -> Result<proc_macro2::TokenStream, String> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| Generator::new(&settings()).generate_tokens(api));
    std::panic::set_hook(previous_hook);
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

/// Whether an operation may be sent again after a failure that may or may
/// not have reached the vendor.
pub fn is_retry_safe(method: &str, op: &Operation) -> bool {
    match op.extensions.get(IDEMPOTENT_EXTENSION) {
        Some(serde_json::Value::Bool(explicit)) => *explicit,
        _ => matches!(
            method,
            "get" | "put" | "patch" | "delete" | "head" | "options"
        ),
    }
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
}

/// Every operation in the spec, in path order.
pub fn operations(api: &OpenAPI) -> Vec<OperationSummary> {
    let mut out = Vec::new();
    for (path, item) in api.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            out.push(OperationSummary {
                id: operation_name(method, path, op),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: op.summary.clone(),
                retry_safe: is_retry_safe(method, op),
            });
        }
    }
    out
}

/// The spec's first server URL: the vendor's production base URL.
pub fn default_base_url(api: &OpenAPI) -> Option<&str> {
    api.servers.first().map(|s| s.url.as_str())
}

fn glue(spec: &Spec) -> proc_macro2::TokenStream {
    let vendor = &spec.vendor;
    let base_url = default_base_url(&spec.api).unwrap_or_default();
    // progenitor hands the hooks the snake_case form of the operationId.
    let retry_safe: BTreeMap<String, bool> = operations(&spec.api)
        .into_iter()
        .map(|op| (hook_operation_id(&op.id), op.retry_safe))
        .collect();
    let safe_ids: Vec<&str> = retry_safe
        .iter()
        .filter(|(_, safe)| **safe)
        .map(|(id, _)| id.as_str())
        .collect();
    let retry_safe_body = if safe_ids.is_empty() {
        quote!({
            let _ = operation_id;
            false
        })
    } else {
        quote!(matches!(operation_id, #(#safe_ids)|*))
    };
    let header_auth = header_auth_scheme(&spec.api).map(|scheme| {
        let HeaderScheme { name, header, prefix } = scheme;
        let doc = format!(
            "Credentials as the spec's `{name}` security scheme sends them: `{header}: {prefix}<secret>`."
        );
        quote! {
            #[doc = #doc]
            pub fn header_auth(
                secret: &chatbots_runtime::SecretString,
            ) -> std::result::Result<chatbots_runtime::HeaderAuth, chatbots_runtime::ConfigError> {
                chatbots_runtime::HeaderAuth::new(VENDOR, #header, #prefix, secret)
            }
        }
    });
    let schemas = request_body_schemas(&spec.api);
    let schema_arms = schemas.iter().map(|(id, schema)| {
        quote!(#id => {
            static SCHEMA: std::sync::LazyLock<chatbots_runtime::Schema> =
                std::sync::LazyLock::new(|| {
                    chatbots_runtime::Schema::new(serde_json::from_str(#schema).unwrap_or_default())
                });
            Some(&SCHEMA)
        })
    });
    quote! {
        pub use chatbots_runtime::{ClientConfig, Envelope, RetryPolicy, SecretString, VendorFailure};

        #header_auth

        /// The JSON schema of an operation's request body (by the snake_case
        /// id hooks see), `$ref`s resolved: the documented ranges, enums and
        /// required fields that the generated types do not enforce. See
        /// `chatbots_runtime::Schema`. Compiled once, on first use.
        pub fn request_body_schema(operation_id: &str) -> Option<&'static chatbots_runtime::Schema> {
            match operation_id {
                #(#schema_arms)*
                _ => None,
            }
        }

        /// The vendor name, as in `specs/<vendor>.yaml`.
        pub const VENDOR: &str = #vendor;

        /// The vendor's production base URL (the spec's first `servers` entry).
        pub const DEFAULT_BASE_URL: &str = #base_url;

        /// The runtime state every generated call goes through: auth, retry
        /// policy, tracing.
        pub type Inner = chatbots_runtime::Inner<crate::Auth>;

        /// Whether an operation may be retried after a transient failure
        /// (from the spec: the HTTP method, or `x-chatbots-idempotent`).
        pub fn is_retry_safe(operation_id: &str) -> bool {
            #retry_safe_body
        }

        /// `ResponseValue::from_response`, but the headers are moved out of
        /// the response instead of copied: reading the body does not need
        /// them.
        async fn response_value<T, E>(
            mut response: reqwest::Response,
        ) -> std::result::Result<ResponseValue<T>, Error<E>>
        where
            T: serde::de::DeserializeOwned,
        {
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
            let inner = serde_json::from_slice(&full)
                .map_err(|e| Error::InvalidResponsePayload(full, e))?;
            Ok(ResponseValue::new(inner, status, headers))
        }

        impl ClientHooks<Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> std::result::Result<(), Error<E>> {
                self.inner
                    .prepare(&self.client, &self.baseurl, request, info.operation_id)
                    .await
                    .map_err(|e| Error::Custom(e.to_string()))
            }

            // Returns the runtime's future itself rather than awaiting it in
            // a future of its own, which would move it once more per call.
            #[inline]
            fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
                self.inner.execute(
                    &self.client,
                    request,
                    info.operation_id,
                    is_retry_safe(info.operation_id),
                )
            }
        }

        impl Client {
            /// A client for the production API with default timeouts and retries.
            pub fn from_auth(auth: crate::Auth) -> std::result::Result<Self, chatbots_runtime::ConfigError> {
                Self::with_config(auth, &chatbots_runtime::ClientConfig::default())
            }

            /// A client with explicit settings (base URL, timeouts, retries).
            pub fn with_config(
                auth: crate::Auth,
                config: &chatbots_runtime::ClientConfig,
            ) -> std::result::Result<Self, chatbots_runtime::ConfigError> {
                Self::with_http(auth, config, config.http_client()?)
            }

            /// Like [`Client::with_config`], on an HTTP client built before
            /// (`config.http_client()`), so that several vendor clients can
            /// share one connection pool and TLS set-up.
            pub fn with_http(
                auth: crate::Auth,
                config: &chatbots_runtime::ClientConfig,
                http: reqwest::Client,
            ) -> std::result::Result<Self, chatbots_runtime::ConfigError> {
                let base_url = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
                chatbots_runtime::check_base_url(VENDOR, base_url)?;
                Ok(Self::new_with_client(
                    base_url.trim_end_matches('/'),
                    http,
                    chatbots_runtime::Inner::new(VENDOR, auth, config),
                ))
            }

            /// The runtime state: auth, retry policy, tracing.
            pub fn runtime(&self) -> &Inner {
                &self.inner
            }

            /// Sends a hand-built request for an operation the spec marks
            /// `x-chatbots-manual` (multipart uploads) through the same hooks
            /// as the generated operations, and decodes it the same way.
            #[allow(dead_code)]
            pub(crate) async fn send_manual<T, E>(
                &self,
                mut request: reqwest::Request,
                operation_id: &'static str,
            ) -> std::result::Result<ResponseValue<T>, Error<E>>
            where
                T: serde::de::DeserializeOwned,
                E: serde::de::DeserializeOwned,
            {
                let info = OperationInfo { operation_id };
                self.pre(&mut request, &info).await?;
                let result = self.exec(request, &info).await;
                self.post(&result, &info).await?;
                let response = result?;
                match response.status().as_u16() {
                    200..=299 => response_value(response).await,
                    400..=599 => Err(Error::ErrorResponse(
                        response_value(response).await?,
                    )),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
        }
    }
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

/// Each generated operation's JSON request body schema with every `$ref`
/// inlined, keyed by the snake_case operation id.
pub fn request_body_schemas(api: &OpenAPI) -> BTreeMap<String, String> {
    let prepared = rules::prepare_for_progenitor(api);
    let whole = serde_json::to_value(api).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (path, item) in prepared.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let Some(body) = &op.request_body else {
                continue;
            };
            let body = match body {
                ReferenceOr::Item(body) => serde_json::to_value(body).unwrap_or_default(),
                ReferenceOr::Reference { reference } => resolve(&whole, reference, 0),
            };
            if let Some(schema) = body.pointer("/content/application~1json/schema") {
                let inlined = inline_refs(&whole, schema, 0);
                out.insert(
                    hook_operation_id(&operation_name(method, path, op)),
                    inlined.to_string(),
                );
            }
        }
    }
    out
}

fn resolve(whole: &serde_json::Value, reference: &str, depth: usize) -> serde_json::Value {
    let pointer = reference.trim_start_matches('#');
    whole
        .pointer(pointer)
        .map(|v| inline_refs(whole, v, depth + 1))
        .unwrap_or_default()
}

/// Recursive schemas stop being inlined after a few levels (an open schema).
fn inline_refs(
    whole: &serde_json::Value,
    value: &serde_json::Value,
    depth: usize,
) -> serde_json::Value {
    use serde_json::Value;
    if depth > 8 {
        return Value::Object(Default::default());
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                return resolve(whole, reference, depth);
            }
            Value::Object(
                map.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "example" | "examples" | "description"))
                    .map(|(k, v)| (k.clone(), inline_refs(whole, v, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| inline_refs(whole, v, depth)).collect())
        }
        other => other.clone(),
    }
}
