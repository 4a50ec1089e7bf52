//! Stored files kept open for serving, as nginx's `open_file_cache`: a
//! request for bytes already served skips `open`, `statx` and `close`, a
//! tenth of the work of a small range request.
//!
//! Safe because every change to a stored file goes through the store, which
//! forgets the file right after the change. A request that opened the old
//! file just before the change does not put it back: each change bumps a
//! generation, and a file opened under an older one is used but not kept.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::{MediaId, Store, Variant};

/// Open files kept; far below the file descriptor limit, and a media
/// library's busy set (what is being watched right now) is small.
const CAPACITY: usize = 256;

/// An open stored file and what `statx` said when it was opened.
#[derive(Debug)]
pub struct OpenFile {
    pub file: Arc<File>,
    pub len: u64,
    pub modified: Option<SystemTime>,
}

#[derive(Debug, Default)]
pub(super) struct OpenFiles {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    files: HashMap<(MediaId, Variant), Arc<OpenFile>>,
    generation: u64,
}

impl OpenFiles {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets one file of an item, or all of them (`None`); call after the change.
    pub(super) fn forget(&self, id: &MediaId, variant: Option<Variant>) {
        let mut inner = self.lock();
        inner.generation += 1;
        match variant {
            Some(variant) => {
                inner.files.remove(&(id.clone(), variant));
            }
            None => inner.files.retain(|(kept, _), _| kept != id),
        }
    }
}

impl Store {
    /// A stored file, open, for serving; `None` when it does not exist (a
    /// poster not made yet). Blocking, but only for an `open` and a `statx`,
    /// which take microseconds: callers run it on the async thread.
    pub fn open_to_serve(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> io::Result<Option<Arc<OpenFile>>> {
        let key = (id.clone(), variant);
        let generation = {
            let inner = self.open.lock();
            if let Some(open) = inner.files.get(&key) {
                return Ok(Some(Arc::clone(open)));
            }
            inner.generation
        };
        let file = match File::open(self.path(id, variant)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let open = Arc::new(OpenFile {
            file: Arc::new(file),
            len: meta.len(),
            modified: meta.modified().ok(),
        });
        self.open.keep(key, Arc::clone(&open), generation);
        Ok(Some(open))
    }
}

impl OpenFiles {
    /// Keeps a file opened under `generation`, unless a change came since.
    fn keep(&self, key: (MediaId, Variant), open: Arc<OpenFile>, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.files.len() >= CAPACITY {
            // Any one will do: a file dropped here is simply opened again.
            if let Some(any) = inner.files.keys().next().cloned() {
                inner.files.remove(&any);
            }
        }
        inner.files.insert(key, open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with(id: &MediaId, bytes: &[u8]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path().join("data")).await.expect("store");
        store
            .write_variant(id, Variant::Waveform, bytes)
            .await
            .expect("write");
        (dir, store)
    }

    #[tokio::test]
    async fn a_replaced_file_is_served_new_and_a_deleted_one_not_at_all() {
        let id = MediaId::generate();
        let (_dir, store) = store_with(&id, b"old").await;
        let first = store.open_to_serve(&id, Variant::Waveform).expect("open");
        let first = first.expect("exists");
        assert_eq!(first.len, 3);
        let again = store.open_to_serve(&id, Variant::Waveform).expect("open");
        assert!(Arc::ptr_eq(&first, &again.expect("exists")), "kept open");

        store
            .write_variant(&id, Variant::Waveform, b"newer")
            .await
            .expect("replace");
        let replaced = store.open_to_serve(&id, Variant::Waveform).expect("open");
        assert_eq!(replaced.expect("exists").len, 5);

        store.delete_all(&id).await.expect("delete");
        assert!(
            store
                .open_to_serve(&id, Variant::Waveform)
                .expect("open")
                .is_none()
        );
        assert!(
            store
                .open_to_serve(&id, Variant::Poster)
                .expect("open")
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_file_opened_before_a_change_is_not_kept() {
        let id = MediaId::generate();
        let (_dir, store) = store_with(&id, b"old").await;
        // A request opens the old file; the change lands before it keeps it.
        let generation = store.open.lock().generation;
        let old = Arc::new(OpenFile {
            file: Arc::new(File::open(store.path(&id, Variant::Waveform)).expect("open")),
            len: 3,
            modified: None,
        });
        store.open.forget(&id, Some(Variant::Waveform));
        store
            .open
            .keep((id.clone(), Variant::Waveform), old, generation);
        assert!(store.open.lock().files.is_empty(), "a stale file was kept");
        // Opened under the current generation, it is kept.
        store.open_to_serve(&id, Variant::Waveform).expect("open");
        assert_eq!(store.open.lock().files.len(), 1);
        store
            .delete_variant(&id, Variant::Waveform)
            .await
            .expect("delete");
        assert!(store.open.lock().files.is_empty());
        assert!(
            store
                .open_to_serve(&id, Variant::Waveform)
                .expect("open")
                .is_none()
        );
    }
}
