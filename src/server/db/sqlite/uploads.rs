//! Rows of resumable (tus) uploads. The bytes and the offset live in the
//! store's partial area; a row says how long the upload is, what it is
//! called, how far its life has gone and when it expires.

use super::super::rows::{NewUpload, Upload, UploadRow, UploadState};
use super::super::{DbError, int};
use super::{SqliteRepo, now};
use crate::model::{MediaId, UploadId};

impl SqliteRepo {
    pub(crate) async fn create_upload(&self, new: &NewUpload) -> Result<(), DbError> {
        let now = now();
        sqlx::query(
            "INSERT INTO uploads (id, length, filename, filetype, state, created_at, updated_at,
                 expires_at, owner_id, visibility, media_id, multipart_id, part_size)
             VALUES (?, ?, ?, ?, 'receiving', ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.id)
        .bind(int(new.length))
        .bind(&new.filename)
        .bind(&new.filetype)
        .bind(&now)
        .bind(&now)
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
        sqlx::query_as::<_, UploadRow>("SELECT * FROM uploads WHERE id = ?")
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
        sqlx::query_as::<_, UploadRow>("SELECT * FROM uploads WHERE state = ? ORDER BY created_at")
            .bind(state)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(UploadRow::into_upload)
            .collect()
    }

    /// Uploads past their expiry, except those being finalised right now.
    pub(crate) async fn expired_uploads(&self, now_ms: i64) -> Result<Vec<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>(
            "SELECT * FROM uploads WHERE expires_at <= ? AND state != 'finalising'",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(UploadRow::into_upload)
        .collect()
    }

    /// Uploads whose last checksummed chunk was never verified (the process died).
    pub(crate) async fn unverified_uploads(&self) -> Result<Vec<Upload>, DbError> {
        sqlx::query_as::<_, UploadRow>("SELECT * FROM uploads WHERE unverified_from IS NOT NULL")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(UploadRow::into_upload)
            .collect()
    }

    /// Marks (or clears) the offset a checksummed chunk started at.
    pub(crate) async fn set_upload_unverified(
        &self,
        id: &UploadId,
        from: Option<u64>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE uploads SET unverified_from = ? WHERE id = ?")
            .bind(from.map(int))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that bytes arrived: pushes the expiry back, and once the last
    /// byte is in, moves the upload on to finalising.
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
            "UPDATE uploads SET state = ?, expires_at = ?, updated_at = ?
             WHERE id = ? AND state = 'receiving'",
        )
        .bind(state)
        .bind(expires_at)
        .bind(now())
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
        sqlx::query("UPDATE uploads SET media_id = ?, updated_at = ? WHERE id = ?")
            .bind(media)
            .bind(now())
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
            "UPDATE uploads SET state = 'done', failure_reason = NULL, expires_at = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(expires_at)
        .bind(now())
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
            "UPDATE uploads SET state = 'done', duplicate = 1, media_id = ?, failure_reason = NULL,
                 expires_at = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(media)
        .bind(expires_at)
        .bind(now())
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
            "UPDATE uploads SET state = 'failed', failure_reason = ?, expires_at = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(reason)
        .bind(expires_at)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_upload(&self, id: &UploadId) -> Result<(), DbError> {
        sqlx::query("DELETE FROM uploads WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
