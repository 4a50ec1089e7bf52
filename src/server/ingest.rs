//! Received bytes become a library item: probe them, move them into the
//! store under a new id, record the row, queue the processing. Both ways
//! bytes arrive use it: the one-shot multipart route and tus uploads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::accounts::{UserId, Visibility};
use crate::model::MediaId;
use crate::model::labels::label_key;
use crate::server::db::{DbError, NewMedia, Repo, StoredItem};
use crate::server::filename;
use crate::server::jobs::{self, Jobs};
use crate::server::media::{Media, MediaError, ProbeSummary, Rejection};
use crate::server::store::{Materialised, Store, StoreError, TempFile, Variant};

/// How often a row that the database refused for a moment (busy past its
/// timeout) is tried again before the upload fails.
const RECORD_ATTEMPTS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub(crate) enum IngestError {
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

/// What is known about the bytes once they have all arrived.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) size: u64,
    pub(crate) sha256: String,
    /// Already sanitised: metadata only, never a path.
    pub(crate) original_filename: String,
    /// Whose item it becomes, and who may see it.
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
    /// Labels (tags) the item starts with, already cleaned.
    pub(crate) labels: Vec<String>,
}

#[derive(Clone)]
pub(crate) struct Ingest {
    repo: Repo,
    store: Store,
    media: Media,
    jobs: Jobs,
    /// Items recorded since start (operators read it at `/metrics`).
    stored: Arc<AtomicU64>,
}

impl Ingest {
    pub(crate) fn new(repo: Repo, store: Store, media: Media, jobs: Jobs) -> Self {
        Ingest {
            repo,
            store,
            media,
            jobs,
            stored: Arc::default(),
        }
    }

    /// How many uploads became items since start.
    pub(crate) fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// The item of the owner's that already holds these bytes: a file is
    /// not stored twice in one library (items without an owner are never
    /// matched: they predate accounts).
    pub(crate) async fn already_in_library(
        &self,
        received: &Received,
    ) -> Result<Option<MediaId>, IngestError> {
        let Some(owner) = &received.owner else {
            return Ok(None);
        };
        Ok(self.repo.media_with_hash(owner, &received.sha256).await?)
    }

    /// Decides from the bytes (never the name) whether they are media Reel accepts.
    pub(crate) async fn probe(&self, file: &Materialised) -> Result<ProbeSummary, IngestError> {
        Ok(self.media.probe(file.path()).await?)
    }

    /// The same decision for a file of the operator's, where it lies (an
    /// import's dry run).
    pub(crate) async fn probe_path(
        &self,
        path: &std::path::Path,
    ) -> Result<ProbeSummary, IngestError> {
        Ok(self.media.probe(path).await?)
    }

    /// The one-shot path: probe a finished temp file, store it, record it.
    pub(crate) async fn admit_temp(
        &self,
        temp: TempFile,
        received: Received,
    ) -> Result<StoredItem, IngestError> {
        let probe = self.media.probe(temp.path()).await?;
        let id = MediaId::generate();
        self.store.persist(temp, &id, Variant::Original).await?;
        self.record(id, received, probe).await
    }

    /// An imported file's way in: as `admit_temp`, except that labels
    /// (from its folders) that only repeat the file's own album or artist
    /// tag are dropped: `Artist/Album/01.mp3` has those as tags already.
    pub(crate) async fn admit_imported(
        &self,
        temp: TempFile,
        mut received: Received,
    ) -> Result<StoredItem, IngestError> {
        let probe = self.media.probe(temp.path()).await?;
        let tags = &probe.described.tags;
        let own: Vec<String> = [&tags.album, &tags.artist, &tags.album_artist]
            .into_iter()
            .flatten()
            .map(|t| label_key(t))
            .collect();
        received.labels.retain(|l| !own.contains(&label_key(l)));
        let id = MediaId::generate();
        self.store.persist(temp, &id, Variant::Original).await?;
        self.record(id, received, probe).await
    }

    /// Records an item whose original is already in the store, with the
    /// processing jobs its probe calls for, and wakes the workers. A
    /// database busy for a moment is waited out; without a row the bytes
    /// would be orphans, so an insert that fails for good removes them.
    pub(crate) async fn record(
        &self,
        id: MediaId,
        received: Received,
        probe: ProbeSummary,
    ) -> Result<StoredItem, IngestError> {
        let (play, jobs) = jobs::plan_for(&probe);
        // A tagged song's title is its title, not its file name.
        let title = probe
            .described
            .title
            .clone()
            .unwrap_or_else(|| filename::title_from(&received.original_filename));
        let new = NewMedia {
            id: id.clone(),
            title,
            original_filename: received.original_filename,
            size_bytes: received.size,
            sha256: received.sha256,
            facts: probe.facts,
            play,
            owner: received.owner,
            visibility: received.visibility,
            described: probe.described,
            labels: received.labels,
        };
        let mut attempt = 1;
        let inserted = loop {
            match self.repo.insert(&new, &jobs).await {
                Err(e) if e.is_transient() && attempt < RECORD_ATTEMPTS => {
                    tracing::warn!(%id, attempt, "the database is busy; recording the upload again: {e}");
                    tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                other => break other,
            }
        };
        let item = match inserted {
            Ok(item) => item,
            Err(e) => {
                if let Err(cleanup) = self.store.delete_all(&id).await {
                    tracing::error!(%id, "cannot remove the bytes of a failed upload: {cleanup}");
                }
                return Err(e.into());
            }
        };
        self.stored.fetch_add(1, Ordering::Relaxed);
        self.jobs.wake();
        Ok(item)
    }
}
