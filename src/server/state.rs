//! Shared application state: what every handler and server function needs.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::config::Config;
use crate::server::db::Repo;
use crate::server::events::Events;
use crate::server::http::facts::{self, ServingCache};
use crate::server::ingest::Ingest;
use crate::server::jobs::{self, Jobs};
use crate::server::media::Media;
use crate::server::store::Store;
use crate::server::tus::{self, Uploads};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub repo: Repo,
    pub store: Store,
    pub media: Media,
    /// The processing queue: retry, cancel, `run_one_job`, `wait_idle`.
    pub jobs: Jobs,
    /// Live item changes for `/api/events`.
    pub events: Events,
    /// Received bytes → library items (both upload routes use it).
    pub ingest: Ingest,
    /// Resumable (tus) uploads: locks, writes, expiry, finalisation.
    pub uploads: Uploads,
    /// Byte serving's cache of per-item facts; delete must `evict` from it.
    pub serving: ServingCache,
    /// Answers sent by the direct byte path (`http::direct`): tests tell
    /// from it which path answered; metrics will report it.
    pub direct_answers: Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the data directory {path} is in use by another Reel ({reason})")]
    Locked { path: String, reason: String },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::server::store::StoreError),
    #[error(transparent)]
    Db(#[from] crate::server::db::DbError),
    #[error("cannot resume the processing left from the last run: {0}")]
    Jobs(#[source] Box<crate::server::jobs::JobsError>),
    #[error("cannot resume the uploads left from the last run: {0}")]
    Uploads(#[source] Box<crate::server::error::Error>),
}

impl AppState {
    /// Opens the data directory, migrates the database, starts the workers
    /// and requeues whatever was still processing when the server last stopped.
    pub async fn start(config: Config, leptos_options: LeptosOptions) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(config.data_dir.join("files")).await?;
        let repo = Repo::open(&config.data_dir.join("reel.db")).await?;
        crate::server::library::sweep_orphans(&repo, &store).await;
        let media = Media::new(config.worker_count(), config.job_timeout);
        let events = Events::new();
        let jobs = Jobs::new(
            repo.clone(),
            store.clone(),
            media.clone(),
            events.clone(),
            jobs::Settings {
                retry_delay: config.job_retry_delay,
                attempts: config.job_attempts,
                ..jobs::Settings::default()
            },
        );
        // Queued jobs wait in the database; running ones died with the last run.
        jobs.recover()
            .await
            .map_err(|e| StartError::Jobs(Box::new(e)))?;
        if !config.manual_jobs {
            jobs.start_workers(config.worker_count());
        }
        let ingest = Ingest::new(repo.clone(), store.clone(), media.clone(), jobs.clone());
        let uploads = Uploads::new(
            repo.clone(),
            store.clone(),
            ingest.clone(),
            config.max_upload_size,
            config.upload_expiry,
        );
        // Uploads complete but not yet items are finalised again here.
        uploads
            .recover()
            .await
            .map_err(|e| StartError::Uploads(Box::new(e)))?;
        uploads.spawn_cleanup(tus::CLEANUP_EVERY);
        Ok(AppState {
            config: Arc::new(config),
            leptos_options,
            repo,
            store,
            media,
            jobs,
            events,
            ingest,
            uploads,
            serving: ServingCache::new(facts::CAPACITY),
            direct_answers: Arc::default(),
        })
    }
}

/// Takes an exclusive lock on `DIR/reel.lock` (creating DIR), held while the
/// returned file is open. The binary takes it before `AppState::start`: a
/// second Reel on the same data would wipe the first one's temp files and
/// requeue its work.
pub fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, StartError> {
    std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    let locked = |reason: String| StartError::Locked {
        path: dir.display().to_string(),
        reason,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("reel.lock"))
        .map_err(|e| locked(e.to_string()))?;
    file.try_lock().map_err(|e| locked(e.to_string()))?;
    Ok(file)
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
