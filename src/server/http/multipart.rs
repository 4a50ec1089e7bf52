//! `multipart/byteranges` (RFC 9110 §14.6): the body of a 206 for several
//! ranges, as segments for `FileBody`, with its exact length known up front.

use bytes::Bytes;

use crate::server::http::body::Segment;
use crate::server::http::range::ByteRange;

pub(crate) struct Multipart {
    /// The response's Content-Type, with the boundary.
    pub content_type: String,
    pub segments: Vec<Segment>,
    /// The exact body length, for Content-Length.
    pub length: u64,
}

/// Each range becomes a part with its own Content-Type and Content-Range.
///
/// The boundary comes from the entity tag: unique to these bytes, the same
/// for GET and HEAD (so HEAD answers GET's exact headers), and a content hash
/// cannot sensibly occur inside the content it hashes.
pub(crate) fn byteranges(
    ranges: &[ByteRange],
    file_len: u64,
    content_type: &str,
    etag: &str,
) -> Multipart {
    let boundary = boundary(etag);
    let mut segments = Vec::with_capacity(ranges.len() * 2 + 1);
    for (i, range) in ranges.iter().enumerate() {
        // The CRLF before a delimiter belongs to it; the first needs none.
        let lead = if i == 0 { "" } else { "\r\n" };
        let head = format!(
            "{lead}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {}-{}/{file_len}\r\n\r\n",
            range.start, range.end
        );
        segments.push(Segment::Bytes(Bytes::from(head)));
        segments.push(Segment::File {
            start: range.start,
            len: range.length(),
        });
    }
    segments.push(Segment::Bytes(Bytes::from(format!(
        "\r\n--{boundary}--\r\n"
    ))));
    Multipart {
        content_type: format!("multipart/byteranges; boundary={boundary}"),
        length: segments.iter().map(Segment::len).sum(),
        segments,
    }
}

/// At most 70 characters of `bcharsnospace` (RFC 2046 §5.1.1).
fn boundary(etag: &str) -> String {
    let tail: String = etag
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(60)
        .collect();
    format!("reel-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segments: &[Segment], file: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for segment in segments {
            match segment {
                Segment::Bytes(bytes) => out.extend_from_slice(bytes),
                Segment::File { start, len } => {
                    out.extend_from_slice(&file[*start as usize..(*start + *len) as usize]);
                }
            }
        }
        out
    }

    #[test]
    fn parts_carry_their_headers_and_the_length_is_exact() {
        let file: Vec<u8> = (b'a'..=b'z').collect();
        let ranges = [
            ByteRange { start: 0, end: 2 },
            ByteRange { start: 20, end: 25 },
        ];
        let body = byteranges(&ranges, 26, "audio/wav", "abc123");
        assert_eq!(
            body.content_type,
            "multipart/byteranges; boundary=reel-abc123"
        );
        let text = String::from_utf8(render(&body.segments, &file)).expect("text");
        assert_eq!(
            text,
            "--reel-abc123\r\nContent-Type: audio/wav\r\nContent-Range: bytes 0-2/26\r\n\r\nabc\
             \r\n--reel-abc123\r\nContent-Type: audio/wav\r\nContent-Range: bytes 20-25/26\r\n\r\nuvwxyz\
             \r\n--reel-abc123--\r\n"
        );
        assert_eq!(body.length, text.len() as u64);
    }

    #[test]
    fn boundaries_are_short_and_plain() {
        let long = format!("{}-poster-1f-2a.3", "f".repeat(64));
        let b = boundary(&long);
        assert!(b.len() <= 70, "{b}");
        assert!(b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
