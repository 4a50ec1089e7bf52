//! The shell player's browser side: the element's events, local storage,
//! the hand-over from a media page, and the Media Session API (reached
//! through `Reflect`: web-sys gates its bindings behind an unstable flag).

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::{MATCH_LOUDNESS_KEY, NowPlaying, PagePlayer, QUEUE_KEY, Queue, SAVE_EVERY_SECS, Track};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

thread_local! {
    /// Swallows a refused `play()` (a pause before it started, a policy).
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_| {});
}

pub(super) fn play(media: &web_sys::HtmlMediaElement) {
    if let Ok(promise) = media.play() {
        IGNORE.with(|ignore| {
            let _ = promise.catch(ignore);
        });
    }
}

/// `navigator.mediaSession`, where the browser has one.
fn session() -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    Reflect::get(&navigator, &"mediaSession".into())
        .ok()
        .filter(|s| !s.is_undefined() && !s.is_null())
}

/// Tells the system what plays: title, artist (else "Reel"), album and the
/// cover, as far as they are known.
pub(super) fn describe(track: &Track) {
    let Some(session) = session() else { return };
    let Ok(constructor) = Reflect::get(&js_sys::global(), &"MediaMetadata".into()) else {
        return;
    };
    let Ok(constructor) = constructor.dyn_into::<js_sys::Function>() else {
        return;
    };
    let init = Object::new();
    let _ = Reflect::set(&init, &"title".into(), &track.title.as_str().into());
    let artist = track.artist.as_deref().unwrap_or("Reel");
    let _ = Reflect::set(&init, &"artist".into(), &artist.into());
    if let Some(album) = &track.album {
        let _ = Reflect::set(&init, &"album".into(), &album.as_str().into());
    }
    let artwork = Array::new();
    if let Some(poster) = &track.poster {
        let image = Object::new();
        let _ = Reflect::set(&image, &"src".into(), &poster.as_str().into());
        artwork.push(&image);
    }
    let _ = Reflect::set(&init, &"artwork".into(), &artwork);
    if let Ok(metadata) = Reflect::construct(&constructor, &Array::of1(&init)) {
        let _ = Reflect::set(&session, &"metadata".into(), &metadata);
    }
}

pub(super) fn describe_nothing() {
    if let Some(session) = session() {
        let _ = Reflect::set(&session, &"metadata".into(), &JsValue::NULL);
    }
}

pub(super) fn set_playback_state(playing: bool) {
    if let Some(session) = session() {
        let state = if playing { "playing" } else { "paused" };
        let _ = Reflect::set(&session, &"playbackState".into(), &state.into());
    }
}

/// Registers one Media Session action (a browser without it throws).
fn on_action(session: &JsValue, action: &str, handler: impl Fn(JsValue) + 'static) {
    let Ok(set) = Reflect::get(session, &"setActionHandler".into()) else {
        return;
    };
    let Ok(set) = set.dyn_into::<js_sys::Function>() else {
        return;
    };
    let handler = Closure::<dyn Fn(JsValue)>::new(handler);
    let _ = set.call2(session, &action.into(), handler.as_ref());
    // The handler lives as long as the page: the shell never goes away.
    handler.forget();
}

fn details_number(details: &JsValue, name: &str) -> Option<f64> {
    Reflect::get(details, &name.into()).ok()?.as_f64()
}

impl NowPlaying {
    /// Reads the stored queue, keeps storing it, and answers media keys.
    pub(super) fn start_in_browser(self) {
        Effect::new(move |_| {
            let queue = self.queue.get();
            if !self.restored.get_value() {
                self.restored.set_value(true);
                let stored = storage().and_then(|s| s.get_item(QUEUE_KEY).ok().flatten());
                if let Some(stored) = stored.map(|text| Queue::restore(&text))
                    && !stored.is_empty()
                {
                    self.queue.set(stored);
                    self.load_current(false);
                }
                return;
            }
            self.store(&queue);
        });
        // Read in an effect, which runs after hydration: set before it, the
        // bar's button kept the server's `aria-pressed="false"` (hydration
        // takes the server's attributes as they are) while levels matched.
        Effect::new(move |_| {
            let matched = storage().and_then(|s| s.get_item(MATCH_LOUDNESS_KEY).ok().flatten());
            self.match_loudness.set(matched.as_deref() == Some("true"));
        });
        // The element plays the current track at its matched level.
        Effect::new(move |_| {
            let gain = self.gain();
            if let Some(media) = self.media.get() {
                media.set_volume(gain);
            }
            let matching = self.match_loudness.get();
            self.existing_engine(|e| e.set_matching(matching));
            if self.gapless_now.get() {
                self.show_engine_gain();
            } else {
                self.applied_gain.set(gain);
            }
        });
        // The gapless engine's clock: the time shown, the next track taking
        // over. The shell lives as long as the page, and so does this.
        let _ = set_interval_with_handle(
            move || self.gapless_tick(),
            std::time::Duration::from_millis(100),
        );
        let leaving = window_event_listener(leptos::ev::pagehide, move |_| self.save_position());
        // The shell lives as long as the page.
        std::mem::forget(leaving);
        if let Some(session) = session() {
            on_action(&session, "play", move |_| self.resume());
            on_action(&session, "pause", move |_| self.pause());
            on_action(&session, "nexttrack", move |_| self.next());
            on_action(&session, "previoustrack", move |_| self.previous());
            on_action(&session, "seekto", move |details| {
                if let Some(at) = details_number(&details, "seekTime") {
                    self.seek(at);
                }
            });
            for (action, sign) in [("seekbackward", -1.0), ("seekforward", 1.0)] {
                on_action(&session, action, move |details| {
                    let by = details_number(&details, "seekOffset").unwrap_or(10.0);
                    self.seek(self.time.get_untracked() + sign * by);
                });
            }
        }
    }

    fn store(&self, queue: &Queue) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(queue)) {
            // Full or forbidden storage only costs the memory.
            let _ = storage.set_item(QUEUE_KEY, &text);
        }
    }

    pub(super) fn save_position(&self) {
        let at = self.position_now();
        self.saved_at.set_value(at);
        self.queue.update_untracked(|q| q.position = at);
        self.queue.with_untracked(|q| self.store(q));
    }

    /// The shell element's events.
    pub(super) fn event(&self, ev: &web_sys::Event) {
        // The element is idle (emptied) while the gapless engine plays.
        if self.gapless_now.get_untracked() {
            return;
        }
        let media = event_target::<web_sys::HtmlMediaElement>(ev);
        match ev.type_().as_str() {
            "loadedmetadata" => {
                let at = self.queue.with_untracked(|q| q.position);
                if at > 0.0 && (!media.duration().is_finite() || at < media.duration()) {
                    media.set_current_time(at);
                }
                self.duration.set(media.duration());
                self.saved_at.set_value(at);
                if self.autoplay.get_value() {
                    play(&media);
                }
            }
            "durationchange" => self.duration.set(media.duration()),
            "timeupdate" | "seeked" => {
                let at = media.current_time();
                self.time.set(at);
                if (at - self.saved_at.get_value()).abs() >= SAVE_EVERY_SECS {
                    self.save_position();
                }
            }
            "play" => {
                self.playing.set(true);
                set_playback_state(true);
                self.pause_page_player();
            }
            "pause" => {
                self.playing.set(false);
                set_playback_state(false);
                self.save_position();
            }
            "ended" => self.finished(),
            "error" => self.recover(),
            _ => {}
        }
    }

    /// Two players never play at once: the bar started, so a media page's
    /// player stops.
    pub(super) fn pause_page_player(&self) {
        self.page.with_value(|page| {
            if let Some(page) = page {
                let _ = page.media.pause();
            }
        });
    }

    /// The current track played to its end: the next one starts, or the
    /// queue is done.
    pub(super) fn finished(&self) {
        let mut moved = false;
        self.queue.update(|q| moved = q.next());
        if moved {
            self.load_current(true);
        } else {
            self.playing.set(false);
            self.queue.update(|q| q.position = 0.0);
        }
    }

    /// The current track would not load: its signed address may have run
    /// out, or the item is gone. Asks for the item once more; a fresh
    /// address plays on, an item that is gone leaves the queue.
    fn recover(&self) {
        let Some(id) = self
            .queue
            .with_untracked(|q| q.current_track().map(|t| t.id.clone()))
        else {
            return;
        };
        if self.refreshed.get_value().as_deref() == Some(id.as_str()) {
            self.notice.set(Some("This item cannot be played.".into()));
            return;
        }
        let this = *self;
        leptos::task::spawn_local(async move {
            match crate::api::get_media(id.clone()).await {
                Ok(item) => match Track::of(&item) {
                    Some(track) => {
                        let autoplay = this.autoplay.get_value();
                        this.queue.update(|q| {
                            if let Some(index) = q.current
                                && q.tracks[index].id == track.id
                            {
                                q.tracks[index] = track;
                            }
                        });
                        this.load_current(autoplay);
                        this.refreshed.set_value(Some(id));
                    }
                    None => this.drop_current(&id),
                },
                Err(_) => this.drop_current(&id),
            }
        });
    }

    fn drop_current(&self, id: &str) {
        self.queue.update(|q| q.forget(id));
        self.notice
            .set(Some("An item in the queue is no longer there.".into()));
        self.load_current(false);
    }

    /// A media page's player started, paused or ended.
    pub(super) fn page_event(
        &self,
        media: &web_sys::HtmlMediaElement,
        track: Option<Track>,
        kind: &str,
    ) {
        match kind {
            "play" => {
                self.pause();
                if let Some(track) = track {
                    self.page.set_value(Some(PagePlayer {
                        media: media.clone(),
                        track,
                        playing: true,
                    }));
                }
            }
            "pause" | "ended" => self.page.update_value(|page| {
                if let Some(page) = page {
                    page.playing = false;
                }
            }),
            _ => {}
        }
    }

    /// A media page is going away: what it was playing carries on here.
    /// Read from the events seen, not from the element: removing a playing
    /// element pauses it.
    pub(super) fn page_left(&self) {
        let Some(page) = self.page.try_update_value(Option::take).flatten() else {
            return;
        };
        if page.playing && !page.media.ended() {
            let at = page.media.current_time();
            let _ = page.media.pause();
            self.play_now(page.track, at);
        }
    }
}

/// Remembers whether levels are matched.
pub(super) fn remember_match_loudness(on: bool) {
    if let Some(storage) = storage() {
        let _ = if on {
            storage.set_item(MATCH_LOUDNESS_KEY, "true")
        } else {
            storage.remove_item(MATCH_LOUDNESS_KEY)
        };
    }
}
