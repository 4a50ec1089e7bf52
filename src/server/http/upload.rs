//! `POST /api/uploads`: one multipart field `file`, streamed into the
//! service's upload sink (a scratch file, hashed and counted as it grows),
//! then made an item (probe, store, record). Any failure on the way drops
//! the sink and its file, so nothing half-written is kept. A `visibility`
//! field before `file` says who may see the item (private when absent).

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use crate::accounts::Visibility;
use crate::model::UploadResponse;
use crate::server::error::Error;
use crate::server::service;
use crate::server::state::AppState;

/// How long a body may send nothing before the upload counts as abandoned
/// (the same allowance the tus route gives).
const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);
/// Room for multipart boundaries and part headers beyond the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<impl IntoResponse, Error> {
    let actor = super::actor(&state, &headers).await?;
    let mut visibility = Visibility::default();
    // Refuse early when the client announces a body that cannot fit.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| n.saturating_sub(MULTIPART_OVERHEAD));

    while let Some(mut field) = multipart.next_field().await.map_err(interrupted)? {
        if field.name() == Some("visibility") {
            let text = field.text().await.map_err(interrupted)?;
            visibility = Visibility::parse(text.trim()).ok_or_else(|| {
                Error::BadRequest(
                    "visibility is not private, internal, unlisted or public.".to_string(),
                )
            })?;
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let client_filename = field.file_name().unwrap_or("").to_string();
        let service = &state.service;
        let mut sink = service.begin_upload(&actor, announced, visibility).await?;
        // A client that stops sending for this long is gone: the sink's
        // scratch file goes with it.
        let idle =
            |e| service::Error::Interrupted(std::io::Error::new(std::io::ErrorKind::TimedOut, e));
        while let Some(chunk) = tokio::time::timeout(BODY_IDLE, field.chunk())
            .await
            .map_err(idle)?
            .map_err(interrupted)?
        {
            sink.write(&chunk).await?;
        }
        let last_byte = std::time::Instant::now();
        let finished = service
            .finish_upload(&actor, sink, &client_filename)
            .await?;
        let item = finished.item;
        // From the last byte received to a stored, playable item (the upload benchmark reads this).
        tracing::info!(
            id = %item.id,
            size = item.size_bytes,
            kind = item.kind.as_str(),
            playable_after_ms = last_byte.elapsed().as_secs_f64() * 1000.0,
            "upload stored"
        );
        let mut response = UploadResponse::from(&item);
        response.already_in_library = finished.already_in_library;
        let location = response.urls.page.clone();
        // Nothing was created for a file already in the library: 200, and
        // the answer names the item that holds it.
        let status = if finished.already_in_library {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        return Ok((status, [(header::LOCATION, location)], Json(response)));
    }
    Err(Error::BadRequest(
        "The upload has no file: send it as a multipart field named `file`.".to_string(),
    ))
}

fn interrupted(e: axum::extract::multipart::MultipartError) -> service::Error {
    service::Error::Interrupted(std::io::Error::other(e.body_text()))
}
