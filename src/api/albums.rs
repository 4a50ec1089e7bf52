//! Albums: the list, and one album's tracks.

use leptos::prelude::*;

use crate::albums::{Album, AlbumSummary};
use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, service};

/// Every album the asker may see (audio items with an album tag), by album
/// name, each with its artist, year, track count, length and a cover.
#[server(endpoint = "list_albums")]
pub async fn list_albums() -> Result<Vec<AlbumSummary>, ApiError> {
    Ok(service()?.albums(&actor().await?).await?)
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
