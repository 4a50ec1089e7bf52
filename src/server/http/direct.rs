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
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use bytes::{Buf, BytesMut};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::model::MediaId;
use crate::server::credentials::{credentials_of, query_param};
use crate::server::http::access;
use crate::server::http::conditional::Conditions;
use crate::server::http::files::{self, Asked};
use crate::server::http::sendfile;
use crate::server::metrics::Via;
use crate::server::service::{Credentials, Source, Variant};
use crate::server::state::AppState;

/// A request head longer than this goes to hyper (which refuses it with 431).
const MAX_HEAD: usize = 16 * 1024;
/// More header lines than this go to hyper too.
const MAX_HEADERS: usize = 48;

/// What the connection does after the direct path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Closed or finished: drop the socket.
    Close,
    /// Give the connection and the bytes read so far to hyper.
    HandOver,
}

/// A `GET`/`HEAD` of stored bytes that the direct path answers.
#[derive(Debug)]
pub(crate) struct FileRequest {
    pub(crate) id: MediaId,
    pub(crate) variant: Variant,
    pub(crate) asked: Asked,
    /// Who asks (from the same headers the router would read).
    pub(crate) credentials: Credentials,
    /// The URL's `sig`, if any.
    pub(crate) signature: Option<String>,
    /// `Connection: close`: no further request on this connection.
    pub(crate) close: bool,
    /// Length of the request head in the buffer.
    pub(crate) head_len: usize,
}

/// What the bytes at the front of the buffer are. Short-lived, on the stack:
/// boxing the big variant would cost an allocation per request.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Parsed {
    File(FileRequest),
    /// Not a whole head yet.
    Partial,
    /// Anything the direct path leaves to hyper.
    Other,
}

/// Serves direct requests on `stream` until it closes or one must go to hyper.
pub(crate) async fn serve(
    stream: &TcpStream,
    peer: SocketAddr,
    state: &AppState,
    buffer: &mut BytesMut,
    stop: &CancellationToken,
) -> Next {
    // When the head being read must be whole: one deadline per head, from
    // its first byte, however slowly the rest trickles in.
    let mut deadline = None;
    loop {
        if buffer.is_empty() {
            deadline = None;
        } else if deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + state.config.head_timeout);
        }
        let request = match parse(buffer) {
            Parsed::File(request) => request,
            Parsed::Other => return Next::HandOver,
            Parsed::Partial if buffer.len() >= MAX_HEAD => return Next::HandOver,
            Parsed::Partial => {
                match read_more(stream, buffer, stop, deadline, state.config.idle_timeout).await {
                    Ok(true) => continue,
                    Ok(false) | Err(_) => return Next::Close,
                }
            }
        };
        let started = Instant::now();
        // Credentials memory cannot vouch for need the database: the
        // router asks it (this path never waits on it).
        let Some(actor) = state.service.authenticate_from_memory(&request.credentials) else {
            return Next::HandOver;
        };
        // Any error (an unknown item, a file not made yet, a database
        // failure) goes to the router, which has the one error answer; so
        // does a file this machine does not hold (sendfile needs one).
        let prepared = files::prepare(
            &state.service,
            &actor,
            &request.id,
            request.variant,
            request.signature.as_deref(),
            &request.asked,
        )
        .await;
        let Ok(answer) = prepared else {
            return Next::HandOver;
        };
        if matches!(answer.body, Some((Source::Remote(_), _))) {
            return Next::HandOver;
        }
        buffer.advance(request.head_len);
        deadline = None;
        // Said in the answer, as hyper says it, so that a client knows not
        // to send another request on this connection (RFC 9112 §9.6).
        let close = request.close || stop.is_cancelled();
        let status = answer.status.as_u16();
        let bytes = answer
            .body
            .as_ref()
            .map_or(0, |(_, segments)| segments.iter().map(|s| s.len()).sum());
        // Counted before it is sent: a client that has read the answer
        // finds it counted.
        state.metrics.answered(Via::Direct, status, bytes);
        let sent = sendfile::send(stream, answer, close, state.config.send_timeout).await;
        if access::enabled() {
            let path = format!("/files/{}/{}", request.id, request.variant.url_name());
            access::log(&access::Answered {
                via: Via::Direct,
                method: if request.asked.head { "HEAD" } else { "GET" },
                path: &path,
                status,
                bytes,
                started,
                peer: Some(peer),
            });
        }
        if let Err(e) = sent {
            if e.kind() == io::ErrorKind::TimedOut {
                state.metrics.client_stalled();
            }
            tracing::debug!("direct answer ended early: {e}");
            return Next::Close;
        }
        if close {
            return Next::Close;
        }
    }
}

/// Reads more of the request; `false` when the client closed the connection,
/// stayed idle too long, missed the head's `deadline`, or the server is
/// stopping while the connection is idle.
async fn read_more(
    stream: &TcpStream,
    buffer: &mut BytesMut,
    stop: &CancellationToken,
    deadline: Option<tokio::time::Instant>,
    idle_timeout: Duration,
) -> io::Result<bool> {
    let idle = buffer.is_empty();
    let until = deadline.unwrap_or_else(|| tokio::time::Instant::now() + idle_timeout);
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
        read = tokio::time::timeout_at(until, read) => match read {
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
pub(crate) fn parse(bytes: &[u8]) -> Parsed {
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
    let Some((id, variant, query, path_signature)) = request.path.and_then(file_target) else {
        return Parsed::Other;
    };
    // Only the credentials go through a map (as the router reads them); it
    // allocates nothing when there are none, as for public and signed URLs.
    let mut credentials = HeaderMap::new();
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
            // Read as hyper reads it: a value that is not visible text
            // (obs-text) names no option, so the connection stays open.
            close |= is_visible_text(field.value)
                && field
                    .value
                    .split(|&b| b == b',')
                    .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        } else if CONDITIONAL.iter().any(is) {
            if !is_field_value(field.value) {
                return Parsed::Other;
            }
        } else if let Some(known) = CREDENTIALS.iter().find(|known| is(known)) {
            let Ok(value) = HeaderValue::from_bytes(field.value) else {
                return Parsed::Other;
            };
            credentials.append(known.clone(), value);
        }
    }
    Parsed::File(FileRequest {
        id,
        variant,
        asked: Asked {
            conditions: Conditions::from_fields(
                request
                    .headers
                    .iter()
                    .map(|field| (field.name, field.value)),
            ),
            download: files::wants_download(query),
            head,
            // Only local files come this way: nothing to redirect to.
            redirect: false,
        },
        credentials: credentials_of(&credentials),
        signature: path_signature
            .or_else(|| query_param(query, "sig"))
            .map(str::to_string),
        close,
        head_len,
    })
}

/// What `HeaderValue` accepts (so what the router would read), checked
/// without making one.
fn is_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// What `HeaderValue::to_str` accepts.
fn is_visible_text(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
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

/// The fields that say who asks, read as the router reads them.
const CREDENTIALS: [HeaderName; 2] = [header::COOKIE, header::AUTHORIZATION];

/// `/files/{id}/{variant}[?query]` or `/files/{id}/hls/[{sig}/]{file}` with
/// an id and file that parse, and the signature the path carries. Only
/// plain characters: anything percent-encoded goes to the router, which
/// decodes it and answers 404, so the two paths cannot disagree.
type Target<'a> = (MediaId, Variant, Option<&'a str>, Option<&'a str>);

fn file_target(target: &str) -> Option<Target<'_>> {
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
    if !plain(id) || !query_ok {
        return None;
    }
    let (variant, signature) = match variant.strip_prefix("hls/") {
        Some(hls) => {
            let segment_ok = |s: &str| plain(&s.replace('.', "_"));
            if !hls.split('/').all(segment_ok) {
                return None;
            }
            files::hls_target(hls)?
        }
        None if plain(variant) => (Variant::parse(variant)?, None),
        None => return None,
    };
    Some((MediaId::parse(id)?, variant, query, signature))
}

#[cfg(test)]
mod tests;
