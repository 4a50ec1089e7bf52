//! `GET|HEAD|OPTIONS /files/{id}/{variant}`: stored bytes per RFC 9110 —
//! ranges, multipart ranges, conditional requests — with safe-serving headers
//! and CORS. Ids and variants are parsed into typed values first; nothing from
//! the request becomes part of a path.
//!
//! The layers: `facts` (cached row data), `representation` (headers about the
//! bytes), `plan` (the pure decision), `multipart` and `body` (the bytes).

use std::fs::File;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::server::error::Error;
use crate::server::http::body::{FileBody, Segment};
use crate::server::http::conditional::Conditions;
use crate::server::http::facts::ServingFacts;
use crate::server::http::multipart;
use crate::server::http::plan::Plan;
use crate::server::http::representation::{Representation, value};
use crate::server::state::AppState;
use crate::server::store::{MediaId, StoreError, Variant};

pub async fn serve(
    State(state): State<AppState>,
    Path((id, variant)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let download = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "download" || p.starts_with("download="))
    });
    let mut response = respond(&state, &id, &variant, download, &method, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    allow_cross_origin(response.headers_mut());
    response
}

async fn respond(
    state: &AppState,
    id: &str,
    variant: &str,
    download: bool,
    method: &Method,
    request: &HeaderMap,
) -> Result<Response, Error> {
    let id = MediaId::parse(id).ok_or(Error::NotFound)?;
    let variant = Variant::parse(variant).ok_or(Error::NotFound)?;
    let facts = state
        .serving
        .get(&state.repo, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let path = state.store.path(&id, variant);
    let asked = Asked {
        conditions: Conditions::from_headers(request),
        download,
        head: method == Method::HEAD,
    };
    // On the async thread, as nginx does: opening and stat-ing a stored file
    // take microseconds, and body reads that would wait for the disk go to
    // the blocking pool (see `FileBody`). A thread hop per request cost more
    // than half the throughput of small range requests.
    answer(&path, &facts, variant, &asked)
        .map_err(|source| Error::from(StoreError::Io { path, source }))?
        .ok_or(Error::NotFound)
}

/// What the request asks of the bytes.
struct Asked {
    conditions: Conditions,
    download: bool,
    head: bool,
}

/// Opens, stats, decides, and reads the first chunk when the page cache has
/// it, so a small answer (a 64 KiB range) is complete before hyper writes
/// anything. Opening is the existence check, so a poster not made yet is
/// simply `None`.
fn answer(
    path: &std::path::Path,
    facts: &ServingFacts,
    variant: Variant,
    asked: &Asked,
) -> std::io::Result<Option<Response>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    let len = meta.len();
    let representation = Representation::new(facts, variant, &meta);
    let plan = Plan::decide(
        &asked.conditions,
        &representation.validators,
        len,
        SystemTime::now(),
    );

    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let (status, segments, length) = match plan {
        Plan::PreconditionFailed => {
            return Ok(Some(empty(StatusCode::PRECONDITION_FAILED, headers)));
        }
        Plan::NotModified => {
            representation.validators_into(&mut headers);
            // A body of unknown size: axum would otherwise add `Content-Length: 0`
            // to a HEAD's 304 but not a GET's, and 0 is not this file's length.
            let body = Body::from_stream(futures_util::stream::empty::<std::io::Result<Bytes>>());
            return Ok(Some(
                (StatusCode::NOT_MODIFIED, headers, body).into_response(),
            ));
        }
        Plan::Unsatisfiable => {
            headers.insert(header::CONTENT_RANGE, value(&format!("bytes */{len}")));
            return Ok(Some(empty(StatusCode::RANGE_NOT_SATISFIABLE, headers)));
        }
        Plan::Whole => {
            representation.describe(&mut headers, asked.download);
            (StatusCode::OK, vec![Segment::File { start: 0, len }], len)
        }
        Plan::Part(range) => {
            representation.describe(&mut headers, asked.download);
            let content_range = format!("bytes {}-{}/{len}", range.start, range.end);
            headers.insert(header::CONTENT_RANGE, value(&content_range));
            let part = Segment::File {
                start: range.start,
                len: range.length(),
            };
            (StatusCode::PARTIAL_CONTENT, vec![part], range.length())
        }
        Plan::Parts(ranges) => {
            representation.describe(&mut headers, asked.download);
            let body = multipart::byteranges(
                &ranges,
                len,
                &representation.content_type,
                &representation.validators.etag,
            );
            headers.insert(header::CONTENT_TYPE, value(&body.content_type));
            (StatusCode::PARTIAL_CONTENT, body.segments, body.length)
        }
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if asked.head {
        return Ok(Some((status, headers).into_response()));
    }
    let mut body = FileBody::new(file, segments);
    body.read_first()?;
    let body = match body.into_whole() {
        Ok(whole) => Body::from(whole),
        Err(stream) => Body::from_stream(stream),
    };
    Ok(Some((status, headers, body).into_response()))
}

fn empty(status: StatusCode, mut headers: HeaderMap) -> Response {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (status, headers).into_response()
}

/// Request headers a cross-origin player may send (a preflight asks for them).
const ALLOW_HEADERS: &str =
    "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
/// Response headers a cross-origin player may read.
const EXPOSE_HEADERS: &str =
    "Content-Range, Accept-Ranges, Content-Length, ETag, Last-Modified, Content-Disposition";

/// Any origin may read the bytes, without credentials (`*` forbids them), so
/// nothing here widens what a cookie could reach once accounts exist.
fn allow_cross_origin(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

/// `OPTIONS /files/{id}/{variant}`: the CORS preflight for Range and If-*.
pub async fn preflight() -> Response {
    let mut headers = HeaderMap::new();
    allow_cross_origin(&mut headers);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    headers.insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    (StatusCode::NO_CONTENT, headers).into_response()
}
