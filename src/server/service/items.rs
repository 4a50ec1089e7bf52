//! The library's use cases: an item, a page of items, the items either side
//! of one, editing an item's text, deleting an item with everything it has.
//!
//! Deleting puts the row first: once it is gone no page, job or byte request
//! finds the item, and whatever files a crash leaves behind belong to no row,
//! which is exactly what the start-up sweep (`node::sweep_orphans`) removes.

use crate::library::{LibraryPage, LibraryQuery, Neighbour, Neighbours};
use crate::model::{MediaId, MediaItem, MediaState};
use crate::server::jobs::progress_of;

use super::{Actor, Error, Missing, Result, Service};

impl Service {
    /// One item, with its processing progress.
    pub(crate) async fn item(&self, _actor: &Actor, id: &MediaId) -> Result<MediaItem> {
        let item = self
            .inner
            .repo
            .get(id)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        self.with_progress(item).await
    }

    /// Fills in how far an item's processing has come.
    pub(crate) async fn with_progress(&self, mut item: MediaItem) -> Result<MediaItem> {
        if item.state == MediaState::Processing {
            let jobs = self.inner.repo.jobs_of(&item.id).await?;
            item.progress = progress_of(&jobs, None);
        }
        Ok(item)
    }

    /// One page of the library; `query` must have passed `validate`.
    pub(crate) async fn library_page(
        &self,
        _actor: &Actor,
        query: &LibraryQuery,
    ) -> Result<LibraryPage> {
        let repo = &self.inner.repo;
        let (mut items, total) = repo.library_page(query).await?;
        let processing: Vec<MediaId> = items
            .iter()
            .filter(|item| item.state == MediaState::Processing)
            .map(|item| item.id.clone())
            .collect();
        if !processing.is_empty() {
            let mut jobs = repo.jobs_of_many(&processing).await?;
            for item in &mut items {
                if let Some(jobs) = jobs.remove(&item.id) {
                    item.progress = progress_of(&jobs, None);
                }
            }
        }
        Ok(LibraryPage {
            items,
            total,
            page: query.page,
            per_page: query.per_page,
        })
    }

    /// The items before and after `id` in the library's order; none for an
    /// unknown id.
    pub(crate) async fn neighbours(&self, _actor: &Actor, id: &MediaId) -> Result<Neighbours> {
        let (previous, next) = self.inner.repo.neighbours(id).await?;
        let link = |(id, title)| Neighbour { id, title };
        Ok(Neighbours {
            previous: previous.map(link),
            next: next.map(link),
        })
    }

    /// Sets an item's title and description (already cleaned by
    /// `library::clean_title` and `library::clean_description`).
    pub(crate) async fn update_text(
        &self,
        actor: &Actor,
        id: &MediaId,
        title: &str,
        description: &str,
    ) -> Result<MediaItem> {
        if !self.inner.repo.update_text(id, title, description).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        self.item(actor, id).await
    }

    /// Deletes an item with everything it has: its processing stops (and has
    /// stopped when this returns), its row and jobs go, then every stored file.
    pub(crate) async fn delete(&self, _actor: &Actor, id: &MediaId) -> Result<()> {
        let inner = &self.inner;
        // Running ffmpeg is killed and queued jobs never start; once this
        // returns no worker of this process writes for the item any more.
        inner.jobs.cancel(id).await?;
        // The row, and with it the jobs (foreign key) and the search entry.
        if !inner.repo.delete_media(id).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        // Byte serving must ask the database again, which now says 404.
        inner.facts.evict(id);
        // The item is gone; files that fail to go now are swept at next start.
        if let Err(e) = inner.store.delete_all(id).await {
            tracing::error!(%id, "cannot remove a deleted item's files: {e}");
        }
        Ok(())
    }
}
