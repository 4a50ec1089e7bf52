//! Collection rows as both backends trade them.

use crate::accounts::{UserId, Visibility};
use crate::collections::{CollectionId, CollectionKind};

/// The most collections one listing answers.
pub(crate) const MAX_COLLECTIONS: i64 = 500;

/// A collection with its owner's name and how many items it holds.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub(crate) struct CollectionRow {
    pub(crate) id: CollectionId,
    pub(crate) owner_id: UserId,
    pub(crate) owner_name: Option<String>,
    pub(crate) name: String,
    pub(crate) kind: CollectionKind,
    /// A smart collection's query, as JSON.
    pub(crate) query: Option<String>,
    pub(crate) visibility: Visibility,
    pub(crate) item_count: i64,
}

/// What making a collection records.
pub(crate) struct NewCollection<'a> {
    pub(crate) id: &'a CollectionId,
    pub(crate) owner: &'a UserId,
    pub(crate) name: &'a str,
    pub(crate) kind: CollectionKind,
    pub(crate) query: Option<&'a str>,
    pub(crate) visibility: Visibility,
    pub(crate) now_ms: i64,
}

/// The columns of a `CollectionRow`, from `collections AS c`.
pub(super) const SELECT_COLLECTION: &str = "SELECT c.id, c.owner_id, u.name AS owner_name, c.name,
        c.kind, c.query, c.visibility,
        (SELECT COUNT(*) FROM collection_items AS i WHERE i.collection_id = c.id) AS item_count
    FROM collections AS c LEFT JOIN users AS u ON u.id = c.owner_id";
