//! Collections: playlists and smart collections, made, listed, shown,
//! changed and deleted; a playlist's items added, removed and reordered.
//! (Adding many items at once is bulk work: `bulk` with `add_to_playlist`.)

use leptos::prelude::*;

use crate::collections::{Collection, CollectionChange, CollectionKind, CollectionView};
use crate::error::ApiError;
use crate::library::LibraryQuery;

#[cfg(feature = "ssr")]
use super::context::{actor, collection_id, media_id, service};

/// A new private collection: a `playlist`, or a `smart` one that shows
/// whatever `query` (a library query) finds, kept current.
#[server(endpoint = "create_collection", input = server_fn::codec::Json)]
pub async fn create_collection(
    name: String,
    kind: CollectionKind,
    #[server(default)] query: Option<LibraryQuery>,
) -> Result<Collection, ApiError> {
    Ok(service()?
        .create_collection(&actor().await?, &name, kind, query.as_ref())
        .await?)
}

/// The collections the asker may list, most recently changed first.
#[server(endpoint = "list_collections")]
pub async fn list_collections() -> Result<Vec<Collection>, ApiError> {
    Ok(service()?.collections(&actor().await?).await?)
}

/// A collection with the items the asker may see in it, in order.
#[server(endpoint = "get_collection")]
pub async fn get_collection(id: String) -> Result<CollectionView, ApiError> {
    let id = collection_id(&id)?;
    Ok(service()?.collection(&actor().await?, &id).await?)
}

/// Renames a collection, sets its visibility, or changes a smart one's query.
#[server(endpoint = "update_collection", input = server_fn::codec::Json)]
pub async fn update_collection(
    id: String,
    change: CollectionChange,
) -> Result<Collection, ApiError> {
    let id = collection_id(&id)?;
    Ok(service()?
        .update_collection(&actor().await?, &id, &change)
        .await?)
}

/// Deletes a collection and its links (never its items).
#[server(endpoint = "delete_collection")]
pub async fn delete_collection(id: String) -> Result<(), ApiError> {
    let id = collection_id(&id)?;
    Ok(service()?.delete_collection(&actor().await?, &id).await?)
}

/// Appends an item the asker may see to their playlist.
#[server(endpoint = "add_to_playlist")]
pub async fn add_to_playlist(id: String, item: String) -> Result<(), ApiError> {
    let (id, item) = (collection_id(&id)?, media_id(&item)?);
    Ok(service()?
        .add_to_playlist(&actor().await?, &id, &item)
        .await?)
}

/// Takes an item out of a playlist (the item itself stays).
#[server(endpoint = "remove_from_playlist")]
pub async fn remove_from_playlist(id: String, item: String) -> Result<(), ApiError> {
    let (id, item) = (collection_id(&id)?, media_id(&item)?);
    Ok(service()?
        .remove_from_playlist(&actor().await?, &id, &item)
        .await?)
}

/// Moves `item` to just before `before` in the playlist (to its end when
/// `before` is absent).
#[server(endpoint = "move_in_playlist")]
pub async fn move_in_playlist(
    id: String,
    item: String,
    #[server(default)] before: Option<String>,
) -> Result<(), ApiError> {
    let (id, item) = (collection_id(&id)?, media_id(&item)?);
    let before = before.as_deref().map(media_id).transpose()?;
    Ok(service()?
        .move_in_playlist(&actor().await?, &id, &item, before.as_ref())
        .await?)
}
