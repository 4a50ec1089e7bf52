//! Library queries: one page of items (filter, search, sort), editing an
//! item's words, deleting an item, and the ids the store may keep.
//!
//! A page is `LIMIT`/`OFFSET` over an index that matches its sort order and
//! ends in the id, so pages are stable and SQLite never sorts the table.
//! Search uses the FTS5 index `media_search` (see the library migration).

use std::collections::{HashMap, HashSet};

use sqlx::FromRow;

use super::{DbError, MediaRow, Repo, now};
use crate::model::{JobKind, LibraryQuery, MediaItem, MediaState, Sort};
use crate::server::db::{JobState, JobStatus, progress_of};
use crate::server::store::MediaId;

/// The longest search, in words; the rest are ignored.
const MAX_SEARCH_WORDS: usize = 16;

/// The FTS5 query for what a person typed: each word (letters and digits) as
/// a quoted prefix, all of them required. Quoting makes FTS5 syntax in the
/// input (`"`, `*`, `-`, `(`, `AND`, `NEAR`) plain text. `None` when the
/// input holds no word at all.
pub fn search_expression(text: &str) -> Option<String> {
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
fn filter(query: &LibraryQuery, purpose: Purpose) -> (String, Vec<String>) {
    let page = purpose == Purpose::Page;
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
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
#[derive(FromRow)]
struct ProgressRow {
    id: i64,
    media_id: String,
    kind: String,
    state: String,
    attempts: i64,
    progress: Option<f64>,
    eta_secs: Option<f64>,
    last_error: Option<String>,
}

impl ProgressRow {
    fn status(self) -> Option<(String, JobStatus)> {
        let state = match self.state.as_str() {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed,
        };
        let status = JobStatus {
            id: self.id,
            kind: JobKind::parse(&self.kind)?,
            state,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            progress: self.progress,
            eta_secs: self.eta_secs,
            last_error: self.last_error,
        };
        Some((self.media_id, status))
    }
}

impl Repo {
    /// One page of the library and how many items match over all pages. The
    /// query must be valid (`LibraryQuery::validate`).
    pub async fn library_page(
        &self,
        query: &LibraryQuery,
    ) -> Result<(Vec<MediaItem>, u64), DbError> {
        let (page_where, binds) = filter(query, Purpose::Page);
        let (count_where, _) = filter(query, Purpose::Count);
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

        let mut items = rows
            .into_iter()
            .map(MediaRow::into_item)
            .collect::<Result<Vec<_>, _>>()?;
        self.fill_progress(&mut items).await?;
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    /// Sets `progress` on the processing items among `items` (one query).
    async fn fill_progress(&self, items: &mut [MediaItem]) -> Result<(), DbError> {
        let processing: Vec<&str> = items
            .iter()
            .filter(|item| item.state == MediaState::Processing)
            .map(|item| item.id.as_str())
            .collect();
        if processing.is_empty() {
            return Ok(());
        }
        let ids = serde_json::to_string(&processing).unwrap_or_else(|_| "[]".to_string());
        let rows = sqlx::query_as::<_, ProgressRow>(
            "SELECT id, media_id, kind, state, attempts, progress, eta_secs, last_error
             FROM jobs WHERE media_id IN (SELECT value FROM json_each(?))
             ORDER BY media_id, id",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        let mut by_item: HashMap<String, Vec<JobStatus>> = HashMap::new();
        for (media, status) in rows.into_iter().filter_map(ProgressRow::status) {
            by_item.entry(media).or_default().push(status);
        }
        for item in items {
            if let Some(jobs) = by_item.get(&item.id) {
                item.progress = progress_of(jobs, None);
            }
        }
        Ok(())
    }

    /// Sets an item's title and description (already checked); `None` when
    /// there is no such item.
    pub async fn update_text(
        &self,
        id: &MediaId,
        title: &str,
        description: &str,
    ) -> Result<Option<MediaItem>, DbError> {
        let done =
            sqlx::query("UPDATE media SET title = ?, description = ?, updated_at = ? WHERE id = ?")
                .bind(title)
                .bind(description)
                .bind(now())
                .bind(id.as_str())
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.get(id).await
    }

    /// Deletes an item's row; its jobs go with it (foreign key cascade) and
    /// its search entry with it (triggers). False when there was none.
    pub async fn delete_media(&self, id: &MediaId) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM media WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ids whose files the store must keep: every item, and the items that
    /// unfinished uploads are about to record (their bytes may already be in
    /// place, waiting for the row).
    pub async fn media_ids_in_use(&self) -> Result<HashSet<String>, DbError> {
        let rows: Vec<(String,)> = sqlx::query_as(
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
