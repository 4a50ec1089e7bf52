//! What the seek widgets (waveform, scrub bar) share: where a pointer is
//! along an element, and what the keys do.

use leptos::prelude::*;

/// Seconds the arrow keys move.
const STEP_SECS: f64 = 5.0;

/// The fraction (0..1) of `el`'s width at the viewport x `client_x`.
pub(crate) fn fraction_at(el: &web_sys::Element, client_x: i32) -> Option<f64> {
    let rect = el.get_bounding_client_rect();
    (rect.width() > 0.0)
        .then(|| ((f64::from(client_x) - rect.left()) / rect.width()).clamp(0.0, 1.0))
}

/// Where a key press on a seek slider goes, in seconds; `None` for other keys.
pub(crate) fn key_target(key: &str, time: f64, duration: f64) -> Option<f64> {
    if !(duration.is_finite() && duration > 0.0) {
        return None;
    }
    let target = match key {
        "ArrowLeft" | "ArrowDown" => time - STEP_SECS,
        "ArrowRight" | "ArrowUp" => time + STEP_SECS,
        "PageDown" => time - duration / 10.0,
        "PageUp" => time + duration / 10.0,
        "Home" => 0.0,
        "End" => duration,
        _ => return None,
    };
    Some(target.clamp(0.0, duration))
}

/// "0:03 of 0:05" for `aria-valuetext`.
pub(crate) fn value_text(time: f64, duration: f64) -> String {
    format!(
        "{} of {}",
        crate::format::duration(time.max(0.0)),
        crate::format::duration(duration.max(0.0))
    )
}

/// The played share of the whole, as a CSS percentage.
pub(crate) fn played_percent(time: f64, duration: f64) -> f64 {
    if duration > 0.0 && time.is_finite() {
        (time / duration * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// A media element's time and length as signals, kept up to date by its
/// events, and a way to seek it. `duration` starts at what the server knows,
/// so the first render matches on both sides.
#[derive(Clone, Copy)]
pub(crate) struct Clock {
    pub time: RwSignal<f64>,
    pub duration: RwSignal<f64>,
}

impl Clock {
    pub(crate) fn new(known_duration: Option<f64>) -> Self {
        Clock {
            time: RwSignal::new(0.0),
            duration: RwSignal::new(known_duration.unwrap_or(0.0)),
        }
    }

    /// Takes the element's time and duration (on its media events).
    pub(crate) fn sync(&self, media: &web_sys::HtmlMediaElement) {
        self.time.set(media.current_time());
        let duration = media.duration();
        if duration.is_finite() && duration > 0.0 {
            self.duration.set(duration);
        }
    }

    /// Seeks `media` to `fraction` of its duration.
    pub(crate) fn seek_fraction(&self, media: &web_sys::HtmlMediaElement, fraction: f64) {
        let duration = media.duration();
        let duration = if duration.is_finite() && duration > 0.0 {
            duration
        } else {
            self.duration.get_untracked()
        };
        self.seek_to(media, fraction.clamp(0.0, 1.0) * duration);
    }

    pub(crate) fn seek_to(&self, media: &web_sys::HtmlMediaElement, secs: f64) {
        media.set_current_time(secs);
        self.time.set(secs);
    }

    /// What a key pressed on a seek slider does to `media`; the key's
    /// default (scrolling) is kept only for keys that do not seek.
    pub(crate) fn on_key(&self, media: &web_sys::HtmlMediaElement, ev: &web_sys::KeyboardEvent) {
        let target = key_target(
            &ev.key(),
            self.time.get_untracked(),
            self.duration.get_untracked(),
        );
        if let Some(target) = target {
            ev.prevent_default();
            self.seek_to(media, target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_within_the_media() {
        assert_eq!(key_target("ArrowRight", 1.0, 10.0), Some(6.0));
        assert_eq!(key_target("ArrowLeft", 1.0, 10.0), Some(0.0));
        assert_eq!(key_target("ArrowRight", 8.0, 10.0), Some(10.0));
        assert_eq!(key_target("End", 1.0, 10.0), Some(10.0));
        assert_eq!(key_target("Home", 7.0, 10.0), Some(0.0));
        assert_eq!(key_target("PageUp", 1.0, 10.0), Some(2.0));
        assert_eq!(key_target("a", 1.0, 10.0), None);
        assert_eq!(key_target("ArrowRight", 1.0, 0.0), None);
    }

    #[test]
    fn played_share_is_bounded() {
        assert_eq!(played_percent(5.0, 10.0), 50.0);
        assert_eq!(played_percent(15.0, 10.0), 100.0);
        assert_eq!(played_percent(1.0, 0.0), 0.0);
    }
}
