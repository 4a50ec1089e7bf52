//! Rows of edited items: made at request time with placeholder facts (the
//! file does not exist yet) and an `edit` job; completed with the facts of
//! the probed result and the processing jobs it needs, in one transaction.

use super::super::rows::{FinishedEdit, NewEdit};
use super::super::{DbError, StoredItem, int};
use super::{SqliteRepo, bind_facts, jobs, now, read_back};
use crate::model::{JobKind, MediaId};
use crate::server::domain::NewJob;

impl SqliteRepo {
    pub(crate) async fn insert_edit(&self, new: &NewEdit) -> Result<StoredItem, DbError> {
        let now = now();
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO media (id, title, original_filename, size_bytes, sha256, content_type,
                kind, container, state, source_id, edit_summary, owner_id, created_at, updated_at)
             VALUES (?, ?, ?, 0, '', 'application/octet-stream', ?, '', 'processing', ?, ?, ?, ?, ?)",
        )
        .bind(&new.id)
        .bind(&new.title)
        .bind(&new.original_filename)
        .bind(new.kind)
        .bind(&new.source)
        .bind(&new.summary)
        .bind(&new.owner)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let edit = NewJob {
            kind: JobKind::Edit,
            params: new.params.clone(),
        };
        jobs::insert_jobs(&mut tx, &new.id, &[edit], &now).await?;
        let item = read_back(&mut tx, &new.id).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Records an edit's result and queues the jobs its probe calls for.
    pub(crate) async fn complete_edit(
        &self,
        id: &MediaId,
        done: &FinishedEdit,
        follow_up: &[NewJob],
    ) -> Result<(), DbError> {
        let now = now();
        let mut tx = self.write_transaction().await?;
        let statement = sqlx::query(
            "UPDATE media SET size_bytes = ?, sha256 = ?, content_type = ?, kind = ?, container = ?,
                duration_secs = ?, width = ?, height = ?, video_codec = ?, audio_codec = ?,
                cover_stream = ?, play_variant = ?, edit_summary = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(int(done.size_bytes))
        .bind(&done.sha256);
        bind_facts(statement, &done.facts)
            .bind(done.play)
            .bind(&done.summary)
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        jobs::insert_jobs(&mut tx, id, follow_up, &now).await?;
        tx.commit().await?;
        Ok(())
    }
}
