//! The fixture vendor's API, in memory on loopback, for the copy's
//! `chatbots` binary to talk to: the paged list, the get and the PATCH of
//! `xtask/fixtures/sixth-vendor/acmechat.yaml`, each behind the API key
//! header, failures as `{code, message}`. One thread per connection, one
//! request per connection (`Connection: close`); heads and bodies are
//! bounded. It counts the requests it receives, so that a refusal can be
//! shown to have sent nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};

/// The header that carries the API key (the spec's security scheme).
pub const KEY_HEADER: &str = "x-acme-key";
/// The path below the server's root that the vendor's base URL points at.
pub const BASE_PATH: &str = "/v1";
/// Bots per page at most, whatever the client asks: small, so that the
/// seeded bots span pages.
const PAGE_CAP: usize = 2;
/// The largest request head or body read.
const MAX_BYTES: usize = 64 * 1024;

/// A running stub; it stops with the process.
pub struct Stub {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    state: Arc<State>,
}

struct State {
    key: String,
    bots: Mutex<Vec<Map<String, Value>>>,
    requests: AtomicUsize,
}

impl Stub {
    /// Starts the stub on a free loopback port with `bots` (JSON objects
    /// with at least `id` and `name`), answering requests that carry `key`.
    pub fn start(key: &str, bots: Vec<Map<String, Value>>) -> Result<Stub, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?
            .port();
        let state = Arc::new(State {
            key: key.to_string(),
            bots: Mutex::new(bots),
            requests: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&serving);
                std::thread::spawn(move || serve(&state, stream));
            }
        });
        Ok(Stub {
            base_url: format!("http://127.0.0.1:{port}{BASE_PATH}"),
            state,
        })
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The stored bot `id`, as JSON.
    pub fn bot(&self, id: &str) -> Option<Map<String, Value>> {
        lock(&self.state.bots)
            .iter()
            .find(|b| b.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request as the stub needs it.
struct Request {
    method: String,
    path: String,
    query: String,
    key: Option<String>,
    body: Vec<u8>,
}

fn serve(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let (status, body) = match read_request(stream) {
        Ok(request) => {
            state.requests.fetch_add(1, Ordering::SeqCst);
            answer(state, &request)
        }
        Err(rule) => (400, error("bad_request", &rule)),
    };
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    };
    let _ = write!(
        writer,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = writer.flush();
}

fn read_request(stream: TcpStream) -> Result<Request, String> {
    let mut reader = BufReader::new(stream.take(2 * MAX_BYTES as u64));
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("unreadable request: {e}"))?;
        if n == 0 {
            return Err("the request ended inside its head".into());
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push(line.trim_end().to_string());
        if head.iter().map(String::len).sum::<usize>() > MAX_BYTES {
            return Err("request head too large".into());
        }
    }
    let mut words = head.first().ok_or("no request line")?.split(' ');
    let method = words.next().unwrap_or_default().to_string();
    let target = words.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut key = None;
    let mut length = 0;
    for line in &head[1..] {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = value.parse().map_err(|_| "bad content-length")?;
            }
            KEY_HEADER => key = Some(value.to_string()),
            _ => {}
        }
    }
    if length > MAX_BYTES {
        return Err("request body too large".into());
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|e| format!("the body ended early: {e}"))?;
    Ok(Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
        key,
        body,
    })
}

fn error(code: &str, message: &str) -> Value {
    json!({"code": code, "message": message})
}

fn answer(state: &State, request: &Request) -> (u16, Value) {
    if request.key.as_deref() != Some(state.key.as_str()) {
        return (401, error("unauthorized", "missing or wrong X-Acme-Key"));
    }
    let Some(route) = request.path.strip_prefix(BASE_PATH) else {
        return (404, error("not_found", "no such route"));
    };
    let mut bots = lock(&state.bots);
    match (request.method.as_str(), route) {
        ("GET", "/bots") => {
            let page = query_number(&request.query, "page").unwrap_or(1).max(1);
            let per_page = query_number(&request.query, "per_page")
                .unwrap_or(20)
                .clamp(1, PAGE_CAP);
            let start = (page - 1).saturating_mul(per_page).min(bots.len());
            let end = start.saturating_add(per_page).min(bots.len());
            let page: Vec<Value> = bots[start..end]
                .iter()
                .cloned()
                .map(Value::Object)
                .collect();
            (200, json!({"bots": page, "has_more": end < bots.len()}))
        }
        (method, route) => {
            let Some(id) = route.strip_prefix("/bots/").filter(|id| !id.contains('/')) else {
                return (404, error("not_found", "no such route"));
            };
            let Some(bot) = bots
                .iter_mut()
                .find(|b| b.get("id").and_then(Value::as_str) == Some(id))
            else {
                return (404, error("not_found", "No bot with this id."));
            };
            match method {
                "GET" => (200, Value::Object(bot.clone())),
                "PATCH" => match serde_json::from_slice::<Value>(&request.body) {
                    Ok(Value::Object(fields)) => match refused(&fields) {
                        Some(rule) => (400, error("invalid", &rule)),
                        None => {
                            bot.extend(fields);
                            (200, Value::Object(bot.clone()))
                        }
                    },
                    _ => (400, error("invalid", "the body must be a JSON object")),
                },
                _ => (404, error("not_found", "no such route")),
            }
        }
    }
}

/// The spec's rules for an update body, the few the stub enforces, so that
/// a value the client should have refused shows up as a failure here too.
fn refused(fields: &Map<String, Value>) -> Option<String> {
    for (key, value) in fields {
        let ok = match key.as_str() {
            "name" => value.as_str().is_some_and(|s| !s.is_empty()),
            "instructions" => value.is_string(),
            "temperature" => value.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)),
            "persona" => matches!(value.as_str(), Some("friendly" | "formal" | "playful")),
            _ => return Some(format!("unknown field `{key}`")),
        };
        if !ok {
            return Some(format!("invalid `{key}`"));
        }
    }
    None
}

fn query_number(query: &str, name: &str) -> Option<usize> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
}
