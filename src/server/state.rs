//! The composition root: opens the data directory, builds every part once
//! (store, repository, media runner, queue, uploads) and the service layer
//! over them, and hands the edges what they need.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::accounts::{Accounts, SessionPolicy};
use crate::server::config::{Config, Database, Role, ServeMode, Storage};
use crate::server::credentials::Site;
use crate::server::db::Repo;
use crate::server::events::Events;
use crate::server::ingest::Ingest;
use crate::server::jobs::{self, Jobs};
use crate::server::media::Media;
use crate::server::metrics::Metrics;
use crate::server::node::{self, SoleNode};
use crate::server::peers::Peers;
use crate::server::service::{self, Service};
use crate::server::store::Store;
use crate::server::uploads::{self, Uploads};

/// What the edges hold: the settings, the service, the counters.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) leptos_options: LeptosOptions,
    pub(crate) service: Service,
    pub(crate) metrics: Arc<Metrics>,
    /// What the site's address decides (cookies, CSRF, client addresses).
    pub(crate) site: Site,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Setting(&'static str),
    #[error(transparent)]
    Store(#[from] crate::server::store::StoreError),
    #[error(transparent)]
    Db(#[from] crate::server::db::DbError),
    #[error("cannot resume the processing left from the last run: {0}")]
    Jobs(#[source] crate::server::jobs::JobsError),
    #[error("cannot resume the uploads left from the last run: {0}")]
    Uploads(#[source] crate::server::uploads::UploadError),
    #[error("cannot set up accounts: {0}")]
    Accounts(#[from] crate::server::accounts::AccountError),
    #[error("cannot start the service: {0}")]
    Service(#[from] service::Error),
}

impl AppState {
    /// Opens the data directory, migrates the database, starts the workers
    /// and takes up whatever the last run left unfinished. `sole` proves
    /// this process is the only one on the data directory.
    pub(crate) async fn start(
        config: Config,
        leptos_options: LeptosOptions,
        sole: &SoleNode,
    ) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        if config.serve_mode == ServeMode::Redirect && config.storage == Storage::Local {
            return Err(StartError::Setting(
                "--serve-mode redirect needs --storage s3://…: local files are sent by Reel",
            ));
        }
        // Other roles share the work with other nodes: through a database
        // and a store that every node reaches.
        if config.role != Role::All
            && (!matches!(config.database_url, Database::Postgres(_))
                || config.storage == Storage::Local)
        {
            return Err(StartError::Setting(
                "--role web and --role worker need --database-url postgres://… and \
                 --storage s3://…: nodes share the library through them",
            ));
        }
        let store = Store::open(&config.storage, &config.s3, config.data_dir.join("files")).await?;
        let repo = Repo::connect(&config.database_url, &config.data_dir).await?;
        // Shown without its password (`Database`'s Display).
        tracing::info!(database = %config.database_url, "rows and the queue");
        // Recovery that assumes no other node is at work: only when the rows
        // are the embedded SQLite file in the data directory this process
        // has locked. On PostgreSQL other nodes may be writing objects whose
        // rows do not exist yet, and running the jobs this node sees as
        // running: those are requeued when their lease expires, by any node.
        let sole = repo.is_embedded().then_some(sole);
        if let Some(sole) = sole {
            node::sweep_orphans(sole, &repo, &store).await;
        }
        let media = Media::new(config.worker_count(), config.job_timeout);
        let events = Events::new();
        events.relay_through(&repo);
        let jobs = Jobs::new(
            repo.clone(),
            store.clone(),
            media.clone(),
            events.clone(),
            jobs::Settings {
                retry_delay: config.job_retry_delay,
                attempts: config.job_attempts,
                stale_after: config.job_lease,
                listen: config.queue_notify,
                ..jobs::Settings::default()
            },
        );
        // Queued jobs wait in the database; running ones died with the last run.
        match sole {
            Some(sole) => jobs.requeue_all_running(sole).await,
            None => jobs.settle_unsettled().await,
        }
        .map_err(StartError::Jobs)?;
        match config.role {
            _ if config.manual_jobs => {}
            Role::All | Role::Worker => jobs.start_workers(config.worker_count()),
            // Still takes back expired leases: any node may.
            Role::Web => jobs.start_janitor(),
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
        uploads.recover(sole).await.map_err(StartError::Uploads)?;
        uploads.spawn_cleanup(uploads::CLEANUP_EVERY);
        let policy = SessionPolicy {
            idle: config.session_idle,
            absolute: config.session_lifetime,
        };
        let peers = Peers::default();
        let accounts =
            Accounts::open(repo.clone(), config.data_dir.clone(), policy, peers.clone()).await?;
        first_admin(&accounts, &config).await?;
        accounts.spawn_sweeper();
        let stopping = events.stopping();
        let service = Service::new(service::Parts {
            repo: repo.clone(),
            store,
            media,
            jobs,
            events,
            ingest,
            uploads,
            accounts,
            peers: peers.clone(),
            limits: service::Limits {
                max_upload_size: config.max_upload_size,
                upload_chunk_size: config.upload_chunk_size,
            },
        })
        .await?;
        // What other nodes change, this node forgets (PostgreSQL only).
        let applies = service.clone();
        peers.connect(&repo, stopping, move |stale| applies.apply_stale(stale));
        let site = Site::new(&config, config.session_lifetime);
        Ok(AppState {
            site,
            config: Arc::new(config),
            leptos_options,
            service,
            metrics: Arc::default(),
        })
    }
}

/// With no user yet: the admin from settings, or a one-time setup link in
/// the log (and in `setup-token` in the data directory).
async fn first_admin(accounts: &Accounts, config: &Config) -> Result<(), StartError> {
    if let (Some(name), Some(password)) = (&config.admin_user, &config.admin_password) {
        if accounts.ensure_admin(name, password).await? {
            tracing::info!(name, "made the first admin from the settings");
        }
        return Ok(());
    }
    if let Some(token) = accounts.prepare_setup().await? {
        // The address to open: the public URL, else the one listened on
        // (a wildcard or ephemeral part left for the reader to fill in).
        let base = config
            .public_url
            .clone()
            .unwrap_or_else(|| match config.listen {
                Some(at) if at.port() != 0 && !at.ip().is_unspecified() => format!("http://{at}"),
                Some(at) if at.port() != 0 => format!("http://<this server>:{}", at.port()),
                _ => "http://<this server>".to_string(),
            });
        tracing::warn!(
            "no user yet: open {base}/setup?token={token} to make the first admin \
             (the token is also in {})",
            config.data_dir.join("setup-token").display()
        );
    }
    Ok(())
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The way uploads become items, for a command run without a server
/// (`reel import`): the jobs it records wait in the queue for a server's
/// workers, which find them by polling (or NOTIFY on PostgreSQL).
pub(crate) fn standalone_ingest(config: &Config, repo: Repo, store: Store) -> Ingest {
    let media = Media::new(config.worker_count(), config.job_timeout);
    let jobs = Jobs::new(
        repo.clone(),
        store.clone(),
        media.clone(),
        Events::new(),
        jobs::Settings::default(),
    );
    Ingest::new(repo, store, media, jobs)
}
