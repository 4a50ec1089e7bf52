//! Cutting a PATCH's bytes into parts of an S3 multipart upload: whole parts
//! are stored as they fill, one in flight while the next fills (receiving
//! and storing overlap), and the bytes short of a part stay in memory as the
//! tail for the caller to record.
//!
//! Received pieces are copied into a part-sized buffer and let go at once.
//! Keeping hyper's pieces until their part was stored (no copy) kept its
//! read buffers alive, so it allocated new ones all the time; glibc then held
//! the freed ones in per-thread arenas, and the upload's RSS was several
//! times its live heap. A copy costs little next to the network, and a
//! part's buffer comes back once the store is done with it, for the next.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::model::MediaId;
use crate::server::store::{Store, StoreError};

type Stored = JoinHandle<Result<String, StoreError>>;

/// Part buffers the store is done with, kept for the next parts of any
/// upload (a few: each is a part long, 5 MiB or more).
#[derive(Clone, Default)]
pub(super) struct SpareParts(Arc<Mutex<Vec<Vec<u8>>>>);

/// How many spare buffers are kept: two per upload being written covers
/// two uploads at once; more are freed.
const SPARES_KEPT: usize = 4;

impl SpareParts {
    /// An empty buffer with room for `size` bytes.
    fn take(&self, size: usize) -> Vec<u8> {
        let found = {
            let mut spares = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let at = spares.iter().position(|b| b.capacity() >= size);
            at.map(|at| spares.swap_remove(at))
        };
        found.unwrap_or_else(|| Vec::with_capacity(size))
    }

    /// Keeps `stored` (a part's bytes) for a later part when nothing else
    /// holds it any more.
    fn give_back(&self, stored: Bytes) {
        let Ok(buffer) = stored.try_into_mut() else {
            return;
        };
        let mut buffer = Vec::from(buffer);
        buffer.clear();
        let mut spares = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if spares.len() < SPARES_KEPT {
            spares.push(buffer);
        }
    }
}

pub(super) struct PartWriter {
    store: Store,
    media: MediaId,
    multipart: String,
    part_size: usize,
    spares: SpareParts,
    /// The number the next part gets (from 1, as S3 counts).
    next: u32,
    in_flight: Option<(Bytes, Stored)>,
    /// ETags of parts stored and not yet taken by the caller, in order.
    stored: Vec<String>,
    /// Bytes not yet cut into a part: under a part's length, except after
    /// a part failed to store and came back in front.
    held: Vec<u8>,
}

impl PartWriter {
    /// Parts from `next` on, with `tail` (what earlier requests kept) first.
    pub(super) fn new(
        store: Store,
        spares: SpareParts,
        (media, multipart): (MediaId, String),
        part_size: u64,
        next: u32,
        tail: Vec<u8>,
    ) -> Self {
        let part_size = usize::try_from(part_size).unwrap_or(usize::MAX);
        let mut held = spares.take(part_size.max(tail.len()));
        held.extend_from_slice(&tail);
        PartWriter {
            store,
            media,
            multipart,
            part_size,
            spares,
            next,
            in_flight: None,
            stored: Vec::new(),
            held,
        }
    }

    /// Adds a received piece; each whole part starts storing at once.
    pub(super) async fn push(&mut self, piece: Bytes) -> Result<(), StoreError> {
        let mut rest = &piece[..];
        loop {
            let room = self.part_size.saturating_sub(self.held.len());
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.held.extend_from_slice(now);
            rest = later;
            if self.held.len() < self.part_size {
                return Ok(());
            }
            // A part failed before this one: its bytes are back in front.
            self.settle()
                .await
                .inspect_err(|_| self.held.extend_from_slice(rest))?;
            let part = self.cut();
            let (store, media, multipart) = (
                self.store.clone(),
                self.media.clone(),
                self.multipart.clone(),
            );
            let (number, bytes) = (self.next, part.clone());
            self.next += 1;
            let storing = tokio::spawn(async move {
                store
                    .put_part(&media, &multipart, number, vec![bytes])
                    .await
            });
            self.in_flight = Some((part, storing));
        }
    }

    /// The first `part_size` bytes held (there are that many), as a part;
    /// a spare buffer takes over holding what follows.
    fn cut(&mut self) -> Bytes {
        let mut next = self.spares.take(self.part_size);
        if self.held.len() > self.part_size {
            next.extend_from_slice(&self.held[self.part_size..]);
            self.held.truncate(self.part_size);
        }
        Bytes::from(std::mem::replace(&mut self.held, next))
    }

    /// Waits for the part in flight. One that failed goes back in front of
    /// the held bytes: nothing received is lost, and a later request stores
    /// it again under the same number.
    pub(super) async fn settle(&mut self) -> Result<(), StoreError> {
        match self.in_flight {
            Some(_) => self.landed().await,
            None => Ok(()),
        }
    }

    /// Resolves when the part in flight has been stored (or failed, as in
    /// `settle`); never while none is. Cancel-safe: dropped before then,
    /// the part stays in flight.
    pub(super) async fn landed(&mut self) -> Result<(), StoreError> {
        let Some((_, storing)) = self.in_flight.as_mut() else {
            return std::future::pending().await;
        };
        let stored = storing.await.unwrap_or_else(|e| {
            Err(StoreError::Remote {
                key: format!("part {} of {}", self.next - 1, self.media),
                source: object_store::Error::JoinError { source: e },
            })
        });
        let (part, _) = self.in_flight.take().expect("in flight");
        match stored {
            Ok(tag) => {
                self.stored.push(tag);
                self.spares.give_back(part);
                Ok(())
            }
            Err(e) => {
                self.next -= 1;
                let mut back = Vec::with_capacity(part.len() + self.held.len());
                back.extend_from_slice(&part);
                back.extend_from_slice(&self.held);
                self.held = back;
                Err(e)
            }
        }
    }

    /// ETags of the parts stored since the last call, in order.
    pub(super) fn take_stored(&mut self) -> Vec<String> {
        std::mem::take(&mut self.stored)
    }

    /// The bytes held (the tail the caller records).
    pub(super) fn tail(&self) -> &[u8] {
        &self.held
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        // A request that ended early: its part counts for nothing unless
        // recorded, and a later request stores that number again.
        if let Some((_, storing)) = self.in_flight.take() {
            storing.abort();
        }
        let held = std::mem::take(&mut self.held);
        self.spares.give_back(Bytes::from(held));
    }
}
