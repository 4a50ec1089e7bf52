//! The decision for one GET or HEAD of stored bytes: preconditions first, then
//! ranges. Pure: the handler only carries the plan out.

use std::time::SystemTime;

use crate::server::http::conditional::{self, Conditions, Outcome, Validators};
use crate::server::http::range::{self, ByteRange, RangeRequest};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// 200 with the whole file.
    Whole,
    /// 206 with one range and Content-Range; never multipart.
    Part(ByteRange),
    /// 206 `multipart/byteranges`: sorted, disjoint, at least two.
    Parts(Vec<ByteRange>),
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
    /// 304.
    NotModified,
    /// 412.
    PreconditionFailed,
}

impl Plan {
    pub(crate) fn decide(c: &Conditions, v: &Validators, len: u64, now: SystemTime) -> Plan {
        match conditional::evaluate(c, v, now) {
            Outcome::NotModified => Plan::NotModified,
            Outcome::PreconditionFailed => Plan::PreconditionFailed,
            Outcome::Proceed { ranges: false } => Plan::Whole,
            Outcome::Proceed { ranges: true } => match range::select(c.range.as_deref(), len) {
                RangeRequest::Full => Plan::Whole,
                RangeRequest::Unsatisfiable => Plan::Unsatisfiable,
                RangeRequest::Ranges(mut list) if list.len() == 1 => Plan::Part(list.remove(0)),
                RangeRequest::Ranges(list) => Plan::Parts(list),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn v() -> Validators {
        Validators::new("t".into(), Some(SystemTime::UNIX_EPOCH))
    }

    fn decide(range: Option<&str>, if_range: Option<&str>, len: u64) -> Plan {
        let c = Conditions {
            range: range.map(Into::into),
            if_range: if_range.map(Into::into),
            ..Default::default()
        };
        Plan::decide(
            &c,
            &v(),
            len,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1),
        )
    }

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn table() {
        let cases: &[(Option<&str>, Option<&str>, u64, Plan)] = &[
            (None, None, 10, Plan::Whole),
            (Some("bytes=0-3"), None, 10, Plan::Part(r(0, 3))),
            (Some("bytes=-3"), None, 10, Plan::Part(r(7, 9))),
            (
                Some("bytes=0-1,5-6"),
                None,
                10,
                Plan::Parts(vec![r(0, 1), r(5, 6)]),
            ),
            // Merged into one: a single part, never multipart.
            (Some("bytes=0-1,2-3"), None, 10, Plan::Part(r(0, 3))),
            (Some("bytes=0-1,20-30"), None, 10, Plan::Part(r(0, 1))),
            (Some("bytes=10-"), None, 10, Plan::Unsatisfiable),
            (Some("pages=1"), None, 10, Plan::Whole),
            (Some("bytes=0-3"), Some("\"t\""), 10, Plan::Part(r(0, 3))),
            (Some("bytes=0-3"), Some("\"x\""), 10, Plan::Whole),
            (Some("bytes=10-"), Some("\"x\""), 10, Plan::Whole),
            // Zero-length files: whole (empty) without a range, 416 with one.
            (None, None, 0, Plan::Whole),
            (Some("bytes=0-"), None, 0, Plan::Unsatisfiable),
            (Some("bytes=-1"), None, 0, Plan::Unsatisfiable),
            (Some("bytes=0-"), Some("\"x\""), 0, Plan::Whole),
            (Some("bytes=0-0,-1"), None, 0, Plan::Unsatisfiable),
        ];
        for (range, if_range, len, plan) in cases {
            assert_eq!(
                &decide(*range, *if_range, *len),
                plan,
                "{range:?} {if_range:?} {len}"
            );
        }
    }

    #[test]
    fn preconditions_come_before_ranges() {
        let c = Conditions {
            if_none_match: Some("\"t\"".into()),
            range: Some("bytes=0-1".into()),
            ..Default::default()
        };
        assert_eq!(
            Plan::decide(&c, &v(), 0, SystemTime::UNIX_EPOCH),
            Plan::NotModified
        );
        let c = Conditions {
            if_match: Some("\"x\"".into()),
            range: Some("bytes=99-".into()),
            ..Default::default()
        };
        assert_eq!(
            Plan::decide(&c, &v(), 10, SystemTime::UNIX_EPOCH),
            Plan::PreconditionFailed
        );
    }
}
