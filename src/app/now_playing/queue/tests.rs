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
