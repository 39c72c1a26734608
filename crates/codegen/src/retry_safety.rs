//! Which operations may be sent twice: a decision each spec makes, not a
//! default of the generator.
//!
//! GET, HEAD, PUT, DELETE and OPTIONS are retry-safe by HTTP's definition
//! (RFC 9110 §9.2.2: idempotent). PATCH and POST are not (RFC 5789: PATCH
//! is not idempotent in general), unless the operation is marked
//! `x-chatbots-idempotent: true` *and* its `description` says why, in a line
//! starting `Retry-safe:` followed by the reason (at least
//! [`MIN_REASON_WORDS`] words; the reason runs to the end of its
//! paragraph). `x-chatbots-idempotent: false` makes any operation not
//! retry-safe.
//!
//! ```
//! use chatbots_codegen::retry_safety;
//! let op: openapiv3::Operation = serde_norway::from_str(
//!     "x-chatbots-idempotent: true\n\
//!      description: \"Sets a name.\\n\\nRetry-safe: the name is an absolute value.\"\n\
//!      responses: {}",
//! )
//! .unwrap();
//! let decision = retry_safety("patch", &op);
//! assert!(decision.retry_safe);
//! assert_eq!(decision.reason, "the name is an absolute value.");
//! ```

use openapiv3::Operation;

/// Spec extension that marks an operation as safe (or unsafe) to send twice.
///
/// Without it, GET, HEAD, PUT, DELETE and OPTIONS are retry-safe and PATCH
/// and POST are not; `true` needs a reason in the description (see
/// [`RETRY_SAFE_MARKER`]).
pub const IDEMPOTENT_EXTENSION: &str = "x-chatbots-idempotent";

/// What starts the line of an operation's `description` that says why it is
/// marked [`IDEMPOTENT_EXTENSION`]` : true`.
pub const RETRY_SAFE_MARKER: &str = "Retry-safe:";

/// The fewest words a `Retry-safe:` reason has: "yes" is no reason.
pub const MIN_REASON_WORDS: usize = 3;

/// Whether an operation may be sent again after a failure that may or may
/// not have reached the vendor, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySafety {
    /// Whether the runtime retries it.
    pub retry_safe: bool,
    /// Why, in words: the spec's `Retry-safe:` reason, or the rule that
    /// decided.
    pub reason: String,
}

/// The retry-safety of the operation `op` with lower-case `method`. A mark
/// the rules refuse (not a boolean, or `true` without a reason) counts as
/// not retry-safe.
pub fn retry_safety(method: &str, op: &Operation) -> RetrySafety {
    let by_method = matches!(method, "get" | "head" | "put" | "delete" | "options");
    let method = method.to_uppercase();
    let decided = |retry_safe, reason: String| RetrySafety { retry_safe, reason };
    match op.extensions.get(IDEMPOTENT_EXTENSION) {
        Some(serde_json::Value::Bool(true)) => match reason(op) {
            Some(reason) if problem(op).is_none() => decided(true, reason),
            _ => decided(
                false,
                format!("marked `{IDEMPOTENT_EXTENSION}: true` without a reason"),
            ),
        },
        Some(serde_json::Value::Bool(false)) => {
            decided(false, format!("marked `{IDEMPOTENT_EXTENSION}: false`"))
        }
        Some(_) => decided(false, format!("`{IDEMPOTENT_EXTENSION}` is not a boolean")),
        None if by_method => decided(true, format!("{method} is idempotent by HTTP's definition")),
        None => decided(
            false,
            format!(
                "{method} is not idempotent by HTTP's definition and is not marked `{IDEMPOTENT_EXTENSION}: true`"
            ),
        ),
    }
}

/// Whether an operation may be sent again (see [`retry_safety`]).
pub fn is_retry_safe(method: &str, op: &Operation) -> bool {
    retry_safety(method, op).retry_safe
}

/// The `Retry-safe:` reason of `op`'s description, if it has one (perhaps
/// empty): the rest of the marker's line and of its paragraph, on one line.
fn reason(op: &Operation) -> Option<String> {
    let mut lines = op.description.as_deref()?.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.trim_start().strip_prefix(RETRY_SAFE_MARKER) {
            let mut reason = rest.trim().to_owned();
            for more in lines.by_ref().map(str::trim).take_while(|l| !l.is_empty()) {
                reason.push(' ');
                reason.push_str(more);
            }
            return Some(reason);
        }
    }
    None
}

/// What is wrong with `op`'s retry-safety decision, if anything: a mark
/// that is not a boolean, `true` without a reason (or with one too short),
/// a reason without the mark.
pub(crate) fn problem(op: &Operation) -> Option<String> {
    let mark = op.extensions.get(IDEMPOTENT_EXTENSION);
    match (mark, reason(op)) {
        (Some(serde_json::Value::Bool(true)), None) => Some(format!(
            "`{IDEMPOTENT_EXTENSION}: true` needs a reason: a line of the description starting \
             `{RETRY_SAFE_MARKER}` saying why sending it twice does no harm"
        )),
        (Some(serde_json::Value::Bool(true)), Some(reason))
            if reason.split_whitespace().count() < MIN_REASON_WORDS =>
        {
            Some(format!(
                "the `{RETRY_SAFE_MARKER}` reason `{reason}` is too short to be one \
                 (at least {MIN_REASON_WORDS} words saying why sending it twice does no harm)"
            ))
        }
        (Some(serde_json::Value::Bool(true)), Some(_)) => None,
        (Some(serde_json::Value::Bool(false)) | None, Some(_)) => Some(format!(
            "the description gives a `{RETRY_SAFE_MARKER}` reason but the operation is not \
             marked `{IDEMPOTENT_EXTENSION}: true`"
        )),
        (Some(serde_json::Value::Bool(false)) | None, None) => None,
        (Some(other), _) => Some(format!(
            "`{IDEMPOTENT_EXTENSION}` must be `true` or `false`, got `{other}`"
        )),
    }
}
