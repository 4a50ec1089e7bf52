//! Unit tests of the trim controls' pure parts.

use super::*;

fn keyframes(at: &[f64]) -> CutPoints {
    CutPoints {
        keyframes: at.to_vec(),
        anywhere: false,
    }
}

#[test]
fn fast_cuts_start_on_keyframes() {
    let points = keyframes(&[0.0, 2.0, 4.0, 6.0]);
    assert_eq!(fast_cut(&points, 4.0005), FastCut::Ready);
    assert_eq!(
        fast_cut(&points, 5.0),
        FastCut::NeedsKeyframe {
            before: Some(4.0),
            after: Some(6.0)
        }
    );
    assert_eq!(
        fast_cut(&points, 7.0),
        FastCut::NeedsKeyframe {
            before: Some(6.0),
            after: None
        }
    );
    let anywhere = CutPoints {
        keyframes: vec![],
        anywhere: true,
    };
    assert_eq!(fast_cut(&anywhere, 1.234), FastCut::Ready);
    assert!(matches!(
        fast_cut(&keyframes(&[]), 0.0),
        FastCut::Unavailable(_)
    ));
}

#[test]
fn ranges_are_checked_before_asking() {
    assert_eq!(range_problem(1.5, 4.5, 6.0), None);
    assert!(range_problem(2.0, 2.0, 6.0).is_some());
    assert!(range_problem(3.0, 2.0, 6.0).is_some());
    assert!(range_problem(1.0, 6.5, 6.0).is_some());
    assert_eq!(range_problem(1.0, 6.02, 6.0), None);
    assert!(range_problem(1.0, 1.05, 6.0).is_some());
    assert_eq!(range_problem(1.0, 1.1, 6.0), None);
}
