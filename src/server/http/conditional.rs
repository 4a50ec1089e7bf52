//! Conditional requests (RFC 9110 §13): validators and the preconditions
//! evaluated against them, pure so that every branch is tested without a server.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, header};

/// What identifies this exact representation: a strong entity tag and the
/// modification time (whole seconds, as HTTP dates carry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Validators {
    /// The opaque tag without quotes; always strong, since stored bytes never change.
    pub etag: String,
    pub last_modified: Option<SystemTime>,
}

impl Validators {
    pub(crate) fn new(etag: String, modified: Option<SystemTime>) -> Self {
        Validators {
            etag,
            last_modified: modified.map(whole_seconds),
        }
    }

    /// The ETag header value.
    pub(crate) fn etag_header(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    /// The Last-Modified header value.
    pub(crate) fn last_modified_header(&self) -> Option<String> {
        self.last_modified.map(httpdate::fmt_http_date)
    }
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    SystemTime::UNIX_EPOCH + Duration::from_secs(since.as_secs())
}

/// The request's conditional fields and Range, owned and decoded leniently:
/// a value that is not text cannot match a tag, which is the safe reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub if_unmodified_since: Option<String>,
    pub if_range: Option<String>,
    pub range: Option<String>,
}

impl Conditions {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        Self::from_fields(
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        )
    }

    /// Reads the fields from `(name, value)` pairs in the order they came:
    /// the router's `HeaderMap` and the direct path's parsed head both come
    /// here, so both read a request alike. Names match case-insensitively.
    pub(crate) fn from_fields<'a>(fields: impl Iterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut conditions = Conditions::default();
        for (name, value) in fields {
            let is = |known: &HeaderName| name.eq_ignore_ascii_case(known.as_str());
            let text = || String::from_utf8_lossy(value);
            if is(&header::IF_MATCH) {
                append(&mut conditions.if_match, &text());
            } else if is(&header::IF_NONE_MATCH) {
                append(&mut conditions.if_none_match, &text());
            } else if is(&header::IF_MODIFIED_SINCE) {
                single(&mut conditions.if_modified_since, text());
            } else if is(&header::IF_UNMODIFIED_SINCE) {
                single(&mut conditions.if_unmodified_since, text());
            } else if is(&header::IF_RANGE) {
                single(&mut conditions.if_range, text());
            } else if is(&header::RANGE) {
                single(&mut conditions.range, text());
            }
        }
        conditions
    }
}

/// Tag lists may be split over several field lines; they join with commas.
fn append(list: &mut Option<String>, value: &str) {
    match list {
        Some(list) => {
            list.push_str(", ");
            list.push_str(value);
        }
        None => *list = Some(value.to_string()),
    }
}

/// Singletons: a repeated field is malformed, so it reads as empty.
fn single(field: &mut Option<String>, value: std::borrow::Cow<'_, str>) {
    *field = Some(match field {
        Some(_) => String::new(),
        None => value.into_owned(),
    });
}

/// The outcome of the preconditions of a GET or HEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Serve; `ranges` says whether a Range header may be honoured (If-Range).
    Proceed { ranges: bool },
    /// 304.
    NotModified,
    /// 412.
    PreconditionFailed,
}

/// RFC 9110 §13.2.2, in its order, for GET and HEAD (the only methods served).
pub(crate) fn evaluate(c: &Conditions, v: &Validators, now: SystemTime) -> Outcome {
    // 1 and 2: If-Match, else If-Unmodified-Since.
    if let Some(list) = &c.if_match {
        if !matches_any(list, &v.etag, Comparison::Strong) {
            return Outcome::PreconditionFailed;
        }
    } else if let (Some(date), Some(modified)) = (
        c.if_unmodified_since.as_deref().and_then(date),
        v.last_modified,
    ) && modified > date
    {
        return Outcome::PreconditionFailed;
    }
    // 3 and 4: If-None-Match, else If-Modified-Since.
    if let Some(list) = &c.if_none_match {
        if matches_any(list, &v.etag, Comparison::Weak) {
            return Outcome::NotModified;
        }
    } else if let (Some(date), Some(modified)) = (
        c.if_modified_since.as_deref().and_then(date),
        v.last_modified,
    ) && date <= now
        && modified <= date
    {
        // A date in the future is invalid (§13.1.3) and ignored.
        return Outcome::NotModified;
    }
    // 5: If-Range only matters with a Range.
    let ranges = match (&c.range, &c.if_range) {
        (Some(_), Some(validator)) => if_range_holds(validator, v),
        _ => true,
    };
    Outcome::Proceed { ranges }
}

fn date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

/// If-Range holds for our strong tag (strong comparison) or our exact date.
fn if_range_holds(validator: &str, v: &Validators) -> bool {
    let validator = validator.trim();
    if validator.starts_with('"') || validator.starts_with("W/") {
        let mut tags = EntityTags::new(validator);
        let one = tags.next();
        return tags.next().is_none()
            && one.is_some_and(|tag| tag.matches(&v.etag, Comparison::Strong));
    }
    date(validator).is_some_and(|date| v.last_modified == Some(date))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    /// Both tags strong and equal (If-Match, If-Range).
    Strong,
    /// Equal opaque tags, weak or not (If-None-Match).
    Weak,
}

/// `*` matches any current representation; otherwise any tag of the list.
/// A malformed list stops matching where it breaks.
fn matches_any(list: &str, etag: &str, comparison: Comparison) -> bool {
    list.trim() == "*" || EntityTags::new(list).any(|tag| tag.matches(etag, comparison))
}

#[derive(Debug, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

impl EntityTag<'_> {
    fn matches(&self, ours: &str, comparison: Comparison) -> bool {
        self.opaque == ours && (comparison == Comparison::Weak || !self.weak)
    }
}

/// The entity tags of a `#entity-tag` list; ends at the first malformed one.
struct EntityTags<'a> {
    rest: &'a str,
}

impl<'a> EntityTags<'a> {
    fn new(list: &'a str) -> Self {
        EntityTags { rest: list }
    }
}

impl<'a> Iterator for EntityTags<'a> {
    type Item = EntityTag<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest.trim_start_matches([' ', '\t', ',']);
        let (weak, rest) = match rest.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        // The opaque part is quoted and may hold commas, so split on quotes only.
        let quoted = rest.strip_prefix('"')?;
        let close = quoted.find('"')?;
        let opaque = &quoted[..close];
        let after = &quoted[close + 1..];
        if !(after.is_empty() || after.starts_with([' ', '\t', ','])) {
            self.rest = "";
            return None;
        }
        self.rest = after;
        Some(EntityTag { weak, opaque })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "abc123";

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn ours() -> Validators {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT; sub-second parts are dropped.
        Validators::new(
            TAG.into(),
            Some(at(784_111_777) + Duration::from_millis(400)),
        )
    }

    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const EARLIER: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const LATER: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn eval(c: Conditions) -> Outcome {
        evaluate(&c, &ours(), at(2_000_000_000))
    }

    const GO: Outcome = Outcome::Proceed { ranges: true };
    const FULL: Outcome = Outcome::Proceed { ranges: false };

    #[test]
    fn validators_render_as_headers() {
        assert_eq!(ours().etag_header(), "\"abc123\"");
        assert_eq!(ours().last_modified_header().as_deref(), Some(DATE));
    }

    #[test]
    fn tag_lists_parse_with_weak_tags_and_commas_inside_quotes() {
        let tags: Vec<_> = EntityTags::new(r#" "a", W/"b" ,"c,d",,"" "#).collect();
        let expect = [(false, "a"), (true, "b"), (false, "c,d"), (false, "")];
        assert_eq!(tags.len(), expect.len());
        for (tag, (weak, opaque)) in tags.iter().zip(expect) {
            assert_eq!((tag.weak, tag.opaque), (weak, opaque));
        }
        assert_eq!(EntityTags::new("abc").count(), 0);
        assert_eq!(EntityTags::new(r#""a"x, "b""#).count(), 0);
        assert_eq!(EntityTags::new(r#""a", oops, "b""#).count(), 1);
    }

    #[test]
    fn if_match_is_strong_and_fails_with_412() {
        let c = |v: &str| Conditions {
            if_match: Some(v.into()),
            ..Default::default()
        };
        assert_eq!(eval(c("*")), GO);
        assert_eq!(eval(c(r#""abc123""#)), GO);
        assert_eq!(eval(c(r#""x", "abc123""#)), GO);
        assert_eq!(eval(c(r#"W/"abc123""#)), Outcome::PreconditionFailed);
        assert_eq!(eval(c(r#""other""#)), Outcome::PreconditionFailed);
        assert_eq!(eval(c("garbage")), Outcome::PreconditionFailed);
    }

    #[test]
    fn if_unmodified_since_fails_only_after_a_change_and_yields_to_if_match() {
        let c = |v: &str| Conditions {
            if_unmodified_since: Some(v.into()),
            ..Default::default()
        };
        assert_eq!(eval(c(DATE)), GO);
        assert_eq!(eval(c(LATER)), GO);
        assert_eq!(eval(c(EARLIER)), Outcome::PreconditionFailed);
        assert_eq!(eval(c("not a date")), GO);
        let both = Conditions {
            if_match: Some("*".into()),
            if_unmodified_since: Some(EARLIER.into()),
            ..Default::default()
        };
        assert_eq!(eval(both), GO);
    }

    #[test]
    fn if_none_match_is_weak_and_answers_304() {
        let c = |v: &str| Conditions {
            if_none_match: Some(v.into()),
            ..Default::default()
        };
        assert_eq!(eval(c("*")), Outcome::NotModified);
        assert_eq!(eval(c(r#""abc123""#)), Outcome::NotModified);
        assert_eq!(eval(c(r#"W/"abc123""#)), Outcome::NotModified);
        assert_eq!(eval(c(r#""a", "b", "abc123""#)), Outcome::NotModified);
        assert_eq!(eval(c(r#""other""#)), GO);
    }

    #[test]
    fn if_modified_since_accepts_every_http_date_form_and_yields_to_if_none_match() {
        let c = |v: &str| Conditions {
            if_modified_since: Some(v.into()),
            ..Default::default()
        };
        assert_eq!(eval(c(DATE)), Outcome::NotModified);
        assert_eq!(
            eval(c("Sunday, 06-Nov-94 08:49:37 GMT")),
            Outcome::NotModified
        );
        assert_eq!(eval(c("Sun Nov  6 08:49:37 1994")), Outcome::NotModified);
        assert_eq!(eval(c(LATER)), Outcome::NotModified);
        assert_eq!(eval(c(EARLIER)), GO);
        assert_eq!(eval(c("yesterday")), GO);
        // A date after the server's clock is invalid.
        let future = evaluate(&c(LATER), &ours(), at(784_111_777));
        assert_eq!(future, GO);
        let both = Conditions {
            if_none_match: Some(r#""other""#.into()),
            if_modified_since: Some(DATE.into()),
            ..Default::default()
        };
        assert_eq!(eval(both), GO);
    }

    #[test]
    fn the_order_puts_412_before_304() {
        let c = Conditions {
            if_match: Some(r#""other""#.into()),
            if_none_match: Some("*".into()),
            ..Default::default()
        };
        assert_eq!(eval(c), Outcome::PreconditionFailed);
    }

    #[test]
    fn if_range_needs_a_strong_tag_or_the_exact_date() {
        let c = |v: &str| Conditions {
            if_range: Some(v.into()),
            range: Some("bytes=0-1".into()),
            ..Default::default()
        };
        assert_eq!(eval(c(r#""abc123""#)), GO);
        assert_eq!(eval(c(DATE)), GO);
        assert_eq!(eval(c(r#"W/"abc123""#)), FULL);
        assert_eq!(eval(c(r#""other""#)), FULL);
        assert_eq!(eval(c(r#""abc123", "abc123""#)), FULL);
        assert_eq!(eval(c(LATER)), FULL);
        assert_eq!(eval(c("junk")), FULL);
        // Without a Range there is nothing to decide.
        let no_range = Conditions {
            if_range: Some("junk".into()),
            ..Default::default()
        };
        assert_eq!(eval(no_range), GO);
    }

    #[test]
    fn headers_are_read_leniently() {
        let mut headers = HeaderMap::new();
        headers.append(header::IF_NONE_MATCH, "\"a\"".parse().unwrap());
        headers.append(header::IF_NONE_MATCH, "\"b\"".parse().unwrap());
        headers.append(header::RANGE, "bytes=0-1".parse().unwrap());
        headers.append(header::RANGE, "bytes=2-3".parse().unwrap());
        headers.append(
            header::IF_MATCH,
            axum::http::HeaderValue::from_bytes(b"\"\xff\"").unwrap(),
        );
        let c = Conditions::from_headers(&headers);
        assert_eq!(c.if_none_match.as_deref(), Some("\"a\", \"b\""));
        assert_eq!(c.range.as_deref(), Some(""));
        assert_eq!(c.if_match.as_deref(), Some("\"\u{FFFD}\""));
        assert_eq!(c.if_range, None);
    }
}
