//! The bench's HTTP/1.1 server on loopback: a fixed, realistic success
//! answer per seed endpoint (each vendor's spec example), at once or after
//! a latency, recording requests on demand for [`check_identical`](crate::check_identical).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::latency::Latency;
use crate::seed::{seed, token_answer};

/// Answers served so far, by every server of the process: numbers the
/// latency of each answer.
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// A request as the server saw it, for [`check_identical`](crate::check_identical).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Every header, sorted, as `name: value`.
    pub headers: Vec<String>,
    /// The body bytes.
    pub body: Bytes,
}

/// What the server records while recording is on.
#[derive(Default)]
pub struct Recorder {
    on: AtomicBool,
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    /// Starts recording (clearing what was seen).
    pub fn start(&self) {
        self.take();
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns what was seen.
    pub fn stop(&self) -> Vec<Seen> {
        self.on.store(false, Ordering::SeqCst);
        self.take()
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// One route the server answers: a method and a path whose `{parameter}`
/// segments match any segment.
struct Route {
    method: Method,
    segments: Vec<String>,
    answer: Bytes,
    /// Whether the answer carries `X-Rate-Limit-*` headers, as the spec
    /// declares for the update's answer.
    rate_limit_headers: bool,
    /// Whether it is a token exchange (not recorded).
    token: bool,
}

impl Route {
    fn matches(&self, method: &Method, path: &str) -> bool {
        let mut given = path.trim_start_matches('/').split('/');
        *method == self.method
            && self
                .segments
                .iter()
                .all(|s| given.next().is_some_and(|g| s.starts_with('{') || *s == g))
            && given.next().is_none()
    }
}

/// The fixed answers of every vendor the bench drives, encoded once: the
/// update's and, where there is one, the token exchange's.
struct Answers {
    routes: Vec<Route>,
}

impl Answers {
    fn new() -> Self {
        let bytes = |v: &Value| Bytes::from(v.to_string());
        let segments = |stem: &str, path: &str| -> Vec<String> {
            format!("{stem}{path}")
                .trim_start_matches('/')
                .split('/')
                .map(str::to_string)
                .collect()
        };
        let mut routes = Vec::new();
        for seed in crate::benched().into_iter().filter_map(|v| seed(v).ok()) {
            routes.push(Route {
                method: seed.method.clone(),
                segments: segments(&seed.stem, &seed.route),
                answer: bytes(&seed.response),
                rate_limit_headers: seed.rate_limit_headers,
                token: false,
            });
            if let (Some((at, _)), Some(answer)) = (&seed.token, token_answer(seed)) {
                routes.push(Route {
                    method: Method::POST,
                    segments: segments(&seed.stem, at),
                    answer: bytes(&answer),
                    rate_limit_headers: false,
                    token: true,
                });
            }
        }
        Self { routes }
    }

    fn route(&self, method: &Method, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(method, path))
    }
}

async fn answer(
    request: Request<Incoming>,
    answers: Arc<Answers>,
    recorder: Arc<Recorder>,
    latency: Latency,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if latency != Latency::NONE {
        let n = ANSWERED.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(latency.nth(n)).await;
    }
    let route = answers.route(&parts.method, parts.uri.path());
    if recorder.on.load(Ordering::Relaxed) && !route.is_some_and(|r| r.token) {
        let mut headers: Vec<String> = parts
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
            .collect();
        headers.sort();
        let seen = Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers,
            body,
        };
        recorder
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seen);
    }
    let mut response = match route {
        Some(route) => {
            let mut r = Response::new(Full::new(route.answer.clone()));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        None => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"{\"error\":\"no route\"}")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    if route.is_some_and(|r| r.rate_limit_headers) {
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from_static("30"));
        headers.insert("x-rate-limit-remaining", HeaderValue::from_static("29"));
    }
    Ok(response)
}

/// Serves the seed endpoints on `listener` until the runtime stops, each
/// answer `latency` after its request was read.
pub async fn serve(listener: tokio::net::TcpListener, recorder: Arc<Recorder>, latency: Latency) {
    let answers = Arc::new(Answers::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let answers = answers.clone();
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                answer(request, answers.clone(), recorder.clone(), latency)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A server running on its own thread and runtime.
pub struct Server {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// What it records.
    pub recorder: Arc<Recorder>,
}

/// Starts [`serve`] on 127.0.0.1:0 on a new thread with its own
/// single-threaded runtime, answering after `latency`. The thread lives as
/// long as the process.
pub fn spawn_server(latency: Latency) -> Server {
    let recorder = Arc::new(Recorder::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let thread_recorder = recorder.clone();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let _ = tx.send(listener.local_addr().expect("local addr"));
                serve(listener, thread_recorder, latency).await;
            });
        })
        .expect("server thread");
    let addr = rx.recv().expect("server address");
    Server { addr, recorder }
}
