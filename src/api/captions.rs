//! Captions: an item's tracks, adding a `.vtt` or `.srt` file, editing and
//! deleting a track, and search in what was said.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::{CaptionHit, CaptionTrack};

#[cfg(feature = "ssr")]
use super::context::{actor, bad_request, media_id, service};

/// The item's caption tracks; a track's `src` is its WebVTT address, `None`
/// (with a `note`) for one that cannot be shown.
#[server(endpoint = "captions")]
pub async fn list_captions(id: String) -> Result<Vec<CaptionTrack>, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.captions(&actor().await?, &id).await?)
}

/// Adds a caption file to an item: `data` is the file's bytes in base64
/// (WebVTT or SubRip, UTF-8, UTF-16 or Windows-1252, at most 1 MiB).
/// A file that is not captions is refused (`bad-request`) naming the line.
#[server(endpoint = "add_caption", input = server_fn::codec::Json)]
pub async fn add_caption(
    id: String,
    file_name: String,
    data: String,
    label: String,
    language: String,
) -> Result<Vec<CaptionTrack>, ApiError> {
    use base64::Engine as _;
    let id = media_id(&id)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|_| {
            bad_request(ApiError::new(
                crate::error::ErrorCode::BadRequest,
                "The file's bytes are not valid base64.",
            ))
        })?;
    Ok(service()?
        .add_caption(&actor().await?, &id, &file_name, &bytes, &label, &language)
        .await?)
}

/// Changes a track's label and language (a tag such as `en`, or empty).
#[server(endpoint = "update_caption")]
pub async fn update_caption(
    id: String,
    caption: i64,
    label: String,
    language: String,
) -> Result<Vec<CaptionTrack>, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?
        .update_caption(&actor().await?, &id, caption, &label, &language)
        .await?)
}

#[server(endpoint = "delete_caption")]
pub async fn delete_caption(id: String, caption: i64) -> Result<Vec<CaptionTrack>, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?
        .delete_caption(&actor().await?, &id, caption)
        .await?)
}

/// Items whose captions say every word of `q` (each a word prefix), with
/// the first such cue and its time; at most 20, by title.
#[server(endpoint = "search_captions")]
pub async fn search_captions(q: String) -> Result<Vec<CaptionHit>, ApiError> {
    if q.chars().count() > crate::library::MAX_SEARCH_CHARS {
        return Err(bad_request(ApiError::new(
            crate::error::ErrorCode::BadRequest,
            format!(
                "A search is at most {} characters.",
                crate::library::MAX_SEARCH_CHARS
            ),
        )));
    }
    Ok(service()?.search_captions(&actor().await?, &q).await?)
}
