//! Rows: the repository of items, jobs and uploads, in SQLite. Every `sqlx`
//! call of the server lives under this module, and it holds no business
//! rules: callers decide, the repository stores. Queries are checked at run
//! time (no DATABASE_URL needed to build); tests cover every one of them.
//!
//! Every transaction that writes takes the write lock first (`BEGIN
//! IMMEDIATE`, or a write as its first statement): a transaction that read
//! first would be refused at once (`SQLITE_BUSY`, no busy wait) whenever
//! another connection committed in between.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, Sqlite, SqlitePool, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::accounts::{UserId, Visibility};
use crate::model::{JobKind, MediaId, MediaItem, MediaKind, MediaState, MediaUrls, PlaySource};
use crate::server::domain::{MediaFacts, NewJob};

mod accounts;
mod edits;
mod jobs;
mod library;
mod neighbours;
mod shares;
mod uploads;
pub(crate) use accounts::Holder;
pub(crate) use edits::{FinishedEdit, NewEdit};
pub(crate) use jobs::{ClaimedJob, now_ms};
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub use jobs::{JobState, JobStatus};
pub(crate) use library::Listing;
// The library fuzz target checks the search expressions (`testing::fuzz`).
#[cfg(any(test, feature = "testing"))]
pub(crate) use library::search_expression;
pub(crate) use shares::{NewShare, ShareRow};
pub(crate) use uploads::{NewUpload, Upload, UploadState};

/// How long a statement waits for a lock before it fails: far longer than
/// any transaction of ours holds one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// Whether the same statement may succeed a moment later: the database
    /// was busy or locked past the busy timeout, or no connection was free.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            DbError::Query(sqlx::Error::PoolTimedOut) => true,
            DbError::Query(sqlx::Error::Database(e)) => e
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                // Primary result codes (the low byte): SQLITE_BUSY, SQLITE_LOCKED.
                .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
            _ => false,
        }
    }

    /// Whether the disk is full (SQLITE_FULL): no retry helps until space
    /// is freed, and people should be told so.
    pub(crate) fn is_disk_full(&self) -> bool {
        match self {
            DbError::Query(sqlx::Error::Database(e)) => e
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == 13),
            _ => false,
        }
    }
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
}

#[cfg(any(test, feature = "testing"))]
impl NewMedia {
    /// An item without bytes, for tests that need rows: a second of sound
    /// (or video) named `title`, playable as it is.
    pub(crate) fn example(title: &str, kind: MediaKind) -> Self {
        let (content_type, container) = match kind {
            MediaKind::Audio => ("audio/mpeg", "mp3"),
            MediaKind::Video => ("video/mp4", "mov"),
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
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Repo {
    pool: SqlitePool,
}

#[derive(FromRow)]
struct MediaRow {
    id: MediaId,
    title: String,
    description: String,
    original_filename: String,
    size_bytes: i64,
    sha256: String,
    content_type: String,
    kind: MediaKind,
    container: String,
    duration_secs: Option<f64>,
    width: Option<i64>,
    height: Option<i64>,
    video_codec: Option<String>,
    audio_codec: Option<String>,
    cover_stream: Option<i64>,
    state: String,
    failure_reason: Option<String>,
    has_poster: bool,
    play_variant: Option<PlaySource>,
    has_scrub: bool,
    has_waveform: bool,
    source_id: Option<MediaId>,
    edit_summary: Option<String>,
    created_at: String,
    updated_at: String,
    owner_id: Option<UserId>,
    visibility: Visibility,
    access_generation: i64,
}

/// An item as stored: what pages show, and the access generation its
/// signed URLs carry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredItem {
    pub(crate) item: MediaItem,
    pub(crate) generation: i64,
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

impl MediaRow {
    fn facts(&self) -> Result<MediaFacts, DbError> {
        Ok(MediaFacts {
            kind: self.kind,
            container: self.container.clone(),
            content_type: self.content_type.clone(),
            duration_secs: self.duration_secs,
            width: fits_opt("width", self.width)?,
            height: fits_opt("height", self.height)?,
            video_codec: self.video_codec.clone(),
            audio_codec: self.audio_codec.clone(),
            cover_stream: fits_opt("cover_stream", self.cover_stream)?,
        })
    }

    fn into_stored(self) -> Result<StoredItem, DbError> {
        let generation = self.access_generation;
        Ok(StoredItem {
            item: self.into_item()?,
            generation,
        })
    }

    fn into_item(self) -> Result<MediaItem, DbError> {
        let state = match self.state.as_str() {
            "ready" => MediaState::Ready,
            "failed" => MediaState::Failed(self.failure_reason.unwrap_or_default()),
            "processing" => MediaState::Processing,
            other => {
                return Err(DbError::Query(sqlx::Error::ColumnDecode {
                    index: "state".into(),
                    source: format!("unknown state {other:?}").into(),
                }));
            }
        };
        let mut item = MediaItem {
            id: self.id,
            title: self.title,
            description: self.description,
            original_filename: self.original_filename,
            size_bytes: fits("size_bytes", self.size_bytes)?,
            sha256: self.sha256,
            content_type: self.content_type,
            kind: self.kind,
            duration_secs: self.duration_secs,
            width: fits_opt("width", self.width)?,
            height: fits_opt("height", self.height)?,
            video_codec: self.video_codec,
            audio_codec: self.audio_codec,
            state,
            has_poster: self.has_poster,
            play: self.play_variant,
            has_scrub: self.has_scrub,
            has_waveform: self.has_waveform,
            progress: None,
            source_id: self.source_id,
            edit_summary: self.edit_summary,
            created_at: self.created_at,
            updated_at: self.updated_at,
            owner: self.owner_id,
            visibility: self.visibility,
            can_change: false,
            urls: MediaUrls::default(),
        };
        // Unsigned: the service signs them for whoever asks.
        item.urls = MediaUrls::of(&item, |_| None);
        Ok(item)
    }
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The item just written in `tx`. Read inside the transaction: once it
/// commits, nothing is left that could fail and make a caller think the
/// item was not recorded.
async fn read_back(
    tx: &mut Transaction<'static, Sqlite>,
    id: &MediaId,
) -> Result<StoredItem, DbError> {
    sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE id = ?")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?
        .into_stored()
}

/// A statement being built.
type Statement<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds an item's probed facts, in the order every statement that writes
/// them lists their columns: content_type, kind, container, duration_secs,
/// width, height, video_codec, audio_codec, cover_stream.
fn bind_facts<'q>(statement: Statement<'q>, facts: &MediaFacts) -> Statement<'q> {
    statement
        .bind(facts.content_type.clone())
        .bind(facts.kind)
        .bind(facts.container.clone())
        .bind(facts.duration_secs)
        .bind(facts.width)
        .bind(facts.height)
        .bind(facts.video_codec.clone())
        .bind(facts.audio_codec.clone())
        .bind(facts.cover_stream)
}

/// SQLite integers are signed; sizes are capped far below this anyway.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Repo {
    /// Opens (creating) the database and runs pending migrations; a failed
    /// migration is an error the server must not start past.
    pub(crate) async fn open(path: &Path) -> Result<Self, DbError> {
        Self::open_with(path, BUSY_TIMEOUT).await
    }

    /// `open`, with how long a statement waits for a lock another
    /// connection holds before it fails (tests shorten it).
    pub(crate) async fn open_with(path: &Path, busy_timeout: Duration) -> Result<Self, DbError> {
        let open_err = |source| DbError::Open {
            path: path.display().to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(open_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Repo { pool })
    }

    /// A transaction that holds the write lock from its start.
    async fn write_transaction(&self) -> Result<Transaction<'static, Sqlite>, DbError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Records a new item and its processing jobs in one transaction, so a
    /// crash cannot leave an item without the work it needs.
    pub(crate) async fn insert(
        &self,
        new: &NewMedia,
        jobs: &[NewJob],
    ) -> Result<StoredItem, DbError> {
        let now = now();
        let state = if jobs.is_empty() {
            "ready"
        } else {
            "processing"
        };
        let mut tx = self.write_transaction().await?;
        let statement = sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type, kind,
                container, duration_secs, width, height, video_codec, audio_codec, cover_stream,
                play_variant, state, owner_id, visibility, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.id)
        .bind(&new.title)
        .bind(&new.original_filename)
        .bind(int(new.size_bytes))
        .bind(&new.sha256);
        bind_facts(statement, &new.facts)
            .bind(new.play)
            .bind(state)
            .bind(&new.owner)
            .bind(new.visibility)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        jobs::insert_jobs(&mut tx, &new.id, jobs, &now).await?;
        let item = read_back(&mut tx, &new.id).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// The item's row, without its processing progress (`jobs_of` has that).
    pub(crate) async fn get(&self, id: &MediaId) -> Result<Option<MediaItem>, DbError> {
        Ok(self.get_stored(id).await?.map(|stored| stored.item))
    }

    /// The item's row with its access generation.
    pub(crate) async fn get_stored(&self, id: &MediaId) -> Result<Option<StoredItem>, DbError> {
        sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(MediaRow::into_stored)
            .transpose()
    }

    /// What processing needs to know about an item and its size; `None`
    /// when the item is gone (deleted while its job waited).
    pub(crate) async fn facts(&self, id: &MediaId) -> Result<Option<(MediaFacts, u64)>, DbError> {
        let row = sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.facts()?, fits("size_bytes", row.size_bytes)?)))
            .transpose()
    }

    /// Records that a job's derived file now exists (the flag pages read).
    pub(crate) async fn record_derived(&self, id: &MediaId, kind: JobKind) -> Result<(), DbError> {
        let sql = match kind {
            JobKind::Poster => "UPDATE media SET has_poster = 1, updated_at = ? WHERE id = ?",
            JobKind::Playable => {
                "UPDATE media SET play_variant = 'playable', updated_at = ? WHERE id = ?"
            }
            JobKind::Scrub => "UPDATE media SET has_scrub = 1, updated_at = ? WHERE id = ?",
            JobKind::Waveform => "UPDATE media SET has_waveform = 1, updated_at = ? WHERE id = ?",
            // The edit's own result is recorded by `complete_edit`.
            JobKind::Edit => "UPDATE media SET updated_at = ? WHERE id = ?",
        };
        sqlx::query(sql)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many items there are (tests count what an action left).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn count(&self) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM media")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
