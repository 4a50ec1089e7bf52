//! Rows of edited items, on PostgreSQL (see `sqlite/edits.rs`).

use super::super::rows::{FinishedEdit, NewEdit};
use super::super::{DbError, StoredItem, int};
use super::{PgRepo, bind_facts, jobs, read_back};
use crate::model::{JobKind, MediaId};
use crate::server::domain::NewJob;

impl PgRepo {
    pub(crate) async fn insert_edit(&self, new: &NewEdit) -> Result<StoredItem, DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type,
                kind, container, state, source_id, edit_summary, owner_id, created_at, updated_at)
             VALUES ($1, $2, $3, 0, '', 'application/octet-stream', $4, '', 'processing', $5, $6,
                $7, now(), now())",
        )
        .bind(&new.id)
        .bind(&new.title)
        .bind(&new.original_filename)
        .bind(new.kind)
        .bind(&new.source)
        .bind(&new.summary)
        .bind(&new.owner)
        .execute(&mut *tx)
        .await?;
        let edit = NewJob {
            kind: JobKind::Edit,
            params: new.params.clone(),
        };
        jobs::insert_jobs(&mut tx, &new.id, &[edit]).await?;
        let item = read_back(&mut tx, &new.id).await?;
        tx.commit().await?;
        Ok(item)
    }

    pub(crate) async fn complete_edit(
        &self,
        id: &MediaId,
        done: &FinishedEdit,
        follow_up: &[NewJob],
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let statement = sqlx::query(
            "UPDATE media SET size_bytes = $1, sha256 = $2, content_type = $3, kind = $4,
                container = $5, duration_secs = $6, width = $7, height = $8, video_codec = $9,
                audio_codec = $10, cover_stream = $11, play_variant = $12, edit_summary = $13,
                updated_at = now()
             WHERE id = $14",
        )
        .bind(int(done.size_bytes))
        .bind(&done.sha256);
        bind_facts(statement, &done.facts)
            .bind(done.play)
            .bind(&done.summary)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        jobs::insert_jobs(&mut tx, id, follow_up).await?;
        tx.commit().await?;
        Ok(())
    }
}
