//! One handler per verb: read the headers, call the service, answer with
//! the headers tus prescribes. Ids are parsed into `UploadId` before any lookup.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::headers::{self, *};
use super::{BASE, TusError};
use crate::model::UploadId;
use crate::server::error::Error;
use crate::server::http::actor;
use crate::server::service::{Patch, UploadError};
use crate::server::state::AppState;

fn upload_id(text: &str) -> Result<UploadId, TusError> {
    UploadId::parse(text).ok_or(TusError::NotFound)
}

fn number(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

fn date(at: std::time::SystemTime) -> HeaderValue {
    HeaderValue::from_str(&http_date(at)).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// OPTIONS: the headers that say what is supported come from
/// `tus::discovery`, which also sees the OPTIONS the CORS layer answers.
pub(super) async fn server_options() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// POST: creation, and creation-with-upload when a body of
/// `application/offset+octet-stream` comes along.
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    if headers.contains_key(UPLOAD_DEFER_LENGTH) {
        return Err(TusError::Unsupported("Upload-Defer-Length (creation-defer-length)").into());
    }
    if headers.contains_key(UPLOAD_CONCAT) {
        return Err(TusError::Unsupported("Upload-Concat (concatenation)").into());
    }
    let length = required_u64(&headers, &UPLOAD_LENGTH, "Upload-Length")?;
    let metadata = parse_metadata(&headers)?;
    let with_data = is_offset_octet_stream(&headers);
    let content_length = headers::content_length(&headers);
    let checksum = if with_data {
        if content_length.is_some_and(|n| n > length) {
            return Err(UploadError::PastLength { length }.into());
        }
        parse_checksum(&headers)?
    } else {
        None
    };

    let actor = actor(&state, &headers).await?;
    let service = &state.service;
    let created = service.create_upload(&actor, length, metadata).await?;
    let location = format!("{BASE}/{}", created.id);
    let mut response = (StatusCode::CREATED, [(header::LOCATION, location)]).into_response();
    let mut expires = Some(created.expires);
    if with_data && content_length != Some(0) {
        let patch = Patch {
            offset: 0,
            checksum,
            content_length,
            body: body.into_data_stream(),
        };
        // The upload exists whatever happens to its first bytes: answer 201
        // with the offset reached, and the client goes on with PATCH.
        let offset = match service.append_upload(&actor, &created.id, patch).await {
            Ok(progress) => {
                expires = progress.expires;
                progress.offset
            }
            Err(e) => {
                tracing::info!(upload = %created.id, "the data sent with a creation was not kept: {e}");
                service
                    .upload_info(&actor, &created.id)
                    .await
                    .map_or(0, |i| i.offset)
            }
        };
        response.headers_mut().insert(UPLOAD_OFFSET, number(offset));
    }
    if let Some(expires) = expires {
        response.headers_mut().insert(UPLOAD_EXPIRES, date(expires));
    }
    Ok(response)
}

/// HEAD: the offset to resume from.
pub(super) async fn head(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let id = upload_id(&id)?;
    let info = state
        .service
        .upload_info(&actor(&state, &headers).await?, &id)
        .await?;
    let metadata = format_metadata(&info.filename, info.filetype.as_deref());
    let mut response = (
        StatusCode::OK,
        [
            (UPLOAD_OFFSET, number(info.offset)),
            (UPLOAD_LENGTH, number(info.length)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&metadata) {
        response.headers_mut().insert(UPLOAD_METADATA, value);
    }
    if let Some(expires) = info.expires {
        response.headers_mut().insert(UPLOAD_EXPIRES, date(expires));
    }
    Ok(response)
}

/// PATCH: append the body at `Upload-Offset`.
pub(super) async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    let id = upload_id(&id)?;
    if !is_offset_octet_stream(&headers) {
        return Err(TusError::WrongContentType.into());
    }
    let patch = Patch {
        offset: required_u64(&headers, &UPLOAD_OFFSET, "Upload-Offset")?,
        checksum: parse_checksum(&headers)?,
        content_length: headers::content_length(&headers),
        body: body.into_data_stream(),
    };
    let progress = state
        .service
        .append_upload(&actor(&state, &headers).await?, &id, patch)
        .await?;
    let mut response = (
        StatusCode::NO_CONTENT,
        [(UPLOAD_OFFSET, number(progress.offset))],
    )
        .into_response();
    if let Some(expires) = progress.expires {
        response.headers_mut().insert(UPLOAD_EXPIRES, date(expires));
    }
    Ok(response)
}

/// DELETE: termination.
pub(super) async fn terminate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let id = upload_id(&id)?;
    state
        .service
        .terminate_upload(&actor(&state, &headers).await?, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// POST with `X-HTTP-Method-Override`, for environments that cannot send
/// PATCH or DELETE (tus-js-client's `overridePatchMethod`).
pub(super) async fn post_override(
    state: State<AppState>,
    id: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    let method = headers
        .get(X_HTTP_METHOD_OVERRIDE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_uppercase();
    match method.as_str() {
        "PATCH" => patch(state, id, headers, body).await,
        "DELETE" => terminate(state, id, headers).await,
        "HEAD" => head(state, id, headers).await,
        _ => Err(TusError::MethodNotAllowed.into()),
    }
}
