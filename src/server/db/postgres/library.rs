//! Library queries on PostgreSQL (see `sqlite/library.rs`). Search matches
//! as FTS5 does there: every word typed (letters and digits) must start a
//! word of the title, file name or description, without regard to case or
//! accents. Both sides are normalised by one SQL function,
//! `reel_search_words` (the library migration), so they always agree.

use std::collections::HashSet;

use super::super::{DbError, Listing, MediaRow, StoredItem, chapters_json, fits};
use super::PgRepo;
use crate::accounts::UserId;
use crate::library::{LibraryQuery, Sort};
use crate::model::labels::label_key;
use crate::model::{Chapter, ItemTags, MediaId};

/// The longest search, in words; the rest are ignored (as on SQLite).
const MAX_SEARCH_WORDS: usize = 16;

/// What a person typed as words separated by spaces (letters and digits
/// only, so nothing in it is tsquery syntax); `None` when it holds none.
pub(super) fn search_words(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_SEARCH_WORDS)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn order_by(sort: Sort) -> &'static str {
    // Each matches an index (or its reverse) of the library migration.
    match sort {
        Sort::Newest => " ORDER BY id DESC",
        Sort::Oldest => " ORDER BY id ASC",
        Sort::Title => " ORDER BY lower(title) COLLATE \"C\" ASC, id ASC",
        Sort::Duration => " ORDER BY duration_secs DESC NULLS LAST, id DESC",
        Sort::Size => " ORDER BY size_bytes DESC, id DESC",
    }
}

/// Conditions of a query: their text and the values of their numbered
/// placeholders, in order.
pub(super) struct Conditions {
    pub(super) sql: String,
    pub(super) binds: Vec<String>,
    /// How many placeholders the query uses before these.
    offset: usize,
}

impl Conditions {
    pub(super) fn after(offset: usize) -> Self {
        Conditions {
            sql: String::new(),
            binds: Vec::new(),
            offset,
        }
    }

    /// Appends `fragment`, whose one `{}` becomes the next placeholder.
    fn push_bound(&mut self, fragment: &str, value: String) {
        let placeholder = format!("${}", self.offset + self.binds.len() + 1);
        self.sql.push_str(&fragment.replacen("{}", &placeholder, 1));
        self.binds.push(value);
    }

    /// The condition that limits a query to what `listing` may show.
    pub(super) fn listing(&mut self, listing: &Listing) {
        match listing {
            Listing::All => {}
            Listing::SignedIn(user) => self.push_bound(
                " AND (owner_id = {} OR visibility IN ('internal', 'public'))",
                user.to_string(),
            ),
            Listing::Public => self.sql.push_str(" AND visibility = 'public'"),
            Listing::OwnAndPublic(user) => self.push_bound(
                " AND (owner_id = {} OR visibility = 'public')",
                user.to_string(),
            ),
            Listing::Nothing => self.sql.push_str(" AND false"),
        }
    }
}

/// The `WHERE` clause of a page or count query, from fixed fragments only
/// (the values are bound).
fn filter(query: &LibraryQuery, listing: &Listing, asker: Option<&UserId>) -> Conditions {
    let mut conditions = Conditions::after(0);
    conditions.sql.push_str(" WHERE true");
    conditions.listing(listing);
    if let Some(kind) = query.kind {
        conditions.push_bound(" AND kind = {}", kind.as_str().to_string());
    }
    if let Some(state) = query.state {
        conditions.push_bound(" AND state = {}", state.as_str().to_string());
    }
    if !query.label.is_empty() {
        conditions.push_bound(
            " AND id IN (SELECT media_id FROM media_labels WHERE label_key = {})",
            label_key(&query.label),
        );
    }
    if query.favourites {
        // A visitor has none.
        conditions.push_bound(
            " AND id IN (SELECT media_id FROM favourites WHERE user_id = {})",
            asker.map(UserId::to_string).unwrap_or_default(),
        );
    }
    if let Some(words) = search_words(&query.q) {
        conditions.push_bound(
            " AND search @@ (SELECT to_tsquery('simple', string_agg(quote_literal(w) || ':*', ' & '))
                             FROM unnest(string_to_array(reel_search_words({}), ' ')) AS w)",
            words,
        );
    }
    conditions
}

impl PgRepo {
    pub(crate) async fn library_page(
        &self,
        query: &LibraryQuery,
        listing: &Listing,
        asker: Option<&UserId>,
    ) -> Result<(Vec<StoredItem>, u64), DbError> {
        let conditions = filter(query, listing, asker);
        let n = conditions.binds.len();
        let page_sql = format!(
            "SELECT * FROM media_rows WHERE id IN (SELECT id FROM media{}){} LIMIT ${} OFFSET ${}",
            conditions.sql,
            order_by(query.sort),
            n + 1,
            n + 2
        );
        let count_sql = format!("SELECT COUNT(*) FROM media{}", conditions.sql);
        let limit = i64::from(query.per_page);
        let offset = i64::from(query.page.saturating_sub(1)) * limit;

        // Both SQL texts are fixed fragments; every value is bound.
        let mut rows = sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(page_sql));
        let mut count = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql));
        for value in &conditions.binds {
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

    pub(crate) async fn update_text(
        &self,
        id: &MediaId,
        title: &str,
        description: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE media SET title = $1, description = $2, updated_at = now() WHERE id = $3",
        )
        .bind(title)
        .bind(description)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn update_tags(&self, id: &MediaId, tags: &ItemTags) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE media SET artist = $1, album = $2, album_artist = $3, genre = $4, year = $5,
                track_number = $6, disc_number = $7, updated_at = now()
             WHERE id = $8",
        )
        .bind(tags.artist.clone())
        .bind(tags.album.clone())
        .bind(tags.album_artist.clone())
        .bind(tags.genre.clone())
        .bind(tags.year.map(i64::from))
        .bind(tags.track.map(i64::from))
        .bind(tags.disc.map(i64::from))
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
        let done = sqlx::query("UPDATE media SET chapters = $1, updated_at = now() WHERE id = $2")
            .bind(chapters_json(chapters))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_media(&self, id: &MediaId) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM media WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

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
    fn search_words_are_letters_and_digits_only() {
        assert_eq!(
            search_words("  Holiday_2024.mp4 ").as_deref(),
            Some("Holiday 2024 mp4")
        );
        assert_eq!(search_words("a'b:* & !c | (d)").as_deref(), Some("a b c d"));
        assert_eq!(search_words(" '*-() "), None);
        let many = "w ".repeat(40);
        assert_eq!(
            search_words(&many).map(|w| w.split(' ').count()),
            Some(MAX_SEARCH_WORDS)
        );
    }
}
