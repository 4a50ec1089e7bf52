//! Gapless playback: a sound short enough to decode whole (`Track::gapless`)
//! plays through Web Audio. The next track in the queue is fetched and
//! decoded while the current one plays, and started on the audio clock at
//! the very sample where the current one ends, so an album recorded without
//! gaps plays without one.
//!
//! A media element cannot do this. Its `ended` event comes late, and the
//! next one starts later still: 12 ms of silence and a click at the join
//! in the end-to-end measurement (`gapless.spec.ts`), against one sample's
//! worth here. Videos and long sounds still play through the element, which
//! streams them: a decoded hour would take gigabytes.
//!
//! Matched levels can raise a quiet track here (never above its own peak,
//! read from the decoded sound), where an element's volume stops at 1.

use leptos::prelude::*;

mod engine;

pub(super) use engine::Engine;
use engine::{Tick, decode};

use super::{NowPlaying, SAVE_EVERY_SECS, Track, browser};

impl NowPlaying {
    /// Runs `f` on the engine, made on first use (`None` without Web Audio).
    pub(super) fn engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        if self.engine.with_value(Option::is_none) {
            let made = Engine::new().ok()?;
            self.engine.set_value(Some(made));
        }
        self.engine
            .try_update_value(|e| e.as_mut().map(f))
            .flatten()
    }

    /// Runs `f` on the engine if it exists.
    pub(super) fn existing_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        self.engine
            .try_update_value(|e| e.as_mut().map(f))
            .flatten()
    }

    /// Loads `track` into the engine at `at` seconds (started once decoded
    /// if `autoplay` is set then). False when this browser has no Web Audio.
    pub(super) fn gapless_load(&self, track: &Track, at: f64) -> bool {
        let Some((load, ready, ctx)) = self.engine(|e| {
            e.silence();
            e.load += 1;
            e.offset = at;
            e.current = None;
            if e.next.as_ref().is_some_and(|n| n.id == track.id) {
                e.current = e.next.take();
            }
            (e.load, e.current.is_some(), e.ctx.clone())
        }) else {
            return false;
        };
        if !self.gapless_now.get_untracked() {
            self.gapless_now.set(true);
            if let Some(media) = self.media_element() {
                let _ = media.pause();
                let _ = media.remove_attribute("src");
                media.load();
            }
        }
        self.playing.set(false);
        if ready {
            self.gapless_ready();
            return true;
        }
        let this = *self;
        let track = track.clone();
        leptos::task::spawn_local(async move {
            let decoded = decode(ctx, &track).await;
            if this.existing_engine(|e| e.load) != Some(load) {
                return;
            }
            match decoded {
                Ok(decoded) => {
                    this.existing_engine(|e| e.current = Some(decoded));
                    this.gapless_ready();
                }
                // A signature that ran out, a gone item, a format Web Audio
                // does not decode: the element plays it (and recovers).
                Err(_) => {
                    this.existing_engine(|e| e.failed = Some(track.id.clone()));
                    this.gapless_stop();
                    this.load_element(Some(track));
                }
            }
        });
        true
    }

    /// The current track is decoded: shows its length, starts if wanted.
    fn gapless_ready(&self) {
        let matching = self.match_loudness.get_untracked();
        if let Some(duration) = self.existing_engine(|e| {
            e.matching = matching;
            e.duration()
        }) {
            self.duration.set(duration);
        }
        self.show_engine_gain();
        if self.autoplay.get_value() {
            self.gapless_start();
        }
    }

    pub(super) fn gapless_start(&self) {
        let matching = self.match_loudness.get_untracked();
        let started = self.existing_engine(|e| {
            e.matching = matching;
            e.current.is_some() && e.start().is_ok()
        });
        if started == Some(true) {
            self.show_engine_gain();
            self.playing.set(true);
            browser::set_playback_state(true);
            self.pause_page_player();
            self.gapless_follow();
        } else {
            // Not decoded yet: it starts once it is.
            self.autoplay.set_value(true);
        }
    }

    /// Decodes and schedules the queue's next track, if it is gapless.
    fn gapless_follow(&self) {
        let want = self
            .queue
            .with_untracked(|q| q.upcoming().filter(|t| t.gapless()).cloned());
        let fetch = self
            .existing_engine(|e| e.follow(want.as_ref().map(|t| t.id.as_str())))
            .and_then(Result::ok)
            .unwrap_or(false);
        let (true, Some(want)) = (fetch, want) else {
            return;
        };
        let Some(ctx) = self.existing_engine(|e| {
            e.fetching = Some(want.id.clone());
            e.ctx.clone()
        }) else {
            return;
        };
        let this = *self;
        leptos::task::spawn_local(async move {
            let decoded = decode(ctx, &want).await;
            let still = this.existing_engine(|e| {
                if e.fetching.as_deref() != Some(want.id.as_str()) {
                    return false;
                }
                e.fetching = None;
                match decoded {
                    Ok(decoded) => e.next = Some(decoded),
                    Err(_) => e.failed = Some(want.id.clone()),
                }
                true
            });
            if still == Some(true) {
                this.gapless_follow();
            }
        });
    }

    pub(super) fn gapless_pause(&self) {
        self.existing_engine(Engine::pause);
        self.playing.set(false);
        browser::set_playback_state(false);
        self.save_position();
    }

    pub(super) fn gapless_seek(&self, at: f64) {
        let running = self.existing_engine(|e| {
            e.offset = at.clamp(0.0, e.duration().max(0.0));
            e.run.is_some()
        });
        self.time.set(at);
        if running == Some(true) {
            self.gapless_start();
        }
    }

    /// The element takes over (a video, a long sound, an empty queue).
    pub(super) fn gapless_stop(&self) {
        self.existing_engine(|e| {
            e.silence();
            e.current = None;
            e.load += 1;
        });
        self.gapless_now.set(false);
    }

    /// Shows the gain the engine's current track plays at.
    pub(super) fn show_engine_gain(&self) {
        if let Some(Some(gain)) = self.existing_engine(|e| e.current_gain()) {
            self.applied_gain.set(gain);
        }
    }

    pub(super) fn gapless_position(&self) -> Option<f64> {
        self.existing_engine(|e| e.position())
    }

    /// Follows the audio clock: the time shown, the next track taking
    /// over, the end of the queue.
    pub(super) fn gapless_tick(&self) {
        if !self.gapless_now.get_untracked() {
            return;
        }
        match self.existing_engine(Engine::tick).unwrap_or(Tick::Idle) {
            Tick::Idle => {}
            Tick::At(at) => {
                self.time.set(at);
                if (at - self.saved_at.get_value()).abs() >= SAVE_EVERY_SECS {
                    self.save_position();
                }
                // The queue may have changed under the scheduled next track.
                self.gapless_follow();
            }
            Tick::Moved(at) => {
                self.queue.update(|q| {
                    q.next();
                });
                self.time.set(at);
                if let Some(duration) = self.existing_engine(|e| e.duration()) {
                    self.duration.set(duration);
                }
                self.show_engine_gain();
                if let Some(track) = self.queue.with_untracked(|q| q.current_track().cloned()) {
                    browser::describe(&track);
                }
                self.save_position();
                self.gapless_follow();
            }
            Tick::Ended => {
                self.playing.set(false);
                self.finished();
            }
        }
    }
}
