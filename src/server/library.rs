//! The library's server side: pages, edits, deletes, and the start-up sweep
//! that removes stored files no item owns.
//!
//! Deleting puts the row first: once it is gone no page, job or byte
//! request finds the item, and whatever files a crash leaves behind belong
//! to no row, which is exactly what the sweep removes at the next start.

use std::time::Duration;

use crate::model::{LibraryPage, LibraryQuery, MediaItem};
use crate::server::db::Repo;
use crate::server::error::Error;
use crate::server::state::AppState;
use crate::server::store::{MediaId, Store};

/// After a delete, the item's directory is removed once more this much
/// later: a worker stopped mid-step may still move a finished file into
/// place (a rename already under way is not interrupted).
const LATE_WRITE_GRACE: Duration = Duration::from_secs(10);

/// One page of the library; `query` must have passed `validate`.
pub async fn page(repo: &Repo, query: &LibraryQuery) -> Result<LibraryPage, Error> {
    let (items, total) = repo.library_page(query).await?;
    Ok(LibraryPage {
        items,
        total,
        page: query.page,
        per_page: query.per_page,
    })
}

/// Sets an item's title and description (already cleaned by
/// `model::clean_title` and `model::clean_description`); `None` when there
/// is no such item.
pub async fn update(
    repo: &Repo,
    id: &MediaId,
    title: &str,
    description: &str,
) -> Result<Option<MediaItem>, Error> {
    Ok(repo.update_text(id, title, description).await?)
}

/// Deletes an item with everything it has: its processing stops, its row
/// and jobs go, then every stored file. False when there is no such item.
pub async fn delete(state: &AppState, id: &MediaId) -> Result<bool, Error> {
    // Running ffmpeg is killed and queued jobs never start.
    state.jobs.cancel(id).await?;
    // The row, and with it the jobs (foreign key) and the search entry.
    if !state.repo.delete_media(id).await? {
        return Ok(false);
    }
    // Byte serving must ask the database again, which now says 404.
    state.serving.evict(id);
    // The item is gone; files that fail to go now are swept at next start.
    if let Err(e) = state.store.delete_all(id).await {
        tracing::error!(%id, "cannot remove a deleted item's files: {e}");
    }
    let store = state.store.clone();
    let id = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(LATE_WRITE_GRACE).await;
        if let Err(e) = store.delete_all(&id).await {
            tracing::error!(%id, "cannot remove a deleted item's late files: {e}");
        }
    });
    Ok(true)
}

/// Removes the store directories of items that have no row (a crash
/// between deleting a row and its files, or between storing an upload and
/// recording it). Runs at start-up before anything else touches the store;
/// failures are logged, never fatal. Returns how many directories went.
pub async fn sweep_orphans(repo: &Repo, store: &Store) -> usize {
    let (in_use, stored) = match (repo.media_ids_in_use().await, store.media_ids().await) {
        (Ok(in_use), Ok(stored)) => (in_use, stored),
        (Err(e), _) => {
            tracing::error!("cannot sweep orphaned files: {e}");
            return 0;
        }
        (_, Err(e)) => {
            tracing::error!("cannot sweep orphaned files: {e}");
            return 0;
        }
    };
    let mut removed = 0;
    for id in stored.iter().filter(|id| !in_use.contains(id.as_str())) {
        match store.delete_all(id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::error!(%id, "cannot remove orphaned files: {e}"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed stored files that belonged to no item");
    }
    removed
}
