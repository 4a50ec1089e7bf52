//! The SQLite backend of the repository: the embedded default, one file in
//! the data directory (`reel.db` unless `--database-url sqlite:PATH`).
//!
//! Every transaction that writes takes the write lock first (`BEGIN
//! IMMEDIATE`, or a write as its first statement): a transaction that read
//! first would be refused at once (`SQLITE_BUSY`, no busy wait) whenever
//! another connection committed in between.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{DbError, MediaRow, NewMedia, StoredItem, chapters_json, fits, int};
use crate::accounts::UserId;
use crate::model::{HlsState, JobKind, MediaId, MediaItem};
use crate::server::domain::{MediaFacts, NewJob};

mod accounts;
mod albums;
mod captions;
mod collections;
mod edits;
mod jobs;
mod labels;
mod library;
mod neighbours;
mod shares;
mod upload_parts;
mod uploads;
#[cfg(any(test, feature = "testing"))]
pub(crate) use library::search_expression;

/// How long a statement waits for a lock before it fails: far longer than
/// any transaction of ours holds one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite backend: the embedded default, one file in the data directory.
#[derive(Clone, Debug)]
pub(crate) struct SqliteRepo {
    pool: SqlitePool,
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

impl SqliteRepo {
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
        Ok(SqliteRepo { pool })
    }

    /// The pool itself, for `copy`, which reads every table as it is.
    pub(in crate::server::db) fn pool(&self) -> &SqlitePool {
        &self.pool
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
                play_variant, state, owner_id, visibility, created_at, updated_at, description,
                artist, album, album_artist, genre, year, track_number, disc_number, chapters)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                ?, ?, ?, ?, ?, ?, ?, ?)",
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
            .bind(new.described.comment.clone().unwrap_or_default())
            .bind(new.described.tags.artist.clone())
            .bind(new.described.tags.album.clone())
            .bind(new.described.tags.album_artist.clone())
            .bind(new.described.tags.genre.clone())
            .bind(new.described.tags.year.map(i64::from))
            .bind(new.described.tags.track.map(i64::from))
            .bind(new.described.tags.disc.map(i64::from))
            .bind(chapters_json(&new.described.chapters))
            .execute(&mut *tx)
            .await?;
        captions::insert_file_tracks(&mut tx, &new.id, &new.described.subtitles).await?;
        if !new.labels.is_empty() {
            labels::write_labels(&mut tx, &new.id, &new.labels).await?;
        }
        jobs::insert_jobs(&mut tx, &new.id, jobs, &now).await?;
        let item = read_back(&mut tx, &new.id).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// The item's row, without its processing progress (`jobs_of` has that).
    pub(crate) async fn get(&self, id: &MediaId) -> Result<Option<MediaItem>, DbError> {
        Ok(self.get_stored(id).await?.map(|stored| stored.item))
    }

    /// Whether `owner` has an item of exactly `size` bytes (an import asks
    /// before it hashes: a size nobody has cannot be a duplicate).
    pub(crate) async fn owns_size(&self, owner: &UserId, size: u64) -> Result<bool, DbError> {
        let (found,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM media WHERE owner_id = ? AND size_bytes = ?)",
        )
        .bind(owner)
        .bind(int(size))
        .fetch_one(&self.pool)
        .await?;
        Ok(found)
    }

    /// The item of `owner`'s with these bytes, if any: the oldest one, and
    /// never one that failed (a file that failed may be tried again).
    pub(crate) async fn media_with_hash(
        &self,
        owner: &UserId,
        sha256: &str,
    ) -> Result<Option<MediaId>, DbError> {
        let found: Option<(MediaId,)> = sqlx::query_as(
            "SELECT id FROM media WHERE owner_id = ? AND sha256 = ? AND state != 'failed'
             ORDER BY created_at, id LIMIT 1",
        )
        .bind(owner)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.map(|(id,)| id))
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
            JobKind::Ladder => "UPDATE media SET hls = 'ready', updated_at = ? WHERE id = ?",
        };
        sqlx::query(sql)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records how far the item's HLS ladder has come (`None`: it has none).
    pub(crate) async fn set_hls(&self, id: &MediaId, hls: Option<HlsState>) -> Result<(), DbError> {
        sqlx::query("UPDATE media SET hls = ?, updated_at = ? WHERE id = ?")
            .bind(hls)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records an item's integrated loudness (`None`: silent or unknown).
    pub(crate) async fn set_loudness(
        &self,
        id: &MediaId,
        lufs: Option<f64>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE media SET loudness_lufs = ?, updated_at = ? WHERE id = ?")
            .bind(lufs)
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
