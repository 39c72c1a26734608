//! The client generated for a small fixture spec, kept in
//! `tests/output/small.rs`: every change of progenitor's output or of our
//! glue shows up as a reviewable diff. After an intended change, regenerate
//! it with `EXPECTORATE=overwrite cargo test -p chatbots-codegen --test snapshot`.

use std::path::Path;

#[test]
fn the_generated_client_for_the_fixture_spec() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let spec = chatbots_codegen::load(&dir.join("fixtures/small.yaml")).unwrap();
    let code = chatbots_codegen::generate(&spec).unwrap();
    expectorate::assert_contents(dir.join("output/small.rs"), &code);
}
