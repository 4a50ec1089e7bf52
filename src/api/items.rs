//! The library: an item, a page of items, an item's neighbours, editing and
//! deleting an item.

use leptos::prelude::*;

use crate::accounts::Visibility;
use crate::error::ApiError;
use crate::library::{LibraryPage, LibraryQuery, Neighbours};
use crate::model::{Chapter, ItemTags, MediaItem};

#[cfg(feature = "ssr")]
use super::context::{actor, bad_request, media_id, service};

#[server(endpoint = "media")]
pub async fn get_media(id: String) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.item(&actor().await?, &id).await?)
}

/// One page of the library: filtered by kind and state, searched (each word
/// a prefix of a word in the title, file name or description), sorted.
/// Out-of-range pages and sizes are refused with `bad-request`; a page past
/// the end is empty (with the `total` to find the last one). The query is
/// flattened, so the form body is the page's own query string
/// (`LibraryQuery::to_query_string`), e.g. `q=holi&kind=video&sort=title`.
#[server(endpoint = "list_library")]
pub async fn list_library(#[server(flatten)] query: LibraryQuery) -> Result<LibraryPage, ApiError> {
    query.validate().map_err(bad_request)?;
    Ok(service()?.library_page(&actor().await?, &query).await?)
}

/// The items before and after `id` in the library; none for an unknown id.
#[server(endpoint = "media_neighbours")]
pub async fn media_neighbours(id: String) -> Result<Neighbours, ApiError> {
    let Some(id) = crate::model::MediaId::parse(&id) else {
        return Ok(Neighbours::default());
    };
    Ok(service()?.neighbours(&actor().await?, &id).await?)
}

/// Edits an item's title (1 to 200 characters) and description (up to
/// 5000); both are trimmed. A refusal's code names the field
/// (`invalid-title`, `invalid-description`) and its message the limit.
/// `visibility` (`private`, `internal`, `unlisted`, `public`), when given,
/// changes who may see it; every signed address made before stops working.
#[server(endpoint = "update_media")]
pub async fn update_media(
    id: String,
    title: String,
    description: String,
    #[server(default)] visibility: Option<Visibility>,
) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    let title = crate::library::clean_title(&title).map_err(bad_request)?;
    let description = crate::library::clean_description(&description).map_err(bad_request)?;
    Ok(service()?
        .update_item(&actor().await?, &id, &title, &description, visibility)
        .await?)
}

/// Sets an item's tags (artist, album, album artist, genre: up to 200
/// characters each, trimmed, empty for none; year 1–9999, track 1–9999,
/// disc 1–999). A refusal (`bad-request`) names the field.
#[server(endpoint = "update_tags", input = server_fn::codec::Json)]
pub async fn update_tags(id: String, tags: ItemTags) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    let tags = tags.clean().map_err(|message| {
        bad_request(ApiError::new(crate::error::ErrorCode::BadRequest, message))
    })?;
    Ok(service()?.update_tags(&actor().await?, &id, &tags).await?)
}

/// Replaces an item's chapters with `chapters` (in any order; put in order,
/// an empty title becomes "Chapter N"). Each must start within the
/// recording; at most 500.
#[server(endpoint = "update_chapters", input = server_fn::codec::Json)]
pub async fn update_chapters(id: String, chapters: Vec<Chapter>) -> Result<MediaItem, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?
        .update_chapters(&actor().await?, &id, chapters)
        .await?)
}

/// Deletes an item for good: its processing, its row and jobs, its original
/// and every derived file.
#[server(endpoint = "delete_media")]
pub async fn delete_media(id: String) -> Result<(), ApiError> {
    let id = media_id(&id)?;
    Ok(service()?.delete(&actor().await?, &id).await?)
}
