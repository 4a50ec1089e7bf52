//! A response body read from an open file in chunks, with bounded memory.
//!
//! Each chunk is one positional read (`pread`) on the blocking pool straight
//! into a buffer that becomes the `Bytes` hyper writes: no intermediate copy,
//! unlike `tokio::fs::File`, which reads into its own buffer and copies out.
//! Buffers come from a small per-response pool and return to it when hyper
//! drops the chunk, so memory is bounded however slow a client is (hyper
//! alone would queue ~400 KiB per connection): one buffer per stream, plus a
//! read-ahead buffer for at most `READ_AHEAD_STREAMS` streams server-wide.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::Stream;
use tokio::task::JoinHandle;

/// Bytes per read. bench/bytes.sh measured 64 KiB to 1 MiB: below 256 KiB the
/// per-chunk thread hop costs throughput, above it memory grows for nothing.
pub(crate) const CHUNK: usize = 256 * 1024;

/// Past this many open streams, new ones read in half chunks: memory stays
/// flat with many slow players, while a few fast downloads keep full chunks.
pub(crate) const BUSY_STREAMS: usize = 32;

static OPEN_STREAMS: AtomicUsize = AtomicUsize::new(0);

/// Streams that may hold a second buffer to read ahead (overlap the next disk
/// read with the socket write). One stream alone gains ~15% from it; with
/// many streams the others fill that gap and a second buffer each only costs
/// memory, so it is lent to the first few to ask.
pub(crate) const READ_AHEAD_STREAMS: usize = 16;

static READ_AHEAD_LENT: AtomicUsize = AtomicUsize::new(0);

/// One piece of a response body, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Bytes made in memory (multipart part headers).
    Bytes(Bytes),
    /// `len` bytes of the file from `start`.
    File { start: u64, len: u64 },
}

impl Segment {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Segment::Bytes(bytes) => bytes.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The body stream; its total length is the sum of its segments' lengths.
pub(crate) struct FileBody {
    file: Arc<File>,
    segments: VecDeque<Segment>,
    /// A chunk read before the first poll (`read_first`).
    ready: Option<Bytes>,
    reading: Option<JoinHandle<io::Result<Bytes>>>,
    pool: Arc<Pool>,
}

impl FileBody {
    pub(crate) fn new(file: Arc<File>, segments: Vec<Segment>) -> Self {
        // Small bodies (a 64 KiB range) get a buffer of their size, not a full chunk.
        let largest = segments
            .iter()
            .filter_map(|s| match s {
                Segment::File { len, .. } => Some(*len),
                Segment::Bytes(_) => None,
            })
            .max()
            .unwrap_or(0);
        let open = OPEN_STREAMS.fetch_add(1, Ordering::AcqRel);
        let chunk = if open >= BUSY_STREAMS {
            CHUNK / 2
        } else {
            CHUNK
        };
        let size = spare::class(usize::try_from(largest).unwrap_or(usize::MAX).min(chunk));
        FileBody {
            file,
            segments: segments.into_iter().filter(|s| !s.is_empty()).collect(),
            ready: None,
            reading: None,
            pool: Arc::new(Pool {
                size,
                inner: Mutex::new(PoolInner::default()),
            }),
        }
    }

    /// Reads up to the first chunk now if the page cache has it, and
    /// everything before it: a small answer is then whole before hyper sees it
    /// and leaves in one write with its headers, instead of headers first and
    /// the body in a second small packet that Nagle's algorithm holds back.
    /// Bytes not in memory are left for the first poll (on the blocking pool).
    pub(crate) fn read_first(&mut self) {
        let mut head = Vec::new();
        while let Some(Segment::Bytes(_)) = self.segments.front() {
            if let Some(Segment::Bytes(bytes)) = self.segments.pop_front() {
                head.extend_from_slice(&bytes);
            }
        }
        if !head.is_empty() {
            self.segments.push_front(Segment::Bytes(Bytes::from(head)));
            return;
        }
        if let Some(read) = self.next_read(None) {
            match read.try_cached() {
                Ok(chunk) => self.ready = Some(chunk),
                Err(read) => self.reading = Some(tokio::task::spawn_blocking(move || read.read())),
            }
        }
    }

    /// The whole body, when `read_first` already holds all of it (a small
    /// range): hyper then sends a sized body with its headers in one write.
    pub(crate) fn into_whole(mut self) -> Result<Bytes, Self> {
        if self.segments.is_empty()
            && self.reading.is_none()
            && let Some(chunk) = self.ready.take()
        {
            return Ok(chunk);
        }
        Err(self)
    }

    /// Reads the next chunk of the front segment, if it is file bytes and a
    /// buffer is free (else the pool wakes us): at once when the page cache
    /// holds it (no thread hop, as nginx reads), else on the blocking pool.
    fn start_read(&mut self, cx: &mut Context<'_>) {
        if self.reading.is_some() || self.ready.is_some() {
            return;
        }
        if let Some(read) = self.next_read(Some(cx.waker())) {
            match read.try_cached() {
                Ok(chunk) => self.ready = Some(chunk),
                Err(read) => self.reading = Some(tokio::task::spawn_blocking(move || read.read())),
            }
        }
    }

    /// The next chunk's read, taking its range off the front segment.
    fn next_read(&mut self, waker: Option<&Waker>) -> Option<PendingRead> {
        let Some(Segment::File { start, len }) = self.segments.front_mut() else {
            return None;
        };
        let buffer = self.pool.take(waker)?;
        let count = usize::try_from(*len)
            .unwrap_or(usize::MAX)
            .min(buffer.len());
        let at = *start;
        *start += count as u64;
        *len -= count as u64;
        if *len == 0 {
            self.segments.pop_front();
        }
        Some(PendingRead {
            file: Arc::clone(&self.file),
            buffer,
            at,
            count,
            pool: Arc::clone(&self.pool),
        })
    }
}

impl Drop for FileBody {
    fn drop(&mut self) {
        OPEN_STREAMS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One chunk to read: `count` bytes at `at` into `buffer`.
struct PendingRead {
    file: Arc<File>,
    buffer: Vec<u8>,
    at: u64,
    count: usize,
    pool: Arc<Pool>,
}

impl PendingRead {
    /// The chunk, if the page cache holds all of it (`RWF_NOWAIT`: the kernel
    /// answers from memory or refuses; it never waits for the disk).
    fn try_cached(mut self) -> Result<Bytes, PendingRead> {
        use rustix::io::{IoSliceMut, ReadWriteFlags, preadv2};
        let (at, count) = (self.at, self.count);
        let read = preadv2(
            &*self.file,
            &mut [IoSliceMut::new(&mut self.buffer[..count])],
            at,
            ReadWriteFlags::NOWAIT,
        );
        match read {
            Ok(n) if n == count => Ok(self.into_chunk()),
            // Partly cached, not cached, or NOWAIT unsupported: read it properly.
            _ => Err(self),
        }
    }

    /// Reads the chunk, waiting for the disk if need be (blocking pool).
    fn read(mut self) -> io::Result<Bytes> {
        // A file that shrank under us fails here rather than sending short.
        self.file
            .read_exact_at(&mut self.buffer[..self.count], self.at)?;
        Ok(self.into_chunk())
    }

    fn into_chunk(self) -> Bytes {
        Bytes::from_owner(Chunk {
            buffer: self.buffer,
            len: self.count,
            pool: self.pool,
        })
    }
}

impl Stream for FileBody {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.ready.take() {
                // Read ahead while hyper writes this one.
                this.start_read(cx);
                return Poll::Ready(Some(Ok(chunk)));
            }
            if let Some(reading) = &mut this.reading {
                let result = match Pin::new(reading).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                this.reading = None;
                let chunk = match result {
                    Ok(Ok(chunk)) => chunk,
                    Ok(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Err(join) => return Poll::Ready(Some(Err(io::Error::other(join)))),
                };
                this.start_read(cx);
                return Poll::Ready(Some(Ok(chunk)));
            }
            match this.segments.front() {
                None => return Poll::Ready(None),
                Some(Segment::Bytes(_)) => {
                    if let Some(Segment::Bytes(bytes)) = this.segments.pop_front() {
                        return Poll::Ready(Some(Ok(bytes)));
                    }
                }
                Some(Segment::File { .. }) => {
                    this.start_read(cx);
                    if this.reading.is_none() && this.ready.is_none() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

/// One or two buffers of `size` bytes, reused across chunks.
struct Pool {
    size: usize,
    inner: Mutex<PoolInner>,
}

#[derive(Default)]
struct PoolInner {
    free: Vec<Vec<u8>>,
    made: usize,
    /// Holds one of the `READ_AHEAD_STREAMS` slots.
    lent: bool,
    waiting: Option<Waker>,
}

fn lend_read_ahead() -> bool {
    READ_AHEAD_LENT
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < READ_AHEAD_STREAMS).then_some(n + 1)
        })
        .is_ok()
}

impl Drop for Pool {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        if inner.lent {
            READ_AHEAD_LENT.fetch_sub(1, Ordering::AcqRel);
        }
        for buffer in inner.free.drain(..) {
            spare::put(buffer);
        }
    }
}

impl Pool {
    /// A free buffer, or `None` and `waker` is woken when one comes back.
    fn take(&self, waker: Option<&Waker>) -> Option<Vec<u8>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(buffer) = inner.free.pop() {
            return Some(buffer);
        }
        let first = inner.made == 0;
        if first || (inner.made == 1 && lend_read_ahead()) {
            inner.lent |= !first;
            inner.made += 1;
            return Some(spare::take(self.size));
        }
        // Registered under the lock `give_back` takes, so no wake-up is lost.
        inner.waiting = waker.cloned();
        None
    }

    fn give_back(&self, buffer: Vec<u8>) {
        let waker = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.free.push(buffer);
            inner.waiting.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

mod remote;
mod spare;

pub(crate) use remote::remote_body;

/// A filled buffer on its way to the socket; back to the pool when dropped.
struct Chunk {
    buffer: Vec<u8>,
    len: usize,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests;
