//! Test support for the vendor crates (feature `testing`; not part of the
//! API): a generated call answered with a vendor's real answers and with
//! each of them mutated, every outcome checked against what the status and
//! body say. Each vendor crate's `tests/robustness.rs` supplies its real
//! answers (its `tests/answers.json`), the server and its typed call; the
//! cases and the checks are here, once.

use std::fmt::Debug;

use progenitor_client::{Error, ResponseValue};
use serde_json::{Value, json};

/// Statuses of every class a client gets a final answer with, and codes no
/// RFC defines.
pub const STATUSES: &[u16] = &[
    200, 201, 204, 302, 400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503, 599, 799,
];

/// The kinds of answer in a vendor crate's `tests/answers.json`:
/// `update_ok` and `update_failed` are 2xx answers of the update (the
/// latter reporting failure inside them), `read_ok` 2xx answers of the
/// read, `error` the bodies of error statuses.
pub const KINDS: [&str; 4] = ["update_ok", "update_failed", "read_ok", "error"];

/// The client settings these tests call with: the server at `base_url`,
/// no retry and no pacing, so that each answer is seen once, as it is.
pub fn config(base_url: &str) -> crate::ClientConfig {
    crate::ClientConfig {
        base_url: Some(base_url.to_string()),
        retry: crate::RetryPolicy::disabled(),
        pacing: crate::Pacing::off(),
        ..Default::default()
    }
}

/// What one generated call returned, without its types.
#[derive(Debug)]
pub enum Outcome {
    /// Decoded, with the status and whether the envelope reports failure.
    Ok {
        /// The answer's status.
        status: u16,
        /// Whether the answer's envelope reports a failure.
        failed: bool,
    },
    /// A documented error status, decoded.
    ErrorResponse(u16),
    /// A status the operation does not document.
    Unexpected(u16),
    /// A body that does not decode.
    Payload,
    /// The connection or the body's transfer failed.
    Transport,
    /// An error that no answer can cause.
    Wrong(String),
}

impl Outcome {
    /// The outcome of a generated call; `failed` says whether a decoded
    /// answer's envelope reports a failure (`|_| false` without one).
    /// Formats whatever arrived, as a caller showing it would.
    pub fn of<T: Debug, E: Debug>(
        result: Result<ResponseValue<T>, Error<E>>,
        failed: impl Fn(&T) -> bool,
    ) -> Self {
        match result {
            Ok(value) => Outcome::Ok {
                status: value.status().as_u16(),
                failed: failed(value.as_ref()),
            },
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
                match e {
                    Error::ErrorResponse(value) => Outcome::ErrorResponse(value.status().as_u16()),
                    Error::UnexpectedResponse(response) => {
                        Outcome::Unexpected(response.status().as_u16())
                    }
                    Error::InvalidResponsePayload(..) => Outcome::Payload,
                    Error::CommunicationError(_)
                    | Error::ResponseBodyError(_)
                    | Error::InvalidUpgrade(_) => Outcome::Transport,
                    Error::InvalidRequest(_) | Error::Custom(_) => Outcome::Wrong(format!("{e:?}")),
                }
            }
        }
    }
}

/// The answers of one kind (see [`KINDS`]) in `answers`, the text of a
/// vendor crate's `tests/answers.json`.
///
/// # Panics
/// When `answers` is not JSON or the kind is not a list.
pub fn answers(answers: &str, kind: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(answers).expect("answers.json is JSON");
    match &all[kind] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => panic!("answers.json: `{kind}` is not a list: {other}"),
    }
}

fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{here}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

/// `body` mutated: each value replaced by each other JSON type and by a
/// huge and a negative number, and each removed; the text cut short, with
/// a byte that is not UTF-8, with a BOM; and bodies that are not the
/// vendor's at all (empty, HTML, `null`, nesting beyond any decoder's
/// limit).
pub fn variants(body: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    pointers(body, String::new(), &mut all);
    for at in &all {
        for other in [
            json!(null),
            json!("x"),
            json!(-1),
            json!(1e300),
            json!([]),
            json!({}),
        ] {
            let mut changed = body.clone();
            if let Some(node) = changed.pointer_mut(at) {
                *node = other;
            }
            out.push(changed.to_string().into_bytes());
        }
        if let Some((parent, key)) = at.rsplit_once('/') {
            let key = key.replace("~1", "/").replace("~0", "~");
            let mut changed = body.clone();
            match changed.pointer_mut(parent) {
                Some(Value::Object(map)) => drop(map.remove(&key)),
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>() {
                        items.remove(i);
                    }
                }
                _ => {}
            }
            out.push(changed.to_string().into_bytes());
        }
    }
    let text = body.to_string().into_bytes();
    for cut in [1, text.len() / 2, text.len().saturating_sub(1)] {
        out.push(text[..cut.min(text.len())].to_vec());
    }
    let mut invalid = text.clone();
    let inside = invalid
        .iter()
        .position(|b| *b == b'"')
        .map_or(0, |at| at + 1);
    invalid.insert(inside, 0xff);
    out.push(invalid);
    out.push([&[0xef, 0xbb, 0xbf][..], &text].concat());
    out.push(Vec::new());
    out.push(b"<html><body>502 Bad Gateway</body></html>".to_vec());
    out.push(b"null".to_vec());
    out.push(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes());
    out
}

/// Checks `got`, the outcome of an update answered `status` with `body` of
/// `kind` (`None`: a mutated body): `Ok` only from a 2xx status and with
/// it; an error keeps its status; the documented answers at 200 decode and
/// their envelope says what they are; nothing the answer cannot cause.
///
/// # Panics
/// When `got` breaks one of those rules, naming status, kind and body.
pub fn check(status: u16, kind: Option<&str>, got: &Outcome, body: &[u8]) {
    let body = String::from_utf8_lossy(body);
    let context = || format!("{status} {kind:?} {body}: {got:?}");
    match got {
        Outcome::Ok { status: at, failed } => {
            assert!((200..300).contains(&status), "Ok from {}", context());
            assert_eq!(*at, status, "{}", context());
            match kind {
                Some("update_ok") => assert!(!failed, "a success as a failure: {}", context()),
                Some("update_failed") => assert!(failed, "a failure missed: {}", context()),
                _ => {}
            }
        }
        Outcome::ErrorResponse(at) => {
            assert!((400..600).contains(&status), "{}", context());
            assert_eq!(*at, status, "{}", context());
        }
        Outcome::Unexpected(at) => assert_eq!(*at, status, "{}", context()),
        Outcome::Payload | Outcome::Transport => {}
        Outcome::Wrong(e) => panic!("nothing was wrong before the answer: {e}: {}", context()),
    }
    if status == 200 && matches!(kind, Some("update_ok" | "update_failed")) {
        assert!(
            matches!(got, Outcome::Ok { .. }),
            "the documented answer failed: {}",
            context()
        );
    }
}

/// Every case for `answers` (a vendor crate's `tests/answers.json`): each
/// real answer at every status of [`STATUSES`], then each of its
/// [`variants`], half at 200 and half across the other statuses.
/// `exchange` makes the server answer with a status and body and returns
/// what the call got; each outcome is [`check`]ed. Returns the number of
/// cases.
///
/// # Panics
/// When a case fails its [`check`], or `answers` lists no answer.
pub async fn survive(
    answers_json: &str,
    mut exchange: impl AsyncFnMut(u16, Vec<u8>) -> Outcome,
) -> usize {
    let mut cases = 0;
    for kind in KINDS {
        for body in answers(answers_json, kind) {
            let bytes = body.to_string().into_bytes();
            for &status in STATUSES {
                let got = exchange(status, bytes.clone()).await;
                check(status, Some(kind), &got, &bytes);
                cases += 1;
            }
            for (i, bytes) in variants(&body).into_iter().enumerate() {
                let status = match i % 2 {
                    0 => 200,
                    _ => STATUSES[i / 2 % STATUSES.len()],
                };
                let got = exchange(status, bytes.clone()).await;
                check(status, None, &got, &bytes);
                cases += 1;
            }
        }
    }
    assert!(cases > 0, "answers.json lists no answer");
    cases
}
