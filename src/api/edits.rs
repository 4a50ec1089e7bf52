//! Edits: where a fast cut may start, and starting an edit.

use leptos::prelude::*;

use crate::edit::{CutPoints, EditRequest};
use crate::error::ApiError;
use crate::model::MediaItem;

#[cfg(feature = "ssr")]
use super::context::{actor, media_id, service};

/// Where a fast cut can start in an item (for the trim controls).
#[server(endpoint = "cut_points")]
pub async fn fast_cut_points(id: String) -> Result<CutPoints, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.cut_points(&actor().await?, &id).await?)
}

/// Starts an edit; answers the new item (processing) at once. The request is
/// JSON: `{"id": "…", "request": {"edit": "trim", …}}`.
#[server(endpoint = "start_edit", input = server_fn::codec::Json)]
pub async fn start_edit(id: String, request: EditRequest) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.start_edit(&actor().await?, &id, request).await?)
}
