//! Rows: the repository of items, jobs, uploads and accounts. Every `sqlx`
//! call of the server lives under this module, and it holds no business
//! rules: callers decide, the repository stores. Queries are checked at run
//! time (no DATABASE_URL needed to build); tests cover every one of them on
//! both backends.
//!
//! `Repo` is what callers hold. It is SQLite in the data directory (the
//! embedded default, `sqlite/`) or a PostgreSQL server (`postgres/`), picked
//! at start-up by `--database-url`; each backend has its own SQL and its own
//! migrations (their dialects differ where it matters: full-text search,
//! the queue's claim, types), and the rows they trade are shared (`rows`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::accounts::{
    Role, ShareId, ShareSummary, TokenId, TokenSummary, UserId, UserSummary, Visibility,
};
use crate::collections::CollectionId;
use crate::library::LibraryQuery;
use crate::model::labels::LabelCount;
use crate::model::{
    Chapter, HlsState, ItemTags, JobKind, MediaId, MediaItem, MediaState, PlaySource, UploadId,
};
use crate::server::config::Database;
use crate::server::domain::{Described, MediaFacts, NewJob};

mod captions;
mod collections;
mod copy;
mod notify;
mod postgres;
mod rows;
mod sqlite;
#[cfg(test)]
mod tests;

pub(crate) use captions::{CaptionRow, CaptionText, CueHitRow, MAX_CAPTIONS};
pub(crate) use collections::{CollectionRow, NewCollection};
pub(crate) use copy::{CopyReport, copy_to_postgres};
pub(crate) use postgres::{Listener, PgRepo, QUEUE_CHANNEL};
use rows::MediaRow;
pub(crate) use rows::{
    AlbumRow, ClaimedJob, FinishedEdit, Holder, Neighbour, NewEdit, NewMultipart, NewShare,
    NewUpload, PartsRecord, RemoteParts, SessionRow, ShareRow, ShareTarget, StoredItem, Upload,
    UploadState, UserRow, now_ms,
};
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub use rows::{JobState, JobStatus};
// The library fuzz target checks the search expressions (`testing::fuzz`).
pub(crate) use sqlite::SqliteRepo;
#[cfg(any(test, feature = "testing"))]
pub(crate) use sqlite::search_expression;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    /// The server named by `--database-url` could not be reached or refused
    /// us. `url` has no password (`Database`'s `Display`).
    #[error("--database-url: cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// `--database-url` names no database Reel can use.
    #[error("{0}")]
    Setting(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// Whether the same statement may succeed a moment later: the database
    /// was busy or locked past the busy timeout, a transaction lost a race
    /// (PostgreSQL), or no connection was free.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            DbError::Query(sqlx::Error::PoolTimedOut) => true,
            DbError::Query(sqlx::Error::Database(e)) => match backend_code(e.as_ref()) {
                // serialization_failure, deadlock_detected, lock_not_available.
                Some(Code::Postgres(state)) => matches!(state, "40001" | "40P01" | "55P03"),
                // Primary result codes (the low byte): SQLITE_BUSY, SQLITE_LOCKED.
                Some(Code::Sqlite(code)) => matches!(code & 0xff, 5 | 6),
                None => false,
            },
            _ => false,
        }
    }

    /// Whether the disk is full (SQLITE_FULL, or PostgreSQL's disk_full):
    /// no retry helps until space is freed, and people should be told so.
    pub(crate) fn is_disk_full(&self) -> bool {
        match self {
            DbError::Query(sqlx::Error::Database(e)) => match backend_code(e.as_ref()) {
                Some(Code::Postgres(state)) => state == "53100",
                Some(Code::Sqlite(code)) => code & 0xff == 13,
                None => false,
            },
            _ => false,
        }
    }
}

/// An error code as its backend means it: both are strings to sqlx, and
/// some SQLSTATEs (`53100`) read as numbers too.
enum Code<'a> {
    Postgres(&'a str),
    Sqlite(i32),
}

fn backend_code<'e>(e: &'e (dyn sqlx::error::DatabaseError + 'static)) -> Option<Code<'e>> {
    if let Some(pg) = e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return Some(Code::Postgres(pg.code()));
    }
    e.code()
        .and_then(|code| code.parse::<i32>().ok())
        .map(Code::Sqlite)
}

/// What an upload knows about a new item once it is stored and probed.
#[derive(Clone, Debug)]
pub(crate) struct NewMedia {
    pub(crate) id: MediaId,
    pub(crate) title: String,
    pub(crate) original_filename: String,
    pub(crate) size_bytes: u64,
    pub(crate) sha256: String,
    pub(crate) facts: MediaFacts,
    /// Set when the original already plays in browsers.
    pub(crate) play: Option<PlaySource>,
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
    /// The file's tags and chapters; its comment becomes the description.
    pub(crate) described: Described,
    /// Labels (tags people give) it starts with, already cleaned.
    pub(crate) labels: Vec<String>,
}

/// The chapters as stored: a JSON array.
fn chapters_json(chapters: &[Chapter]) -> String {
    serde_json::to_string(chapters).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(any(test, feature = "testing"))]
impl NewMedia {
    /// An item without bytes, for tests that need rows: a second of sound
    /// (or video) named `title`, playable as it is.
    pub(crate) fn example(title: &str, kind: crate::model::MediaKind) -> Self {
        let (content_type, container) = match kind {
            crate::model::MediaKind::Audio => ("audio/mpeg", "mp3"),
            crate::model::MediaKind::Video => ("video/mp4", "mov"),
        };
        NewMedia {
            id: MediaId::generate(),
            title: title.to_string(),
            original_filename: format!("{title}.{container}"),
            size_bytes: 1,
            sha256: "0".repeat(64),
            facts: MediaFacts {
                kind,
                container: container.into(),
                content_type: content_type.into(),
                duration_secs: Some(1.0),
                width: None,
                height: None,
                video_codec: None,
                audio_codec: None,
                cover_stream: None,
            },
            play: Some(PlaySource::Original),
            owner: None,
            visibility: Visibility::Private,
            described: Described::default(),
            labels: Vec::new(),
        }
    }
}

/// The repository: one of the two backends, chosen at start-up.
#[derive(Clone, Debug)]
pub(crate) enum Repo {
    Sqlite(SqliteRepo),
    Postgres(PgRepo),
}

/// A stored integer that must fit `T` (sizes, dimensions); a value that does
/// not is a corrupt row, reported rather than read as zero.
fn fits<T: TryFrom<i64>>(column: &'static str, value: i64) -> Result<T, DbError> {
    T::try_from(value).map_err(|_| {
        DbError::Query(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: format!("{value} is out of range").into(),
        })
    })
}

fn fits_opt<T: TryFrom<i64>>(
    column: &'static str,
    value: Option<i64>,
) -> Result<Option<T>, DbError> {
    value.map(|v| fits(column, v)).transpose()
}

/// Stored integers are signed; sizes are capped far below this anyway.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Which items a listing may show (`service::access` decides which applies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Every item (an admin).
    All,
    /// The user's own items, and others' internal and public ones.
    SignedIn(UserId),
    /// Public items only (visitors, when public browsing is on).
    Public,
    /// The user's own items and others' public ones: what a share link of
    /// theirs may show to anyone who holds it.
    OwnAndPublic(UserId),
    /// Nothing (visitors, when public browsing is off).
    Nothing,
}

impl Repo {
    /// Opens (creating) the SQLite database at `path` and runs pending
    /// migrations; a failed migration is an error the server must not start past.
    pub(crate) async fn open(path: &Path) -> Result<Self, DbError> {
        Ok(Repo::Sqlite(SqliteRepo::open(path).await?))
    }

    /// `open`, with how long a statement waits for a lock another
    /// connection holds before it fails (tests shorten it).
    #[cfg(test)]
    pub(crate) async fn open_with(
        path: &Path,
        busy_timeout: std::time::Duration,
    ) -> Result<Self, DbError> {
        Ok(Repo::Sqlite(
            SqliteRepo::open_with(path, busy_timeout).await?,
        ))
    }

    /// The database `--database-url` names: SQLite (by default `reel.db` in
    /// `data_dir`) or a PostgreSQL server, migrated.
    pub(crate) async fn connect(database: &Database, data_dir: &Path) -> Result<Self, DbError> {
        match database {
            Database::Sqlite(None) => Self::open(&data_dir.join("reel.db")).await,
            Database::Sqlite(Some(path)) => Self::open(path).await,
            Database::Postgres(url) => Ok(Repo::Postgres(PgRepo::connect(url).await?)),
            Database::Unsupported => Err(DbError::Setting(
                "--database-url must be sqlite:, sqlite:PATH or postgres://…".into(),
            )),
        }
    }
}

/// `Repo`'s methods, each answered by the backend in use.
macro_rules! delegate {
    ($( $(#[$attr:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Repo {
            $(
                $(#[$attr])*
                pub(crate) async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        Repo::Sqlite(repo) => repo.$name($($arg),*).await,
                        Repo::Postgres(repo) => repo.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    // accounts
    fn create_first_admin(&self, name: &str, password_hash: &str) -> Result<Option<UserId>, DbError>;
    fn has_users(&self) -> Result<bool, DbError>;
    fn create_user(&self, name: &str, password_hash: &str, role: Role, quota_bytes: Option<u64>) -> Result<Option<UserId>, DbError>;
    fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, DbError>;
    fn user(&self, id: &UserId) -> Result<Option<UserRow>, DbError>;
    fn users(&self) -> Result<Vec<UserSummary>, DbError>;
    fn update_user(&self, id: &UserId, role: Option<Role>, disabled: Option<bool>, quota_bytes: Option<Option<u64>>) -> Result<bool, DbError>;
    fn set_password(&self, id: &UserId, hash: &str) -> Result<bool, DbError>;
    fn bytes_owned(&self, id: &UserId) -> Result<u64, DbError>;
    fn create_session(&self, token_hash: &str, user: &UserId, now_ms: i64, expires_ms: i64) -> Result<(), DbError>;
    fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, DbError>;
    fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), DbError>;
    fn delete_session(&self, token_hash: &str) -> Result<(), DbError>;
    fn delete_sessions_of(&self, user: &UserId, keep: Option<&str>) -> Result<(), DbError>;
    fn delete_expired_sessions(&self, idle_before_ms: i64, now_ms: i64) -> Result<u64, DbError>;
    fn create_token(&self, token_hash: &str, user: &UserId, name: &str, now_ms: i64) -> Result<TokenId, DbError>;
    fn token_holder(&self, token_hash: &str) -> Result<Option<Holder>, DbError>;
    fn touch_token(&self, token_hash: &str, now_ms: i64) -> Result<(), DbError>;
    fn tokens_of(&self, user: &UserId) -> Result<Vec<TokenSummary>, DbError>;
    fn delete_token(&self, user: &UserId, id: &TokenId) -> Result<Option<String>, DbError>;
    fn setting(&self, key: &str) -> Result<Option<String>, DbError>;
    fn set_setting(&self, key: &str, value: &str) -> Result<(), DbError>;
    fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, DbError>;
    fn change_access(&self, id: &MediaId, visibility: Option<Visibility>) -> Result<bool, DbError>;
    // edits
    fn insert_edit(&self, new: &NewEdit) -> Result<StoredItem, DbError>;
    fn complete_edit(&self, id: &MediaId, done: &FinishedEdit, follow_up: &[NewJob]) -> Result<(), DbError>;
    // jobs
    fn claim_job(&self) -> Result<Option<ClaimedJob>, DbError>;
    fn heartbeat(&self, job: i64, progress: f64, eta_secs: Option<f64>) -> Result<bool, DbError>;
    fn finish_job(&self, job: i64) -> Result<bool, DbError>;
    fn fail_job(&self, job: i64, reason: &str, retry_at_ms: Option<i64>) -> Result<bool, DbError>;
    fn requeue_stale_jobs(&self, cutoff_ms: i64) -> Result<Vec<MediaId>, DbError>;
    fn unsettled_media(&self) -> Result<Vec<MediaId>, DbError>;
    fn cancel_jobs(&self, media: &MediaId) -> Result<(u64, Vec<i64>), DbError>;
    fn retry_jobs(&self, media: &MediaId) -> Result<u64, DbError>;
    fn jobs_of(&self, media: &MediaId) -> Result<Vec<JobStatus>, DbError>;
    fn active_job_count(&self) -> Result<i64, DbError>;
    fn next_job_due(&self) -> Result<Option<i64>, DbError>;
    fn jobs_of_many(&self, media: &[MediaId]) -> Result<HashMap<MediaId, Vec<JobStatus>>, DbError>;
    fn settle_media(&self, media: &MediaId, state: &MediaState) -> Result<(), DbError>;
    // library
    fn library_page(&self, query: &LibraryQuery, listing: &Listing, asker: Option<&UserId>) -> Result<(Vec<StoredItem>, u64), DbError>;
    // labels
    fn set_labels(&self, id: &MediaId, labels: &[String]) -> Result<bool, DbError>;
    fn labels_in_use(&self, listing: &Listing) -> Result<Vec<LabelCount>, DbError>;
    fn set_favourite(&self, user: &UserId, id: &MediaId, favourite: bool) -> Result<(), DbError>;
    fn favourites_among(&self, user: &UserId, ids: &[MediaId]) -> Result<HashSet<MediaId>, DbError>;
    fn update_text(&self, id: &MediaId, title: &str, description: &str) -> Result<bool, DbError>;
    fn update_tags(&self, id: &MediaId, tags: &ItemTags) -> Result<bool, DbError>;
    fn albums(&self, listing: &Listing) -> Result<Vec<AlbumRow>, DbError>;
    fn album_tracks(&self, listing: &Listing, album: &str, album_by: Option<&str>) -> Result<Vec<StoredItem>, DbError>;
    fn update_chapters(&self, id: &MediaId, chapters: &[Chapter]) -> Result<bool, DbError>;
    // captions
    fn captions_of(&self, id: &MediaId) -> Result<Vec<CaptionRow>, DbError>;
    fn caption_vtt(&self, id: &MediaId, caption: i64) -> Result<Option<String>, DbError>;
    fn add_caption(&self, id: &MediaId, label: &str, language: Option<&str>, text: &CaptionText) -> Result<Option<i64>, DbError>;
    fn fill_caption(&self, caption: i64, text: Option<&CaptionText>) -> Result<(), DbError>;
    fn update_caption(&self, id: &MediaId, caption: i64, label: &str, language: Option<&str>) -> Result<bool, DbError>;
    fn delete_caption(&self, id: &MediaId, caption: i64) -> Result<bool, DbError>;
    fn search_cues(&self, q: &str, listing: &Listing) -> Result<Vec<CueHitRow>, DbError>;
    fn delete_media(&self, id: &MediaId) -> Result<bool, DbError>;
    fn media_ids_in_use(&self) -> Result<HashSet<MediaId>, DbError>;
    // mod
    fn insert(&self, new: &NewMedia, jobs: &[NewJob]) -> Result<StoredItem, DbError>;
    fn get(&self, id: &MediaId) -> Result<Option<MediaItem>, DbError>;
    fn get_stored(&self, id: &MediaId) -> Result<Option<StoredItem>, DbError>;
    fn media_with_hash(&self, owner: &UserId, sha256: &str) -> Result<Option<MediaId>, DbError>;
    fn owns_size(&self, owner: &UserId, size: u64) -> Result<bool, DbError>;
    fn facts(&self, id: &MediaId) -> Result<Option<(MediaFacts, u64)>, DbError>;
    fn record_derived(&self, id: &MediaId, kind: JobKind) -> Result<(), DbError>;
    fn set_hls(&self, id: &MediaId, hls: Option<HlsState>) -> Result<(), DbError>;
    fn set_loudness(&self, id: &MediaId, lufs: Option<f64>) -> Result<(), DbError>;
    #[cfg(any(test, feature = "testing"))]
    fn count(&self) -> Result<i64, DbError>;
    // neighbours
    fn neighbours(&self, id: &MediaId, listing: &Listing) -> Result<(Option<Neighbour>, Option<Neighbour>), DbError>;
    // collections
    fn create_collection(&self, new: &NewCollection<'_>) -> Result<(), DbError>;
    fn collection(&self, id: &CollectionId) -> Result<Option<CollectionRow>, DbError>;
    fn collections(&self, listing: &Listing) -> Result<Vec<CollectionRow>, DbError>;
    fn update_collection(&self, id: &CollectionId, name: &str, visibility: Visibility, query: Option<&str>) -> Result<bool, DbError>;
    fn delete_collection(&self, id: &CollectionId) -> Result<bool, DbError>;
    fn collection_items(&self, id: &CollectionId) -> Result<Vec<StoredItem>, DbError>;
    fn add_to_collection(&self, id: &CollectionId, media: &MediaId) -> Result<bool, DbError>;
    fn remove_from_collection(&self, id: &CollectionId, media: &MediaId) -> Result<bool, DbError>;
    fn set_collection_order(&self, id: &CollectionId, order: &[MediaId]) -> Result<(), DbError>;
    // shares
    fn create_share(&self, new: &NewShare<'_>) -> Result<ShareId, DbError>;
    fn share_by_token(&self, token_hash: &str) -> Result<Option<ShareRow>, DbError>;
    fn share(&self, id: &ShareId) -> Result<Option<ShareRow>, DbError>;
    fn shares_of(&self, media: &MediaId) -> Result<Vec<ShareSummary>, DbError>;
    fn shares_of_collection(&self, id: &CollectionId) -> Result<Vec<ShareSummary>, DbError>;
    fn revoke_share(&self, id: &ShareId) -> Result<bool, DbError>;
    // uploads
    fn create_upload(&self, new: &NewUpload) -> Result<(), DbError>;
    fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>, DbError>;
    fn uploads_in_state(&self, state: UploadState) -> Result<Vec<Upload>, DbError>;
    fn expired_uploads(&self, now_ms: i64) -> Result<Vec<Upload>, DbError>;
    fn unverified_uploads(&self) -> Result<Vec<Upload>, DbError>;
    fn set_upload_unverified(&self, id: &UploadId, from: Option<u64>) -> Result<(), DbError>;
    fn upload_received(&self, id: &UploadId, complete: bool, expires_at: i64) -> Result<(), DbError>;
    fn set_upload_media(&self, id: &UploadId, media: &MediaId) -> Result<(), DbError>;
    fn mark_upload_done(&self, id: &UploadId, expires_at: i64) -> Result<(), DbError>;
    fn mark_upload_duplicate(&self, id: &UploadId, media: &MediaId, expires_at: i64) -> Result<(), DbError>;
    fn mark_upload_failed(&self, id: &UploadId, reason: &str, expires_at: i64) -> Result<(), DbError>;
    fn delete_upload(&self, id: &UploadId) -> Result<(), DbError>;
    // upload_parts
    fn claim_upload_writer(&self, id: &UploadId, token: &str, now_ms: i64, until_ms: i64) -> Result<bool, DbError>;
    fn release_upload_writer(&self, id: &UploadId, token: &str) -> Result<(), DbError>;
    fn upload_tail(&self, id: &UploadId) -> Result<Vec<u8>, DbError>;
    fn upload_part_tags(&self, id: &UploadId) -> Result<Vec<String>, DbError>;
    fn record_upload_parts(&self, id: &UploadId, record: &PartsRecord<'_>) -> Result<bool, DbError>;
    fn upload_assembled(&self, id: &UploadId) -> Result<(), DbError>;
}
