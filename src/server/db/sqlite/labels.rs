//! Items' labels (the tags people give them) and each person's favourites.

use std::collections::HashSet;

use sqlx::{Sqlite, Transaction};

use super::super::{DbError, Listing};
use super::library::condition;
use super::{SqliteRepo, now};
use crate::accounts::UserId;
use crate::model::MediaId;
use crate::model::labels::{LabelCount, label_key};
use crate::server::db::now_ms;

/// Writes `labels` (already cleaned) as the item's labels, in `tx`: the
/// row's copy and the rows filtering reads.
pub(super) async fn write_labels(
    tx: &mut Transaction<'_, Sqlite>,
    id: &MediaId,
    labels: &[String],
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE media SET labels = ?, updated_at = ? WHERE id = ?")
        .bind(labels.join("\n"))
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM media_labels WHERE media_id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for label in labels {
        sqlx::query("INSERT INTO media_labels (media_id, label_key, label) VALUES (?, ?, ?)")
            .bind(id)
            .bind(label_key(label))
            .bind(label)
            .execute(&mut **tx)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

impl SqliteRepo {
    /// Replaces an item's labels; false when there is no such item.
    pub(crate) async fn set_labels(
        &self,
        id: &MediaId,
        labels: &[String],
    ) -> Result<bool, DbError> {
        let mut tx = self.write_transaction().await?;
        let found = write_labels(&mut tx, id, labels).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// The labels on items `listing` shows, each with how many, in order.
    pub(crate) async fn labels_in_use(
        &self,
        listing: &Listing,
    ) -> Result<Vec<LabelCount>, DbError> {
        let (condition, bound) = condition(listing);
        let sql = format!(
            "SELECT MIN(l.label), COUNT(*) FROM media_labels AS l
             WHERE l.media_id IN (SELECT id FROM media WHERE 1 = 1{condition})
             GROUP BY l.label_key ORDER BY l.label_key"
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        if let Some(value) = bound {
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
                "INSERT INTO favourites (user_id, media_id, created_at) VALUES (?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(id)
            .bind(now_ms())
        } else {
            sqlx::query("DELETE FROM favourites WHERE user_id = ? AND media_id = ?")
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
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT media_id FROM favourites WHERE user_id = ? AND media_id IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<_, (MediaId,)>(sqlx::AssertSqlSafe(sql)).bind(user);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
