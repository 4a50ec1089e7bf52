//! Upload use cases: the one-shot upload (its bytes streamed into a
//! `MultipartSink` by the multipart route), the resumable (tus) uploads the
//! tus routes drive, the status a browser follows, and the limits pages show.

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};

use crate::accounts::Visibility;
use crate::model::{MediaItem, UploadId, UploadLimits, UploadStatus};
use crate::server::filename;
use crate::server::ingest::Received;
use crate::server::store::{TempWriter, WRITE_RESERVE};
use crate::server::uploads::{Created, Info, Metadata, Patch, Progress};

use super::access::{self, Actor};
use super::{Error, Missing, Result, Service};

/// The upload settings the service enforces and pages show.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The largest file accepted, in bytes.
    pub(crate) max_upload_size: u64,
    /// The chunk size browsers use for resumable uploads.
    pub(crate) upload_chunk_size: u64,
}

/// A one-shot upload's bytes on their way to a scratch file: counted against
/// the limit and hashed as they come. Dropped unfinished, nothing is kept.
pub(crate) struct MultipartSink {
    writer: TempWriter,
    hasher: Sha256,
    size: u64,
    limit: u64,
    /// Set when the quota, not the upload limit, is what `limit` is.
    quota: Option<Quota>,
    visibility: Visibility,
}

/// What a one-shot upload became.
pub(crate) struct Finished {
    pub(crate) item: MediaItem,
    /// The bytes were this item of the uploader's already.
    pub(crate) already_in_library: bool,
}

/// A user's storage quota and what they used when the upload began.
#[derive(Clone, Copy, Debug)]
struct Quota {
    quota: u64,
    used: u64,
}

impl MultipartSink {
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(match self.quota {
                Some(Quota { quota, used }) => Error::QuotaExceeded { quota, used },
                None => Error::TooLarge { limit: self.limit },
            });
        }
        self.hasher.update(chunk);
        self.writer.write(chunk).await?;
        Ok(())
    }
}

impl Service {
    /// Refuses an upload of `bytes` that the disk cannot hold while keeping
    /// the reserve the store's writers keep for the database.
    fn disk_admits(&self, bytes: u64) -> Result<()> {
        let available = self.inner.store.available_space()?;
        if bytes.saturating_add(WRITE_RESERVE) > available {
            return Err(Error::InsufficientStorage {
                available: Some(available),
            });
        }
        Ok(())
    }

    pub(crate) fn upload_limits(&self, _actor: &Actor) -> UploadLimits {
        let limits = self.inner.limits;
        UploadLimits {
            max_upload_bytes: limits.max_upload_size,
            upload_chunk_bytes: limits.upload_chunk_size,
        }
    }

    /// Starts a one-shot upload; `announced` is the size the client says it
    /// will send (refused at once when it cannot fit).
    pub(crate) async fn begin_upload(
        &self,
        actor: &Actor,
        announced: Option<u64>,
        visibility: Visibility,
    ) -> Result<MultipartSink> {
        let room = self.room_for(actor).await?;
        let max = self.inner.limits.max_upload_size;
        if announced.is_some_and(|n| n > max) {
            return Err(Error::TooLarge { limit: max });
        }
        room.admits(announced.unwrap_or(0))?;
        self.disk_admits(announced.unwrap_or(0))?;
        let writer = self.inner.store.create_temp().await?.into_writer().await?;
        let (limit, quota) = match room {
            Some(q) if q.quota.saturating_sub(q.used) < max => {
                (q.quota.saturating_sub(q.used), Some(q))
            }
            _ => (max, None),
        };
        Ok(MultipartSink {
            writer,
            hasher: Sha256::new(),
            size: 0,
            limit,
            quota,
            visibility,
        })
    }

    /// Refuses `actor` if they may not upload; their quota, if they have one.
    async fn room_for(&self, actor: &Actor) -> Result<Option<Quota>> {
        let account = match actor.account() {
            None => return Err(Error::SignInRequired),
            Some(_) if !access::can_upload(actor) => return Err(Error::Forbidden),
            Some(account) => account,
        };
        let repo = &self.inner.repo;
        let Some(user) = repo.user(&account.id).await? else {
            return Err(Error::SignInRequired);
        };
        let Some(quota) = user.quota_bytes else {
            return Ok(None);
        };
        let used = repo.bytes_owned(&account.id).await?;
        let quota = u64::try_from(quota).unwrap_or(0);
        Ok(Some(Quota { quota, used }))
    }

    /// Ends a one-shot upload: the bytes become an item (probed, stored,
    /// recorded, processing queued), or are refused and gone. Bytes already
    /// in the uploader's library are not kept: the answer is that item.
    pub(crate) async fn finish_upload(
        &self,
        actor: &Actor,
        sink: MultipartSink,
        client_filename: &str,
    ) -> Result<Finished> {
        let MultipartSink {
            writer,
            hasher,
            size,
            visibility,
            ..
        } = sink;
        let temp = writer.finish().await?;
        let received = Received {
            size,
            sha256: hex::encode(hasher.finalize()),
            original_filename: filename::sanitize(client_filename),
            owner: actor.account().map(|a| a.id.clone()),
            visibility,
            labels: Vec::new(),
        };
        let intake = &self.inner.ingest;
        if let Some(existing) = intake.already_in_library(&received).await.map_err(ingest)? {
            drop(temp);
            let item = self.item(actor, &existing).await?;
            return Ok(Finished {
                item,
                already_in_library: true,
            });
        }
        let item = intake.admit_temp(temp, received).await.map_err(ingest)?;
        Ok(Finished {
            item: self.with_progress(actor, item).await?,
            already_in_library: false,
        })
    }

    /// A new resumable upload; its item will be `actor`'s, seen as the
    /// metadata's `visibility` says (private when it says nothing).
    pub(crate) async fn create_upload(
        &self,
        actor: &Actor,
        length: u64,
        metadata: Metadata,
    ) -> Result<Created> {
        let room = self.room_for(actor).await?;
        let max = self.inner.limits.max_upload_size;
        if length > max {
            return Err(Error::TooLarge { limit: max });
        }
        room.admits(length)?;
        self.disk_admits(length)?;
        let visibility = metadata.visibility.unwrap_or_default();
        let owner = actor.account().map(|a| a.id.clone());
        Ok(self
            .inner
            .uploads
            .create(length, metadata, owner, visibility)
            .await?)
    }

    /// Refuses a resumable upload to anyone but its owner (and the admins):
    /// to them it is missing.
    async fn own_upload(&self, actor: &Actor, id: &UploadId) -> Result<()> {
        let owner = self.inner.uploads.owner_of(id).await?;
        let theirs = match (&owner, actor.account()) {
            (None, _) | (_, None) => false,
            (Some(owner), Some(account)) => actor.is_admin() || owner.as_ref() == Some(&account.id),
        };
        if theirs {
            Ok(())
        } else {
            Err(Error::NotFound(Missing::Upload))
        }
    }

    pub(crate) async fn upload_info(&self, actor: &Actor, id: &UploadId) -> Result<Info> {
        self.own_upload(actor, id).await?;
        Ok(self.inner.uploads.info(id).await?)
    }

    pub(crate) async fn append_upload<S, E>(
        &self,
        actor: &Actor,
        id: &UploadId,
        patch: Patch<S>,
    ) -> Result<Progress>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.own_upload(actor, id).await?;
        Ok(self.inner.uploads.patch(id, patch).await?)
    }

    pub(crate) async fn terminate_upload(&self, actor: &Actor, id: &UploadId) -> Result<()> {
        self.own_upload(actor, id).await?;
        Ok(self.inner.uploads.terminate(id).await?)
    }

    /// Where a resumable upload stands (the browser follows it after its
    /// last chunk until the upload is an item).
    pub(crate) async fn upload_status(&self, actor: &Actor, id: &UploadId) -> Result<UploadStatus> {
        self.own_upload(actor, id).await?;
        self.inner
            .uploads
            .status(id)
            .await?
            .ok_or(Error::NotFound(Missing::Upload))
    }
}

trait Admits {
    /// Refuses `bytes` more when they would pass the quota.
    fn admits(&self, bytes: u64) -> Result<()>;
}

impl Admits for Option<Quota> {
    fn admits(&self, bytes: u64) -> Result<()> {
        match *self {
            Some(Quota { quota, used }) if used.saturating_add(bytes) > quota => {
                Err(Error::QuotaExceeded { quota, used })
            }
            _ => Ok(()),
        }
    }
}

fn ingest(e: crate::server::ingest::IngestError) -> Error {
    use crate::server::ingest::IngestError;
    match e {
        IngestError::NotMedia(reason) => Error::NotMedia(reason),
        IngestError::Media(e) => Error::Internal(e.into()),
        IngestError::Store(e) => e.into(),
        IngestError::Db(e) => e.into(),
    }
}
