//! Resumable uploads (tus semantics; the wire protocol is `http::tus`):
//! creates, writes, reports, terminates and expires them, and finalises a
//! complete one into a library item (`finalise`). Rows live in `db`, bytes
//! in the store's partial area, so an upload resumes after a dropped
//! connection or a restart. The offset is what is on disk.
//!
//! One writer at a time per upload. Single-node: the lock is an in-process
//! map (`LocalWriteLocks`); with several nodes it must become a lease in
//! the database.

mod checksum;
mod finalise;
mod upkeep;

pub(crate) use checksum::{Algorithm, Checksum, ChunkHasher};
pub(crate) use upkeep::CLEANUP_EVERY;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::accounts::{UserId, Visibility};
use crate::model::UploadId;
use crate::server::db::{DbError, NewUpload, Repo, Upload, UploadState};
use crate::server::filename;
use crate::server::ingest::Ingest;
use crate::server::media::MediaError;
use crate::server::store::{Store, StoreError};

/// Why an upload operation was refused or failed; the texts are for people.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    #[error("There is no upload at this address. It may have expired or been cancelled.")]
    NotFound,
    #[error("This upload expired before it finished. Start it again.")]
    Expired,
    #[error("This upload failed: {0}")]
    Failed(String),
    #[error(
        "Another request is writing to this upload right now. Wait for it to end, then resume from the offset HEAD reports."
    )]
    Locked,
    #[error(
        "This upload is complete and is being turned into a library item; it cannot be changed now."
    )]
    Finalising,
    #[error("The upload would be larger than the {limit} byte limit.")]
    OverMaxSize { limit: u64 },
    #[error("The data goes past the upload's declared length of {length} bytes.")]
    PastLength { length: u64 },
    #[error("The upload is at byte {current}, not {sent}: ask with HEAD and resume from there.")]
    OffsetMismatch { current: u64, sent: u64 },
    #[error("The data does not match its Upload-Checksum; it was discarded. Send it again.")]
    ChecksumMismatch,
    /// The request's body broke off; what arrived is kept.
    #[error("the upload was interrupted before it finished: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// ffprobe could not run on a complete upload.
    #[error(transparent)]
    Media(MediaError),
}

/// What a client sent along with an upload (tus `Upload-Metadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub(crate) filename: Option<String>,
    pub(crate) filetype: Option<String>,
    /// Who may see the item (`None`: private).
    pub(crate) visibility: Option<Visibility>,
}

type Result<T, E = UploadError> = std::result::Result<T, E>;

/// A client that vanished without closing its connection would hold the
/// upload's lock for ever: a body that sends nothing for this long ends (and
/// what arrived is kept, as for any interruption).
const BODY_IDLE: Duration = Duration::from_secs(60);
/// Expiry dates stay printable (HTTP dates end at year 9999).
const LONGEST_EXPIRY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

#[derive(Clone)]
pub(crate) struct Uploads {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) repo: Repo,
    pub(super) store: Store,
    pub(super) ingest: Ingest,
    pub(super) max_size: u64,
    pub(super) expiry: Duration,
    /// Uploads being written right now, with a way to stop the writer.
    writers: LocalWriteLocks,
    /// Ticks each time a writer lets go (DELETE waits on it).
    pub(super) released: watch::Sender<u64>,
    /// Finalisations queued or running (tests and shutdown wait for zero).
    pub(super) finalising: watch::Sender<usize>,
    /// Finalisation attempts that failed for a passing reason and were
    /// tried again, since start.
    pub(super) retried: watch::Sender<u64>,
}

/// The one-writer-per-upload locks of this process (single-node).
type LocalWriteLocks = Mutex<HashMap<UploadId, CancellationToken>>;

/// Held while one request writes or deletes an upload.
pub(super) struct WriteLock {
    inner: Arc<Inner>,
    id: UploadId,
    cancel: CancellationToken,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        self.inner.writers().remove(&self.id);
        self.inner.released.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Inner {
    pub(super) fn writers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<UploadId, CancellationToken>> {
        // The map stays consistent even if a holder panicked: every change is one call.
        self.writers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new upload.
pub(crate) struct Created {
    pub(crate) id: UploadId,
    pub(crate) expires: SystemTime,
}

/// Where an upload stands after a write; `expires` is `None` once complete.
pub(crate) struct Progress {
    pub(crate) offset: u64,
    pub(crate) expires: Option<SystemTime>,
}

/// What HEAD reports.
pub(crate) struct Info {
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) filename: String,
    pub(crate) filetype: Option<String>,
    pub(crate) expires: Option<SystemTime>,
}

/// One PATCH (or the body of a creation-with-upload).
pub(crate) struct Patch<S> {
    pub(crate) offset: u64,
    pub(crate) checksum: Option<Checksum>,
    pub(crate) content_length: Option<u64>,
    pub(crate) body: S,
}

/// How reading a chunk ended.
enum Ended {
    Complete,
    Interrupted(String),
    Cancelled,
    PastLength,
    Store(StoreError),
}

pub(super) fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(super) fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl Uploads {
    pub(crate) fn new(
        repo: Repo,
        store: Store,
        ingest: Ingest,
        max_size: u64,
        expiry: Duration,
    ) -> Self {
        Uploads {
            inner: Arc::new(Inner {
                repo,
                store,
                ingest,
                max_size,
                expiry: expiry.min(LONGEST_EXPIRY),
                writers: Mutex::new(HashMap::new()),
                released: watch::Sender::new(0),
                finalising: watch::Sender::new(0),
                retried: watch::Sender::new(0),
            }),
        }
    }

    /// When an upload touched now expires.
    pub(super) fn expires_from_now(&self) -> SystemTime {
        SystemTime::now() + self.inner.expiry
    }

    pub(super) fn try_lock(&self, id: &UploadId) -> Option<WriteLock> {
        let mut writers = self.inner.writers();
        if writers.contains_key(id) {
            return None;
        }
        let cancel = CancellationToken::new();
        writers.insert(id.clone(), cancel.clone());
        Some(WriteLock {
            inner: self.inner.clone(),
            id: id.clone(),
            cancel,
        })
    }

    /// Who the upload belongs to; `None` when there is no such upload.
    pub(crate) async fn owner_of(&self, id: &UploadId) -> Result<Option<Option<UserId>>> {
        Ok(self.inner.repo.get_upload(id).await?.map(|row| row.owner))
    }

    /// Whether a request is writing to the upload right now.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn is_writing(&self, id: &UploadId) -> bool {
        self.inner.writers().contains_key(id)
    }

    /// A new upload of `length` bytes that will be `owner`'s item, seen as
    /// `visibility` says.
    pub(crate) async fn create(
        &self,
        length: u64,
        metadata: Metadata,
        owner: Option<UserId>,
        visibility: Visibility,
    ) -> Result<Created> {
        let limit = self.inner.max_size;
        if length > limit {
            return Err(UploadError::OverMaxSize { limit });
        }
        let id = UploadId::generate();
        let expires = self.expires_from_now();
        self.inner.store.create_partial(&id).await?;
        let new = NewUpload {
            id: id.clone(),
            length,
            filename: filename::sanitize(metadata.filename.as_deref().unwrap_or("")),
            filetype: metadata.filetype,
            expires_at: millis(expires),
            owner,
            visibility,
        };
        if let Err(e) = self.inner.repo.create_upload(&new).await {
            let _ = self.inner.store.remove_partial(&id).await;
            return Err(e.into());
        }
        if length == 0 {
            // Nothing will ever be sent: it is complete as it stands.
            self.inner
                .repo
                .upload_received(&id, true, millis(expires))
                .await?;
            self.spawn_finalise(id.clone());
        }
        Ok(Created { id, expires })
    }

    /// The row, unless it is unknown (404), expired or failed (410).
    pub(super) async fn live_row(&self, id: &UploadId) -> Result<Upload> {
        let row = self
            .inner
            .repo
            .get_upload(id)
            .await?
            .ok_or(UploadError::NotFound)?;
        match row.state {
            UploadState::Receiving if row.expires_at <= millis(SystemTime::now()) => {
                Err(UploadError::Expired)
            }
            UploadState::Failed => Err(UploadError::Failed(row.failure_reason.unwrap_or_default())),
            _ => Ok(row),
        }
    }

    /// The offset clients see and the bytes on disk: those, less a chunk
    /// whose checksum is not verified yet. Complete uploads have moved on:
    /// their length.
    async fn offsets(&self, row: &Upload) -> Result<(u64, u64)> {
        if row.state != UploadState::Receiving {
            return Ok((row.length, row.length));
        }
        let on_disk = self.inner.store.partial_len(&row.id).await?.unwrap_or(0);
        let visible = row
            .unverified_from
            .map_or(on_disk, |from| from.min(on_disk));
        Ok((visible, on_disk))
    }

    pub(super) async fn offset_of(&self, row: &Upload) -> Result<u64> {
        Ok(self.offsets(row).await?.0)
    }

    pub(crate) async fn info(&self, id: &UploadId) -> Result<Info> {
        let row = self.live_row(id).await?;
        let offset = self.offset_of(&row).await?;
        if row.state == UploadState::Receiving && offset == row.length {
            self.complete_if_full(id).await?;
        }
        Ok(Info {
            offset,
            length: row.length,
            expires: (row.state == UploadState::Receiving).then(|| from_millis(row.expires_at)),
            filename: row.filename,
            filetype: row.filetype,
        })
    }

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
        let verified = match (&ended, hasher, &patch.checksum) {
            (Ended::Complete, Some(hasher), Some(expected)) => hasher.matches(expected),
            (_, None, _) => true,
            _ => false,
        };
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
        match ended {
            Ended::Complete if verified => Ok(Progress {
                offset: on_disk,
                expires: (!complete).then_some(expires),
            }),
            Ended::Complete => Err(UploadError::ChecksumMismatch),
            Ended::PastLength => Err(UploadError::PastLength { length: row.length }),
            Ended::Interrupted(why) => Err(UploadError::Interrupted(why)),
            Ended::Cancelled => Err(UploadError::NotFound),
            Ended::Store(e) => Err(e.into()),
        }
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

#[cfg(test)]
mod tests;
