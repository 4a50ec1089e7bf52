//! `POST /api/uploads`: one multipart field `file`, streamed to a temp file
//! while hashing and counting, probed, then moved into the store. Any failure
//! on the way drops the temp file, so nothing half-written is ever kept.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};

use crate::model::UploadResponse;
use crate::server::db::NewMedia;
use crate::server::error::Error;
use crate::server::filename;
use crate::server::media::MediaError;
use crate::server::state::AppState;
use crate::server::store::{MediaId, TempFile, Variant};

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
        let received = receive(&state, field, limit).await?;
        let last_byte = std::time::Instant::now();
        let item = admit(&state, received, original_filename).await?;
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

struct Received {
    temp: TempFile,
    size: u64,
    sha256: String,
}

async fn receive(
    state: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
    limit: u64,
) -> Result<Received, Error> {
    let mut temp = state.store.create_temp().await?;
    let mut writer = temp.writer().await?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(interrupted)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(Error::TooLarge { limit });
        }
        hasher.update(&chunk);
        writer.write(&chunk).await?;
    }
    writer.finish().await?;
    Ok(Received {
        temp,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Probes the received bytes and, if they are media, stores them and records the item.
async fn admit(
    state: &AppState,
    received: Received,
    original_filename: String,
) -> Result<crate::model::MediaItem, Error> {
    let probe = state
        .media
        .probe(received.temp.path())
        .await
        .map_err(|e| match e {
            MediaError::Rejected(reason) => Error::NotMedia(reason.to_string()),
            other => Error::Media(other),
        })?;
    let id = MediaId::generate();
    state
        .store
        .persist(received.temp, &id, Variant::Original)
        .await?;
    let new = NewMedia {
        id: id.clone(),
        title: filename::title_from(&original_filename),
        original_filename,
        size_bytes: received.size,
        sha256: received.sha256,
        content_type: probe.content_type,
        kind: probe.kind,
        container: probe.demuxer,
        duration_secs: probe.duration_secs,
        width: probe.width,
        height: probe.height,
        video_codec: probe.video_codec,
        audio_codec: probe.audio_codec,
        cover_stream: probe.cover_stream,
    };
    let item = match state.repo.insert(&new).await {
        Ok(item) => item,
        Err(e) => {
            // No row, no bytes: never leave an orphaned file in the store.
            if let Err(cleanup) = state.store.delete_all(&id).await {
                tracing::error!(%id, "cannot remove the bytes of a failed upload: {cleanup}");
            }
            return Err(e.into());
        }
    };
    state.processor.enqueue(id);
    Ok(item)
}
