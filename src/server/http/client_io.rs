//! The socket hyper reads and writes once the direct path hands a
//! connection over: the bytes already read come first, and the two
//! deadlines hyper does not keep itself are kept here. A connection with no
//! request in flight closes after `--idle-timeout` (nginx's
//! `keepalive_timeout`); a client that takes no bytes of an answer for
//! `--send-timeout` is dropped (nginx's `send_timeout`). The direct path
//! keeps the same two deadlines on its own (`direct`, `sendfile`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tower::ServiceExt;

use crate::server::metrics::Metrics;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadlines {
    pub idle: Duration,
    pub send: Duration,
}

/// Requests of one connection whose answer is not yet sent in full: while
/// any is, the connection is busy (a long download, an event stream, an
/// upload being received), never idle.
#[derive(Clone, Default)]
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }

    /// Wraps `service` so that each request counts from its call until its
    /// answer's body is dropped (sent, or abandoned).
    pub(crate) fn count<S, R>(
        self,
        service: S,
    ) -> impl tower::Service<
        R,
        Response = axum::response::Response,
        Error = S::Error,
        Future = impl Future<Output = Result<axum::response::Response, S::Error>> + Send,
    > + Clone
    where
        S: tower::Service<R, Response = axum::response::Response> + Clone + Send + 'static,
        S::Future: Send + 'static,
        R: Send + 'static,
    {
        tower::service_fn(move |request: R| {
            let busy = Busy::enter(&self.0);
            let answer = service.clone().oneshot(request);
            async move {
                let response = answer.await?;
                Ok(response.map(|body| Body::new(Counted { body, _busy: busy })))
            }
        })
    }
}

/// One request in flight; dropping it ends the count.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(count))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request counted until hyper drops it.
struct Counted {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A socket whose first bytes were already read (they are read again
/// first), with the idle and send deadlines.
pub(crate) struct ClientIo {
    prefix: Bytes,
    stream: TcpStream,
    deadlines: Deadlines,
    in_flight: InFlight,
    /// Armed while a read waits with no request in flight.
    idle: Option<Pin<Box<Sleep>>>,
    /// Armed while a write waits for the client.
    stalled: Option<Pin<Box<Sleep>>>,
    metrics: Arc<Metrics>,
}

impl ClientIo {
    pub(crate) fn new(
        prefix: Bytes,
        stream: TcpStream,
        deadlines: Deadlines,
        metrics: Arc<Metrics>,
    ) -> Self {
        ClientIo {
            prefix,
            stream,
            deadlines,
            in_flight: InFlight::default(),
            idle: None,
            stalled: None,
            metrics,
        }
    }

    /// The count the connection's service keeps (`InFlight::count`).
    pub(crate) fn in_flight(&self) -> InFlight {
        self.in_flight.clone()
    }

    /// Whether `deadline` (armed now if it is not) has passed.
    fn passed(
        deadline: &mut Option<Pin<Box<Sleep>>>,
        after: Duration,
        cx: &mut Context<'_>,
    ) -> bool {
        let sleep = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
        if sleep.as_mut().poll(cx).is_ready() {
            *deadline = None;
            return true;
        }
        false
    }

    /// `write` as polled, or `TimedOut` once writes have waited for the
    /// send deadline without the client taking a byte.
    fn within_send_deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        write: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if write.is_ready() {
            self.stalled = None;
            return write;
        }
        if !Self::passed(&mut self.stalled, self.deadlines.send, cx) {
            return Poll::Pending;
        }
        self.metrics.client_stalled();
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped reading",
        )))
    }
}

impl AsyncRead for ClientIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.prefix.has_remaining() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        let this = &mut *self;
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if read.is_ready() || !this.in_flight.is_idle() {
            this.idle = None;
            return read;
        }
        if Self::passed(&mut this.idle, this.deadlines.idle, cx) {
            // Read as the end of the stream: hyper closes the connection
            // quietly, as when the client leaves.
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.within_send_deadline(cx, write)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.within_send_deadline(cx, write)
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
