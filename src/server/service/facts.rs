//! What serving an item's bytes needs from its row, cached in memory so the
//! hot path of byte serving makes no database round trip.
//!
//! Most facts are fixed when the item is stored (content type, hash, the
//! user's file name). (An edited item gets them when its edit finishes;
//! until then its hash is empty and nothing is cached.) Who may see it can
//! change: the service `evict`s an item whenever its visibility or access
//! generation changes, and when it is deleted. A read that began before an
//! eviction does not put its stale facts back (a change counter, as in
//! `store::OpenFiles`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::model::{MediaId, MediaKind};
use crate::server::db::{DbError, Repo};
use crate::server::domain::ItemAccess;

/// Entries kept; a few hundred bytes each, so a few MiB at most.
pub(super) const CAPACITY: usize = 8192;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServingFacts {
    pub(crate) content_type: String,
    pub(crate) sha256: String,
    pub(crate) original_filename: String,
    /// Decides the type of the playable copy (video or audio MP4).
    pub(crate) kind: MediaKind,
    /// Who may read the bytes.
    pub(crate) access: ItemAccess,
    /// What signed URLs must carry to be valid.
    pub(crate) generation: i64,
}

/// A bounded map from id to facts that drops the least recently used
/// entry. Evicted here by the service's changes, and on the other nodes by
/// `Peers` (`Service::forget_facts`).
#[derive(Clone)]
pub(super) struct FactsCache {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    entries: HashMap<MediaId, Entry>,
    clock: u64,
    capacity: usize,
    /// Bumped by every eviction.
    evictions: u64,
}

struct Entry {
    facts: Arc<ServingFacts>,
    used: u64,
}

impl FactsCache {
    pub(super) fn new(capacity: usize) -> Self {
        FactsCache {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                clock: 0,
                capacity: capacity.max(1),
                evictions: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The item's facts from memory, or from the database once; `None` when
    /// there is no such item (not cached: it may be uploaded any moment).
    pub(super) async fn get(
        &self,
        repo: &Repo,
        id: &MediaId,
    ) -> Result<Option<Arc<ServingFacts>>, DbError> {
        if let Some(facts) = self.cached(id) {
            return Ok(Some(facts));
        }
        let evictions = self.lock().evictions;
        let Some(stored) = repo.get_stored(id).await? else {
            return Ok(None);
        };
        let item = stored.item;
        let facts = Arc::new(ServingFacts {
            content_type: item.content_type,
            sha256: item.sha256,
            original_filename: item.original_filename,
            kind: item.kind,
            access: ItemAccess {
                owner: item.owner,
                visibility: item.visibility,
            },
            generation: stored.generation,
        });
        // An edit still being made has no hash yet: its facts will change.
        if !facts.sha256.is_empty() {
            self.insert(id.clone(), Arc::clone(&facts), evictions);
        }
        Ok(Some(facts))
    }

    pub(super) fn cached(&self, id: &MediaId) -> Option<Arc<ServingFacts>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(id)?;
        entry.used = now;
        Some(Arc::clone(&entry.facts))
    }

    /// Keeps facts read when `evictions` was current, unless one came since.
    fn insert(&self, id: MediaId, facts: Arc<ServingFacts>, evictions: u64) {
        let mut inner = self.lock();
        if inner.evictions != evictions {
            return;
        }
        inner.clock += 1;
        let used = inner.clock;
        if inner.entries.len() >= inner.capacity && !inner.entries.contains_key(&id) {
            // A scan, but only when a miss meets a full cache; hits never pay it.
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        inner.entries.insert(id, Entry { facts, used });
    }

    /// Forgets an item (for delete): the next request reads the database again.
    /// Forgets every item (many changed at once: the first admin took them).
    pub(super) fn clear(&self) {
        let mut inner = self.lock();
        inner.evictions += 1;
        inner.entries.clear();
    }

    pub(super) fn evict(&self, id: &MediaId) {
        let mut inner = self.lock();
        inner.evictions += 1;
        inner.entries.remove(id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str) -> Arc<ServingFacts> {
        Arc::new(ServingFacts {
            content_type: "audio/wav".into(),
            sha256: "0".repeat(64),
            original_filename: name.into(),
            kind: MediaKind::Audio,
            access: ItemAccess {
                owner: None,
                visibility: crate::accounts::Visibility::Public,
            },
            generation: 0,
        })
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = FactsCache::new(2);
        let (a, b, c) = (
            MediaId::generate(),
            MediaId::generate(),
            MediaId::generate(),
        );
        cache.insert(a.clone(), facts("a"), 0);
        cache.insert(b.clone(), facts("b"), 0);
        assert!(cache.cached(&a).is_some()); // b is now the oldest
        cache.insert(c.clone(), facts("c"), 0);
        assert_eq!(cache.len(), 2);
        assert!(cache.cached(&b).is_none());
        assert_eq!(cache.cached(&a).expect("a").original_filename, "a");
        assert_eq!(cache.cached(&c).expect("c").original_filename, "c");
    }

    #[test]
    fn evicted_items_are_forgotten() {
        let cache = FactsCache::new(4);
        let a = MediaId::generate();
        cache.insert(a.clone(), facts("a"), 0);
        cache.insert(a.clone(), facts("a2"), 0);
        assert_eq!(cache.len(), 1);
        cache.evict(&a);
        assert!(cache.cached(&a).is_none());
        assert!(cache.is_empty());
        // Facts read before the eviction are not kept.
        cache.insert(a.clone(), facts("stale"), 0);
        assert!(cache.cached(&a).is_none());
    }

    #[tokio::test]
    async fn misses_read_the_database_once_and_unknown_ids_are_none() {
        let dir = tempfile::tempdir().expect("tmp");
        let repo = Repo::open(&dir.path().join("t.db")).await.expect("db");
        let cache = FactsCache::new(4);
        assert_eq!(
            cache.get(&repo, &MediaId::generate()).await.expect("get"),
            None
        );
        assert!(cache.is_empty());
    }
}
