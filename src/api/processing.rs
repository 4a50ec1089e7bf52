//! The "Retry" and "Cancel" buttons.

use leptos::prelude::*;

use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, media_id, service};

/// Queues an item's failed processing again.
#[server(endpoint = "retry_processing")]
pub async fn retry_processing(id: String) -> Result<(), ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.retry_processing(&actor().await?, &id).await?)
}

/// Stops an item's processing (it keeps what is already made and can be
/// retried); answers once the work has stopped.
#[server(endpoint = "cancel_processing")]
pub async fn cancel_processing(id: String) -> Result<(), ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.cancel_processing(&actor().await?, &id).await?)
}
