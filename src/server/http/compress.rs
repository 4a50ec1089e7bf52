//! Compression of the answers made per request: pages, server-function JSON
//! and error texts leave as brotli or gzip when the client accepts it. Stored
//! media bytes never do, nor tus bodies or event streams; static files are
//! precompressed once instead (see `assets`).

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Below this, compression cannot win back the encoding's own framing.
const MIN_COMPRESS: u16 = 256;

/// On-the-fly compression (brotli or gzip, by `Accept-Encoding`) of what
/// `Compressible` allows. Already-encoded answers (the precompressed
/// siblings) and ranges pass as they are; `Vary: Accept-Encoding` is added.
pub(crate) fn compression() -> CompressionLayer<Compressible> {
    // Only brotli and gzip are compiled in (tower-http features), which every
    // browser accepts. Default levels (brotli 4, gzip 6): most of the gain
    // for little CPU per request.
    CompressionLayer::new()
        .quality(CompressionLevel::Default)
        .compress_when(Compressible)
}

/// Marks answers on paths whose bytes must go out exactly as stored, so that
/// `Compressible` leaves them alone whatever their type: `/files/*` (a
/// waveform is JSON, yet its bytes and ranges are the stored file's; most
/// such requests never reach the router anyway, the direct path sends them
/// with `sendfile`) and the tus routes (offsets count body bytes).
pub(crate) async fn mark_identity(request: Request, next: Next) -> Response {
    let identity = is_identity_path(request.uri().path());
    let mut response = next.run(request).await;
    if identity {
        response.extensions_mut().insert(Identity);
    }
    response
}

/// The marker `mark_identity` leaves on an answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Identity;

fn is_identity_path(path: &str) -> bool {
    path.starts_with("/files/") || path == "/api/tus" || path.starts_with("/api/tus/")
}

/// What is worth compressing per request: text we render (HTML, JSON, plain
/// text errors) and static text without a precompressed sibling (a watch
/// build). Never media (audio, video, images, octet streams: already
/// compressed, and ranges must count their stored bytes), never the wasm (a
/// release build has its siblings; compressing a debug build's megabytes per
/// load is not worth it), never `text/event-stream` (an encoder would hold
/// events back until its buffer fills).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Compressible;

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        if response.extensions().get::<Identity>().is_some() {
            return false;
        }
        let essence = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or("").trim());
        essence.is_some_and(is_compressible_type)
            && SizeAbove::new(MIN_COMPRESS).should_compress(response)
    }
}

fn is_compressible_type(essence: &str) -> bool {
    const TYPES: [&str; 7] = [
        "text/html",
        "application/json",
        "text/plain",
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
    ];
    TYPES.iter().any(|t| t.eq_ignore_ascii_case(essence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stored_bytes_and_tus_keep_their_identity() {
        assert!(is_identity_path("/files/abc/original"));
        assert!(is_identity_path("/files/abc/waveform"));
        assert!(is_identity_path("/api/tus"));
        assert!(is_identity_path("/api/tus/abc"));
        assert!(!is_identity_path("/"));
        assert!(!is_identity_path("/files"));
        assert!(!is_identity_path("/api/tusk"));
        assert!(!is_identity_path("/api/list_library"));
        assert!(!is_identity_path("/media/abc"));
    }

    #[test]
    fn text_is_compressible_media_and_streams_are_not() {
        for essence in [
            "text/html",
            "application/json",
            "TEXT/HTML",
            "image/svg+xml",
        ] {
            assert!(is_compressible_type(essence), "{essence}");
        }
        for essence in [
            "video/mp4",
            "audio/mpeg",
            "image/jpeg",
            "application/octet-stream",
            "application/wasm",
            "text/event-stream",
            "text/vtt",
        ] {
            assert!(!is_compressible_type(essence), "{essence}");
        }
    }
}
