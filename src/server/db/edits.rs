//! Rows of edited items: made at request time with placeholder facts (the
//! file does not exist yet) and an `edit` job; completed with the facts of
//! the probed result and the processing jobs it needs, in one transaction.

use super::{DbError, Repo, StoredItem, bind_facts, int, jobs, now, read_back};
use crate::accounts::UserId;
use crate::model::{JobKind, MediaId, MediaKind, PlaySource};
use crate::server::domain::{MediaFacts, NewJob};

/// What an edit request records before its job runs.
#[derive(Clone, Debug)]
pub(crate) struct NewEdit {
    pub(crate) id: MediaId,
    pub(crate) source: MediaId,
    pub(crate) title: String,
    pub(crate) original_filename: String,
    pub(crate) kind: MediaKind,
    pub(crate) summary: String,
    /// The edit job's parameters (JSON).
    pub(crate) params: String,
    /// Who asked for the edit: the new item is theirs, private.
    pub(crate) owner: Option<UserId>,
}

/// What an edit made, once its output is probed.
#[derive(Clone, Debug)]
pub(crate) struct FinishedEdit {
    pub(crate) size_bytes: u64,
    pub(crate) sha256: String,
    pub(crate) facts: MediaFacts,
    pub(crate) play: Option<PlaySource>,
    pub(crate) summary: String,
}

impl Repo {
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
