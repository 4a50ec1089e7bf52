//! Collections: playlists (items in the order their owner gives them) and
//! smart collections (a saved library query that stays current as items
//! come and go). A collection has an owner and a visibility like an item,
//! and share links like an item (`ShareView` is what a link opens: an
//! item or a collection).

use serde::{Deserialize, Serialize};

use crate::accounts::Visibility;
pub use crate::ids::CollectionId;
use crate::library::LibraryQuery;
use crate::model::MediaItem;

/// The longest name, in characters.
pub const MAX_COLLECTION_NAME: usize = 100;
/// Items one playlist may hold.
pub const MAX_PLAYLIST_ITEMS: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum CollectionKind {
    /// Items chosen one by one, in an order.
    Playlist,
    /// Whatever a saved library query finds, in its order.
    Smart,
}

impl CollectionKind {
    pub fn label(self) -> &'static str {
        match self {
            CollectionKind::Playlist => "Playlist",
            CollectionKind::Smart => "Smart collection",
        }
    }
}

/// A collection as lists and its page show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub id: CollectionId,
    pub name: String,
    pub kind: CollectionKind,
    /// What a smart collection finds (page and page size unused).
    pub query: Option<LibraryQuery>,
    pub visibility: Visibility,
    pub owner_name: Option<String>,
    /// Items in a playlist (all of them, seen or not); for a smart
    /// collection, what it found when it was last shown.
    pub item_count: u64,
    /// Whether the asker may rename, reorder, share or delete it.
    pub can_change: bool,
}

/// A collection with the items the asker may see in it, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionView {
    pub collection: Collection,
    pub items: Vec<MediaItem>,
    /// Items in it the asker may not see (left out of `items`).
    pub hidden: u64,
}

/// A change to a collection's settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionChange {
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    /// A smart collection's new query.
    pub query: Option<LibraryQuery>,
}

/// The name as stored: trimmed, 1 to `MAX_COLLECTION_NAME` characters, no
/// control characters; the error says which rule it broke.
pub fn clean_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("A collection needs a name.".into());
    }
    if name.chars().count() > MAX_COLLECTION_NAME {
        return Err(format!(
            "A collection's name can be at most {MAX_COLLECTION_NAME} characters long."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A collection's name cannot contain control characters.".into());
    }
    Ok(name.to_string())
}

/// What a share link's page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "share", rename_all = "lowercase")]
pub enum ShareView {
    /// The link has a password: nothing of what it opens before it is given.
    Locked,
    /// The item, with byte addresses signed for this link.
    Open { item: Box<MediaItem> },
    /// A playlist or smart collection, its items' addresses signed for
    /// this link (only items its owner may share: their own, and others'
    /// public or unlisted ones).
    Collection { view: Box<CollectionView> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(clean_name("  Road trip "), Ok("Road trip".into()));
        assert!(clean_name("   ").is_err());
        assert!(clean_name("a\u{7}b").is_err());
        assert!(clean_name(&"x".repeat(MAX_COLLECTION_NAME + 1)).is_err());
        assert!(clean_name(&"é".repeat(MAX_COLLECTION_NAME)).is_ok());
    }

    #[test]
    fn kinds_read_as_stored() {
        let kind: CollectionKind = serde_json::from_str("\"smart\"").expect("kind");
        assert_eq!(kind, CollectionKind::Smart);
    }
}
