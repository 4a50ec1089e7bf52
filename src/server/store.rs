//! Bytes on local disk. Every path is built from a server-made `MediaId` and a
//! fixed `Variant`, never from client input. Writes go to a temp file in the
//! same filesystem and are renamed into place, so readers never see half files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::fs::{self, File};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::task::JoinHandle;

mod open_files;
mod partial;
pub use open_files::OpenFile;
pub use partial::{PartialWriter, UploadId};

/// Large enough to keep syscalls few, small enough to bound memory per writer.
const WRITE_BUFFER: usize = 256 * 1024;
/// How much may be written between background flushes to disk. Without them
/// the final fsync of a large upload stalls the answer for seconds.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;

/// A server-made media id: 32 lowercase hex digits (a UUIDv7, so ids sort by time).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MediaId(String);

impl MediaId {
    pub fn generate() -> Self {
        MediaId(uuid::Uuid::now_v7().simple().to_string())
    }

    /// Accepts only the exact shape we generate; anything else is not an id.
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| MediaId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The files an item can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    Original,
    Poster,
    /// The browser-ready copy: H.264/AAC in MP4, or AAC in MP4 for audio.
    Playable,
    /// Scrub previews: the tiled JPEG and the WebVTT track pointing into it.
    Sprites,
    Thumbnails,
    /// Waveform peaks as JSON.
    Waveform,
}

impl Variant {
    pub const ALL: [Variant; 6] = [
        Variant::Original,
        Variant::Poster,
        Variant::Playable,
        Variant::Sprites,
        Variant::Thumbnails,
        Variant::Waveform,
    ];

    /// The variant a URL segment names (the same word), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        Variant::ALL.into_iter().find(|v| v.url_name() == text)
    }

    pub fn url_name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Poster => "poster",
            Variant::Playable => "playable",
            Variant::Sprites => "sprites",
            Variant::Thumbnails => "thumbnails",
            Variant::Waveform => "waveform",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Poster => "poster.jpg",
            Variant::Playable => "playable.mp4",
            Variant::Sprites => "sprites.jpg",
            Variant::Thumbnails => "thumbnails.vtt",
            Variant::Waveform => "waveform.json",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage I/O failed at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    root: Arc<PathBuf>,
    open: Arc<open_files::OpenFiles>,
}

impl Store {
    /// Opens (creating) the store and removes temp files a crash left behind.
    pub async fn open(root: PathBuf) -> Result<Self, StoreError> {
        let tmp = root.join("tmp");
        if fs::try_exists(&tmp).await.unwrap_or(false) {
            fs::remove_dir_all(&tmp).await.map_err(io_at(&tmp))?;
        }
        fs::create_dir_all(&tmp).await.map_err(io_at(&tmp))?;
        let media = root.join("media");
        fs::create_dir_all(&media).await.map_err(io_at(&media))?;
        // Unlike tmp, the partial area survives restarts: resumable uploads live there.
        let partial = root.join(partial::DIR);
        fs::create_dir_all(&partial)
            .await
            .map_err(io_at(&partial))?;
        Ok(Store {
            root: Arc::new(root),
            open: Arc::default(),
        })
    }

    /// A new temp file, deleted on drop unless persisted.
    pub async fn create_temp(&self) -> Result<TempFile, StoreError> {
        let path = self
            .root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string());
        let file = File::create_new(&path).await.map_err(io_at(&path))?;
        Ok(TempFile {
            path,
            file: Some(file),
        })
    }

    /// A temp path for a program (ffmpeg) to write; removed on drop unless persisted.
    pub fn temp_path(&self, extension: &str) -> TempFile {
        let name = format!("{}.{extension}", uuid::Uuid::new_v4().simple());
        TempFile {
            path: self.root.join("tmp").join(name),
            file: None,
        }
    }

    fn dir(&self, id: &MediaId) -> PathBuf {
        // Two-level fan-out keeps directories small with many items.
        self.root
            .join("media")
            .join(&id.as_str()[..2])
            .join(id.as_str())
    }

    /// The local path of a stored file (ffmpeg reads it directly).
    pub fn path(&self, id: &MediaId, variant: Variant) -> PathBuf {
        self.dir(id).join(variant.file_name())
    }

    /// Flushes the temp file to disk and renames it into place atomically.
    pub async fn persist(
        &self,
        mut temp: TempFile,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        let file = match temp.file.take() {
            Some(file) => file,
            None => File::open(&temp.path).await.map_err(io_at(&temp.path))?,
        };
        file.sync_all().await.map_err(io_at(&temp.path))?;
        drop(file);
        let dir = self.dir(id);
        fs::create_dir_all(&dir).await.map_err(io_at(&dir))?;
        let target = dir.join(variant.file_name());
        fs::rename(&temp.path, &target)
            .await
            .map_err(io_at(&target))?;
        temp.disarm();
        self.open.forget(id, Some(variant));
        // Make the rename itself durable.
        if let Ok(handle) = File::open(&dir).await {
            let _ = handle.sync_all().await;
        }
        Ok(())
    }

    /// Stores small derived bytes (a WebVTT track, waveform JSON) atomically.
    pub async fn write_variant(
        &self,
        id: &MediaId,
        variant: Variant,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut temp = self.create_temp().await?;
        let mut writer = temp.writer().await?;
        writer.write(bytes).await?;
        writer.finish().await?;
        self.persist(temp, id, variant).await
    }

    /// Opens a stored file for reading; `None` when it does not exist.
    pub async fn open_variant(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<(File, std::fs::Metadata)>, StoreError> {
        let path = self.path(id, variant);
        match File::open(&path).await {
            Ok(file) => {
                let meta = file.metadata().await.map_err(io_at(&path))?;
                Ok(Some((file, meta)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// Removes one derived file (a retry starts clean); absent is fine.
    pub async fn delete_variant(&self, id: &MediaId, variant: Variant) -> Result<(), StoreError> {
        let path = self.path(id, variant);
        let removed = fs::remove_file(&path).await;
        self.open.forget(id, Some(variant));
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_at(&path)(e)),
            _ => Ok(()),
        }
    }

    /// Bytes free on the store's filesystem: checked before ffmpeg writes.
    pub fn available_space(&self) -> Result<u64, StoreError> {
        fs4::available_space(self.root.as_path()).map_err(io_at(&self.root))
    }

    /// Removes every file of an item.
    pub async fn delete_all(&self, id: &MediaId) -> Result<(), StoreError> {
        let dir = self.dir(id);
        let removed = fs::remove_dir_all(&dir).await;
        self.open.forget(id, None);
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_at(&dir)(e)),
            _ => Ok(()),
        }
    }

    /// The ids of every item directory in the store (the start-up sweep
    /// compares them with the rows). Entries this store did not make are
    /// left out, and so never deleted by it.
    pub async fn media_ids(&self) -> Result<Vec<MediaId>, StoreError> {
        let media = self.root.join("media");
        let mut ids = Vec::new();
        let mut fans = fs::read_dir(&media).await.map_err(io_at(&media))?;
        while let Some(fan) = fans.next_entry().await.map_err(io_at(&media))? {
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

    /// Counts entries in the temp area (tests assert nothing is left behind).
    pub async fn temp_entries(&self) -> Result<usize, StoreError> {
        let tmp = self.root.join("tmp");
        let mut entries = fs::read_dir(&tmp).await.map_err(io_at(&tmp))?;
        let mut count = 0;
        while entries.next_entry().await.map_err(io_at(&tmp))?.is_some() {
            count += 1;
        }
        Ok(count)
    }
}

/// A temp file that deletes itself on drop unless it was persisted: a failed
/// or interrupted upload never leaves half a file behind.
pub struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A buffered writer that pushes data to disk in the background as it
    /// grows; only for temp files made by `create_temp`.
    pub async fn writer(&mut self) -> Result<TempWriter<'_>, StoreError> {
        let path = self.path.clone();
        let io_err = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io_err(std::io::Error::other("the temp file is not open")))?;
        let syncer = file.try_clone().await.map_err(io_err)?.into_std().await;
        Ok(TempWriter {
            writer: BufWriter::with_capacity(WRITE_BUFFER, file),
            syncer: Arc::new(syncer),
            since_sync: 0,
            in_flight: None,
            path,
        })
    }

    fn disarm(&mut self) {
        self.path = PathBuf::new();
    }
}

/// See `TempFile::writer`.
pub struct TempWriter<'a> {
    writer: BufWriter<&'a mut File>,
    syncer: Arc<std::fs::File>,
    since_sync: u64,
    in_flight: Option<JoinHandle<std::io::Result<()>>>,
    path: PathBuf,
}

impl TempWriter<'_> {
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.writer
            .write_all(bytes)
            .await
            .map_err(io_at(&self.path))?;
        self.since_sync += bytes.len() as u64;
        let idle = self
            .in_flight
            .as_ref()
            .is_none_or(|task| task.is_finished());
        if self.since_sync >= SYNC_EVERY && idle {
            self.writer.flush().await.map_err(io_at(&self.path))?;
            let syncer = self.syncer.clone();
            // Not awaited: the stream keeps flowing while the kernel writes back.
            self.in_flight = Some(tokio::task::spawn_blocking(move || syncer.sync_data()));
            self.since_sync = 0;
        }
        Ok(())
    }

    /// Flushes what is buffered; `Store::persist` makes it durable.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        self.writer.flush().await.map_err(io_at(&self.path))?;
        if let Some(task) = self.in_flight.take() {
            task.await
                .map_err(|e| StoreError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other(e),
                })?
                .map_err(io_at(&self.path))?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Synchronous on purpose: Drop cannot await, and unlink is quick.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests;
