//! Albums: audio items grouped by album and album artist (else artist), as
//! on SQLite.

use super::super::{AlbumRow, DbError, Listing, MediaRow, StoredItem};
use super::PgRepo;
use super::library::Conditions;

/// The most albums one list holds.
const MAX_ALBUMS: i64 = 2000;
/// The most tracks one album page holds.
const MAX_TRACKS: i64 = 1000;

impl PgRepo {
    pub(crate) async fn albums(&self, listing: &Listing) -> Result<Vec<AlbumRow>, DbError> {
        let mut conditions = Conditions::after(0);
        conditions.listing(listing);
        let n = conditions.binds.len();
        let sql = format!(
            "SELECT album, coalesce(album_artist, artist) AS album_by, count(*) AS tracks,
                max(year) AS year, sum(duration_secs) AS duration_secs,
                min(CASE WHEN has_poster THEN id END) AS cover_id
             FROM media
             WHERE kind = 'audio' AND album IS NOT NULL{}
             GROUP BY album, coalesce(album_artist, artist)
             ORDER BY lower(album) COLLATE \"C\", album, lower(coalesce(album_artist, artist))
             LIMIT ${}",
            conditions.sql,
            n + 1
        );
        let mut query = sqlx::query_as::<_, AlbumRow>(sqlx::AssertSqlSafe(sql));
        for value in conditions.binds {
            query = query.bind(value);
        }
        Ok(query.bind(MAX_ALBUMS).fetch_all(&self.pool).await?)
    }

    pub(crate) async fn album_tracks(
        &self,
        listing: &Listing,
        album: &str,
        album_by: Option<&str>,
    ) -> Result<Vec<StoredItem>, DbError> {
        let mut conditions = Conditions::after(2);
        conditions.listing(listing);
        let n = conditions.binds.len();
        let sql = format!(
            "SELECT * FROM media_rows WHERE id IN (
                SELECT id FROM media
                WHERE kind = 'audio' AND album = $1
                  AND coalesce(album_artist, artist) IS NOT DISTINCT FROM $2{})
             ORDER BY coalesce(disc_number, 1), coalesce(track_number, 9999),
                lower(title) COLLATE \"C\", id
             LIMIT ${}",
            conditions.sql,
            n + 3
        );
        let mut query = sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(sql))
            .bind(album)
            .bind(album_by);
        for value in conditions.binds {
            query = query.bind(value);
        }
        let rows = query.bind(MAX_TRACKS).fetch_all(&self.pool).await?;
        rows.into_iter().map(MediaRow::into_stored).collect()
    }
}
