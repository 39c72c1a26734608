//! The sandbox under slowloris: how fast it answers a normal request while
//! N connections trickle a request head one byte a second, how many
//! descriptors those connections cost it, and when it closes them.
//!
//! ```text
//! cargo build -p chatbots-sandbox --bin chatbots-sandbox --example slowloris
//! target/debug/examples/slowloris [--connections N] [--requests R] [--server PATH]
//!                                 [--wait SECONDS] [-- SERVER ARGS...]
//! ```
//!
//! The server is the standalone binary next to this example (or `--server
//! PATH`), started on a free loopback port with the arguments after `--`
//! (e.g. `-- --header-read-timeout 2s`). Descriptors are counted in
//! `/proc/<pid>/fd` (Linux). Prints one Markdown table row.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Options {
    connections: usize,
    requests: usize,
    server: PathBuf,
    wait: Duration,
    server_args: Vec<String>,
}

fn options() -> Result<Options, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/examples/slowloris → target/<profile>/chatbots-sandbox
    let sibling = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join("chatbots-sandbox"))
        .ok_or("no directory for the server binary")?;
    let mut options = Options {
        connections: 1_000,
        requests: 200,
        server: sibling,
        wait: Duration::from_secs(60),
        server_args: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--connections" => {
                options.connections = value()?.parse().map_err(|e| format!("{e}"))?;
            }
            "--requests" => options.requests = value()?.parse().map_err(|e| format!("{e}"))?,
            "--server" => options.server = PathBuf::from(value()?),
            "--wait" => {
                options.wait = Duration::from_secs(value()?.parse().map_err(|e| format!("{e}"))?);
            }
            "--" => {
                options.server_args = args.by_ref().collect();
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(options: &Options) -> Server {
        let mut child = Command::new(&options.server)
            .args(["--port", "0"])
            .args(&options.server_args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", options.server.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("chatbots-sandbox listening on http://")
                    .and_then(|a| a.parse().ok())
            })
            .expect("the server says where it listens");
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr }
    }

    fn descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One health request on a fresh connection: its latency, or `None` if it
/// got no answer within 10 s.
async fn health(addr: SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(b"GET /_sandbox/health HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        answer.starts_with(b"HTTP/1.1 200").then_some(())
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
        .map(|()| started.elapsed())
}

/// p50, p99 and max of `requests` sequential health requests, in ms, and
/// how many went unanswered.
async fn latencies(addr: SocketAddr, requests: usize) -> (String, usize) {
    let mut times = Vec::with_capacity(requests);
    let mut failed = 0;
    for _ in 0..requests {
        match health(addr).await {
            Some(t) => times.push(t),
            None => failed += 1,
        }
    }
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .map_or(f64::NAN, |t| t.as_secs_f64() * 1e3)
    };
    (
        format!("{:.2} / {:.2} / {:.2}", at(0.5), at(0.99), at(1.0)),
        failed,
    )
}

/// A connection that sends a partial request head, then one more header
/// byte a second; resolves with when the server closed it, or `None` if it
/// was still open after `wait`.
async fn slowloris(addr: SocketAddr, wait: Duration) -> Option<Instant> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream
        .write_all(b"GET /okchat/api/external/chatbots HTTP/1.1\r\nHost: s\r\nX-Slow: ")
        .await;
    let closed = async {
        let mut buf = [0u8; 256];
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return Instant::now(),
                    Ok(_) => {}
                },
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    if stream.write_all(b"a").await.is_err() {
                        return Instant::now();
                    }
                }
            }
        }
    };
    tokio::time::timeout(wait, closed).await.ok()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("slowloris: {e}");
            std::process::exit(2);
        }
    };
    let server = Server::start(&options);
    let addr = server.addr;
    let _ = health(addr).await;
    let quiet_fds = server.descriptors();
    let (quiet, quiet_failed) = latencies(addr, options.requests).await;

    let opened = Instant::now();
    let mut slow = Vec::with_capacity(options.connections);
    for _ in 0..options.connections {
        slow.push(tokio::spawn(slowloris(addr, options.wait)));
        // Let each connect and send its first bytes before the next.
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let loaded_fds = server.descriptors();
    let (loaded, loaded_failed) = latencies(addr, options.requests).await;
    let mut closed = Vec::new();
    for task in slow {
        if let Ok(Some(at)) = task.await {
            closed.push(at.duration_since(opened));
        }
    }
    let after_fds = server.descriptors();
    let last_close = closed
        .iter()
        .max()
        .map_or("—".to_string(), |t| format!("{:.1} s", t.as_secs_f64()));
    println!(
        "| server args | slowloris | health p50 / p99 / max ms, quiet | with slowloris | unanswered | server fds quiet → loaded → after | closed by server (last at) |"
    );
    println!("|---|--:|---|---|--:|---|---|");
    println!(
        "| `{}` | {} | {quiet} | {loaded} | {} | {quiet_fds} → {loaded_fds} → {after_fds} | {} of {} ({last_close}) |",
        options.server_args.join(" "),
        options.connections,
        quiet_failed + loaded_failed,
        closed.len(),
        options.connections,
    );
}
