//! `GET|HEAD|OPTIONS /files/{id}/{variant}`: stored bytes per RFC 9110 —
//! ranges, multipart ranges, conditional requests — with safe-serving headers
//! and CORS. Ids and variants are parsed into typed values first; nothing from
//! the request becomes part of a path.
//!
//! The layers: the service's `Served` (cached item facts and a store
//! `Source`), `representation` (headers about the bytes), `plan` (the pure
//! decision), `multipart` and `body` (the bytes).

use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::model::MediaId;
use crate::server::config::ServeMode;
use crate::server::credentials::query_param;
use crate::server::error::Error;
use crate::server::http::body::{FileBody, Segment, remote_body};
use crate::server::http::conditional::Conditions;
use crate::server::http::multipart;
use crate::server::http::plan::Plan;
use crate::server::http::representation::{Representation, value};
use crate::server::service::{self, Actor, Missing, Served, Service, Source, Variant};
use crate::server::state::AppState;

pub(crate) async fn serve(
    State(state): State<AppState>,
    Path((id, variant)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let signature = query_param(query.as_deref(), "sig");
    let found = MediaId::parse(&id).zip(Variant::parse(&variant));
    respond(&state, found, signature, query.as_deref(), method, &headers).await
}

/// `GET|HEAD /files/{id}/hls/{file}`, or `/files/{id}/hls/{sig}/{file}`
/// for an item that is not public: a ladder's playlists name their files
/// relatively, so a signature in the path reaches every one of them.
pub(crate) async fn serve_hls(
    State(state): State<AppState>,
    Path((id, rest)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let target = hls_target(&rest);
    let signature = target
        .and_then(|(_, signature)| signature)
        .or_else(|| query_param(query.as_deref(), "sig"));
    let found = MediaId::parse(&id).zip(target.map(|(variant, _)| variant));
    respond(&state, found, signature, query.as_deref(), method, &headers).await
}

/// `{file}` or `{sig}/{file}` below `/files/{id}/hls/`: the ladder's file
/// and the signature the path carries.
pub(crate) fn hls_target(rest: &str) -> Option<(Variant, Option<&str>)> {
    let (signature, file) = match rest.split_once('/') {
        Some((signature, file)) => (Some(signature), file),
        None => (None, rest),
    };
    let variant = Variant::ALL
        .into_iter()
        .find(|v| matches!(v, Variant::Hls(f) if f.name() == file))?;
    Some((variant, signature))
}

async fn respond(
    state: &AppState,
    found: Option<(MediaId, Variant)>,
    signature: Option<&str>,
    query: Option<&str>,
    method: Method,
    headers: &HeaderMap,
) -> Response {
    let asked = Asked {
        conditions: Conditions::from_headers(headers),
        download: wants_download(query),
        head: method == Method::HEAD,
        redirect: state.config.serve_mode == ServeMode::Redirect,
    };
    let answer = match (found, super::actor(state, headers).await) {
        (Some((id, variant)), Ok(actor)) => {
            prepare(&state.service, &actor, &id, variant, signature, &asked).await
        }
        (None, _) => Err(service::Error::NotFound(Missing::Item).into()),
        (_, Err(e)) => Err(e),
    };
    match answer {
        Ok(answer) => answer.into_response(),
        Err(error) => {
            let mut response = error.into_response();
            allow_cross_origin(response.headers_mut());
            response
        }
    }
}

/// `?download` (any value) asks for `Content-Disposition: attachment`.
pub(crate) fn wants_download(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|p| p == "download" || p.starts_with("download="))
    })
}

/// What the request asks of the bytes.
#[derive(Debug)]
pub(crate) struct Asked {
    pub(crate) conditions: Conditions,
    pub(crate) download: bool,
    pub(crate) head: bool,
    /// Large media in an object store may be answered with a redirect to
    /// the store (`--serve-mode redirect`).
    pub(crate) redirect: bool,
}

/// A decided answer, before it meets a connection: hyper sends it as a
/// `Response` (`into_response`), the direct path with `sendfile` (`direct`).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// Every header but `Date`, CORS included; `Content-Length` unless 304.
    pub(crate) headers: HeaderMap,
    /// The bytes after the head: `None` for HEAD and bodiless statuses.
    pub(crate) body: Option<(Source, Vec<Segment>)>,
}

/// The answer for an item's stored file, or `NotFound` for an unknown item
/// or a file not made yet. Both byte paths (the router's and the direct one)
/// come here, so both ask the service, and so the same rights, for every
/// byte: `actor` may read the item, or `signature` (the URL's `sig`) opens
/// this very file of it.
pub(crate) async fn prepare(
    service: &Service,
    actor: &Actor,
    id: &MediaId,
    variant: Variant,
    signature: Option<&str>,
    asked: &Asked,
) -> Result<Answer, Error> {
    let served = service.serve(actor, id, variant, signature).await?;
    if let Some(location) = redirect_to(&served.source, variant, asked).await {
        return Ok(redirect(&location));
    }
    let mut answer = answer(served, variant, asked);
    allow_cross_origin(&mut answer.headers);
    Ok(answer)
}

/// Redirects go only to media large enough to gain from it: small files
/// (posters, tracks) cost less through Reel than a second round trip.
const REDIRECT_FROM: u64 = 1 << 20;
/// How long a presigned address lasts: a whole viewing of a long film,
/// paused and resumed, without the player's address running out.
const REDIRECT_LASTS: Duration = Duration::from_secs(12 * 3600);

/// The store's own address for these bytes, when they are to be fetched
/// there (asked for, large media, in an object store that presigns).
async fn redirect_to(source: &Source, variant: Variant, asked: &Asked) -> Option<String> {
    let Source::Remote(object) = source else {
        return None;
    };
    let media = matches!(variant, Variant::Original | Variant::Playable);
    if !asked.redirect || !media || object.len < REDIRECT_FROM || asked.download {
        return None;
    }
    object.reader.presign(REDIRECT_LASTS).await
}

/// `307`: the same method (HEAD stays HEAD) and `Range` go to the store.
/// Not cached: the address expires, and rights are checked again here.
fn redirect(location: &str) -> Answer {
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(header::LOCATION, value(location));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    allow_cross_origin(&mut headers);
    Answer {
        status: StatusCode::TEMPORARY_REDIRECT,
        headers,
        body: None,
    }
}

/// Decides the answer for a stored file.
fn answer(served: Served, variant: Variant, asked: &Asked) -> Answer {
    let Served { facts, source } = served;
    let len = source.len();
    let representation = Representation::of(&facts, variant, len, source.modified());
    let plan = Plan::decide(
        &asked.conditions,
        &representation.validators,
        len,
        SystemTime::now(),
    );

    // Room for every field an answer has, so the map never grows.
    let mut headers = HeaderMap::with_capacity(16);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let (status, segments, length) = match plan {
        Plan::PreconditionFailed => {
            return empty(StatusCode::PRECONDITION_FAILED, headers);
        }
        Plan::NotModified => {
            representation.validators_into(&mut headers);
            return Answer {
                status: StatusCode::NOT_MODIFIED,
                headers,
                body: None,
            };
        }
        Plan::Unsatisfiable => {
            headers.insert(header::CONTENT_RANGE, value(&format!("bytes */{len}")));
            return empty(StatusCode::RANGE_NOT_SATISFIABLE, headers);
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
    let body = (!asked.head).then_some((source, segments));
    Answer {
        status,
        headers,
        body,
    }
}

impl Answer {
    /// The answer as hyper sends it. The first chunk is read now when the
    /// page cache has it, so a small answer (a 64 KiB range) is whole before
    /// hyper writes anything and leaves with its headers.
    fn into_response(self) -> Response {
        let Answer {
            status,
            headers,
            body,
        } = self;
        if status == StatusCode::NOT_MODIFIED {
            // A body of unknown size: axum would otherwise add `Content-Length: 0`
            // to a HEAD's 304 but not a GET's, and 0 is not this file's length.
            let body = Body::from_stream(futures_util::stream::empty::<std::io::Result<Bytes>>());
            return (status, headers, body).into_response();
        }
        let body = match body {
            None => return (status, headers).into_response(),
            Some((Source::File(open), segments)) => {
                let mut body = FileBody::new(std::sync::Arc::clone(&open.file), segments);
                body.read_first();
                match body.into_whole() {
                    Ok(whole) => Body::from(whole),
                    Err(stream) => Body::from_stream(stream),
                }
            }
            Some((Source::Remote(object), segments)) => {
                Body::from_stream(remote_body(object.reader, segments))
            }
        };
        (status, headers, body).into_response()
    }
}

fn empty(status: StatusCode, mut headers: HeaderMap) -> Answer {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    Answer {
        status,
        headers,
        body: None,
    }
}

/// Request headers a cross-origin player may send (a preflight asks for them).
const ALLOW_HEADERS: &str =
    "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
/// Response headers a cross-origin player may read.
const EXPOSE_HEADERS: &str =
    "Content-Range, Accept-Ranges, Content-Length, ETag, Last-Modified, Content-Disposition";

/// Any origin may read the bytes, without credentials (`*` forbids them):
/// what another site can fetch this way is what a visitor could, public
/// items and signed addresses, never what a cookie opens.
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
pub(crate) async fn preflight() -> Response {
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
