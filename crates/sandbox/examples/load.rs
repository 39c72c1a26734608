//! Load test of the sandbox: mixed reads and edits across the five vendors
//! over 64 keep-alive connections, against the standalone binary in its own
//! process, reporting requests per second and the server's resident memory.
//!
//! ```text
//! cargo build --release -p chatbots-sandbox --bin chatbots-sandbox --example load
//! target/release/examples/load [--requests N] [--connections C] [--server PATH]
//! ```
//!
//! `cargo xtask bench-sandbox` runs both the throughput run and the
//! 1,000,000-request soak. Memory is read from `/proc/<pid>/status` (Linux).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// One request of the mix, with its expected status.
struct Call {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<&'static str>,
}

fn mix(converza_token: &str) -> Vec<Call> {
    let json = || ("content-type", "application/json".to_string());
    let streamskill = (
        "authorization",
        "Bearer sandbox-streamskill-token".to_string(),
    );
    let converza = ("authorization", format!("Bearer {converza_token}"));
    let okchat = (
        "x-api-key",
        "5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c5a1dbb0c".to_string(),
    );
    let puretalk = ("x-api-key", "sandbox-puretalk-key".to_string());
    let hottask = ("authorization", "sandbox-hottask-key".to_string());
    let converza_bot = "770e8400-e29b-41d4-a716-446655440002";
    let okchat_bot = "3317853e-0af2-427d-a56f-351a9587f48f";
    let puretalk_bot = "123e4567-e89b-12d3-a456-426614174000";
    vec![
        Call {
            method: "GET",
            path: "/streamskill/purchases/12345".into(),
            headers: vec![streamskill.clone()],
            body: None,
        },
        Call {
            method: "POST",
            path: "/streamskill/purchases/12345/edit-ai-chatbots".into(),
            headers: vec![streamskill, json()],
            body: Some(r#"{"language":"en","count":10,"interval":10}"#),
        },
        Call {
            method: "GET",
            path: format!("/converza/api/openapi/v1/bots/{converza_bot}"),
            headers: vec![converza.clone()],
            body: None,
        },
        Call {
            method: "PATCH",
            path: format!("/converza/api/openapi/v1/bots/{converza_bot}"),
            headers: vec![converza, json()],
            body: Some(r#"{"name":"Load bot","temperature":0.5}"#),
        },
        Call {
            method: "GET",
            path: format!("/okchat/api/external/chatbot/{okchat_bot}"),
            headers: vec![okchat.clone()],
            body: None,
        },
        Call {
            method: "PATCH",
            path: format!("/okchat/api/external/chatbots?id={okchat_bot}"),
            headers: vec![okchat, json()],
            body: Some(r#"{"name":"Load bot","settings":{"greeting":"Hi"}}"#),
        },
        Call {
            method: "GET",
            path: format!("/puretalk/ai-assistants/{puretalk_bot}"),
            headers: vec![puretalk.clone()],
            body: None,
        },
        Call {
            method: "PATCH",
            path: format!("/puretalk/ai-assistants/{puretalk_bot}"),
            headers: vec![puretalk, json()],
            body: Some(r#"{"name":"Load bot"}"#),
        },
        Call {
            method: "POST",
            path: "/hottask/chat/Chatbot/Edit".into(),
            headers: vec![hottask, json()],
            body: Some(r#"{"serialNumber":"3254a9d0424c4806b9ea3d0763ccfxxx","Name":"Load bot"}"#),
        },
    ]
}

struct Args {
    requests: u64,
    connections: usize,
    server: String,
}

fn args() -> Args {
    let mut out = Args {
        requests: 200_000,
        connections: 64,
        server: "target/release/chatbots-sandbox".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--requests" => out.requests = value.parse().expect("--requests N"),
            "--connections" => out.connections = value.parse().expect("--connections C"),
            "--server" => out.server = value,
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

/// Starts the standalone sandbox and returns it with its port.
fn spawn_server(binary: &str) -> (Child, u16) {
    let mut child = Command::new(binary)
        .args(["--port", "0", "--no-rate-limit"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("banner").expect("banner");
    let port = first
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in banner");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn converza_token(port: u16) -> String {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = Request::post("/converza/api/openapi/auth/token")
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"key_id":"cvz_key_sandbox","key_secret":"cvz_secret_sandbox"}"#,
        )))
        .expect("request");
    let response = sender.send_request(request).await.expect("token");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value: serde_json::Value = serde_json::from_slice(&body).expect("token JSON");
    value
        .pointer("/data/access_token")
        .and_then(|v| v.as_str())
        .expect("access_token")
        .to_string()
}

/// Sends `total` requests of the mix over `connections` connections;
/// returns (elapsed, non-2xx answers).
async fn run(port: u16, calls: Arc<Vec<Call>>, total: u64, connections: usize) -> (Duration, u64) {
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (calls, next, failures) = (calls.clone(), next.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(connection);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let call = &calls[(n % calls.len() as u64) as usize];
                let mut request = Request::builder()
                    .method(call.method)
                    .uri(&call.path)
                    .header("host", "127.0.0.1");
                for (name, value) in &call.headers {
                    request = request.header(*name, value);
                }
                let body = call
                    .body
                    .map(|b| Bytes::from_static(b.as_bytes()))
                    .unwrap_or_default();
                let request = request.body(Full::new(body)).expect("request");
                let response = sender.send_request(request).await.expect("response");
                if !response.status().is_success() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                response.into_body().collect().await.expect("body");
            }
        }));
    }
    for task in tasks {
        task.await.expect("connection task");
    }
    (started.elapsed(), failures.load(Ordering::Relaxed))
}

fn main() {
    let args = args();
    let (mut server, port) = spawn_server(&args.server);
    let pid = server.id();
    // One client thread: the server gets the other core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let token = converza_token(port).await;
        let calls = Arc::new(mix(&token));
        let warmup = (args.requests / 20).max(1_000);
        run(port, calls.clone(), warmup, args.connections).await;
        let rss_before = rss_kib(pid);
        let (elapsed, failures) = run(port, calls.clone(), args.requests, args.connections).await;
        let rss_after = rss_kib(pid);
        let rate = args.requests as f64 / elapsed.as_secs_f64();
        println!(
            "requests: {}  connections: {}  mix: {} routes over 5 vendors",
            args.requests,
            args.connections,
            calls.len()
        );
        println!("elapsed: {:.2} s  throughput: {rate:.0} req/s  non-2xx: {failures}", elapsed.as_secs_f64());
        println!(
            "server RSS after warm-up: {rss_before} KiB  after run: {rss_after} KiB  growth: {} KiB",
            rss_after as i64 - rss_before as i64
        );
    });
    let _ = server.kill();
    let _ = server.wait();
}
