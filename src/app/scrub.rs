//! The seek bar under a video with scrub previews: hovering shows the sprite
//! tile for the time under the pointer (the WebVTT thumbnails track, parsed by
//! `crate::vtt`), clicking or the arrow keys seek. The cues are fetched in the
//! browser once the bar is on screen; the bar itself is server-rendered.

use leptos::html;
use leptos::prelude::*;

use super::seek::{self, Clock};

use crate::vtt::{ThumbnailCue, cue_at};

#[component]
pub(crate) fn ScrubBar(
    id: String,
    /// The signature of the thumbnails address, for an item read by its
    /// signed addresses only (a share link).
    sig: Option<String>,
    clock: Clock,
    player: NodeRef<html::Video>,
) -> impl IntoView {
    let root = NodeRef::<html::Div>::new();
    let cues = RwSignal::new(Vec::<ThumbnailCue>::new());
    // Where the pointer is, as a fraction of the bar.
    let hover = RwSignal::new(None::<f64>);

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let (id, sig) = (id.clone(), sig.clone());
        leptos::task::spawn_local(async move {
            if let Ok(list) = crate::api::scrub_cues(id, sig).await {
                let _ = cues.try_set(list);
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, sig);

    let media = move || {
        player
            .get_untracked()
            .map(|el| -> web_sys::HtmlMediaElement { el.into() })
    };
    let pointer_fraction = move |client_x: i32| {
        root.get_untracked()
            .and_then(|el| seek::fraction_at(&el, client_x))
    };
    let on_move = move |ev: web_sys::PointerEvent| hover.set(pointer_fraction(ev.client_x()));
    let on_click = move |ev: web_sys::MouseEvent| {
        if let (Some(fraction), Some(video)) = (pointer_fraction(ev.client_x()), media()) {
            clock.seek_fraction(&video, fraction);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if let Some(video) = media() {
            clock.on_key(&video, &ev);
        }
    };
    let played = move || seek::played_percent(clock.time.get(), clock.duration.get());

    // The hovered time and the tile showing then.
    let preview = Memo::new(move |_| {
        let fraction = hover.get()?;
        let time = fraction * clock.duration.get();
        let tile = cues.with(|cues| {
            cue_at(cues, time).and_then(|cue| cue.tile.map(|t| (cue.image.clone(), t)))
        });
        Some((fraction, time, tile))
    });

    view! {
        <div
            class="scrub-bar"
            data-testid="scrub-bar"
            node_ref=root
            role="slider"
            tabindex="0"
            aria-label="Seek"
            aria-valuemin="0"
            aria-valuemax=move || format!("{:.1}", clock.duration.get())
            aria-valuenow=move || format!("{:.1}", clock.time.get())
            aria-valuetext=move || seek::value_text(clock.time.get(), clock.duration.get())
            on:pointermove=on_move
            on:pointerenter=on_move
            on:pointerleave=move |_| hover.set(None)
            on:click=on_click
            on:keydown=on_key
        >
            <div class="scrub-track">
                <div class="scrub-played" style:width=move || format!("{:.3}%", played())></div>
            </div>
            {move || {
                preview
                    .get()
                    .map(|(fraction, time, tile)| {
                        let tile_style = tile
                            .map(|(image, t)| {
                                format!(
                                    "width:{}px;height:{}px;background-image:url(\"{}\");background-position:-{}px -{}px",
                                    t.w,
                                    t.h,
                                    image,
                                    t.x,
                                    t.y,
                                )
                            });
                        view! {
                            <div
                                class="scrub-preview"
                                data-testid="scrub-preview"
                                style:left=format!("{:.3}%", fraction * 100.0)
                            >
                                {tile_style
                                    .map(|style| {
                                        view! { <div class="scrub-tile" data-testid="scrub-tile" style=style></div> }
                                    })}
                                <span class="scrub-time">{crate::format::duration(time)}</span>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
