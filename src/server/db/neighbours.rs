//! The items either side of one in the library's default order, newest
//! first. Ids are UUIDv7, so id order is upload order and the primary key
//! index answers both queries without sorting.

use super::{DbError, Listing, Repo};
use crate::model::MediaId;

/// An item next to another: enough to link to it (its id and title).
pub(crate) type Neighbour = (MediaId, String);

impl Repo {
    /// `(previous, next)` around `id` in newest-first order: `previous` is the
    /// closest newer item, `next` the closest older one. The item itself need
    /// not exist (it may just have been deleted).
    pub(crate) async fn neighbours(
        &self,
        id: &MediaId,
        listing: &Listing,
    ) -> Result<(Option<Neighbour>, Option<Neighbour>), DbError> {
        let (condition, bound) = listing.condition();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MediaKind;
    use crate::server::db::NewMedia;

    fn media(id: &MediaId, title: &str) -> NewMedia {
        NewMedia {
            id: id.clone(),
            ..NewMedia::example(title, MediaKind::Audio)
        }
    }

    #[tokio::test]
    async fn neighbours_follow_newest_first_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repo::open(&dir.path().join("reel.db")).await.expect("open");
        let ids: Vec<MediaId> = (0..3).map(|_| MediaId::generate()).collect();
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let titles = ["oldest", "middle", "newest"];
        for (id, title) in sorted.iter().zip(titles) {
            repo.insert(&media(id, title), &[]).await.expect("insert");
        }
        let title = |n: Option<Neighbour>| n.map(|(_, title)| title);

        let (previous, next) = repo
            .neighbours(&sorted[1], &Listing::All)
            .await
            .expect("query");
        assert_eq!(title(previous).as_deref(), Some("newest"));
        assert_eq!(title(next).as_deref(), Some("oldest"));

        let (previous, next) = repo
            .neighbours(&sorted[2], &Listing::All)
            .await
            .expect("query");
        assert_eq!(
            (title(previous), title(next).as_deref()),
            (None, Some("middle"))
        );

        let (previous, next) = repo
            .neighbours(&sorted[0], &Listing::All)
            .await
            .expect("query");
        assert_eq!(
            (title(previous).as_deref(), title(next)),
            (Some("middle"), None)
        );
    }
}
