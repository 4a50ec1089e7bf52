//! Gapless playback: a sound short enough to decode whole (`Track::gapless`)
//! plays through Web Audio. The next track in the queue is fetched and
//! decoded while the current one plays, and started on the audio clock at
//! the very sample where the current one ends, so an album recorded without
//! gaps plays without one.
//!
//! A media element cannot do this. Its `ended` event comes late, and the
//! next load starts later still, which leaves tens of milliseconds of
//! silence at every join. Videos and long sounds still play through the
//! element, which streams them: a decoded hour would take gigabytes.

use js_sys::ArrayBuffer;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioBuffer, AudioBufferSourceNode, AudioContext, AudioScheduledSourceNode, GainNode,
};

use super::{NowPlaying, SAVE_EVERY_SECS, Track, browser};

/// A track decoded whole.
struct Decoded {
    id: String,
    buffer: AudioBuffer,
}

/// What sounds now.
struct Run {
    source: AudioBufferSourceNode,
    /// The audio clock's time at the current track's second 0.
    zero: f64,
    /// The next track, started at the current one's last sample: its id,
    /// its source and when it starts on the audio clock.
    following: Option<(String, AudioBufferSourceNode, f64)>,
}

/// The Web Audio side of the shell's player (one per page, made when a
/// sound first plays gaplessly).
pub(super) struct Engine {
    ctx: AudioContext,
    /// Matched levels (the same gain the element's volume gets).
    gain: GainNode,
    current: Option<Decoded>,
    /// The queue's next track, decoded ahead.
    next: Option<Decoded>,
    /// The id being fetched and decoded as the next track.
    fetching: Option<String>,
    /// The id whose decode failed: it plays through the element instead.
    failed: Option<String>,
    run: Option<Run>,
    /// Where the current track stands while nothing sounds.
    offset: f64,
    /// Counts loads, so a decode that finishes for a track no longer
    /// wanted is dropped.
    load: u64,
}

/// What a tick of the clock found.
enum Tick {
    Idle,
    At(f64),
    /// The next track took over (it is now at this second).
    Moved(f64),
    Ended,
}

impl Engine {
    fn new() -> Result<Engine, JsValue> {
        let ctx = AudioContext::new()?;
        let gain = ctx.create_gain()?;
        gain.connect_with_audio_node(&ctx.destination())?;
        Ok(Engine {
            ctx,
            gain,
            current: None,
            next: None,
            fetching: None,
            failed: None,
            run: None,
            offset: 0.0,
            load: 0,
        })
    }

    pub(super) fn set_gain(&mut self, gain: f64) {
        self.gain.gain().set_value(gain as f32);
    }

    fn duration(&self) -> f64 {
        self.current
            .as_ref()
            .map_or(f64::NAN, |c| c.buffer.duration())
    }

    /// Where the current track is now.
    fn position(&self) -> f64 {
        match &self.run {
            Some(run) => (self.ctx.current_time() - run.zero).clamp(0.0, self.duration()),
            None => self.offset,
        }
    }

    /// Silences every source; the decoded tracks stay.
    fn silence(&mut self) {
        if let Some(run) = self.run.take() {
            stop(&run.source);
            if let Some((_, following, _)) = run.following {
                stop(&following);
            }
        }
    }

    /// Starts the current track from `offset`, now.
    fn start(&mut self) -> Result<(), JsValue> {
        self.silence();
        let Some(current) = &self.current else {
            return Ok(());
        };
        // A context made before the person's first click starts suspended.
        let _ = self.ctx.resume();
        let source = self.ctx.create_buffer_source()?;
        source.set_buffer(Some(&current.buffer));
        source.connect_with_audio_node(&self.gain)?;
        let now = self.ctx.current_time();
        let offset = self.offset.clamp(0.0, current.buffer.duration());
        source.start_with_when_and_grain_offset(now, offset)?;
        self.run = Some(Run {
            source,
            zero: now - offset,
            following: None,
        });
        Ok(())
    }

    fn pause(&mut self) {
        self.offset = self.position();
        self.silence();
    }

    /// Makes `want` (the queue's next gapless track) the one that follows:
    /// drops a decoded or scheduled next that is no longer next, schedules
    /// a decoded one at the current track's end. Whether `want` still has
    /// to be fetched.
    fn follow(&mut self, want: Option<&str>) -> Result<bool, JsValue> {
        if let Some(run) = &mut self.run
            && run
                .following
                .as_ref()
                .is_some_and(|(id, _, _)| Some(id.as_str()) != want)
            && let Some((_, source, _)) = run.following.take()
        {
            stop(&source);
        }
        if self
            .next
            .as_ref()
            .is_some_and(|n| Some(n.id.as_str()) != want)
        {
            self.next = None;
        }
        let Some(want) = want else {
            return Ok(false);
        };
        if let (Some(next), Some(current), Some(run)) = (&self.next, &self.current, &mut self.run) {
            if run.following.is_none() {
                let source = self.ctx.create_buffer_source()?;
                source.set_buffer(Some(&next.buffer));
                source.connect_with_audio_node(&self.gain)?;
                let at = run.zero + current.buffer.duration();
                source.start_with_when(at)?;
                run.following = Some((next.id.clone(), source, at));
            }
            return Ok(false);
        }
        Ok(self.next.is_none()
            && self.fetching.as_deref() != Some(want)
            && self.failed.as_deref() != Some(want))
    }

    fn tick(&mut self) -> Tick {
        let now = self.ctx.current_time();
        let Some(run) = &mut self.run else {
            return Tick::Idle;
        };
        if let Some((_, _, start)) = &run.following
            && now >= *start
            && let Some((_, source, start)) = run.following.take()
        {
            // The old source stopped by itself at its last sample.
            run.source = source;
            run.zero = start;
            self.current = self.next.take();
            return Tick::Moved(now - start);
        }
        let at = now - run.zero;
        if at >= self.duration() {
            self.run = None;
            self.offset = 0.0;
            return Tick::Ended;
        }
        Tick::At(at)
    }
}

/// Stops a source (one that has not started yet never will).
fn stop(source: &AudioBufferSourceNode) {
    let node: &AudioScheduledSourceNode = source.as_ref();
    let _ = node.stop();
}

/// Fetches `url` and decodes it whole.
async fn decode(ctx: AudioContext, url: String) -> Result<AudioBuffer, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()).into());
    }
    let bytes: ArrayBuffer = JsFuture::from(response.array_buffer()?).await?.dyn_into()?;
    JsFuture::from(ctx.decode_audio_data(&bytes)?)
        .await?
        .dyn_into()
}

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
            let decoded = decode(ctx, track.play.clone()).await;
            if this.existing_engine(|e| e.load) != Some(load) {
                return;
            }
            match decoded {
                Ok(buffer) => {
                    this.existing_engine(|e| {
                        e.current = Some(Decoded {
                            id: track.id.clone(),
                            buffer,
                        })
                    });
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
        if let Some(duration) = self.existing_engine(|e| e.duration()) {
            self.duration.set(duration);
        }
        if self.autoplay.get_value() {
            self.gapless_start();
        }
    }

    pub(super) fn gapless_start(&self) {
        let gain = untrack(|| self.gain());
        let started = self.existing_engine(|e| {
            e.set_gain(gain);
            e.current.is_some() && e.start().is_ok()
        });
        if started == Some(true) {
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
            let decoded = decode(ctx, want.play.clone()).await;
            let still = this.existing_engine(|e| {
                if e.fetching.as_deref() != Some(want.id.as_str()) {
                    return false;
                }
                e.fetching = None;
                match decoded {
                    Ok(buffer) => {
                        e.next = Some(Decoded {
                            id: want.id.clone(),
                            buffer,
                        })
                    }
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
