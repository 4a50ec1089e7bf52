//! The partial area: the bytes of resumable (tus) uploads while they arrive.
//! Local by design: one file per upload on this machine's disk, named by the
//! server-made `UploadId` only. The file's size is the upload's offset, so
//! whatever reached the disk before a dropped connection or a crash counts,
//! and nothing else does.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use tokio::fs::{self, File, OpenOptions};
use tokio::task::JoinHandle;

use super::source::Materialised;
use super::{Objects, Store, StoreError, Variant, io_at};
use crate::model::{MediaId, UploadId};

/// Received pieces are gathered up to this much, then written in one go on
/// the blocking pool while the next batch arrives: no copies in user space,
/// few thread hand-offs, at most two batches in memory per upload.
const BATCH: usize = 1 << 20;

fn not_found(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

/// Opens (creating) the area; unlike scratch files, its files survive restarts.
pub(super) async fn open(dir: PathBuf) -> Result<PathBuf, StoreError> {
    fs::create_dir_all(&dir).await.map_err(io_at(&dir))?;
    Ok(dir)
}

impl Store {
    fn partial_path(&self, id: &UploadId) -> PathBuf {
        self.partial.join(id.as_str())
    }

    /// An upload's bytes as a local path for ffprobe; `None` when it has no file.
    pub(crate) async fn materialise_partial(
        &self,
        id: &UploadId,
    ) -> Result<Option<Materialised>, StoreError> {
        Ok(self
            .partial_len(id)
            .await?
            .map(|_| Materialised::in_place(self.partial_path(id))))
    }

    /// An empty file for a new upload.
    pub(crate) async fn create_partial(&self, id: &UploadId) -> Result<(), StoreError> {
        let path = self.partial_path(id);
        File::create_new(&path).await.map_err(io_at(&path))?;
        Ok(())
    }

    /// The bytes on disk; `None` when the upload has no file.
    pub(crate) async fn partial_len(&self, id: &UploadId) -> Result<Option<u64>, StoreError> {
        let path = self.partial_path(id);
        match fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// Opens the upload's file to append at its end (creating it if a crash
    /// lost it). `hold` (the caller's write lock) is kept alive until the last
    /// write has landed, even if the caller is dropped mid-way: nobody else
    /// may append while a write of ours is still in flight.
    pub(crate) async fn append_partial(
        &self,
        id: &UploadId,
        hold: Arc<dyn Send + Sync>,
    ) -> Result<PartialWriter, StoreError> {
        let path = self.partial_path(id);
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .await
            .map_err(io_at(&path))?
            .into_std()
            .await;
        Ok(PartialWriter {
            file: Arc::new(file),
            path,
            hold,
            batch: Vec::new(),
            batched: 0,
            in_flight: None,
            broken: false,
        })
    }

    /// Cuts the file back to `len` bytes, so a rejected chunk leaves no trace.
    pub(crate) async fn truncate_partial(&self, id: &UploadId, len: u64) -> Result<(), StoreError> {
        let path = self.partial_path(id);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .await
            .map_err(io_at(&path))?;
        file.set_len(len).await.map_err(io_at(&path))?;
        // Durable, so a crash cannot bring the rejected bytes back.
        file.sync_all().await.map_err(io_at(&path))
    }

    /// Removes an upload's bytes; a missing file is not an error.
    pub(crate) async fn remove_partial(&self, id: &UploadId) -> Result<(), StoreError> {
        let path = self.partial_path(id);
        match fs::remove_file(&path).await {
            Err(e) if !not_found(&e) => Err(io_at(&path)(e)),
            _ => Ok(()),
        }
    }

    /// Moves a complete upload into the store as an item's original: flushed
    /// to disk first, then renamed atomically, like `persist`.
    pub(crate) async fn persist_partial(
        &self,
        id: &UploadId,
        media: &MediaId,
    ) -> Result<(), StoreError> {
        let path = self.partial_path(id);
        let file = File::open(&path).await.map_err(io_at(&path))?;
        file.sync_all().await.map_err(io_at(&path))?;
        drop(file);
        let dir = match &self.objects {
            Objects::Local(local) => local.adopt(&path, media, Variant::Original)?,
            Objects::S3(s3) => {
                // Uploaded whole, then the local bytes go: a crash between
                // the two leaves a partial file the next start finalises
                // again (the same object, put again).
                s3.persist_path(&path, media, Variant::Original).await?;
                fs::remove_file(&path).await.map_err(io_at(&path))?;
                return Ok(());
            }
        };
        for synced in [&dir, self.partial.as_path()] {
            if let Ok(handle) = File::open(synced).await {
                let _ = handle.sync_all().await;
            }
        }
        Ok(())
    }

    /// Every upload id with a file in the area; foreign names are ignored.
    pub(crate) async fn partial_ids(&self) -> Result<Vec<UploadId>, StoreError> {
        let dir = self.partial.as_path();
        let mut entries = fs::read_dir(dir).await.map_err(io_at(dir))?;
        let mut ids = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(io_at(dir))? {
            if let Some(id) = entry.file_name().to_str().and_then(UploadId::parse) {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

/// Appends to an upload's file in batches; see `Store::append_partial`.
pub(crate) struct PartialWriter {
    file: Arc<std::fs::File>,
    path: PathBuf,
    hold: Arc<dyn Send + Sync>,
    batch: Vec<Bytes>,
    batched: usize,
    in_flight: Option<JoinHandle<std::io::Result<()>>>,
    /// After a failed write nothing more is written: later bytes appended
    /// behind a partial write would leave a hole in the upload.
    broken: bool,
}

impl PartialWriter {
    pub(crate) async fn write(&mut self, bytes: Bytes) -> Result<(), StoreError> {
        self.batched += bytes.len();
        self.batch.push(bytes);
        if self.batched >= BATCH {
            self.submit().await?;
        }
        Ok(())
    }

    /// Starts writing the gathered batch once the previous one has landed.
    async fn submit(&mut self) -> Result<(), StoreError> {
        self.wait().await?;
        let batch = std::mem::take(&mut self.batch);
        // Refused whole, before a byte of it is written: the file stays the
        // upload's offset, and the client resends from there.
        super::ensure_room(&self.path, self.batched as u64)?;
        self.batched = 0;
        let file = self.file.clone();
        let hold = self.hold.clone();
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let _hold = hold;
            let mut file: &std::fs::File = &file;
            batch.iter().try_for_each(|piece| file.write_all(piece))
        }));
        Ok(())
    }

    async fn wait(&mut self) -> Result<(), StoreError> {
        if let Some(task) = self.in_flight.take() {
            let landed = match task.await {
                Ok(result) => result,
                Err(e) => Err(std::io::Error::other(e)),
            };
            if let Err(e) = landed {
                self.broken = true;
                return Err(io_at(&self.path)(e));
            }
        }
        if self.broken {
            let e = std::io::Error::other("an earlier write to this file failed");
            return Err(io_at(&self.path)(e));
        }
        Ok(())
    }

    /// Writes what is gathered and waits for it to land. Call it on every
    /// way out: what arrived is kept, and nothing is in flight when the
    /// caller measures or truncates the file.
    pub(crate) async fn flush(&mut self) -> Result<(), StoreError> {
        if !self.batch.is_empty() {
            self.submit().await?;
        }
        self.wait().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[tokio::test]
    async fn partial_files_append_truncate_and_move_into_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_local(dir.path().to_path_buf())
            .await
            .expect("store");
        let id = UploadId::generate();
        store.create_partial(&id).await.expect("create");
        assert_eq!(store.partial_len(&id).await.expect("len"), Some(0));

        let hold: Arc<dyn Send + Sync> = Arc::new(());
        let mut writer = store.append_partial(&id, hold.clone()).await.expect("open");
        writer
            .write(Bytes::from_static(b"hello "))
            .await
            .expect("write");
        writer.flush().await.expect("flush");
        drop(writer);
        let mut writer = store
            .append_partial(&id, hold.clone())
            .await
            .expect("reopen");
        writer
            .write(Bytes::from_static(b"wor"))
            .await
            .expect("write");
        writer
            .write(Bytes::from_static(b"ld!!"))
            .await
            .expect("write");
        writer.flush().await.expect("flush");
        drop(writer);
        assert_eq!(
            Arc::strong_count(&hold),
            1,
            "nothing holds the lock after a flush"
        );
        assert_eq!(store.partial_len(&id).await.expect("len"), Some(13));
        store.truncate_partial(&id, 11).await.expect("truncate");
        assert_eq!(store.partial_ids().await.expect("ids"), vec![id.clone()]);

        let local = store
            .materialise_partial(&id)
            .await
            .expect("materialise")
            .expect("exists");
        let (size, sha) = local.digest().await.expect("digest");
        assert_eq!(size, 11);
        assert_eq!(sha, hex::encode(sha2::Sha256::digest(b"hello world")));
        drop(local);

        let media = MediaId::generate();
        store.persist_partial(&id, &media).await.expect("persist");
        assert_eq!(store.partial_len(&id).await.expect("len"), None);
        assert_eq!(
            store
                .read_small(&media, Variant::Original, 64)
                .await
                .expect("read"),
            Some(b"hello world".to_vec())
        );
        store.remove_partial(&id).await.expect("missing is fine");

        // The area survives reopening, unlike scratch files.
        let other = UploadId::generate();
        store.create_partial(&other).await.expect("create");
        let store = Store::open_local(dir.path().to_path_buf())
            .await
            .expect("reopen");
        assert_eq!(store.partial_len(&other).await.expect("len"), Some(0));
    }
}
