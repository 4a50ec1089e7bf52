//! Rows of resumable (tus) uploads. The bytes and the offset live in the
//! store's partial area; a row says how long the upload is, what it is
//! called, how far its life has gone and when it expires.

use sqlx::FromRow;

use super::{DbError, Repo, fits, fits_opt, int, now};
use crate::accounts::{UserId, Visibility};
use crate::model::{MediaId, UploadId};

/// An upload's life: bytes arrive, then it becomes an item or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase")]
pub(crate) enum UploadState {
    Receiving,
    Finalising,
    Done,
    Failed,
}

/// What creation knows.
#[derive(Clone, Debug)]
pub(crate) struct NewUpload {
    pub(crate) id: UploadId,
    pub(crate) length: u64,
    pub(crate) filename: String,
    pub(crate) filetype: Option<String>,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    /// Whose item it will be, and who may see it.
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
}

#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) id: UploadId,
    pub(crate) length: u64,
    pub(crate) filename: String,
    pub(crate) filetype: Option<String>,
    pub(crate) state: UploadState,
    pub(crate) unverified_from: Option<u64>,
    pub(crate) media_id: Option<MediaId>,
    pub(crate) failure_reason: Option<String>,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
}

#[derive(FromRow)]
struct UploadRow {
    id: UploadId,
    length: i64,
    filename: String,
    filetype: Option<String>,
    state: UploadState,
    unverified_from: Option<i64>,
    media_id: Option<MediaId>,
    failure_reason: Option<String>,
    expires_at: i64,
    owner_id: Option<UserId>,
    visibility: Visibility,
}

impl UploadRow {
    fn into_upload(self) -> Result<Upload, DbError> {
        Ok(Upload {
            id: self.id,
            length: fits("length", self.length)?,
            filename: self.filename,
            filetype: self.filetype,
            state: self.state,
            unverified_from: fits_opt("unverified_from", self.unverified_from)?,
            media_id: self.media_id,
            failure_reason: self.failure_reason,
            expires_at: self.expires_at,
            owner: self.owner_id,
            visibility: self.visibility,
        })
    }
}

impl Repo {
    pub(crate) async fn create_upload(&self, new: &NewUpload) -> Result<(), DbError> {
        let now = now();
        sqlx::query(
            "INSERT INTO uploads (id, length, filename, filetype, state, created_at, updated_at,
                 expires_at, owner_id, visibility)
             VALUES (?, ?, ?, ?, 'receiving', ?, ?, ?, ?, ?)",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_row_goes_through_its_life() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repo::open(&dir.path().join("t.db")).await.expect("db");
        let id = UploadId::generate();
        repo.create_upload(&NewUpload {
            id: id.clone(),
            length: 10,
            filename: "a.wav".into(),
            filetype: Some("audio/wav".into()),
            expires_at: 1_000,
            owner: None,
            visibility: Visibility::Private,
        })
        .await
        .expect("create");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!((row.length, row.state), (10, UploadState::Receiving));
        assert_eq!(repo.expired_uploads(999).await.expect("q").len(), 0);
        assert_eq!(repo.expired_uploads(1_000).await.expect("q").len(), 1);

        repo.set_upload_unverified(&id, Some(4)).await.expect("set");
        assert_eq!(repo.unverified_uploads().await.expect("q").len(), 1);
        repo.set_upload_unverified(&id, None).await.expect("clear");
        assert!(repo.unverified_uploads().await.expect("q").is_empty());

        repo.upload_received(&id, true, 5_000).await.expect("done");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.state, UploadState::Finalising);
        // Finalising uploads never expire under the cleanup's feet.
        assert!(repo.expired_uploads(9_999).await.expect("q").is_empty());
        assert_eq!(
            repo.uploads_in_state(UploadState::Finalising)
                .await
                .expect("q")
                .len(),
            1
        );

        let media = MediaId::generate();
        repo.set_upload_media(&id, &media).await.expect("media");
        repo.mark_upload_done(&id, 6_000).await.expect("done");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!((row.state, row.media_id), (UploadState::Done, Some(media)));

        repo.mark_upload_failed(&id, "nope", 6_000)
            .await
            .expect("failed");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.failure_reason.as_deref(), Some("nope"));
        repo.delete_upload(&id).await.expect("delete");
        assert!(repo.get_upload(&id).await.expect("get").is_none());
    }
}
