//! Resumable uploads (tus semantics; the wire protocol is `http::tus`):
//! creates, writes, reports, terminates and expires them, and finalises a
//! complete one into a library item (`finalise`). Rows live in `db`, bytes
//! in the store's partial area, so an upload resumes after a dropped
//! connection or a restart. The offset is what is on disk.
//!
//! With an object store (`--storage s3://…`) the bytes go instead straight
//! into a multipart upload, resumable on any node (`remote`).
//!
//! One writer at a time per upload: in this process, an in-process map
//! (`LocalWriteLocks`, which also lets DELETE stop a writer); across nodes,
//! for uploads into an object store, a lease in the database
//! (`remote::Lease`). Partial-area uploads live on one node's disk, so
//! only that node can write them.

mod checksum;
mod finalise;
mod parts;
mod remote;
mod upkeep;
mod write;

pub(crate) use checksum::{Algorithm, Checksum, ChunkHasher};
pub(crate) use upkeep::CLEANUP_EVERY;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::accounts::{UserId, Visibility};
use crate::model::{MediaId, UploadId};
use crate::server::db::{DbError, NewMultipart, NewUpload, Repo, Upload, UploadState};
use crate::server::filename;
use crate::server::ingest::Ingest;
use crate::server::media::MediaError;
use crate::server::store::{Store, StoreError, part_size};

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
    /// Part buffers for uploads into an object store, reused.
    spare_parts: parts::SpareParts,
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
                spare_parts: parts::SpareParts::default(),
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

    /// Uploads whose multipart upload in the object store is still open.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn open_multiparts(&self) -> Result<Vec<(UploadId, String)>> {
        let mut open = Vec::new();
        for state in [UploadState::Receiving, UploadState::Finalising] {
            for row in self.inner.repo.uploads_in_state(state).await? {
                if let Some(multipart) = row.remote.and_then(|r| r.multipart_id) {
                    open.push((row.id, multipart));
                }
            }
        }
        Ok(open)
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
        let store = &self.inner.store;
        let multipart = if store.is_local() {
            store.create_partial(&id).await?;
            None
        } else {
            // Into an object store: the item is chosen now, and its original
            // is the multipart upload's key.
            let media = MediaId::generate();
            let multipart_id = match length {
                0 => None,
                _ => Some(store.start_multipart(&media).await?),
            };
            Some(NewMultipart {
                media,
                multipart_id,
                part_size: part_size(length),
            })
        };
        let new = NewUpload {
            id: id.clone(),
            length,
            filename: filename::sanitize(metadata.filename.as_deref().unwrap_or("")),
            filetype: metadata.filetype,
            expires_at: millis(expires),
            owner,
            visibility,
            multipart,
        };
        if let Err(e) = self.inner.repo.create_upload(&new).await {
            match &new.multipart {
                Some(NewMultipart {
                    media,
                    multipart_id: Some(multipart),
                    ..
                }) => {
                    let _ = store.abort_multipart(media, multipart).await;
                }
                _ => {
                    let _ = store.remove_partial(&id).await;
                }
            }
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
        if let Some(remote) = &row.remote {
            return Ok((remote.offset(), remote.offset()));
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
}

#[cfg(test)]
mod tests;
