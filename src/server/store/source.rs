//! What the store hands out instead of paths: a `Source` to serve bytes from
//! and a `Materialised` local copy for ffmpeg to read.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use super::StoreError;
use super::scratch::{TempFile, digest};

/// An open stored file and what `statx` said when it was opened.
#[derive(Debug)]
pub(crate) struct OpenFile {
    pub(crate) file: Arc<File>,
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
}

/// Reads byte ranges of a stored object that is not a local file.
pub(crate) trait RangeReader: Send + Sync {
    /// `len` bytes from `start`, as a stream of chunks.
    fn read(&self, start: u64, len: u64) -> BoxStream<'static, std::io::Result<Bytes>>;

    /// An address where a client may read the object itself until
    /// `expires_in` has passed, when the store makes such addresses.
    fn presign(&self, expires_in: Duration) -> BoxFuture<'static, Option<String>>;
}

/// A stored object elsewhere (an object store), read by range.
#[derive(Clone)]
pub(crate) struct RemoteObject {
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
    pub(crate) reader: Arc<dyn RangeReader>,
}

/// Where served bytes come from.
#[derive(Clone)]
pub(crate) enum Source {
    /// A file on this machine: the direct path sends it with `sendfile`.
    File(Arc<OpenFile>),
    /// An object elsewhere: streamed through the router, range by range.
    Remote(RemoteObject),
}

impl Source {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::File(open) => open.len,
            Source::Remote(object) => object.len,
        }
    }

    pub(crate) fn modified(&self) -> Option<SystemTime> {
        match self {
            Source::File(open) => open.modified,
            Source::Remote(object) => object.modified,
        }
    }
}

/// How much one read of a stored file for a stream takes.
const STREAM_CHUNK: usize = 256 * 1024;

impl Source {
    /// The whole object as a stream of chunks (a member of an archive).
    /// Local files are read with positioned reads: the open file is shared
    /// with every other request for it, so its own offset is never moved.
    pub(crate) fn into_stream(self) -> BoxStream<'static, std::io::Result<Bytes>> {
        use futures_util::StreamExt;
        match self {
            Source::Remote(object) => object.reader.read(0, object.len),
            Source::File(open) => {
                let state = (open, 0u64);
                futures_util::stream::try_unfold(state, |(open, at)| async move {
                    if at >= open.len {
                        return Ok(None);
                    }
                    let want = usize::try_from(open.len - at)
                        .map_or(STREAM_CHUNK, |left| left.min(STREAM_CHUNK));
                    let file = Arc::clone(&open.file);
                    let chunk = tokio::task::spawn_blocking(move || {
                        use std::os::unix::fs::FileExt;
                        let mut buffer = vec![0u8; want];
                        let n = file.read_at(&mut buffer, at)?;
                        buffer.truncate(n);
                        Ok::<_, std::io::Error>(buffer)
                    })
                    .await
                    .map_err(std::io::Error::other)??;
                    if chunk.is_empty() {
                        // Shorter than when it was opened: the archive says so.
                        return Ok(None);
                    }
                    let next = at + chunk.len() as u64;
                    Ok(Some((Bytes::from(chunk), (open, next))))
                })
                .boxed()
            }
        }
    }
}

/// A stored file as a path on this machine, for as long as the guard lives:
/// the file itself on a local store, or a scratch copy removed on drop.
pub(crate) struct Materialised {
    path: PathBuf,
    /// The copy this guard owns (and deletes), if it is one.
    _copy: Option<TempFile>,
}

impl Materialised {
    pub(super) fn in_place(path: PathBuf) -> Self {
        Materialised { path, _copy: None }
    }

    /// A scratch copy, removed when the guard drops.
    pub(super) fn copy(temp: TempFile) -> Self {
        Materialised {
            path: temp.path().to_path_buf(),
            _copy: Some(temp),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The size and SHA-256 (hex) of the bytes.
    pub(crate) async fn digest(&self) -> Result<(u64, String), StoreError> {
        digest(&self.path).await
    }
}
