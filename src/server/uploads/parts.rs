//! Cutting a PATCH's bytes into parts of an S3 multipart upload: whole parts
//! are stored as they fill, one in flight while the next fills (receiving
//! and storing overlap), and the bytes short of a part stay in memory as the
//! tail for the caller to record.
//!
//! A part is the received pieces themselves, cut at its end: no byte is
//! copied on its way to the store, and no part-sized buffer is allocated.

use std::collections::VecDeque;

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::model::MediaId;
use crate::server::store::{Store, StoreError};

type Stored = JoinHandle<Result<String, StoreError>>;

pub(super) struct PartWriter {
    store: Store,
    media: MediaId,
    multipart: String,
    part_size: usize,
    /// The number the next part gets (from 1, as S3 counts).
    next: u32,
    in_flight: Option<(Vec<Bytes>, Stored)>,
    /// ETags of parts stored and not yet taken by the caller, in order.
    stored: Vec<String>,
    /// Pieces not yet cut into a part, and their length.
    pieces: VecDeque<Bytes>,
    held: usize,
}

impl PartWriter {
    /// Parts from `next` on, with `tail` (what earlier requests kept) first.
    pub(super) fn new(
        store: Store,
        media: MediaId,
        multipart: String,
        part_size: u64,
        next: u32,
        tail: Vec<u8>,
    ) -> Self {
        let mut writer = PartWriter {
            store,
            media,
            multipart,
            part_size: usize::try_from(part_size).unwrap_or(usize::MAX),
            next,
            in_flight: None,
            stored: Vec::new(),
            pieces: VecDeque::new(),
            held: 0,
        };
        writer.hold_back(vec![Bytes::from(tail)]);
        writer
    }

    /// Adds a received piece; each whole part starts storing at once.
    pub(super) async fn push(&mut self, piece: Bytes) -> Result<(), StoreError> {
        self.held += piece.len();
        self.pieces.push_back(piece);
        while let Some(part) = self.cut() {
            if let Err(e) = self.settle().await {
                self.hold_back(part);
                return Err(e);
            }
            let (store, media, multipart) = (
                self.store.clone(),
                self.media.clone(),
                self.multipart.clone(),
            );
            let (number, pieces) = (self.next, part.clone());
            self.next += 1;
            let storing =
                tokio::spawn(
                    async move { store.put_part(&media, &multipart, number, pieces).await },
                );
            self.in_flight = Some((part, storing));
        }
        Ok(())
    }

    /// The first `part_size` bytes held, when there are that many.
    fn cut(&mut self) -> Option<Vec<Bytes>> {
        if self.held < self.part_size {
            return None;
        }
        let mut part = Vec::new();
        let mut wanted = self.part_size;
        while wanted > 0 {
            let mut piece = self.pieces.pop_front()?;
            if piece.len() > wanted {
                self.pieces.push_front(piece.split_off(wanted));
            }
            wanted -= piece.len();
            part.push(piece);
        }
        self.held -= self.part_size;
        Some(part)
    }

    /// Puts pieces back in front of those held (a part that was not stored).
    fn hold_back(&mut self, pieces: Vec<Bytes>) {
        for piece in pieces.into_iter().rev().filter(|p| !p.is_empty()) {
            self.held += piece.len();
            self.pieces.push_front(piece);
        }
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
                Ok(())
            }
            Err(e) => {
                self.next -= 1;
                self.hold_back(part);
                Err(e)
            }
        }
    }

    /// ETags of the parts stored since the last call, in order.
    pub(super) fn take_stored(&mut self) -> Vec<String> {
        std::mem::take(&mut self.stored)
    }

    /// The bytes held, in one piece (the tail the caller records).
    pub(super) fn tail(&self) -> Vec<u8> {
        let mut tail = Vec::with_capacity(self.held);
        for piece in &self.pieces {
            tail.extend_from_slice(piece);
        }
        tail
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        // A request that ended early: its part counts for nothing unless
        // recorded, and a later request stores that number again.
        if let Some((_, storing)) = self.in_flight.take() {
            storing.abort();
        }
    }
}
