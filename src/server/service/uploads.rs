//! Upload use cases: the one-shot upload (its bytes streamed into a
//! `MultipartSink` by the multipart route), the resumable (tus) uploads the
//! tus routes drive, the status a browser follows, and the limits pages show.

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};

use crate::model::{MediaItem, UploadId, UploadLimits, UploadStatus};
use crate::server::filename;
use crate::server::ingest::Received;
use crate::server::store::TempWriter;
use crate::server::uploads::{Created, Info, Metadata, Patch, Progress};

use super::{Actor, Error, Missing, Result, Service};

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
}

impl MultipartSink {
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(Error::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        self.writer.write(chunk).await?;
        Ok(())
    }
}

impl Service {
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
        _actor: &Actor,
        announced: Option<u64>,
    ) -> Result<MultipartSink> {
        let limit = self.inner.limits.max_upload_size;
        if announced.is_some_and(|n| n > limit) {
            return Err(Error::TooLarge { limit });
        }
        let writer = self.inner.store.create_temp().await?.into_writer().await?;
        Ok(MultipartSink {
            writer,
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    /// Ends a one-shot upload: the bytes become an item (probed, stored,
    /// recorded, processing queued), or are refused and gone.
    pub(crate) async fn finish_upload(
        &self,
        _actor: &Actor,
        sink: MultipartSink,
        client_filename: &str,
    ) -> Result<MediaItem> {
        let MultipartSink {
            writer,
            hasher,
            size,
            ..
        } = sink;
        let temp = writer.finish().await?;
        let received = Received {
            size,
            sha256: hex::encode(hasher.finalize()),
            original_filename: filename::sanitize(client_filename),
        };
        let item = self
            .inner
            .ingest
            .admit_temp(temp, received)
            .await
            .map_err(ingest)?;
        self.with_progress(item).await
    }

    pub(crate) async fn create_upload(
        &self,
        _actor: &Actor,
        length: u64,
        metadata: Metadata,
    ) -> Result<Created> {
        Ok(self.inner.uploads.create(length, metadata).await?)
    }

    pub(crate) async fn upload_info(&self, _actor: &Actor, id: &UploadId) -> Result<Info> {
        Ok(self.inner.uploads.info(id).await?)
    }

    pub(crate) async fn append_upload<S, E>(
        &self,
        _actor: &Actor,
        id: &UploadId,
        patch: Patch<S>,
    ) -> Result<Progress>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Ok(self.inner.uploads.patch(id, patch).await?)
    }

    pub(crate) async fn terminate_upload(&self, _actor: &Actor, id: &UploadId) -> Result<()> {
        Ok(self.inner.uploads.terminate(id).await?)
    }

    /// Where a resumable upload stands (the browser follows it after its
    /// last chunk until the upload is an item).
    pub(crate) async fn upload_status(
        &self,
        _actor: &Actor,
        id: &UploadId,
    ) -> Result<UploadStatus> {
        self.inner
            .uploads
            .status(id)
            .await?
            .ok_or(Error::NotFound(Missing::Upload))
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
