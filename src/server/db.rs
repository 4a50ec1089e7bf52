//! Rows: the repository of media items in SQLite. Queries are checked at run
//! time (no DATABASE_URL needed to build); tests cover every one of them.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, SqlitePool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{JobKind, MediaItem, MediaKind, MediaState, PlaySource};
use crate::server::store::MediaId;

mod edits;
mod jobs;
mod library;
pub mod neighbours;
mod uploads;
pub use edits::{EditFacts, NewEdit};
pub use jobs::{ClaimedJob, JobState, JobStatus, NewJob, now_ms, progress_of};
pub use uploads::{NewUpload, Upload, UploadState};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
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
    #[error("row {id} holds an unknown kind {kind:?}")]
    Corrupt { id: String, kind: String },
}

/// What an upload knows about a new item once it is stored and probed.
#[derive(Clone, Debug)]
pub struct NewMedia {
    pub id: MediaId,
    pub title: String,
    pub original_filename: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub content_type: String,
    pub kind: MediaKind,
    pub container: String,
    pub duration_secs: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub cover_stream: Option<u32>,
    /// Set when the original already plays in browsers.
    pub play: Option<PlaySource>,
}

/// What processing needs to know about an item.
#[derive(Clone, Debug)]
pub struct JobInput {
    pub kind: MediaKind,
    /// The probed demuxer, forced on every ffmpeg run.
    pub container: String,
    pub size_bytes: u64,
    pub duration_secs: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub cover_stream: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Repo {
    pool: SqlitePool,
}

#[derive(FromRow)]
struct MediaRow {
    id: String,
    title: String,
    description: String,
    original_filename: String,
    size_bytes: i64,
    sha256: String,
    content_type: String,
    kind: String,
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
    play_variant: Option<String>,
    has_scrub: bool,
    has_waveform: bool,
    source_id: Option<String>,
    edit_summary: Option<String>,
    created_at: String,
    updated_at: String,
}

impl MediaRow {
    fn kind(&self) -> Result<MediaKind, DbError> {
        MediaKind::parse(&self.kind).ok_or_else(|| DbError::Corrupt {
            id: self.id.clone(),
            kind: self.kind.clone(),
        })
    }

    fn into_item(self) -> Result<MediaItem, DbError> {
        let kind = self.kind()?;
        let state = match self.state.as_str() {
            "ready" => MediaState::Ready,
            "failed" => MediaState::Failed(self.failure_reason.unwrap_or_default()),
            _ => MediaState::Processing,
        };
        Ok(MediaItem {
            id: self.id,
            title: self.title,
            description: self.description,
            original_filename: self.original_filename,
            size_bytes: u64::try_from(self.size_bytes).unwrap_or(0),
            sha256: self.sha256,
            content_type: self.content_type,
            kind,
            duration_secs: self.duration_secs,
            width: self.width.and_then(|v| u32::try_from(v).ok()),
            height: self.height.and_then(|v| u32::try_from(v).ok()),
            video_codec: self.video_codec,
            audio_codec: self.audio_codec,
            state,
            has_poster: self.has_poster,
            play: self.play_variant.as_deref().and_then(PlaySource::parse),
            has_scrub: self.has_scrub,
            has_waveform: self.has_waveform,
            progress: None,
            source_id: self.source_id,
            edit_summary: self.edit_summary,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

impl Repo {
    /// Opens (creating) the database and runs pending migrations; a failed
    /// migration is an error the server must not start past.
    pub async fn open(path: &Path) -> Result<Self, DbError> {
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
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Repo { pool })
    }

    /// Records a new item and its processing jobs in one transaction, so a
    /// crash cannot leave an item without the work it needs.
    pub async fn insert(&self, new: &NewMedia, jobs: &[NewJob]) -> Result<MediaItem, DbError> {
        let now = now();
        let state = if jobs.is_empty() {
            "ready"
        } else {
            "processing"
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type, kind,
                container, duration_secs, width, height, video_codec, audio_codec, cover_stream,
                play_variant, state, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id.as_str())
        .bind(&new.title)
        .bind(&new.original_filename)
        .bind(i64::try_from(new.size_bytes).unwrap_or(i64::MAX))
        .bind(&new.sha256)
        .bind(&new.content_type)
        .bind(new.kind.as_str())
        .bind(&new.container)
        .bind(new.duration_secs)
        .bind(new.width)
        .bind(new.height)
        .bind(&new.video_codec)
        .bind(&new.audio_codec)
        .bind(new.cover_stream)
        .bind(new.play.map(PlaySource::as_str))
        .bind(state)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let due = now_ms();
        for job in jobs {
            sqlx::query(
                "INSERT INTO jobs (media_id, kind, state, params, run_after, created_at, updated_at)
                 VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            )
            .bind(new.id.as_str())
            .bind(job.kind.as_str())
            .bind(&job.params)
            .bind(due)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get(&new.id)
            .await?
            .ok_or(DbError::Query(sqlx::Error::RowNotFound))
    }

    pub async fn get(&self, id: &MediaId) -> Result<Option<MediaItem>, DbError> {
        let item = sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(MediaRow::into_item)
            .transpose()?;
        let Some(mut item) = item else {
            return Ok(None);
        };
        if item.state == MediaState::Processing {
            item.progress = progress_of(&self.jobs_of(id).await?, None);
        }
        Ok(Some(item))
    }

    /// What a processing job needs to know about its item; `None` when the
    /// item is gone (deleted while queued).
    pub async fn job_input(&self, id: &MediaId) -> Result<Option<JobInput>, DbError> {
        let row = sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(JobInput {
                kind: row.kind()?,
                container: row.container,
                size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
                duration_secs: row.duration_secs,
                width: row.width.and_then(|v| u32::try_from(v).ok()),
                height: row.height.and_then(|v| u32::try_from(v).ok()),
                cover_stream: row.cover_stream.and_then(|v| u32::try_from(v).ok()),
            })
        })
        .transpose()
    }

    /// Records that a job's derived file now exists (the flag pages read).
    pub async fn record_derived(&self, id: &MediaId, kind: JobKind) -> Result<(), DbError> {
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
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn count(&self) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM media")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}
