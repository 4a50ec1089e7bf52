//! Rows of resumable uploads into an object store (see the migration
//! `upload_parts`): the writer's lease, the parts stored, the tail.

use super::super::{DbError, PartsRecord, int};
use super::{SqliteRepo, now};
use crate::model::UploadId;

impl SqliteRepo {
    pub(crate) async fn claim_upload_writer(
        &self,
        id: &UploadId,
        token: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET writer = ?, writer_until = ?
             WHERE id = ? AND state IN ('receiving', 'finalising')
               AND (writer IS NULL OR writer_until <= ? OR writer = ?)",
        )
        .bind(token)
        .bind(until_ms)
        .bind(id)
        .bind(now_ms)
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn release_upload_writer(
        &self,
        id: &UploadId,
        token: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE uploads SET writer = NULL, writer_until = NULL WHERE id = ? AND writer = ?",
        )
        .bind(id)
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn upload_tail(&self, id: &UploadId) -> Result<Vec<u8>, DbError> {
        let tail: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT bytes FROM upload_tails WHERE upload_id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(tail.map(|(bytes,)| bytes).unwrap_or_default())
    }

    pub(crate) async fn upload_part_tags(&self, id: &UploadId) -> Result<Vec<String>, DbError> {
        let tags: Vec<(String,)> =
            sqlx::query_as("SELECT etag FROM upload_parts WHERE upload_id = ? ORDER BY number")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(tags.into_iter().map(|(tag,)| tag).collect())
    }

    pub(crate) async fn record_upload_parts(
        &self,
        id: &UploadId,
        record: &PartsRecord<'_>,
    ) -> Result<bool, DbError> {
        let PartsRecord {
            token,
            after,
            tags,
            tail,
            complete,
            expires_at,
        } = *record;
        let mut tx = self.write_transaction().await?;
        let state = if complete { "finalising" } else { "receiving" };
        let parts = i64::from(after) + tags.len() as i64;
        let moved = sqlx::query(
            "UPDATE uploads SET parts = ?, tail_len = ?, state = ?, expires_at = ?,
                 updated_at = ?
             WHERE id = ? AND writer = ? AND state = 'receiving' AND parts = ?",
        )
        .bind(parts)
        .bind(int(tail.len() as u64))
        .bind(state)
        .bind(expires_at)
        .bind(now())
        .bind(id)
        .bind(token)
        .bind(i64::from(after))
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(false); // the lease was lost: nothing of this writer's counts
        }
        for (n, tag) in tags.iter().enumerate() {
            sqlx::query(
                "INSERT INTO upload_parts (upload_id, number, etag) VALUES (?, ?, ?)
                 ON CONFLICT (upload_id, number) DO UPDATE SET etag = excluded.etag",
            )
            .bind(id)
            .bind(i64::from(after) + n as i64 + 1)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO upload_tails (upload_id, bytes) VALUES (?, ?)
             ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes",
        )
        .bind(id)
        .bind(tail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn upload_assembled(&self, id: &UploadId) -> Result<(), DbError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("UPDATE uploads SET multipart_id = NULL WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_parts WHERE upload_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_tails WHERE upload_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
