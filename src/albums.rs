//! Albums: audio items grouped by their album tag and album artist (the
//! track's artist when the album artist is not tagged), as the albums page
//! and an album's page show them.

use serde::{Deserialize, Serialize};

use crate::model::MediaItem;

/// One album in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlbumSummary {
    pub album: String,
    /// The album artist, else the tracks' artist; `None` when untagged.
    pub artist: Option<String>,
    pub year: Option<u32>,
    pub tracks: u32,
    pub duration_secs: f64,
    /// A track's cover art, signed for the asker.
    pub cover: Option<String>,
}

impl AlbumSummary {
    /// The album page's address.
    pub fn page(&self) -> String {
        album_page(&self.album, self.artist.as_deref())
    }
}

/// The address of the page of `album` by `artist`.
pub fn album_page(album: &str, artist: Option<&str>) -> String {
    let mut query = form_urlencoded(&[("album", album)]);
    if let Some(artist) = artist {
        query.push('&');
        query.push_str(&form_urlencoded(&[("artist", artist)]));
    }
    format!("/album?{query}")
}

/// `name=value` pairs with every byte but letters, digits and `-._~`
/// percent-encoded.
fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An album's page: its tracks in order (disc, then track number, then title).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub album: String,
    pub artist: Option<String>,
    pub tracks: Vec<MediaItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn album_pages_carry_the_album_and_artist_encoded() {
        assert_eq!(
            album_page("Kind of Blue", Some("Miles & Co")),
            "/album?album=Kind%20of%20Blue&artist=Miles%20%26%20Co"
        );
        assert_eq!(album_page("Ünï", None), "/album?album=%C3%9Cn%C3%AF");
    }
}
