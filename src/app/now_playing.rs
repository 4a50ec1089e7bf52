//! The player that keeps playing: one media element in the app shell, so
//! sound (and a small picture, for video) goes on while the person browses,
//! searches or opens other items. A bar at the bottom has play/pause, seek,
//! the title and cover, previous/next and the queue; the queue and the
//! position survive a reload (`reel.queue` in local storage); the Media
//! Session API gives media keys, the lock screen and headsets the same
//! controls.
//!
//! The media page keeps its own player (waveform, scrub bar, editor). When
//! a person leaves that page while it plays, the item carries on here from
//! the same moment; starting either player pauses the other, so two never
//! play at once.

use leptos::html;
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "hydrate")]
mod gapless;
mod queue;
mod view;

use queue::Queue;
pub(crate) use queue::Track;
use queue::level_gain;
pub(crate) use view::{NowPlayingBar, PlayAll, QueueButtons};

/// Whether levels are matched, kept between visits ("true" or absent).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const MATCH_LOUDNESS_KEY: &str = "reel.match_loudness";

/// Where the queue is kept between visits.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const QUEUE_KEY: &str = "reel.queue";
/// While playing, the position is saved once per this much media time.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const SAVE_EVERY_SECS: f64 = 2.0;
/// "Previous" this far into a track starts it over instead.
const RESTART_AFTER_SECS: f64 = 3.0;

/// A media page's player while it plays, for the hand-over when the page
/// goes away.
#[cfg(feature = "hydrate")]
struct PagePlayer {
    media: web_sys::HtmlMediaElement,
    track: Track,
    playing: bool,
}

/// The shell's player. Copy, so every handler can hold it.
#[derive(Clone, Copy)]
pub(crate) struct NowPlaying {
    queue: RwSignal<Queue>,
    playing: RwSignal<bool>,
    time: RwSignal<f64>,
    duration: RwSignal<f64>,
    /// Whether the queue list is open.
    open: RwSignal<bool>,
    /// Whether items play at one loudness (`reel.match_loudness`).
    match_loudness: RwSignal<bool>,
    /// A short message for people ("Added to the queue").
    notice: RwSignal<Option<String>>,
    /// Whether the current track plays through Web Audio (gapless) rather
    /// than the element.
    gapless_now: RwSignal<bool>,
    /// The gain the current track plays at (matched levels), as applied.
    applied_gain: RwSignal<f64>,
    media: NodeRef<html::Video>,
    /// Play once the current track has loaded (not after a reload: the
    /// restored queue waits, paused, for the person).
    autoplay: StoredValue<bool>,
    /// Media time of the last saved position.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    saved_at: StoredValue<f64>,
    /// Whether the stored queue was read: nothing is stored before that.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    restored: StoredValue<bool>,
    /// The id whose address was already asked for again after an error.
    refreshed: StoredValue<Option<String>>,
    #[cfg(feature = "hydrate")]
    page: StoredValue<Option<PagePlayer>, LocalStorage>,
    #[cfg(feature = "hydrate")]
    engine: StoredValue<Option<gapless::Engine>, LocalStorage>,
}

impl NowPlaying {
    /// Makes the shell's player (call once, in `App`).
    pub(crate) fn provide() -> Self {
        let this = NowPlaying {
            queue: RwSignal::new(Queue::default()),
            playing: RwSignal::new(false),
            time: RwSignal::new(0.0),
            duration: RwSignal::new(f64::NAN),
            open: RwSignal::new(false),
            match_loudness: RwSignal::new(false),
            notice: RwSignal::new(None),
            gapless_now: RwSignal::new(false),
            applied_gain: RwSignal::new(1.0),
            media: NodeRef::new(),
            autoplay: StoredValue::new(false),
            saved_at: StoredValue::new(0.0),
            restored: StoredValue::new(false),
            refreshed: StoredValue::new(None),
            #[cfg(feature = "hydrate")]
            page: StoredValue::new_local(None),
            #[cfg(feature = "hydrate")]
            engine: StoredValue::new_local(None),
        };
        provide_context(this);
        #[cfg(feature = "hydrate")]
        this.start_in_browser();
        this
    }

    pub(crate) fn get() -> Option<Self> {
        use_context::<NowPlaying>()
    }

    fn media_element(&self) -> Option<web_sys::HtmlMediaElement> {
        self.media.get_untracked().map(Into::into)
    }

    /// Plays `track` now from `at` seconds (after the current track, which
    /// it replaces as the one playing).
    pub(crate) fn play_now(&self, track: Track, at: f64) {
        self.queue.update(|q| q.play_now(track, at));
        self.load_current(true);
    }

    /// Plays `tracks` in order, in place of the queue.
    pub(crate) fn play_all(&self, tracks: Vec<Track>) {
        let count = tracks.len();
        self.queue.update(|q| q.play_all(tracks));
        self.load_current(true);
        self.notice
            .set(Some(format!("Playing {count} items in order")));
    }

    pub(crate) fn play_next(&self, track: Track) {
        let title = track.title.clone();
        let started = self.queue.with_untracked(|q| q.current.is_none());
        self.queue.update(|q| q.play_next(track));
        if started {
            self.queue.update(|q| {
                q.next();
            });
            self.load_current(false);
        }
        self.notice.set(Some(format!("“{title}” plays next")));
    }

    /// Queues `track` last; into an empty player it is loaded, paused.
    pub(crate) fn add(&self, track: Track) {
        let title = track.title.clone();
        let mut added = false;
        self.queue.update(|q| added = q.add(track));
        if self.queue.with_untracked(|q| q.current.is_none()) {
            self.queue.update(|q| {
                q.next();
            });
            self.load_current(false);
        }
        self.notice.set(Some(if added {
            format!("“{title}” added to the queue")
        } else {
            format!("“{title}” is in the queue already")
        }));
    }

    /// The volume the current track plays at.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    fn gain(&self) -> f64 {
        if !self.match_loudness.get() {
            return 1.0;
        }
        level_gain(
            self.queue
                .with(|q| q.current_track().and_then(|t| t.loudness_lufs)),
        )
    }

    /// Turns level matching on or off, and remembers it.
    fn toggle_match_loudness(&self) {
        let on = !self.match_loudness.get_untracked();
        self.match_loudness.set(on);
        #[cfg(feature = "hydrate")]
        browser::remember_match_loudness(on);
    }

    pub(crate) fn toggle(&self) {
        if self.gapless_now.get_untracked() {
            if self.playing.get_untracked() {
                self.pause();
            } else {
                self.resume();
            }
            return;
        }
        let Some(media) = self.media_element() else {
            return;
        };
        if media.paused() {
            self.resume();
        } else {
            let _ = media.pause();
        }
    }

    fn resume(&self) {
        #[cfg(feature = "hydrate")]
        if self.gapless_now.get_untracked() {
            self.gapless_start();
            return;
        }
        let Some(media) = self.media_element() else {
            return;
        };
        if media.src().is_empty() {
            if self.queue.with_untracked(|q| q.current.is_none()) {
                self.queue.update(|q| {
                    q.next();
                });
            }
            self.load_current(true);
        } else {
            #[cfg(feature = "hydrate")]
            browser::play(&media);
        }
    }

    /// Pauses (another player is starting).
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    pub(crate) fn pause(&self) {
        #[cfg(feature = "hydrate")]
        if self.gapless_now.get_untracked() {
            self.gapless_pause();
            return;
        }
        if let Some(media) = self.media_element() {
            let _ = media.pause();
        }
    }

    pub(crate) fn next(&self) {
        let mut moved = false;
        self.queue.update(|q| moved = q.next());
        if moved {
            self.load_current(true);
        }
    }

    pub(crate) fn previous(&self) {
        if self.position_now() > RESTART_AFTER_SECS {
            self.seek(0.0);
            return;
        }
        let mut moved = false;
        self.queue.update(|q| moved = q.previous());
        if moved {
            self.load_current(self.playing.get_untracked());
        }
    }

    /// Where the current track is now, in seconds.
    fn position_now(&self) -> f64 {
        #[cfg(feature = "hydrate")]
        if self.gapless_now.get_untracked() {
            return self.gapless_position().unwrap_or(0.0);
        }
        self.media_element().map_or(0.0, |m| m.current_time())
    }

    pub(crate) fn seek(&self, at: f64) {
        if !at.is_finite() {
            return;
        }
        #[cfg(feature = "hydrate")]
        if self.gapless_now.get_untracked() {
            self.gapless_seek(at.max(0.0));
            return;
        }
        if let Some(media) = self.media_element() {
            media.set_current_time(at.max(0.0));
        }
    }

    fn jump(&self, index: usize) {
        self.queue.update(|q| q.jump(index));
        self.load_current(true);
    }

    fn remove(&self, index: usize) {
        let was_current = self.queue.with_untracked(|q| q.current == Some(index));
        self.queue.update(|q| q.remove(index));
        if was_current {
            let playing = self.playing.get_untracked();
            self.load_current(playing);
        }
    }

    fn move_track(&self, from: usize, to: usize) {
        self.queue.update(|q| q.move_track(from, to));
    }

    /// Loads the current track (or nothing), to start at the queue's
    /// position: into the gapless engine when it is a short sound, else
    /// into the element.
    fn load_current(&self, autoplay: bool) {
        self.autoplay.set_value(autoplay);
        self.refreshed.set_value(None);
        let at = self.queue.with_untracked(|q| q.position);
        self.time.set(at);
        self.duration.set(f64::NAN);
        let track = self.queue.with_untracked(|q| q.current_track().cloned());
        #[cfg(feature = "hydrate")]
        {
            if let Some(track) = &track
                && track.gapless()
                && self.gapless_load(track, at)
            {
                browser::describe(track);
                return;
            }
            if self.gapless_now.get_untracked() {
                self.gapless_stop();
            }
        }
        self.load_element(track);
    }

    /// Points the element at `track` (or at nothing); it starts at the
    /// queue's position once its metadata is in.
    fn load_element(&self, track: Option<Track>) {
        let Some(media) = self.media_element() else {
            return;
        };
        match track {
            Some(track) => {
                media.set_src(&track.play);
                #[cfg(feature = "hydrate")]
                browser::describe(&track);
            }
            None => {
                let _ = media.remove_attribute("src");
                media.load();
                self.playing.set(false);
                #[cfg(feature = "hydrate")]
                browser::describe_nothing();
            }
        }
    }
}

/// Browser-only hooks, callable from views that both builds compile: on
/// the server no media event ever happens.
impl NowPlaying {
    /// The shell element's events.
    fn on_media(&self, ev: &web_sys::Event) {
        #[cfg(feature = "hydrate")]
        self.event(ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// A media page's player played, paused or ended (`track`: what it
    /// plays, for the hand-over).
    pub(crate) fn page_media_event(&self, ev: &web_sys::Event, track: Option<Track>) {
        #[cfg(feature = "hydrate")]
        {
            let media = event_target::<web_sys::HtmlMediaElement>(ev);
            self.page_event(&media, track, &ev.type_());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, track);
    }

    /// A media page is going away.
    pub(crate) fn page_left_now(&self) {
        #[cfg(feature = "hydrate")]
        self.page_left();
    }
}
