//! What the media page adds around the browser's own player: keyboard
//! shortcuts, a speed selector, the volume and mute remembered across items,
//! resuming where the viewer left off, and links to the neighbouring items.
//!
//! Everything remembered lives in the browser's local storage:
//! `reel.volume`, `reel.muted` and `reel.position.<id>`. It is applied only
//! in the browser, after hydration, so the server's HTML never depends on it.
//!
//! Shortcuts work wherever focus is, except in text fields, selects and
//! editable content; on a seek slider (waveform, scrub bar) the arrow keys
//! stay the slider's, and on a button Space and Enter press the button.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

mod neighbours;

pub(crate) use neighbours::NeighbourLinks;

use super::now_playing::{NowPlaying, Track};
use super::seek;
use crate::format;
use crate::model::Chapter;
use crate::model::tags::chapter_target;

/// The speeds offered, slowest first.
pub(crate) const SPEEDS: [f64; 7] = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
/// A saved position this close to the end starts the item over.
const RESUME_TAIL_SECS: f64 = 5.0;
/// Positions before this are not worth resuming.
const RESUME_MIN_SECS: f64 = 1.0;
/// While playing, the position is saved once per this much media time.
const SAVE_EVERY_SECS: f64 = 2.0;

const VOLUME_KEY: &str = "reel.volume";
const MUTED_KEY: &str = "reel.muted";

fn position_key(id: &str) -> String {
    format!("reel.position.{id}")
}

/// What a key does to the player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortcut {
    TogglePlay,
    /// Seek by the sliders' step, forward when true.
    Seek(bool),
    Fullscreen,
    Mute,
}

impl Shortcut {
    pub(crate) fn of(key: &str) -> Option<Self> {
        Some(match key {
            " " | "k" | "K" => Shortcut::TogglePlay,
            "ArrowLeft" => Shortcut::Seek(false),
            "ArrowRight" => Shortcut::Seek(true),
            "f" | "F" => Shortcut::Fullscreen,
            "m" | "M" => Shortcut::Mute,
            _ => return None,
        })
    }
}

/// Where to resume a saved position in an item `duration` long: `None` when
/// it is too near either end (or not a time at all).
pub(crate) fn resume_at(saved: f64, duration: f64) -> Option<f64> {
    if !saved.is_finite() || saved < RESUME_MIN_SECS {
        return None;
    }
    if duration.is_finite() && saved > duration - RESUME_TAIL_SECS {
        return None;
    }
    Some(saved)
}

/// A stored volume, if it is one.
pub(crate) fn parse_volume(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..=1.0).contains(v))
}

/// The `<option>` value of a speed: "0.5", "1", "1.25".
fn speed_value(rate: f64) -> String {
    format!("{rate}")
}

/// "1×", "0.5×".
fn speed_label(rate: f64) -> String {
    format!("{rate}×")
}

/// Whether a key press belongs to what has focus rather than to the player.
fn belongs_to_focus(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return true;
    }
    let Some(target) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return false;
    };
    if target.is_content_editable() {
        return true;
    }
    let key = ev.key();
    match target.tag_name().to_ascii_uppercase().as_str() {
        "INPUT" | "TEXTAREA" | "SELECT" => return true,
        "BUTTON" | "SUMMARY" if key == " " || key == "Enter" => return true,
        _ => {}
    }
    let slider = target.get_attribute("role").as_deref() == Some("slider");
    slider && seek::key_target(&key, 0.0, 1.0).is_some()
}

/// The browser's storage, playback and fullscreen calls. Only event handlers
/// reach them, and events only happen in the browser.
pub(crate) mod browser {
    use wasm_bindgen::prelude::*;

    pub(crate) fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub(crate) fn load(key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }

    pub(crate) fn store(key: &str, value: &str) {
        if let Some(s) = storage() {
            // Full or forbidden storage only costs the memory.
            let _ = s.set_item(key, value);
        }
    }

    pub(crate) fn forget(key: &str) {
        if let Some(s) = storage() {
            let _ = s.remove_item(key);
        }
    }

    thread_local! {
        /// Swallows a refused `play()` (a pause before it started, a policy).
        static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_| {});
    }

    pub(crate) fn play(media: &web_sys::HtmlMediaElement) {
        if let Ok(promise) = media.play() {
            IGNORE.with(|ignore| {
                let _ = promise.catch(ignore);
            });
        }
    }

    pub(crate) fn toggle_fullscreen(target: Option<web_sys::Element>) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        } else if let Some(el) = target {
            let _ = el.request_fullscreen();
        }
    }
}

/// The page's player: its element (video or audio), the chosen speed and
/// the resume notice. Copy, so every handler can hold it.
#[derive(Clone, Copy)]
pub(crate) struct Playback {
    id: StoredValue<String>,
    video: NodeRef<html::Video>,
    audio: NodeRef<html::Audio>,
    rate: RwSignal<f64>,
    /// The position playback resumed at, while the notice shows.
    resumed: RwSignal<Option<f64>>,
    /// Media time of the last saved position.
    saved_at: StoredValue<f64>,
    /// Set once the element's metadata was handled: saving before that would
    /// overwrite the position about to be resumed.
    armed: StoredValue<bool>,
    /// What the page plays, for the shell's player when the page goes away
    /// while it plays.
    track: StoredValue<Option<Track>>,
    /// The item's chapters, for `Shift+←/→`.
    chapters: StoredValue<Vec<Chapter>>,
    /// Where the address asks playback to start (`?t=`), over the saved position.
    start: StoredValue<Option<f64>>,
}

impl Playback {
    pub(crate) fn new(
        id: String,
        video: NodeRef<html::Video>,
        audio: NodeRef<html::Audio>,
        track: Option<Track>,
    ) -> Self {
        Playback {
            track: StoredValue::new(track),
            id: StoredValue::new(id),
            video,
            audio,
            rate: RwSignal::new(1.0),
            resumed: RwSignal::new(None),
            saved_at: StoredValue::new(0.0),
            armed: StoredValue::new(false),
            chapters: StoredValue::new(Vec::new()),
            start: StoredValue::new(None),
        }
    }

    /// Starts playback at `at` seconds once the element has loaded.
    pub(crate) fn start_at(&self, at: f64) {
        self.start.set_value(Some(at));
    }

    /// The chapters `Shift+←/→` jumps between.
    pub(crate) fn set_chapters(&self, chapters: Vec<Chapter>) {
        self.chapters.try_set_value(chapters);
    }

    fn media(&self) -> Option<web_sys::HtmlMediaElement> {
        let video = self.video.try_get_untracked().flatten().map(Into::into);
        video.or_else(|| self.audio.try_get_untracked().flatten().map(Into::into))
    }

    /// Handles the element's media events (`loadedmetadata`, `timeupdate`,
    /// `play`, `pause`, `ended`, `volumechange`, `ratechange`).
    pub(crate) fn event(&self, ev: &web_sys::Event) {
        let media = event_target::<web_sys::HtmlMediaElement>(ev);
        let kind = ev.type_();
        if matches!(kind.as_str(), "play" | "pause" | "ended")
            && let Some(shell) = NowPlaying::get()
        {
            shell.page_media_event(ev, self.track.try_get_value().flatten());
        }
        match kind.as_str() {
            "loadedmetadata" => self.loaded(&media),
            "timeupdate" => {
                let moved = self
                    .saved_at
                    .try_get_value()
                    .is_some_and(|at| (media.current_time() - at).abs() >= SAVE_EVERY_SECS);
                if moved {
                    self.save(&media);
                }
            }
            "pause" | "ended" => self.save(&media),
            "volumechange" => self.save_volume(&media),
            "ratechange" => {
                let _ = self.rate.try_set(media.playback_rate());
            }
            _ => {}
        }
    }

    /// Applies what is remembered to a freshly loaded element: volume, mute,
    /// the chosen speed and the saved position.
    fn loaded(&self, media: &web_sys::HtmlMediaElement) {
        if let Some(volume) = browser::load(VOLUME_KEY).as_deref().and_then(parse_volume) {
            media.set_volume(volume);
        }
        if let Some(muted) = browser::load(MUTED_KEY) {
            media.set_muted(muted == "true");
        }
        if let Some(rate) = self.rate.try_get_untracked() {
            media.set_default_playback_rate(rate);
            media.set_playback_rate(rate);
        }
        let Some(key) = self.id.try_with_value(|id| position_key(id)) else {
            return;
        };
        let saved = browser::load(&key).and_then(|s| s.parse::<f64>().ok());
        if let Some(at) = self.start.try_get_value().flatten() {
            self.start.try_set_value(None);
            media.set_current_time(at.min(media.duration().max(0.0)));
        } else if media.current_time() < RESUME_MIN_SECS {
            match saved.and_then(|at| resume_at(at, media.duration())) {
                Some(at) => {
                    media.set_current_time(at);
                    let _ = self.resumed.try_set(Some(at));
                }
                None if saved.is_some() => browser::forget(&key),
                None => {}
            }
        }
        self.saved_at.try_set_value(media.current_time());
        self.armed.try_set_value(true);
    }

    /// Remembers the position, or forgets it near either end.
    fn save(&self, media: &web_sys::HtmlMediaElement) {
        if self.armed.try_get_value() != Some(true) {
            return;
        }
        let Some(key) = self.id.try_with_value(|id| position_key(id)) else {
            return;
        };
        let at = media.current_time();
        self.saved_at.try_set_value(at);
        if media.ended() || resume_at(at, media.duration()).is_none() {
            browser::forget(&key);
        } else {
            browser::store(&key, &format!("{at:.2}"));
        }
    }

    fn save_volume(&self, media: &web_sys::HtmlMediaElement) {
        if self.armed.try_get_value() != Some(true) {
            return;
        }
        browser::store(VOLUME_KEY, &format!("{:.3}", media.volume()));
        browser::store(MUTED_KEY, if media.muted() { "true" } else { "false" });
    }

    /// Saves the position now (the page is going away).
    fn save_now(&self) {
        if let Some(media) = self.media() {
            self.save(&media);
        }
    }

    fn set_rate(&self, rate: f64) {
        self.rate.set(rate);
        if let Some(media) = self.media() {
            media.set_default_playback_rate(rate);
            media.set_playback_rate(rate);
        }
    }

    fn start_over(&self) {
        self.resumed.set(None);
        if let Some(media) = self.media() {
            media.set_current_time(0.0);
            self.save(&media);
        }
    }

    fn on_key(&self, ev: &web_sys::KeyboardEvent) {
        let key = ev.key();
        if ev.shift_key() && matches!(key.as_str(), "ArrowLeft" | "ArrowRight") {
            return self.jump_chapter(ev, key == "ArrowRight");
        }
        let Some(shortcut) = Shortcut::of(&key) else {
            return;
        };
        if belongs_to_focus(ev) || self.armed.try_get_value().is_none() {
            return;
        }
        let Some(media) = self.media() else { return };
        let repeated = ev.repeat() && !matches!(shortcut, Shortcut::Seek(_));
        // Also keeps Space from scrolling the page.
        ev.prevent_default();
        if repeated {
            return;
        }
        match shortcut {
            Shortcut::TogglePlay if media.paused() => browser::play(&media),
            Shortcut::TogglePlay => {
                let _ = media.pause();
            }
            Shortcut::Seek(forward) => {
                let key = if forward { "ArrowRight" } else { "ArrowLeft" };
                if let Some(at) = seek::key_target(key, media.current_time(), media.duration()) {
                    media.set_current_time(at);
                }
            }
            Shortcut::Mute => media.set_muted(!media.muted()),
            Shortcut::Fullscreen => {
                // A video fills the screen; for audio, its stage does.
                let target = match self.video.get_untracked() {
                    Some(video) => Some(web_sys::Element::from(video)),
                    None => media.closest(".audio-stage").ok().flatten(),
                };
                browser::toggle_fullscreen(target);
            }
        }
    }
}

impl Playback {
    /// `Shift+←/→`: to the next chapter, or back to this one's start (the
    /// one before when this one has only just begun).
    fn jump_chapter(&self, ev: &web_sys::KeyboardEvent, forward: bool) {
        if belongs_to_focus(ev) || self.armed.try_get_value().is_none() {
            return;
        }
        let Some(media) = self.media() else { return };
        let target = self
            .chapters
            .try_with_value(|list| chapter_target(list, media.current_time(), forward))
            .flatten();
        if let Some(at) = target {
            ev.prevent_default();
            media.set_current_time(at);
        }
    }
}

/// The row under the player: speed, the resume notice, the shortcuts. It
/// also listens for the shortcuts while it is on the page.
#[component]
pub(crate) fn PlayerBar(playback: Playback) -> impl IntoView {
    let keys = window_event_listener(ev::keydown, move |ev| playback.on_key(&ev));
    let leaving = window_event_listener(ev::pagehide, move |_| playback.save_now());
    // Leaving the page while it plays: the shell's player carries on.
    let shell = NowPlaying::get();
    on_cleanup(move || {
        keys.remove();
        leaving.remove();
        if let Some(shell) = shell {
            shell.page_left_now();
        }
    });
    // The metadata may have loaded before the app hydrated (and listened).
    Effect::new(move |_| {
        let video = playback.video.get().map(web_sys::HtmlMediaElement::from);
        let media = video.or_else(|| playback.audio.get().map(Into::into));
        if let Some(media) = media
            && media.ready_state() >= 1
        {
            playback.loaded(&media);
        }
    });

    let on_speed = move |ev: web_sys::Event| {
        if let Ok(rate) = event_target_value(&ev).parse::<f64>() {
            playback.set_rate(rate);
        }
    };
    let options = SPEEDS
        .iter()
        .map(|&speed| {
            view! {
                <option
                    value=speed_value(speed)
                    selected=speed == 1.0
                    prop:selected=move || playback.rate.get() == speed
                >
                    {speed_label(speed)}
                </option>
            }
        })
        .collect_view();
    let notice = move || {
        playback.resumed.get().map(|at| {
            view! {
                "Resumed at "
                <span data-testid="resume-time">{format::duration(at)}</span>
                " — "
                <button
                    type="button"
                    class="link-button"
                    data-testid="start-over"
                    aria-label="Start over from the beginning"
                    on:click=move |_| playback.start_over()
                >
                    "start over"
                </button>
            }
        })
    };

    view! {
        <div class="player-bar">
            <label class="speed">
                <span>"Speed"</span>
                <select data-testid="playback-speed" aria-label="Playback speed" on:change=on_speed>
                    {options}
                </select>
            </label>
            <p class="resume-notice" data-testid="resume-notice" role="status">{notice}</p>
            <p class="shortcuts muted small" aria-label="Keyboard shortcuts">
                <kbd>"Space"</kbd>"/"<kbd>"K"</kbd>" play · "
                <kbd>"←"</kbd>"/"<kbd>"→"</kbd>" 5 s · "
                <kbd>"Shift+←"</kbd>"/"<kbd>"→"</kbd>" chapter · "
                <kbd>"F"</kbd>" full screen · "
                <kbd>"M"</kbd>" mute · "
                <kbd>"N"</kbd>"/"<kbd>"P"</kbd>" next/previous"
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests;
