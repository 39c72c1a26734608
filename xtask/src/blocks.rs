//! Blocks of hand-maintained files that are derived from specs/. Each block
//! sits between a `BEGIN generated: <name>` and an `END generated: <name>`
//! line; everything outside the markers is left alone.

use std::path::Path;

use chatbots_codegen::{Spec, default_base_url, operations};

use crate::{Change, Contents, capabilities, vendors};

/// Every block whose contents differ from what the specs say.
pub fn updates(root: &Path, specs: &[Spec]) -> Result<Vec<Change>, String> {
    let vendors: Vec<&str> = specs.iter().map(|s| s.vendor.as_str()).collect();
    let mut changes = Vec::new();

    sync(
        root,
        vendors::FILE,
        &[(vendors::BLOCK, vendors::block(specs)?)],
        true,
        &mut changes,
    )?;

    // Versioned, so that `cargo package` keeps the dependency (a path alone
    // is dropped from a packaged manifest).
    let version = workspace_version(root)?;
    let workspace_deps = vendors
        .iter()
        .map(|v| format!("chatbots-{v} = {{ path = \"crates/{v}\", version = \"{version}\" }}\n"))
        .collect::<String>();
    sync(
        root,
        "Cargo.toml",
        &[("vendor crates", workspace_deps)],
        true,
        &mut changes,
    )?;

    let features = format!(
        "default = [{}]\n{}",
        vendors
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", "),
        vendors
            .iter()
            .map(|v| format!("{v} = [\"dep:chatbots-{v}\"]\n"))
            .collect::<String>()
    );
    let facade_deps = vendors
        .iter()
        .map(|v| format!("chatbots-{v} = {{ workspace = true, optional = true }}\n"))
        .collect::<String>();
    sync(
        root,
        "crates/chatbots/Cargo.toml",
        &[
            ("vendor features", features),
            ("vendor dependencies", facade_deps),
        ],
        false,
        &mut changes,
    )?;

    let capability_table = capabilities::block(root)?;
    sync(
        root,
        "README.md",
        &[
            ("endpoints", endpoint_table(specs)),
            (capabilities::BLOCK, capability_table.clone()),
        ],
        true,
        &mut changes,
    )?;
    // The facade's docs.rs front page includes the same table.
    sync(
        root,
        "crates/chatbots/CAPABILITIES.md",
        &[(capabilities::BLOCK, capability_table)],
        true,
        &mut changes,
    )?;
    Ok(changes)
}

fn endpoint_table(specs: &[Spec]) -> String {
    let mut out = String::new();
    for spec in specs {
        let ops = operations(&spec.api);
        out.push_str(&format!(
            "\n**{}** (`specs/{}.yaml`, crate `chatbots-{}`, default base URL `{}`): {} operations\n\n",
            spec.api.info.title,
            spec.vendor,
            spec.vendor,
            default_base_url(&spec.api).unwrap_or("-"),
            ops.len()
        ));
        out.push_str(
            "| operationId | Method | Path | Summary | Retried |\n|---|---|---|---|---|\n",
        );
        for op in ops {
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {} |\n",
                op.id,
                op.method,
                op.path,
                op.summary.unwrap_or_default().replace('|', "\\|"),
                if op.retry_safe { "yes" } else { "no" }
            ));
        }
    }
    out.push('\n');
    out
}

fn sync(
    root: &Path,
    file: &str,
    blocks: &[(&str, String)],
    required: bool,
    changes: &mut Vec<Change>,
) -> Result<(), String> {
    let path = root.join(file);
    let original = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) if !required => return Ok(()),
        Err(e) => return Err(format!("cannot read {file}: {e}")),
    };
    let mut text = original.clone();
    let mut stale = Vec::new();
    for (name, body) in blocks {
        let replaced = replace_block(&text, name, body).ok_or_else(|| {
            format!("{file} has no `BEGIN generated: {name}` / `END generated: {name}` markers")
        })?;
        if replaced != text {
            stale.push(*name);
            text = replaced;
        }
    }
    if !stale.is_empty() {
        changes.push(Change {
            path,
            contents: Contents::Text(text),
            why: format!(
                "block(s) {} differ from specs/ and the facade",
                stale.join(", ")
            ),
        });
    }
    Ok(())
}

/// `[workspace.package] version` of the root manifest: every crate's version.
fn workspace_version(root: &Path) -> Result<String, String> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(toml_edit::Item::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no [workspace.package] version", path.display()))
}

/// `text` with the lines between the two markers replaced by `body`.
fn replace_block(text: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("BEGIN generated: {name}");
    let end = format!("END generated: {name}");
    let start = text.find(&begin)?;
    let body_start = start + text[start..].find('\n')? + 1;
    let end_at = body_start + text[body_start..].find(&end)?;
    let end_line_start = text[..end_at].rfind('\n').map_or(0, |i| i + 1);
    Some(format!(
        "{}{}{}",
        &text[..body_start],
        body,
        &text[end_line_start..]
    ))
}

#[cfg(test)]
mod tests {
    use super::replace_block;
    use crate::capabilities;

    #[test]
    fn replaces_only_between_markers_and_is_idempotent() {
        let text = "a\n# BEGIN generated: x\nold\n# END generated: x\nb\n";
        let once = replace_block(text, "x", "new\n").unwrap();
        assert_eq!(
            once,
            "a\n# BEGIN generated: x\nnew\n# END generated: x\nb\n"
        );
        assert_eq!(replace_block(&once, "x", "new\n").unwrap(), once);
        assert!(replace_block(text, "y", "new\n").is_none());
    }

    #[test]
    fn the_readme_holds_the_generated_capability_table() {
        let readme = std::fs::read_to_string(crate::workspace_root().join("README.md")).unwrap();
        let replaced = replace_block(&readme, capabilities::BLOCK, "X\n").expect("markers");
        assert!(replaced.contains("capabilities (cargo xtask generate) -->\nX\n<!-- END"));
        // The table itself sits between the markers, nowhere else.
        assert_eq!(readme.matches("| field |").count(), 1);
        assert!(!replaced.contains("| field |"));
    }
}
