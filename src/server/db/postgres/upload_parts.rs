//! Rows of resumable uploads into an object store on PostgreSQL (see
//! `sqlite/upload_parts.rs`): the writer's lease, the parts stored, the tail.

use sqlx::Connection;

use super::super::{DbError, PartsRecord, int};
use super::PgRepo;
use crate::model::UploadId;

impl PgRepo {
    pub(crate) async fn claim_upload_writer(
        &self,
        id: &UploadId,
        token: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE uploads SET writer = $1, writer_until = $2
             WHERE id = $3 AND state IN ('receiving', 'finalising')
               AND (writer IS NULL OR writer_until <= $4 OR writer = $5)",
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
            "UPDATE uploads SET writer = NULL, writer_until = NULL WHERE id = $1 AND writer = $2",
        )
        .bind(id)
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn upload_tail(&self, id: &UploadId) -> Result<Vec<u8>, DbError> {
        let mut conn = self.pool.acquire().await?;
        let tail: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT bytes FROM upload_tails WHERE upload_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        // Its read buffer grew to the tail's size: back to small before the
        // connection returns to the pool (see `record_upload_parts`).
        conn.shrink_buffers();
        Ok(tail.map(|(bytes,)| bytes).unwrap_or_default())
    }

    pub(crate) async fn upload_part_tags(&self, id: &UploadId) -> Result<Vec<String>, DbError> {
        let tags: Vec<(String,)> =
            sqlx::query_as("SELECT etag FROM upload_parts WHERE upload_id = $1 ORDER BY number")
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
        let mut tx = self.pool.begin().await?;
        let state = if complete { "finalising" } else { "receiving" };
        let parts = i64::from(after) + tags.len() as i64;
        let moved = sqlx::query(
            "UPDATE uploads SET parts = $1, tail_len = $2, state = $3, expires_at = $4,
                 updated_at = now()
             WHERE id = $5 AND writer = $6 AND state = 'receiving' AND parts = $7",
        )
        .bind(parts)
        .bind(int(tail.len() as u64))
        .bind(state)
        .bind(expires_at)
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
                "INSERT INTO upload_parts (upload_id, number, etag) VALUES ($1, $2, $3)
                 ON CONFLICT (upload_id, number) DO UPDATE SET etag = excluded.etag",
            )
            .bind(id)
            .bind(i64::from(after) + n as i64 + 1)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO upload_tails (upload_id, bytes) VALUES ($1, $2)
             ON CONFLICT (upload_id) DO UPDATE SET bytes = excluded.bytes",
        )
        .bind(id)
        .bind(tail)
        .execute(&mut *tx)
        .await?;
        // The tail (up to a part, 5 MiB or more) grew this connection's
        // write buffer; sqlx keeps a buffer as large as the largest message
        // ever sent, so every pooled connection that carried a tail would
        // hold one.
        tx.shrink_buffers();
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn upload_assembled(&self, id: &UploadId) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE uploads SET multipart_id = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM upload_tails WHERE upload_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
