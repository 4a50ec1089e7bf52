//! The library's use cases: an item, a page of items, the items either side
//! of one, editing an item's text and visibility, deleting an item with
//! everything it has. Each asks `access` first; what the asker may not see
//! is missing.
//!
//! Deleting puts the row first: once it is gone no page, job or byte request
//! finds the item, and whatever files a crash leaves behind belong to no row,
//! which is exactly what the start-up sweep (`node::sweep_orphans`) removes.

use super::access::{self, Actor, ItemAccess};
use super::{Error, Missing, Result, Service};
use crate::accounts::Visibility;
use crate::library::{LibraryPage, LibraryQuery, Neighbour, Neighbours};
use crate::model::tags::clean_chapters;
use crate::model::{Chapter, ItemTags, MediaId, MediaItem, MediaState};
use crate::server::db::{JobState, StoredItem};
use crate::server::jobs::progress_of;

pub(super) fn access_of(item: &MediaItem) -> ItemAccess {
    ItemAccess {
        owner: item.owner.clone(),
        visibility: item.visibility,
    }
}

impl Service {
    /// The item, if `actor` may see it.
    pub(super) async fn readable(&self, actor: &Actor, id: &MediaId) -> Result<StoredItem> {
        match self.inner.repo.get_stored(id).await? {
            Some(stored) if access::can_read(actor, &access_of(&stored.item)) => Ok(stored),
            _ => Err(Error::NotFound(Missing::Item)),
        }
    }

    /// The item, if `actor` may change it (`Forbidden` when they may only see it).
    pub(super) async fn changeable(&self, actor: &Actor, id: &MediaId) -> Result<StoredItem> {
        let stored = self.readable(actor, id).await?;
        if !access::can_change(actor, &access_of(&stored.item)) {
            return Err(Error::Forbidden);
        }
        Ok(stored)
    }

    /// One item, with its processing progress.
    pub(crate) async fn item(&self, actor: &Actor, id: &MediaId) -> Result<MediaItem> {
        let stored = self.readable(actor, id).await?;
        let mut item = [self.with_progress(actor, stored).await?];
        self.mark_favourites(actor, &mut item).await?;
        let [item] = item;
        Ok(item)
    }

    /// The item as `actor` sees it, with how far its processing has come.
    pub(crate) async fn with_progress(
        &self,
        actor: &Actor,
        mut stored: StoredItem,
    ) -> Result<MediaItem> {
        if stored.item.state == MediaState::Processing {
            let jobs = self.inner.repo.jobs_of(&stored.item.id).await?;
            stored.item.progress = progress_of(&jobs, None);
        }
        Ok(self.present(actor, stored))
    }

    /// One page of what `actor` may list; `query` must have passed `validate`.
    pub(crate) async fn library_page(
        &self,
        actor: &Actor,
        query: &LibraryQuery,
    ) -> Result<LibraryPage> {
        let repo = &self.inner.repo;
        let listing = access::listing(actor, self.public_browsing());
        let asker = actor.account().map(|a| &a.id);
        let (stored, total) = repo.library_page(query, &listing, asker).await?;
        let processing: Vec<MediaId> = stored
            .iter()
            .filter(|s| s.item.state == MediaState::Processing)
            .map(|s| s.item.id.clone())
            .collect();
        let mut jobs = if processing.is_empty() {
            Default::default()
        } else {
            repo.jobs_of_many(&processing).await?
        };
        let mut items: Vec<MediaItem> = stored
            .into_iter()
            .map(|mut s| {
                if let Some(jobs) = jobs.remove(&s.item.id) {
                    s.item.progress = progress_of(&jobs, None);
                }
                self.present(actor, s)
            })
            .collect();
        self.mark_favourites(actor, &mut items).await?;
        Ok(LibraryPage {
            items,
            total,
            page: query.page,
            per_page: query.per_page,
        })
    }

    /// The items before and after `id` among those `actor` may list; none
    /// for an item they may not see.
    pub(crate) async fn neighbours(&self, actor: &Actor, id: &MediaId) -> Result<Neighbours> {
        if self.readable(actor, id).await.is_err() {
            return Ok(Neighbours::default());
        }
        let listing = access::listing(actor, self.public_browsing());
        let (previous, next) = self.inner.repo.neighbours(id, &listing).await?;
        let link = |(id, title)| Neighbour { id, title };
        Ok(Neighbours {
            previous: previous.map(link),
            next: next.map(link),
        })
    }

    /// Sets an item's title and description (already cleaned by
    /// `library::clean_title` and `library::clean_description`), and its
    /// visibility when given.
    pub(crate) async fn update_item(
        &self,
        actor: &Actor,
        id: &MediaId,
        title: &str,
        description: &str,
        visibility: Option<Visibility>,
    ) -> Result<MediaItem> {
        let stored = self.changeable(actor, id).await?;
        if !self.inner.repo.update_text(id, title, description).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        if let Some(visibility) = visibility
            && visibility != stored.item.visibility
        {
            self.inner.repo.change_access(id, Some(visibility)).await?;
            // Byte serving must learn who may read it now.
            self.forget_facts(id);
        }
        self.item(actor, id).await
    }

    /// Sets an item's tags (already cleaned by `ItemTags::clean`).
    pub(crate) async fn update_tags(
        &self,
        actor: &Actor,
        id: &MediaId,
        tags: &ItemTags,
    ) -> Result<MediaItem> {
        self.changeable(actor, id).await?;
        if !self.inner.repo.update_tags(id, tags).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        self.item(actor, id).await
    }

    /// Replaces an item's chapters; they are cleaned here, against the
    /// item's length, and a list that breaks a rule is refused whole.
    pub(crate) async fn update_chapters(
        &self,
        actor: &Actor,
        id: &MediaId,
        chapters: Vec<Chapter>,
    ) -> Result<MediaItem> {
        let stored = self.changeable(actor, id).await?;
        let chapters =
            clean_chapters(chapters, stored.item.duration_secs).map_err(Error::Invalid)?;
        if !self.inner.repo.update_chapters(id, &chapters).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        self.item(actor, id).await
    }

    /// Deletes an item with everything it has: its row and jobs go, its
    /// processing stops (and has stopped when this returns), then every
    /// stored file goes.
    pub(crate) async fn delete(&self, actor: &Actor, id: &MediaId) -> Result<()> {
        self.changeable(actor, id).await?;
        let inner = &self.inner;
        let running: Vec<i64> = inner
            .repo
            .jobs_of(id)
            .await?
            .into_iter()
            .filter(|job| job.state == JobState::Running)
            .map(|job| job.id)
            .collect();
        // The row first, and with it the jobs (foreign key) and the search
        // entry, in one transaction: a crash at any moment leaves the item
        // whole or gone. (Cancelling first left, after a crash in between,
        // an item that read "Processing was cancelled.", found by the crash
        // soak.)
        if !inner.repo.delete_media(id).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        // Running ffmpeg is killed; once this returns no worker of this
        // process writes for the item any more. A job claimed after the
        // list above finds its row gone at its next heartbeat and stops.
        inner.jobs.stop_running(&running).await;
        // Byte serving must ask the database again, which now says 404.
        self.forget_facts(id);
        // The item is gone; files that fail to go now are swept at next start.
        if let Err(e) = inner.store.delete_all(id).await {
            tracing::error!(%id, "cannot remove a deleted item's files: {e}");
        }
        Ok(())
    }
}
