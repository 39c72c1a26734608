//! The accept loop and the fault layer. A hand-rolled loop (rather than
//! `axum::serve`) so that a fault can reset the very connection a request
//! came on.

use std::convert::Infallible;
use std::sync::Arc;
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
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

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

/// Lets the fault layer drop the connection its request arrived on.
#[derive(Clone)]
struct ConnectionReset(Arc<Notify>);

pub(crate) fn spawn(listener: TcpListener, app: Router) -> Handle {
    let (shutdown, stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait, don't spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let reset = Arc::new(Notify::new());
                let marker = ConnectionReset(reset.clone());
                let service = tower::service_fn(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(marker.clone());
                    app.clone().oneshot(request)
                });
                // A second handle on the same socket, kept outside hyper: socket
                // options belong to the socket, so linger 0 set through it turns
                // the final close into a reset (RST instead of FIN).
                let handle = socket2::SockRef::from(&stream).try_clone().ok();
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    _ = reset.notified() => {
                        if let Some(handle) = &handle {
                            let _ = handle.set_linger(Some(Duration::ZERO));
                        }
                    }
                    _ = stopped.wait_for(|stop| *stop) => {}
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
    request: Request,
    next: Next,
) -> Response {
    let (vendor, route) = split_vendor(request.uri().path());
    if vendor.is_none() {
        return next.run(request).await;
    }
    let decision = faults.decide(vendor, request.method().as_str(), route);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    match decision.fault {
        None => next.run(request).await,
        Some(Fault::Latency(_)) => next.run(request).await,
        Some(Fault::RateLimited { retry_after }) => {
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
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
            if let Some(ConnectionReset(reset)) = request.extensions().get::<ConnectionReset>() {
                reset.notify_one();
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
