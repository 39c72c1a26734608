//! The vendor registry: the `BEGIN generated: vendors` block of
//! `crates/runtime/src/vendor.rs`, one `vendors!` line per spec.
//!
//! A line is `Variant => "slug", "Title", "ENV_PREFIX";`: the slug is the
//! spec's file stem (its crate, feature and sandbox prefix), the title is the
//! spec's `info.x-chatbots-vendor` (the vendor's name as people write it;
//! required, since nothing else in a spec says it reliably: `info.title` is
//! the API's name), the variant is the title in UpperCamelCase (`OKChat` →
//! `OkChat`) and the environment prefix is the slug in SHOUTY_SNAKE_CASE.

use std::fmt::Write as _;

use chatbots_codegen::Spec;
use heck::{ToShoutySnakeCase, ToUpperCamelCase};

/// The file that holds the block, relative to the workspace root.
pub const FILE: &str = "crates/runtime/src/vendor.rs";
/// The block's name.
pub const BLOCK: &str = "vendors";
/// The spec extension naming the vendor.
pub const TITLE_EXTENSION: &str = "x-chatbots-vendor";

/// One vendor's registry entry.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// The enum variant (`OkChat`).
    pub variant: String,
    /// The slug (`okchat`).
    pub slug: String,
    /// The display name (`OKChat`).
    pub title: String,
    /// The environment prefix (`OKCHAT`).
    pub env_prefix: String,
}

/// The entry of `spec`, or why it has none (naming the spec file).
pub fn entry(spec: &Spec) -> Result<Entry, String> {
    let file = spec.path.display();
    let title = match spec.api.info.extensions.get(TITLE_EXTENSION) {
        Some(serde_json::Value::String(title)) if !title.trim().is_empty() => title.clone(),
        Some(other) => {
            return Err(format!(
                "{file}: info.{TITLE_EXTENSION} must be the vendor's name as a string, got {other}"
            ));
        }
        None => {
            return Err(format!(
                "{file}: info.{TITLE_EXTENSION} is missing: add the vendor's name as people \
                 write it (e.g. `{TITLE_EXTENSION}: OKChat`); it names the `Vendor` variant"
            ));
        }
    };
    let variant = title.to_upper_camel_case();
    let is_ident = variant.starts_with(|c: char| c.is_ascii_alphabetic())
        && variant.chars().all(|c| c.is_ascii_alphanumeric());
    if !is_ident {
        return Err(format!(
            "{file}: info.{TITLE_EXTENSION} `{title}` does not make a Rust enum variant \
             (got `{variant}`; start with a letter, use ASCII letters and digits)"
        ));
    }
    Ok(Entry {
        variant,
        slug: spec.vendor.clone(),
        title,
        env_prefix: spec.vendor.to_shouty_snake_case(),
    })
}

/// The block's body: one line per spec, sorted by file name.
pub fn block(specs: &[Spec]) -> Result<String, String> {
    let mut sorted: Vec<&Spec> = specs.iter().collect();
    sorted.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    let mut entries = Vec::new();
    for spec in sorted {
        entries.push(entry(spec)?);
    }
    for (i, a) in entries.iter().enumerate() {
        if let Some(b) = entries[i + 1..].iter().find(|b| b.variant == a.variant) {
            return Err(format!(
                "specs `{}` and `{}` both make the `Vendor::{}` variant: give them different \
                 info.{TITLE_EXTENSION} names",
                a.slug, b.slug, a.variant
            ));
        }
    }
    let mut out = String::from("vendors! {\n");
    for e in &entries {
        let _ = writeln!(
            out,
            "    {} => {:?}, {:?}, {:?};",
            e.variant, e.slug, e.title, e.env_prefix
        );
    }
    out.push_str("}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn load(path: &Path) -> Spec {
        chatbots_codegen::load(path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn todays_specs() -> Vec<Spec> {
        let dir = crate::workspace_root().join("specs");
        chatbots_codegen::spec_paths(&dir)
            .expect("specs/")
            .iter()
            .map(|p| load(p))
            .collect()
    }

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acme-bots.yaml")
    }

    #[test]
    fn todays_block_is_what_vendor_rs_holds() {
        let block = block(&todays_specs()).expect("block");
        // One line per spec, in file-name order.
        assert_eq!(block.lines().count(), todays_specs().len() + 2, "{block}");
        let held = std::fs::read_to_string(crate::workspace_root().join(FILE)).expect(FILE);
        assert!(held.contains(&block), "{FILE} lacks:\n{block}");
    }

    #[test]
    fn a_sixth_spec_gets_its_line_in_file_name_order() {
        let mut specs = todays_specs();
        specs.push(load(&fixture()));
        let block = block(&specs).expect("block");
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(
            lines[1],
            "    AcmeBots => \"acme-bots\", \"ACME Bots\", \"ACME_BOTS\";"
        );
        assert_eq!(lines.len(), 8, "{block}");
        assert!(lines[2].starts_with("    Converza =>"), "{block}");
    }

    #[test]
    fn a_spec_without_its_vendor_name_is_an_error_naming_the_file() {
        let mut spec = load(&fixture());
        spec.api.info.extensions.shift_remove(TITLE_EXTENSION);
        let err = entry(&spec).expect_err("no title");
        assert!(err.contains("acme-bots.yaml"), "{err}");
        assert!(err.contains("info.x-chatbots-vendor is missing"), "{err}");

        spec.api
            .info
            .extensions
            .insert(TITLE_EXTENSION.into(), serde_json::json!(42));
        let err = entry(&spec).expect_err("not a string");
        assert!(
            err.contains("acme-bots.yaml") && err.contains("got 42"),
            "{err}"
        );

        spec.api
            .info
            .extensions
            .insert(TITLE_EXTENSION.into(), serde_json::json!("9 Lives"));
        let err = entry(&spec).expect_err("not an identifier");
        assert!(err.contains("does not make a Rust enum variant"), "{err}");
    }

    #[test]
    fn two_specs_with_one_variant_are_refused() {
        let mut a = load(&fixture());
        let mut b = load(&fixture());
        a.vendor = "acme".into();
        a.path = "specs/acme.yaml".into();
        b.path = "specs/acme-bots.yaml".into();
        let err = block(&[a, b]).expect_err("duplicate");
        assert!(err.contains("`Vendor::AcmeBots`"), "{err}");
    }
}
