//! The tus 1.0.0 wire protocol for resumable uploads: core plus creation,
//! creation-with-upload, termination, expiration and checksum (sha1,
//! sha256). `headers` parses and formats the protocol's headers, `handlers`
//! maps each verb onto the service layer; what an upload is and does lives
//! in `server::uploads`.

mod handlers;
pub(crate) mod headers;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{options, post};
use tower_http::cors::{Any, CorsLayer};

use crate::error::ErrorCode;
use crate::server::error::Error;
use crate::server::state::AppState;
use headers::{TUS_RESUMABLE, TUS_VERSION};

/// The only protocol version spoken.
pub(crate) const VERSION: &str = "1.0.0";
pub(crate) const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
pub(crate) const CHECKSUM_ALGORITHMS: &str = "sha1,sha256";
/// Where uploads are created; each upload lives at `{BASE}/{id}`.
pub(crate) const BASE: &str = "/api/tus";

/// The protocol's own refusals (what an upload refuses is an
/// `UploadError`); each has the status tus prescribes and a message for people.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TusError {
    #[error("This server speaks tus 1.0.0: send `Tus-Resumable: 1.0.0`.")]
    UnsupportedVersion,
    #[error("There is no upload at this address. It may have expired or been cancelled.")]
    NotFound,
    #[error("The header {name} is missing or invalid: {why}.")]
    BadHeader {
        name: &'static str,
        why: &'static str,
    },
    #[error("{0} is not supported by this server.")]
    Unsupported(&'static str),
    #[error("The checksum algorithm `{0}` is not supported: use sha1 or sha256.")]
    UnsupportedChecksum(String),
    #[error("Upload data must be sent as application/offset+octet-stream.")]
    WrongContentType,
    #[error("The method is not allowed here.")]
    MethodNotAllowed,
}

impl TusError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            TusError::UnsupportedVersion => {
                (StatusCode::PRECONDITION_FAILED, ErrorCode::TusVersion)
            }
            TusError::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            TusError::BadHeader { .. } => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            TusError::Unsupported(_) => (StatusCode::BAD_REQUEST, ErrorCode::Unsupported),
            TusError::UnsupportedChecksum(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedChecksum)
            }
            TusError::WrongContentType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::WrongContentType,
            ),
            TusError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
            }
        }
    }
}

impl From<TusError> for Error {
    fn from(e: TusError) -> Self {
        let (status, code) = e.status_and_code();
        Error::Protocol {
            status,
            code,
            message: e.to_string(),
        }
    }
}

/// The tus routes, with CORS for clients on other origins. `max_size` is
/// what OPTIONS advertises.
pub(crate) fn routes(max_size: u64) -> Router<AppState> {
    use handlers::{create, head, patch, post_override, server_options, terminate};
    Router::new()
        .route(BASE, post(create).options(server_options))
        .route(
            &format!("{BASE}/{{upload_id}}"),
            options(server_options)
                .head(head)
                .patch(patch)
                .delete(terminate)
                .post(post_override),
        )
        // Chunks are as large as clients choose; Uploads enforces the declared length.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(tus_resumable))
        .layer(cors())
        .layer(middleware::from_fn_with_state(max_size, discovery))
}

/// OPTIONS answers what the server supports. The CORS layer answers every
/// OPTIONS itself (as a preflight), so the tus headers are added out here,
/// to preflights too; a plain OPTIONS gets tus's 204.
async fn discovery(State(max_size): State<u64>, request: Request, next: Next) -> Response {
    use headers::{TUS_CHECKSUM_ALGORITHM, TUS_EXTENSION, TUS_MAX_SIZE};
    if request.method() != Method::OPTIONS {
        return next.run(request).await;
    }
    let preflight = request
        .headers()
        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = next.run(request).await;
    if !preflight && response.status().is_success() {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    let headers = response.headers_mut();
    headers.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
    headers.insert(TUS_EXTENSION, HeaderValue::from_static(EXTENSIONS));
    headers.insert(TUS_MAX_SIZE, HeaderValue::from(max_size));
    headers.insert(
        TUS_CHECKSUM_ALGORITHM,
        HeaderValue::from_static(CHECKSUM_ALGORITHMS),
    );
    response
}

fn cors() -> CorsLayer {
    use headers::*;
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::POST,
            Method::HEAD,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            TUS_RESUMABLE,
            UPLOAD_LENGTH,
            UPLOAD_OFFSET,
            UPLOAD_METADATA,
            UPLOAD_CHECKSUM,
            UPLOAD_DEFER_LENGTH,
            UPLOAD_CONCAT,
            header::CONTENT_TYPE,
            X_HTTP_METHOD_OVERRIDE,
            X_REQUESTED_WITH,
        ])
        .expose_headers([
            header::LOCATION,
            UPLOAD_OFFSET,
            UPLOAD_LENGTH,
            UPLOAD_EXPIRES,
            TUS_RESUMABLE,
            TUS_VERSION,
            TUS_EXTENSION,
            TUS_MAX_SIZE,
            TUS_CHECKSUM_ALGORITHM,
        ])
        .max_age(Duration::from_secs(24 * 3600))
}

/// Every request but OPTIONS must speak our version (412 otherwise), and
/// every response but OPTIONS says which version we speak.
async fn tus_resumable(request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let spoken = request
        .headers()
        .get(TUS_RESUMABLE)
        .is_some_and(|v| v.as_bytes() == VERSION.as_bytes());
    let mut response = if spoken {
        next.run(request).await
    } else {
        let mut refused = Error::from(TusError::UnsupportedVersion).into_response();
        refused
            .headers_mut()
            .insert(TUS_VERSION, HeaderValue::from_static(VERSION));
        refused
    };
    response
        .headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(VERSION));
    response
}
