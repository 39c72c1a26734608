//! A spec that cannot be generated fails with one line naming the file, the
//! operation and the reason; a good one generates our glue.

use std::path::PathBuf;

use chatbots_codegen::{Spec, SpecError, generate, load};

const HEADER: &str = "openapi: 3.0.3
info: {title: Test, version: 1.0.0}
servers: [{url: 'https://vendor.invalid/v1'}]
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Err: {type: object, properties: {message: {type: string}}}
    Ok: {type: object, properties: {status: {type: string}}}
paths:
";

const GOOD_OP: &str = "  /things/{id}:
    post:
      operationId: editThing
      description: |
        Sets a thing's count.

        Retry-safe: the count is an absolute value,
        so a second send changes nothing.
      x-chatbots-idempotent: true
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {count: {type: integer}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
        '404': {description: nf, content: {application/json: {schema: {$ref: '#/components/schemas/Err'}}}}
        '4XX': {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/Err'}}}}
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
  /things:
    post:
      operationId: createThing
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
";

fn spec(paths: &str) -> Result<Spec, SpecError> {
    let dir = std::env::temp_dir().join(format!("codegen-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let file: PathBuf = dir.join(format!(
        "vendor{}.yaml",
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::write(&file, format!("{HEADER}{paths}")).unwrap();
    load(&file)
}

fn failure(paths: &str) -> String {
    let spec = spec(paths).expect("parses");
    let err = generate(&spec).expect_err("must not generate");
    let line = err.to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.contains(".yaml"), "names the file: {line}");
    line
}

#[test]
fn good_spec_generates_client_and_glue() {
    let spec = spec(GOOD_OP).unwrap();
    assert!(chatbots_codegen::check(&spec).is_empty());
    let code = generate(&spec).unwrap();
    assert!(
        code.contains("default_base_url: \"https://vendor.invalid/v1\""),
        "{code}"
    );
    // Hooks receive snake_case ids; POST edit is retry-safe by extension,
    // GET by method, the POST create is not.
    assert!(
        code.contains("Operation::new(\n        \"edit_thing\",\n        true,"),
        "{code}"
    );
    assert!(code.contains("Operation::new(\"get_thing\", true, None)"));
    assert!(code.contains("Operation::new(\"create_thing\", false, None)"));
    // The header auth comes from the security scheme.
    assert!(code.contains("header_auth: { scheme: \"key\", header: \"x-key\", prefix: \"\" }"));
    // The 404 covered by 4XX is not generated as an unreachable arm.
    assert!(!code.contains("404u16"));
}

#[test]
fn two_success_bodies_are_refused_naming_the_operation() {
    let line = failure(
        "  /a:
    get:
      operationId: twoBodies
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
        '201': {description: b, content: {application/json: {schema: {$ref: '#/components/schemas/Err'}}}}
",
    );
    assert!(
        line.contains("`twoBodies`") && line.contains("success body"),
        "{line}"
    );
}

#[test]
fn missing_and_duplicate_operation_ids_are_refused() {
    let line = failure(
        "  /a:
    get:
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
",
    );
    assert!(
        line.contains("GET /a") && line.contains("operationId"),
        "{line}"
    );
    let line = failure(
        "  /a:
    get:
      operationId: same
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
  /b:
    get:
      operationId: same
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
",
    );
    assert!(line.contains("used twice"), "{line}");
}

#[test]
fn body_less_error_next_to_json_error_is_refused() {
    let line = failure(
        "  /a:
    get:
      operationId: mixedErrors
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
        '400': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Err'}}}}
        '404': {description: nothing}
",
    );
    assert!(
        line.contains("`mixedErrors`") && line.contains("error body"),
        "{line}"
    );
}

#[test]
fn multipart_needs_the_manual_marker() {
    let multipart = "  /upload:
    post:
      operationId: upload
      MARK
      requestBody:
        content:
          multipart/form-data:
            schema: {type: object, properties: {file: {type: string, format: binary}}}
      responses:
        '200': {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Ok'}}}}
";
    let line = failure(&multipart.replace("MARK", "summary: upload"));
    assert!(
        line.contains("`upload`") && line.contains("x-chatbots-manual"),
        "{line}"
    );

    let spec = spec(&format!(
        "{}{GOOD_OP}",
        multipart.replace("MARK", "x-chatbots-manual: true")
    ))
    .unwrap();
    let code = generate(&spec).unwrap();
    assert!(
        !code.contains("pub fn upload("),
        "manual operations are not generated"
    );
    assert!(code.contains("pub fn edit_thing("));
}

#[test]
fn closed_objects_are_refused() {
    let line = failure(
        "  /a:
    get:
      operationId: closed
      responses:
        '200': {description: a, content: {application/json: {schema: {type: object, additionalProperties: false}}}}
",
    );
    assert!(line.contains("additionalProperties"), "{line}");
}

#[test]
fn a_progenitor_failure_is_one_line_naming_the_operation_not_a_panic() {
    let line = failure(&format!(
        "{GOOD_OP}  /broken:
    get:
      operationId: brokenRef
      responses:
        '200': {{description: a, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Missing'}}}}}}}}
"
    ));
    assert!(line.contains("`brokenRef`"), "{line}");
}

#[test]
fn yaml_that_is_not_openapi_is_a_clear_error() {
    let dir = std::env::temp_dir();
    let file = dir.join(format!("not-openapi-{}.yaml", std::process::id()));
    std::fs::write(&file, "hello: world\n").unwrap();
    let err = load(&file).err().expect("refused");
    assert!(err.to_string().contains("not a valid OpenAPI 3.0 document"));
}

/// A spec whose one operation has `schema` as its JSON request body.
fn with_request_schema(schema: &str) -> String {
    format!(
        "  /bots:
    patch:
      operationId: updateBot
      requestBody:
        content:
          application/json:
            schema: {schema}
      responses:
        '200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Ok'}}}}}}}}
"
    )
}

fn request_schema(schema: &str) -> serde_json::Value {
    let spec = spec(&with_request_schema(schema)).unwrap();
    let schemas = chatbots_codegen::request_body_schemas(&spec).unwrap();
    serde_json::from_str(&schemas["update_bot"]).unwrap()
}

#[test]
fn a_property_named_description_is_kept_in_the_request_schema() {
    let schema = request_schema(
        "{type: object, description: A bot, example: {description: x}, properties: {description: {type: string, maxLength: 5, example: hello}, example: {type: integer}}}",
    );
    assert_eq!(
        schema,
        serde_json::json!({
            "type": "object",
            "description": "A bot",
            "properties": {
                "description": {"type": "string", "maxLength": 5},
                "example": {"type": "integer"},
            },
        })
    );
}

#[test]
fn nullable_becomes_a_null_type_in_the_request_schema() {
    let schema = request_schema(
        "{type: object, properties: {role: {type: string, enum: [a, b], nullable: true}}}",
    );
    assert_eq!(
        schema["properties"]["role"],
        serde_json::json!({"type": ["string", "null"], "enum": ["a", "b", null]})
    );
}

/// A request schema that converts but does not compile generates (the build
/// script links no schema engine) and is refused by the compile check that
/// `cargo xtask check` and `tests/specs.rs` run; one that cannot even be
/// converted stops generation.
#[test]
fn a_request_schema_that_does_not_compile_is_refused_naming_the_operation() {
    let bad = spec(&with_request_schema(
        "{type: object, properties: {name: {type: string, pattern: '(unclosed'}}}",
    ))
    .expect("parses");
    let err = chatbots_codegen::check_request_schemas(&bad, |schema| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema)
            .map(drop)
    })
    .expect_err("must not compile");
    let line = err.to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.contains(".yaml"), "names the file: {line}");
    assert!(
        line.contains("`updateBot`") && line.contains("request schema does not compile"),
        "{line}"
    );
    let line = failure(&with_request_schema(
        "{$ref: '#/components/schemas/Missing'}",
    ));
    assert!(
        line.contains("`updateBot`") && line.contains("points to nothing"),
        "{line}"
    );
}

/// A spec progenitor panics on (a `$ref` to a schema that does not exist).
fn panicking_spec() -> String {
    format!(
        "{GOOD_OP}  /broken:
    get:
      operationId: brokenRef
      responses:
        '200': {{description: a, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Missing'}}}}}}}}
"
    )
}

/// Generation catches progenitor's panics without swapping the
/// process-wide panic hook, so that generations on several threads (tests,
/// build scripts) neither race over the hook nor lose another thread's
/// panic: each names its failing operation, and the hook installed before
/// is still the one in place after.
#[test]
fn concurrent_generations_of_a_bad_spec_each_name_the_operation() {
    let lines: Vec<String> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| failure(&panicking_spec())))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for line in &lines {
        assert!(line.contains("`brokenRef`"), "{line}");
    }
}

/// The panic hook a caller installed survives a generation that catches a
/// panic, sees that panic, and still sees another thread's panic after.
#[test]
fn the_callers_panic_hook_is_left_in_place() {
    use std::sync::Mutex;
    // One test of this binary may touch the hook: this one. It notes the
    // names of the threads that panic (other tests' threads are unnamed
    // here or named after their test) and passes on to the default hook.
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let name = std::thread::current().name().unwrap_or("").to_owned();
        SEEN.lock().unwrap().push(name);
        default(info);
    }));
    let named = |name: &str, f: fn()| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(f)
            .unwrap()
            .join()
    };
    let seen = |name: &str| SEEN.lock().unwrap().iter().any(|n| n == name);
    named("generates-a-bad-spec", || {
        let line = failure(&panicking_spec());
        assert!(line.contains("`brokenRef`"), "{line}");
    })
    .unwrap();
    assert!(
        seen("generates-a-bad-spec"),
        "progenitor's panic reached the caller's hook"
    );
    assert!(named("panics-after", || panic!("another panic")).is_err());
    assert!(seen("panics-after"), "the caller's hook is still installed");
}

/// One operation `METHOD /m` with `extra` lines (description, mark).
fn one_op(method: &str, extra: &str) -> String {
    format!(
        "  /m:
    {method}:
      operationId: op
{extra}      responses:
        '200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Ok'}}}}}}}}
"
    )
}

/// GET, HEAD, PUT, DELETE and OPTIONS are retry-safe by HTTP's definition;
/// PATCH and POST only with the mark and a reason, which the summary
/// (`cargo xtask check` prints it) carries.
#[test]
fn retry_safety_is_decided_by_method_or_by_a_reasoned_mark() {
    let reasoned = "      description: \"Sets it.\\n\\nRetry-safe: it sets absolute values only.\"
      x-chatbots-idempotent: true
";
    let off = "      x-chatbots-idempotent: false\n";
    // (method, extra lines, retry-safe, words of the reason)
    let cases = [
        ("get", "", true, "GET is idempotent"),
        ("head", "", true, "HEAD is idempotent"),
        ("put", "", true, "PUT is idempotent"),
        ("delete", "", true, "DELETE is idempotent"),
        ("options", "", true, "OPTIONS is idempotent"),
        ("patch", "", false, "PATCH is not idempotent"),
        ("post", "", false, "POST is not idempotent"),
        ("patch", reasoned, true, "it sets absolute values only."),
        ("post", reasoned, true, "it sets absolute values only."),
        ("get", off, false, "marked `x-chatbots-idempotent: false`"),
        ("put", off, false, "marked `x-chatbots-idempotent: false`"),
    ];
    for (method, extra, retry_safe, reason) in cases {
        let spec = spec(&one_op(method, extra)).unwrap();
        assert!(
            chatbots_codegen::check(&spec).is_empty(),
            "{method} {extra}"
        );
        let ops = chatbots_codegen::operations(&spec.api);
        assert_eq!(ops[0].retry_safe, retry_safe, "{method} {extra}");
        assert!(ops[0].retry_reason.contains(reason), "{method}: {ops:?}");
        let code = generate(&spec).unwrap();
        let generated = format!("Operation::new(\"op\", {retry_safe}, ");
        assert!(code.contains(&generated), "{method} {extra}: {code}");
    }
}

/// The mark without a reason (or with a token one), a reason without the
/// mark, and a mark that is not a boolean are refused, naming file,
/// operation and rule.
#[test]
fn an_unreasoned_mark_is_refused() {
    let cases = [
        ("      x-chatbots-idempotent: true\n", "needs a reason"),
        (
            "      description: Sets it, safely.\n      x-chatbots-idempotent: true\n",
            "needs a reason",
        ),
        (
            "      description: \"Retry-safe: yes\"\n      x-chatbots-idempotent: true\n",
            "too short",
        ),
        (
            "      description: \"Retry-safe: it sets absolute values.\"\n",
            "not marked",
        ),
        (
            "      description: \"Retry-safe: it sets absolute values.\"\n      x-chatbots-idempotent: false\n",
            "not marked",
        ),
        ("      x-chatbots-idempotent: 'yes'\n", "`true` or `false`"),
    ];
    for method in ["patch", "post", "get"] {
        for (extra, rule) in cases {
            let line = failure(&one_op(method, extra));
            assert!(line.contains("operation `op`"), "{line}");
            assert!(line.contains(rule), "{method} {extra}: {line}");
            let spec = spec(&one_op(method, extra)).unwrap();
            let ops = chatbots_codegen::operations(&spec.api);
            if method != "get" {
                assert!(!ops[0].retry_safe, "a refused mark retries nothing");
            }
        }
    }
}
