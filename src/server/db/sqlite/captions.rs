//! Caption tracks, their WebVTT text and their searchable cues.

use sqlx::{Sqlite, Transaction};

use super::super::captions::{
    CaptionRow, CaptionText, CueHitRow, MAX_CAPTIONS, MAX_CUE_HITS, file_tracks,
};
use super::super::{DbError, Listing};
use super::SqliteRepo;
use super::library::condition;
use crate::model::MediaId;
use crate::server::db::now_ms;
use crate::server::domain::SubtitleStream;

const COLUMNS: &str = "id, media_id, origin, stream_index, codec, label, language, state";

/// The file's subtitle streams as caption rows, in the item's own insert.
pub(super) async fn insert_file_tracks(
    tx: &mut Transaction<'_, Sqlite>,
    id: &MediaId,
    subtitles: &[SubtitleStream],
) -> Result<(), DbError> {
    for (index, codec, label, language, state) in file_tracks(subtitles) {
        sqlx::query(
            "INSERT INTO captions (media_id, origin, stream_index, codec, label, language, state, created_at)
             VALUES (?, 'file', ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(index)
        .bind(codec)
        .bind(label)
        .bind(language)
        .bind(state)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_cues(
    tx: &mut Transaction<'_, Sqlite>,
    caption: i64,
    id: &str,
    text: &CaptionText,
) -> Result<(), DbError> {
    for (start_ms, words) in &text.cues {
        sqlx::query(
            "INSERT INTO caption_cues (caption_id, media_id, start_ms, text) VALUES (?, ?, ?, ?)",
        )
        .bind(caption)
        .bind(id)
        .bind(start_ms)
        .bind(words)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl SqliteRepo {
    pub(crate) async fn captions_of(&self, id: &MediaId) -> Result<Vec<CaptionRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM captions WHERE media_id = ? ORDER BY id LIMIT ?");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(MAX_CAPTIONS)
            .fetch_all(&self.pool)
            .await?)
    }

    pub(crate) async fn caption_vtt(
        &self,
        id: &MediaId,
        caption: i64,
    ) -> Result<Option<String>, DbError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT vtt FROM captions WHERE media_id = ? AND id = ? AND state = 'ready'",
        )
        .bind(id)
        .bind(caption)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(vtt,)| vtt))
    }

    /// A track people added; `None` when the item is gone or has as many
    /// tracks as it may.
    pub(crate) async fn add_caption(
        &self,
        id: &MediaId,
        label: &str,
        language: Option<&str>,
        text: &CaptionText,
    ) -> Result<Option<i64>, DbError> {
        let mut tx = self.write_transaction().await?;
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO captions (media_id, origin, label, language, state, vtt, created_at)
             SELECT id, 'upload', ?, ?, 'ready', ?, ? FROM media
             WHERE id = ? AND (SELECT count(*) FROM captions WHERE media_id = ?) < ?
             RETURNING id",
        )
        .bind(label)
        .bind(language)
        .bind(&text.vtt)
        .bind(now_ms())
        .bind(id)
        .bind(id)
        .bind(MAX_CAPTIONS)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((caption,)) = inserted else {
            return Ok(None);
        };
        insert_cues(&mut tx, caption, id.as_str(), text).await?;
        tx.commit().await?;
        Ok(Some(caption))
    }

    /// A file's stream, read (`Some`) or found unreadable (`None`).
    pub(crate) async fn fill_caption(
        &self,
        caption: i64,
        text: Option<&CaptionText>,
    ) -> Result<(), DbError> {
        let mut tx = self.write_transaction().await?;
        let media: Option<(String,)> = sqlx::query_as(
            "UPDATE captions SET state = ?, vtt = ? WHERE id = ? AND state = 'pending' RETURNING media_id",
        )
        .bind(if text.is_some() { "ready" } else { "unsupported" })
        .bind(text.map(|t| t.vtt.as_str()))
        .bind(caption)
        .fetch_optional(&mut *tx)
        .await?;
        if let (Some((media,)), Some(text)) = (media, text) {
            insert_cues(&mut tx, caption, &media, text).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn update_caption(
        &self,
        id: &MediaId,
        caption: i64,
        label: &str,
        language: Option<&str>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE captions SET label = ?, language = ? WHERE media_id = ? AND id = ?",
        )
        .bind(label)
        .bind(language)
        .bind(id)
        .bind(caption)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_caption(&self, id: &MediaId, caption: i64) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM captions WHERE media_id = ? AND id = ?")
            .bind(id)
            .bind(caption)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cues whose words start with each word of `q`, on items `listing`
    /// allows, the first cue per item, by item title.
    pub(crate) async fn search_cues(
        &self,
        q: &str,
        listing: &Listing,
    ) -> Result<Vec<CueHitRow>, DbError> {
        let Some(expression) = super::library::search_expression(q) else {
            return Ok(Vec::new());
        };
        let (condition, bound) = condition(listing);
        // With `min`, SQLite takes the bare `text` from the row holding it.
        let sql = format!(
            "SELECT media.id AS media_id, media.title AS title, min(c.start_ms) AS start_ms, c.text AS text
             FROM caption_cues AS c JOIN media ON media.id = c.media_id
             WHERE c.n IN (SELECT rowid FROM caption_search WHERE caption_search MATCH ?){condition}
             GROUP BY media.id
             ORDER BY media.title COLLATE NOCASE, media.id
             LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, CueHitRow>(sqlx::AssertSqlSafe(sql)).bind(expression);
        if let Some(value) = bound {
            query = query.bind(value);
        }
        Ok(query.bind(MAX_CUE_HITS).fetch_all(&self.pool).await?)
    }
}
