//! What the upload zone asks: the server's limits, and where a resumable
//! upload stands after its last chunk.

use leptos::prelude::*;

use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, service};

/// The server's upload limits (a few bytes; the library page loads them
/// with the page, so the zone never waits for the whole library).
#[server(endpoint = "upload_limits")]
pub async fn upload_limits() -> Result<crate::model::UploadLimits, ApiError> {
    Ok(service()?.upload_limits(&actor().await?))
}

/// Where a resumable upload stands; the client follows it after its last
/// PATCH until the upload is an item (or failed, with a reason). The type is
/// spelled out in full: the macro names its argument struct `UploadStatus`.
#[server(endpoint = "upload_status")]
pub async fn upload_status(upload_id: String) -> Result<crate::model::UploadStatus, ApiError> {
    let id = super::context::upload_id(&upload_id)?;
    Ok(service()?.upload_status(&actor().await?, &id).await?)
}
