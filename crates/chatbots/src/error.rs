//! One error type for every vendor.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chatbots_runtime::{AuthError, BodyTooLarge, CallRecord};
use progenitor_client::Error as ClientError;
use serde_json::Value;

use crate::field::Field;
use crate::model::Vendor;

/// What went wrong, for a program to match on: [`Error::kind`].
///
/// The kinds before sending — [`Config`](Self::Config),
/// [`InvalidInput`](Self::InvalidInput), [`Unsupported`](Self::Unsupported)
/// — mean nothing reached the vendor; fix the input or the setup. The
/// others come from the vendor's answer (or its absence);
/// [`Error::is_retryable`] says which may pass later.
///
/// ```
/// use chatbots::{BotRef, ChatbotPatch, Chatbots, ErrorKind, Field, Subject, Vendor};
///
/// let bots = Chatbots::builder().puretalk_api_key("0123abcd").build().unwrap();
/// let bot = BotRef::new(Vendor::PureTalk, "123e4567-e89b-12d3-a456-426614174000");
///
/// // PureTalk has no description: refused before anything is sent.
/// let err = bots.check_update(&bot, &ChatbotPatch::new().description("Front desk")).unwrap_err();
/// assert!(matches!(
///     err.kind(),
///     ErrorKind::Unsupported { field: Subject::Field(Field::Description) }
/// ));
///
/// // A model outside PureTalk's documented enum: which field, which rule.
/// let err = bots.check_update(&bot, &ChatbotPatch::new().model("gpt-4")).unwrap_err();
/// match err.kind() {
///     ErrorKind::InvalidInput { field, rule } => {
///         assert_eq!(field, "model");
///         assert!(rule.starts_with("must be one of"), "{rule}");
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Missing or invalid configuration (a credential that is not set, a bad
    /// base URL, a vendor compiled out). Nothing was sent.
    Config,
    /// The credentials were refused (401/403, or a refused token exchange).
    Unauthorized,
    /// The bot (or order) does not exist, or belongs to someone else.
    NotFound,
    /// The vendor does not allow this action on this bot (StreamSkill 405
    /// `action_unavailable`).
    NotAllowed,
    /// The bot's state forbids the change (StreamSkill 409 `purchase_done`).
    Conflict,
    /// The input breaks a documented rule. Nothing was sent.
    InvalidInput {
        /// What breaks it: a shared field, a vendor field, the bot id, the
        /// whole patch, … (it compares with text as it is shown:
        /// `field == "temperature"`).
        field: Subject,
        /// The rule it breaks.
        rule: String,
    },
    /// The vendor has no such field or operation. Nothing was sent.
    Unsupported {
        /// The shared field, vendor field or operation
        /// ([`Subject::Operation`]: `get`, `list`).
        field: Subject,
    },
    /// The vendor refused the request: validation failed on its side (HTTP
    /// 400/422), or it reported failure inside a 2xx answer.
    Rejected {
        /// The vendor's per-field messages, if it sent any.
        field_errors: BTreeMap<String, Vec<String>>,
    },
    /// Too many requests; retries (if enabled) were used up or the vendor
    /// asked for a longer wait than allowed.
    RateLimited {
        /// How long the vendor asked to wait.
        retry_after: Option<Duration>,
    },
    /// The vendor failed (5xx).
    Server,
    /// The request did not complete (connection refused or reset, body cut
    /// off).
    Transport,
    /// An attempt took longer than the configured timeout.
    Timeout,
    /// The vendor answered with a body that does not match its spec (or one
    /// longer than the client reads, `ClientConfig::max_response_bytes`).
    Decode,
    /// A fleet plan could not read the bot when it was made, so it holds no
    /// change for it; nothing was sent. Plan again.
    NotRead,
    /// Shared pacing's Redis did not answer, and the client is set to fail
    /// then rather than pace itself alone
    /// ([`OnOutage::Fail`](crate::OnOutage::Fail)). Nothing was sent (for a
    /// retry: nothing more); the call may pass once Redis answers (it is
    /// asked again once a second).
    SharedPacingUnavailable,
}

/// What an [`ErrorKind::InvalidInput`] or [`ErrorKind::Unsupported`] error
/// is about, to match on. `Display` shows it as the error's message names
/// it (`temperature`, `settings.prompt`, `(patch)`).
///
/// Subjects compare by that text, with each other and with strings, so
/// `field == "temperature"` holds for the shared field and for a vendor
/// field of that name alike: a vendor's schema speaks of its own field,
/// which is often the shared field's namesake. Match on the variant to
/// tell them apart.
///
/// ```
/// use chatbots::{BotRef, ChatbotPatch, Chatbots, ErrorKind, Field, Subject, Vendor};
///
/// let bots = Chatbots::builder().okchat_api_key("0123abcd").build().unwrap();
/// let bot = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
/// let err = bots.check_update(&bot, &ChatbotPatch::new().temperature(0.5)).unwrap_err();
/// assert!(matches!(
///     err.kind(),
///     ErrorKind::Unsupported { field: Subject::Field(Field::Temperature) }
/// ));
/// let ErrorKind::Unsupported { field } = err.kind() else { unreachable!() };
/// assert_eq!(field, "temperature");
///
/// let err = bots.check_update(&bot, &ChatbotPatch::new()).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::InvalidInput { field: Subject::Patch, .. }));
/// ```
// Names are `Box<str>` (one word less than `String`), so that every call's
// `Result` stays within clippy's large-error bound.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Subject {
    /// A shared field ([`ChatbotPatch`](crate::ChatbotPatch)'s).
    Field(Field),
    /// A field of the vendor's own request body, by its path as the spec
    /// names it (`settings.prompt`, `items[0].name`).
    VendorField(Box<str>),
    /// The bot's id, by the name the vendor's API gives it (`orderId`,
    /// `chatbotId`), or `bot` where no vendor names it.
    BotId(Box<str>),
    /// A parameter of a vendor call other than the bot id (`page`).
    Parameter(Box<str>),
    /// An operation of the facade (`get`, `list`).
    Operation(Box<str>),
    /// The patch as a whole (it changes nothing); shown as `(patch)`.
    Patch,
    /// The vendor patch as a whole (for another vendor, or not the
    /// vendor's body); shown as `vendor`.
    VendorPatch,
    /// The update body built from the patch, which the vendor's generated
    /// type cannot hold; shown as `(body)`.
    Body,
    /// The request, which could not be built; shown as `(request)`.
    Request,
}

impl Subject {
    /// The subject as errors name it.
    pub fn as_str(&self) -> &str {
        match self {
            Subject::Field(field) => field.name(),
            Subject::VendorField(name)
            | Subject::BotId(name)
            | Subject::Parameter(name)
            | Subject::Operation(name) => name,
            Subject::Patch => "(patch)",
            Subject::VendorPatch => "vendor",
            Subject::Body => "(body)",
            Subject::Request => "(request)",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Subject {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// By the text shown (see [`Subject`]).
impl PartialEq for Subject {
    fn eq(&self, other: &Subject) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Subject {}

impl std::hash::Hash for Subject {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Subject {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Subject {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Subject {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Subject> for str {
    fn eq(&self, other: &Subject) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Subject> for &str {
    fn eq(&self, other: &Subject) -> bool {
        *self == other.as_str()
    }
}

/// The subject a text names, as errors show it: a shared field's name is
/// [`Subject::Field`], `(patch)`, `vendor`, `(body)` and `(request)` their
/// variants, `get` and `list` [`Subject::Operation`], anything else a
/// [`Subject::VendorField`].
impl From<&str> for Subject {
    fn from(text: &str) -> Self {
        match text {
            "(patch)" => Subject::Patch,
            "vendor" => Subject::VendorPatch,
            "(body)" => Subject::Body,
            "(request)" => Subject::Request,
            "get" | "list" => Subject::Operation(text.into()),
            _ => match Field::from_name(text) {
                Some(field) => Subject::Field(field),
                None => Subject::VendorField(text.into()),
            },
        }
    }
}

/// As [`From<&str>`](#impl-From%3C%26str%3E-for-Subject).
impl From<String> for Subject {
    fn from(text: String) -> Self {
        Subject::from(text.as_str())
    }
}

impl From<Field> for Subject {
    fn from(field: Field) -> Self {
        Subject::Field(field)
    }
}

/// An error from any vendor, with what is known about it.
///
/// `Display` is a sentence a person can act on; it never contains a
/// credential.
///
/// ```
/// # use chatbots::{Error, ErrorKind, Vendor};
/// fn explain(e: &Error) -> &'static str {
///     match e.kind() {
///         ErrorKind::InvalidInput { .. } => "fix the input",
///         ErrorKind::RateLimited { .. } => "slow down",
///         _ if e.is_retryable() => "try again later",
///         _ => "give up",
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    vendor: Option<Vendor>,
    status: Option<u16>,
    // `Box<str>` rather than `String` (one word less each), so that every
    // call's `Result` stays within clippy's large-error bound.
    code: Option<Box<str>>,
    message: Box<str>,
    /// The bot's id, when the error is about one bot (a `get` or `update`).
    bot: Option<Box<str>>,
    /// Whether the request may have reached the vendor without its whole
    /// answer coming back (`CallRecord::outcome_unknown`).
    answer_lost: bool,
    /// Whether the request was an update.
    update: bool,
    /// The underlying failure (a `reqwest` or `serde_json` error), for
    /// [`source`](std::error::Error::source).
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, vendor: Option<Vendor>, message: impl Into<String>) -> Self {
        Self {
            kind,
            vendor,
            status: None,
            code: None,
            message: message.into().into(),
            bot: None,
            answer_lost: false,
            update: false,
            source: None,
        }
    }

    /// This error, of a `get` (or with `update`, an update) of `bot`: a 404
    /// names it, and an update whose answer was lost says that it may have
    /// been applied.
    pub(crate) fn about(mut self, bot: &crate::BotRef, update: bool) -> Self {
        self.bot = Some(bot.id.as_str().into());
        self.update = update;
        self
    }

    /// A bot a fleet plan could not read when it was made (`reason`, the
    /// read's error): nothing was sent for it.
    pub(crate) fn not_read(bot: &crate::BotRef, reason: &str) -> Self {
        let message = format!("{bot} could not be read ({reason}): plan again");
        let mut err = Self::new(ErrorKind::NotRead, Some(bot.vendor), message);
        err.bot = Some(bot.id.as_str().into());
        err
    }

    /// This error, caused by `source`.
    pub(crate) fn caused_by(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn config(vendor: Option<Vendor>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, vendor, message)
    }

    pub(crate) fn invalid(vendor: Vendor, field: Subject, rule: impl Into<String>) -> Self {
        let rule = rule.into();
        let message = format!("`{field}` {rule}");
        Self::new(
            ErrorKind::InvalidInput { field, rule },
            Some(vendor),
            message,
        )
    }

    /// An answer that does not say what its spec promises.
    pub(crate) fn decode(vendor: Vendor, message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Decode, Some(vendor), message.to_string())
    }

    /// An answer that could not be turned into JSON.
    pub(crate) fn undecodable(vendor: Vendor, error: serde_json::Error) -> Self {
        Self::decode(vendor, &error).caused_by(error)
    }

    pub(crate) fn unsupported(vendor: Vendor, field: Subject) -> Self {
        let message = format!("{vendor} does not support `{field}`");
        Self::new(ErrorKind::Unsupported { field }, Some(vendor), message)
    }

    /// This error with `redact` applied to every vendor-supplied text.
    pub(crate) fn redacted(mut self, redact: impl Fn(&str) -> String) -> Self {
        self.message = redact(&self.message).into();
        self.code = self.code.map(|c| redact(&c).into());
        if let ErrorKind::Rejected { field_errors } = &mut self.kind {
            for messages in field_errors.values_mut() {
                for m in messages.iter_mut() {
                    *m = redact(m);
                }
            }
        }
        self
    }

    /// The kind, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The vendor involved, if any.
    pub fn vendor(&self) -> Option<Vendor> {
        self.vendor
    }

    /// The HTTP status of the vendor's answer, if one arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The vendor's own error code (such as StreamSkill's `type`), if any.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The vendor's message, or ours.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The id of the bot the error is about, for errors of a `get` or an
    /// update of one bot.
    pub fn bot_id(&self) -> Option<&str> {
        self.bot.as_deref()
    }

    /// Whether the vendor may have applied the update although it failed:
    /// the request was sent and its answer lost (the connection broke or
    /// timed out after sending, or the body was cut off), so its outcome is
    /// unknown. Read the bot again before assuming either way. False for
    /// every error of a read, and for every refusal before sending.
    pub fn may_have_been_applied(&self) -> bool {
        self.update && self.answer_lost
    }

    /// Whether the same call may succeed later: rate limits, 502/503/504,
    /// transport failures, timeouts, and shared pacing's Redis not
    /// answering.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::RateLimited { .. }
            | ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::SharedPacingUnavailable => true,
            ErrorKind::Server => matches!(self.status, Some(502..=504) | None),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(vendor) = self.vendor {
            write!(f, "{vendor}: ")?;
        }
        if let (ErrorKind::NotFound, Some(bot)) = (&self.kind, &self.bot) {
            write!(f, "bot {bot} ")?;
        }
        let what = match &self.kind {
            ErrorKind::Config => "configuration error",
            ErrorKind::Unauthorized => "credentials refused",
            ErrorKind::NotFound => "not found",
            ErrorKind::NotAllowed => "action not allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput { .. } => "invalid input, nothing sent",
            ErrorKind::Unsupported { .. } => "unsupported, nothing sent",
            ErrorKind::Rejected { .. } => "request rejected",
            ErrorKind::RateLimited { .. } => "rate limited",
            ErrorKind::Server => "vendor server error",
            ErrorKind::Transport => "request failed in transport",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Decode => "unexpected response body",
            ErrorKind::NotRead => "not read when planning, nothing sent",
            ErrorKind::SharedPacingUnavailable => "shared pacing unavailable, nothing sent",
        };
        f.write_str(what)?;
        match (self.status, &self.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let ErrorKind::Rejected { field_errors } = &self.kind {
            for (field, messages) in field_errors {
                write!(f, "; {field}: {}", messages.join(", "))?;
            }
        }
        if let ErrorKind::RateLimited {
            retry_after: Some(wait),
        } = &self.kind
        {
            write!(f, "; retry after {}s", wait.as_secs())?;
        }
        if self.may_have_been_applied() {
            f.write_str(
                "; the update was sent and its answer lost, so it may have been applied: \
                 read the bot before trying again",
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        Some(source)
    }
}

impl Error {
    /// A failure a vendor reported inside a 2xx answer (an envelope's
    /// `success: false` and the like), as an error with its code and
    /// message.
    pub(crate) fn vendor_failure(vendor: Vendor, failure: chatbots_runtime::VendorFailure) -> Self {
        let body = serde_json::json!({"code": failure.code, "message": failure.message});
        let shape = ErrorShape {
            code: &["/code"],
            message: &["/message"],
            field_errors: None,
            kinds: &[],
        };
        from_body(vendor, &shape, None, &body, &CallRecord::default())
    }
}

/// Makes the kind a vendor error code stands for.
pub(crate) type KindOf = fn() -> ErrorKind;

/// Where a vendor's error body keeps its code, message and field errors
/// (JSON pointers).
pub(crate) struct ErrorShape {
    pub code: &'static [&'static str],
    pub message: &'static [&'static str],
    pub field_errors: Option<&'static str>,
    /// Vendor codes that decide the kind regardless of status.
    pub kinds: &'static [(&'static str, KindOf)],
}

/// Classifies what a generated call returned, noting whether an attempt's
/// answer was lost after sending (for [`Error::may_have_been_applied`]).
pub(crate) async fn classify<E: serde::Serialize>(
    vendor: Vendor,
    shape: &ErrorShape,
    error: ClientError<E>,
    record: &CallRecord,
) -> Error {
    let mut err = match &record.shared_pacing_unavailable {
        // The answer is the client's own (nothing was sent), not the
        // vendor's: its status says nothing of the vendor.
        Some(why) => Error::new(
            ErrorKind::SharedPacingUnavailable,
            Some(vendor),
            why.clone(),
        ),
        None => classify_answer(vendor, shape, error, record).await,
    };
    err.answer_lost = record.outcome_unknown;
    err
}

/// The error a generated call's failure stands for. An undocumented
/// status's body (in memory: the runtime reads every body, bounded) is read
/// like a documented error's.
async fn classify_answer<E: serde::Serialize>(
    vendor: Vendor,
    shape: &ErrorShape,
    error: ClientError<E>,
    record: &CallRecord,
) -> Error {
    let status = record.status.map(|s| s.as_u16());
    match error {
        ClientError::ErrorResponse(response) => {
            let status = response.status().as_u16();
            // The generated error type as JSON, for the shape's pointers.
            match serde_json::to_value(response.into_inner()) {
                Ok(body) => from_body(vendor, shape, Some(status), &body, record),
                Err(e) => from_body(vendor, shape, Some(status), &Value::Null, record).caused_by(e),
            }
        }
        ClientError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) => {
                    // Not JSON (an HTML page from a proxy): the status
                    // still says what happened.
                    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    from_body(vendor, shape, Some(status), &body, record)
                }
                Err(e) => from_body(vendor, shape, Some(status), &Value::Null, record).caused_by(e),
            }
        }
        ClientError::InvalidResponsePayload(bytes, e) => match status {
            Some(s) if s >= 400 => {
                // Not the documented JSON (an HTML error page from a proxy):
                // the status still says what happened.
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                from_body(vendor, shape, Some(s), &body, record)
            }
            _ => {
                let mut err = Error::new(
                    ErrorKind::Decode,
                    Some(vendor),
                    format!(
                        "the body does not match the spec: {e} ({} bytes)",
                        bytes.len()
                    ),
                )
                .caused_by(e);
                err.status = status;
                err
            }
        },
        ClientError::CommunicationError(e)
        | ClientError::ResponseBodyError(e)
        | ClientError::InvalidUpgrade(e) => transport(vendor, e, record),
        ClientError::InvalidRequest(message) => Error::invalid(vendor, Subject::Request, message),
        // Only the `pre` hook makes these: credentials that could not be
        // applied. The facade obtains them ahead of the call (typed, see
        // `Error::auth`), so this is a token dropped in between; a new call
        // obtains it again.
        ClientError::Custom(message) => Error::new(ErrorKind::Transport, Some(vendor), message),
    }
}

impl Error {
    /// A failure to obtain `vendor`'s credentials, before anything was sent.
    pub(crate) fn auth(vendor: Vendor, auth: AuthError) -> Error {
        let kind = match auth.status {
            Some(429) => ErrorKind::RateLimited {
                retry_after: auth.retry_after,
            },
            Some(500..=599) => ErrorKind::Server,
            Some(_) => ErrorKind::Unauthorized,
            None if auth.transient => ErrorKind::Transport,
            None => ErrorKind::Unauthorized,
        };
        let mut err = Error::new(kind, Some(vendor), auth.message.clone());
        err.status = auth.status;
        err.caused_by(auth)
    }
}

fn transport(vendor: Vendor, e: reqwest::Error, record: &CallRecord) -> Error {
    if let Some(too_large) = find_source::<BodyTooLarge>(&e) {
        let mut err = Error::new(ErrorKind::Decode, Some(vendor), too_large.to_string());
        err.status = record.status.map(|s| s.as_u16());
        return err.caused_by(e);
    }
    let kind = if e.is_timeout() || record.timed_out {
        ErrorKind::Timeout
    } else if e.is_decode() && !body_cut_off(&e) {
        ErrorKind::Decode
    } else {
        ErrorKind::Transport
    };
    // reqwest's Display names the URL, which holds ids but no credential.
    Error::new(kind, Some(vendor), error_chain(&e)).caused_by(e)
}

/// The first error of type `T` in `e`'s chain of sources.
fn find_source<T: std::error::Error + 'static>(e: &dyn std::error::Error) -> Option<&T> {
    let mut source = e.source();
    while let Some(inner) = source {
        if let Some(found) = inner.downcast_ref::<T>() {
            return Some(found);
        }
        source = inner.source();
    }
    None
}

/// reqwest reports a body that ends early while decoding as a decode error;
/// it is the connection that failed, not the vendor's JSON.
fn body_cut_off(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if inner
            .downcast_ref::<reqwest::Error>()
            .is_some_and(|r| r.is_body())
            || inner.is::<std::io::Error>()
        {
            return true;
        }
        source = inner.source();
    }
    false
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// An error from a vendor's (possibly non-JSON) error body and status.
pub(crate) fn from_body(
    vendor: Vendor,
    shape: &ErrorShape,
    status: Option<u16>,
    body: &Value,
    record: &CallRecord,
) -> Error {
    let text = |pointers: &[&str]| {
        pointers.iter().find_map(|p| match body.pointer(p) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    let code = text(shape.code);
    let message = text(shape.message).unwrap_or_default();
    let field_errors = shape
        .field_errors
        .and_then(|p| body.pointer(p))
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(field, messages)| {
                    let list = match messages {
                        Value::Array(items) => items
                            .iter()
                            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                            .collect(),
                        Value::String(s) => vec![s.clone()],
                        other => vec![other.to_string()],
                    };
                    (field.clone(), list)
                })
                .collect()
        })
        .unwrap_or_default();
    let by_code = code
        .as_deref()
        .and_then(|c| shape.kinds.iter().find(|(known, _)| *known == c))
        .map(|(_, kind)| kind());
    let kind = by_code.unwrap_or_else(|| match status {
        Some(401 | 403) => ErrorKind::Unauthorized,
        Some(404) => ErrorKind::NotFound,
        Some(405) => ErrorKind::NotAllowed,
        Some(409) => ErrorKind::Conflict,
        Some(429) => ErrorKind::RateLimited {
            retry_after: record.retry_after,
        },
        Some(500..=599) => ErrorKind::Server,
        _ => ErrorKind::Rejected {
            field_errors: BTreeMap::new(),
        },
    });
    let kind = match kind {
        ErrorKind::Rejected { .. } => ErrorKind::Rejected { field_errors },
        other => other,
    };
    let mut err = Error::new(kind, Some(vendor), message);
    err.status = status;
    err.code = code.map(Into::into);
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BotRef;

    /// A bot a plan could not read is reported as not read, with the read's
    /// own error, never as invalid input: the read was sent, and answered.
    #[test]
    fn a_bot_not_read_when_planning_says_so() {
        let bot = BotRef::new(Vendor::OkChat, "3317");
        let read = "okchat: request rejected (HTTP 422): bad page size";
        let err = Error::not_read(&bot, read);
        assert_eq!(err.kind(), &ErrorKind::NotRead);
        assert_eq!(err.bot_id(), Some("3317"));
        assert_eq!(
            err.to_string(),
            format!(
                "okchat: not read when planning, nothing sent: okchat:3317 could not be \
                 read ({read}): plan again"
            )
        );
        assert!(!err.to_string().contains("invalid input"));
        assert!(!err.may_have_been_applied());
    }

    /// What an error is about, by the subject's kind: each refusal before
    /// sending names a subject a program can match, shown as before.
    #[tokio::test]
    async fn refusals_name_typed_subjects() {
        use crate::{ChatbotPatch, Chatbots, VendorPatch};

        let bots = Chatbots::builder()
            .okchat_api_key("0123abcd")
            .hottask_api_key("0123abcd")
            .build()
            .unwrap();
        let okchat = BotRef::new(Vendor::OkChat, "3317853e-0af2-427d-a56f-351a9587f48f");
        let subject = |e: Error| match e.kind().clone() {
            ErrorKind::InvalidInput { field, .. } | ErrorKind::Unsupported { field } => field,
            other => panic!("{other:?}: {e}"),
        };

        let err = bots
            .check_update(&okchat, &ChatbotPatch::new())
            .unwrap_err();
        assert!(
            err.to_string().contains("`(patch)` changes nothing"),
            "{err}"
        );
        assert!(matches!(subject(err), Subject::Patch));

        let err = bots
            .check_update(&okchat, &ChatbotPatch::new().temperature(0.5))
            .unwrap_err();
        assert!(matches!(subject(err), Subject::Field(Field::Temperature)));

        let bad_id = BotRef::new(Vendor::OkChat, "42");
        let err = bots
            .update(&bad_id, &ChatbotPatch::new().name("n"))
            .await
            .unwrap_err();
        assert!(matches!(subject(err), Subject::BotId(name) if &*name == "id"));

        let puretalk = serde_json::json!({"voice_boost": true});
        let other =
            VendorPatch::from_json(Vendor::PureTalk, puretalk.as_object().unwrap()).unwrap();
        let err = bots
            .check_update(&okchat, &ChatbotPatch::new().vendor_patch(other))
            .unwrap_err();
        assert!(
            err.to_string().contains("`vendor` the vendor patch is for"),
            "{err}"
        );
        assert!(matches!(subject(err), Subject::VendorPatch));

        let typo = serde_json::json!({"settings": {"promt": "x"}});
        let err = VendorPatch::from_json(Vendor::OkChat, typo.as_object().unwrap()).unwrap_err();
        assert!(matches!(subject(err), Subject::VendorField(path) if &*path == "settings.promt"));

        let err = bots
            .get(&BotRef::new(
                Vendor::HotTask,
                "3254a9d0424c4806b9ea3d0763ccfxxx",
            ))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "hottask: unsupported, nothing sent: hottask does not support `get`"
        );
        assert!(matches!(subject(err), Subject::Operation(op) if &*op == "get"));
    }

    /// Subjects compare by the text they show, with each other and with
    /// strings, so code written against text names keeps working.
    #[test]
    fn subjects_compare_as_the_text_they_show() {
        for (text, subject) in [
            ("(patch)", Subject::Patch),
            ("vendor", Subject::VendorPatch),
            ("(body)", Subject::Body),
            ("(request)", Subject::Request),
            ("temperature", Subject::Field(Field::Temperature)),
            ("get", Subject::Operation("get".into())),
            (
                "settings.prompt",
                Subject::VendorField("settings.prompt".into()),
            ),
        ] {
            assert_eq!(subject.to_string(), text);
            assert_eq!(subject, text);
            assert_eq!(&subject, text);
            assert_eq!(Subject::from(text), subject);
            assert_eq!(
                std::mem::discriminant(&Subject::from(text)),
                std::mem::discriminant(&subject),
                "{text}"
            );
        }
        assert_eq!(
            Subject::VendorField("temperature".into()),
            Subject::Field(Field::Temperature)
        );
        assert_ne!(Subject::BotId("id".into()), Subject::Patch);
    }
}
