//! Received bytes become a library item: probe them, move them into the
//! store under a new id, record the row, queue the processing. Both ways
//! bytes arrive use it: the one-shot multipart route and tus uploads.

use std::path::Path;

use crate::model::MediaItem;
use crate::server::db::{DbError, NewMedia, Repo};
use crate::server::error::Error;
use crate::server::filename;
use crate::server::jobs::{self, Jobs};
use crate::server::media::{Media, MediaError, ProbeSummary, Rejection};
use crate::server::store::{MediaId, Store, StoreError, TempFile, Variant};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The bytes are not media Reel accepts; the text is for people.
    #[error(transparent)]
    NotMedia(#[from] Rejection),
    #[error(transparent)]
    Media(MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<MediaError> for IngestError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Rejected(reason) => IngestError::NotMedia(reason),
            other => IngestError::Media(other),
        }
    }
}

impl From<IngestError> for Error {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::NotMedia(reason) => Error::NotMedia(reason.to_string()),
            IngestError::Media(e) => Error::Media(e),
            IngestError::Store(e) => Error::Store(e),
            IngestError::Db(e) => Error::Db(e),
        }
    }
}

/// What is known about the bytes once they have all arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub size: u64,
    pub sha256: String,
    /// Already sanitised: metadata only, never a path.
    pub original_filename: String,
}

#[derive(Clone)]
pub struct Ingest {
    repo: Repo,
    store: Store,
    media: Media,
    jobs: Jobs,
}

impl Ingest {
    pub fn new(repo: Repo, store: Store, media: Media, jobs: Jobs) -> Self {
        Ingest {
            repo,
            store,
            media,
            jobs,
        }
    }

    /// Decides from the bytes (never the name) whether they are media Reel accepts.
    pub async fn probe(&self, path: &Path) -> Result<ProbeSummary, IngestError> {
        Ok(self.media.probe(path).await?)
    }

    /// The one-shot path: probe a finished temp file, store it, record it.
    pub async fn admit_temp(
        &self,
        temp: TempFile,
        received: Received,
    ) -> Result<MediaItem, IngestError> {
        let probe = self.probe(temp.path()).await?;
        let id = MediaId::generate();
        self.store.persist(temp, &id, Variant::Original).await?;
        self.record(id, received, probe).await
    }

    /// Records an item whose original is already in the store, with the
    /// processing jobs its probe calls for, and wakes the workers. Without a row the bytes would be orphans, so a failed
    /// insert removes them.
    pub async fn record(
        &self,
        id: MediaId,
        received: Received,
        probe: ProbeSummary,
    ) -> Result<MediaItem, IngestError> {
        let (play, jobs) = jobs::plan_for(&probe);
        let new = NewMedia {
            id: id.clone(),
            title: filename::title_from(&received.original_filename),
            original_filename: received.original_filename,
            size_bytes: received.size,
            sha256: received.sha256,
            content_type: probe.content_type,
            kind: probe.kind,
            container: probe.demuxer,
            duration_secs: probe.duration_secs,
            width: probe.width,
            height: probe.height,
            video_codec: probe.video_codec,
            audio_codec: probe.audio_codec,
            cover_stream: probe.cover_stream,
            play,
        };
        let item = match self.repo.insert(&new, &jobs).await {
            Ok(item) => item,
            Err(e) => {
                if let Err(cleanup) = self.store.delete_all(&id).await {
                    tracing::error!(%id, "cannot remove the bytes of a failed upload: {cleanup}");
                }
                return Err(e.into());
            }
        };
        self.jobs.wake();
        Ok(item)
    }
}
