//! The play queue as data: which items, in what order, which one is
//! playing and where. Pure, so its rules are tested natively; the shell's
//! player (`now_playing`) keeps one in a signal and in local storage.

use serde::{Deserialize, Serialize};

use crate::model::{MediaItem, MediaKind};

/// One queued item: enough to show it and play it without asking the
/// server again (its play address is signed for a day at least; the player
/// asks for a fresh one when an old one fails).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Track {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) kind: MediaKind,
    pub(crate) page: String,
    pub(crate) play: String,
    pub(crate) poster: Option<String>,
    /// From the item's tags, for the Media Session (lock screen, headsets).
    #[serde(default)]
    pub(crate) artist: Option<String>,
    #[serde(default)]
    pub(crate) album: Option<String>,
    /// Integrated loudness (LUFS), for matching levels.
    #[serde(default)]
    pub(crate) loudness_lufs: Option<f64>,
    /// Its length, to know whether it may be decoded whole (gapless).
    #[serde(default)]
    pub(crate) duration_secs: Option<f64>,
}

impl Track {
    /// The track of `item`, if anything of it plays in browsers yet.
    pub(crate) fn of(item: &MediaItem) -> Option<Track> {
        Some(Track {
            id: item.id.to_string(),
            title: item.title.clone(),
            kind: item.kind,
            page: item.urls.page.clone(),
            play: item.urls.play.clone()?,
            poster: item.urls.poster.clone(),
            artist: item
                .tags
                .artist
                .clone()
                .or_else(|| item.tags.album_artist.clone()),
            album: item.tags.album.clone(),
            loudness_lufs: item.loudness_lufs,
            duration_secs: item.duration_secs,
        })
    }

    /// Whether it plays gaplessly: a sound short enough to be decoded
    /// whole in the page (`GAPLESS_MAX_SECS`). Longer ones (talks,
    /// podcasts) and videos play through the media element, which streams.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    pub(crate) fn gapless(&self) -> bool {
        self.kind == MediaKind::Audio
            && self
                .duration_secs
                .is_some_and(|d| d.is_finite() && d > 0.0 && d <= GAPLESS_MAX_SECS)
    }
}

/// The longest sound played gaplessly. Decoded audio takes about 23 MB a
/// minute (48 kHz, stereo, 32-bit floats) and two tracks are held at once
/// (the one playing and the next), so 20 minutes is up to ~0.9 GB at the
/// worst; an album's tracks are far shorter.
pub(crate) const GAPLESS_MAX_SECS: f64 = 20.0 * 60.0;

/// The level every item plays at when levels are matched (LUFS; the
/// common "ReplayGain 2" reference).
pub(crate) const REFERENCE_LUFS: f64 = -18.0;

/// The volume that plays an item measured at `lufs` at `REFERENCE_LUFS`.
/// An element's volume cannot go above 1, so quieter items play as they are.
pub(crate) fn level_gain(lufs: Option<f64>) -> f64 {
    lufs.filter(|l| l.is_finite())
        .map(|l| 10f64.powf((REFERENCE_LUFS - l) / 20.0).clamp(0.0, 1.0))
        .unwrap_or(1.0)
}

/// The most a quiet item is raised when levels are matched (+12 dB).
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "the browser build reads it")
)]
pub(crate) const MAX_RAISE: f64 = 4.0;
/// A raised item's loudest sample stays at or below this (about −0.2 dBFS).
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "the browser build reads it")
)]
const PEAK_CEILING: f64 = 0.98;

/// The gain that plays an item measured at `lufs`, whose loudest sample is
/// `peak` (of 1.0), at `REFERENCE_LUFS`, as ReplayGain's track gain does:
/// loud items are turned down; quiet ones are raised, but never so far
/// that their loudest sample would clip, nor by more than `MAX_RAISE`.
/// Without a known peak (the media element, which streams) nothing is
/// raised: an element's volume cannot go above 1 anyway.
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "the browser build reads it")
)]
pub(crate) fn track_gain(lufs: Option<f64>, peak: Option<f64>) -> f64 {
    let Some(lufs) = lufs.filter(|l| l.is_finite()) else {
        return 1.0;
    };
    let wanted = 10f64.powf((REFERENCE_LUFS - lufs) / 20.0);
    if wanted <= 1.0 {
        return wanted.max(0.0);
    }
    match peak.filter(|p| p.is_finite() && *p > 0.0) {
        Some(peak) => wanted.min(MAX_RAISE).min(PEAK_CEILING / peak).max(1.0),
        None => 1.0,
    }
}

/// At most this many tracks are kept: a queue is for listening, not a copy
/// of the library, and local storage is small.
pub(crate) const MAX_TRACKS: usize = 500;

/// The tracks in play order and the one playing (or paused) now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Queue {
    pub(crate) tracks: Vec<Track>,
    pub(crate) current: Option<usize>,
    /// Where the current track is, in seconds (saved as it plays).
    #[serde(default)]
    pub(crate) position: f64,
}

impl Queue {
    /// A stored queue, or an empty one when the text is not a whole, valid
    /// queue (an older format, a hand edit): never a broken player.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    pub(crate) fn restore(text: &str) -> Queue {
        let Ok(mut queue) = serde_json::from_str::<Queue>(text) else {
            return Queue::default();
        };
        queue.tracks.truncate(MAX_TRACKS);
        if queue.current.is_some_and(|i| i >= queue.tracks.len()) {
            queue.current = None;
        }
        if !queue.position.is_finite() || queue.position < 0.0 {
            queue.position = 0.0;
        }
        queue
    }

    pub(crate) fn current_track(&self) -> Option<&Track> {
        self.tracks.get(self.current?)
    }

    /// The track that plays when the current one ends.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    pub(crate) fn upcoming(&self) -> Option<&Track> {
        self.tracks.get(self.current? + 1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.tracks.iter().position(|t| t.id == id)
    }

    /// Takes `id` out of the queue if it is there, keeping `current` on the
    /// same track (or clearing it when that track was the one removed).
    fn take(&mut self, id: &str) -> Option<Track> {
        let index = self.index_of(id)?;
        let track = self.tracks.remove(index);
        self.current = match self.current {
            Some(c) if c == index => None,
            Some(c) if c > index => Some(c - 1),
            other => other,
        };
        Some(track)
    }

    /// Where "next" goes: right after the current track, or first.
    fn next_slot(&self) -> usize {
        self.current.map_or(0, |c| c + 1)
    }

    /// Plays `track` now, from `at` seconds: it goes right after the
    /// current track (moved there if it was queued) and becomes current.
    pub(crate) fn play_now(&mut self, track: Track, at: f64) {
        self.take(&track.id);
        let slot = self.next_slot().min(self.tracks.len());
        self.tracks.insert(slot, track);
        self.current = Some(slot);
        self.position = if at.is_finite() { at.max(0.0) } else { 0.0 };
        self.tracks.truncate(MAX_TRACKS.max(slot + 1));
    }

    /// Replaces the queue with `tracks` (each once, in order) and starts
    /// the first: playing an album or a search result.
    pub(crate) fn play_all(&mut self, tracks: Vec<Track>) {
        self.tracks.clear();
        for track in tracks {
            self.add(track);
        }
        self.current = (!self.tracks.is_empty()).then_some(0);
        self.position = 0.0;
    }

    /// Queues `track` to play after the current one. The current track
    /// itself stays where it is.
    pub(crate) fn play_next(&mut self, track: Track) {
        if self.current_track().is_some_and(|t| t.id == track.id) {
            return;
        }
        self.take(&track.id);
        if self.tracks.len() >= MAX_TRACKS {
            return;
        }
        let slot = self.next_slot().min(self.tracks.len());
        self.tracks.insert(slot, track);
    }

    /// Queues `track` last, unless it is queued already. Whether it was added.
    pub(crate) fn add(&mut self, track: Track) -> bool {
        if self.index_of(&track.id).is_some() || self.tracks.len() >= MAX_TRACKS {
            return false;
        }
        self.tracks.push(track);
        true
    }

    /// Removes the track at `index`. Removing the current one makes the
    /// track after it current (from its start), if there is one.
    pub(crate) fn remove(&mut self, index: usize) {
        if index >= self.tracks.len() {
            return;
        }
        let was_current = self.current == Some(index);
        self.tracks.remove(index);
        self.current = match self.current {
            Some(c) if c == index => (index < self.tracks.len()).then_some(index),
            Some(c) if c > index => Some(c - 1),
            other => other,
        };
        if was_current {
            self.position = 0.0;
        }
    }

    /// Moves the track at `from` to `to`; the current track stays current.
    pub(crate) fn move_track(&mut self, from: usize, to: usize) {
        let len = self.tracks.len();
        if from >= len || to >= len || from == to {
            return;
        }
        let current_id = self.current_track().map(|t| t.id.clone());
        let track = self.tracks.remove(from);
        self.tracks.insert(to, track);
        self.current = current_id.and_then(|id| self.index_of(&id));
    }

    /// Moves on to the next track. Whether there was one.
    pub(crate) fn next(&mut self) -> bool {
        let next = self.next_slot();
        if next >= self.tracks.len() {
            return false;
        }
        self.current = Some(next);
        self.position = 0.0;
        true
    }

    /// Goes back one track. Whether there was one.
    pub(crate) fn previous(&mut self) -> bool {
        match self.current {
            Some(c) if c > 0 => {
                self.current = Some(c - 1);
                self.position = 0.0;
                true
            }
            _ => false,
        }
    }

    /// Makes the track at `index` current, from its start.
    pub(crate) fn jump(&mut self, index: usize) {
        if index < self.tracks.len() {
            self.current = Some(index);
            self.position = 0.0;
        }
    }

    /// Drops `id` (an item that was deleted or is no longer readable).
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "the browser build reads it")
    )]
    pub(crate) fn forget(&mut self, id: &str) {
        if let Some(index) = self.index_of(id) {
            self.remove(index);
        }
    }
}

#[cfg(test)]
mod tests;
