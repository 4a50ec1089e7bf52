//! The Web Audio engine itself: decoded tracks, the voices that play them
//! (a source through a gain of its own, so each track keeps its level
//! across a join) and the audio clock.

use js_sys::ArrayBuffer;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioBuffer, AudioBufferSourceNode, AudioContext, AudioScheduledSourceNode, GainNode,
};

use super::super::Track;
use super::super::queue::track_gain;

/// How far ahead of the audio clock a track is started (see `start`).
const START_AHEAD_SECS: f64 = 0.15;

/// A track decoded whole, with what level matching needs.
pub(super) struct Decoded {
    pub(super) id: String,
    buffer: AudioBuffer,
    lufs: Option<f64>,
    /// The loudest sample (of 1.0), read from the decoded sound.
    peak: f64,
}

/// One track sounding (or scheduled to).
struct Voice {
    id: String,
    source: AudioBufferSourceNode,
    gain: GainNode,
    lufs: Option<f64>,
    peak: f64,
}

/// What sounds now.
pub(super) struct Run {
    voice: Voice,
    /// The audio clock's time at the current track's second 0.
    zero: f64,
    /// Where in the track it started (shown until the clock gets there).
    from: f64,
    /// The next track, started at the current one's last sample, and when
    /// it starts on the audio clock.
    following: Option<(Voice, f64)>,
}

/// The Web Audio side of the shell's player (one per page, made when a
/// sound first plays gaplessly).
pub(in crate::app::now_playing) struct Engine {
    pub(super) ctx: AudioContext,
    /// Whether levels are matched (`track_gain`).
    pub(super) matching: bool,
    pub(super) current: Option<Decoded>,
    /// The queue's next track, decoded ahead.
    pub(super) next: Option<Decoded>,
    /// The id being fetched and decoded as the next track.
    pub(super) fetching: Option<String>,
    /// The id whose decode failed: it plays through the element instead.
    pub(super) failed: Option<String>,
    pub(super) run: Option<Run>,
    /// Where the current track stands while nothing sounds.
    pub(super) offset: f64,
    /// Counts loads, so a decode that finishes for a track no longer
    /// wanted is dropped.
    pub(super) load: u64,
}

/// What a tick of the clock found.
pub(super) enum Tick {
    Idle,
    At(f64),
    /// The next track took over (it is now at this second).
    Moved(f64),
    Ended,
}

impl Engine {
    pub(super) fn new() -> Result<Engine, JsValue> {
        Ok(Engine {
            ctx: AudioContext::new()?,
            matching: false,
            current: None,
            next: None,
            fetching: None,
            failed: None,
            run: None,
            offset: 0.0,
            load: 0,
        })
    }

    fn gain_of(&self, lufs: Option<f64>, peak: f64) -> f64 {
        if self.matching {
            track_gain(lufs, Some(peak))
        } else {
            1.0
        }
    }

    /// Turns level matching on or off for what sounds and what follows.
    pub(in crate::app::now_playing) fn set_matching(&mut self, on: bool) {
        self.matching = on;
        if let Some(run) = &self.run {
            let following = run.following.as_ref().map(|(voice, _)| voice);
            for voice in std::iter::once(&run.voice).chain(following) {
                let gain = self.gain_of(voice.lufs, voice.peak);
                voice.gain.gain().set_value(gain as f32);
            }
        }
    }

    /// The gain the current track plays at.
    pub(super) fn current_gain(&self) -> Option<f64> {
        self.current.as_ref().map(|c| self.gain_of(c.lufs, c.peak))
    }

    /// A source for `track` through a gain of its own, not started.
    fn voice(&self, track: &Decoded) -> Result<Voice, JsValue> {
        let source = self.ctx.create_buffer_source()?;
        source.set_buffer(Some(&track.buffer));
        let gain = self.ctx.create_gain()?;
        gain.gain()
            .set_value(self.gain_of(track.lufs, track.peak) as f32);
        source.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node(&self.ctx.destination())?;
        Ok(Voice {
            id: track.id.clone(),
            source,
            gain,
            lufs: track.lufs,
            peak: track.peak,
        })
    }

    pub(super) fn duration(&self) -> f64 {
        self.current
            .as_ref()
            .map_or(f64::NAN, |c| c.buffer.duration())
    }

    /// Where the current track is now.
    pub(super) fn position(&self) -> f64 {
        match &self.run {
            Some(run) => (self.ctx.current_time() - run.zero)
                .max(run.from)
                .clamp(0.0, self.duration()),
            None => self.offset,
        }
    }

    /// Silences every voice; the decoded tracks stay.
    pub(super) fn silence(&mut self) {
        if let Some(run) = self.run.take() {
            stop(&run.voice);
            if let Some((following, _)) = run.following {
                stop(&following);
            }
        }
    }

    /// Starts the current track from `offset`, now.
    pub(super) fn start(&mut self) -> Result<(), JsValue> {
        self.silence();
        let Some(current) = &self.current else {
            return Ok(());
        };
        // A context made before the person's first click starts suspended.
        let _ = self.ctx.resume();
        let voice = self.voice(current)?;
        // A start time already past when the audio thread gets to it plays
        // from the offset *then*, later than `zero` says, and the next track
        // (scheduled from `zero`) would overlap this one's end: seen on a
        // loaded machine as 6 ms lost and a click at the join. So the start
        // is set a little ahead, where the audio thread is sure to meet it.
        let when = self.ctx.current_time() + START_AHEAD_SECS;
        let offset = self.offset.clamp(0.0, current.buffer.duration());
        voice
            .source
            .start_with_when_and_grain_offset(when, offset)?;
        self.run = Some(Run {
            voice,
            zero: when - offset,
            from: offset,
            following: None,
        });
        Ok(())
    }

    pub(super) fn pause(&mut self) {
        self.offset = self.position();
        self.silence();
    }

    /// Makes `want` (the queue's next gapless track) the one that follows:
    /// drops a decoded or scheduled next that is no longer next, schedules
    /// a decoded one at the current track's end. Whether `want` still has
    /// to be fetched.
    pub(super) fn follow(&mut self, want: Option<&str>) -> Result<bool, JsValue> {
        if let Some(run) = &mut self.run
            && run
                .following
                .as_ref()
                .is_some_and(|(voice, _)| Some(voice.id.as_str()) != want)
            && let Some((voice, _)) = run.following.take()
        {
            stop(&voice);
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
        if let (Some(next), Some(current), Some(run)) = (&self.next, &self.current, &self.run) {
            if run.following.is_none() {
                let voice = self.voice(next)?;
                let at = run.zero + current.buffer.duration();
                voice.source.start_with_when(at)?;
                if let Some(run) = &mut self.run {
                    run.following = Some((voice, at));
                }
            }
            return Ok(false);
        }
        Ok(self.next.is_none()
            && self.fetching.as_deref() != Some(want)
            && self.failed.as_deref() != Some(want))
    }

    pub(super) fn tick(&mut self) -> Tick {
        let now = self.ctx.current_time();
        let Some(run) = &mut self.run else {
            return Tick::Idle;
        };
        if let Some((_, start)) = &run.following
            && now >= *start
            && let Some((voice, start)) = run.following.take()
        {
            // The old source stopped by itself at its last sample.
            let _ = run.voice.gain.disconnect();
            run.voice = voice;
            run.zero = start;
            run.from = 0.0;
            self.current = self.next.take();
            return Tick::Moved(now - start);
        }
        let at = (now - run.zero).max(run.from);
        if at >= self.duration() {
            self.run = None;
            self.offset = 0.0;
            return Tick::Ended;
        }
        Tick::At(at)
    }
}

/// Stops a voice (one that has not started yet never will) and takes it
/// out of the graph.
fn stop(voice: &Voice) {
    let node: &AudioScheduledSourceNode = voice.source.as_ref();
    let _ = node.stop();
    let _ = voice.gain.disconnect();
}

/// The loudest sample of `buffer`, read a slice at a time (a whole channel
/// copied into the page's memory would be tens of megabytes).
fn peak_of(buffer: &AudioBuffer) -> f64 {
    let mut slice = vec![0f32; 1 << 16];
    let mut peak = 0f32;
    for channel in 0..buffer.number_of_channels() {
        let Ok(channel) = i32::try_from(channel) else {
            return 1.0;
        };
        let mut at = 0u32;
        while at < buffer.length() {
            let n = (buffer.length() - at).min(1 << 16);
            let part = &mut slice[..n as usize];
            if buffer
                .copy_from_channel_with_start_in_channel(part, channel, at)
                .is_err()
            {
                // Unknown: taken as full scale, so nothing is raised.
                return 1.0;
            }
            peak = part.iter().fold(peak, |m, v| m.max(v.abs()));
            at += n;
        }
    }
    f64::from(peak)
}

/// Fetches and decodes `track` whole.
pub(super) async fn decode(ctx: AudioContext, track: &Track) -> Result<Decoded, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&track.play))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()).into());
    }
    let bytes: ArrayBuffer = JsFuture::from(response.array_buffer()?).await?.dyn_into()?;
    let buffer: AudioBuffer = JsFuture::from(ctx.decode_audio_data(&bytes)?)
        .await?
        .dyn_into()?;
    Ok(Decoded {
        id: track.id.clone(),
        peak: peak_of(&buffer),
        lufs: track.loudness_lufs,
        buffer,
    })
}
