//! Bytes. The store is the only code that knows where bytes live: callers name
//! an item (`MediaId`) and a file of it (`Variant`), never a path.
//!
//! - Stored files (originals and derived files) live in a backend: today a
//!   local directory (`local`); an object store fills the same methods later
//!   without touching jobs, uploads, ingest or http.
//! - ffmpeg reads stored files through `materialise`, a guard with a local
//!   path (the real file on disk; for a remote store, a temp copy removed on
//!   drop), and writes its outputs to scratch files (`TempFile`) that
//!   `persist` moves into the store.
//! - Serving gets a `Source`: an open local file (sent with `sendfile`) or,
//!   from a remote store, a stream of byte ranges.
//! - Scratch files and the partial area of resumable uploads are local by
//!   design: uploads stream to the machine's disk, ffmpeg needs paths.

mod local;
mod open_files;
mod partial;
mod scratch;
mod source;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use scratch::{TempFile, TempWriter};
pub(crate) use source::{Materialised, RangeReader, Source};

use crate::model::MediaId;

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
}

impl Variant {
    pub(crate) const ALL: [Variant; 6] = [
        Variant::Original,
        Variant::Poster,
        Variant::Playable,
        Variant::Sprites,
        Variant::Thumbnails,
        Variant::Waveform,
    ];

    /// The variant a URL segment names (the same word), or `None`.
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
    /// Opens (creating) a store on the local disk under `root` and removes
    /// scratch files a crash left behind.
    pub(crate) async fn open_local(root: PathBuf) -> Result<Self, StoreError> {
        let scratch = scratch::open(root.join("tmp")).await?;
        let partial = partial::open(root.join("partial")).await?;
        let objects = local::LocalObjects::open(root.join("media")).await?;
        Ok(Store {
            objects: Objects::Local(objects),
            scratch: Arc::new(scratch),
            partial: Arc::new(partial),
        })
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
        }
    }

    /// Removes every file of an item; absent is fine.
    pub(crate) async fn delete_all(&self, id: &MediaId) -> Result<(), StoreError> {
        match &self.objects {
            Objects::Local(local) => local.delete_all(id).await,
        }
    }

    /// The ids of every item with files in the store (the orphan sweep
    /// compares them with the rows). Entries the store did not make are
    /// left out, and so never deleted by it.
    pub(crate) async fn media_ids(&self) -> Result<Vec<MediaId>, StoreError> {
        match &self.objects {
            Objects::Local(local) => local.media_ids().await,
        }
    }

    /// Bytes free where ffmpeg writes (the scratch area), checked before it runs.
    pub(crate) fn available_space(&self) -> Result<u64, StoreError> {
        fs4::available_space(self.scratch.as_path()).map_err(io_at(&self.scratch))
    }
}

#[cfg(test)]
mod tests;
