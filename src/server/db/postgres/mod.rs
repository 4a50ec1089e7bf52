//! Rows on a PostgreSQL server: the same repository as `sqlite/`, for
//! several nodes sharing one database. The SQL differs where the dialects
//! do: numbered placeholders, real booleans and timestamps (`now()`; items
//! are read through the `media_rows` view, which formats them as SQLite
//! stores them), `tsvector` search, and the queue's `FOR UPDATE SKIP LOCKED`.
//!
//! Transactions run at READ COMMITTED, PostgreSQL's default: every
//! multi-statement write here either locks the rows it reads first (`FOR
//! UPDATE`) or only writes, so no read is stale by the time it is used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use super::{DbError, MediaRow, NewMedia, StoredItem, chapters_json, fits, int};
use crate::accounts::UserId;
use crate::model::{HlsState, JobKind, MediaId, MediaItem};
use crate::server::config::{Database, Secret, redacted};
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

/// How long start-up waits for the server, and a query for a connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL backend.
#[derive(Clone, Debug)]
pub(crate) struct PgRepo {
    pool: PgPool,
    /// The fencing token of each job this process claimed and has not yet
    /// finished or failed: every write of a claimed job names it, so a
    /// worker whose job was requeued and claimed again (by any node) can no
    /// longer write it (`jobs.rs`).
    claims: Arc<Mutex<HashMap<i64, i64>>>,
}

/// The channel a job that becomes queued is announced on (migration 7).
pub(crate) const QUEUE_CHANNEL: &str = "reel_jobs";

/// Notifications on one channel, from whichever node sent them.
pub(crate) struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// Waits for the next notification and gives its payload. After a lost
    /// connection the listener connects again by itself; what was sent
    /// meanwhile is lost (the queue's polling, the event streams' resync).
    pub(crate) async fn next(&mut self) -> Result<String, DbError> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}

impl PgRepo {
    /// Connects to the server `url` names and runs pending migrations.
    pub(crate) async fn connect(url: &Secret) -> Result<Self, DbError> {
        let options = Database::postgres_options(url).map_err(DbError::Setting)?;
        Self::connect_with(options)
            .await
            .map_err(|error| match error {
                DbError::Connect { source, .. } => DbError::Connect {
                    url: redacted(url),
                    source,
                },
                other => other,
            })
    }

    /// Listens on `channel` on a connection of its own.
    pub(crate) async fn listen(&self, channel: &str) -> Result<Listener, DbError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(channel).await?;
        Ok(Listener(listener))
    }

    /// Sends `payload` to every node listening on `channel` (at most 8000
    /// bytes, PostgreSQL's limit).
    pub(crate) async fn notify(&self, channel: &str, payload: &str) -> Result<(), DbError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The pool itself, for `copy`, which writes every table in one transaction.
    pub(in crate::server::db) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// `connect`, with the options parsed.
    pub(crate) async fn connect_with(options: PgConnectOptions) -> Result<Self, DbError> {
        let shown = format!(
            "postgres://{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        // One plain connection first: it fails at once with the server's
        // reason (refused, unknown database, bad password), where the pool
        // would retry until its timeout and say only that it timed out.
        let first = PgConnection::connect_with(&options)
            .await
            .map_err(|source| DbError::Connect {
                url: shown.clone(),
                source,
            })?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| DbError::Connect { url: shown, source })?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgRepo {
            pool,
            claims: Arc::default(),
        })
    }

    /// Records a new item and its processing jobs in one transaction, so a
    /// crash cannot leave an item without the work it needs.
    pub(crate) async fn insert(
        &self,
        new: &NewMedia,
        jobs: &[NewJob],
    ) -> Result<StoredItem, DbError> {
        let state = if jobs.is_empty() {
            "ready"
        } else {
            "processing"
        };
        let mut tx = self.pool.begin().await?;
        let statement = sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type, kind,
                container, duration_secs, width, height, video_codec, audio_codec, cover_stream,
                play_variant, state, owner_id, visibility, created_at, updated_at, description,
                artist, album, album_artist, genre, year, track_number, disc_number, chapters)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, now(), now(), $19, $20, $21, $22, $23, $24, $25, $26, $27)",
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
        jobs::insert_jobs(&mut tx, &new.id, jobs).await?;
        let item = read_back(&mut tx, &new.id).await?;
        tx.commit().await?;
        Ok(item)
    }

    pub(crate) async fn get(&self, id: &MediaId) -> Result<Option<MediaItem>, DbError> {
        Ok(self.get_stored(id).await?.map(|stored| stored.item))
    }

    /// Whether `owner` has an item of exactly `size` bytes (an import asks
    /// before it hashes: a size nobody has cannot be a duplicate).
    pub(crate) async fn owns_size(&self, owner: &UserId, size: u64) -> Result<bool, DbError> {
        let (found,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM media WHERE owner_id = $1 AND size_bytes = $2)",
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
            "SELECT id FROM media WHERE owner_id = $1 AND sha256 = $2 AND state != 'failed'
             ORDER BY created_at, id LIMIT 1",
        )
        .bind(owner)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.map(|(id,)| id))
    }

    pub(crate) async fn get_stored(&self, id: &MediaId) -> Result<Option<StoredItem>, DbError> {
        sqlx::query_as::<_, MediaRow>("SELECT * FROM media_rows WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(MediaRow::into_stored)
            .transpose()
    }

    pub(crate) async fn facts(&self, id: &MediaId) -> Result<Option<(MediaFacts, u64)>, DbError> {
        let row = sqlx::query_as::<_, MediaRow>("SELECT * FROM media_rows WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.facts()?, fits("size_bytes", row.size_bytes)?)))
            .transpose()
    }

    pub(crate) async fn record_derived(&self, id: &MediaId, kind: JobKind) -> Result<(), DbError> {
        let sql = match kind {
            JobKind::Poster => {
                "UPDATE media SET has_poster = true, updated_at = now() WHERE id = $1"
            }
            JobKind::Playable => {
                "UPDATE media SET play_variant = 'playable', updated_at = now() WHERE id = $1"
            }
            JobKind::Scrub => "UPDATE media SET has_scrub = true, updated_at = now() WHERE id = $1",
            JobKind::Waveform => {
                "UPDATE media SET has_waveform = true, updated_at = now() WHERE id = $1"
            }
            // The edit's own result is recorded by `complete_edit`.
            JobKind::Edit => "UPDATE media SET updated_at = now() WHERE id = $1",
            JobKind::Ladder => "UPDATE media SET hls = 'ready', updated_at = now() WHERE id = $1",
        };
        sqlx::query(sql).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Records how far the item's HLS ladder has come (`None`: it has none).
    pub(crate) async fn set_hls(&self, id: &MediaId, hls: Option<HlsState>) -> Result<(), DbError> {
        sqlx::query("UPDATE media SET hls = $1, updated_at = now() WHERE id = $2")
            .bind(hls)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn set_loudness(
        &self,
        id: &MediaId,
        lufs: Option<f64>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE media SET loudness_lufs = $1, updated_at = now() WHERE id = $2")
            .bind(lufs)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn count(&self) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM media")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

/// The item just written in `tx`, read inside the transaction (as on SQLite).
async fn read_back(
    tx: &mut Transaction<'static, Postgres>,
    id: &MediaId,
) -> Result<StoredItem, DbError> {
    sqlx::query_as::<_, MediaRow>("SELECT * FROM media_rows WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?
        .into_stored()
}

type Statement<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// Binds an item's probed facts, in the order every statement that writes
/// them lists their columns: content_type, kind, container, duration_secs,
/// width, height, video_codec, audio_codec, cover_stream. PostgreSQL has no
/// unsigned integers: the small ones go as bigint.
fn bind_facts<'q>(statement: Statement<'q>, facts: &MediaFacts) -> Statement<'q> {
    statement
        .bind(facts.content_type.clone())
        .bind(facts.kind)
        .bind(facts.container.clone())
        .bind(facts.duration_secs)
        .bind(facts.width.map(i64::from))
        .bind(facts.height.map(i64::from))
        .bind(facts.video_codec.clone())
        .bind(facts.audio_codec.clone())
        .bind(facts.cover_stream.map(i64::from))
}
