//! The albums page (audio grouped by album, with covers) and an album's
//! page (its tracks in order, played in order through the shell's player).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::ErrorNotice;
use super::now_playing::{PlayAll, QueueButtons, Track};
use crate::albums::{Album, AlbumSummary, ArtistSummary, album_download};
use crate::api::{album_tracks, list_albums, list_artists};
use crate::format;

#[component]
pub(crate) fn AlbumsPage() -> impl IntoView {
    let query = use_query_map();
    // `?artist=…`: one artist's albums (from the artists page).
    let artist = move || query.with(|q| q.get("artist"));
    let albums = Resource::new(artist, list_albums);
    let heading = move || match artist() {
        Some(name) => format!("Albums by {name}"),
        None => "Albums".to_string(),
    };
    view! {
        <Title text="Albums · Reel"/>
        <p class="back"><a href="/">"← Library"</a>" · "<a href="/artists">"Artists"</a></p>
        <h1 data-testid="albums-heading">{heading}</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match albums.await {
                    Ok(albums) if albums.is_empty() => view! {
                        <p class="muted" data-testid="no-albums">
                            "No albums yet. Songs whose files carry an album tag are grouped here."
                        </p>
                    }
                    .into_any(),
                    Ok(albums) => view! {
                        <ul class="album-grid" data-testid="albums">
                            {albums.into_iter().map(|album| view! { <AlbumCard album/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Artists (album artist, else artist) with their albums' count and a cover;
/// each opens the albums page for that artist.
#[component]
pub(crate) fn ArtistsPage() -> impl IntoView {
    let artists = Resource::new(|| (), |()| list_artists());
    view! {
        <Title text="Artists · Reel"/>
        <p class="back"><a href="/">"← Library"</a>" · "<a href="/albums">"Albums"</a></p>
        <h1>"Artists"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match artists.await {
                    Ok(artists) if artists.is_empty() => view! {
                        <p class="muted" data-testid="no-artists">
                            "No artists yet. Songs whose files carry album and artist tags are grouped here."
                        </p>
                    }
                    .into_any(),
                    Ok(artists) => view! {
                        <ul class="album-grid" data-testid="artists">
                            {artists.into_iter().map(|artist| view! { <ArtistCard artist/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArtistCard(artist: ArtistSummary) -> impl IntoView {
    let details = format!(
        "{} · {}",
        match artist.albums {
            1 => "1 album".to_string(),
            n => format!("{n} albums"),
        },
        match artist.tracks {
            1 => "1 track".to_string(),
            n => format!("{n} tracks"),
        }
    );
    view! {
        <li class="album-card" data-testid="artist">
            <a href=artist.page() class="album-link">
                {match artist.cover.clone() {
                    Some(src) => view! { <img class="album-cover" src=src alt="" width="160" height="160" loading="lazy"/> }.into_any(),
                    None => view! { <span class="album-cover blank" aria-hidden="true">"♪"</span> }.into_any(),
                }}
                <span class="album-name" data-testid="artist-name">{artist.name.clone()}</span>
            </a>
            <span class="album-details muted small">{details}</span>
        </li>
    }
}

#[component]
fn AlbumCard(album: AlbumSummary) -> impl IntoView {
    let page = album.page();
    let details = [
        album.year.map(|y| y.to_string()),
        Some(match album.tracks {
            1 => "1 track".to_string(),
            n => format!("{n} tracks"),
        }),
        Some(format::duration(album.duration_secs)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="album-card" data-testid="album">
            <a href=page class="album-link">
                {match album.cover {
                    Some(src) => view! { <img class="album-cover" src=src alt="" width="160" height="160" loading="lazy"/> }.into_any(),
                    None => view! { <span class="album-cover blank" aria-hidden="true">"♪"</span> }.into_any(),
                }}
                <span class="album-name" data-testid="album-name">{album.album.clone()}</span>
            </a>
            <span class="album-artist muted">{album.artist.clone().unwrap_or_default()}</span>
            <span class="album-details muted small">{details}</span>
        </li>
    }
}

#[component]
pub(crate) fn AlbumPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || query.with(|q| (q.get("album").unwrap_or_default(), q.get("artist")));
    let tracks = Resource::new(key, |(album, artist)| album_tracks(album, artist));
    view! {
        <p class="back"><a href="/albums">"← Albums"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tracks.await {
                    Ok(album) if album.tracks.is_empty() => view! {
                        <Title text="Not found · Reel"/>
                        <p data-testid="album-missing">"There is no such album, or nothing on it you may see."</p>
                    }
                    .into_any(),
                    Ok(album) => view! { <AlbumView album/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AlbumView(album: Album) -> impl IntoView {
    let cover = album.tracks.iter().find_map(|t| t.urls.poster.clone());
    let year = album.tracks.iter().filter_map(|t| t.tags.year).max();
    let discs = album
        .tracks
        .iter()
        .filter_map(|t| t.tags.disc)
        .max()
        .unwrap_or(1);
    let byline = [album.artist.clone(), year.map(|y| y.to_string())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let rows = album
        .tracks
        .iter()
        .map(|item| {
            let number = match (item.tags.disc, item.tags.track) {
                (Some(d), Some(t)) if discs > 1 => format!("{d}.{t}"),
                (_, Some(t)) => t.to_string(),
                _ => String::new(),
            };
            let track = Track::of(item);
            view! {
                <li class="album-track" data-testid="album-track">
                    <span class="track-number muted">{number}</span>
                    <a href=item.urls.page.clone() class="track-title">{item.title.clone()}</a>
                    <span class="track-length muted">{item.duration_secs.map(format::duration)}</span>
                    {track.map(|track| view! { <QueueButtons track/> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("{} · Reel", album.album)/>
        <article class="album">
            <header class="album-header">
                {cover.map(|src| view! { <img class="album-cover large" src=src alt="Cover art" width="200" height="200"/> })}
                <div>
                    <h1 data-testid="album-heading">{album.album.clone()}</h1>
                    <p class="byline">{byline}</p>
                    <PlayAll items=album.tracks.clone()/>
                    <a class="button" data-testid="album-download" download
                        href=album_download(&album.album, album.artist.as_deref())>
                        "Download album (ZIP)"
                    </a>
                </div>
            </header>
            <ol class="album-tracks">{rows}</ol>
        </article>
    }
}
