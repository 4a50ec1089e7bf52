//! A trim selection drawn over a timeline (the waveform of an audio item, the
//! trim bar under a video): a shaded region between two handles that can be
//! dragged with a pointer or moved with the keys, and a pointer drag on the
//! timeline itself that selects a new region.

use leptos::html;
use leptos::prelude::*;

use crate::app::seek;

/// The shortest selection the handles allow, in seconds (the server refuses
/// shorter trims too).
pub(crate) const MIN_SECS: f64 = 0.1;
/// How far a pointer must move (CSS pixels) before a press becomes a drag;
/// less is a click (which seeks).
const DRAG_THRESHOLD_PX: i32 = 4;
/// Seconds an arrow key moves a handle; with Shift, `BIG_STEP_SECS`.
const STEP_SECS: f64 = 0.1;
const BIG_STEP_SECS: f64 = 1.0;

/// A selected range `(start, end)` in seconds; `None` before anything is
/// selected. Typed times may come in either order until corrected.
pub(crate) type Selection = RwSignal<Option<(f64, f64)>>;

/// Which end of the selection a handle moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handle {
    Start,
    End,
}

/// Rounds to whole milliseconds (what the time fields show).
pub(crate) fn round_ms(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

/// The selection with `handle` moved to `to`, kept in order, at least
/// `MIN_SECS` long and within `0..=duration`.
pub(crate) fn move_handle(range: (f64, f64), handle: Handle, to: f64, duration: f64) -> (f64, f64) {
    let (start, end) = if range.0 <= range.1 {
        range
    } else {
        (range.1, range.0)
    };
    let duration = duration.max(MIN_SECS);
    match handle {
        Handle::Start => {
            let limit = (end.min(duration) - MIN_SECS).max(0.0);
            (round_ms(to.clamp(0.0, limit)), end.min(duration))
        }
        Handle::End => {
            let start = start.min(duration - MIN_SECS).max(0.0);
            (start, round_ms(to.clamp(start + MIN_SECS, duration)))
        }
    }
}

/// Where a key press on a handle moves it to; `None` for other keys.
pub(crate) fn key_target(
    key: &str,
    shift: bool,
    range: (f64, f64),
    handle: Handle,
    duration: f64,
) -> Option<f64> {
    let at = match handle {
        Handle::Start => range.0.min(range.1),
        Handle::End => range.0.max(range.1),
    };
    let step = if shift { BIG_STEP_SECS } else { STEP_SECS };
    Some(match key {
        "ArrowLeft" | "ArrowDown" => at - step,
        "ArrowRight" | "ArrowUp" => at + step,
        "PageDown" => at - duration / 10.0,
        "PageUp" => at + duration / 10.0,
        "Home" => 0.0,
        "End" => duration,
        _ => return None,
    })
}

/// The region's left edge and width as CSS percentages of the duration.
pub(crate) fn region_percent(range: (f64, f64), duration: f64) -> (f64, f64) {
    let (start, end) = (range.0.min(range.1), range.0.max(range.1));
    let left = seek::played_percent(start, duration);
    let right = seek::played_percent(end, duration);
    (left, (right - left).max(0.0))
}

/// "0:01.500 to 0:04.500 of 0:06.000" style text for one handle.
fn handle_text(at: f64) -> String {
    super::format_time(at)
}

/// Selecting a region by dragging across a timeline element. A press that
/// does not move is left to the element's click (which seeks).
#[derive(Clone, Copy)]
pub(crate) struct DragSelect {
    /// The pointer's starting x and the time under it, while pressed.
    anchor: StoredValue<Option<(i32, f64)>>,
    /// The last press became a drag: its click must not seek.
    dragged: StoredValue<bool>,
}

impl DragSelect {
    pub(crate) fn new() -> Self {
        DragSelect {
            anchor: StoredValue::new(None),
            dragged: StoredValue::new(false),
        }
    }

    pub(crate) fn down(&self, ev: &web_sys::PointerEvent, track: &web_sys::Element, duration: f64) {
        self.dragged.set_value(false);
        if ev.button() != 0 || duration.is_nan() || duration <= 0.0 {
            return;
        }
        if let Some(fraction) = seek::fraction_at(track, ev.client_x()) {
            self.anchor
                .set_value(Some((ev.client_x(), round_ms(fraction * duration))));
            let _ = track.set_pointer_capture(ev.pointer_id());
        }
    }

    pub(crate) fn moved(
        &self,
        ev: &web_sys::PointerEvent,
        track: &web_sys::Element,
        duration: f64,
        selection: Selection,
    ) {
        let Some((x, anchor)) = self.anchor.get_value() else {
            return;
        };
        if !self.dragged.get_value() && (ev.client_x() - x).abs() < DRAG_THRESHOLD_PX {
            return;
        }
        self.dragged.set_value(true);
        if let Some(fraction) = seek::fraction_at(track, ev.client_x()) {
            let at = round_ms(fraction * duration);
            let range = (anchor.min(at), anchor.max(at));
            selection.set(Some(range));
        }
    }

    /// Ends the press; a drag too short to keep becomes no selection change.
    pub(crate) fn up(
        &self,
        ev: &web_sys::PointerEvent,
        track: &web_sys::Element,
        duration: f64,
        selection: Selection,
    ) {
        if self.anchor.get_value().is_none() {
            return;
        }
        if self.dragged.get_value() {
            self.moved(ev, track, duration, selection);
            // A drag shorter than a trim may be is widened to the minimum.
            if let Some((start, end)) = selection.get_untracked()
                && end - start < MIN_SECS
            {
                selection.set(Some(move_handle(
                    (start, end),
                    Handle::End,
                    start + MIN_SECS,
                    duration,
                )));
            }
        }
        self.anchor.set_value(None);
        let _ = track.release_pointer_capture(ev.pointer_id());
    }

    /// Whether the click that ends this press should be ignored (it ended a drag).
    pub(crate) fn take_dragged(&self) -> bool {
        let dragged = self.dragged.get_value();
        self.dragged.set_value(false);
        dragged
    }
}

/// The shaded region and its two handles, absolutely placed over `track`
/// (the element whose width is the whole duration). `on_preview` is called
/// with a handle's time when it was moved, to show that frame in the player.
#[component]
pub(crate) fn SelectionHandles(
    selection: Selection,
    #[prop(into)] duration: Signal<f64>,
    track: NodeRef<html::Div>,
    on_preview: Callback<f64>,
) -> impl IntoView {
    let shown = Memo::new(move |_| selection.with(Option::is_some) && duration.get() > 0.0);
    let range = move || selection.get().unwrap_or((0.0, 0.0));
    let region = move || region_percent(range(), duration.get());

    let handle = move |which: Handle| {
        let dragging = StoredValue::new(false);
        let at = move || {
            let (a, b) = range();
            match which {
                Handle::Start => a.min(b),
                Handle::End => a.max(b),
            }
        };
        let move_to = move |to: f64| {
            let current = selection.get_untracked()?;
            let next = move_handle(current, which, to, duration.get_untracked());
            selection.set(Some(next));
            Some(match which {
                Handle::Start => next.0,
                Handle::End => next.1,
            })
        };
        let to_pointer = move |ev: &web_sys::PointerEvent| {
            let el = track.get_untracked()?;
            let fraction = seek::fraction_at(&el, ev.client_x())?;
            move_to(fraction * duration.get_untracked())
        };
        let on_down = move |ev: web_sys::PointerEvent| {
            if ev.button() != 0 {
                return;
            }
            ev.stop_propagation();
            ev.prevent_default();
            dragging.set_value(true);
            let el = event_target::<web_sys::Element>(&ev);
            let _ = el.set_pointer_capture(ev.pointer_id());
            // Focus follows the pointer, so the keys go on from here.
            let _ = event_target::<web_sys::HtmlElement>(&ev).focus();
        };
        let on_move = move |ev: web_sys::PointerEvent| {
            if dragging.get_value() {
                to_pointer(&ev);
            }
        };
        let on_up = move |ev: web_sys::PointerEvent| {
            if !dragging.get_value() {
                return;
            }
            dragging.set_value(false);
            let el = event_target::<web_sys::Element>(&ev);
            let _ = el.release_pointer_capture(ev.pointer_id());
            if let Some(at) = to_pointer(&ev) {
                on_preview.run(at);
            }
        };
        let on_key = move |ev: web_sys::KeyboardEvent| {
            let Some(current) = selection.get_untracked() else {
                return;
            };
            let target = key_target(
                &ev.key(),
                ev.shift_key(),
                current,
                which,
                duration.get_untracked(),
            );
            if let Some(target) = target {
                ev.prevent_default();
                ev.stop_propagation();
                if let Some(at) = move_to(target) {
                    on_preview.run(at);
                }
            }
        };
        let (testid, label, class) = match which {
            Handle::Start => ("trim-start-handle", "Selection start", "trim-handle start"),
            Handle::End => ("trim-end-handle", "Selection end", "trim-handle end"),
        };
        view! {
            <div
                class=class
                data-testid=testid
                role="slider"
                tabindex="0"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax=move || format!("{:.3}", duration.get())
                aria-valuenow=move || format!("{:.3}", at())
                aria-valuetext=move || handle_text(at())
                aria-keyshortcuts="ArrowLeft ArrowRight Shift+ArrowLeft Shift+ArrowRight Home End"
                style:left=move || format!("{:.3}%", seek::played_percent(at(), duration.get()))
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=move |_| dragging.set_value(false)
                on:click=|ev: web_sys::MouseEvent| ev.stop_propagation()
                on:keydown=on_key
            ></div>
        }
    };

    move || {
        shown.get().then(|| {
            view! {
                <div
                    class="trim-region"
                    data-testid="trim-region"
                    aria-hidden="true"
                    style:left=move || format!("{:.3}%", region().0)
                    style:width=move || format!("{:.3}%", region().1)
                ></div>
                {handle(Handle::Start)}
                {handle(Handle::End)}
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_stay_in_order_and_inside() {
        assert_eq!(move_handle((1.0, 4.0), Handle::Start, 2.0, 6.0), (2.0, 4.0));
        assert_eq!(move_handle((1.0, 4.0), Handle::Start, 5.0, 6.0), (3.9, 4.0));
        assert_eq!(
            move_handle((1.0, 4.0), Handle::Start, -3.0, 6.0),
            (0.0, 4.0)
        );
        assert_eq!(move_handle((1.0, 4.0), Handle::End, 9.0, 6.0), (1.0, 6.0));
        assert_eq!(move_handle((1.0, 4.0), Handle::End, 0.5, 6.0), (1.0, 1.1));
        // Typed times in the wrong order are put right by the first move.
        assert_eq!(move_handle((4.0, 1.0), Handle::End, 5.0, 6.0), (1.0, 5.0));
    }

    #[test]
    fn keys_move_a_handle_by_steps() {
        let r = (1.0, 4.0);
        assert_eq!(
            key_target("ArrowRight", false, r, Handle::Start, 6.0),
            Some(1.1)
        );
        assert_eq!(
            key_target("ArrowLeft", true, r, Handle::End, 6.0),
            Some(3.0)
        );
        assert_eq!(key_target("End", false, r, Handle::End, 6.0), Some(6.0));
        assert_eq!(key_target("x", false, r, Handle::End, 6.0), None);
    }

    #[test]
    fn region_is_a_share_of_the_whole() {
        assert_eq!(region_percent((1.5, 4.5), 6.0), (25.0, 50.0));
        assert_eq!(region_percent((4.5, 1.5), 6.0), (25.0, 50.0));
        assert_eq!(region_percent((1.0, 2.0), 0.0), (0.0, 0.0));
    }
}
