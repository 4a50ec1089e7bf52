//! Rows of resumable (tus) uploads, on PostgreSQL (see `sqlite/uploads.rs`).

use super::super::rows::{NewUpload, Upload, UploadRow, UploadState};
use super::super::{DbError, int};
use super::PgRepo;
use crate::model::{MediaId, UploadId};

impl PgRepo {
    pub(crate) async fn create_upload(&self, new: &NewUpload) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO uploads (id, length, filename, filetype, state, created_at, updated_at,
                 expires_at, owner_id, visibility, media_id, multipart_id, part_size)
             VALUES ($1, $2, $3, $4, 'receiving', now(), now(), $5, $6, $7, $8, $9, $10)",
        )
        .bind(&new.id)
        .bind(int(new.length))
        .bind(&new.filename)
        .bind(&new.filetype)
        .bind(new.expires_at)
        .bind(&new.owner)
        .bind(new.visibility)
        .bind(new.multipart.as_ref().map(|m| &m.media))
        .bind(
            new.multipart
                .as_ref()
                .and_then(|m| m.multipart_id.as_deref()),
        )
        .bind(new.multipart.as_ref().map(|m| int(m.part_size)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn get_upload(&self, id: &UploadId) -> Result<Option<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>("SELECT * FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(UploadRow::into_upload)
            .transpose()
    }

    pub(crate) async fn uploads_in_state(
        &self,
        state: UploadState,
    ) -> Result<Vec<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>(
            "SELECT * FROM uploads WHERE state = $1 ORDER BY created_at, id",
        )
        .bind(state)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(UploadRow::into_upload)
        .collect()
    }

    pub(crate) async fn expired_uploads(&self, now_ms: i64) -> Result<Vec<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>(
            "SELECT * FROM uploads WHERE expires_at <= $1 AND state != 'finalising'",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(UploadRow::into_upload)
        .collect()
    }

    pub(crate) async fn unverified_uploads(&self) -> Result<Vec<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>("SELECT * FROM uploads WHERE unverified_from IS NOT NULL")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(UploadRow::into_upload)
            .collect()
    }

    pub(crate) async fn set_upload_unverified(
        &self,
        id: &UploadId,
        from: Option<u64>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE uploads SET unverified_from = $1 WHERE id = $2")
            .bind(from.map(int))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn upload_received(
        &self,
        id: &UploadId,
        complete: bool,
        expires_at: i64,
    ) -> Result<(), DbError> {
        let state = if complete {
            UploadState::Finalising
        } else {
            UploadState::Receiving
        };
        sqlx::query(
            "UPDATE uploads SET state = $1, expires_at = $2, updated_at = now()
             WHERE id = $3 AND state = 'receiving'",
        )
        .bind(state)
        .bind(expires_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn set_upload_media(
        &self,
        id: &UploadId,
        media: &MediaId,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE uploads SET media_id = $1, updated_at = now() WHERE id = $2")
            .bind(media)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn mark_upload_done(
        &self,
        id: &UploadId,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE uploads SET state = 'done', failure_reason = NULL, expires_at = $1,
                 updated_at = now()
             WHERE id = $2",
        )
        .bind(expires_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends an upload whose bytes were already an item of its owner's:
    /// done, naming that item, in one statement (a restart finds it done).
    pub(crate) async fn mark_upload_duplicate(
        &self,
        id: &UploadId,
        media: &MediaId,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE uploads SET state = 'done', duplicate = true, media_id = $1,
                 failure_reason = NULL, expires_at = $2, updated_at = now()
             WHERE id = $3",
        )
        .bind(media)
        .bind(expires_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn mark_upload_failed(
        &self,
        id: &UploadId,
        reason: &str,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE uploads SET state = 'failed', failure_reason = $1, expires_at = $2,
                 updated_at = now()
             WHERE id = $3",
        )
        .bind(reason)
        .bind(expires_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_upload(&self, id: &UploadId) -> Result<(), DbError> {
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
