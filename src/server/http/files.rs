//! `GET|HEAD /files/{id}/{variant}`: stored bytes with single byte ranges.
//! Ids and variants are parsed into typed values first; nothing from the
//! request becomes part of a path.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::io::SeekFrom;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::model::MediaItem;
use crate::server::error::Error;
use crate::server::http::range::{self, RangeRequest};
use crate::server::state::AppState;
use crate::server::store::{MediaId, Variant};

/// Read size for streaming: big enough for throughput, bounded per stream.
const READ_BUFFER: usize = 256 * 1024;

pub async fn serve(
    State(state): State<AppState>,
    Path((id, variant)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let id = MediaId::parse(&id).ok_or(Error::NotFound)?;
    let variant = Variant::parse(&variant).ok_or(Error::NotFound)?;
    let item = state.repo.get(&id).await?.ok_or(Error::NotFound)?;
    if variant == Variant::Poster && !item.has_poster {
        return Err(Error::NotFound);
    }
    let (mut file, meta) = state
        .store
        .open_variant(&id, variant)
        .await?
        .ok_or(Error::NotFound)?;
    let len = meta.len();
    let download = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "download" || p.starts_with("download="))
    });

    let mut response_headers = HeaderMap::new();
    describe(&mut response_headers, &item, variant, download, &meta);

    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, count) = match range::parse(range_header, len) {
        // One range: 206. Several (multipart) come with the byte-serving work; until
        // then RFC 9110 lets a server answer them with the whole file.
        RangeRequest::Ranges(list) if list.len() == 1 => {
            let r = list[0];
            let content_range = format!("bytes {}-{}/{len}", r.start, r.end);
            response_headers.insert(header::CONTENT_RANGE, header_value(&content_range));
            (StatusCode::PARTIAL_CONTENT, r.start, r.length())
        }
        RangeRequest::Unsatisfiable => {
            response_headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{len}")),
            );
            response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response());
        }
        RangeRequest::Full | RangeRequest::Ranges(_) => (StatusCode::OK, 0, len),
    };
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));

    if method == Method::HEAD {
        return Ok((status, response_headers).into_response());
    }
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await.map_err(|source| {
            crate::server::store::StoreError::Io {
                path: state.store.path(&id, variant),
                source,
            }
        })?;
    }
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(count), READ_BUFFER));
    Ok((status, response_headers, body).into_response())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Headers that describe the representation, the same for 200, 206 and HEAD.
fn describe(
    headers: &mut HeaderMap,
    item: &MediaItem,
    variant: Variant,
    download: bool,
    meta: &std::fs::Metadata,
) {
    let content_type = match variant {
        Variant::Original => item.content_type.as_str(),
        Variant::Poster => "image/jpeg",
    };
    headers.insert(header::CONTENT_TYPE, header_value(content_type));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if variant == Variant::Original {
        // Stored bytes never change under an id: the content hash is a strong validator.
        headers.insert(header::ETAG, header_value(&format!("\"{}\"", item.sha256)));
    }
    if let Ok(modified) = meta.modified() {
        let date = time::OffsetDateTime::from(modified);
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        if let Ok(text) = date.format(&format) {
            headers.insert(header::LAST_MODIFIED, header_value(&text));
        }
    }
    let disposition = content_disposition(
        &item.original_filename,
        download || !inline_allowed(content_type),
    );
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition));
}

/// Only media and pictures a browser renders safely are shown inline.
fn inline_allowed(content_type: &str) -> bool {
    matches!(content_type.split('/').next(), Some("audio" | "video"))
        || content_type == "image/jpeg"
}

/// RFC 6266 with an RFC 8187 `filename*` for any name, and an ASCII fallback.
pub fn content_disposition(filename: &str, attachment: bool) -> String {
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
            encoded.push_str(&format!("%{byte:02X}"));
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
        assert!(!inline_allowed("text/html"));
        assert!(!inline_allowed("application/octet-stream"));
    }
}
