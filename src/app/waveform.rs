//! The sound of an audio item, drawn as mirrored rounded bars in SVG: the
//! played part tinted, a playhead, and seeking by click or arrow keys. The
//! bars come from a server function, so the SVG is in the server's HTML.

use leptos::html;
use leptos::prelude::*;

use super::editor::selection::{DragSelect, Selection, SelectionHandles};
use super::seek::{self, Clock};
use crate::model::Bars;

/// The drawing's size in SVG units; the SVG scales uniformly.
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 140.0;
/// The quietest bar still shows as a dot.
const MIN_BAR: f64 = 0.04;

#[component]
pub(crate) fn Waveform(
    bars: Bars,
    clock: Clock,
    /// The audio element it seeks.
    player: NodeRef<html::Audio>,
    /// A trim selection: drawn with its handles, and a pointer drag across
    /// the waveform selects a region (a click still seeks).
    #[prop(optional)]
    selection: Option<Selection>,
) -> impl IntoView {
    let root = NodeRef::<html::Div>::new();
    let drag = DragSelect::new();
    let count = bars.heights.len().max(1);
    let step = WIDTH / count as f64;
    let bar_width = (step * 0.6).max(1.0);
    let rects = move || {
        bars.heights
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let height = (f64::from(*h).max(MIN_BAR)) * (HEIGHT - 8.0);
                let x = i as f64 * step + (step - bar_width) / 2.0;
                let y = (HEIGHT - height) / 2.0;
                view! {
                    <rect
                        x=format!("{x:.2}")
                        y=format!("{y:.2}")
                        width=format!("{bar_width:.2}")
                        height=format!("{height:.2}")
                        rx=format!("{:.2}", bar_width / 2.0)
                    ></rect>
                }
            })
            .collect_view()
    };
    let played = move || seek::played_percent(clock.time.get(), clock.duration.get());
    // One waveform per page, so a fixed id is unique.
    let clip_id = "waveform-played";
    let clip_ref = format!("url(#{clip_id})");
    let media = move || {
        player
            .get_untracked()
            .map(|el| -> web_sys::HtmlMediaElement { el.into() })
    };

    let on_click = move |ev: web_sys::MouseEvent| {
        if drag.take_dragged() {
            return;
        }
        let (Some(el), Some(audio)) = (root.get_untracked(), media()) else {
            return;
        };
        if let Some(fraction) = seek::fraction_at(&el, ev.client_x()) {
            clock.seek_fraction(&audio, fraction);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if let Some(audio) = media() {
            clock.on_key(&audio, &ev);
        }
    };

    let on_down = move |ev: web_sys::PointerEvent| {
        if let (Some(_), Some(el)) = (selection, root.get_untracked()) {
            drag.down(&ev, &el, clock.duration.get_untracked());
        }
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if let (Some(selection), Some(el)) = (selection, root.get_untracked()) {
            drag.moved(&ev, &el, clock.duration.get_untracked(), selection);
        }
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        if let (Some(selection), Some(el)) = (selection, root.get_untracked()) {
            drag.up(&ev, &el, clock.duration.get_untracked(), selection);
        }
    };
    let handles = selection.map(|selection| {
        let on_preview = Callback::new(move |secs: f64| {
            if let Some(audio) = media() {
                clock.seek_to(&audio, secs);
            }
        });
        view! { <SelectionHandles selection duration=clock.duration track=root on_preview/> }
    });

    view! {
        <div class="waveform-frame">
        <div
            class="waveform"
            data-testid="waveform"
            node_ref=root
            role="slider"
            tabindex="0"
            aria-label="Seek in the waveform"
            aria-valuemin="0"
            aria-valuemax=move || format!("{:.1}", clock.duration.get())
            aria-valuenow=move || format!("{:.1}", clock.time.get())
            aria-valuetext=move || seek::value_text(clock.time.get(), clock.duration.get())
            on:click=on_click
            on:keydown=on_key
            on:pointerdown=on_down
            on:pointermove=on_move
            on:pointerup=on_up
        >
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") aria-hidden="true" focusable="false">
                <defs>
                    <clipPath id=clip_id>
                        <rect
                            x="0"
                            y="0"
                            height=HEIGHT.to_string()
                            width=move || format!("{:.2}", played() / 100.0 * WIDTH)
                        ></rect>
                    </clipPath>
                </defs>
                <g class="wave-bars">{rects.clone()}</g>
                <g class="wave-bars played" clip-path=clip_ref>{rects}</g>
            </svg>
            <div
                class="playhead"
                data-testid="waveform-playhead"
                style:left=move || format!("{:.3}%", played())
            ></div>
        </div>
        {handles}
        </div>
    }
}
