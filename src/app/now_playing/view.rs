//! The shell player's bar and queue list, and the buttons that queue an
//! item from a card or a media page.

use leptos::prelude::*;

use super::{NowPlaying, Track};
use crate::format;
use crate::model::MediaKind;

/// "1:02 / 3:00", or the time alone while the length is unknown.
fn clock(time: f64, duration: f64) -> String {
    let time = format::duration(time.max(0.0));
    if duration.is_finite() && duration > 0.0 {
        format!("{time} / {}", format::duration(duration))
    } else {
        time
    }
}

/// A control's picture, drawn (fonts without the media symbols show boxes).
fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="np-icon" viewBox="0 0 24 24" aria-hidden="true"><path d=path/></svg>
    }
}

const PREVIOUS: &str = "M6 5h2v14H6zM20 5v14L9 12z";
const PLAY: &str = "M8 5v14l11-7z";
const PAUSE: &str = "M6 5h4v14H6zM14 5h4v14h-4z";
const NEXT: &str = "M16 5h2v14h-2zM4 5v14l11-7z";

/// The bar at the bottom of every page. It is in the page from the start
/// (its element must outlive every page) and hidden while the queue is
/// empty.
#[component]
pub(crate) fn NowPlayingBar() -> impl IntoView {
    let Some(np) = NowPlaying::get() else {
        return ().into_any();
    };
    let current = Memo::new(move |_| np.queue.with(|q| q.current_track().cloned()));
    let empty = Memo::new(move |_| np.queue.with(|q| q.is_empty()));
    let count = Memo::new(move |_| np.queue.with(|q| q.tracks.len()));
    let is_video = move || current.with(|t| t.as_ref().is_some_and(|t| t.kind == MediaKind::Video));
    let on_media = move |ev: web_sys::Event| np.on_media(&ev);
    let cover = move || {
        current.with(|t| match t {
            Some(Track {
                kind: MediaKind::Audio,
                poster: Some(src),
                ..
            }) => Some(
                view! { <img class="np-cover" src=src.clone() alt="" width="48" height="48"/> },
            ),
            _ => None,
        })
    };
    let title = move || {
        current.with(|t| {
            t.as_ref().map(|t| {
                view! {
                    <a href=t.page.clone() class="np-title" data-testid="now-playing-title">
                        {t.title.clone()}
                    </a>
                }
            })
        })
    };
    let on_seek = move |ev: web_sys::Event| {
        if let Ok(at) = event_target_value(&ev).parse::<f64>() {
            np.seek(at);
        }
    };
    let max = move || {
        let d = np.duration.get();
        if d.is_finite() { d } else { 0.0 }
    };

    view! {
        // The data attributes say what plays, for tests and tools: through
        // the gapless engine the element stays idle.
        <section
            class="now-playing"
            data-testid="now-playing"
            aria-label="Now playing"
            hidden=move || empty.get()
            data-engine=move || if np.gapless_now.get() { "gapless" } else { "element" }
            data-playing=move || np.playing.get().to_string()
            data-time=move || format!("{:.3}", np.time.get())
            data-duration=move || format!("{:.3}", np.duration.get())
            data-gain=move || format!("{:.3}", np.applied_gain.get())
        >
            <video
                data-testid="now-playing-media"
                class="np-media"
                class:video=is_video
                node_ref=np.media
                playsinline
                preload="metadata"
                on:loadedmetadata=on_media
                on:durationchange=on_media
                on:timeupdate=on_media
                on:seeked=on_media
                on:play=on_media
                on:pause=on_media
                on:ended=on_media
                on:error=move |ev: web_sys::ErrorEvent| np.on_media(&ev)
            ></video>
            {cover}
            <div class="np-main">
                {title}
                <div class="np-controls">
                    <button type="button" class="np-button" aria-label="Previous" data-testid="now-playing-previous" on:click=move |_| np.previous()>{icon(PREVIOUS)}</button>
                    <button
                        type="button"
                        class="np-button np-toggle"
                        data-testid="now-playing-toggle"
                        aria-label=move || if np.playing.get() { "Pause" } else { "Play" }
                        on:click=move |_| np.toggle()
                    >
                        {move || icon(if np.playing.get() { PAUSE } else { PLAY })}
                    </button>
                    <button type="button" class="np-button" aria-label="Next" data-testid="now-playing-next" on:click=move |_| np.next()>{icon(NEXT)}</button>
                    <input
                        type="range"
                        class="np-seek"
                        data-testid="now-playing-seek"
                        aria-label="Seek"
                        min="0"
                        step="0.1"
                        max=max
                        prop:value=move || np.time.get()
                        on:input=on_seek
                    />
                    <span class="np-clock small muted">{move || clock(np.time.get(), np.duration.get())}</span>
                    <button
                        type="button"
                        class="row-button"
                        data-testid="queue-toggle"
                        aria-expanded=move || np.open.get().to_string()
                        on:click=move |_| np.open.update(|o| *o = !*o)
                    >
                        {move || format!("Queue ({})", count.get())}
                    </button>
                    <button
                        type="button"
                        class="row-button"
                        data-testid="match-loudness"
                        title="Play every item at one loudness (EBU R128, −18 LUFS)"
                        aria-pressed=move || np.match_loudness.get().to_string()
                        on:click=move |_| np.toggle_match_loudness()
                    >
                        "Match loudness"
                    </button>
                </div>
                <p class="np-notice small muted" role="status" data-testid="now-playing-notice">
                    {move || np.notice.get()}
                </p>
            </div>
            {move || np.open.get().then(|| view! { <QueueList np/> })}
        </section>
    }
    .into_any()
}

/// The queue, in play order: click a title to play it; move and remove.
#[component]
fn QueueList(np: NowPlaying) -> impl IntoView {
    let rows = move || {
        np.queue.with(|q| {
            let last = q.tracks.len().saturating_sub(1);
            q.tracks
                .iter()
                .enumerate()
                .map(|(i, track)| {
                    let is_current = q.current == Some(i);
                    let title = track.title.clone();
                    let (up, down, remove) = (
                        format!("Move “{title}” up"),
                        format!("Move “{title}” down"),
                        format!("Remove “{title}” from the queue"),
                    );
                    view! {
                        <li
                            data-testid="queue-item"
                            data-id=track.id.clone()
                            class:current=is_current
                            aria-current=is_current.then_some("true")
                        >
                            <button type="button" class="link-button np-queue-title" on:click=move |_| np.jump(i)>
                                {title}
                            </button>
                            <button type="button" class="np-button" aria-label=up data-testid="queue-up" disabled=i == 0 on:click=move |_| np.move_track(i, i - 1)>"↑"</button>
                            <button type="button" class="np-button" aria-label=down data-testid="queue-down" disabled=i == last on:click=move |_| np.move_track(i, i + 1)>"↓"</button>
                            <button type="button" class="np-button" aria-label=remove data-testid="queue-remove" on:click=move |_| np.remove(i)>"✕"</button>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <ol class="np-queue" data-testid="queue-list" aria-label="Queue">
            {rows}
        </ol>
    }
}

/// Plays what a page lists, in its order, in place of the queue (nothing
/// when none of it plays yet).
#[component]
pub(crate) fn PlayAll(items: Vec<crate::model::MediaItem>) -> impl IntoView {
    let tracks: Vec<Track> = items.iter().filter_map(Track::of).collect();
    let np = NowPlaying::get().filter(|_| !tracks.is_empty());
    let label = format!("Play these {} in order", tracks.len());
    np.map(|np| {
        view! {
            <button
                type="button"
                class="row-button"
                data-testid="play-all"
                aria-label=label
                on:click=move |_| np.play_all(tracks.clone())
            >
                "▶ Play all"
            </button>
        }
    })
}

/// Play, Play next and Add to queue, for one playable item.
#[component]
pub(crate) fn QueueButtons(track: Track) -> impl IntoView {
    let Some(np) = NowPlaying::get() else {
        return ().into_any();
    };
    let title = track.title.clone();
    let (now, next, last) = (track.clone(), track.clone(), track);
    view! {
        <div class="queue-buttons" role="group" aria-label=format!("Play “{title}”")>
            <button
                type="button"
                class="row-button"
                data-testid="play-now"
                aria-label=format!("Play “{title}” now")
                on:click=move |_| np.play_now(now.clone(), 0.0)
            >
                "▶ Play"
            </button>
            <button
                type="button"
                class="row-button"
                data-testid="play-next"
                aria-label=format!("Play “{title}” next")
                on:click=move |_| np.play_next(next.clone())
            >
                "Play next"
            </button>
            <button
                type="button"
                class="row-button"
                data-testid="add-to-queue"
                aria-label=format!("Add “{title}” to the queue")
                on:click=move |_| np.add(last.clone())
            >
                "+ Queue"
            </button>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn the_clock_shows_the_length_once_known() {
        assert_eq!(clock(62.0, 180.0), "1:02 / 3:00");
        assert_eq!(clock(5.0, f64::NAN), "0:05");
        assert_eq!(clock(-1.0, 0.0), "0:00");
    }
}
