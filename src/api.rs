//! Server functions: the app's RPC. Each is a public endpoint, so each is
//! thin: check the input, fetch the state, call into `server::*`.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::MediaItem;

/// What the library page shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LibraryData {
    pub items: Vec<MediaItem>,
    /// The server's upload cap, so the page can refuse a too-large file at once.
    pub max_upload_bytes: u64,
}

/// How many items the library page shows until paging arrives.
pub const LIBRARY_PAGE_SIZE: u32 = 500;

#[server(endpoint = "library")]
pub async fn library() -> Result<LibraryData, ApiError> {
    use crate::server::error::Error;
    let state = crate::server::http::app_state()?;
    let items = state
        .repo
        .list(LIBRARY_PAGE_SIZE)
        .await
        .map_err(Error::from)?;
    Ok(LibraryData {
        items,
        max_upload_bytes: state.config.max_upload_size,
    })
}

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
