//! The use cases: the one layer every edge calls (server functions, the axum
//! handlers, the direct byte path) and nothing else. Each use case takes the
//! `Actor` asking and answers a domain `Error`; statuses and codes are the
//! edges' business (`server::error`). Below this layer: `store` owns bytes,
//! `db` rows, `media` ffmpeg, `jobs` the queue, `uploads` resumable uploads,
//! `events` live changes.

mod access;
mod accounts;
mod albums;
mod archives;
mod bulk;
mod captions;
mod collections;
mod edits;
mod facts;
mod files;
mod items;
mod labels;
mod processing;
mod shares;
mod signing;
mod uploads;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub(crate) use crate::server::domain::ItemEvent;
pub(crate) use access::{Actor, ItemAccess};
pub(crate) use accounts::Credentials;
pub(crate) use archives::Archive;

pub(crate) use facts::ServingFacts;
pub(crate) use files::Served;
pub(crate) use uploads::Limits;

// What the use cases take and answer, named here so that the edges need
// nothing from below this layer.
#[cfg(test)]
pub(crate) use crate::server::store::HlsFile;
pub(crate) use crate::server::store::{RangeReader, Source, Variant};
pub(crate) use crate::server::uploads::{Algorithm, Checksum, Metadata, Patch, UploadError};

use crate::server::accounts::{AccountError, Accounts};
use crate::server::db::{DbError, Repo};
use crate::server::events::Events;
use crate::server::ingest::Ingest;
use crate::server::jobs::{Jobs, JobsError};
use crate::server::media::edit::EditRefusal;
use crate::server::media::{Media, MediaError, Rejection};
use crate::server::peers::{Peers, Stale};
use crate::server::store::{Store, StoreError};
use crate::server::uploads::Uploads;

/// What was not there (or, later, not theirs to see: the two look the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Item,
    Upload,
    /// An item without scrub previews.
    Previews,
    User,
    Token,
    Share,
    /// A playlist or smart collection.
    Collection,
    /// A page for admins only, or the setup page once an admin exists.
    Page,
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
    #[error("Sign in to do this.")]
    SignInRequired,
    #[error("Your account may not do this.")]
    Forbidden,
    #[error("The name or the password is not right.")]
    SignInRefused,
    #[error("Too many failed attempts. Try again in {} seconds.", .retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: Duration },
    #[error(
        "This would go past your storage quota of {}; {} is in use.",
        crate::format::bytes(*.quota),
        crate::format::bytes(*.used)
    )]
    QuotaExceeded { quota: u64, used: u64 },
    /// The disk has no room: `available` is what was free when a check
    /// refused the work, `None` when a write met the full disk. The text
    /// never names a path.
    #[error("{}", disk_full(*.available))]
    InsufficientStorage { available: Option<u64> },
    #[error("This link has expired.")]
    ShareExpired,
    #[error("A user with this name exists already.")]
    NameTaken,
    /// A value the request carries breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// The server's own trouble; the details are logged, never shown.
    #[error(transparent)]
    Internal(#[from] Internal),
}

fn disk_full(available: Option<u64>) -> String {
    let keep = crate::format::bytes(crate::server::store::WRITE_RESERVE);
    match available {
        Some(free) => format!(
            "Reel's disk has no room for this: {} is free and {keep} must stay free. Free some space, then try again.",
            crate::format::bytes(free)
        ),
        None => format!(
            "Reel's disk is full ({keep} is kept free for its database), so this could not be stored and nothing of it was kept. Free some space, then try again."
        ),
    }
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
    #[error(transparent)]
    Accounts(#[from] AccountError),
}

impl From<AccountError> for Error {
    fn from(e: AccountError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if e.is_disk_full() {
            // The details (paths) are logged, not shown.
            tracing::warn!("the disk is full: {e}");
            return Error::InsufficientStorage { available: None };
        }
        Error::Internal(e.into())
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        if e.is_disk_full() {
            tracing::warn!("the disk is full: {e}");
            return Error::InsufficientStorage { available: None };
        }
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
    /// Whether visitors who are not signed in see public items listed (a
    /// site setting, read at start and kept current here).
    public_browsing: AtomicBool,
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
    pub(crate) accounts: Accounts,
    pub(crate) peers: Peers,
    pub(crate) limits: Limits,
}

impl Service {
    /// The service over `parts`, with the site settings read from the rows.
    pub(crate) async fn new(parts: Parts) -> Result<Self> {
        let public_browsing = parts
            .repo
            .setting(accounts::PUBLIC_BROWSING)
            .await?
            .is_some_and(|v| v == "on");
        Ok(Service {
            inner: Arc::new(Inner {
                parts,
                facts: facts::FactsCache::new(facts::CAPACITY),
                public_browsing: AtomicBool::new(public_browsing),
            }),
        })
    }

    /// The counters of the layers below, for operators.
    pub(crate) async fn counters(&self, actor: &Actor) -> Result<Counters> {
        self.admin(actor)?;
        let active = self.inner.jobs.active().await?;
        Ok(Counters {
            uploads_stored: self.inner.ingest.stored(),
            jobs: self.inner.jobs.counts(),
            jobs_active: u64::try_from(active).unwrap_or(0),
        })
    }

    /// Live item changes, for the event stream; `hears` tells which of them
    /// `actor` may learn of (the stream drops the others).
    pub(crate) fn subscribe(
        &self,
        _actor: &Actor,
    ) -> tokio::sync::broadcast::Receiver<crate::server::domain::ItemEvent> {
        self.inner.events.subscribe()
    }

    /// Whether `actor` may learn of an item's change from the event stream:
    /// of the items they may list, and of one they follow by its address
    /// (`followed`: its page asked for its events) if they may read it.
    pub(crate) fn hears(&self, actor: &Actor, access: &ItemAccess, followed: bool) -> bool {
        if followed {
            access::can_read(actor, access)
        } else {
            access::can_list(actor, access, self.public_browsing())
        }
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
    pub(crate) fn accounts(&self) -> &Accounts {
        &self.inner.accounts
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

    /// Whether stored files are on this machine's disk, so the direct path
    /// can send them with `sendfile` (an object store's go through the router).
    pub(crate) fn bytes_are_local(&self) -> bool {
        self.inner.store.is_local()
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn cached_facts(&self, id: &crate::model::MediaId) -> Option<Arc<ServingFacts>> {
        self.inner.facts.cached(id)
    }

    /// Forgets an item's serving facts, here and on the other nodes: its
    /// rights changed or it is gone.
    pub(crate) fn forget_facts(&self, id: &crate::model::MediaId) {
        self.inner.facts.evict(id);
        self.inner.peers.tell(Stale::Item { id: id.clone() });
    }

    /// Applies what another node changed (`Peers`): forgets here only.
    pub(crate) fn apply_stale(&self, stale: Stale) {
        match stale {
            Stale::Item { id } => self.inner.facts.evict(&id),
            Stale::PublicBrowsing { on } => {
                self.inner
                    .public_browsing
                    .store(on, std::sync::atomic::Ordering::Relaxed);
            }
            other => self.inner.accounts.forget_here(&other),
        }
    }
}
