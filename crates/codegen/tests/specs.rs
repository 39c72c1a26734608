//! Every request body schema of every spec in `specs/` converts to JSON
//! Schema and compiles with the engine the runtime validates with: the
//! guarantee vendor build scripts no longer give (they link no schema
//! engine, see `BENCHMARKS.md`, build cost). `cargo xtask check` runs the
//! same check in CI.

use std::path::{Path, PathBuf};

use chatbots_codegen::{SpecError, check_request_schemas, load, spec_paths};

/// As `chatbots_runtime::Schema::try_new` compiles a request schema: draft
/// 2020-12, formats checked.
fn compile(schema: &serde_json::Value) -> Result<(), jsonschema::ValidationError<'static>> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map(drop)
}

/// Loads `path` and compiles each of its request schemas.
fn check_file(path: &Path) -> Result<usize, SpecError> {
    check_request_schemas(&load(path)?, compile)
}

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

#[test]
fn every_request_schema_in_specs_compiles() {
    let paths = spec_paths(&specs_dir()).expect("specs/ is listable");
    assert!(!paths.is_empty(), "specs/ holds no spec");
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &paths {
        match check_file(path) {
            Ok(n) => checked += n,
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every vendor has at least one JSON request body (its update).
    assert!(checked >= paths.len(), "only {checked} schemas checked");
}

#[test]
fn a_bad_request_schema_is_reported_naming_the_file_and_the_operation() {
    let dir = std::env::temp_dir().join(format!("codegen-specs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("badvendor.yaml");
    std::fs::write(
        &file,
        "openapi: 3.0.3
info: {title: Bad, version: 1.0.0}
paths:
  /bots:
    patch:
      operationId: updateBot
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string, pattern: '(unclosed'}}}
      responses:
        '200': {description: ok}
",
    )
    .expect("spec written");
    let line = check_file(&file)
        .expect_err("an unclosed group does not compile")
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.contains("badvendor.yaml"), "names the file: {line}");
    assert!(line.contains("`updateBot`"), "names the operation: {line}");
    assert!(line.contains("request schema does not compile"), "{line}");
}
