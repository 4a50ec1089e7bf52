//! Caption tracks, their WebVTT text and their searchable cues, as on SQLite.

use sqlx::{Postgres, Transaction};

use super::super::captions::{
    CaptionRow, CaptionText, CueHitRow, MAX_CAPTIONS, MAX_CUE_HITS, file_tracks,
};
use super::super::{DbError, Listing};
use super::PgRepo;
use super::library::{Conditions, search_words};
use crate::model::MediaId;
use crate::server::db::now_ms;
use crate::server::domain::SubtitleStream;

const COLUMNS: &str = "id, media_id, origin, stream_index, codec, label, language, state";

/// The file's subtitle streams as caption rows, in the item's own insert.
pub(super) async fn insert_file_tracks(
    tx: &mut Transaction<'_, Postgres>,
    id: &MediaId,
    subtitles: &[SubtitleStream],
) -> Result<(), DbError> {
    for (index, codec, label, language, state) in file_tracks(subtitles) {
        sqlx::query(
            "INSERT INTO captions (media_id, origin, stream_index, codec, label, language, state, created_at)
             VALUES ($1, 'file', $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_str())
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
    tx: &mut Transaction<'_, Postgres>,
    caption: i64,
    id: &str,
    text: &CaptionText,
) -> Result<(), DbError> {
    let (starts, words): (Vec<i64>, Vec<String>) = text.cues.iter().cloned().unzip();
    sqlx::query(
        "INSERT INTO caption_cues (caption_id, media_id, start_ms, text)
         SELECT $1, $2, s, t FROM unnest($3::bigint[], $4::text[]) AS u(s, t)",
    )
    .bind(caption)
    .bind(id)
    .bind(starts)
    .bind(words)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl PgRepo {
    pub(crate) async fn captions_of(&self, id: &MediaId) -> Result<Vec<CaptionRow>, DbError> {
        let sql =
            format!("SELECT {COLUMNS} FROM captions WHERE media_id = $1 ORDER BY id LIMIT $2");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
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
            "SELECT vtt FROM captions WHERE media_id = $1 AND id = $2 AND state = 'ready'",
        )
        .bind(id.as_str())
        .bind(caption)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(vtt,)| vtt))
    }

    pub(crate) async fn add_caption(
        &self,
        id: &MediaId,
        label: &str,
        language: Option<&str>,
        text: &CaptionText,
    ) -> Result<Option<i64>, DbError> {
        let mut tx = self.pool.begin().await?;
        // The item's row is locked, so two adds cannot both pass the count.
        let found: Option<(String,)> =
            sqlx::query_as("SELECT id FROM media WHERE id = $1 FOR UPDATE")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Ok(None);
        }
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO captions (media_id, origin, label, language, state, vtt, created_at)
             SELECT $1, 'upload', $2, $3, 'ready', $4, $5
             WHERE (SELECT count(*) FROM captions WHERE media_id = $1) < $6
             RETURNING id",
        )
        .bind(id.as_str())
        .bind(label)
        .bind(language)
        .bind(&text.vtt)
        .bind(now_ms())
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

    pub(crate) async fn fill_caption(
        &self,
        caption: i64,
        text: Option<&CaptionText>,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let media: Option<(String,)> = sqlx::query_as(
            "UPDATE captions SET state = $1, vtt = $2 WHERE id = $3 AND state = 'pending' RETURNING media_id",
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
            "UPDATE captions SET label = $1, language = $2 WHERE media_id = $3 AND id = $4",
        )
        .bind(label)
        .bind(language)
        .bind(id.as_str())
        .bind(caption)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_caption(&self, id: &MediaId, caption: i64) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM captions WHERE media_id = $1 AND id = $2")
            .bind(id.as_str())
            .bind(caption)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn search_cues(
        &self,
        q: &str,
        listing: &Listing,
    ) -> Result<Vec<CueHitRow>, DbError> {
        let Some(words) = search_words(q) else {
            return Ok(Vec::new());
        };
        let mut conditions = Conditions::after(1);
        conditions.listing(listing);
        let n = conditions.binds.len();
        let sql = format!(
            "SELECT media_id, title, start_ms, text FROM (
                 SELECT DISTINCT ON (m.id) m.id AS media_id, m.title AS title, c.start_ms, c.text
                 FROM caption_cues AS c JOIN media AS m ON m.id = c.media_id
                 WHERE c.search @@ (SELECT to_tsquery('simple', string_agg(quote_literal(w) || ':*', ' & '))
                                    FROM unnest(string_to_array(reel_search_words($1), ' ')) AS w)
                   AND m.id IN (SELECT id FROM media WHERE true{})
                 ORDER BY m.id, c.start_ms) AS first
             ORDER BY lower(title) COLLATE \"C\", media_id
             LIMIT ${}",
            conditions.sql,
            n + 2
        );
        let mut query = sqlx::query_as::<_, CueHitRow>(sqlx::AssertSqlSafe(sql)).bind(words);
        for value in conditions.binds {
            query = query.bind(value);
        }
        Ok(query.bind(MAX_CUE_HITS).fetch_all(&self.pool).await?)
    }
}
