//! The sound of an audio item, drawn as mirrored rounded bars in SVG: the
//! played part tinted, a playhead, and seeking by click or arrow keys. The
//! bars come from a server function, so the SVG is in the server's HTML.

use leptos::html;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::editor::selection::{DragSelect, Selection, SelectionHandles};
use super::seek::{self, Clock};
use crate::error::ApiError;
use crate::model::WaveformPeaks;

/// How many bars the waveform has.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub const BARS: usize = 160;
/// The drawing's size in SVG units; the SVG scales uniformly.
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 140.0;
/// The quietest bar still shows as a dot.
const MIN_BAR: f64 = 0.04;

/// What the page draws: one height per bar (0..1), loudest bar 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bars {
    pub duration_secs: f64,
    pub heights: Vec<f32>,
}

/// Folds min/max pairs into `count` bars (fewer when there are fewer
/// pairs), each the loudest peak in its span, scaled so the loudest is 1.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn bars(peaks: &WaveformPeaks, count: usize) -> Bars {
    let pairs: Vec<f32> = peaks
        .peaks
        .chunks_exact(2)
        .take(peaks.length)
        .map(|pair| pair[0].abs().max(pair[1].abs()).min(1.0))
        .collect();
    let count = count.min(pairs.len());
    let mut heights: Vec<f32> = (0..count)
        .map(|bar| {
            let from = bar * pairs.len() / count;
            let to = ((bar + 1) * pairs.len() / count).max(from + 1);
            pairs[from..to].iter().copied().fold(0.0, f32::max)
        })
        .collect();
    let loudest = heights.iter().copied().fold(0.0, f32::max);
    if loudest > 0.001 {
        for h in &mut heights {
            *h /= loudest;
        }
    }
    Bars {
        duration_secs: peaks.duration_secs,
        heights,
    }
}

/// The item's waveform bars, or `None` when it has none (yet).
#[server(endpoint = "waveform_bars")]
pub async fn waveform_bars(id: String) -> Result<Option<Bars>, ApiError> {
    use crate::server::store::{MediaId, Variant};
    let state = crate::server::http::app_state()?;
    let Some(id) = MediaId::parse(&id) else {
        return Ok(None);
    };
    let path = state.store.path(&id, Variant::Waveform);
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            tracing::error!(%id, "cannot read the waveform: {e}");
            return Err(ApiError::new("internal", "The waveform could not be read."));
        }
    };
    match serde_json::from_slice::<WaveformPeaks>(&bytes) {
        Ok(peaks) => Ok(Some(bars(&peaks, BARS))),
        Err(e) => {
            tracing::error!(%id, "unreadable waveform file: {e}");
            Ok(None)
        }
    }
}

#[component]
pub fn Waveform(
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
        let Some(audio) = media() else { return };
        let target = seek::key_target(
            &ev.key(),
            clock.time.get_untracked(),
            clock.duration.get_untracked(),
        );
        if let Some(target) = target {
            ev.prevent_default();
            clock.seek_to(&audio, target);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn peaks(pairs: &[(f32, f32)]) -> WaveformPeaks {
        WaveformPeaks {
            version: 1,
            duration_secs: 2.0,
            length: pairs.len(),
            peaks: pairs.iter().flat_map(|(a, b)| [*a, *b]).collect(),
        }
    }

    #[test]
    fn folds_pairs_into_bars_scaled_to_the_loudest() {
        let p = peaks(&[(-0.1, 0.1), (-0.5, 0.2), (-0.2, 0.25), (0.0, 0.0)]);
        let b = bars(&p, 2);
        assert_eq!(b.heights, vec![1.0, 0.5]);
        assert_eq!(b.duration_secs, 2.0);
    }

    #[test]
    fn never_makes_more_bars_than_pairs_and_keeps_silence_flat() {
        let p = peaks(&[(0.0, 0.0), (0.0, 0.0)]);
        assert_eq!(bars(&p, 160).heights, vec![0.0, 0.0]);
        assert!(bars(&peaks(&[]), 160).heights.is_empty());
    }

    #[test]
    fn uneven_spans_cover_every_pair() {
        let pairs: Vec<(f32, f32)> = (0..7).map(|i| (0.0, i as f32 / 10.0)).collect();
        let b = bars(&peaks(&pairs), 3);
        assert_eq!(b.heights.len(), 3);
        assert_eq!(
            b.heights[2], 1.0,
            "the last bar holds the loudest, last pair"
        );
    }
}
