//! The use cases: the one layer every edge calls (server functions, the axum
//! handlers, the direct byte path) and nothing else. Each use case takes the
//! `Actor` asking and answers a domain `Error`; statuses and codes are the
//! edges' business (`server::error`). Below this layer: `store` owns bytes,
//! `db` rows, `media` ffmpeg, `jobs` the queue, `uploads` resumable uploads,
//! `events` live changes.

mod edits;
mod facts;
mod files;
mod items;
mod processing;
mod uploads;

use std::sync::Arc;

pub(crate) use facts::ServingFacts;
pub(crate) use files::Served;
pub(crate) use uploads::Limits;

// What the use cases take and answer, named here so that the edges need
// nothing from below this layer.
pub(crate) use crate::server::store::{RangeReader, Source, Variant};
pub(crate) use crate::server::uploads::{Algorithm, Checksum, Metadata, Patch, UploadError};

use crate::server::db::{DbError, Repo};
use crate::server::events::Events;
use crate::server::ingest::Ingest;
use crate::server::jobs::{Jobs, JobsError};
use crate::server::media::edit::EditRefusal;
use crate::server::media::{Media, MediaError, Rejection};
use crate::server::store::{Store, StoreError};
use crate::server::uploads::Uploads;

/// Who asks. Before accounts everyone who reaches the server is the same
/// local user; the accounts issue adds users, and rights are checked here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Actor {
    /// Whoever reaches the server (no accounts yet: allowed everything).
    Anonymous,
}

/// What was not there (or, later, not theirs to see: the two look the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Item,
    Upload,
    /// An item without scrub previews.
    Previews,
}

/// Why an item cannot be edited as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotEditable {
    #[error("This item failed processing, so it cannot be edited. Retry its processing first.")]
    Failed,
    #[error("This item is still being converted for browsers; edit it once it plays.")]
    NotPlayableYet,
}

/// How a use case failed, in domain terms.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("not found: {0:?}")]
    NotFound(Missing),
    #[error("This file is larger than the upload limit of {}.", crate::format::bytes(*.limit))]
    TooLarge { limit: u64 },
    #[error(transparent)]
    NotMedia(Rejection),
    /// The client's body broke off before the upload was whole.
    #[error("the upload was interrupted before it finished")]
    Interrupted(#[source] std::io::Error),
    #[error("This item has no failed or cancelled processing to try again.")]
    NothingToRetry,
    #[error("This item is not processing any more.")]
    NothingToCancel,
    #[error(transparent)]
    NotEditable(NotEditable),
    #[error(transparent)]
    EditRefused(EditRefusal),
    #[error(transparent)]
    Upload(UploadError),
    /// The server's own trouble; the details are logged, never shown.
    #[error(transparent)]
    Internal(#[from] Internal),
}

/// The server's own failures, by the layer they came from.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Internal {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Jobs(#[from] JobsError),
    #[error("a stored file is unreadable: {0}")]
    Corrupt(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<JobsError> for Error {
    fn from(e: JobsError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<MediaError> for Error {
    /// A file ffmpeg refuses is the file's fault; anything else is ours.
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Rejected(reason) => Error::NotMedia(reason),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<UploadError> for Error {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Store(e) => e.into(),
            UploadError::Db(e) => e.into(),
            UploadError::Media(e) => Error::Internal(e.into()),
            UploadError::Interrupted(why) => Error::Interrupted(std::io::Error::other(why)),
            other => Error::Upload(other),
        }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) use crate::server::jobs::JobCounts;

/// What the layers below count, for operators (`/metrics`).
pub(crate) struct Counters {
    pub(crate) uploads_stored: u64,
    pub(crate) jobs: JobCounts,
    pub(crate) jobs_active: u64,
}

/// The service: cheap to clone, shared by every edge.
#[derive(Clone)]
pub(crate) struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    parts: Parts,
    /// Item facts byte serving needs, kept in memory.
    facts: facts::FactsCache,
}

/// The parts read as the service's own (`self.inner.repo`).
impl std::ops::Deref for Inner {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.parts
    }
}

/// What the service is built from (the composition root, `state`, makes them).
pub(crate) struct Parts {
    pub(crate) repo: Repo,
    pub(crate) store: Store,
    pub(crate) media: Media,
    pub(crate) jobs: Jobs,
    pub(crate) events: Events,
    pub(crate) ingest: Ingest,
    pub(crate) uploads: Uploads,
    pub(crate) limits: Limits,
}

impl Service {
    pub(crate) fn new(parts: Parts) -> Self {
        Service {
            inner: Arc::new(Inner {
                parts,
                facts: facts::FactsCache::new(facts::CAPACITY),
            }),
        }
    }

    /// The counters of the layers below, for operators.
    pub(crate) async fn counters(&self, _actor: &Actor) -> Result<Counters> {
        let active = self.inner.jobs.active().await?;
        Ok(Counters {
            uploads_stored: self.inner.ingest.stored(),
            jobs: self.inner.jobs.counts(),
            jobs_active: u64::try_from(active).unwrap_or(0),
        })
    }

    /// Live item changes, for the event stream. Every actor may follow them
    /// today; with accounts each event is filtered by who may see the item.
    pub(crate) fn subscribe(
        &self,
        _actor: &Actor,
    ) -> tokio::sync::broadcast::Receiver<crate::model::MediaEvent> {
        self.inner.events.subscribe()
    }

    /// Resolves when the server stops; event streams end with it.
    pub(crate) fn closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.inner.events.closed()
    }

    /// Ends every open event stream (the server is stopping).
    pub(crate) fn close_streams(&self) {
        self.inner.events.close();
    }

    /// The parts below this layer, for the test hooks (`crate::testing`).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn repo(&self) -> &Repo {
        &self.inner.repo
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn events(&self) -> &Events {
        &self.inner.events
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn uploads(&self) -> &Uploads {
        &self.inner.uploads
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn cached_facts(&self, id: &crate::model::MediaId) -> Option<Arc<ServingFacts>> {
        self.inner.facts.cached(id)
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_facts(&self, id: &crate::model::MediaId) {
        self.inner.facts.evict(id);
    }
}
