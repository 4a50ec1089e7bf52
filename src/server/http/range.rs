//! `Range: bytes=…` parsing (RFC 9110 §14.1.2), pure and total: any header and
//! any file length give an answer, never a panic or a range outside the file.

/// An inclusive byte range inside a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Bytes in the range; never zero, since `end` is inclusive.
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// What to send for a request's `Range` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range header (absent, another unit, or malformed): the whole file.
    Full,
    /// Satisfiable ranges, in request order (at least one).
    Ranges(Vec<ByteRange>),
    /// Well-formed, but no range overlaps the file: 416.
    Unsatisfiable,
}

/// More ranges than this in one header is abuse (many tiny ranges); ignored.
pub const MAX_RANGES: usize = 64;

pub fn parse(header: Option<&str>, file_len: u64) -> RangeRequest {
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
