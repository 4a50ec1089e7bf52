//! Rows of edited items: made at request time with placeholder facts (the
//! file does not exist yet) and an `edit` job; completed with the facts of
//! the probed result and the processing jobs it needs, in one transaction.

use super::{DbError, NewJob, Repo, now, now_ms};
use crate::model::{MediaItem, MediaKind, PlaySource};
use crate::server::store::MediaId;

/// What an edit request records before its job runs.
#[derive(Clone, Debug)]
pub struct NewEdit {
    pub id: MediaId,
    pub source: MediaId,
    pub title: String,
    pub original_filename: String,
    pub kind: MediaKind,
    pub summary: String,
    /// The `EditPlan` as JSON: the job's parameters.
    pub plan: String,
}

/// The probed facts of a finished edit.
#[derive(Clone, Debug)]
pub struct EditFacts {
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
    pub play: Option<PlaySource>,
    pub summary: String,
}

impl Repo {
    pub async fn insert_edit(&self, new: &NewEdit) -> Result<MediaItem, DbError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type,
                kind, container, state, source_id, edit_summary, created_at, updated_at)
             VALUES (?, ?, ?, 0, '', 'application/octet-stream', ?, '', 'processing', ?, ?, ?, ?)",
        )
        .bind(new.id.as_str())
        .bind(&new.title)
        .bind(&new.original_filename)
        .bind(new.kind.as_str())
        .bind(new.source.as_str())
        .bind(&new.summary)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (media_id, kind, state, params, run_after, created_at, updated_at)
             VALUES (?, 'edit', 'queued', ?, ?, ?, ?)",
        )
        .bind(new.id.as_str())
        .bind(&new.plan)
        .bind(now_ms())
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get(&new.id)
            .await?
            .ok_or(DbError::Query(sqlx::Error::RowNotFound))
    }

    /// Records an edit's result and queues the jobs its probe calls for.
    pub async fn complete_edit(
        &self,
        id: &MediaId,
        facts: &EditFacts,
        jobs: &[NewJob],
    ) -> Result<(), DbError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE media SET size_bytes = ?, sha256 = ?, content_type = ?, kind = ?, container = ?,
                duration_secs = ?, width = ?, height = ?, video_codec = ?, audio_codec = ?,
                play_variant = ?, edit_summary = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(i64::try_from(facts.size_bytes).unwrap_or(i64::MAX))
        .bind(&facts.sha256)
        .bind(&facts.content_type)
        .bind(facts.kind.as_str())
        .bind(&facts.container)
        .bind(facts.duration_secs)
        .bind(facts.width)
        .bind(facts.height)
        .bind(&facts.video_codec)
        .bind(&facts.audio_codec)
        .bind(facts.play.map(PlaySource::as_str))
        .bind(&facts.summary)
        .bind(&now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        for job in jobs {
            sqlx::query(
                "INSERT INTO jobs (media_id, kind, state, params, run_after, created_at, updated_at)
                 VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(job.kind.as_str())
            .bind(&job.params)
            .bind(now_ms())
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
