//! [`Operation`]: what the runtime needs to know of one operation of a
//! spec. `chatbots-codegen` writes one `static` per operation into each
//! vendor crate's `operations` module.

use std::sync::OnceLock;

use crate::{Schema, SchemaError};

/// One operation of a vendor spec: its id, whether it may be sent twice, and
/// its JSON request body schema.
#[derive(Debug)]
pub struct Operation {
    /// The operation id as progenitor's hooks see it (snake_case:
    /// `updateChatbot` → `update_chatbot`).
    pub id: &'static str,
    /// Whether it may be retried after a failure that may or may not have
    /// reached the vendor (from the spec: the HTTP method, or
    /// `x-chatbots-idempotent`).
    pub retry_safe: bool,
    /// The JSON Schema (draft 2020-12) of its `application/json` request
    /// body, as text. Written by `chatbots-codegen`, which converts but does
    /// not compile it (build scripts link no schema engine); `cargo xtask
    /// check` and codegen's tests compile every spec's schemas.
    pub request_schema_json: Option<&'static str>,
    compiled: OnceLock<Result<Schema, SchemaError>>,
}

impl Operation {
    /// An operation; for generated code.
    pub const fn new(
        id: &'static str,
        retry_safe: bool,
        request_schema_json: Option<&'static str>,
    ) -> Self {
        Self {
            id,
            retry_safe,
            request_schema_json,
            compiled: OnceLock::new(),
        }
    }

    /// The request body schema, compiled on first use: `Ok(None)` when the
    /// operation has no JSON request body.
    ///
    /// # Errors
    ///
    /// When the schema text does not parse or compile (a vendor crate built
    /// from a spec that `cargo xtask check` would refuse), on this and every
    /// later call: a body is then refused, never sent unchecked.
    pub fn request_schema(&'static self) -> Result<Option<&'static Schema>, SchemaError> {
        let Some(json) = self.request_schema_json else {
            return Ok(None);
        };
        let compiled = self.compiled.get_or_init(|| {
            let schema = serde_json::from_str(json)
                .map_err(|e| SchemaError::new(format!("not JSON: {e}")))?;
            Schema::try_new(schema)
        });
        match compiled {
            Ok(schema) => Ok(Some(schema)),
            Err(e) => Err(e.for_operation(self.id)),
        }
    }

    /// The operation of `operations` with hook id `id`.
    pub fn find(operations: &[&'static Operation], id: &str) -> Option<&'static Operation> {
        operations.iter().copied().find(|op| op.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;

    static BROKEN: Operation = Operation::new("update_bot", true, Some(r#"{"type": "nonsense"}"#));
    static NOT_JSON: Operation = Operation::new("create_bot", false, Some("{type"));
    static NO_BODY: Operation = Operation::new("get_bot", true, None);
    static GOOD: Operation = Operation::new(
        "edit_bot",
        true,
        Some(r#"{"type": "object", "properties": {"n": {"type": "integer", "maximum": 2}}}"#),
    );

    #[test]
    fn a_schema_that_does_not_compile_is_an_error_on_every_use_never_a_panic() {
        for _ in 0..2 {
            let error = BROKEN.request_schema().expect_err("does not compile");
            let text = error.to_string();
            assert!(text.contains("`update_bot`"), "{text}");
            assert!(text.contains("not a valid JSON Schema 2020-12"), "{text}");
        }
        let error = NOT_JSON.request_schema().expect_err("not JSON");
        assert!(error.to_string().contains("`create_bot`"), "{error}");
    }

    #[test]
    fn no_body_is_none_and_a_good_schema_validates() {
        assert!(
            NO_BODY
                .request_schema()
                .expect("nothing to compile")
                .is_none()
        );
        let schema = GOOD
            .request_schema()
            .expect("compiles")
            .expect("has a body");
        assert_eq!(schema.validate(&serde_json::json!({"n": 3}))[0].field, "n");
    }
}
