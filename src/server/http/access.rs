//! The access log and the wire's counters: one line per answer, the same on
//! both byte paths (method, path, status, body bytes, duration, peer, and
//! which path answered), at info level under the `reel::access` target.
//! Query strings are left out: they may carry tokens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::HttpBody as _;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::server::metrics::{Metrics, Via};

/// One answer, as the log and the counters see it.
pub(crate) struct Answered<'a> {
    pub(crate) via: Via,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    pub(crate) bytes: u64,
    pub(crate) started: Instant,
    pub(crate) peer: Option<SocketAddr>,
}

/// Counts the answer and writes its access-log line.
pub(crate) fn record(metrics: &Metrics, answer: &Answered<'_>) {
    metrics.answered(answer.via, answer.status, answer.bytes);
    log(answer);
}

/// Whether access-log lines are written at all: when they are not, the
/// byte paths skip even the formatting (a range request is a few
/// microseconds of work; an allocation or two is a measurable share).
pub(crate) fn enabled() -> bool {
    tracing::enabled!(target: "reel::access", tracing::Level::INFO)
}

/// Writes the answer's access-log line.
pub(crate) fn log(answer: &Answered<'_>) {
    if !enabled() {
        return;
    }
    let peer = answer.peer.map(|p| p.to_string());
    tracing::info!(
        target: "reel::access",
        method = answer.method,
        path = answer.path,
        status = answer.status,
        bytes = answer.bytes,
        ms = answer.started.elapsed().as_secs_f64() * 1000.0,
        peer = peer.as_deref().unwrap_or("-"),
        via = answer.via.name(),
        "answer"
    );
}

/// The router's side: every request through hyper gets its line.
pub(crate) async fn log_router(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let response = next.run(request).await;
    let bytes = response.body().size_hint().exact().or_else(|| {
        response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
    });
    record(
        &metrics,
        &Answered {
            via: Via::Router,
            method: method.as_str(),
            path: &path,
            status: response.status().as_u16(),
            bytes: bytes.unwrap_or(0),
            started,
            peer,
        },
    );
    response
}
