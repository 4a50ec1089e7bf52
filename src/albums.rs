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

/// Where `album` by `artist` downloads as one ZIP archive.
pub fn album_download(album: &str, artist: Option<&str>) -> String {
    album_page(album, artist).replacen("/album?", "/album/download?", 1)
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

/// One artist in the artists list: the albums credited to them (album
/// artist, else the tracks' artist).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtistSummary {
    pub name: String,
    pub albums: u32,
    pub tracks: u32,
    /// One of their albums' covers.
    pub cover: Option<String>,
}

impl ArtistSummary {
    /// The albums page, showing this artist's albums only.
    pub fn page(&self) -> String {
        format!("/albums?{}", form_urlencoded(&[("artist", &self.name)]))
    }
}

/// The artists of `albums` (untagged ones left out), by name ignoring case.
pub fn artists_of(albums: &[AlbumSummary]) -> Vec<ArtistSummary> {
    let mut artists: Vec<ArtistSummary> = Vec::new();
    for album in albums {
        let Some(name) = &album.artist else { continue };
        match artists.iter_mut().find(|a| &a.name == name) {
            Some(artist) => {
                artist.albums += 1;
                artist.tracks += album.tracks;
                if artist.cover.is_none() {
                    artist.cover.clone_from(&album.cover);
                }
            }
            None => artists.push(ArtistSummary {
                name: name.clone(),
                albums: 1,
                tracks: album.tracks,
                cover: album.cover.clone(),
            }),
        }
    }
    artists.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.name.cmp(&b.name))
    });
    artists
}

#[cfg(test)]
mod tests {
    use super::*;

    fn album(name: &str, artist: Option<&str>, tracks: u32) -> AlbumSummary {
        AlbumSummary {
            album: name.into(),
            artist: artist.map(Into::into),
            year: None,
            tracks,
            duration_secs: 0.0,
            cover: None,
        }
    }

    #[test]
    fn artists_group_their_albums_by_name() {
        let albums = [
            album("Kind of Blue", Some("Miles Davis"), 5),
            album("Bitches Brew", Some("Miles Davis"), 6),
            album("A Love Supreme", Some("john Coltrane"), 4),
            album("Loose", None, 2),
        ];
        let artists = artists_of(&albums);
        let got: Vec<(&str, u32, u32)> = artists
            .iter()
            .map(|a| (a.name.as_str(), a.albums, a.tracks))
            .collect();
        assert_eq!(got, [("john Coltrane", 1, 4), ("Miles Davis", 2, 11)]);
        assert_eq!(artists[1].page(), "/albums?artist=Miles%20Davis");
    }

    #[test]
    fn album_pages_carry_the_album_and_artist_encoded() {
        assert_eq!(
            album_page("Kind of Blue", Some("Miles & Co")),
            "/album?album=Kind%20of%20Blue&artist=Miles%20%26%20Co"
        );
        assert_eq!(album_page("Ünï", None), "/album?album=%C3%9Cn%C3%AF");
    }
}
