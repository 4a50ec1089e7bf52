//! Writes a decided answer to a socket: the head from memory, file bytes with
//! `sendfile`, so they go from the page cache to the socket without passing
//! through user space (one copy fewer than read-then-write, and no buffers:
//! memory stays flat however many streams are open).
//!
//! `sendfile` on a non-blocking socket never waits for the socket, but it
//! does wait for the disk when the file's pages are not in memory. Chunks the
//! page cache holds are sent on the async thread; others on the blocking
//! pool, so a cold read never stalls the other connections of a worker.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustix::io::{IoSliceMut, ReadWriteFlags, preadv2};
use rustix::net::SendFlags;
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::server::http::body::Segment;
use crate::server::http::files::Answer;
use crate::server::service::Source;

/// Bytes per `sendfile` call: big enough to fill a socket buffer in one
/// call, small enough that one fast stream yields to the others often.
const CHUNK: usize = 1024 * 1024;
/// Sends `answer`: head, then its body segments in order; `close` says
/// `Connection: close` (the connection ends after this answer). Only answers
/// from a local file: the caller hands others to the router. A client that
/// takes no bytes for `timeout` (`--send-timeout`, nginx's `send_timeout`)
/// has stopped reading: the answer ends with `TimedOut`.
pub(crate) async fn send(
    stream: &TcpStream,
    answer: Answer,
    close: bool,
    timeout: Duration,
) -> io::Result<()> {
    let mut pending = head(&answer, close);
    if let Some((source, segments)) = answer.body {
        let Source::File(open) = source else {
            return Err(io::Error::other("sendfile needs a local file"));
        };
        let file = &open.file;
        for segment in segments {
            match segment {
                Segment::Bytes(bytes) => pending.extend_from_slice(&bytes),
                // Nothing to send: the head must not wait for it (MSG_MORE).
                Segment::File { len: 0, .. } => {}
                Segment::File { start, len } => {
                    // MSG_MORE: the head waits in the kernel for the first
                    // file bytes and leaves in the same packet.
                    send_all(stream, &pending, true, timeout).await?;
                    pending.clear();
                    send_file(stream, file, start, len, timeout).await?;
                }
            }
        }
    }
    send_all(stream, &pending, false, timeout).await
}

/// The status line and header fields, with `Date` (RFC 9110 §6.6.1).
fn head(answer: &Answer, close: bool) -> Vec<u8> {
    let mut head = Vec::with_capacity(640);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(answer.status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(
        answer
            .status
            .canonical_reason()
            .unwrap_or_default()
            .as_bytes(),
    );
    head.extend_from_slice(b"\r\n");
    for (name, value) in &answer.headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if close {
        head.extend_from_slice(b"connection: close\r\n");
    }
    head.extend_from_slice(b"date: ");
    with_date(|date| head.extend_from_slice(date.as_bytes()));
    head.extend_from_slice(b"\r\n\r\n");
    head
}

thread_local! {
    /// The formatted date of the current second; formatting it per answer costs more.
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

fn with_date(f: impl FnOnce(&str)) {
    let now = SystemTime::now();
    let second = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            *cached = second;
            *text = httpdate::fmt_http_date(now);
        }
        f(text);
    });
}

/// Writes all of `bytes`; `more` tells the kernel further bytes follow at once.
async fn send_all(
    stream: &TcpStream,
    mut bytes: &[u8],
    more: bool,
    timeout: Duration,
) -> io::Result<()> {
    let flags = if more {
        SendFlags::MORE | SendFlags::NOSIGNAL
    } else {
        SendFlags::NOSIGNAL
    };
    while !bytes.is_empty() {
        let send = || rustix::net::send(stream, bytes, flags);
        let sent = write_when_ready(stream, timeout, send).await?;
        bytes = &bytes[sent..];
    }
    Ok(())
}

/// Sends `len` bytes of `file` from `start`.
async fn send_file(
    stream: &TcpStream,
    file: &Arc<File>,
    start: u64,
    len: u64,
    timeout: Duration,
) -> io::Result<()> {
    let mut offset = start;
    let end = start + len;
    while offset < end {
        let count = usize::try_from(end - offset)
            .unwrap_or(usize::MAX)
            .min(CHUNK);
        if !cached(file, offset, count) {
            load(file, offset, count).await?;
        }
        let sent = write_when_ready(stream, timeout, || {
            let mut at = offset;
            rustix::fs::sendfile(stream, &**file, Some(&mut at), count)
        })
        .await?;
        if sent == 0 {
            // The file is shorter than it was when the answer was decided.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was being sent",
            ));
        }
        offset += sent as u64;
        // Once per chunk: a fast reader of a cached file would otherwise keep
        // this task running for the whole file (`try_io` never yields).
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// Whether the page cache holds the chunk (`RWF_NOWAIT`: the kernel answers
/// from memory or refuses). Its first byte, and its last when it is longer
/// than 64 KiB: not proof for the pages between, but reads are mostly
/// sequential and readahead fills them. A second probe on every small range
/// cost 3 % of their throughput.
fn cached(file: &File, offset: u64, count: usize) -> bool {
    let probe = |at: u64| {
        let mut byte = [0u8; 1];
        matches!(
            preadv2(
                file,
                &mut [IoSliceMut::new(&mut byte)],
                at,
                ReadWriteFlags::NOWAIT
            ),
            Ok(1)
        )
    };
    probe(offset) && (count <= 64 * 1024 || probe(offset + count as u64 - 1))
}

/// Brings a chunk into the page cache on the blocking pool, so that the
/// `sendfile` after it does not wait for the disk on the async thread. The
/// bytes are read into a scratch buffer per blocking thread and dropped: a
/// copy, but only for bytes that came from disk anyway.
async fn load(file: &Arc<File>, offset: u64, count: usize) -> io::Result<()> {
    const SCRATCH: usize = 128 * 1024;
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let file = Arc::clone(file);
    tokio::task::spawn_blocking(move || {
        BUFFER.with_borrow_mut(|buffer| {
            buffer.resize(SCRATCH, 0);
            let mut done = 0;
            while done < count {
                let want = (count - done).min(SCRATCH);
                let read = file.read_at(&mut buffer[..want], offset + done as u64)?;
                if read == 0 {
                    break; // past the end: `sendfile` reports it
                }
                done += read;
            }
            Ok(())
        })
    })
    .await
    .map_err(io::Error::other)?
}

/// Runs a non-blocking write once the socket has room, waiting as needed.
async fn write_when_ready(
    stream: &TcpStream,
    timeout: Duration,
    mut write: impl FnMut() -> rustix::io::Result<usize>,
) -> io::Result<usize> {
    loop {
        match stream.try_io(Interest::WRITABLE, || write().map_err(io::Error::from)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_writable(stream, timeout).await?
            }
            result => return result,
        }
    }
}

async fn wait_writable(stream: &TcpStream, timeout: Duration) -> io::Result<()> {
    tokio::time::timeout(timeout, stream.writable())
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))?
}

#[cfg(test)]
mod tests;
