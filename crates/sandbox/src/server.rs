//! The accept loop and the fault layer. A hand-rolled loop (rather than
//! `axum::serve`) so that a fault can reset the very connection a request
//! came on.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::drop_field::DropRules;
use crate::support::Problem;
use crate::{Fault, Faults, Vendor, vendors};

/// Stops the server (and every open connection) when dropped.
pub(crate) struct Handle {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

/// How long a connection may take or wait; see [`Settings`](crate::Settings).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub(crate) header_read: Duration,
    pub(crate) idle: Duration,
}

impl Timeouts {
    /// Within 1 ms ..= a day: hyper adds the header timeout to an `Instant`
    /// (an overflow would panic), and zero would refuse every request.
    fn bounded(self) -> Self {
        let bound = |d: Duration| d.clamp(Duration::from_millis(1), Duration::from_secs(86_400));
        Timeouts {
            header_read: bound(self.header_read),
            idle: bound(self.idle),
        }
    }
}

/// What one connection's task and the fault layer share: the reset signal
/// and the time of the last byte moved, which the idle timeout watches.
struct Connection {
    reset: Notify,
    started: Instant,
    /// Milliseconds from `started` to the last byte read or written.
    last_activity: AtomicU64,
    /// Requests the fault layer is holding on purpose (latency): the
    /// silence is the sandbox's, not the client's.
    stalls: AtomicUsize,
}

impl Connection {
    fn touch(&self) {
        let now = self.started.elapsed().as_millis();
        self.last_activity
            .store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `limit` while no request was
    /// being held by a latency fault.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last =
                self.started + Duration::from_millis(self.last_activity.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() < deadline {
                tokio::time::sleep_until(deadline).await;
            } else if self.stalls.load(Ordering::Relaxed) > 0 {
                // The stall's end counts as activity (see `Stall`).
                tokio::time::sleep(limit).await;
            } else {
                return;
            }
        }
    }
}

/// Marks a request as held by the fault layer while it lives.
struct Stall<'a>(&'a Connection);

impl<'a> Stall<'a> {
    fn new(connection: &'a Connection) -> Self {
        connection.stalls.fetch_add(1, Ordering::Relaxed);
        Stall(connection)
    }
}

impl Drop for Stall<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.stalls.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The request's connection, for the fault layer (absent in requests that
/// did not come through [`spawn`]).
#[derive(Clone)]
struct ConnectionHandle(Arc<Connection>);

/// The accepted socket, noting each byte moved on its [`Connection`]. It
/// owns the one descriptor of the connection: a reset sets SO_LINGER on it
/// after taking it back from hyper (`into_parts`), so no duplicate is kept.
struct Tracked {
    stream: TcpStream,
    connection: Arc<Connection>,
}

impl Tracked {
    fn moved(&self, result: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = result
            && *n > 0
        {
            self.connection.touch();
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.connection.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.moved(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.moved(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

pub(crate) fn spawn(listener: TcpListener, app: Router, timeouts: Timeouts) -> Handle {
    let timeouts = timeouts.bounded();
    let (shutdown, stopped) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header timeout runs from the moment hyper waits for a request
    // head: on a new connection and after each answer on a kept-alive one.
    // So it also closes connections that send nothing (slowloris, idle
    // sockets holding descriptors); the idle timeout covers the rest (a
    // body or an answer that stops moving).
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: the pending
                // connection stays in the backlog, so retrying at once
                // would spin. Wait for descriptors to free up (the timeouts
                // above close connections), never give up.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            let http = http.clone();
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let connection = Arc::new(Connection {
                    reset: Notify::new(),
                    started: Instant::now(),
                    last_activity: AtomicU64::new(0),
                    stalls: AtomicUsize::new(0),
                });
                let marker = ConnectionHandle(connection.clone());
                let service = tower::service_fn(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(marker.clone());
                    app.clone().oneshot(request)
                });
                let io = Tracked {
                    stream,
                    connection: connection.clone(),
                };
                let mut served =
                    http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
                let reset = tokio::select! {
                    _ = &mut served => false,
                    _ = connection.reset.notified() => true,
                    _ = connection.idle_for(timeouts.idle) => false,
                    _ = stopped.wait_for(|stop| *stop) => false,
                };
                if reset {
                    // Linger 0 turns the close below into a reset (RST
                    // instead of FIN).
                    let parts = served.into_parts();
                    let _ = socket2::SockRef::from(&parts.io.inner().stream)
                        .set_linger(Some(Duration::ZERO));
                }
            });
        }
    });
    Handle { shutdown, task }
}

/// The vendor a request path belongs to, and the path below its base URL.
pub(crate) fn split_vendor(path: &str) -> (Option<Vendor>, &str) {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (slug, route) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    match Vendor::from_slug(slug) {
        Some(vendor) => (Some(vendor), route),
        None => (None, path),
    }
}

/// Middleware: counts requests and applies the matching fault rules.
pub(crate) async fn apply_faults(
    State(faults): State<Faults>,
    mut request: Request,
    next: Next,
) -> Response {
    let (vendor, route) = split_vendor(request.uri().path());
    let Some(found) = vendor else {
        return next.run(request).await;
    };
    let decision = faults.decide(vendor, request.method().as_str(), route);
    if decision.may_drop {
        let rules = DropRules {
            faults: faults.clone(),
            vendor: found,
            method: request.method().as_str().to_string(),
            route: route.to_string(),
        };
        request.extensions_mut().insert(rules);
    }
    let connection = request.extensions().get::<ConnectionHandle>().cloned();
    if !decision.delay.is_zero() {
        let _stall = connection.as_ref().map(|c| Stall::new(&c.0));
        tokio::time::sleep(decision.delay).await;
    }
    match decision.fault {
        // A `drop-field` rule is applied by the update's handler (`DropRules`).
        None | Some(Fault::Latency(_) | Fault::DropField(_)) => next.run(request).await,
        Some(Fault::RateLimited { retry_after }) => {
            let seconds = retry_after
                .as_secs()
                .saturating_add(u64::from(retry_after.subsec_nanos() > 0));
            vendors::rate_limited(vendor, seconds)
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            vendors::render(vendor, Problem::Injected(status))
        }
        Some(Fault::MalformedJson) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"success\": tru, \"data\": [",
        )
            .into_response(),
        Some(Fault::TruncatedBody) => truncate(next.run(request).await).await,
        Some(Fault::ConnectionReset) => {
            if let Some(ConnectionHandle(connection)) = connection {
                connection.reset.notify_one();
            }
            std::future::pending().await
        }
    }
}

/// The response with only the first half of its body, still announcing the
/// whole length, so that the connection ends mid-body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let whole = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(whole.len().max(2)),
    );
    let half = whole.slice(..whole.len() / 2);
    // The pause lets the server flush the half before the error aborts the
    // connection; otherwise the client would see no answer at all.
    let chunks = futures::stream::iter([Ok::<Bytes, std::io::Error>(half)]).chain(
        futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other("truncated by the sandbox"))
        }),
    );
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// For routes outside any vendor.
pub(crate) async fn no_route() -> Result<Response, Infallible> {
    let prefixes: Vec<String> = vendors::slugs().iter().map(|s| format!("/{s}")).collect();
    Ok((
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "message": format!("not a sandbox route; vendors are under {}", prefixes.join(", "))
        })),
    )
        .into_response())
}
