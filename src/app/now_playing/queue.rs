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
mod tests {
    use super::*;

    fn track(id: &str) -> Track {
        Track {
            id: id.into(),
            title: format!("Song {id}"),
            kind: MediaKind::Audio,
            page: format!("/media/{id}"),
            play: format!("/files/{id}/original"),
            poster: None,
            artist: None,
            album: None,
            loudness_lufs: None,
            duration_secs: Some(180.0),
        }
    }

    #[test]
    fn quiet_items_are_raised_as_far_as_their_peak_allows() {
        // Loud: turned down whatever the peak.
        assert!((track_gain(Some(-12.0), Some(1.0)) - 0.501).abs() < 0.001);
        // Quiet by 6 dB with room: raised 6 dB.
        assert!((track_gain(Some(-24.0), Some(0.25)) - 1.995).abs() < 0.001);
        // Quiet by 6 dB, but its peak at 0.7: raised only to 0.98 / 0.7.
        assert!((track_gain(Some(-24.0), Some(0.7)) - 1.4).abs() < 0.001);
        // Very quiet: at most +12 dB.
        assert_eq!(track_gain(Some(-60.0), Some(0.01)), MAX_RAISE);
        // A peak already at full scale, or none known: not raised.
        assert_eq!(track_gain(Some(-30.0), Some(1.0)), 1.0);
        assert_eq!(track_gain(Some(-30.0), None), 1.0);
        assert_eq!(track_gain(None, Some(0.1)), 1.0);
        assert_eq!(level_gain(Some(-30.0)), track_gain(Some(-30.0), None));
    }

    #[test]
    fn short_sounds_play_gaplessly_and_long_ones_and_videos_stream() {
        let mut t = track("a");
        assert!(t.gapless());
        t.duration_secs = Some(GAPLESS_MAX_SECS + 1.0);
        assert!(!t.gapless(), "a long talk streams");
        t.duration_secs = None;
        assert!(!t.gapless(), "an unknown length streams");
        t.duration_secs = Some(60.0);
        t.kind = MediaKind::Video;
        assert!(!t.gapless());
    }

    #[test]
    fn the_upcoming_track_follows_the_current_one() {
        let mut q = Queue::default();
        assert_eq!(q.upcoming(), None);
        q.play_all(vec![track("a"), track("b")]);
        assert_eq!(q.upcoming().map(|t| t.id.as_str()), Some("b"));
        q.next();
        assert_eq!(q.upcoming(), None);
    }

    #[test]
    fn levels_are_matched_down_to_the_reference() {
        assert_eq!(level_gain(None), 1.0);
        assert_eq!(level_gain(Some(-18.0)), 1.0);
        assert!((level_gain(Some(-12.0)) - 0.501).abs() < 0.001);
        assert_eq!(
            level_gain(Some(-30.0)),
            1.0,
            "quieter items play as they are"
        );
        assert_eq!(level_gain(Some(f64::NEG_INFINITY)), 1.0);
    }

    fn ids(queue: &Queue) -> Vec<&str> {
        queue.tracks.iter().map(|t| t.id.as_str()).collect()
    }

    fn current(queue: &Queue) -> Option<&str> {
        queue.current_track().map(|t| t.id.as_str())
    }

    #[test]
    fn added_tracks_queue_last_and_once() {
        let mut q = Queue::default();
        assert!(q.add(track("a")));
        assert!(q.add(track("b")));
        assert!(!q.add(track("a")), "already queued");
        assert_eq!(ids(&q), ["a", "b"]);
        assert_eq!(current(&q), None, "adding does not start anything");
    }

    #[test]
    fn play_next_goes_right_after_the_current_track() {
        let mut q = Queue::default();
        q.add(track("a"));
        q.add(track("b"));
        q.add(track("c"));
        q.jump(0);
        q.play_next(track("c"));
        assert_eq!(ids(&q), ["a", "c", "b"], "moved, not copied");
        q.play_next(track("d"));
        assert_eq!(ids(&q), ["a", "d", "c", "b"]);
        q.play_next(track("a"));
        assert_eq!(ids(&q), ["a", "d", "c", "b"], "the current track stays");
        assert_eq!(current(&q), Some("a"));
    }

    #[test]
    fn play_now_starts_the_track_after_the_current_one_at_the_time_given() {
        let mut q = Queue::default();
        q.add(track("a"));
        q.add(track("b"));
        q.jump(0);
        q.play_now(track("c"), 12.5);
        assert_eq!(ids(&q), ["a", "c", "b"]);
        assert_eq!(current(&q), Some("c"));
        assert_eq!(q.position, 12.5);
        q.play_now(track("b"), f64::NAN);
        assert_eq!(ids(&q), ["a", "c", "b"]);
        assert_eq!(current(&q), Some("b"));
        assert_eq!(q.position, 0.0);
    }

    #[test]
    fn next_and_previous_stop_at_the_ends() {
        let mut q = Queue::default();
        q.add(track("a"));
        q.add(track("b"));
        assert!(q.next(), "from nothing, next is the first track");
        assert_eq!(current(&q), Some("a"));
        q.position = 30.0;
        assert!(q.next());
        assert_eq!((current(&q), q.position), (Some("b"), 0.0));
        assert!(!q.next());
        assert_eq!(current(&q), Some("b"));
        assert!(q.previous());
        assert!(!q.previous());
        assert_eq!(current(&q), Some("a"));
    }

    #[test]
    fn removing_keeps_the_current_track_or_moves_to_the_next() {
        let mut q = Queue::default();
        for id in ["a", "b", "c"] {
            q.add(track(id));
        }
        q.jump(1);
        q.remove(0);
        assert_eq!((ids(&q), current(&q)), (vec!["b", "c"], Some("b")));
        q.position = 9.0;
        q.remove(0);
        assert_eq!(
            (ids(&q), current(&q), q.position),
            (vec!["c"], Some("c"), 0.0)
        );
        q.remove(0);
        assert_eq!(current(&q), None);
        assert!(q.is_empty());
        q.remove(5);
    }

    #[test]
    fn reordering_keeps_the_current_track_current() {
        let mut q = Queue::default();
        for id in ["a", "b", "c", "d"] {
            q.add(track(id));
        }
        q.jump(1);
        q.move_track(3, 0);
        assert_eq!(ids(&q), ["d", "a", "b", "c"]);
        assert_eq!(current(&q), Some("b"));
        q.move_track(2, 3);
        assert_eq!(ids(&q), ["d", "a", "c", "b"]);
        assert_eq!(current(&q), Some("b"));
        q.move_track(0, 9);
        assert_eq!(ids(&q), ["d", "a", "c", "b"], "out of range is ignored");
    }

    #[test]
    fn a_stored_queue_reads_back_and_a_broken_one_is_empty() {
        let mut q = Queue::default();
        q.add(track("a"));
        q.play_now(track("b"), 3.0);
        let text = serde_json::to_string(&q).expect("json");
        assert_eq!(Queue::restore(&text), q);
        assert_eq!(Queue::restore("{not json"), Queue::default());
        let bad = r#"{"tracks":[],"current":4,"position":-3}"#;
        let restored = Queue::restore(bad);
        assert_eq!((restored.current, restored.position), (None, 0.0));
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut q = Queue::default();
        for i in 0..MAX_TRACKS + 5 {
            q.add(track(&i.to_string()));
        }
        assert_eq!(q.tracks.len(), MAX_TRACKS);
        q.jump(MAX_TRACKS - 1);
        q.play_now(track("new"), 0.0);
        assert_eq!(current(&q), Some("new"));
        assert!(q.tracks.len() <= MAX_TRACKS + 1);
    }

    #[test]
    fn playing_all_replaces_the_queue_in_order() {
        let mut q = Queue::default();
        q.add(track("old"));
        q.jump(0);
        q.position = 40.0;
        q.play_all(vec![track("a"), track("b"), track("a"), track("c")]);
        assert_eq!(ids(&q), ["a", "b", "c"]);
        assert_eq!((current(&q), q.position), (Some("a"), 0.0));
        q.play_all(Vec::new());
        assert_eq!(current(&q), None);
    }

    #[test]
    fn forgetting_an_item_removes_it() {
        let mut q = Queue::default();
        q.add(track("a"));
        q.add(track("b"));
        q.jump(0);
        q.forget("a");
        assert_eq!((ids(&q), current(&q)), (vec!["b"], Some("b")));
        q.forget("zzz");
        assert_eq!(ids(&q), ["b"]);
    }
}
