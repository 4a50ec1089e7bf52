//! The items either side of one in the library's default order, newest
//! first. Ids are UUIDv7, so id order is upload order and the primary key
//! index answers both queries without sorting.

use super::super::rows::Neighbour;
use super::super::{DbError, Listing};
use super::SqliteRepo;
use super::library::condition;
use crate::model::MediaId;

impl SqliteRepo {
    /// `(previous, next)` around `id` in newest-first order: `previous` is the
    /// closest newer item, `next` the closest older one. The item itself need
    /// not exist (it may just have been deleted).
    pub(crate) async fn neighbours(
        &self,
        id: &MediaId,
        listing: &Listing,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>), DbError> {
        let (condition, bound) = condition(listing);
        let query = |sql: String| {
            let query = sqlx::query_as::<_, (MediaId, String)>(sqlx::AssertSqlSafe(sql)).bind(id);
            match bound.clone() {
                Some(value) => query.bind(value),
                None => query,
            }
        };
        // Both texts are fixed fragments; every value is bound.
        let previous = query(format!(
            "SELECT id, title FROM media WHERE id > ?{condition} ORDER BY id ASC LIMIT 1"
        ));
        let next = query(format!(
            "SELECT id, title FROM media WHERE id < ?{condition} ORDER BY id DESC LIMIT 1"
        ));
        Ok(tokio::try_join!(
            previous.fetch_optional(&self.pool),
            next.fetch_optional(&self.pool)
        )?)
    }
}
