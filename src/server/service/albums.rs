//! Albums: the audio items `actor` may list, grouped by album and album
//! artist (else artist), and one album's tracks in play order.

use super::access::{self, Actor};
use super::{Result, Service};
use crate::albums::{Album, AlbumSummary};

impl Service {
    pub(crate) async fn albums(&self, actor: &Actor) -> Result<Vec<AlbumSummary>> {
        let listing = access::listing(actor, self.public_browsing());
        let rows = self.inner.repo.albums(&listing).await?;
        let mut albums = Vec::with_capacity(rows.len());
        for row in rows {
            // The cover is one track's poster, signed as that track's files are.
            let cover = match &row.cover_id {
                Some(id) => self
                    .inner
                    .repo
                    .get_stored(id)
                    .await?
                    .and_then(|stored| self.present(actor, stored).urls.poster),
                None => None,
            };
            albums.push(AlbumSummary {
                album: row.album,
                artist: row.album_by,
                year: row.year.and_then(|y| u32::try_from(y).ok()),
                tracks: u32::try_from(row.tracks).unwrap_or(u32::MAX),
                duration_secs: row.duration_secs.unwrap_or(0.0),
                cover,
            });
        }
        Ok(albums)
    }

    /// The tracks of `album` by `artist` that `actor` may list (none is an
    /// empty album, which looks like one that does not exist).
    pub(crate) async fn album(
        &self,
        actor: &Actor,
        album: &str,
        artist: Option<&str>,
    ) -> Result<Album> {
        let listing = access::listing(actor, self.public_browsing());
        let stored = self
            .inner
            .repo
            .album_tracks(&listing, album, artist)
            .await?;
        Ok(Album {
            album: album.to_string(),
            artist: artist.map(str::to_string),
            tracks: stored.into_iter().map(|s| self.present(actor, s)).collect(),
        })
    }
}
