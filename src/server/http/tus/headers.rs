//! The tus headers: names, parsing of what clients send, formatting of what
//! we answer. Pure functions, tested case by case.

use std::time::SystemTime;

use super::TusError;
use crate::server::service::{Algorithm, Checksum, Metadata};
use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub(crate) const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
pub(crate) const TUS_VERSION: HeaderName = HeaderName::from_static("tus-version");
pub(crate) const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
pub(crate) const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
pub(crate) const TUS_CHECKSUM_ALGORITHM: HeaderName =
    HeaderName::from_static("tus-checksum-algorithm");
pub(crate) const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
pub(crate) const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub(crate) const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
pub(crate) const UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");
pub(crate) const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
pub(crate) const UPLOAD_DEFER_LENGTH: HeaderName = HeaderName::from_static("upload-defer-length");
pub(crate) const UPLOAD_CONCAT: HeaderName = HeaderName::from_static("upload-concat");
pub(crate) const X_HTTP_METHOD_OVERRIDE: HeaderName =
    HeaderName::from_static("x-http-method-override");
pub(crate) const X_REQUESTED_WITH: HeaderName = HeaderName::from_static("x-requested-with");

/// The one content type PATCH bodies (and creation-with-upload bodies) use.
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Longest `filetype` kept; it is shown, never trusted.
const MAX_FILETYPE: usize = 100;

/// Clients differ on base64 padding; accept both, as tusd does.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A non-negative decimal number and nothing else (no sign, no spaces).
fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"))
}

/// A required byte count such as Upload-Length or Upload-Offset (`name` is
/// how messages spell it).
pub(crate) fn required_u64(
    headers: &HeaderMap,
    header: &HeaderName,
    name: &'static str,
) -> Result<u64, TusError> {
    let value = text(headers, header).ok_or(TusError::BadHeader {
        name,
        why: "it is required",
    })?;
    parse_u64(value).ok_or(TusError::BadHeader {
        name,
        why: "expected a whole number of bytes",
    })
}

/// Content-Length when the client sent one.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    text(headers, &header::CONTENT_LENGTH).and_then(parse_u64)
}

pub(crate) fn is_offset_octet_stream(headers: &HeaderMap) -> bool {
    text(headers, &header::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

/// `key base64,key base64,key` — keys are unique, values optional.
pub(crate) fn parse_metadata(headers: &HeaderMap) -> Result<Metadata, TusError> {
    let bad = |why| TusError::BadHeader {
        name: "Upload-Metadata",
        why,
    };
    let mut metadata = Metadata::default();
    let Some(value) = text(headers, &UPLOAD_METADATA) else {
        return Ok(metadata);
    };
    let mut seen = std::collections::HashSet::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.split(' ').filter(|p| !p.is_empty());
        let key = parts.next().ok_or(bad("a key is empty"))?;
        let encoded = parts.next();
        if parts.next().is_some() {
            return Err(bad("a pair has more than a key and a value"));
        }
        if !seen.insert(key) {
            return Err(bad("a key appears twice"));
        }
        let decoded = match encoded {
            Some(encoded) => Some(
                BASE64
                    .decode(encoded)
                    .map_err(|_| bad("a value is not base64"))?,
            ),
            None => None,
        };
        let decoded = decoded.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        match key {
            "filename" => metadata.filename = decoded,
            "filetype" => metadata.filetype = decoded.filter(|t| looks_like_media_type(t)),
            "visibility" => {
                let text = decoded.unwrap_or_default();
                metadata.visibility = Some(crate::accounts::Visibility::parse(&text).ok_or(
                    bad("visibility is not private, internal, unlisted or public"),
                )?);
            }
            _ => {}
        }
    }
    Ok(metadata)
}

/// `type/subtype` made of token characters; anything else is dropped.
fn looks_like_media_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    text.len() <= MAX_FILETYPE
        && text
            .split_once('/')
            .is_some_and(|(a, b)| token(a) && token(b))
}

/// `Upload-Metadata` for HEAD, from what was kept.
pub(crate) fn format_metadata(filename: &str, filetype: Option<&str>) -> String {
    let mut out = format!("filename {}", BASE64.encode(filename));
    if let Some(filetype) = filetype {
        out.push_str(",filetype ");
        out.push_str(&BASE64.encode(filetype));
    }
    out
}

pub(crate) fn parse_checksum(headers: &HeaderMap) -> Result<Option<Checksum>, TusError> {
    let bad = |why| TusError::BadHeader {
        name: "Upload-Checksum",
        why,
    };
    let Some(value) = text(headers, &UPLOAD_CHECKSUM) else {
        return Ok(None);
    };
    let (name, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(bad("expected an algorithm and a base64 digest"))?;
    let (algorithm, size) = match name {
        "sha1" => (Algorithm::Sha1, 20),
        "sha256" => (Algorithm::Sha256, 32),
        other => {
            return Err(TusError::UnsupportedChecksum(
                other.chars().take(20).collect(),
            ));
        }
    };
    let digest = BASE64
        .decode(encoded.trim())
        .map_err(|_| bad("the digest is not base64"))?;
    if digest.len() != size {
        return Err(bad("the digest has the wrong length for its algorithm"));
    }
    Ok(Some(Checksum { algorithm, digest }))
}

/// `Upload-Expires` is an HTTP date (RFC 9110 IMF-fixdate).
pub(crate) fn http_date(at: SystemTime) -> String {
    httpdate::fmt_http_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::uploads::ChunkHasher;
    use axum::http::HeaderValue;
    use sha1::Sha1;
    use sha2::{Digest, Sha256};

    fn with(name: HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn byte_counts_are_plain_decimals() {
        let ok = with(UPLOAD_LENGTH, "1048576");
        assert_eq!(
            required_u64(&ok, &UPLOAD_LENGTH, "Upload-Length").ok(),
            Some(1_048_576)
        );
        for bad in [
            "",
            "-1",
            "+5",
            " 5",
            "5 ",
            "1e6",
            "0x10",
            "99999999999999999999",
        ] {
            let headers = with(UPLOAD_LENGTH, bad);
            assert!(
                required_u64(&headers, &UPLOAD_LENGTH, "Upload-Length").is_err(),
                "{bad:?}"
            );
        }
        assert!(matches!(
            required_u64(&HeaderMap::new(), &UPLOAD_OFFSET, "Upload-Offset"),
            Err(TusError::BadHeader {
                why: "it is required",
                ..
            })
        ));
    }

    #[test]
    fn metadata_decodes_filename_and_filetype() {
        let headers = with(
            UPLOAD_METADATA,
            "filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0,is_confidential, other eA",
        );
        let meta = parse_metadata(&headers).expect("valid");
        assert_eq!(meta.filename.as_deref(), Some("clip.mp4"));
        assert_eq!(meta.filetype.as_deref(), Some("video/mp4"));
        assert_eq!(
            parse_metadata(&HeaderMap::new()).expect("none"),
            Metadata::default()
        );
        // Without padding, as some clients send it.
        let headers = with(UPLOAD_METADATA, "filename Y2xpcC5tcDQ");
        assert_eq!(
            parse_metadata(&headers).expect("valid").filename.as_deref(),
            Some("clip.mp4")
        );
    }

    #[test]
    fn bad_metadata_is_refused_and_odd_filetypes_dropped() {
        for bad in ["filename !!!", "filename a b", "k eA,k eA"] {
            assert!(
                parse_metadata(&with(UPLOAD_METADATA, bad)).is_err(),
                "{bad}"
            );
        }
        let odd = format!("filetype {}", BASE64.encode("text/html; <script>"));
        let meta = parse_metadata(&with(UPLOAD_METADATA, &odd)).expect("valid");
        assert_eq!(meta.filetype, None);
    }

    #[test]
    fn metadata_round_trips() {
        let value = format_metadata("Été.wav", Some("audio/wav"));
        let meta = parse_metadata(&with(UPLOAD_METADATA, &value)).expect("valid");
        assert_eq!(meta.filename.as_deref(), Some("Été.wav"));
        assert_eq!(meta.filetype.as_deref(), Some("audio/wav"));
    }

    #[test]
    fn checksums_name_a_known_algorithm_and_a_digest_of_its_size() {
        let sha1 = BASE64.encode(Sha1::digest(b"abc"));
        let parsed = parse_checksum(&with(UPLOAD_CHECKSUM, &format!("sha1 {sha1}")))
            .expect("valid")
            .expect("present");
        assert_eq!(parsed.algorithm, Algorithm::Sha1);
        let mut hasher = ChunkHasher::new(Algorithm::Sha1);
        hasher.update(b"a");
        hasher.update(b"bc");
        assert!(hasher.clone().matches(&parsed));
        hasher.update(b"!");
        assert!(!hasher.matches(&parsed));

        let sha256 = BASE64.encode(Sha256::digest(b"abc"));
        let parsed = parse_checksum(&with(UPLOAD_CHECKSUM, &format!("sha256 {sha256}")))
            .expect("valid")
            .expect("present");
        let mut hasher = ChunkHasher::new(Algorithm::Sha256);
        hasher.update(b"abc");
        assert!(hasher.matches(&parsed));

        assert!(matches!(
            parse_checksum(&with(UPLOAD_CHECKSUM, "md5 eA==")),
            Err(TusError::UnsupportedChecksum(name)) if name == "md5"
        ));
        for bad in ["sha1", "sha1 !!!", &format!("sha256 {sha1}")] {
            assert!(
                matches!(
                    parse_checksum(&with(UPLOAD_CHECKSUM, bad)),
                    Err(TusError::BadHeader { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(parse_checksum(&HeaderMap::new()).expect("none"), None);
    }

    #[test]
    fn content_types_match_on_the_essence() {
        for ok in [
            "application/offset+octet-stream",
            "Application/Offset+Octet-Stream; charset=x",
        ] {
            assert!(
                is_offset_octet_stream(&with(header::CONTENT_TYPE, ok)),
                "{ok}"
            );
        }
        assert!(!is_offset_octet_stream(&with(
            header::CONTENT_TYPE,
            "application/octet-stream"
        )));
        assert!(!is_offset_octet_stream(&HeaderMap::new()));
    }

    #[test]
    fn expiry_dates_are_http_dates() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
