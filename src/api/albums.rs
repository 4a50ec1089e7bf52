//! Albums: the list, and one album's tracks.

use leptos::prelude::*;

use crate::albums::{Album, AlbumSummary, ArtistSummary};
use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, service};

/// Every album the asker may see (audio items with an album tag), by album
/// name, each with its artist, year, track count, length and a cover.
/// With `artist`, only the albums credited to that artist.
#[server(endpoint = "list_albums")]
pub async fn list_albums(
    #[server(default)] artist: Option<String>,
) -> Result<Vec<AlbumSummary>, ApiError> {
    let albums = service()?.albums(&actor().await?).await?;
    Ok(match artist {
        Some(artist) => albums
            .into_iter()
            .filter(|a| a.artist.as_deref() == Some(artist.as_str()))
            .collect(),
        None => albums,
    })
}

/// Every artist with an album the asker may see, by name, each with how
/// many albums and tracks and a cover.
#[server(endpoint = "list_artists")]
pub async fn list_artists() -> Result<Vec<ArtistSummary>, ApiError> {
    let albums = service()?.albums(&actor().await?).await?;
    Ok(crate::albums::artists_of(&albums))
}

/// The tracks of `album` by `artist` (the album artist, else the tracks'
/// artist; absent for none) in order: disc, track number, title. An album
/// the asker may see nothing of is empty.
#[server(endpoint = "album_tracks")]
pub async fn album_tracks(
    album: String,
    #[server(default)] artist: Option<String>,
) -> Result<Album, ApiError> {
    Ok(service()?
        .album(&actor().await?, &album, artist.as_deref())
        .await?)
}
