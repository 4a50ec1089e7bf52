//! Downloads of many items as one archive: an album's tracks in play
//! order, a collection's items in its order. Only what the asker may list goes in (the album they see is the
//! album they get); the files are opened here and the wire layer names
//! them and streams the archive as it is built.

use std::time::SystemTime;

use super::access::{self, Actor};
use super::{Error, Missing, Result, Service};
use crate::collections::CollectionId;
use crate::server::db::StoredItem;
use crate::server::store::{Source, Variant};

/// One file of an archive.
pub(crate) struct Member {
    /// Its place in the archive, from 1.
    pub(crate) position: usize,
    pub(crate) title: String,
    /// The original's file name extension (`mp3`), maybe empty.
    pub(crate) extension: String,
    pub(crate) source: Source,
    pub(crate) modified: SystemTime,
}

/// What an archive holds, and what it is about.
pub(crate) struct Archive {
    /// The album's or collection's name: the archive's file name.
    pub(crate) title: String,
    /// How many items it has (the members' numbers count to it).
    pub(crate) count: usize,
    pub(crate) members: Vec<Member>,
}

impl Service {
    /// The tracks of `album` by `artist` that `actor` may list, as an
    /// archive of their originals; an album with none is missing.
    pub(crate) async fn album_archive(
        &self,
        actor: &Actor,
        album: &str,
        artist: Option<&str>,
    ) -> Result<Archive> {
        let listing = access::listing(actor, self.public_browsing());
        let tracks = (self.inner.repo)
            .album_tracks(&listing, album, artist)
            .await?;
        if tracks.is_empty() {
            return Err(Error::NotFound(Missing::Item));
        }
        self.archive_of(album, tracks).await
    }

    /// The items of a collection `actor` may see, as an archive of their
    /// originals in the collection's order (an empty one is an empty archive).
    pub(crate) async fn collection_archive(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<Archive> {
        let row = self.readable_collection(actor, id).await?;
        let (items, _) = self.visible_items(actor, &row).await?;
        self.archive_of(&row.name, items).await
    }

    /// An archive named `title` of the originals of `items`, in order.
    async fn archive_of(&self, title: &str, items: Vec<StoredItem>) -> Result<Archive> {
        let count = items.len();
        let mut members = Vec::with_capacity(count);
        for (n, stored) in items.into_iter().enumerate() {
            let item = stored.item;
            // An item whose original is gone (a crash mid-delete) is left out.
            let store = &self.inner.store;
            let Some(source) = store.source(&item.id, Variant::Original).await? else {
                continue;
            };
            let extension = (item.original_filename.rsplit_once('.'))
                .map_or("", |(_, ext)| ext)
                .to_string();
            members.push(Member {
                position: n + 1,
                title: item.title,
                extension,
                modified: source.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                source,
            });
        }
        Ok(Archive {
            title: title.to_string(),
            count,
            members,
        })
    }
}
