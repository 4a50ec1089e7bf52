//! Unit tests of the player's pure parts.

use super::*;

#[test]
fn keys_map_to_shortcuts() {
    assert_eq!(Shortcut::of(" "), Some(Shortcut::TogglePlay));
    assert_eq!(Shortcut::of("k"), Some(Shortcut::TogglePlay));
    assert_eq!(Shortcut::of("ArrowLeft"), Some(Shortcut::Seek(false)));
    assert_eq!(Shortcut::of("ArrowRight"), Some(Shortcut::Seek(true)));
    assert_eq!(Shortcut::of("F"), Some(Shortcut::Fullscreen));
    assert_eq!(Shortcut::of("m"), Some(Shortcut::Mute));
    assert_eq!(Shortcut::of("ArrowUp"), None);
    assert_eq!(Shortcut::of("x"), None);
}

#[test]
fn resumes_only_away_from_both_ends() {
    assert_eq!(resume_at(42.0, 100.0), Some(42.0));
    assert_eq!(resume_at(0.4, 100.0), None);
    assert_eq!(resume_at(96.0, 100.0), None);
    assert_eq!(resume_at(f64::NAN, 100.0), None);
    // Unknown length (a stream): any position past the start.
    assert_eq!(resume_at(12.0, f64::NAN), Some(12.0));
}

#[test]
fn volumes_are_checked() {
    assert_eq!(parse_volume("0.3"), Some(0.3));
    assert_eq!(parse_volume(" 1 "), Some(1.0));
    assert_eq!(parse_volume("1.5"), None);
    assert_eq!(parse_volume("loud"), None);
}

#[test]
fn speeds_render_as_plain_numbers() {
    assert_eq!(speed_value(1.0), "1");
    assert_eq!(speed_value(0.5), "0.5");
    assert_eq!(speed_label(1.25), "1.25×");
    assert!(SPEEDS.contains(&1.0));
}
