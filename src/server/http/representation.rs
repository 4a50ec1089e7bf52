//! What a stored file is on the wire: its type, validators, caching and
//! disposition headers, the same for 200, 206 and HEAD.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::model::MediaKind;
use crate::server::http::conditional::Validators;
use crate::server::service::ServingFacts;
use crate::server::service::Variant;

/// Stored bytes never change under their URL. `private` because per-user
/// access control is coming, and shared caches must not serve one user's
/// media to another.
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";
/// A ladder's files grow while it is encoded (and its playlists change),
/// so their validators change with each append. Not stored at all: a
/// browser that kept part of a rung asks for the rest with `If-Range`
/// naming the shorter file, and rightly gets the whole file as a 200,
/// which hls.js then takes for one fragment (the e2e test once saw a
/// seek stall on exactly that). Ranges from the server are cheap.
const CACHE_CONTROL_GROWING: &str = "no-store";

pub(crate) struct Representation {
    pub content_type: String,
    pub validators: Validators,
    /// The header values, made once: a representation answers many
    /// requests (a player asks for ranges of one file again and again).
    values: Values,
}

struct Values {
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// `Content-Disposition` when the file is not asked for as a download.
    shown: HeaderValue,
    /// `Content-Disposition` for `?download`.
    download: HeaderValue,
}

impl Representation {
    /// The representation of `variant` from memory when this thread has
    /// made it for the same facts, length and mtime; otherwise made now.
    pub(crate) fn of(
        facts: &Arc<ServingFacts>,
        variant: Variant,
        len: u64,
        modified: Option<SystemTime>,
    ) -> Arc<Representation> {
        // Facts without a hash are not cached by the service (an edit is
        // being made), so they come anew each time: nothing to remember.
        if facts.sha256.is_empty() {
            return Arc::new(Representation::new(facts, variant, len, modified));
        }
        MEMO.with_borrow_mut(|memo| memo.get_or_make(facts, variant, len, modified))
    }

    pub(crate) fn new(
        facts: &ServingFacts,
        variant: Variant,
        len: u64,
        modified: Option<SystemTime>,
    ) -> Self {
        let (content_type, validators, filename) = match variant {
            // The content hash is a strong validator for the original's bytes.
            Variant::Original => (
                facts.content_type.clone(),
                Validators::new(facts.sha256.clone(), modified),
                facts.original_filename.clone(),
            ),
            // Derived files are made from the original, so the original's hash
            // names their source; length and mtime tell apart two renderings.
            derived => {
                let nanos = modified
                    .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                let (content_type, extension) = derived_type(derived, facts.kind);
                let name = match derived {
                    Variant::Hls(file) => file.name().split('.').next().unwrap_or_default(),
                    other => other.url_name(),
                };
                (
                    content_type.into(),
                    Validators::new(
                        format!("{}-{name}-{len:x}-{nanos:x}", facts.sha256),
                        modified,
                    ),
                    format!("{}-{name}.{extension}", stem(&facts.original_filename)),
                )
            }
        };
        let values = Values {
            etag: value(&validators.etag_header()),
            last_modified: validators.last_modified_header().map(|date| value(&date)),
            content_type: value(&content_type),
            cache_control: HeaderValue::from_static(match variant {
                Variant::Hls(_) => CACHE_CONTROL_GROWING,
                _ => CACHE_CONTROL,
            }),
            shown: value(&content_disposition(
                &filename,
                !inline_allowed(&content_type),
            )),
            download: value(&content_disposition(&filename, true)),
        };
        Representation {
            content_type,
            validators,
            values,
        }
    }

    /// Headers a 304 repeats from the 200: validators and caching (RFC 9110 §15.4.5).
    pub(crate) fn validators_into(&self, headers: &mut HeaderMap) {
        headers.insert(header::ETAG, self.values.etag.clone());
        if let Some(date) = &self.values.last_modified {
            headers.insert(header::LAST_MODIFIED, date.clone());
        }
        headers.insert(header::CACHE_CONTROL, self.values.cache_control.clone());
    }

    /// Everything a 200 or 206 says about the bytes, but their length and range.
    pub(crate) fn describe(&self, headers: &mut HeaderMap, download: bool) {
        self.validators_into(headers);
        headers.insert(header::CONTENT_TYPE, self.values.content_type.clone());
        let disposition = if download {
            &self.values.download
        } else {
            &self.values.shown
        };
        headers.insert(header::CONTENT_DISPOSITION, disposition.clone());
    }
}

thread_local! {
    /// Representations this thread made lately. Per thread, so no lock.
    static MEMO: RefCell<Memo> = const { RefCell::new(Memo { entries: Vec::new(), next: 0 }) };
}

/// How many representations each thread remembers.
const MEMO_SIZE: usize = 64;

struct Memo {
    entries: Vec<Remembered>,
    /// The entry a new one replaces once full (oldest first).
    next: usize,
}

struct Remembered {
    /// Held, so that its address names these facts as long as the entry
    /// lives: new facts for the item (a rename, a new visibility) come in
    /// a new `Arc` and never match.
    facts: Arc<ServingFacts>,
    variant: Variant,
    len: u64,
    modified: Option<SystemTime>,
    made: Arc<Representation>,
}

impl Memo {
    fn get_or_make(
        &mut self,
        facts: &Arc<ServingFacts>,
        variant: Variant,
        len: u64,
        modified: Option<SystemTime>,
    ) -> Arc<Representation> {
        let found = self.entries.iter().find(|entry| {
            Arc::ptr_eq(&entry.facts, facts)
                && entry.variant == variant
                && entry.len == len
                && entry.modified == modified
        });
        if let Some(entry) = found {
            return Arc::clone(&entry.made);
        }
        let made = Arc::new(Representation::new(facts, variant, len, modified));
        let entry = Remembered {
            facts: Arc::clone(facts),
            variant,
            len,
            modified,
            made: Arc::clone(&made),
        };
        if self.entries.len() < MEMO_SIZE {
            self.entries.push(entry);
        } else {
            self.entries[self.next] = entry;
            self.next = (self.next + 1) % MEMO_SIZE;
        }
        made
    }
}

/// The type and file extension of a derived file.
fn derived_type(variant: Variant, kind: MediaKind) -> (&'static str, &'static str) {
    match (variant, kind) {
        (Variant::Playable, MediaKind::Video) => ("video/mp4", "mp4"),
        (Variant::Playable, MediaKind::Audio) => ("audio/mp4", "m4a"),
        (Variant::Poster | Variant::Sprites, _) => ("image/jpeg", "jpg"),
        (Variant::Thumbnails, _) => ("text/vtt; charset=utf-8", "vtt"),
        (Variant::Waveform, _) => ("application/json", "json"),
        (Variant::Original, _) => ("application/octet-stream", "bin"),
        (Variant::Hls(file), _) if file.is_playlist() => ("application/vnd.apple.mpegurl", "m3u8"),
        (Variant::Hls(_), MediaKind::Video) => ("video/mp4", "mp4"),
        (Variant::Hls(_), MediaKind::Audio) => ("audio/mp4", "m4a"),
    }
}

/// Header text we built ourselves; a value that cannot be one becomes empty.
pub(crate) fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn stem(filename: &str) -> &str {
    match filename.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => filename,
    }
}

/// Only media and pictures a browser renders safely are shown inline; anything
/// else (HTML, SVG, PDF, ...) could run in our origin, so it is downloaded.
pub(crate) fn inline_allowed(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(essence.split('/').next(), Some("audio" | "video"))
        || matches!(
            essence.as_str(),
            "image/jpeg"
                | "image/png"
                | "image/webp"
                | "image/gif"
                | "image/avif"
                | "application/vnd.apple.mpegurl"
        )
}

/// RFC 6266 with an RFC 8187 `filename*` for any name, and an ASCII fallback.
pub(crate) fn content_disposition(filename: &str, attachment: bool) -> String {
    let kind = if attachment { "attachment" } else { "inline" };
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            encoded.push('%');
            encoded.push(HEX[usize::from(byte >> 4)] as char);
            encoded.push(HEX[usize::from(byte & 15)] as char);
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_encode_any_name() {
        assert_eq!(
            content_disposition("clip.mp4", false),
            "inline; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
        );
        assert_eq!(
            content_disposition("Été \"1\".mp3", true),
            "attachment; filename=\"_t_ _1_.mp3\"; filename*=UTF-8''%C3%89t%C3%A9%20%221%22.mp3"
        );
    }

    #[test]
    fn only_media_is_inline() {
        assert!(inline_allowed("video/mp4"));
        assert!(inline_allowed("audio/mpeg"));
        assert!(inline_allowed("image/jpeg"));
        assert!(inline_allowed("Image/PNG; charset=x"));
        assert!(!inline_allowed("image/svg+xml"));
        assert!(!inline_allowed("text/html"));
        assert!(!inline_allowed("application/pdf"));
        assert!(!inline_allowed("application/octet-stream"));
    }

    #[test]
    fn derived_files_get_their_own_name_and_tag() {
        let facts = ServingFacts {
            content_type: "video/mp4".into(),
            sha256: "ab".repeat(32),
            original_filename: "Holiday.2024.mp4".into(),
            kind: MediaKind::Video,
            access: crate::server::domain::ItemAccess {
                owner: None,
                visibility: crate::accounts::Visibility::Private,
            },
            generation: 0,
        };
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").expect("write");
        let meta = std::fs::metadata(&path).expect("meta");
        let new = |variant| Representation::new(&facts, variant, meta.len(), meta.modified().ok());
        let original = new(Variant::Original);
        assert_eq!(original.validators.etag, facts.sha256);
        let poster = new(Variant::Poster);
        assert!(
            poster
                .validators
                .etag
                .starts_with(&format!("{}-poster-5-", facts.sha256)),
            "{}",
            poster.validators.etag
        );
        assert_eq!(
            poster.values.download,
            "attachment; filename=\"Holiday.2024-poster.jpg\"; filename*=UTF-8''Holiday.2024-poster.jpg"
        );
        assert_eq!(
            poster.values.shown,
            "inline; filename=\"Holiday.2024-poster.jpg\"; filename*=UTF-8''Holiday.2024-poster.jpg"
        );
        assert_eq!(poster.content_type, "image/jpeg");
        let playable = new(Variant::Playable);
        assert_eq!(playable.content_type, "video/mp4");
        assert!(
            playable
                .values
                .shown
                .to_str()
                .unwrap()
                .contains("\"Holiday.2024-playable.mp4\"")
        );
        assert_ne!(playable.validators.etag, poster.validators.etag);
        assert_eq!(stem(".hidden"), ".hidden");
    }
    #[test]
    fn representations_are_remembered_per_facts_length_and_mtime() {
        let facts = |name: &str| {
            Arc::new(ServingFacts {
                content_type: "audio/mpeg".into(),
                sha256: "cd".repeat(32),
                original_filename: name.into(),
                kind: MediaKind::Audio,
                access: crate::server::domain::ItemAccess {
                    owner: None,
                    visibility: crate::accounts::Visibility::Public,
                },
                generation: 0,
            })
        };
        let song = facts("song.mp3");
        let at = Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000));
        let first = Representation::of(&song, Variant::Original, 10, at);
        let again = Representation::of(&song, Variant::Original, 10, at);
        assert!(Arc::ptr_eq(&first, &again), "made once, then remembered");
        // Anything that can change the headers makes a new one.
        let longer = Representation::of(&song, Variant::Original, 11, at);
        assert!(!Arc::ptr_eq(&first, &longer));
        let renamed = Representation::of(&facts("tune.mp3"), Variant::Original, 10, at);
        assert!(renamed.values.shown.to_str().unwrap().contains("tune.mp3"));
        let poster = Representation::of(&song, Variant::Poster, 10, at);
        assert_eq!(poster.content_type, "image/jpeg");
        // Facts without a hash (an edit being made) are never remembered.
        let unfinished = Arc::new(ServingFacts {
            sha256: String::new(),
            ..(*song).clone()
        });
        let a = Representation::of(&unfinished, Variant::Original, 10, at);
        let b = Representation::of(&unfinished, Variant::Original, 10, at);
        assert!(!Arc::ptr_eq(&a, &b));
    }
}
