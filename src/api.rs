//! Server functions: the app's RPC. Each is a public endpoint, so each is
//! thin: check the input, fetch the state, call into `server::*`.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::MediaItem;

#[server(endpoint = "media")]
pub async fn get_media(id: String) -> Result<MediaItem, ApiError> {
    use crate::server::error::Error;
    use crate::server::store::MediaId;
    let state = crate::server::http::app_state()?;
    let found = match MediaId::parse(&id) {
        Some(id) => state.repo.get(&id).await.map_err(Error::from)?,
        None => None,
    };
    found.ok_or_else(|| {
        crate::server::http::set_not_found_status();
        ApiError::new(
            "not-found",
            "There is no item with this address. It may have been deleted.",
        )
    })
}

/// Where a resumable upload stands; the client follows it after its last
/// PATCH until the upload is an item (or failed, with a reason). The type is
/// spelled out in full: the macro names its argument struct `UploadStatus`.
#[server(endpoint = "upload_status")]
pub async fn upload_status(upload_id: String) -> Result<crate::model::UploadStatus, ApiError> {
    let state = crate::server::http::app_state()?;
    let found = state.uploads.status(&upload_id).await?;
    found.ok_or_else(|| {
        crate::server::http::set_not_found_status();
        ApiError::new(
            "not-found",
            "There is no upload with this id. It may have expired or been cancelled.",
        )
    })
}

/// Queues an item's failed processing again (the "Retry" button).
#[server(endpoint = "retry_processing")]
pub async fn retry_processing(id: String) -> Result<(), ApiError> {
    use crate::server::error::Error;
    let state = crate::server::http::app_state()?;
    let id = media_id_or_404(&id)?;
    if !state.jobs.retry(&id).await.map_err(Error::from)? {
        crate::server::http::set_status(axum::http::StatusCode::CONFLICT);
        return Err(ApiError::new(
            "nothing-to-retry",
            "This item has no failed or cancelled processing to try again.",
        ));
    }
    Ok(())
}

/// Stops an item's processing (the "Cancel" button); the item keeps what is
/// already made and can be retried.
#[server(endpoint = "cancel_processing")]
pub async fn cancel_processing(id: String) -> Result<(), ApiError> {
    use crate::server::error::Error;
    let state = crate::server::http::app_state()?;
    let id = media_id_or_404(&id)?;
    if !state.jobs.cancel(&id).await.map_err(Error::from)? {
        crate::server::http::set_status(axum::http::StatusCode::CONFLICT);
        return Err(ApiError::new(
            "nothing-to-cancel",
            "This item is not processing any more.",
        ));
    }
    Ok(())
}

#[cfg(feature = "ssr")]
fn media_id_or_404(id: &str) -> Result<crate::server::store::MediaId, ApiError> {
    crate::server::store::MediaId::parse(id).ok_or_else(|| {
        crate::server::http::set_not_found_status();
        ApiError::new(
            "not-found",
            "There is no item with this address. It may have been deleted.",
        )
    })
}

/// One page of the library: filtered by kind and state, searched (each word
/// a prefix of a word in the title, file name or description), sorted.
/// Out-of-range pages and sizes are refused with `bad-request`; a page past
/// the end is empty (with the `total` to find the last one). The query is
/// flattened, so the form body is the page's own query string
/// (`LibraryQuery::to_query_string`), e.g. `q=holi&kind=video&sort=title`.
#[server(endpoint = "list_library")]
pub async fn list_library(
    #[server(flatten)] query: crate::model::LibraryQuery,
) -> Result<crate::model::LibraryPage, ApiError> {
    let state = crate::server::http::app_state()?;
    query.validate().map_err(bad_request)?;
    Ok(crate::server::library::page(&state.repo, &query).await?)
}

/// Edits an item's title (1 to 200 characters) and description (up to
/// 5000); both are trimmed. A refusal's code names the field
/// (`invalid-title`, `invalid-description`) and its message the limit.
#[server(endpoint = "update_media")]
pub async fn update_media(
    id: String,
    title: String,
    description: String,
) -> Result<MediaItem, ApiError> {
    let state = crate::server::http::app_state()?;
    let id = media_id_or_404(&id)?;
    let title = crate::model::clean_title(&title).map_err(bad_request)?;
    let description = crate::model::clean_description(&description).map_err(bad_request)?;
    let updated = crate::server::library::update(&state.repo, &id, &title, &description).await?;
    updated.ok_or_else(not_found)
}

/// Deletes an item for good: its processing, its row and jobs, its original
/// and every derived file.
#[server(endpoint = "delete_media")]
pub async fn delete_media(id: String) -> Result<(), ApiError> {
    let state = crate::server::http::app_state()?;
    let id = media_id_or_404(&id)?;
    if !crate::server::library::delete(&state, &id).await? {
        return Err(not_found());
    }
    Ok(())
}

#[cfg(feature = "ssr")]
fn bad_request(err: ApiError) -> ApiError {
    crate::server::http::set_status(axum::http::StatusCode::BAD_REQUEST);
    err
}

#[cfg(feature = "ssr")]
fn not_found() -> ApiError {
    crate::server::http::set_not_found_status();
    ApiError::new(
        "not-found",
        "There is no item with this address. It may have been deleted.",
    )
}
