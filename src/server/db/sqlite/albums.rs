//! Albums: audio items grouped by album and album artist (else artist).

use super::super::{AlbumRow, DbError, Listing, MediaRow, StoredItem};
use super::SqliteRepo;
use super::library::condition;

/// The most albums one list holds.
const MAX_ALBUMS: i64 = 2000;
/// The most tracks one album page holds.
const MAX_TRACKS: i64 = 1000;

impl SqliteRepo {
    pub(crate) async fn albums(&self, listing: &Listing) -> Result<Vec<AlbumRow>, DbError> {
        let (condition, bound) = condition(listing);
        let sql = format!(
            "SELECT album, coalesce(album_artist, artist) AS album_by, count(*) AS tracks,
                max(year) AS year, sum(duration_secs) AS duration_secs,
                min(CASE WHEN has_poster THEN id END) AS cover_id
             FROM media
             WHERE kind = 'audio' AND album IS NOT NULL{condition}
             GROUP BY album, album_by
             ORDER BY album COLLATE NOCASE, album, album_by COLLATE NOCASE
             LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, AlbumRow>(sqlx::AssertSqlSafe(sql));
        if let Some(value) = bound {
            query = query.bind(value);
        }
        Ok(query.bind(MAX_ALBUMS).fetch_all(&self.pool).await?)
    }

    /// The tracks of `album` by `album_by` (the album artist, else the
    /// artist; `None` for neither) in play order.
    pub(crate) async fn album_tracks(
        &self,
        listing: &Listing,
        album: &str,
        album_by: Option<&str>,
    ) -> Result<Vec<StoredItem>, DbError> {
        let (condition, bound) = condition(listing);
        let sql = format!(
            "SELECT * FROM media
             WHERE kind = 'audio' AND album = ? AND coalesce(album_artist, artist) IS ?{condition}
             ORDER BY coalesce(disc_number, 1), coalesce(track_number, 9999),
                title COLLATE NOCASE, id
             LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(sql))
            .bind(album)
            .bind(album_by);
        if let Some(value) = bound {
            query = query.bind(value);
        }
        let rows = query.bind(MAX_TRACKS).fetch_all(&self.pool).await?;
        rows.into_iter().map(MediaRow::into_stored).collect()
    }
}
