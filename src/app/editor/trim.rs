//! Trim: a start and an end, typed or set on the timeline (the waveform of
//! an audio item; the trim bar here for a video), each previewed by seeking
//! the player there, and a cut mode: fast (stream copy from a keyframe) or
//! exact (re-encoded).

use leptos::html;
use leptos::prelude::*;

use super::selection::{DragSelect, MIN_SECS, Selection, SelectionHandles};
use super::{Source, Submit, format_time, parse_time};
use crate::app::seek::{self, Clock};
use crate::edit::{CutMode, CutPoints, EditRequest};
use crate::model::MediaKind;

/// How close to a keyframe a fast cut must start (the server's tolerance).
const KEYFRAME_TOLERANCE_SECS: f64 = 0.001;
/// How far past the known duration the end may be (players round).
const END_TOLERANCE_SECS: f64 = 0.05;

/// Whether a fast cut can start at a time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FastCut {
    /// The cut points are still being fetched.
    Checking,
    /// Not offered; the text says why.
    Unavailable(String),
    Ready,
    /// The start is between keyframes: the nearest either side.
    NeedsKeyframe {
        before: Option<f64>,
        after: Option<f64>,
    },
}

/// Whether a fast cut can start at `start`, given the item's cut points.
pub(crate) fn fast_cut(points: &CutPoints, start: f64) -> FastCut {
    if points.anywhere {
        return FastCut::Ready;
    }
    if points.keyframes.is_empty() {
        return FastCut::Unavailable("This file cannot be cut without re-encoding.".into());
    }
    if points
        .keyframes
        .iter()
        .any(|k| (k - start).abs() <= KEYFRAME_TOLERANCE_SECS)
    {
        return FastCut::Ready;
    }
    FastCut::NeedsKeyframe {
        before: points.keyframes.iter().copied().rev().find(|k| *k < start),
        after: points.keyframes.iter().copied().find(|k| *k > start),
    }
}

/// What is wrong with a range, before asking the server.
pub(crate) fn range_problem(start: f64, end: f64, duration: f64) -> Option<String> {
    if start >= end {
        return Some(if start == end {
            "The start and end are the same: there is nothing to keep.".into()
        } else {
            "The end comes before the start.".into()
        });
    }
    if duration > 0.0 && end > duration + END_TOLERANCE_SECS {
        return Some(format!(
            "The end is past the end of the recording ({}).",
            format_time(duration)
        ));
    }
    if end - start < MIN_SECS - 1e-9 {
        return Some(format!(
            "The part to keep is too short: at least {MIN_SECS} s."
        ));
    }
    None
}

/// One time field's text, kept in step with the selection.
#[derive(Clone, Copy)]
struct TimeField {
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
}

impl TimeField {
    fn new() -> Self {
        TimeField {
            text: RwSignal::new(String::new()),
            error: RwSignal::new(None),
        }
    }

    /// Shows `secs` unless the field already says that time (while typing).
    fn show(&self, secs: f64) {
        let same = self
            .text
            .with_untracked(|t| parse_time(t).is_ok_and(|t| (t - secs).abs() < 0.0005));
        if !same {
            self.text.set(format_time(secs));
            self.error.set(None);
        }
    }
}

#[component]
pub(crate) fn TrimPanel(
    source: Source,
    clock: Clock,
    selection: Selection,
    /// Seeks the player (previews).
    seek: Callback<f64>,
) -> impl IntoView {
    let submit = Submit::new();
    let start = TimeField::new();
    let end = TimeField::new();
    let mode = RwSignal::new(CutMode::Exact);
    let points = RwSignal::new(None::<Result<CutPoints, String>>);
    let kind = source.kind;

    // Where fast cuts may start: asked once, in the browser.
    #[cfg(feature = "hydrate")]
    {
        let id = source.id.clone();
        leptos::task::spawn_local(async move {
            let answer = crate::api::fast_cut_points(id).await.map_err(|e| e.message);
            let _ = points.try_set(Some(answer));
        });
    }

    // The fields follow the selection (drags on the timeline, handles).
    Effect::new(move |_| {
        if let Some((a, b)) = selection.get() {
            start.show(a);
            end.show(b);
        }
    });

    let duration = clock.duration;
    let on_input = move |field: TimeField, is_start: bool| {
        move |ev: web_sys::Event| {
            let text = event_target_value(&ev);
            field.text.set(text.clone());
            match parse_time(&text) {
                Ok(secs) => {
                    field.error.set(None);
                    submit.error.set(None);
                    let whole = duration.get_untracked();
                    selection.update(|s| {
                        let (a, b) = s.unwrap_or((0.0, whole));
                        *s = Some(if is_start { (secs, b) } else { (a, secs) });
                    });
                }
                Err(message) => field.error.set(Some(message)),
            }
        }
    };
    // Leaving a field tidies what was typed ("1.5" → "0:01.500").
    let on_change = move |field: TimeField| {
        move |_: web_sys::Event| {
            if let Ok(secs) = field.text.with_untracked(|t| parse_time(t)) {
                field.text.set(format_time(secs));
            }
        }
    };

    let range = Memo::new(move |_| selection.get());
    let problem = Memo::new(move |_| {
        let (a, b) = range.get()?;
        range_problem(a, b, duration.get())
    });
    let fast = Memo::new(move |_| match points.get() {
        None => FastCut::Checking,
        Some(Err(message)) => FastCut::Unavailable(message),
        Some(Ok(points)) => fast_cut(&points, range.get().map_or(0.0, |r| r.0)),
    });
    let fast_ready = Memo::new(move |_| fast.with(|f| *f == FastCut::Ready));
    // A fast cut chosen before the start moved off a keyframe becomes exact.
    Effect::new(move |_| {
        if !fast_ready.get() && mode.get_untracked() == CutMode::Fast {
            mode.set(CutMode::Exact);
        }
    });

    let snap = move |to: f64| {
        selection.update(|s| {
            let whole = duration.get_untracked();
            let (_, b) = s.unwrap_or((0.0, whole));
            *s = Some((to, b));
        });
        seek.run(to);
    };
    let fast_note = move || match fast.get() {
        FastCut::Checking => {
            view! { <p class="trim-note muted">"Checking where a fast cut can start…"</p> }
                .into_any()
        }
        FastCut::Ready => ().into_any(),
        FastCut::Unavailable(message) => {
            view! { <p class="trim-note muted" data-testid="fast-unavailable">{message}</p> }
                .into_any()
        }
        FastCut::NeedsKeyframe { before, after } => {
            let nearest = [before, after]
                .into_iter()
                .flatten()
                .map(format_time)
                .collect::<Vec<_>>()
                .join(" / ");
            let button = move |at: Option<f64>| {
                at.map(|at| {
                    view! {
                        <button type="button" class="link-button" data-testid="snap-keyframe" on:click=move |_| snap(at)>
                            {format!("snap to {}", format_time(at))}
                        </button>
                    }
                })
            };
            view! {
                <p class="trim-note" data-testid="fast-needs-keyframe">
                    {format!("Fast cut needs a keyframe start: nearest {nearest} — ")}
                    {button(before)}
                    {(before.is_some() && after.is_some()).then_some(" or ")}
                    {button(after)}
                </p>
            }
            .into_any()
        }
    };

    let can_save = move || range.get().is_some() && problem.with(Option::is_none);
    let save = {
        let id = source.id.clone();
        let go = source.go;
        move |ev: web_sys::SubmitEvent| {
            ev.prevent_default();
            let Some((a, b)) = range.get_untracked() else {
                submit
                    .error
                    .set(Some("Choose a start and an end first.".into()));
                return;
            };
            if let Some(problem) = problem.get_untracked() {
                submit.error.set(Some(problem));
                return;
            }
            let request = EditRequest::Trim {
                start_secs: a,
                end_secs: b,
                mode: mode.get_untracked(),
            };
            submit.send(id.clone(), request, go);
        }
    };
    let preview = move |is_start: bool| {
        move |_| {
            if let Some((a, b)) = range.get_untracked() {
                seek.run(if is_start { a } else { b });
            }
        }
    };
    let kept = move || {
        range
            .get()
            .filter(|_| problem.with(Option::is_none))
            .map(|(a, b)| format!("Keeps {}", format_time(b - a)))
    };

    let field = move |field: TimeField, is_start: bool| {
        let (id, label, testid, preview_testid, preview_label) = if is_start {
            (
                "trim-start",
                "Start",
                "trim-start",
                "preview-start",
                "Preview start",
            )
        } else {
            ("trim-end", "End", "trim-end", "preview-end", "Preview end")
        };
        let error_id = format!("{id}-error");
        view! {
            <div class="trim-field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="0:00.000"
                    data-testid=testid
                    aria-invalid=move || field.error.with(Option::is_some).to_string()
                    aria-describedby=error_id.clone()
                    prop:value=move || field.text.get()
                    on:input=on_input(field, is_start)
                    on:change=on_change(field)
                />
                <button
                    type="button"
                    class="row-button"
                    data-testid=preview_testid
                    disabled=move || range.with(Option::is_none)
                    on:click=preview(is_start)
                >
                    {preview_label}
                </button>
                <p class="field-error" id=error_id data-testid=format!("{id}-error")>
                    {move || field.error.get()}
                </p>
            </div>
        }
    };

    let radio = move |value: CutMode| {
        let (key, label, hint) = match value {
            CutMode::Fast => ("fast", "Fast", "no re-encode, starts on a keyframe"),
            CutMode::Exact => ("exact", "Exact", "re-encodes, frame-accurate"),
        };
        let disabled = move || value == CutMode::Fast && !fast_ready.get();
        view! {
            <label class="cut-mode-option" class:disabled=disabled>
                <input
                    type="radio"
                    name="cut-mode"
                    value=key
                    data-testid=format!("mode-{key}")
                    prop:checked=move || mode.get() == value
                    disabled=disabled
                    on:change=move |_| mode.set(value)
                />
                <span class="cut-mode-label">{label}</span>
                <span class="cut-mode-hint muted">{format!(" — {hint}")}</span>
            </label>
        }
    };

    let timeline = match kind {
        MediaKind::Video => view! { <TrimBar clock selection seek/> }.into_any(),
        MediaKind::Audio => view! {
            <p class="trim-note muted">
                "Drag across the waveform to select, move the handles, or type the times."
            </p>
        }
        .into_any(),
    };

    view! {
        <form class="trim" on:submit=save novalidate>
            {timeline}
            <div class="trim-fields">
                {field(start, true)}
                {field(end, false)}
            </div>
            <p class="trim-kept" data-testid="trim-kept">{kept}</p>
            <p class="field-error" data-testid="trim-problem">{move || problem.get()}</p>
            <fieldset class="cut-mode">
                <legend>"Cut"</legend>
                {radio(CutMode::Fast)}
                {radio(CutMode::Exact)}
            </fieldset>
            {fast_note}
            <div class="editor-actions">
                <button
                    type="submit"
                    class="button"
                    data-testid="trim-save"
                    disabled=move || submit.pending.get() || !can_save()
                >
                    {move || if submit.pending.get() { "Saving…" } else { "Save selection as a new item" }}
                </button>
                {submit.error_view()}
            </div>
        </form>
    }
}

/// The video's timeline for trimming: drag across it to select, or move the
/// handles; a playhead shows where the player is.
#[component]
fn TrimBar(clock: Clock, selection: Selection, seek: Callback<f64>) -> impl IntoView {
    let track = NodeRef::<html::Div>::new();
    let drag = DragSelect::new();
    let duration = clock.duration;
    let with_track = move |f: &dyn Fn(&web_sys::Element)| {
        if let Some(el) = track.get_untracked() {
            f(&el);
        }
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        with_track(&|el| drag.down(&ev, el, duration.get_untracked()));
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        with_track(&|el| drag.moved(&ev, el, duration.get_untracked(), selection));
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        with_track(&|el| drag.up(&ev, el, duration.get_untracked(), selection));
    };
    // A click without a drag shows that moment in the player.
    let on_click = move |ev: web_sys::MouseEvent| {
        if drag.take_dragged() {
            return;
        }
        let (Some(el), true) = (track.get_untracked(), duration.get_untracked() > 0.0) else {
            return;
        };
        if let Some(fraction) = seek::fraction_at(&el, ev.client_x()) {
            seek.run(fraction * duration.get_untracked());
        }
    };
    let played = move || seek::played_percent(clock.time.get(), duration.get());

    view! {
        <div class="trim-bar-frame">
            <div
                class="trim-bar"
                data-testid="trim-bar"
                node_ref=track
                aria-hidden="true"
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:click=on_click
            >
                <div class="trim-bar-track"></div>
                <div class="trim-bar-playhead" style:left=move || format!("{:.3}%", played())></div>
            </div>
            <SelectionHandles selection duration track on_preview=seek/>
        </div>
        <p class="trim-note muted">
            "Drag across the bar to select, move the handles, or type the times."
        </p>
    }
}

#[cfg(test)]
mod tests;
