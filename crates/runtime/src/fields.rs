//! Setting a typed body's fields by their JSON names.

use serde_json::Value;

/// A generated body type whose fields can be set by their JSON names
/// (`["settings", "prompt"]`). `chatbots-codegen` implements it for every
/// struct a vendor spec defines; the facade uses it to put a shared field
/// straight into the vendor's typed body.
///
/// ```
/// use chatbots_runtime::{FieldError, JsonFields, Previous};
/// use serde_json::json;
///
/// #[derive(Default)]
/// struct Body {
///     name: Option<String>,
/// }
///
/// impl JsonFields for Body {
///     fn set_field(&mut self, path: &[&str], value: serde_json::Value) -> Result<Previous, FieldError> {
///         match path {
///             ["name"] => {
///                 let previous = if self.name.is_some() { Previous::Set } else { Previous::Unset };
///                 self.name = serde_json::from_value(value).map_err(FieldError::Decode)?;
///                 Ok(previous)
///             }
///             _ => Err(FieldError::Unknown),
///         }
///     }
///     fn field_text(&self, path: &[&str]) -> Option<&str> {
///         match path {
///             ["name"] => self.name.as_deref(),
///             _ => None,
///         }
///     }
/// }
///
/// let mut body = Body::default();
/// assert_eq!(body.set_field(&["name"], json!("Ada")).unwrap(), Previous::Unset);
/// assert_eq!(body.field_text(&["name"]), Some("Ada"));
/// assert_eq!(body.set_field(&["name"], json!("Bo")).unwrap(), Previous::Set);
/// assert!(matches!(body.set_field(&["nope"], json!(1)), Err(FieldError::Unknown)));
/// ```
pub trait JsonFields {
    /// Sets the field at `path` to `value`, and says whether it held a
    /// value before (a required field always does).
    fn set_field(&mut self, path: &[&str], value: Value) -> Result<Previous, FieldError>;

    /// Sets the field at `path` from text: a string, or anything the field's
    /// type reads from a string (an enum, a UUID). Like
    /// [`set_field`](Self::set_field) with a JSON string, without building
    /// one.
    fn set_text(&mut self, path: &[&str], text: &str) -> Result<Previous, FieldError> {
        self.set_field(path, Value::from(text))
    }

    /// The text of the string field at `path`, if it is one and is set.
    fn field_text(&self, path: &[&str]) -> Option<&str>;
}

/// Whether a field held a value before [`JsonFields::set_field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Previous {
    /// It was empty.
    Unset,
    /// It held a value (or is required, so always does).
    Set,
}

/// Why [`JsonFields::set_field`] could not set a field.
#[derive(Debug)]
pub enum FieldError {
    /// The type has no such field (or cannot create its parent).
    Unknown,
    /// The value does not fit the field's type.
    Decode(serde_json::Error),
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldError::Unknown => f.write_str("the body type has no such field"),
            FieldError::Decode(e) => write!(f, "does not fit the field's type: {e}"),
        }
    }
}

impl std::error::Error for FieldError {}
