//! Bytes. The store is the only code that knows where bytes live: callers name
//! an item (`MediaId`) and a file of it (`Variant`), never a path.
//!
//! - Stored files (originals and derived files) live in a backend: a local
//!   directory (`local`, the default) or an S3-compatible object store
//!   (`s3`), behind the same methods: jobs, uploads, ingest and http do not
//!   know which.
//! - ffmpeg reads stored files through `materialise`, a guard with a local
//!   path (the real file on disk; for a remote store, a temp copy removed on
//!   drop), and writes its outputs to scratch files (`TempFile`) that
//!   `persist` moves into the store.
//! - Serving gets a `Source`: an open local file (sent with `sendfile`) or,
//!   from a remote store, a stream of byte ranges.
//! - Scratch files are local by design (ffmpeg needs paths), and so is the
//!   partial area of resumable uploads into a local store. Into an object
//!   store, resumable uploads go straight into multipart uploads
//!   (`multipart`), so any node can resume them.

mod hls;
mod intake;
mod local;
mod multipart;
mod open_files;
mod partial;
mod s3;
mod scratch;
mod source;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use hls::HlsFile;
pub(crate) use multipart::part_size;
pub(crate) use scratch::{TempFile, TempWriter, digest as digest_file};
pub(crate) use source::{Materialised, RangeReader, Source};

use crate::model::MediaId;
use crate::server::config::{S3Settings, Storage};

/// The files an item can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Variant {
    Original,
    Poster,
    /// The browser-ready copy: H.264/AAC in MP4, or AAC in MP4 for audio.
    Playable,
    /// Scrub previews: the tiled JPEG and the WebVTT track pointing into it.
    Sprites,
    Thumbnails,
    /// Waveform peaks as JSON.
    Waveform,
    /// A file of the adaptive-streaming ladder.
    Hls(HlsFile),
}

impl Variant {
    pub(crate) const ALL: [Variant; 17] = [
        Variant::Original,
        Variant::Poster,
        Variant::Playable,
        Variant::Sprites,
        Variant::Thumbnails,
        Variant::Waveform,
        Variant::Hls(HlsFile::ALL[0]),
        Variant::Hls(HlsFile::ALL[1]),
        Variant::Hls(HlsFile::ALL[2]),
        Variant::Hls(HlsFile::ALL[3]),
        Variant::Hls(HlsFile::ALL[4]),
        Variant::Hls(HlsFile::ALL[5]),
        Variant::Hls(HlsFile::ALL[6]),
        Variant::Hls(HlsFile::ALL[7]),
        Variant::Hls(HlsFile::ALL[8]),
        Variant::Hls(HlsFile::ALL[9]),
        Variant::Hls(HlsFile::ALL[10]),
    ];

    /// The variant an address below `/files/{id}/` names ("poster",
    /// "hls/v0.mp4"), or `None`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Variant::ALL.into_iter().find(|v| v.url_name() == text)
    }

    pub(crate) fn url_name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Poster => "poster",
            Variant::Playable => "playable",
            Variant::Sprites => "sprites",
            Variant::Thumbnails => "thumbnails",
            Variant::Waveform => "waveform",
            Variant::Hls(file) => file.item_path(),
        }
    }

    /// The name a signature covers: every file of the ladder shares one,
    /// so the playlists' relative addresses inherit it.
    pub(crate) fn signed_name(self) -> &'static str {
        match self {
            Variant::Hls(_) => hls::FOLDER,
            other => other.url_name(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("storage I/O failed at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A small file (a track, peaks) is larger than its reader allows.
    #[error("the stored {variant:?} of {id} is larger than {limit} bytes")]
    TooBig {
        id: MediaId,
        variant: Variant,
        limit: usize,
    },
    /// The object store answered a request with an error.
    #[error("object store request for {key} failed: {source}")]
    Remote {
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// The object store cannot be used at all (start-up check).
    #[error("--storage {store}: the object store cannot be used: {reason}")]
    Unreachable { store: String, reason: String },
}

/// Disk space that writes of received bytes (uploads, scratch files) leave
/// free: the database (its journal, job and session rows) must always be
/// able to write, or every request that records anything fails once the
/// disk is full.
pub(crate) const WRITE_RESERVE: u64 = 16 << 20;

/// Refuses to write `bytes` more at `path` when that would leave less than
/// `WRITE_RESERVE` free there; the refusal reads as a full disk.
fn ensure_room(path: &Path, bytes: u64) -> Result<(), StoreError> {
    let available = fs4::available_space(path).map_err(io_at(path))?;
    if bytes.saturating_add(WRITE_RESERVE) > available {
        let full = std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!("{available} bytes free, {WRITE_RESERVE} kept for the database"),
        );
        return Err(io_at(path)(full));
    }
    Ok(())
}

impl StoreError {
    /// The disk (or the filesystem's quota) is full: no retry helps until
    /// space is freed, so it is told apart from other failures.
    pub(crate) fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded
            }
            _ => false,
        }
    }
}

/// A stored file's name within its item, in every backend.
fn file_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Original => "original",
        Variant::Poster => "poster.jpg",
        Variant::Playable => "playable.mp4",
        Variant::Sprites => "sprites.jpg",
        Variant::Thumbnails => "thumbnails.vtt",
        Variant::Waveform => "waveform.json",
        Variant::Hls(file) => file.item_path(),
    }
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where stored files live.
#[derive(Clone, Debug)]
enum Objects {
    Local(local::LocalObjects),
    S3(s3::S3Objects),
}

#[derive(Clone, Debug)]
pub(crate) struct Store {
    objects: Objects,
    /// Scratch files: uploads on their way in, ffmpeg outputs.
    scratch: Arc<PathBuf>,
    /// The bytes of resumable uploads while they arrive.
    partial: Arc<PathBuf>,
}

impl Store {
    /// Opens the store `storage` names: `Local` under `root` (the default,
    /// `files` in the data directory) or an S3 bucket, reached with
    /// `settings` and checked now. Scratch files and partial uploads stay
    /// under `root` either way.
    pub(crate) async fn open(
        storage: &Storage,
        settings: &S3Settings,
        root: PathBuf,
    ) -> Result<Self, StoreError> {
        match storage {
            Storage::Local => Self::open_local(root).await,
            Storage::S3(bucket) => {
                let objects = s3::S3Objects::connect(bucket, settings).await?;
                Self::open_with(Objects::S3(objects), &root).await
            }
        }
    }

    /// Opens (creating) a store on the local disk under `root` and removes
    /// scratch files a crash left behind.
    pub(crate) async fn open_local(root: PathBuf) -> Result<Self, StoreError> {
        let objects = local::LocalObjects::open(root.join("media")).await?;
        Self::open_with(Objects::Local(objects), &root).await
    }

    async fn open_with(objects: Objects, root: &Path) -> Result<Self, StoreError> {
        let scratch = scratch::open(root.join("tmp")).await?;
        let partial = partial::open(root.join("partial")).await?;
        Ok(Store {
            objects,
            scratch: Arc::new(scratch),
            partial: Arc::new(partial),
        })
    }

    /// Whether stored files are on this machine's disk (`sendfile` can
    /// send them) rather than in an object store.
    pub(crate) fn is_local(&self) -> bool {
        matches!(self.objects, Objects::Local(_))
    }

    /// Moves a finished scratch file into the store as `variant` of `id`:
    /// flushed to disk first, then put in place atomically, so readers never
    /// see half a file.
    pub(crate) async fn persist(
        &self,
        temp: TempFile,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        match &self.objects {
            Objects::Local(local) => local.persist(temp, id, variant).await,
            Objects::S3(s3) => s3.persist(temp, id, variant).await,
        }
    }

    /// Stores a copy of a local file (another store's materialised file)
    /// as `variant` of `id`, atomically like `persist`; `path` stays.
    pub(crate) async fn put_copy(
        &self,
        path: &Path,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        match &self.objects {
            Objects::S3(s3) => s3.persist_path(path, id, variant).await,
            Objects::Local(_) => {
                let temp = self.create_temp().await?;
                tokio::fs::copy(path, temp.path())
                    .await
                    .map_err(io_at(temp.path()))?;
                self.persist(temp, id, variant).await
            }
        }
    }

    /// Stores small derived bytes (a WebVTT track, waveform JSON) atomically.
    pub(crate) async fn write_small(
        &self,
        id: &MediaId,
        variant: Variant,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let mut writer = self.create_temp().await?.into_writer().await?;
        writer.write(bytes).await?;
        let temp = writer.finish().await?;
        self.persist(temp, id, variant).await
    }

    /// Reads a small stored file whole (a WebVTT track, waveform JSON);
    /// `None` when it does not exist. Larger than `limit` is an error.
    pub(crate) async fn read_small(
        &self,
        id: &MediaId,
        variant: Variant,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.objects {
            Objects::Local(local) => local.read_small(id, variant, limit).await,
            Objects::S3(s3) => s3.read_small(id, variant, limit).await,
        }
    }

    /// A stored file as a local path for ffmpeg, held by the guard; `None`
    /// when the file does not exist.
    pub(crate) async fn materialise(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Materialised>, StoreError> {
        match &self.objects {
            Objects::Local(local) => local.materialise(id, variant).await,
            Objects::S3(s3) => s3.materialise(self, id, variant).await,
        }
    }

    /// A stored file, ready to serve; `None` when it does not exist (a
    /// poster not made yet). Local files are opened on the async thread: an
    /// `open` and a `statx` take microseconds (and recently served files are
    /// still open), where a thread hop per request halved small-range speed.
    pub(crate) async fn source(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Source>, StoreError> {
        match &self.objects {
            Objects::Local(local) => local.source(id, variant),
            Objects::S3(s3) => s3.source(id, variant).await,
        }
    }

    /// Removes every file of an item; absent is fine.
    pub(crate) async fn delete_all(&self, id: &MediaId) -> Result<(), StoreError> {
        match &self.objects {
            Objects::Local(local) => local.delete_all(id).await,
            Objects::S3(s3) => s3.delete_all(id).await,
        }
    }

    /// The ids of every item with files in the store (the orphan sweep
    /// compares them with the rows). Entries the store did not make are
    /// left out, and so never deleted by it.
    pub(crate) async fn media_ids(&self) -> Result<Vec<MediaId>, StoreError> {
        match &self.objects {
            Objects::Local(local) => local.media_ids().await,
            Objects::S3(s3) => s3.media_ids().await,
        }
    }

    /// Bytes free where ffmpeg writes (the scratch area), checked before it runs.
    pub(crate) fn available_space(&self) -> Result<u64, StoreError> {
        fs4::available_space(self.scratch.as_path()).map_err(io_at(&self.scratch))
    }
}

#[cfg(test)]
mod tests;
