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
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::Variant;
use super::source::OpenFile;
use crate::model::MediaId;

/// Open files kept; far below the file descriptor limit, and a media
/// library's busy set (what is being watched right now) is small.
const CAPACITY: usize = 256;

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

impl OpenFiles {
    /// The file at `path` (`variant` of `id`), open, for serving; `None`
    /// when it does not exist. Blocking, but only for an `open` and a
    /// `statx`, which take microseconds: callers run it on the async thread.
    /// Opens a file without keeping it.
    pub(super) fn open_uncached(path: &Path) -> io::Result<Option<Arc<OpenFile>>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        Ok(Some(Arc::new(OpenFile {
            file: Arc::new(file),
            len: meta.len(),
            modified: meta.modified().ok(),
        })))
    }

    pub(super) fn open(
        &self,
        id: &MediaId,
        variant: Variant,
        path: &Path,
    ) -> io::Result<Option<Arc<OpenFile>>> {
        let key = (id.clone(), variant);
        let generation = {
            let inner = self.lock();
            if let Some(open) = inner.files.get(&key) {
                return Ok(Some(Arc::clone(open)));
            }
            inner.generation
        };
        let Some(open) = Self::open_uncached(path)? else {
            return Ok(None);
        };
        self.keep(key, Arc::clone(&open), generation);
        Ok(Some(open))
    }

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

    fn file_with(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join("waveform.json");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn a_replaced_file_is_served_new_and_a_deleted_one_not_at_all() {
        let dir = tempfile::tempdir().expect("tmp");
        let (id, open) = (MediaId::generate(), OpenFiles::default());
        let path = file_with(dir.path(), b"old");
        let first = open.open(&id, Variant::Waveform, &path).expect("open");
        let first = first.expect("exists");
        assert_eq!(first.len, 3);
        let again = open.open(&id, Variant::Waveform, &path).expect("open");
        assert!(Arc::ptr_eq(&first, &again.expect("exists")), "kept open");

        file_with(dir.path(), b"newer");
        open.forget(&id, Some(Variant::Waveform));
        let replaced = open.open(&id, Variant::Waveform, &path).expect("open");
        assert_eq!(replaced.expect("exists").len, 5);

        std::fs::remove_file(&path).expect("remove");
        open.forget(&id, None);
        assert!(
            open.open(&id, Variant::Waveform, &path)
                .expect("open")
                .is_none()
        );
    }

    #[test]
    fn a_file_opened_before_a_change_is_not_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let (id, open) = (MediaId::generate(), OpenFiles::default());
        let path = file_with(dir.path(), b"old");
        // A request opens the old file; the change lands before it keeps it.
        let generation = open.lock().generation;
        let old = Arc::new(OpenFile {
            file: Arc::new(File::open(&path).expect("open")),
            len: 3,
            modified: None,
        });
        open.forget(&id, Some(Variant::Waveform));
        open.keep((id.clone(), Variant::Waveform), old, generation);
        assert!(open.lock().files.is_empty(), "a stale file was kept");
        // Opened under the current generation, it is kept.
        open.open(&id, Variant::Waveform, &path).expect("open");
        assert_eq!(open.lock().files.len(), 1);
        open.forget(&id, Some(Variant::Waveform));
        assert!(open.lock().files.is_empty());
    }
}
