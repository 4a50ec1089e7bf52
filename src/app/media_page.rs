//! One item: its player (or a "converting" panel until something plays), the
//! live processing status, the waveform (audio) or the scrub bar (video), its
//! facts and a download link.
//!
//! The page renders the item it fetched; events then update the status in
//! place, and when they say the item changed, a fresh copy is fetched in the
//! browser and only the parts that differ update: the player element stays
//! (and keeps playing) unless the file it plays changes.

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ErrorNotice;
use super::account::VisibilityBadge;
use super::adaptive::{self, Quality, QualityMenu};
use super::captions::{CaptionEditor, CaptionMenu, track_elements};
use super::chapters::{ChapterMarks, Chapters};
use super::editor::{EditedFrom, Editor};
use super::labels::{FavouriteButton, LabelsPanel};
use super::live::{Live, Status};
use super::now_playing::{QueueButtons, Track};
use super::player::{NeighbourLinks, Playback, PlayerBar};
use super::progress::ProcessingStatus;
use super::scrub::ScrubBar;
use super::seek::Clock;
use super::share::SharePanel;
use super::tags_form::{Byline, TagsEditor, tag_facts};
use super::waveform::Waveform;
use crate::api;
use crate::api::{media_neighbours, waveform_bars};
use crate::error::ApiError;
use crate::format;
use crate::library::Neighbours;
use crate::model::Bars;
use crate::model::{CaptionTrack, MediaItem, MediaKind, MediaState};

#[component]
pub(crate) fn MediaPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let item = Resource::new(id, api::get_media);
    // Made here, not inside the item's view, so hydration finds it in order.
    let waveform = Resource::new(id, |id| waveform_bars(id, None));
    let neighbours = Resource::new(id, media_neighbours);

    view! {
        <p class="back"><a href="/">"← Library"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Ok(item) => view! { <MediaView item waveform neighbours/> }.into_any(),
                    Err(error) => view! { <Title text="Not found · Reel"/> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MediaView(
    item: MediaItem,
    waveform: Resource<Result<Option<Bars>, ApiError>>,
    neighbours: Resource<Result<Neighbours, ApiError>>,
) -> impl IntoView {
    let live = Live::get();
    let id = item.id.to_string();
    let kind = item.kind;
    // Fetched in the browser when events say the item changed.
    let fresh = RwSignal::new(None::<MediaItem>);
    let current = {
        let initial = item.clone();
        Memo::new(move |_| fresh.get().unwrap_or_else(|| initial.clone()))
    };
    let refetch = {
        let id = id.clone();
        let asked = StoredValue::new(0u64);
        move || {
            #[cfg(feature = "hydrate")]
            {
                // Answers can overtake each other: keep only the newest.
                let ticket = asked.get_value() + 1;
                asked.set_value(ticket);
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(item) = api::get_media(id).await
                        && asked.try_get_value() == Some(ticket)
                    {
                        let _ = fresh.try_set(Some(item));
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&id, asked);
        }
    };
    let on_changed = Callback::new({
        let refetch = refetch.clone();
        move |()| refetch()
    });
    live.follow(
        move || Some(current.with_untracked(|c| vec![(c.id.to_string(), c.state.clone())])),
        false,
        refetch.clone(),
    );
    let status = live.status(id.clone(), move || {
        current.with(|c| Status {
            state: c.state.clone(),
            progress: c.progress.clone(),
        })
    });
    super::refresh_while(
        move || live.broken() && status.with(|s| s.state == MediaState::Processing),
        refetch,
    );
    // The waveform appears when its job is done.
    Effect::new(move |had: Option<bool>| {
        let has = current.with(|c| c.has_waveform);
        if had == Some(false) && has {
            waveform.refetch();
        }
        has
    });

    let play = Memo::new(move |_| current.with(|c| c.urls.clone().play));
    // The ladder, while or once it exists: it plays before any whole copy,
    // and in the rung the connection can carry.
    let hls = Memo::new(move |_| current.with(|c| c.urls.clone().hls));
    // What the player element plays; a ladder stays the source when a
    // playable copy appears beside it, so playback is not interrupted.
    // A file that already plays here stays the source when a ladder
    // appears (a large browser-ready original): the viewer is not cut off;
    // the next visit plays the ladder.
    let source = Memo::new(move |before: Option<&Option<Source>>| {
        if let (Some(Some(Source::File(file))), Some(now)) = (before, play.get())
            && *file == now
        {
            return Some(Source::File(now));
        }
        match hls.get() {
            Some(master) => Some(Source::Ladder(master)),
            None => play.get().map(Source::File),
        }
    });
    let playing = Memo::new(move |_| source.with(Option::is_some));
    let has_file = Memo::new(move |_| play.with(Option::is_some));
    let quality = Quality::new();
    // Edits need a playable file, and none are offered after a failure.
    let can_change = item.can_change;
    let editable = Memo::new(move |_| {
        can_change && has_file.get() && !status.with(|s| matches!(s.state, MediaState::Failed(_)))
    });
    let selection = RwSignal::new(None::<(f64, f64)>);
    let poster = Memo::new(move |_| current.with(|c| c.urls.clone().poster));
    let thumbnails = Memo::new(move |_| current.with(|c| c.urls.clone().thumbnails));
    let clock = Clock::new(item.duration_secs);
    let video_ref = NodeRef::<html::Video>::new();
    let audio_ref = NodeRef::<html::Audio>::new();
    let playback = Playback::new(id.clone(), video_ref, audio_ref, Track::of(&item));
    // `?t=83` (a caption search hit) starts there instead of where it was left.
    let start = use_query_map().with_untracked(|q| q.get("t").and_then(|t| t.parse::<f64>().ok()));
    if let Some(at) = start.filter(|t| t.is_finite() && *t >= 0.0) {
        playback.start_at(at);
    }
    // The caption tracks (video), fetched again whenever the item changes:
    // a file's own tracks are read with its poster.
    let captions = RwSignal::new(Vec::<CaptionTrack>::new());
    if kind == MediaKind::Video {
        let id = id.clone();
        Effect::new(move |_| {
            current.with(|_| ());
            let id = id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(list) = api::list_captions(id).await
                    && captions.try_with_untracked(|now| *now != list) == Some(true)
                {
                    let _ = captions.try_set(list);
                }
            });
        });
    }
    let sync = move |ev: web_sys::Event| {
        clock.sync(&event_target::<web_sys::HtmlMediaElement>(&ev));
        playback.event(&ev);
    };
    let remember = move |ev: web_sys::Event| playback.event(&ev);
    let chapters = Memo::new(move |_| current.with(|c| c.chapters.clone()));
    Effect::new(move |_| playback.set_chapters(chapters.get()));
    // An edit of tags or chapters answers the item as it is now.
    let saved = Callback::new(move |item: MediaItem| fresh.set(Some(item)));
    // The frame keeps the video's shape before anything loads (no layout shift).
    let ratio = item
        .width
        .zip(item.height)
        .filter(|(w, h)| *w > 0 && *h > 0)
        .map(|(w, h)| format!("{w} / {h}"));

    let status_view = {
        let id = id.clone();
        move || {
            view! { <ProcessingStatus id=id.clone() status on_changed testid="media-state" can_change/> }
        }
    };
    let converting = {
        let status_view = status_view.clone();
        move || {
            let note = move || match status.read().state {
                MediaState::Processing => {
                    "Converting for browsers… the player appears when it is ready."
                }
                MediaState::Failed(_) => "No copy that browsers can play could be made.",
                MediaState::Ready => "This file does not play in browsers. Download it to play it.",
            };
            view! {
                <div class="converting" data-testid="converting">
                    <span class="converting-mark" aria-hidden="true">"⟳"</span>
                    <p class="converting-note">{note}</p>
                    {status_view()}
                </div>
            }
        }
    };

    let stage = {
        let id = id.clone();
        let converting = converting.clone();
        move || match (kind, source.get()) {
            (_, None) => converting().into_any(),
            (MediaKind::Video, Some(source)) => {
                let id = id.clone();
                let (src, ladder) = match source {
                    Source::File(src) => (Some(src), None),
                    Source::Ladder(master) => {
                        adaptive::attach(video_ref, master.clone(), play.get_untracked(), quality);
                        (None, Some(master))
                    }
                };
                view! {
                    <div class="video-stage">
                        <video
                            data-testid="player"
                            class="player video"
                            node_ref=video_ref
                            controls
                            playsinline
                            preload="metadata"
                            src=src
                            data-ladder=ladder
                            poster=move || poster.get()
                            style:aspect-ratio=ratio.clone()
                            aria-label="Video player"
                            aria-keyshortcuts="Space k ArrowLeft ArrowRight f m"
                            on:timeupdate=sync
                            on:durationchange=sync
                            on:seeking=sync
                            on:loadedmetadata=remember
                            on:play=remember
                            on:pause=remember
                            on:ended=remember
                            on:volumechange=remember
                            on:ratechange=remember
                        >
                            {move || thumbnails.get().map(|src| view! {
                                <track kind="metadata" label="Thumbnails" src=src/>
                            })}
                            {track_elements(captions)}
                        </video>
                        {move || thumbnails.with(Option::is_some).then(|| view! {
                            <ScrubBar
                                id=id.clone()
                                sig=thumbnails.get_untracked().as_deref().and_then(crate::model::signature_in)
                                clock
                                player=video_ref
                            />
                        })}
                    </div>
                }
                .into_any()
            }
            (MediaKind::Audio, Some(Source::File(src) | Source::Ladder(src))) => view! {
                <audio
                    data-testid="player"
                    class="player audio"
                    node_ref=audio_ref
                    controls
                    preload="metadata"
                    src=src
                    aria-label="Audio player"
                    aria-keyshortcuts="Space k ArrowLeft ArrowRight f m"
                    on:timeupdate=sync
                    on:durationchange=sync
                    on:seeking=sync
                    on:loadedmetadata=remember
                    on:play=remember
                    on:pause=remember
                    on:ended=remember
                    on:volumechange=remember
                    on:ratechange=remember
                ></audio>
            }
            .into_any(),
        }
    };
    let body = match kind {
        MediaKind::Video => stage.into_any(),
        MediaKind::Audio => view! {
            <div class="audio-stage">
                {move || poster.get().map(|src| view! { <img class="cover" src=src alt="Cover art" width="320" height="320"/> })}
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        waveform
                            .await
                            .ok()
                            .flatten()
                            .filter(|bars| !bars.heights.is_empty())
                            .map(|bars| view! { <Waveform bars clock player=audio_ref selection/> })
                    })}
                </Transition>
                {stage}
            </div>
        }
        .into_any(),
    };

    let facts = move || {
        let item = current.get();
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
            {tag_facts(&item.tags)}
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
        }
    };

    let urls = item.urls.clone();
    view! {
        <Title text=format!("{} · Reel", item.title)/>
        <article class="media" data-state=move || status.with(|s| s.state.name()) data-kind=kind.as_str()>
            <h1 data-testid="media-heading">{move || current.with(|c| c.title.clone())}</h1>
            <Byline item=current/>
            <VisibilityBadge visibility=item.visibility/>
            <EditedFrom item=current/>
            {move || playing.get().then(status_view.clone())}
            {body}
            {move || (playing.get() && !chapters.with(Vec::is_empty)).then(|| view! {
                <div class="chapter-track" aria-hidden="true"><ChapterMarks chapters clock/></div>
            })}
            {move || playing.get().then(|| view! { <PlayerBar playback/> })}
            <Chapters
                id=id.clone()
                item=current
                clock
                video=video_ref
                audio=audio_ref
                can_change
                on_saved=saved
            />
            <QualityMenu quality/>
            {(kind == MediaKind::Video).then(|| view! { <CaptionMenu tracks=captions video=video_ref/> })}
            {move || editable.get().then(|| view! {
                <Editor item=current.get_untracked() clock selection video=video_ref audio=audio_ref/>
            })}
            <NeighbourLinks neighbours/>
            <div class="actions">
                {move || current.with(Track::of).map(|track| view! { <QueueButtons track/> })}
                <FavouriteButton id=item.id.to_string() item=current on_saved=saved/>
                <a class="button" data-testid="download" href=urls.download download=item.original_filename.clone()>
                    "Download original"
                </a>
                {can_change.then(|| view! { <TagsEditor id=item.id.to_string() item=current on_saved=saved/> })}
                {can_change.then(|| view! { <SharePanel id=item.id.to_string()/> })}
            </div>
            <LabelsPanel id=item.id.to_string() item=current can_change on_saved=saved/>
            {(can_change && kind == MediaKind::Video).then(|| view! { <CaptionEditor id=item.id.to_string() tracks=captions/> })}
            <dl class="facts">{facts}</dl>
        </article>
    }
}

/// What the page's player element plays.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// A whole file (the original or the playable copy), progressively.
    File(String),
    /// The HLS ladder's master playlist, adaptively.
    Ladder(String),
}
