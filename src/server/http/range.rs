//! `Range: bytes=…` parsing (RFC 9110 §14.1.2), pure and total: any header and
//! any file length give an answer, never a panic or a range outside the file.

/// An inclusive byte range inside a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Bytes in the range; never zero, since `end` is inclusive.
    pub(crate) fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// What to send for a request's `Range` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No usable Range header (absent, another unit, or malformed): the whole file.
    Full,
    /// Satisfiable ranges, in request order (at least one).
    Ranges(Vec<ByteRange>),
    /// Well-formed, but no range overlaps the file: 416.
    Unsatisfiable,
}

/// More ranges than this in one header is abuse (many tiny ranges); ignored.
pub(crate) const MAX_RANGES: usize = 64;

/// More ranges overlapping an earlier one than this is abuse (the Apache
/// Killer asked for the same bytes hundreds of times); ignored.
pub(crate) const MAX_OVERLAPS: usize = 8;

/// The ranges to send: `parse`, then the abuse rules, then sorted and merged.
///
/// A header asking for more bytes than the file holds (the sum of its ranges)
/// or with many overlaps is ignored, as Go's net/http and Apache do: the whole
/// file is always a correct answer. Overlapping and adjacent ranges are merged
/// (RFC 9110 §14.2 allows coalescing), so the result is sorted, disjoint, inside
/// the file and never longer in total than the file.
pub(crate) fn select(header: Option<&str>, file_len: u64) -> RangeRequest {
    let mut ranges = match parse(header, file_len) {
        RangeRequest::Ranges(ranges) => ranges,
        other => return other,
    };
    let total = ranges
        .iter()
        .fold(0u64, |sum, r| sum.saturating_add(r.length()));
    if total > file_len {
        return RangeRequest::Full;
    }
    ranges.sort_unstable_by_key(|r| (r.start, r.end));
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    let mut overlaps = 0;
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => {
                overlaps += 1;
                last.end = last.end.max(range.end);
            }
            // Adjacent: one part instead of two is smaller and the same bytes.
            Some(last) if range.start == last.end + 1 => last.end = range.end,
            _ => merged.push(range),
        }
    }
    if overlaps > MAX_OVERLAPS {
        return RangeRequest::Full;
    }
    RangeRequest::Ranges(merged)
}

pub(crate) fn parse(header: Option<&str>, file_len: u64) -> RangeRequest {
    let Some(header) = header else {
        return RangeRequest::Full;
    };
    let Some((unit, specs)) = header.split_once('=') else {
        return RangeRequest::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeRequest::Full;
    }
    let mut ranges = Vec::new();
    for (count, spec) in specs
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        if count >= MAX_RANGES {
            return RangeRequest::Full;
        }
        match parse_spec(spec, file_len) {
            Spec::Invalid => return RangeRequest::Full,
            Spec::Unsatisfiable => {}
            Spec::Range(range) => ranges.push(range),
        }
    }
    if ranges.is_empty() {
        // `bytes=` with nothing in it is malformed, not unsatisfiable.
        if specs.split(',').all(|s| s.trim().is_empty()) {
            return RangeRequest::Full;
        }
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Ranges(ranges)
}

enum Spec {
    Invalid,
    Unsatisfiable,
    Range(ByteRange),
}

fn number(text: &str) -> Option<u64> {
    // Digits only: no sign, no spaces, no hex. Overflow is "too big", not invalid.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<u64>().unwrap_or(u64::MAX))
}

fn parse_spec(spec: &str, len: u64) -> Spec {
    let Some((first, last)) = spec.split_once('-') else {
        return Spec::Invalid;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // Suffix: the last N bytes.
        let Some(n) = number(last) else {
            return Spec::Invalid;
        };
        if n == 0 || len == 0 {
            return Spec::Unsatisfiable;
        }
        return Spec::Range(ByteRange {
            start: len.saturating_sub(n),
            end: len - 1,
        });
    }
    let Some(start) = number(first) else {
        return Spec::Invalid;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(end) if end >= start => end,
            _ => return Spec::Invalid,
        }
    };
    if start >= len {
        return Spec::Unsatisfiable;
    }
    Spec::Range(ByteRange {
        start,
        end: end.min(len - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(header: &str, len: u64) -> RangeRequest {
        parse(Some(header), len)
    }

    fn one(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Ranges(vec![ByteRange { start, end }])
    }

    #[test]
    fn absent_or_foreign_units_mean_the_whole_file() {
        assert_eq!(parse(None, 100), RangeRequest::Full);
        assert_eq!(ranges("items=0-5", 100), RangeRequest::Full);
        assert_eq!(ranges("bytes", 100), RangeRequest::Full);
        assert_eq!(ranges("bytes=", 100), RangeRequest::Full);
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(ranges("bytes=0-9", 100), one(0, 9));
        assert_eq!(ranges("bytes=90-", 100), one(90, 99));
        assert_eq!(ranges("bytes=-10", 100), one(90, 99));
        assert_eq!(ranges("Bytes = 5-5", 100), one(5, 5));
    }

    #[test]
    fn ends_are_clamped_and_suffixes_capped() {
        assert_eq!(ranges("bytes=50-1000", 100), one(50, 99));
        assert_eq!(ranges("bytes=-1000", 100), one(0, 99));
        assert_eq!(ranges("bytes=0-18446744073709551615", 100), one(0, 99));
        assert_eq!(ranges("bytes=0-99999999999999999999999", 100), one(0, 99));
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(ranges("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(ranges("bytes=200-300", 100), RangeRequest::Unsatisfiable);
        assert_eq!(ranges("bytes=-0", 100), RangeRequest::Unsatisfiable);
        assert_eq!(ranges("bytes=0-", 0), RangeRequest::Unsatisfiable);
        assert_eq!(ranges("bytes=-5", 0), RangeRequest::Unsatisfiable);
        assert_eq!(
            ranges("bytes=99999999999999999999999-", 100),
            RangeRequest::Unsatisfiable
        );
    }

    #[test]
    fn malformed_ranges_are_ignored() {
        for bad in [
            "bytes=5-2",
            "bytes=a-b",
            "bytes=-",
            "bytes=1",
            "bytes=+1-2",
            "bytes=0x1-2",
            "bytes=1--2",
        ] {
            assert_eq!(ranges(bad, 100), RangeRequest::Full, "{bad}");
        }
    }

    #[test]
    fn several_ranges_keep_their_order_and_drop_unsatisfiable_ones() {
        assert_eq!(
            ranges("bytes=0-0, 500-600, -1", 100),
            RangeRequest::Ranges(vec![
                ByteRange { start: 0, end: 0 },
                ByteRange { start: 99, end: 99 }
            ])
        );
    }

    #[test]
    fn piles_of_ranges_are_ignored() {
        let pile = (0..=MAX_RANGES)
            .map(|i| format!("{i}-{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(ranges(&format!("bytes={pile}"), 1000), RangeRequest::Full);
    }

    fn selected(header: &str, len: u64) -> RangeRequest {
        select(Some(header), len)
    }

    fn list(pairs: &[(u64, u64)]) -> RangeRequest {
        RangeRequest::Ranges(
            pairs
                .iter()
                .map(|&(start, end)| ByteRange { start, end })
                .collect(),
        )
    }

    #[test]
    fn selection_sorts_and_merges_overlapping_and_adjacent_ranges() {
        assert_eq!(selected("bytes=50-59,0-9", 100), list(&[(0, 9), (50, 59)]));
        assert_eq!(selected("bytes=0-9,5-14", 100), list(&[(0, 14)]));
        assert_eq!(selected("bytes=0-9,10-19", 100), list(&[(0, 19)]));
        assert_eq!(selected("bytes=0-9,11-19", 100), list(&[(0, 9), (11, 19)]));
        assert_eq!(selected("bytes=-5,0-4", 100), list(&[(0, 4), (95, 99)]));
        assert_eq!(selected("bytes=0-0,500-600", 100), list(&[(0, 0)]));
    }

    #[test]
    fn selection_ignores_abusive_headers() {
        // More bytes than the file: the whole file is the answer.
        assert_eq!(selected("bytes=0-,0-", 100), RangeRequest::Full);
        assert_eq!(selected("bytes=0-60,40-99", 100), RangeRequest::Full);
        // Many overlaps of tiny ranges.
        let same = ["0-0"; MAX_OVERLAPS + 2].join(",");
        assert_eq!(selected(&format!("bytes={same}"), 100), RangeRequest::Full);
        let few = ["0-0"; MAX_OVERLAPS + 1].join(",");
        assert_eq!(selected(&format!("bytes={few}"), 100), list(&[(0, 0)]));
        // The other outcomes pass through.
        assert_eq!(selected("bytes=200-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(selected("lines=1-2", 100), RangeRequest::Full);
    }

    #[test]
    fn zero_length_files_have_no_satisfiable_range() {
        for header in ["bytes=0-", "bytes=0-0", "bytes=-1", "bytes=0-,-5"] {
            assert_eq!(selected(header, 0), RangeRequest::Unsatisfiable, "{header}");
        }
        assert_eq!(select(None, 0), RangeRequest::Full);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_never_leaves_the_file(header in ".{0,80}", len in 0u64..5_000) {
                if let RangeRequest::Ranges(list) = parse(Some(&header), len) {
                    prop_assert!(!list.is_empty());
                    for r in list {
                        prop_assert!(r.start <= r.end && r.end < len);
                    }
                }
            }

            #[test]
            fn selection_is_sorted_disjoint_inside_and_no_longer_than_the_file(
                specs in proptest::collection::vec((any::<Option<u64>>(), any::<Option<u64>>()), 1..20),
                len in prop_oneof![0u64..300, any::<u64>()],
            ) {
                let header = specs
                    .iter()
                    .map(|(a, b)| {
                        let a = a.map(|v| v.to_string()).unwrap_or_default();
                        let b = b.map(|v| v.to_string()).unwrap_or_default();
                        format!("{a}-{b}")
                    })
                    .collect::<Vec<_>>()
                    .join(",");
                let header = format!("bytes={header}");
                if let RangeRequest::Ranges(list) = select(Some(&header), len) {
                    prop_assert!(!list.is_empty());
                    let mut total = 0u64;
                    for (i, r) in list.iter().enumerate() {
                        prop_assert!(r.start <= r.end && r.end < len);
                        if i > 0 {
                            // Sorted, and neither overlapping nor adjacent.
                            prop_assert!(r.start > list[i - 1].end + 1);
                        }
                        total += r.length();
                    }
                    prop_assert!(total <= len);
                    // Merging loses no requested byte and adds none.
                    if let RangeRequest::Ranges(asked) = parse(Some(&header), len) {
                        for a in &asked {
                            prop_assert!(list.iter().any(|r| r.start <= a.start && a.end <= r.end));
                        }
                        for r in &list {
                            for edge in [r.start, r.end] {
                                prop_assert!(asked.iter().any(|a| a.start <= edge && edge <= a.end));
                            }
                        }
                    }
                }
            }

            #[test]
            fn huge_numbers_never_panic(a in any::<u128>(), b in any::<u128>(), len in any::<u64>()) {
                for header in [
                    format!("bytes={a}-{b}"),
                    format!("bytes={a}-,{b}-"),
                    format!("bytes=-{a},-{b}"),
                    format!("bytes={a}{b}-"),
                ] {
                    if let RangeRequest::Ranges(list) = select(Some(&header), len) {
                        for r in list {
                            prop_assert!(r.start <= r.end && r.end < len);
                        }
                    }
                }
            }

            #[test]
            fn well_formed_ranges_stay_inside(a in any::<u64>(), b in any::<u64>(), len in any::<u64>()) {
                for header in [format!("bytes={a}-{b}"), format!("bytes={a}-"), format!("bytes=-{b}")] {
                    if let RangeRequest::Ranges(list) = parse(Some(&header), len) {
                        for r in list {
                            prop_assert!(r.start <= r.end && r.end < len);
                            prop_assert!(r.length() >= 1);
                        }
                    }
                }
            }
        }
    }
}
