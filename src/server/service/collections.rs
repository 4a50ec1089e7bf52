//! Collections: playlists and smart collections. A collection is read,
//! listed and changed by the same rules as an item (`access`, with its
//! owner and visibility); what it shows of its items is what the asker may
//! read of them, so a collection never opens an item by itself (a share
//! link does: `shares`).

use super::access::{self, Actor, ItemAccess};
use super::items::access_of as item_access;
use super::{Error, Missing, Result, Service};
use crate::accounts::Visibility;
use crate::collections::{
    Collection, CollectionChange, CollectionId, CollectionKind, CollectionView, MAX_PLAYLIST_ITEMS,
    clean_name,
};
use crate::library::{LibraryQuery, MAX_PER_PAGE};
use crate::model::{MediaId, MediaItem};
use crate::server::db::{CollectionRow, Listing, NewCollection, StoredItem, now_ms};

pub(super) fn access_of(row: &CollectionRow) -> ItemAccess {
    ItemAccess {
        owner: Some(row.owner_id.clone()),
        visibility: row.visibility,
    }
}

/// How many more items a playlist takes.
pub(super) struct Room {
    left: usize,
}

impl Room {
    pub(super) fn of(playlist: &CollectionRow) -> Self {
        let held = usize::try_from(playlist.item_count).unwrap_or(usize::MAX);
        Room {
            left: MAX_PLAYLIST_ITEMS.saturating_sub(held),
        }
    }
}

/// A smart collection's query as it is kept: checked, first page, the
/// most items a page holds.
fn saved_query(query: &LibraryQuery) -> Result<String> {
    let mut query = query.clone();
    query.page = 1;
    query.per_page = MAX_PER_PAGE;
    query
        .validate()
        .map_err(|e| Error::Invalid(e.message.clone()))?;
    serde_json::to_string(&query).map_err(|e| Error::Invalid(e.to_string()))
}

fn query_of(row: &CollectionRow) -> Option<LibraryQuery> {
    (row.query.as_deref()).and_then(|json| serde_json::from_str(json).ok())
}

impl Service {
    pub(super) fn collection_for(&self, actor: &Actor, row: &CollectionRow) -> Collection {
        Collection {
            id: row.id.clone(),
            name: row.name.clone(),
            kind: row.kind,
            query: query_of(row),
            visibility: row.visibility,
            owner_name: row.owner_name.clone(),
            item_count: u64::try_from(row.item_count).unwrap_or(0),
            can_change: access::can_change(actor, &access_of(row)),
        }
    }

    /// The collection, if `actor` may see it.
    pub(super) async fn readable_collection(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<CollectionRow> {
        match self.inner.repo.collection(id).await? {
            Some(row) if access::can_read(actor, &access_of(&row)) => Ok(row),
            _ => Err(Error::NotFound(Missing::Collection)),
        }
    }

    /// The collection, if `actor` may change it (`Forbidden` when they may
    /// only see it).
    pub(super) async fn changeable_collection(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<CollectionRow> {
        let row = self.readable_collection(actor, id).await?;
        if !access::can_change(actor, &access_of(&row)) {
            return Err(Error::Forbidden);
        }
        Ok(row)
    }

    /// A new, private collection of `actor`'s; a smart one needs `query`.
    pub(crate) async fn create_collection(
        &self,
        actor: &Actor,
        name: &str,
        kind: CollectionKind,
        query: Option<&LibraryQuery>,
    ) -> Result<Collection> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        if !access::can_upload(actor) {
            return Err(Error::Forbidden);
        }
        let name = clean_name(name).map_err(Error::Invalid)?;
        let query = match (kind, query) {
            (CollectionKind::Smart, Some(query)) => Some(saved_query(query)?),
            (CollectionKind::Smart, None) => {
                return Err(Error::Invalid("A smart collection needs a query.".into()));
            }
            (CollectionKind::Playlist, _) => None,
        };
        let id = CollectionId::generate();
        let repo = &self.inner.repo;
        repo.create_collection(&NewCollection {
            id: &id,
            owner: &account.id,
            name: &name,
            kind,
            query: query.as_deref(),
            visibility: Visibility::Private,
            now_ms: now_ms(),
        })
        .await?;
        let row = repo.collection(&id).await?;
        let row = row.ok_or(Error::NotFound(Missing::Collection))?;
        Ok(self.collection_for(actor, &row))
    }

    /// The collections `actor` may list (their own first among equals:
    /// most recently changed first).
    pub(crate) async fn collections(&self, actor: &Actor) -> Result<Vec<Collection>> {
        let listing = access::listing(actor, self.public_browsing());
        let rows = self.inner.repo.collections(&listing).await?;
        Ok(rows.iter().map(|r| self.collection_for(actor, r)).collect())
    }

    /// The collection with the items `actor` may see in it, in order.
    pub(crate) async fn collection(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<CollectionView> {
        let row = self.readable_collection(actor, id).await?;
        let (stored, total) = self.visible_items(actor, &row).await?;
        let mut items: Vec<MediaItem> =
            stored.into_iter().map(|s| self.present(actor, s)).collect();
        self.mark_favourites(actor, &mut items).await?;
        let mut collection = self.collection_for(actor, &row);
        let hidden = total.saturating_sub(items.len() as u64);
        if collection.kind == CollectionKind::Smart {
            collection.item_count = items.len() as u64;
        }
        Ok(CollectionView {
            collection,
            items,
            hidden,
        })
    }

    /// The collection's items `actor` may read, in order, and how many it
    /// holds in all (the difference is what is hidden from them).
    pub(super) async fn visible_items(
        &self,
        actor: &Actor,
        row: &CollectionRow,
    ) -> Result<(Vec<StoredItem>, u64)> {
        let listing = access::listing(actor, self.public_browsing());
        let (items, total) = self.collection_items(row, &listing).await?;
        let visible = (items.into_iter())
            .filter(|s| access::can_read(actor, &item_access(&s.item)))
            .collect();
        Ok((visible, total))
    }

    /// A collection's items in order, and how many it holds in all: a
    /// playlist's own (every one, for the caller to filter); a smart
    /// collection's, found again now among what `listing` shows (its
    /// favourites are its owner's).
    pub(super) async fn collection_items(
        &self,
        row: &CollectionRow,
        listing: &Listing,
    ) -> Result<(Vec<StoredItem>, u64)> {
        let repo = &self.inner.repo;
        match row.kind {
            CollectionKind::Playlist => {
                let items = repo.collection_items(&row.id).await?;
                let total = items.len() as u64;
                Ok((items, total))
            }
            CollectionKind::Smart => {
                let query = query_of(row).unwrap_or_default();
                let (items, _) = repo
                    .library_page(&query, listing, Some(&row.owner_id))
                    .await?;
                let total = items.len() as u64;
                Ok((items, total))
            }
        }
    }

    /// Renames a collection, sets who may see it, or changes a smart
    /// collection's query.
    pub(crate) async fn update_collection(
        &self,
        actor: &Actor,
        id: &CollectionId,
        change: &CollectionChange,
    ) -> Result<Collection> {
        let row = self.changeable_collection(actor, id).await?;
        let name = match &change.name {
            Some(name) => clean_name(name).map_err(Error::Invalid)?,
            None => row.name.clone(),
        };
        let query = match (&change.query, row.kind) {
            (Some(query), CollectionKind::Smart) => Some(saved_query(query)?),
            (Some(_), CollectionKind::Playlist) => {
                return Err(Error::Invalid("A playlist has no query to change.".into()));
            }
            (None, _) => row.query.clone(),
        };
        let visibility = change.visibility.unwrap_or(row.visibility);
        let repo = &self.inner.repo;
        if !(repo.update_collection(id, &name, visibility, query.as_deref())).await? {
            return Err(Error::NotFound(Missing::Collection));
        }
        let row = self.readable_collection(actor, id).await?;
        Ok(self.collection_for(actor, &row))
    }

    /// Deletes a collection (never its items) and its share links.
    pub(crate) async fn delete_collection(&self, actor: &Actor, id: &CollectionId) -> Result<()> {
        self.changeable_collection(actor, id).await?;
        self.revoke_collection_links(id).await?;
        if !self.inner.repo.delete_collection(id).await? {
            return Err(Error::NotFound(Missing::Collection));
        }
        Ok(())
    }

    /// The playlist `id`, if `actor` may change it.
    pub(super) async fn changeable_playlist(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<CollectionRow> {
        let row = self.changeable_collection(actor, id).await?;
        if row.kind != CollectionKind::Playlist {
            return Err(Error::Invalid(
                "A smart collection finds its items itself; change its query instead.".into(),
            ));
        }
        Ok(row)
    }

    /// Appends an item `actor` may see to their playlist (an item already
    /// in it stays where it is).
    pub(crate) async fn add_to_playlist(
        &self,
        actor: &Actor,
        id: &CollectionId,
        media: &MediaId,
    ) -> Result<()> {
        let row = self.changeable_playlist(actor, id).await?;
        let mut room = Room::of(&row);
        self.add_checked(actor, &row, media, &mut room).await
    }

    /// `add_to_playlist` for a playlist already checked (bulk work shares
    /// one `room` among its items, so the size is read once).
    pub(super) async fn add_checked(
        &self,
        actor: &Actor,
        playlist: &CollectionRow,
        media: &MediaId,
        room: &mut Room,
    ) -> Result<()> {
        self.readable(actor, media).await?;
        if room.left == 0 {
            return Err(Error::Invalid(format!(
                "A playlist holds at most {MAX_PLAYLIST_ITEMS} items."
            )));
        }
        if self
            .inner
            .repo
            .add_to_collection(&playlist.id, media)
            .await?
        {
            room.left -= 1;
        }
        Ok(())
    }

    pub(crate) async fn remove_from_playlist(
        &self,
        actor: &Actor,
        id: &CollectionId,
        media: &MediaId,
    ) -> Result<()> {
        self.changeable_playlist(actor, id).await?;
        if !self.inner.repo.remove_from_collection(id, media).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        Ok(())
    }

    /// Moves `media` to just before `before` (to the end when `None`).
    /// Items the owner may no longer see keep their places among the rest.
    pub(crate) async fn move_in_playlist(
        &self,
        actor: &Actor,
        id: &CollectionId,
        media: &MediaId,
        before: Option<&MediaId>,
    ) -> Result<()> {
        self.changeable_playlist(actor, id).await?;
        let repo = &self.inner.repo;
        let mut order: Vec<MediaId> = (repo.collection_items(id).await?)
            .into_iter()
            .map(|s| s.item.id)
            .collect();
        let from = (order.iter().position(|m| m == media)).ok_or(Error::NotFound(Missing::Item))?;
        let moved = order.remove(from);
        let to = match before {
            Some(before) => {
                (order.iter().position(|m| m == before)).ok_or(Error::NotFound(Missing::Item))?
            }
            None => order.len(),
        };
        order.insert(to, moved);
        repo.set_collection_order(id, &order).await?;
        Ok(())
    }
}
