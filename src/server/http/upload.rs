//! `POST /api/uploads`: one multipart field `file`, streamed to a temp file
//! while hashing and counting, then handed to `ingest` (probe, store, record).
//! Any failure on the way drops the temp file, so nothing half-written is kept.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};

use crate::model::UploadResponse;
use crate::server::error::Error;
use crate::server::filename;
use crate::server::ingest::Received;
use crate::server::state::AppState;
use crate::server::store::TempFile;

/// How long a body may send nothing before the upload counts as abandoned
/// (the same allowance the tus route gives).
const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(60);
/// Room for multipart boundaries and part headers beyond the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<impl IntoResponse, Error> {
    let limit = state.config.max_upload_size;
    // Refuse early when the client announces a body that cannot fit.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(Error::TooLarge { limit });
    }

    while let Some(field) = multipart.next_field().await.map_err(interrupted)? {
        if field.name() != Some("file") {
            continue;
        }
        let original_filename = filename::sanitize(field.file_name().unwrap_or(""));
        let (temp, received) = receive(&state, field, limit, original_filename).await?;
        let last_byte = std::time::Instant::now();
        let item = state.ingest.admit_temp(temp, received).await?;
        // From the last byte received to a stored, playable item (the upload benchmark reads this).
        tracing::info!(
            id = %item.id,
            size = item.size_bytes,
            kind = item.kind.as_str(),
            playable_after_ms = last_byte.elapsed().as_secs_f64() * 1000.0,
            "upload stored"
        );
        let response = UploadResponse::from(&item);
        let location = response.urls.page.clone();
        return Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(response),
        ));
    }
    Err(Error::BadRequest(
        "The upload has no file: send it as a multipart field named `file`.".to_string(),
    ))
}

fn interrupted(e: axum::extract::multipart::MultipartError) -> Error {
    Error::UploadInterrupted(std::io::Error::other(e.body_text()))
}

async fn receive(
    state: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
    limit: u64,
    original_filename: String,
) -> Result<(TempFile, Received), Error> {
    let mut temp = state.store.create_temp().await?;
    let mut writer = temp.writer().await?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    // A client that stops sending for this long is gone: free its temp file.
    let idle = |e| Error::UploadInterrupted(std::io::Error::new(std::io::ErrorKind::TimedOut, e));
    while let Some(chunk) = tokio::time::timeout(BODY_IDLE, field.chunk())
        .await
        .map_err(idle)?
        .map_err(interrupted)?
    {
        size += chunk.len() as u64;
        if size > limit {
            return Err(Error::TooLarge { limit });
        }
        hasher.update(&chunk);
        writer.write(&chunk).await?;
    }
    writer.finish().await?;
    let received = Received {
        size,
        sha256: hex::encode(hasher.finalize()),
        original_filename,
    };
    Ok((temp, received))
}
