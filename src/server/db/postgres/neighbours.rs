//! The items either side of one in newest-first order, on PostgreSQL (see
//! `sqlite/neighbours.rs`): ids sort by their bytes (`COLLATE "C"`).

use super::super::rows::Neighbour;
use super::super::{DbError, Listing};
use super::PgRepo;
use super::library::Conditions;
use crate::model::MediaId;

impl PgRepo {
    pub(crate) async fn neighbours(
        &self,
        id: &MediaId,
        listing: &Listing,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>), DbError> {
        // The id is $1; the listing's value, if any, follows.
        let mut conditions = Conditions::after(1);
        conditions.listing(listing);
        let query = |sql: String| {
            let mut query =
                sqlx::query_as::<_, (MediaId, String)>(sqlx::AssertSqlSafe(sql)).bind(id);
            for value in &conditions.binds {
                query = query.bind(value.clone());
            }
            query
        };
        // Both texts are fixed fragments; every value is bound.
        let previous = query(format!(
            "SELECT id, title FROM media WHERE id > $1{} ORDER BY id ASC LIMIT 1",
            conditions.sql
        ));
        let next = query(format!(
            "SELECT id, title FROM media WHERE id < $1{} ORDER BY id DESC LIMIT 1",
            conditions.sql
        ));
        Ok(tokio::try_join!(
            previous.fetch_optional(&self.pool),
            next.fetch_optional(&self.pool)
        )?)
    }
}
