//! The crate a new spec gets: a manifest, a one-line build script and a
//! lib.rs whose only hand-written part is the vendor's auth.

use std::path::Path;

use chatbots_codegen::{Spec, header_auth_scheme};

use crate::Change;

/// The files of `crates/<vendor>/`, if that crate does not exist yet.
pub fn missing_files(root: &Path, spec: &Spec) -> Vec<Change> {
    let dir = root.join("crates").join(&spec.vendor);
    if dir.exists() {
        return Vec::new();
    }
    let vendor = &spec.vendor;
    let title = &spec.api.info.title;
    let why = format!("new crate for specs/{vendor}.yaml");
    let file = |name: &str, contents: String| Change {
        path: dir.join(name),
        contents,
        why: why.clone(),
    };
    vec![
        file("Cargo.toml", manifest(vendor, title)),
        file("build.rs", BUILD_RS.to_string()),
        file("src/lib.rs", lib_rs(spec)),
    ]
}

const BUILD_RS: &str = "fn main() {\n    chatbots_codegen::build_script();\n}\n";

fn manifest(vendor: &str, title: &str) -> String {
    format!(
        r#"[package]
name = "chatbots-{vendor}"
description = "Typed client for {title}, generated from specs/{vendor}.yaml."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lints]
workspace = true

[dependencies]
chatbots-runtime.workspace = true
progenitor-client.workspace = true
reqwest.workspace = true
serde.workspace = true
serde_json.workspace = true
chrono.workspace = true
uuid.workspace = true

[build-dependencies]
chatbots-codegen.workspace = true

[dev-dependencies]
tokio = {{ workspace = true, features = ["full"] }}
wiremock.workspace = true
"#
    )
}

fn lib_rs(spec: &Spec) -> String {
    let vendor = &spec.vendor;
    let title = &spec.api.info.title;
    let auth = match header_auth_scheme(&spec.api) {
        Some(scheme) => format!(
            "/// How {title} requests are authenticated: one header, `{}: {}<secret>`\n\
             /// (build it with [`header_auth`]).\n\
             pub type Auth = chatbots_runtime::HeaderAuth;\n",
            scheme.header, scheme.prefix
        ),
        None => "// TODO(auth): the spec's security scheme is not a single header; implement\n\
                 // `chatbots_runtime::Authenticate` for a type named `Auth` here.\n\
                 pub type Auth = chatbots_runtime::HeaderAuth;\n"
            .to_string(),
    };
    format!(
        r#"//! Typed client for {title}, generated at build time from
//! `specs/{vendor}.yaml` by `chatbots-codegen`.
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));

// Auth: the one thing the spec cannot do for us.
{auth}"#
    )
}
