//! [`Probe`]: what a test needs to know of an emulated vendor to drive it
//! without naming it: how a request carries the credential, a cheap read,
//! the bots' list, read and update routes, and the shapes of its answers.
//! Each vendor module fills one (`vendors/<vendor>/probe.rs`) and its
//! registry entry carries it, so a vendor the sandbox adds is tested by
//! every generic test once its module exists, and no test file holds a
//! table of vendors.
//!
//! For tests of the sandbox and of clients against it; not a stable API
//! (hidden from the docs).

use serde_json::Value;

use crate::{Credentials, Vendor};

/// What tests need to know of one emulated vendor (see the module docs).
/// Paths are below the vendor's base URL; `{id}` stands for a bot's id in
/// paths and bodies.
#[derive(Debug)]
pub struct Probe {
    /// How a request carries the credential.
    pub auth: Auth,
    /// A cheap authenticated read (`GET`), e.g. to spend a rate-limit
    /// bucket.
    pub cheap_read: &'static str,
    /// What a 2xx answer's body must hold to be a success (empty: the
    /// status says it all; HotTask answers its failures with HTTP 200).
    pub success: &'static [Check],
    /// Where a body carries its own status code, for a vendor that answers
    /// failures inside HTTP 200 (HotTask's `/Code`).
    pub status_in_body: Option<&'static str>,
    /// What a 429's body holds: the vendor's error shape.
    pub rate_limited: &'static [Check],
    /// The bots' list, if the vendor has one.
    pub list: Option<List>,
    /// Reads a bot; what [`write`](Self::write) changes shows here.
    pub read: Call,
    /// Changes a bot, visibly in [`read`](Self::read).
    pub write: Call,
    /// Every other per-bot call, each answering 404 for a bot the caller
    /// does not have.
    pub others: &'static [Call],
    /// How a test updates two fields and reads them back, for the
    /// `drop-field` fault.
    pub drop_field: DropFieldProbe,
    /// The shared field names (the facade's) the update takes, each with
    /// its body path (keys joined by dots): what `drop-field=<name>` drops.
    /// The same table the update's handler uses.
    pub shared_fields: &'static [(&'static str, &'static str)],
}

/// How a request carries the credential.
#[derive(Debug)]
pub enum Auth {
    /// The key, as it is, in this header.
    Header(&'static str),
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: Bearer <token>`, the token got from an exchange of
    /// the key pair.
    Exchange(Exchange),
}

/// A token exchange: `POST path` with a JSON object holding the key and
/// the secret, answered with the token at a JSON pointer.
#[derive(Debug)]
pub struct Exchange {
    /// Below the base URL.
    pub path: &'static str,
    /// The body's member for the key (Converza's key id).
    pub key_field: &'static str,
    /// The body's member for the secret.
    pub secret_field: &'static str,
    /// Where the answer holds the token.
    pub token: &'static str,
}

impl Exchange {
    /// The exchange's body for `credentials`.
    pub fn body(&self, credentials: &Credentials) -> Value {
        let mut body = serde_json::Map::new();
        body.insert(self.key_field.into(), credentials.key.into());
        body.insert(
            self.secret_field.into(),
            credentials.secret.unwrap_or_default().into(),
        );
        Value::Object(body)
    }
}

impl Auth {
    /// The header carrying `credential`: the key, or for
    /// [`Auth::Exchange`] the token it brought.
    pub fn header(&self, credential: &str) -> (&'static str, String) {
        match self {
            Auth::Header(name) => (name, credential.to_string()),
            Auth::Bearer | Auth::Exchange(_) => ("authorization", format!("Bearer {credential}")),
        }
    }
}

/// One request: method, path and JSON body (as text), `{id}` standing for
/// the bot.
#[derive(Debug)]
pub struct Call {
    /// `GET`, `POST`, `PATCH`…
    pub method: &'static str,
    /// Below the base URL.
    pub path: &'static str,
    /// The JSON body, if any.
    pub body: Option<&'static str>,
}

impl Call {
    /// `GET path`.
    pub const fn get(path: &'static str) -> Call {
        Call {
            method: "GET",
            path,
            body: None,
        }
    }

    /// `method path` with the JSON `body`.
    pub const fn with(method: &'static str, path: &'static str, body: &'static str) -> Call {
        Call {
            method,
            path,
            body: Some(body),
        }
    }

    /// The path for bot `id`.
    pub fn path_for(&self, id: &str) -> String {
        self.path.replace("{id}", id)
    }

    /// The body for bot `id`.
    pub fn body_for(&self, id: &str) -> Option<String> {
        self.body.map(|body| body.replace("{id}", id))
    }
}

/// The bots' list.
#[derive(Debug)]
pub struct List {
    /// Lists every bot of the caller (one page holds them all in tests).
    pub path: &'static str,
    /// The key each listed bot's id is under, at any depth.
    pub id_key: &'static str,
    /// Where a list's body says how many bots it holds in all, if it does.
    pub total: Option<&'static str>,
    /// The path without query where the list pages with `page` and
    /// `limit`, if it does.
    pub pages: Option<&'static str>,
}

/// One check of a body: the value at a JSON pointer.
#[derive(Debug)]
pub struct Check {
    /// RFC 6901 (`""` is the whole body).
    pub pointer: &'static str,
    /// What it must be.
    pub expect: Expect,
}

/// What a [`Check`] wants.
#[derive(Debug)]
pub enum Expect {
    /// This JSON value (as text).
    Is(&'static str),
    /// Any string.
    AString,
}

impl Check {
    /// The value at `pointer` equals `json`.
    pub const fn is(pointer: &'static str, json: &'static str) -> Check {
        Check {
            pointer,
            expect: Expect::Is(json),
        }
    }

    /// The value at `pointer` is a string.
    pub const fn a_string(pointer: &'static str) -> Check {
        Check {
            pointer,
            expect: Expect::AString,
        }
    }

    /// Whether `body` passes.
    pub fn holds(&self, body: &Value) -> bool {
        let found = body.pointer(self.pointer);
        match self.expect {
            Expect::Is(json) => {
                let want: Value = serde_json::from_str(json).expect("a probe's JSON parses");
                found == Some(&want)
            }
            Expect::AString => found.is_some_and(Value::is_string),
        }
    }
}

/// Whether `body` passes every check.
pub fn holds_all(checks: &[Check], body: &Value) -> bool {
    checks.iter().all(|check| check.holds(body))
}

/// How a test updates two fields and reads them back.
#[derive(Debug)]
pub struct DropFieldProbe {
    /// The update, setting the kept field and the dropped one.
    pub update: Call,
    /// The shared name of the dropped field (a key of
    /// [`Probe::shared_fields`]).
    pub dropped: &'static str,
    /// The values the update sets, as JSON text: (kept, dropped).
    pub sent: (&'static str, &'static str),
    /// How they are read back.
    pub read: FieldRead,
}

/// How a test reads back the two fields of a [`DropFieldProbe`].
#[derive(Debug)]
pub enum FieldRead {
    /// One call; the kept and the dropped field at these pointers.
    Get {
        call: Call,
        kept: &'static str,
        dropped: &'static str,
    },
    /// A vendor without a read of its settings (HotTask): open a session,
    /// ask, and take both fields from the answer's text.
    Chat {
        /// Opens a session with bot `{id}`.
        session: Call,
        /// Where its answer holds the session id.
        session_id: &'static str,
        /// Asks; `{session}` in its body stands for the session id's JSON.
        ask: Call,
        /// Where the answer holds the text.
        answer: &'static str,
        /// (kept, dropped) as the text shows them.
        fields: fn(&str) -> Option<(Value, Value)>,
    },
}

/// The probe of `vendor`, if the sandbox emulates it.
///
/// ```
/// use chatbots_sandbox::{Vendor, probe};
///
/// for vendor in Vendor::ALL {
///     if let Some(probe) = probe(vendor) {
///         assert!(probe.cheap_read.starts_with('/'));
///     }
/// }
/// ```
pub fn probe(vendor: Vendor) -> Option<&'static Probe> {
    crate::vendors::emulated(vendor).map(|e| &e.probe)
}
