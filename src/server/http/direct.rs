//! The direct path for stored bytes: plain HTTP/1.1 `GET` and `HEAD` of
//! `/files/{id}/{variant}` are parsed here and answered with `sendfile`,
//! without hyper, so the bytes go from the page cache to the socket inside
//! the kernel, as nginx sends them.
//!
//! It only takes requests it fully understands. Anything else — another
//! path, another method, HTTP/1.0 or 2, a request body, an upgrade, a
//! malformed or oversized head, an id that is not one, an unknown item or any
//! error — hands the connection, with every byte read so far, to hyper and
//! the router, which give the one canonical answer. So the direct path never
//! answers differently from the router; it only answers faster.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use bytes::{Buf, BytesMut};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::server::http::conditional::Conditions;
use crate::server::http::files::{self, Asked};
use crate::server::http::sendfile;
use crate::server::state::AppState;
use crate::server::store::{MediaId, Variant};

/// A request head longer than this goes to hyper (which refuses it with 431).
const MAX_HEAD: usize = 16 * 1024;
/// More header lines than this go to hyper too.
const MAX_HEADERS: usize = 48;
/// How long an idle keep-alive connection stays open (nginx's default).
const IDLE: Duration = Duration::from_secs(75);
/// How long a client may take to send a request head once it has started.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// What the connection does after the direct path.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Closed or finished: drop the socket.
    Close,
    /// Give the connection and the bytes read so far to hyper.
    HandOver,
}

/// A `GET`/`HEAD` of stored bytes that the direct path answers.
#[derive(Debug)]
pub struct FileRequest {
    pub id: MediaId,
    pub variant: Variant,
    pub asked: Asked,
    /// `Connection: close`: no further request on this connection.
    pub close: bool,
    /// Length of the request head in the buffer.
    pub head_len: usize,
}

/// What the bytes at the front of the buffer are.
#[derive(Debug)]
pub enum Parsed {
    File(FileRequest),
    /// Not a whole head yet.
    Partial,
    /// Anything the direct path leaves to hyper.
    Other,
}

/// Serves direct requests on `stream` until it closes or one must go to hyper.
pub async fn serve(
    stream: &TcpStream,
    state: &AppState,
    buffer: &mut BytesMut,
    stop: &CancellationToken,
) -> Next {
    loop {
        let request = match parse(buffer) {
            Parsed::File(request) => request,
            Parsed::Other => return Next::HandOver,
            Parsed::Partial if buffer.len() >= MAX_HEAD => return Next::HandOver,
            Parsed::Partial => match read_more(stream, buffer, stop).await {
                Ok(true) => continue,
                Ok(false) | Err(_) => return Next::Close,
            },
        };
        // Any error (an unknown item, a file not made yet, a database
        // failure) goes to the router, which has the one error answer.
        let Ok(answer) = files::prepare(state, &request.id, request.variant, &request.asked).await
        else {
            return Next::HandOver;
        };
        buffer.advance(request.head_len);
        // Said in the answer, as hyper says it, so that a client knows not
        // to send another request on this connection (RFC 9112 §9.6).
        let close = request.close || stop.is_cancelled();
        // The router's requests are logged by its trace layer; these here.
        tracing::debug!(
            id = %request.id,
            variant = request.variant.url_name(),
            status = answer.status.as_u16(),
            head = request.asked.head,
            "direct answer"
        );
        if let Err(e) = sendfile::send(stream, answer, close).await {
            tracing::debug!("direct answer ended early: {e}");
            return Next::Close;
        }
        state.direct_answers.fetch_add(1, Ordering::Relaxed);
        if close {
            return Next::Close;
        }
    }
}

/// Reads more of the request; `false` when the client closed the connection
/// or went quiet, or the server is stopping while the connection is idle.
async fn read_more(
    stream: &TcpStream,
    buffer: &mut BytesMut,
    stop: &CancellationToken,
) -> io::Result<bool> {
    let idle = buffer.is_empty();
    let wait = if idle { IDLE } else { HEAD_TIMEOUT };
    buffer.reserve(4096);
    let read = async {
        loop {
            stream.readable().await?;
            match stream.try_read_buf(buffer) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    };
    tokio::select! {
        biased;
        read = tokio::time::timeout(wait, read) => match read {
            Ok(Ok(n)) => Ok(n > 0),
            Ok(Err(e)) => Err(e),
            Err(_elapsed) => Ok(false),
        },
        // A request already begun is read and answered; idle connections
        // close, unless bytes arrived that the runtime has not reported yet
        // (closing on unread bytes would reset the connection).
        () = stop.cancelled(), if idle => Ok(drain(stream, buffer)? > 0),
    }
}

/// Reads whatever the socket holds now, without waiting.
fn drain(stream: &TcpStream, buffer: &mut BytesMut) -> io::Result<usize> {
    let mut chunk = [0u8; 4096];
    let mut total = 0;
    loop {
        match rustix::net::recv(stream, &mut chunk, rustix::net::RecvFlags::DONTWAIT) {
            Ok((0, _)) | Err(rustix::io::Errno::AGAIN) => return Ok(total),
            Ok((n, _)) => {
                buffer.extend_from_slice(&chunk[..n]);
                total += n;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Classifies the request head at the front of `bytes`.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    let head_len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Other,
    };
    let head = match request.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => return Parsed::Other,
    };
    if request.version != Some(1) {
        return Parsed::Other;
    }
    let Some((id, variant, query)) = request.path.and_then(file_target) else {
        return Parsed::Other;
    };
    let mut conditional = HeaderMap::new();
    let mut close = false;
    for field in request.headers.iter() {
        let name = field.name;
        let is = |known: &HeaderName| name.eq_ignore_ascii_case(known.as_str());
        if is(&header::CONTENT_LENGTH) {
            if field.value.trim_ascii() != b"0" {
                return Parsed::Other;
            }
        } else if is(&header::TRANSFER_ENCODING) || is(&header::UPGRADE) || is(&header::EXPECT) {
            return Parsed::Other;
        } else if is(&header::CONNECTION) {
            close |= field
                .value
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        } else if let Some(known) = CONDITIONAL.iter().find(|known| is(known)) {
            let Ok(value) = HeaderValue::from_bytes(field.value) else {
                return Parsed::Other;
            };
            conditional.append(known.clone(), value);
        }
    }
    Parsed::File(FileRequest {
        id,
        variant,
        asked: Asked {
            conditions: Conditions::from_headers(&conditional),
            download: files::wants_download(query),
            head,
        },
        close,
        head_len,
    })
}

/// The fields the answer depends on; all others are ignored, as the router ignores them.
const CONDITIONAL: [HeaderName; 6] = [
    header::RANGE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::IF_RANGE,
];

/// `/files/{id}/{variant}[?query]` with an id and variant that parse. Only
/// plain characters: anything percent-encoded goes to the router, which
/// decodes it and answers 404, so the two paths cannot disagree.
fn file_target(target: &str) -> Option<(MediaId, Variant, Option<&str>)> {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let rest = path.strip_prefix("/files/")?;
    let (id, variant) = rest.split_once('/')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // Only what RFC 3986 allows in a query (the router's URI parser refuses
    // more, and `#` would end it there): anything else goes to the router.
    let query_ok = query.is_none_or(|q| {
        q.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b))
    });
    if !plain(id) || !plain(variant) || !query_ok {
        return None;
    }
    Some((MediaId::parse(id)?, Variant::parse(variant)?, query))
}

#[cfg(test)]
mod tests;
