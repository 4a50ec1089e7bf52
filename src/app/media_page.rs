//! One item: its player, its facts and a download link.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::ErrorNotice;
use crate::api;
use crate::format;
use crate::model::{MediaItem, MediaKind, MediaState};

#[component]
pub fn MediaPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let item = Resource::new(id, api::get_media);

    // While the item is processing, look again shortly.
    super::refresh_while(
        move || {
            item.get()
                .and_then(|r| r.ok())
                .is_some_and(|i| i.state == MediaState::Processing)
        },
        move || item.refetch(),
    );

    view! {
        <p class="back"><a href="/">"← Library"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Ok(item) => view! { <MediaView item/> }.into_any(),
                    Err(error) => view! { <Title text="Not found · Reel"/> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MediaView(item: MediaItem) -> impl IntoView {
    let urls = item.urls();
    let player = match item.kind {
        MediaKind::Video => view! {
            <video
                data-testid="player"
                class="player video"
                controls
                playsinline
                preload="metadata"
                src=urls.original.clone()
                poster=urls.poster.clone()
            ></video>
        }
        .into_any(),
        MediaKind::Audio => view! {
            <div class="audio-stage">
                {urls.poster.clone().map(|src| view! { <img class="cover" src=src alt="Cover art"/> })}
                <audio data-testid="player" class="player audio" controls preload="metadata" src=urls.original.clone()></audio>
            </div>
        }
        .into_any(),
    };
    let state_note = match &item.state {
        MediaState::Ready => None,
        MediaState::Processing => Some(view! { <p class="notice" data-testid="media-state">"Processing… the player works already; a poster will follow."</p> }.into_any()),
        MediaState::Failed(reason) => Some(view! { <div class="notice error" role="alert" data-testid="media-state"><p>{reason.clone()}</p></div> }.into_any()),
    };
    let dimensions = item
        .width
        .zip(item.height)
        .map(|(w, h)| format!("{w} × {h}"));
    let codecs = [item.video_codec.clone(), item.audio_codec.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" + ");
    view! {
        <Title text=format!("{} · Reel", item.title)/>
        <article class="media" data-state=item.state.name() data-kind=item.kind.as_str()>
            <h1 data-testid="media-heading">{item.title.clone()}</h1>
            {state_note}
            {player}
            <div class="actions">
                <a class="button" data-testid="download" href=urls.download download=item.original_filename.clone()>
                    "Download original"
                </a>
            </div>
            <dl class="facts">
                <dt>"File"</dt>
                <dd>{item.original_filename.clone()}</dd>
                <dt>"Type"</dt>
                <dd>{item.content_type.clone()}</dd>
                {item.duration_secs.map(|d| view! { <dt>"Duration"</dt> <dd>{format::duration(d)}</dd> })}
                {dimensions.map(|d| view! { <dt>"Size"</dt> <dd>{d}</dd> })}
                {(!codecs.is_empty()).then(|| view! { <dt>"Codecs"</dt> <dd>{codecs}</dd> })}
                <dt>"File size"</dt>
                <dd>{format::bytes(item.size_bytes)}</dd>
                <dt>"Uploaded"</dt>
                <dd><time datetime=item.created_at.clone()>{format::timestamp(&item.created_at)}</time></dd>
                <dt>"SHA-256"</dt>
                <dd class="mono">{item.sha256.clone()}</dd>
            </dl>
        </article>
    }
}
