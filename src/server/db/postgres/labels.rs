//! Items' labels (the tags people give them) and each person's favourites.

use std::collections::HashSet;

use sqlx::{Postgres, Transaction};

use super::super::{DbError, Listing};
use super::PgRepo;
use super::library::Conditions;
use crate::accounts::UserId;
use crate::model::MediaId;
use crate::model::labels::{LabelCount, label_key};
use crate::server::db::now_ms;

/// Writes `labels` (already cleaned) as the item's labels, in `tx`: the
/// row's copy and the rows filtering reads.
pub(super) async fn write_labels(
    tx: &mut Transaction<'_, Postgres>,
    id: &MediaId,
    labels: &[String],
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE media SET labels = $1, updated_at = now() WHERE id = $2")
        .bind(labels.join("\n"))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM media_labels WHERE media_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for label in labels {
        sqlx::query("INSERT INTO media_labels (media_id, label_key, label) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(label_key(label))
            .bind(label)
            .execute(&mut **tx)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

impl PgRepo {
    /// Replaces an item's labels; false when there is no such item.
    pub(crate) async fn set_labels(
        &self,
        id: &MediaId,
        labels: &[String],
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let found = write_labels(&mut tx, id, labels).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// The labels on items `listing` shows, each with how many, in order.
    pub(crate) async fn labels_in_use(
        &self,
        listing: &Listing,
    ) -> Result<Vec<LabelCount>, DbError> {
        let mut conditions = Conditions::after(0);
        conditions.listing(listing);
        let sql = format!(
            "SELECT MIN(l.label), COUNT(*) FROM media_labels AS l
             WHERE l.media_id IN (SELECT id FROM media WHERE true{})
             GROUP BY l.label_key ORDER BY l.label_key COLLATE \"C\"",
            conditions.sql
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        for value in conditions.binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(label, count)| LabelCount {
                label,
                count: u64::try_from(count).unwrap_or(0),
            })
            .collect())
    }

    /// Marks or unmarks an item as one of `user`'s favourites.
    pub(crate) async fn set_favourite(
        &self,
        user: &UserId,
        id: &MediaId,
        favourite: bool,
    ) -> Result<(), DbError> {
        let query = if favourite {
            sqlx::query(
                "INSERT INTO favourites (user_id, media_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(id)
            .bind(now_ms())
        } else {
            sqlx::query("DELETE FROM favourites WHERE user_id = $1 AND media_id = $2")
                .bind(user)
                .bind(id)
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Which of `ids` are `user`'s favourites.
    pub(crate) async fn favourites_among(
        &self,
        user: &UserId,
        ids: &[MediaId],
    ) -> Result<HashSet<MediaId>, DbError> {
        let ids: Vec<&str> = ids.iter().map(MediaId::as_str).collect();
        let rows: Vec<(MediaId,)> = sqlx::query_as(
            "SELECT media_id FROM favourites WHERE user_id = $1 AND media_id = ANY($2)",
        )
        .bind(user)
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
