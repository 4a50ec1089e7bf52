//! Cutting a PATCH's bytes into parts of an S3 multipart upload: whole parts
//! are stored as they fill, one in flight while the next fills (receiving
//! and storing overlap), and the bytes short of a part stay in memory as the
//! tail for the caller to record.

use bytes::{Bytes, BytesMut};
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
    in_flight: Option<(Bytes, Stored)>,
    /// ETags of parts stored and not yet taken by the caller, in order.
    stored: Vec<String>,
    /// Bytes not yet cut into a part; once the body has ended, the tail.
    pub(super) buffer: BytesMut,
}

impl PartWriter {
    /// Parts from `next` on, with `tail` (what earlier requests kept) first.
    pub(super) fn new(
        store: Store,
        media: MediaId,
        multipart: String,
        part_size: u64,
        next: u32,
        tail: &[u8],
    ) -> Self {
        PartWriter {
            store,
            media,
            multipart,
            part_size: usize::try_from(part_size).unwrap_or(usize::MAX),
            next,
            in_flight: None,
            stored: Vec::new(),
            buffer: BytesMut::from(tail),
        }
    }

    /// Adds received bytes; each whole part starts storing at once.
    pub(super) async fn push(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.buffer.extend_from_slice(bytes);
        while self.buffer.len() >= self.part_size {
            self.settle().await?;
            let part = self.buffer.split_to(self.part_size).freeze();
            let (store, media, multipart) = (
                self.store.clone(),
                self.media.clone(),
                self.multipart.clone(),
            );
            let (number, bytes) = (self.next, part.clone());
            self.next += 1;
            let storing =
                tokio::spawn(
                    async move { store.put_part(&media, &multipart, number, bytes).await },
                );
            self.in_flight = Some((part, storing));
        }
        Ok(())
    }

    /// Waits for the part in flight. One that failed puts its bytes back in
    /// front of the buffer: nothing received is lost, and a later request
    /// stores it again under the same number.
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
                let rest = self.buffer.split();
                self.buffer.extend_from_slice(&part);
                self.buffer.extend_from_slice(&rest);
                Err(e)
            }
        }
    }

    /// ETags of the parts stored since the last call, in order.
    pub(super) fn take_stored(&mut self) -> Vec<String> {
        std::mem::take(&mut self.stored)
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
