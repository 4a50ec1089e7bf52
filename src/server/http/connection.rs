//! Accepting connections and shutting down gracefully. Each connection starts
//! on the direct path (`direct`), which answers plain requests for stored
//! bytes with `sendfile`; at the first request it leaves to the router, the
//! connection goes to hyper, with the bytes already read put back in front.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use bytes::BytesMut;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::server::http::client_io::{ClientIo, Deadlines};
use crate::server::http::direct::{self, Next};
use crate::server::state::AppState;

/// Serves until `shutdown` resolves, then lets in-flight requests finish:
/// idle connections close at once, busy ones after their current answer.
pub(crate) async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let router = super::router(state.clone());
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: new connections
                // cannot be served until some close, so wait rather than spin.
                tracing::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Answers are written whole (head and body in one go), so Nagle's
        // algorithm could only delay their last packet.
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(
            stream,
            peer,
            state.clone(),
            router.clone(),
            stop.clone(),
        ));
    }
    drop(listener);
    state.service.close_streams();
    stop.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    state: AppState,
    router: Router,
    stop: CancellationToken,
) {
    let mut buffer = BytesMut::new();
    if state.config.direct_path
        && state.service.bytes_are_local()
        && direct::serve(&stream, peer, &state, &mut buffer, &stop).await == Next::Close
    {
        return;
    }
    let head_timeout = state.config.head_timeout;
    let deadlines = Deadlines {
        idle: state.config.idle_timeout,
        send: state.config.send_timeout,
    };
    let io = ClientIo::new(
        buffer.freeze(),
        stream,
        deadlines,
        Arc::clone(&state.metrics),
    );
    let in_flight = io.in_flight();
    let io = TokioIo::new(io);
    drop(state);
    // Handlers and the access log learn the peer as axum's `ConnectInfo`.
    let router = router.map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let service = TowerToHyperService::new(in_flight.count(router));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // With a timer, hyper also drops a client that takes longer than the
    // head timeout to send a request head, as the direct path does (slowloris).
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    // Handed over while stopping: a graceful shutdown now would drop the
    // request already begun, so answer it and close instead.
    let mut stopping = stop.is_cancelled();
    if stopping {
        builder.http1().keep_alive(false);
    }
    let mut conn = pin!(builder.serve_connection_with_upgrades(io, service));
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            // Finishes the request in flight, then closes.
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
