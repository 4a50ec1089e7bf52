//! Labels (the tags people give items, chips in the library) and favourites.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::MediaItem;
use crate::model::labels::LabelCount;

#[cfg(feature = "ssr")]
use super::context::{actor, media_id, service};

/// Replaces an item's tags with `labels` (each 1–40 characters, no commas;
/// at most 50; "Live" and "live" are one). A list with a bad tag is refused
/// whole (`bad-request`, naming the rule).
#[server(endpoint = "set_labels", input = server_fn::codec::Json)]
pub async fn set_labels(id: String, labels: Vec<String>) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.set_labels(&actor().await?, &id, &labels).await?)
}

/// The tags on the items the asker may list, each with how many.
#[server(endpoint = "list_labels")]
pub async fn list_labels() -> Result<Vec<LabelCount>, ApiError> {
    Ok(service()?.labels_in_use(&actor().await?).await?)
}

/// Marks (`favourite=true`) or unmarks an item the asker may see as one of
/// their favourites; for signed-in people only.
#[server(endpoint = "set_favourite")]
pub async fn set_favourite(id: String, favourite: bool) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?
        .set_favourite(&actor().await?, &id, favourite)
        .await?)
}
