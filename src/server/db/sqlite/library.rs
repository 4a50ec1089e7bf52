//! Library queries: one page of items (filter, search, sort), editing an
//! item's words, deleting an item, and the ids the store may keep.
//!
//! A page is `LIMIT`/`OFFSET` over an index that matches its sort order and
//! ends in the id, so pages are stable and SQLite never sorts the table.
//! Search uses the FTS5 index `media_search` (see the library migration).

use std::collections::HashSet;

use super::super::{DbError, Listing, MediaRow, StoredItem, chapters_json, fits};
use super::{SqliteRepo, now};
use crate::accounts::UserId;
use crate::library::{LibraryQuery, Sort};
use crate::model::labels::label_key;
use crate::model::{Chapter, ItemTags, MediaId};

/// The longest search, in words; the rest are ignored.
const MAX_SEARCH_WORDS: usize = 16;

/// The FTS5 query for what a person typed: each word (letters and digits) as
/// a quoted prefix, all of them required. Quoting makes FTS5 syntax in the
/// input (`"`, `*`, `-`, `(`, `AND`, `NEAR`) plain text. `None` when the
/// input holds no word at all.
pub(crate) fn search_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_SEARCH_WORDS)
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn order_by(sort: Sort) -> &'static str {
    // Each matches an index (or its reverse) of the library migration.
    match sort {
        Sort::Newest => " ORDER BY id DESC",
        Sort::Oldest => " ORDER BY id ASC",
        Sort::Title => " ORDER BY title COLLATE NOCASE ASC, id ASC",
        Sort::Duration => " ORDER BY duration_secs DESC, id DESC",
        Sort::Size => " ORDER BY size_bytes DESC, id DESC",
    }
}

/// The condition, and its bound value, that limits a query to what may be listed.
pub(super) fn condition(listing: &Listing) -> (&'static str, Option<String>) {
    match listing {
        Listing::All => ("", None),
        Listing::SignedIn(user) => (
            " AND (owner_id = ? OR visibility IN ('internal', 'public'))",
            Some(user.to_string()),
        ),
        Listing::Public => (" AND visibility = 'public'", None),
        Listing::OwnAndPublic(user) => (
            " AND (owner_id = ? OR visibility = 'public')",
            Some(user.to_string()),
        ),
        Listing::Nothing => (" AND 0", None),
    }
}

/// Which query a `WHERE` clause is for: they want different indexes.
#[derive(Clone, Copy, PartialEq)]
enum Purpose {
    /// Counting uses the (kind, state) index, which covers it.
    Count,
    /// A page walks the index of its sort order and stops after `LIMIT`
    /// rows; the unary `+` keeps SQLite from picking the filter index and
    /// sorting every matching row instead.
    Page,
}

/// The `WHERE` clause of a query, assembled from fixed fragments only (the
/// values are bound), and the values in the order of their placeholders.
fn filter(
    query: &LibraryQuery,
    listing: &Listing,
    asker: Option<&UserId>,
    purpose: Purpose,
) -> (String, Vec<String>) {
    let page = purpose == Purpose::Page;
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    let (condition, bound) = condition(listing);
    sql.push_str(condition);
    binds.extend(bound);
    if let Some(kind) = query.kind {
        sql.push_str(if page {
            " AND +kind = ?"
        } else {
            " AND kind = ?"
        });
        binds.push(kind.as_str().to_string());
    }
    if let Some(state) = query.state {
        sql.push_str(if page {
            " AND +state = ?"
        } else {
            " AND state = ?"
        });
        binds.push(state.as_str().to_string());
    }
    if !query.label.is_empty() {
        sql.push_str(" AND id IN (SELECT media_id FROM media_labels WHERE label_key = ?)");
        binds.push(label_key(&query.label));
    }
    if query.favourites {
        // A visitor has none.
        sql.push_str(" AND id IN (SELECT media_id FROM favourites WHERE user_id = ?)");
        binds.push(asker.map(UserId::to_string).unwrap_or_default());
    }
    if let Some(expression) = search_expression(&query.q) {
        sql.push_str(
            " AND id IN (SELECT media_id FROM media_text WHERE n IN
                 (SELECT rowid FROM media_search WHERE media_search MATCH ?))",
        );
        binds.push(expression);
    }
    (sql, binds)
}

/// The job columns progress needs.
impl SqliteRepo {
    /// One page of the library and how many items match over all pages. The
    /// query must be valid (`LibraryQuery::validate`).
    pub(crate) async fn library_page(
        &self,
        query: &LibraryQuery,
        listing: &Listing,
        asker: Option<&UserId>,
    ) -> Result<(Vec<StoredItem>, u64), DbError> {
        let (page_where, binds) = filter(query, listing, asker, Purpose::Page);
        let (count_where, _) = filter(query, listing, asker, Purpose::Count);
        let page_sql = format!(
            "SELECT * FROM media{page_where}{} LIMIT ? OFFSET ?",
            order_by(query.sort)
        );
        let count_sql = format!("SELECT COUNT(*) FROM media{count_where}");
        let limit = i64::from(query.per_page);
        let offset = i64::from(query.page.saturating_sub(1)) * limit;

        // Both SQL texts are fixed fragments; every value is bound.
        let mut rows = sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(page_sql));
        let mut count = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql));
        for value in &binds {
            rows = rows.bind(value.clone());
            count = count.bind(value.clone());
        }
        let rows = rows.bind(limit).bind(offset);
        let (rows, (total,)) =
            tokio::try_join!(rows.fetch_all(&self.pool), count.fetch_one(&self.pool))?;

        let items = rows
            .into_iter()
            .map(MediaRow::into_stored)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, fits("total", total)?))
    }

    /// Sets an item's title and description (already checked); false when
    /// there is no such item.
    pub(crate) async fn update_text(
        &self,
        id: &MediaId,
        title: &str,
        description: &str,
    ) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE media SET title = ?, description = ?, updated_at = ? WHERE id = ?")
                .bind(title)
                .bind(description)
                .bind(now())
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes an item's row; its jobs go with it (foreign key cascade) and
    /// its search entry with it (triggers). False when there was none.
    pub(crate) async fn update_tags(&self, id: &MediaId, tags: &ItemTags) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE media SET artist = ?, album = ?, album_artist = ?, genre = ?, year = ?,
                track_number = ?, disc_number = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(tags.artist.clone())
        .bind(tags.album.clone())
        .bind(tags.album_artist.clone())
        .bind(tags.genre.clone())
        .bind(tags.year.map(i64::from))
        .bind(tags.track.map(i64::from))
        .bind(tags.disc.map(i64::from))
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn update_chapters(
        &self,
        id: &MediaId,
        chapters: &[Chapter],
    ) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE media SET chapters = ?, updated_at = ? WHERE id = ?")
            .bind(chapters_json(chapters))
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_media(&self, id: &MediaId) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM media WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ids whose files the store must keep: every item, and the items that
    /// unfinished uploads are about to record (their bytes may already be in
    /// place, waiting for the row).
    pub(crate) async fn media_ids_in_use(&self) -> Result<HashSet<MediaId>, DbError> {
        let rows: Vec<(MediaId,)> = sqlx::query_as(
            "SELECT id FROM media
             UNION
             SELECT media_id FROM uploads
             WHERE media_id IS NOT NULL AND state IN ('receiving', 'finalising')",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_become_quoted_prefixes() {
        assert_eq!(search_expression("holi").as_deref(), Some("\"holi\"*"));
        assert_eq!(
            search_expression("  Holiday_2024.mp4 ").as_deref(),
            Some("\"Holiday\"* \"2024\"* \"mp4\"*")
        );
        assert_eq!(
            search_expression("a\"b* -c (d) NEAR").as_deref(),
            Some("\"a\"* \"b\"* \"c\"* \"d\"* \"NEAR\"*")
        );
        assert_eq!(search_expression("café").as_deref(), Some("\"café\"*"));
        assert_eq!(search_expression(" \"*-() "), None);
        assert_eq!(search_expression(""), None);
        let many = "w ".repeat(40);
        assert_eq!(
            search_expression(&many).map(|e| e.matches('*').count()),
            Some(MAX_SEARCH_WORDS)
        );
    }
}
