//! What tests need beyond HTTP, in one place: start a server on a temp data
//! directory, look at what HTTP cannot show (the queue, the rows, the
//! scratch area), and make test media with ffmpeg. Built for the crate's
//! unit tests and with the `testing` feature, which the crate's own
//! dev-dependency turns on for `tests/it`.

pub mod fuzz;
pub mod media;

use std::path::Path;

use crate::accounts::{Role, UserId, Visibility};
use crate::model::{JobKind, MediaEvent, MediaId, MediaItem, MediaKind, UploadId};
use crate::server::accounts::Account;
use crate::server::db::NewMedia;
pub use crate::server::db::{JobState, JobStatus};
use crate::server::domain::{ItemAccess, ItemEvent, MediaFacts, NewJob};
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

    /// The item as the service answers an admin (with its progress and
    /// signed addresses), if it exists.
    pub async fn item(&self, id: &MediaId) -> Option<MediaItem> {
        match self.service().item(&overseer(), id).await {
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
        let stored = self
            .service()
            .repo()
            .insert(&new, &jobs)
            .await
            .expect("insert");
        self.service().present(&overseer(), stored)
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

    /// Uploads into an object store whose multipart upload is still open:
    /// their ids and the store's multipart ids.
    pub async fn open_multiparts(&self) -> Vec<(UploadId, String)> {
        self.service()
            .uploads()
            .open_multiparts()
            .await
            .expect("upload rows")
    }

    /// Whether a request is writing to the upload right now.
    pub fn is_writing(&self, id: &UploadId) -> bool {
        self.service().uploads().is_writing(id)
    }

    /// Live item events, all of them (as an admin's `/api/events` sees them).
    pub fn events(&self) -> Events {
        Events(self.service().subscribe(&overseer()))
    }

    /// Sends a live event about a public item to every open event stream.
    pub fn publish(&self, event: MediaEvent) {
        let access = ItemAccess {
            owner: None,
            visibility: Visibility::Public,
        };
        self.service().events().publish(ItemEvent { event, access });
    }

    /// Sends a live event about the item, heard by whoever may hear of it.
    pub async fn publish_about(&self, id: &MediaId) {
        let item = self.item(id).await.expect("the item exists");
        let access = ItemAccess {
            owner: item.owner.clone(),
            visibility: item.visibility,
        };
        let event = MediaEvent {
            id: id.clone(),
            state: item.state,
            progress: None,
            changed: false,
        };
        self.service().events().publish(ItemEvent { event, access });
    }

    /// Sets who may see an item, as its owner's edit would.
    pub async fn set_visibility(&self, id: &MediaId, visibility: Visibility) {
        assert!(
            self.service()
                .repo()
                .change_access(id, Some(visibility))
                .await
                .expect("update"),
            "no item {id}"
        );
        self.service().forget_facts(id);
    }

    /// A new user (the first admin of all needs the setup, or these settings:
    /// `Config::admin_user`).
    pub async fn add_user(&self, name: &str, password: &str, role: Role) -> UserId {
        self.service()
            .accounts()
            .create_user(name, password, role, None)
            .await
            .expect("accounts work")
            .expect("the name is free")
    }

    /// A new API token for the user called `name`.
    pub async fn token_for(&self, name: &str) -> String {
        let user = self
            .service()
            .repo()
            .user_by_name(name)
            .await
            .expect("query")
            .expect("the user exists");
        self.service()
            .accounts()
            .create_token(&user.id, "tests")
            .await
            .expect("a token")
            .1
    }

    /// The live setup token, as the log prints it; `None` once a user exists.
    pub async fn setup_token(&self) -> Option<String> {
        self.service()
            .accounts()
            .prepare_setup()
            .await
            .expect("setup")
    }

    /// Forgets what memory holds about sessions and tokens (another node, or
    /// a minute later).
    pub fn forget_credentials(&self) {
        self.service().accounts().forget_all();
    }

    /// Answers sent by the direct byte path so far.
    pub fn direct_answers(&self) -> u64 {
        self.server
            .state
            .metrics
            .answers(crate::server::metrics::Via::Direct)
    }
}

/// Live events, as an admin hears them.
pub struct Events(tokio::sync::broadcast::Receiver<ItemEvent>);

impl Events {
    pub async fn recv(&mut self) -> Result<MediaEvent, tokio::sync::broadcast::error::RecvError> {
        self.0.recv().await.map(|item| item.event)
    }
}

/// Who the hooks act as: an admin who is no user (sees everything).
fn overseer() -> Actor {
    Actor::User(Account {
        id: UserId::parse(&"0".repeat(32)).expect("an id"),
        name: "tests".into(),
        role: Role::Admin,
    })
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

/// The first column of every row `sql` answers, as text, read from the
/// database file directly (what is stored, not what is served).
pub async fn sql_strings(database: &Path, sql: &'static str) -> Vec<String> {
    use sqlx::Connection;
    let url = format!("sqlite:{}?mode=ro", database.display());
    let mut connection = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connect");
    let rows: Vec<(String,)> = sqlx::query_as(sql)
        .fetch_all(&mut connection)
        .await
        .expect("query");
    rows.into_iter().map(|(s,)| s).collect()
}

/// Runs one statement on the database file directly (a fault or a clock a
/// test cannot wait for: a link whose time is up).
pub async fn sql_execute(database: &Path, sql: &'static str) {
    use sqlx::Connection;
    let url = format!("sqlite:{}", database.display());
    let mut connection = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connect");
    sqlx::query(sql)
        .execute(&mut connection)
        .await
        .expect("statement");
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
    scratch_names(data_dir).len()
}

/// The names in the scratch area, with their sizes: a leftover's extension
/// says what made it (`.mp4`, `.jpg`: a job; none: an upload).
/// (Files are in each run's folder inside the area.)
pub fn scratch_names(data_dir: &Path) -> Vec<String> {
    let Ok(runs) = std::fs::read_dir(data_dir.join("files").join("tmp")) else {
        return Vec::new();
    };
    runs.flatten()
        .filter_map(|run| std::fs::read_dir(run.path()).ok())
        .flatten()
        .flatten()
        .map(|entry| {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            format!("{} ({size} bytes)", entry.file_name().to_string_lossy())
        })
        .collect()
}
