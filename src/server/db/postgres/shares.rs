//! Rows of share links, on PostgreSQL (see `sqlite/shares.rs`).

use super::super::DbError;
use super::super::rows::{NewShare, ShareRow};
use super::PgRepo;
use crate::accounts::{ShareId, ShareSummary};
use crate::collections::CollectionId;
use crate::model::MediaId;

impl PgRepo {
    pub(crate) async fn create_share(&self, new: &NewShare<'_>) -> Result<ShareId, DbError> {
        let id = ShareId::generate();
        let (media, collection) = new.target.columns();
        sqlx::query(
            "INSERT INTO share_links (id, token_hash, media_id, collection_id, created_by, created_at,
                 expires_at, password_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(new.token_hash)
        .bind(media)
        .bind(collection)
        .bind(new.created_by)
        .bind(new.now_ms)
        .bind(new.expires_at)
        .bind(new.password_hash)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    pub(crate) async fn share_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<ShareRow>, DbError> {
        Ok(sqlx::query_as::<_, ShareRow>(
            "SELECT id, media_id, collection_id, expires_at, password_hash, revoked FROM share_links
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(crate) async fn share(&self, id: &ShareId) -> Result<Option<ShareRow>, DbError> {
        Ok(sqlx::query_as::<_, ShareRow>(
            "SELECT id, media_id, collection_id, expires_at, password_hash, revoked FROM share_links WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The item's links that are not revoked, newest first.
    pub(crate) async fn shares_of(&self, media: &MediaId) -> Result<Vec<ShareSummary>, DbError> {
        self.live_shares("media_id", media.as_str()).await
    }

    /// The collection's links that are not revoked, newest first.
    pub(crate) async fn shares_of_collection(
        &self,
        id: &CollectionId,
    ) -> Result<Vec<ShareSummary>, DbError> {
        self.live_shares("collection_id", id.as_str()).await
    }

    /// `column` is one of the two fixed names above.
    async fn live_shares(
        &self,
        column: &'static str,
        id: &str,
    ) -> Result<Vec<ShareSummary>, DbError> {
        let sql = format!(
            "SELECT id, created_at, expires_at, password_hash IS NOT NULL FROM share_links
             WHERE {column} = $1 AND NOT revoked ORDER BY created_at DESC"
        );
        let rows: Vec<(ShareId, i64, Option<i64>, bool)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, created_at, expires_at, has_password)| ShareSummary {
                id,
                created_at,
                expires_at,
                has_password,
            })
            .collect())
    }

    pub(crate) async fn revoke_share(&self, id: &ShareId) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE share_links SET revoked = true WHERE id = $1 AND NOT revoked")
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
