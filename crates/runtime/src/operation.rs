//! [`Operation`]: what the runtime needs to know of one operation of a
//! spec. `chatbots-codegen` writes one `static` per operation into each
//! vendor crate's `operations` module.

use std::sync::OnceLock;

use crate::Schema;

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
    /// body, as text; checked to compile when the vendor crate was built.
    pub request_schema_json: Option<&'static str>,
    compiled: OnceLock<Schema>,
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

    /// The request body schema, compiled on first use.
    pub fn request_schema(&'static self) -> Option<&'static Schema> {
        let json = self.request_schema_json?;
        Some(self.compiled.get_or_init(|| {
            // Written by chatbots-codegen with serde_json and compiled by it
            // when the vendor crate was built: it always parses.
            let schema = serde_json::from_str(json)
                .expect("a request schema checked when the vendor crate was built");
            Schema::new(schema)
        }))
    }

    /// The operation of `operations` with hook id `id`.
    pub fn find(operations: &[&'static Operation], id: &str) -> Option<&'static Operation> {
        operations.iter().copied().find(|op| op.id == id)
    }
}
