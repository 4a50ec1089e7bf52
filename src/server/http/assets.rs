//! Static files: the wasm, JS and CSS under `/pkg` and the public files
//! (favicon), with precompressed siblings and the caching their names allow.
//!
//! Release builds (`scripts/run.sh`, `scripts/test.sh`) run cargo-leptos with
//! `LEPTOS_HASH_FILES=true`, so every `/pkg` file is named after a hash of its
//! content, then `scripts/precompress.sh` writes `.br` and `.gz` siblings at
//! the highest levels, once. `ServeDir` sends the sibling the client's
//! `Accept-Encoding` allows, with that `Content-Encoding` and the type of the
//! original (`application/wasm` keeps streaming compilation working). A
//! hashed name never changes meaning, so it is cached for a year as
//! immutable; any other name (a `cargo leptos watch` build, which neither
//! hashes nor precompresses) must be revalidated every time, and public
//! files keep for an hour.

use std::path::Path;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use leptos::prelude::provide_context;
use leptos_axum::ErrorHandler;
use tower_http::services::ServeDir;

use crate::app::shell;
use crate::server::state::AppState;

/// For names that carry their content's hash: the bytes behind them never change.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For `/pkg` names without a hash: a rebuild reuses them, so ask every time
/// (a 304 by `Last-Modified` is cheap).
pub(crate) const REVALIDATE: &str = "no-cache";
/// For public files (favicon): they change rarely and only with a deploy.
pub(crate) const SHORT: &str = "public, max-age=3600";

/// cargo-leptos names hashed files `<stem>.<hash>.<ext>`, the hash being an
/// MD5 in unpadded base64url: 22 characters of `[A-Za-z0-9_-]`.
const HASH_LEN: usize = 22;

/// `/pkg/*`: the files cargo-leptos builds, precompressed siblings first.
pub(crate) fn pkg(state: &AppState) -> Router {
    let options = &state.leptos_options;
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(
            PkgName(options.output_name.to_string()),
            pkg_headers,
        ))
}

/// The route `pkg` is nested at (`/pkg` unless `LEPTOS_SITE_PKG_DIR` says otherwise).
pub(crate) fn pkg_path(state: &AppState) -> String {
    format!("/{}", state.leptos_options.site_pkg_dir.trim_matches('/'))
}

/// Everything no route matched: a public file from the site root if there is
/// one, else the app's own 404 page (as `leptos_axum::file_and_error_handler`
/// does, plus compressed siblings of public files and their caching).
pub(crate) fn fallback(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let root = options.site_root.to_string();
    // The 404 page is the app too: its server functions (who is signed in)
    // need what the routes' pages get.
    let not_found = ErrorHandler::new_with_context(
        move || {
            provide_context(state.service.clone());
            provide_context(state.site.clone());
            provide_context(state.clone());
        },
        shell,
        options,
    );
    let files = ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        // A POST to an unknown path gets the 404 page, not a 405.
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found);
    Router::new()
        .fallback_service(files)
        .layer(middleware::map_response(public_headers))
}

/// The app's output name, to recognise its own missing files.
#[derive(Clone)]
struct PkgName(String);

async fn pkg_headers(State(name): State<PkgName>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let cache = if is_hashed(&path) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        // Which sibling was sent depended on Accept-Encoding, so caches
        // must key on it, even for an identity answer.
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else if status == StatusCode::NOT_FOUND
        && file_name(&path).starts_with(&format!("{}.", name.0))
    {
        // The page names its files from `hash.txt` only when the server runs
        // with LEPTOS_HASH_FILES=true; a mismatch with the build shows up here.
        tracing::warn!(
            path,
            "the page asked for a /pkg file the build did not make: run the server with \
             LEPTOS_HASH_FILES=true if the build hashed its file names, and without it if not"
        );
    }
    response
}

async fn public_headers(mut response: Response) -> Response {
    let status = response.status();
    // Only files from the site root succeed here: the 404 page is a 404.
    if (status.is_success() || status == StatusCode::NOT_MODIFIED)
        && !response.headers().contains_key(header::CACHE_CONTROL)
    {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(SHORT));
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether the last path segment is `<stem>.<hash>.<ext>` (see `HASH_LEN`).
pub(crate) fn is_hashed(path: &str) -> bool {
    let mut parts = file_name(path).rsplit('.');
    let (Some(ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !ext.is_empty()
        && !stem.is_empty()
        && hash.len() == HASH_LEN
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("/reel.3q2-7wAAAAAAAAAAAAAA_w.wasm"));
        assert!(is_hashed("reel.abcdefghijklmnopqrstuv.js"));
        assert!(is_hashed("/pkg/reel.abcdefghijklmnopqrstuv.css"));
        assert!(is_hashed("/__wasm_split.abcdefghijklmnopqrstuv.js"));
    }

    #[test]
    fn other_names_are_not() {
        assert!(!is_hashed("/reel.wasm"));
        assert!(!is_hashed("/reel.js"));
        assert!(!is_hashed("/favicon.svg"));
        // One character short, one too many, a character base64url lacks.
        assert!(!is_hashed("/reel.abcdefghijklmnopqrstu.js"));
        assert!(!is_hashed("/reel.abcdefghijklmnopqrstuvw.js"));
        assert!(!is_hashed("/reel.abcdefghijklmnopqrst+v.js"));
        // No stem, no extension.
        assert!(!is_hashed("/.abcdefghijklmnopqrstuv.js"));
        assert!(!is_hashed("/reel.abcdefghijklmnopqrstuv."));
        assert!(!is_hashed("/abcdefghijklmnopqrstuv.js"));
        assert!(!is_hashed(""));
    }
}
