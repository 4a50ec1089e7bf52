//! What tests need beyond HTTP, in one place: start a server on a temp data
//! directory, look at what HTTP cannot show (the queue, the rows, the
//! scratch area), and make test media with ffmpeg. Built for the crate's
//! unit tests and with the `testing` feature, which the crate's own
//! dev-dependency turns on for `tests/it`.

pub mod media;

use std::path::Path;

use crate::model::{JobKind, MediaEvent, MediaId, MediaItem, MediaKind, UploadId};
use crate::server::db::NewMedia;
pub use crate::server::db::{JobState, JobStatus};
use crate::server::domain::{MediaFacts, NewJob};
pub use crate::server::jobs::JobReport;
use crate::server::service::Actor;
use crate::server::store::Variant;
use crate::server::{Config, Server, SoleNode, StartError};

/// An item to record without bytes (library queries need rows, not files).
pub struct Row {
    pub title: String,
    pub original_filename: String,
    pub kind: MediaKind,
    pub size_bytes: u64,
    pub duration_secs: Option<f64>,
    /// With a queued poster job, so the item is processing.
    pub processing: bool,
}

/// A started server's insides, for tests.
pub struct Hooks {
    server: Server,
}

impl Hooks {
    pub fn of(server: &Server) -> Self {
        Hooks {
            server: server.clone(),
        }
    }

    fn service(&self) -> &crate::server::service::Service {
        &self.server.state.service
    }

    /// Resolves once no processing job is queued or running.
    pub async fn wait_idle(&self) {
        self.service().jobs().wait_idle().await;
    }

    /// Resolves once no upload is being finalised.
    pub async fn wait_uploads_idle(&self) {
        self.service().uploads().wait_idle().await;
    }

    /// Claims and runs the next due job (servers started with `manual_jobs`).
    pub async fn run_one_job(&self) -> Option<JobReport> {
        self.service()
            .jobs()
            .run_one_job()
            .await
            .expect("the queue is readable")
    }

    /// Cancels an item's processing, as the service does before a delete.
    pub async fn cancel(&self, id: &MediaId) -> bool {
        self.service()
            .jobs()
            .cancel(id)
            .await
            .expect("the queue is readable")
    }

    /// The item as the service answers it (with its progress), if it exists.
    pub async fn item(&self, id: &MediaId) -> Option<MediaItem> {
        match self.service().item(&Actor::Anonymous, id).await {
            Ok(item) => Some(item),
            Err(crate::server::service::Error::NotFound(_)) => None,
            Err(e) => panic!("cannot read the item: {e}"),
        }
    }

    /// How many items there are.
    pub async fn item_count(&self) -> i64 {
        self.service().repo().count().await.expect("query")
    }

    /// The item's jobs: kind, state, attempts…
    pub async fn jobs_of(&self, id: &MediaId) -> Vec<JobStatus> {
        self.service().repo().jobs_of(id).await.expect("query")
    }

    /// The content type byte serving holds in memory for the item, if any.
    pub fn facts(&self, id: &MediaId) -> Option<String> {
        self.service()
            .cached_facts(id)
            .map(|f| f.content_type.clone())
    }

    /// Forgets the item's serving facts, as a delete does.
    pub fn forget_facts(&self, id: &MediaId) {
        self.service().forget_facts(id);
    }

    /// Records an item without bytes: ready, or processing with a queued job.
    pub async fn insert_row(&self, row: Row) -> MediaItem {
        let example = NewMedia::example(&row.title, row.kind);
        let new = NewMedia {
            original_filename: row.original_filename,
            size_bytes: row.size_bytes,
            facts: MediaFacts {
                duration_secs: row.duration_secs,
                ..example.facts.clone()
            },
            ..example
        };
        let jobs = match row.processing {
            true => vec![NewJob::plain(JobKind::Poster)],
            false => vec![],
        };
        self.service()
            .repo()
            .insert(&new, &jobs)
            .await
            .expect("insert")
    }

    /// Stores `bytes` as the item's file named `variant` (as in its URL).
    pub async fn store_file(&self, id: &MediaId, variant: &str, bytes: &[u8]) {
        let variant = Variant::parse(variant).expect("a variant");
        self.service()
            .store()
            .write_small(id, variant, bytes)
            .await
            .expect("stored");
    }

    /// Runs the cleanup of expired uploads now; how many went.
    pub async fn remove_expired_uploads(&self) -> usize {
        self.service()
            .uploads()
            .remove_expired()
            .await
            .expect("cleanup")
    }

    /// Whether a request is writing to the upload right now.
    pub fn is_writing(&self, id: &UploadId) -> bool {
        self.service().uploads().is_writing(id)
    }

    /// Live item events, as `/api/events` sees them.
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<MediaEvent> {
        self.service().subscribe(&Actor::Anonymous)
    }

    /// Sends a live event to every open event stream.
    pub fn publish(&self, event: MediaEvent) {
        self.service().events().publish(event);
    }

    /// Answers sent by the direct byte path so far.
    pub fn direct_answers(&self) -> u64 {
        self.server
            .state
            .metrics
            .answers(crate::server::metrics::Via::Direct)
    }
}

/// Another connection holding a database's write lock, as a busy writer
/// elsewhere would, until `release`.
pub struct HeldWriteLock(sqlx::SqliteConnection);

impl HeldWriteLock {
    pub async fn take(database: &Path) -> Self {
        use sqlx::Connection;
        let url = format!("sqlite:{}", database.display());
        let mut connection = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("a second connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut connection)
            .await
            .expect("the write lock");
        HeldWriteLock(connection)
    }

    pub async fn release(mut self) {
        sqlx::query("COMMIT")
            .execute(&mut self.0)
            .await
            .expect("unlock");
    }
}

/// A new item id, as the server makes them (for files no item owns).
pub fn fresh_media_id() -> MediaId {
    MediaId::generate()
}

/// Starts a server on `config.data_dir`, whose lock the caller holds.
pub async fn start(config: Config, sole: &SoleNode) -> Result<Server, StartError> {
    let options = leptos::config::LeptosOptions::builder()
        .output_name("reel")
        .build();
    Server::start(config, options, sole).await
}

/// `start` with the caller's site options (where `/pkg` files are).
pub async fn start_with_options(
    config: Config,
    options: leptos::config::LeptosOptions,
    sole: &SoleNode,
) -> Result<Server, StartError> {
    Server::start(config, options, sole).await
}

/// Entries in the scratch area of a data directory (tests assert nothing is
/// left behind).
pub fn scratch_entries(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir.join("files").join("tmp"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}
