//! Stored files on the local disk: `media/{id[..2]}/{id}/{file}`. Every path
//! is built here from a server-made `MediaId` and a fixed `Variant`, never
//! from client input.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::fs::{self, File};

use super::open_files::OpenFiles;
use super::source::{Materialised, Source};
use super::{StoreError, TempFile, Variant, file_name, io_at};
use crate::model::MediaId;

#[derive(Clone, Debug)]
pub(super) struct LocalObjects {
    root: Arc<PathBuf>,
    /// Files kept open for serving; forgotten after every change.
    open: Arc<OpenFiles>,
}

impl LocalObjects {
    pub(super) async fn open(root: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(&root).await.map_err(io_at(&root))?;
        Ok(LocalObjects {
            root: Arc::new(root),
            open: Arc::default(),
        })
    }

    fn dir(&self, id: &MediaId) -> PathBuf {
        // Two-level fan-out keeps directories small with many items.
        self.root.join(&id.as_str()[..2]).join(id.as_str())
    }

    fn path(&self, id: &MediaId, variant: Variant) -> PathBuf {
        self.dir(id).join(file_name(variant))
    }

    /// Where `id`'s ladder is written and served from.
    pub(super) fn ladder_dir(&self, id: &MediaId) -> PathBuf {
        self.open.forget(id, None);
        self.dir(id).join(super::hls::FOLDER)
    }

    /// Flushes `temp` to disk, then renames it into place.
    pub(super) async fn persist(
        &self,
        mut temp: TempFile,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        let file = match temp.take_file() {
            Some(file) => file,
            None => File::open(temp.path()).await.map_err(io_at(temp.path()))?,
        };
        file.sync_all().await.map_err(io_at(temp.path()))?;
        drop(file);
        let dir = self.dir(id);
        let target = self.path(id, variant);
        // On this thread, with no await between: a job cancelled at any of
        // its await points has either put the file in place or never will,
        // so once a cancel has returned no late rename can land behind a
        // delete. Both calls are metadata updates of microseconds.
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        std::fs::rename(temp.path(), &target).map_err(io_at(&target))?;
        temp.disarm();
        self.open.forget(id, Some(variant));
        // Make the rename itself durable.
        if let Ok(handle) = File::open(&dir).await {
            let _ = handle.sync_all().await;
        }
        Ok(())
    }

    /// Moves a complete file from this disk's partial area into place, like
    /// `persist` (the caller has flushed it).
    pub(super) fn adopt(
        &self,
        from: &std::path::Path,
        id: &MediaId,
        variant: Variant,
    ) -> Result<PathBuf, StoreError> {
        let dir = self.dir(id);
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let target = self.path(id, variant);
        std::fs::rename(from, &target).map_err(io_at(&target))?;
        self.open.forget(id, Some(variant));
        Ok(dir)
    }

    pub(super) async fn read_small(
        &self,
        id: &MediaId,
        variant: Variant,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(id, variant);
        let bytes = match fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_at(&path)(e)),
        };
        if bytes.len() > limit {
            return Err(StoreError::TooBig {
                id: id.clone(),
                variant,
                limit,
            });
        }
        Ok(Some(bytes))
    }

    /// On this disk the stored file itself is the local copy.
    pub(super) async fn materialise(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Materialised>, StoreError> {
        let path = self.path(id, variant);
        match fs::metadata(&path).await {
            Ok(_) => Ok(Some(Materialised::in_place(path))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    pub(super) fn source(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Source>, StoreError> {
        let path = self.path(id, variant);
        let open = match variant {
            // A ladder grows while it is encoded: its files are opened
            // (and their length read) anew for every request.
            Variant::Hls(_) => OpenFiles::open_uncached(&path),
            _ => self.open.open(id, variant, &path),
        };
        Ok(open.map_err(io_at(&path))?.map(Source::File))
    }

    pub(super) async fn delete_all(&self, id: &MediaId) -> Result<(), StoreError> {
        let dir = self.dir(id);
        let removed = fs::remove_dir_all(&dir).await;
        self.open.forget(id, None);
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_at(&dir)(e)),
            _ => Ok(()),
        }
    }

    pub(super) async fn media_ids(&self) -> Result<Vec<MediaId>, StoreError> {
        let media = self.root.as_path();
        let mut ids = Vec::new();
        let mut fans = fs::read_dir(media).await.map_err(io_at(media))?;
        while let Some(fan) = fans.next_entry().await.map_err(io_at(media))? {
            let fan_path = fan.path();
            if !fan.file_type().await.map_err(io_at(&fan_path))?.is_dir() {
                continue;
            }
            let prefix = fan.file_name();
            let mut entries = fs::read_dir(&fan_path).await.map_err(io_at(&fan_path))?;
            while let Some(entry) = entries.next_entry().await.map_err(io_at(&fan_path))? {
                let name = entry.file_name();
                let id = name.to_str().and_then(MediaId::parse);
                if let Some(id) = id
                    && Some(&id.as_str()[..2]) == prefix.to_str()
                {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }
}
