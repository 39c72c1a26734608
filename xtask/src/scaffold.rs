//! The crate a new spec gets: a manifest, a one-line build script, a lib.rs
//! whose only hand-written part is the vendor's auth, and the spec itself as
//! a symbolic link `crates/<vendor>/<vendor>.yaml -> ../../specs/<vendor>.yaml`
//! (so that the spec travels inside the crate's package and `specs/` stays
//! the one source).

use std::path::{Path, PathBuf};

use chatbots_codegen::{Spec, header_auth_scheme};

use crate::{Change, Contents};

/// The files of `crates/<vendor>/` that are missing: all of them for a new
/// crate; the spec link alone for an existing crate without it.
pub fn missing_files(root: &Path, spec: &Spec) -> Vec<Change> {
    let dir = root.join("crates").join(&spec.vendor);
    let vendor = &spec.vendor;
    let link = spec_link(root, vendor);
    if dir.exists() {
        return link.into_iter().collect();
    }
    let title = &spec.api.info.title;
    let why = format!("new crate for specs/{vendor}.yaml");
    let file = |name: &str, contents: String| Change {
        path: dir.join(name),
        contents: Contents::Text(contents),
        why: why.clone(),
    };
    let mut files = vec![
        file("Cargo.toml", manifest(vendor, title)),
        file("build.rs", BUILD_RS.to_string()),
        file("src/lib.rs", lib_rs(spec)),
    ];
    files.extend(link);
    files
}

/// Where `crates/<vendor>/<vendor>.yaml` must point.
pub fn spec_link_target(vendor: &str) -> PathBuf {
    Path::new("../../specs").join(format!("{vendor}.yaml"))
}

/// The spec link of `crates/<vendor>/`, if it is missing or points
/// elsewhere.
fn spec_link(root: &Path, vendor: &str) -> Option<Change> {
    let path = root
        .join("crates")
        .join(vendor)
        .join(format!("{vendor}.yaml"));
    let target = spec_link_target(vendor);
    let why = match std::fs::read_link(&path) {
        Ok(actual) if actual == target => return None,
        Ok(actual) => format!(
            "points to {} instead of {}",
            actual.display(),
            target.display()
        ),
        Err(_) => format!(
            "must be a symbolic link to {} (the spec inside the crate's package)",
            target.display()
        ),
    };
    Some(Change {
        path,
        contents: Contents::Symlink(target),
        why,
    })
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
repository.workspace = true
readme.workspace = true
keywords.workspace = true
categories.workspace = true

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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Spec {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acme-bots.yaml");
        chatbots_codegen::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A scratch workspace root under the target directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = crate::workspace_root()
            .join("target")
            .join("xtask-tests")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("specs")).expect("scratch dir");
        dir
    }

    #[test]
    fn a_new_spec_gets_a_publishable_crate_with_its_spec_linked() {
        let root = scratch("new-crate");
        let changes = missing_files(&root, &fixture());
        let names: Vec<String> = changes
            .iter()
            .map(|c| c.path.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "crates/acme-bots/Cargo.toml",
                "crates/acme-bots/build.rs",
                "crates/acme-bots/src/lib.rs",
                "crates/acme-bots/acme-bots.yaml"
            ]
        );
        let Contents::Text(manifest) = &changes[0].contents else {
            panic!("a manifest is text");
        };
        let manifest: toml_edit::DocumentMut = manifest.parse().expect("valid TOML");
        for key in [
            "description",
            "license",
            "repository",
            "readme",
            "keywords",
            "categories",
        ] {
            assert!(manifest["package"].get(key).is_some(), "package.{key}");
        }
        assert!(manifest["package"].get("publish").is_none());
        assert_eq!(manifest["lints"]["workspace"].as_bool(), Some(true));

        for change in &changes {
            std::fs::create_dir_all(change.path.parent().unwrap()).unwrap();
            change.write().expect("written");
        }
        let link = root.join("crates/acme-bots/acme-bots.yaml");
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("../../specs/acme-bots.yaml")
        );
        assert!(missing_files(&root, &fixture()).is_empty(), "idempotent");
    }

    #[test]
    fn an_existing_crate_without_its_spec_link_drifts() {
        let root = scratch("missing-link");
        let dir = root.join("crates/acme-bots");
        std::fs::create_dir_all(&dir).unwrap();
        let changes = missing_files(&root, &fixture());
        assert_eq!(changes.len(), 1);
        assert!(
            changes[0].why.contains("symbolic link"),
            "{}",
            changes[0].why
        );

        // A copy instead of the link is drift too, and is replaced.
        std::fs::write(dir.join("acme-bots.yaml"), "copy").unwrap();
        let changes = missing_files(&root, &fixture());
        assert_eq!(changes.len(), 1);
        changes[0].write().expect("replaced");
        assert!(missing_files(&root, &fixture()).is_empty());
    }
}
