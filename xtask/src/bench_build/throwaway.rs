//! The throwaway crates the consumer and TLS steps build: outside the
//! workspace, with its lock file and its `[profile.*]` sections.

use std::path::Path;

use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

/// Writes a throwaway crate with the workspace's lock file (same versions,
/// and offline-friendly).
pub(super) fn write_crate(
    root: &Path,
    dir: &Path,
    manifest: &str,
    main: &str,
) -> Result<(), String> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("cannot create {}: {e}", src.display()))?;
    let files = [
        (dir.join("Cargo.toml"), manifest.to_string()),
        (src.join("main.rs"), main.to_string()),
        (dir.join("Cargo.lock"), read(&root.join("Cargo.lock"))?),
    ];
    for (path, contents) in files {
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The workspace's root manifest, parsed.
pub(super) fn root_manifest(root: &Path) -> Result<DocumentMut, String> {
    let path = root.join("Cargo.toml");
    read(&path)?
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The inline table of `name` in `[workspace.dependencies]`.
pub(super) fn workspace_dependency<'a>(
    manifest: &'a DocumentMut,
    name: &str,
) -> Result<&'a InlineTable, String> {
    manifest
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(name))
        .and_then(Item::as_inline_table)
        .ok_or_else(|| {
            format!("root Cargo.toml: no `{name} = {{ … }}` in [workspace.dependencies]")
        })
}

/// The manifest of a throwaway crate named `name`: outside the workspace,
/// with `dependencies` and the workspace's `[profile.*]` sections (so that
/// dependencies are built as the workspace builds them).
pub(super) fn throwaway_manifest(
    workspace: &DocumentMut,
    name: &str,
    dependencies: Table,
) -> String {
    let mut package = Table::new();
    package.insert("name", value(name));
    package.insert("version", value("0.0.0"));
    package.insert("edition", value("2024"));
    package.insert("publish", value(false));
    let mut manifest = DocumentMut::new();
    manifest.insert("package", Item::Table(package));
    // An empty [workspace]: not a member of the chatbots workspace.
    manifest.insert("workspace", Item::Table(Table::new()));
    manifest.insert("dependencies", Item::Table(dependencies));
    if let Some(profile) = workspace.get("profile") {
        manifest.insert("profile", profile.clone());
    }
    manifest.to_string()
}

pub(super) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_build::steps::is_tls_feature;

    #[test]
    fn throwaway_manifest_keeps_the_profiles_and_escapes_values() {
        let workspace: DocumentMut = concat!(
            "[workspace.dependencies]\n",
            r#"reqwest = { version = "0.13.4", default-features = false, features = ["json", "rustls-no-provider"] }"#,
            "\n\n[profile.dev.package.\"*\"]\ndebug = false\n",
        )
        .parse()
        .expect("valid TOML");
        let reqwest = workspace_dependency(&workspace, "reqwest").expect("reqwest");
        assert_eq!(
            reqwest.get("version").and_then(|v| v.as_str()),
            Some("0.13.4")
        );
        let mut dependencies = Table::new();
        let mut dep = InlineTable::new();
        dep.insert("path", r#"C:\odd "dir""#.into());
        dependencies.insert("chatbots", value(dep));
        let text = throwaway_manifest(&workspace, "bench-x", dependencies);
        let parsed: DocumentMut = text.parse().expect("the manifest is valid TOML");
        assert_eq!(parsed["package"]["name"].as_str(), Some("bench-x"));
        assert!(parsed["workspace"].is_table(), "{text}");
        assert_eq!(
            parsed["dependencies"]["chatbots"]["path"].as_str(),
            Some(r#"C:\odd "dir""#)
        );
        assert_eq!(
            parsed["profile"]["dev"]["package"]["*"]["debug"].as_bool(),
            Some(false),
            "{text}"
        );
        assert!(workspace_dependency(&workspace, "rustls").is_err());
        assert!(is_tls_feature("rustls-no-provider") && is_tls_feature("native-tls"));
        assert!(!is_tls_feature("json"));
    }
}
