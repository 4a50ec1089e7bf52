//! Collections' rows: playlists with their items in order, smart
//! collections with their saved query.

use super::super::collections::{CollectionRow, MAX_COLLECTIONS, NewCollection, SELECT_COLLECTION};
use super::super::rows::{MediaRow, StoredItem, now_ms};
use super::super::{DbError, Listing};
use super::SqliteRepo;
use super::library::condition;
use crate::accounts::Visibility;
use crate::collections::CollectionId;
use crate::model::MediaId;

impl SqliteRepo {
    pub(crate) async fn create_collection(&self, new: &NewCollection<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO collections (id, owner_id, name, kind, query, visibility, created_at,
                 updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id)
        .bind(new.owner)
        .bind(new.name)
        .bind(new.kind)
        .bind(new.query)
        .bind(new.visibility)
        .bind(new.now_ms)
        .bind(new.now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn collection(
        &self,
        id: &CollectionId,
    ) -> Result<Option<CollectionRow>, DbError> {
        let sql = format!("{SELECT_COLLECTION} WHERE c.id = ?");
        Ok(sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The collections `listing` shows, most recently changed first.
    pub(crate) async fn collections(
        &self,
        listing: &Listing,
    ) -> Result<Vec<CollectionRow>, DbError> {
        let (condition, bound) = condition(listing);
        let sql = format!(
            "{SELECT_COLLECTION} WHERE 1 = 1{condition} ORDER BY c.updated_at DESC, c.id LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(sql));
        if let Some(value) = bound {
            query = query.bind(value);
        }
        Ok(query.bind(MAX_COLLECTIONS).fetch_all(&self.pool).await?)
    }

    /// Writes a collection's settings; false when there is none.
    pub(crate) async fn update_collection(
        &self,
        id: &CollectionId,
        name: &str,
        visibility: Visibility,
        query: Option<&str>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE collections SET name = ?, visibility = ?, query = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(name)
        .bind(visibility)
        .bind(query)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_collection(&self, id: &CollectionId) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM collections WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A playlist's items in its order.
    pub(crate) async fn collection_items(
        &self,
        id: &CollectionId,
    ) -> Result<Vec<StoredItem>, DbError> {
        let rows = sqlx::query_as::<_, MediaRow>(
            "SELECT m.* FROM media AS m JOIN collection_items AS i ON i.media_id = m.id
             WHERE i.collection_id = ? ORDER BY i.position, i.n",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(MediaRow::into_stored).collect()
    }

    /// Appends `media` to a playlist; false when it was in it already.
    pub(crate) async fn add_to_collection(
        &self,
        id: &CollectionId,
        media: &MediaId,
    ) -> Result<bool, DbError> {
        let mut tx = self.write_transaction().await?;
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO collection_items (collection_id, media_id, position, added_at)
             SELECT ?1, ?2, coalesce(MAX(position) + 1, 0), ?3 FROM collection_items
             WHERE collection_id = ?1
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(media)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes `media` out of a playlist; false when it was not in it.
    pub(crate) async fn remove_from_collection(
        &self,
        id: &CollectionId,
        media: &MediaId,
    ) -> Result<bool, DbError> {
        let mut tx = self.write_transaction().await?;
        let done =
            sqlx::query("DELETE FROM collection_items WHERE collection_id = ? AND media_id = ?")
                .bind(id)
                .bind(media)
                .execute(&mut *tx)
                .await?;
        touch(&mut tx, id, now_ms()).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a playlist's items the positions of `order` (every item of it,
    /// in its new order).
    pub(crate) async fn set_collection_order(
        &self,
        id: &CollectionId,
        order: &[MediaId],
    ) -> Result<(), DbError> {
        let mut tx = self.write_transaction().await?;
        for (position, media) in order.iter().enumerate() {
            sqlx::query(
                "UPDATE collection_items SET position = ? WHERE collection_id = ? AND media_id = ?",
            )
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(id)
            .bind(media)
            .execute(&mut *tx)
            .await?;
        }
        touch(&mut tx, id, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn touch(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &CollectionId,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE collections SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
