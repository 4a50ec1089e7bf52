//! The write path: one PATCH appended to an upload, in the partial area
//! (here) or into an object store (`remote`).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{
    BODY_IDLE, Checksum, ChunkHasher, Patch, Progress, Result, UploadError, Uploads, WriteLock,
    millis,
};
use crate::model::UploadId;
use crate::server::db::UploadState;
use crate::server::store::StoreError;

/// How reading a chunk ended (into the partial area or an object store).
pub(super) enum Ended {
    Complete,
    Interrupted(String),
    /// DELETE stopped the writer.
    Cancelled,
    /// Another node took the upload's lease (object stores only).
    LeaseLost,
    PastLength,
    Store(StoreError),
}

impl Ended {
    /// Whether the chunk may count: a checksum, when sent, must match what
    /// was read whole.
    pub(super) fn verified(
        &self,
        hasher: Option<ChunkHasher>,
        checksum: Option<&Checksum>,
    ) -> bool {
        match (self, hasher, checksum) {
            (Ended::Complete, Some(hasher), Some(expected)) => hasher.matches(expected),
            (_, None, _) => true,
            _ => false,
        }
    }

    /// The answer to the PATCH; `progress` is where the upload stands.
    pub(super) fn answer(
        self,
        verified: bool,
        progress: Progress,
        length: u64,
    ) -> Result<Progress> {
        match self {
            Ended::Complete if verified => Ok(progress),
            Ended::Complete => Err(UploadError::ChecksumMismatch),
            Ended::PastLength => Err(UploadError::PastLength { length }),
            Ended::Interrupted(why) => Err(UploadError::Interrupted(why)),
            Ended::Cancelled => Err(UploadError::NotFound),
            Ended::LeaseLost => Err(UploadError::Locked),
            Ended::Store(e) => Err(e.into()),
        }
    }
}

impl Uploads {
    /// Appends one chunk. Bytes are written as they are read; a dropped
    /// connection keeps what arrived, unless the chunk carries a checksum
    /// (it can only be verified whole) or overflows the length.
    pub(crate) async fn patch<S, E>(&self, id: &UploadId, patch: Patch<S>) -> Result<Progress>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        // Shared with the writer's in-flight disk writes: released only after
        // the last of them has landed, even if this request is dropped.
        let lock = Arc::new(self.try_lock(id).ok_or(UploadError::Locked)?);
        let row = self.live_row(id).await?;
        let limit = self.inner.max_size;
        if row.length > limit {
            // The limit shrank since the upload was created.
            return Err(UploadError::OverMaxSize { limit });
        }
        let (offset, on_disk) = self.offsets(&row).await?;
        if patch.offset != offset {
            return Err(UploadError::OffsetMismatch {
                current: offset,
                sent: patch.offset,
            });
        }
        let room = row.length - offset;
        if patch.content_length.is_some_and(|n| n > room) {
            return Err(UploadError::PastLength { length: row.length });
        }
        if row.state != UploadState::Receiving {
            // Already complete; an empty PATCH changes nothing.
            return Ok(Progress {
                offset,
                expires: None,
            });
        }
        if let Some(remote) = &row.remote {
            return self.patch_remote(&row, remote, patch, room, lock).await;
        }
        let store = &self.inner.store;
        let repo = &self.inner.repo;
        // A crash may have left an unverified chunk past the offset: drop it first.
        if on_disk != offset {
            store.truncate_partial(id, offset).await?;
        }
        if patch.checksum.is_some() || row.unverified_from.is_some() {
            repo.set_upload_unverified(id, patch.checksum.as_ref().map(|_| offset))
                .await?;
        }

        let mut hasher = patch
            .checksum
            .as_ref()
            .map(|c| ChunkHasher::new(c.algorithm));
        let ended = self
            .receive(id, room, patch.body, hasher.as_mut(), lock.clone())
            .await?;
        let verified = ended.verified(hasher, patch.checksum.as_ref());
        let keep = verified && !matches!(ended, Ended::PastLength);
        if !keep {
            store.truncate_partial(id, offset).await?;
        }
        if patch.checksum.is_some() {
            repo.set_upload_unverified(id, None).await?;
        }
        let on_disk = store.partial_len(id).await?.unwrap_or(0);
        let complete = on_disk == row.length;
        let expires = self.expires_from_now();
        repo.upload_received(id, complete, millis(expires)).await?;
        drop(lock);
        if complete {
            self.spawn_finalise(id.clone());
        }
        let progress = Progress {
            offset: on_disk,
            expires: (!complete).then_some(expires),
        };
        ended.answer(verified, progress, row.length)
    }

    /// Streams the body to the upload's file until it ends, breaks, is
    /// cancelled or overflows `room`; what was read is always flushed.
    async fn receive<S, E>(
        &self,
        id: &UploadId,
        room: u64,
        mut body: S,
        mut hasher: Option<&mut ChunkHasher>,
        lock: Arc<WriteLock>,
    ) -> std::result::Result<Ended, StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let cancel = lock.cancel.clone();
        let mut writer = self.inner.store.append_partial(id, lock).await?;
        let mut written = 0u64;
        let ended = loop {
            let next = tokio::select! {
                biased;
                () = cancel.cancelled() => break Ended::Cancelled,
                next = tokio::time::timeout(BODY_IDLE, body.next()) => match next {
                    Ok(next) => next,
                    Err(_) => break Ended::Interrupted("no data arrived for a minute".into()),
                },
            };
            let bytes = match next {
                None => break Ended::Complete,
                Some(Err(e)) => break Ended::Interrupted(e.to_string()),
                Some(Ok(bytes)) => bytes,
            };
            let len = bytes.len() as u64;
            if written + len > room {
                break Ended::PastLength;
            }
            if let Some(hasher) = hasher.as_deref_mut() {
                hasher.update(&bytes);
            }
            if let Err(e) = writer.write(bytes).await {
                break Ended::Store(e);
            }
            written += len;
        };
        // Also after a failed write: nothing may still be in flight when the
        // caller measures or truncates the file.
        let flushed = writer.flush().await;
        match ended {
            Ended::Store(e) => Ok(Ended::Store(e)),
            other => flushed.map(|()| other),
        }
    }
}
