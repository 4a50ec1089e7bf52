//! Checks byte answers against the file they must come from: whole files,
//! single ranges (206 with `Content-Range`) and two ranges at once
//! (206 `multipart/byteranges`, RFC 9110 §14.6).

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap};

/// An inclusive byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A 200 carrying exactly `file`.
pub(crate) fn whole(
    file: &[u8],
    status: StatusCode,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), String> {
    if status != StatusCode::OK {
        return Err(format!("answered {status}, wanted 200"));
    }
    let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    if length != Some(file.len().to_string().as_str()) {
        return Err(format!(
            "Content-Length {length:?} for a file of {}",
            file.len()
        ));
    }
    same_bytes(file, 0, body)
}

/// A 206 carrying `span` of `file`.
pub(crate) fn single(
    file: &[u8],
    span: Span,
    status: StatusCode,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), String> {
    if status != StatusCode::PARTIAL_CONTENT {
        return Err(format!("answered {status} to a range, wanted 206"));
    }
    let range = headers.get(CONTENT_RANGE).and_then(|v| v.to_str().ok());
    let wanted = format!("bytes {}-{}/{}", span.start, span.end, file.len());
    if range != Some(wanted.as_str()) {
        return Err(format!("Content-Range {range:?}, wanted {wanted:?}"));
    }
    same_bytes(&file[span.start..=span.end], span.start, body)
}

/// A 206 `multipart/byteranges` carrying each of `spans` of `file`, in any
/// order, once each.
pub(crate) fn multiple(
    file: &[u8],
    spans: &[Span],
    status: StatusCode,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), String> {
    if status != StatusCode::PARTIAL_CONTENT {
        return Err(format!("answered {status} to two ranges, wanted 206"));
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .ok_or_else(|| format!("Content-Type {content_type:?} for two ranges"))?;
    let mut found = Vec::new();
    let mut rest: &[u8] = body;
    let delimiter = format!("--{boundary}");
    loop {
        rest = skip_crlf(rest);
        rest = rest
            .strip_prefix(delimiter.as_bytes())
            .ok_or("a part does not start with the boundary")?;
        if rest.starts_with(b"--") {
            break;
        }
        let head_end = find(rest, b"\r\n\r\n").ok_or("a part's headers never end")?;
        let head =
            std::str::from_utf8(&rest[..head_end]).map_err(|_| "a part's headers are not text")?;
        let span = head
            .lines()
            .find_map(|line| {
                line.strip_prefix("Content-Range: bytes ")
                    .or_else(|| line.strip_prefix("content-range: bytes "))
            })
            .and_then(parse_content_range)
            .ok_or_else(|| format!("a part without a usable Content-Range: {head:?}"))?;
        if span.1 != file.len() || span.0.end >= file.len() {
            return Err(format!(
                "part Content-Range {span:?} for a file of {}",
                file.len()
            ));
        }
        let span = span.0;
        let length = span.end - span.start + 1;
        let bytes_start = head_end + 4;
        let part = rest
            .get(bytes_start..bytes_start + length)
            .ok_or("a part is shorter than its Content-Range")?;
        same_bytes(&file[span.start..=span.end], span.start, part)?;
        found.push(span);
        rest = &rest[bytes_start + length..];
    }
    found.sort_by_key(|s| s.start);
    let mut wanted = spans.to_vec();
    wanted.sort_by_key(|s| s.start);
    if found != wanted {
        return Err(format!("parts {found:?}, wanted {wanted:?}"));
    }
    Ok(())
}

/// `a-b/len` → (span, len).
fn parse_content_range(text: &str) -> Option<(Span, usize)> {
    let (span, total) = text.trim().split_once('/')?;
    let (start, end) = span.split_once('-')?;
    Some((
        Span {
            start: start.parse().ok()?,
            end: end.parse().ok()?,
        },
        total.parse().ok()?,
    ))
}

fn skip_crlf(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\r\n").unwrap_or(bytes)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `got` is `wanted`; if not, where they part (`at` is where
/// `wanted` starts in the file, for the message).
fn same_bytes(wanted: &[u8], at: usize, got: &[u8]) -> Result<(), String> {
    if wanted == got {
        return Ok(());
    }
    let first_difference = wanted.iter().zip(got).position(|(a, b)| a != b);
    Err(match first_difference {
        Some(i) => format!("byte {} of the file differs", at + i),
        None => format!("{} bytes where the file has {}", got.len(), wanted.len()),
    })
}
