//! Scratch files: an upload's bytes on their way in, an ffmpeg output before
//! it is stored. Local by design, whatever the store's backend: uploads
//! stream to this machine's disk and ffmpeg writes to a path. A scratch file
//! deletes itself on drop unless the store took it, so a failed or
//! interrupted upload or job never leaves half a file behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::fs::{self, File};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::task::JoinHandle;

use super::{Store, StoreError, io_at};

/// Large enough to keep syscalls few, small enough to bound memory per writer.
const WRITE_BUFFER: usize = 256 * 1024;
/// How much may be written between background flushes to disk. Without them
/// the final fsync of a large upload stalls the answer for seconds.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;
/// How many bytes a writer takes between looks at the free space (so the
/// reserve the store keeps can be undercut by at most this much).
const ROOM_CHECK_EVERY: u64 = 1 << 20;
/// Reading back to hash: large reads, one buffer at a time.
const HASH_BUFFER: usize = 1 << 20;

/// Opens (creating) the scratch area; what a crash left there goes. Each
/// run of the server writes in a folder of its own inside it: an ffmpeg
/// that outlived a crashed run (its parent-death signal can miss, when the
/// parent dies between the fork and `setpriv`'s prctl) would otherwise
/// write its output into the new run's area after the clean-up. Its
/// folder is gone, so it cannot. (Found by the crash soak.)
pub(super) async fn open(dir: PathBuf) -> Result<PathBuf, StoreError> {
    if fs::try_exists(&dir).await.unwrap_or(false) {
        fs::remove_dir_all(&dir).await.map_err(io_at(&dir))?;
    }
    let run = dir.join(uuid::Uuid::new_v4().simple().to_string());
    fs::create_dir_all(&run).await.map_err(io_at(&run))?;
    Ok(run)
}

/// A run folder of its own in the scratch area `dir`, leaving the rest as
/// it is (a server may be using it): for commands run beside a server.
pub(super) async fn open_run(dir: PathBuf) -> Result<PathBuf, StoreError> {
    let run = dir.join(uuid::Uuid::new_v4().simple().to_string());
    fs::create_dir_all(&run).await.map_err(io_at(&run))?;
    Ok(run)
}

impl Store {
    /// A new, empty scratch file to stream into; deleted on drop unless stored.
    pub(crate) async fn create_temp(&self) -> Result<TempFile, StoreError> {
        let path = self.scratch.join(uuid::Uuid::new_v4().simple().to_string());
        let file = File::create_new(&path).await.map_err(io_at(&path))?;
        Ok(TempFile {
            path,
            file: Some(file),
        })
    }

    /// A scratch path for a program (ffmpeg) to write, with the extension
    /// that picks its muxer; removed on drop unless stored.
    pub(crate) fn temp_output(&self, extension: &str) -> TempFile {
        let name = format!("{}.{extension}", uuid::Uuid::new_v4().simple());
        TempFile {
            path: self.scratch.join(name),
            file: None,
        }
    }
}

/// A scratch file; see the module documentation.
pub(crate) struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    /// Where a program writes or reads it (this machine's disk).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, if this temp file was made by `create_temp`.
    pub(super) fn take_file(&mut self) -> Option<File> {
        self.file.take()
    }

    /// The store took the file: dropping this no longer deletes anything.
    pub(super) fn disarm(&mut self) {
        self.path = PathBuf::new();
    }

    /// A buffered writer that pushes data to disk in the background as it
    /// grows; only for temp files made by `create_temp`. `finish` gives the
    /// file back.
    pub(crate) async fn into_writer(mut self) -> Result<TempWriter, StoreError> {
        let Some(file) = self.file.take() else {
            let closed = std::io::Error::other("the temp file is not open");
            return Err(io_at(&self.path)(closed));
        };
        let syncer = match file.try_clone().await {
            Ok(clone) => clone.into_std().await,
            Err(e) => return Err(io_at(&self.path)(e)),
        };
        Ok(TempWriter {
            writer: BufWriter::with_capacity(WRITE_BUFFER, file),
            syncer: Arc::new(syncer),
            since_sync: 0,
            in_flight: None,
            unchecked: 0,
            temp: self,
        })
    }

    /// The size and SHA-256 (hex) of what the file holds.
    pub(crate) async fn digest(&self) -> Result<(u64, String), StoreError> {
        digest(&self.path).await
    }
}

/// The size and SHA-256 (hex) of a local file, read once on a blocking thread.
pub(crate) async fn digest(path: &Path) -> Result<(u64, String), StoreError> {
    use sha2::Digest;
    use std::io::Read;
    let owned = path.to_path_buf();
    let result = tokio::task::spawn_blocking(move || -> std::io::Result<(u64, String)> {
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; HASH_BUFFER];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            size += n as u64;
        }
        Ok((size, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(|e| io_at(path)(std::io::Error::other(e)))?;
    result.map_err(io_at(path))
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Synchronous on purpose: Drop cannot await, and unlink is quick.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// See `TempFile::into_writer`.
pub(crate) struct TempWriter {
    writer: BufWriter<File>,
    syncer: Arc<std::fs::File>,
    since_sync: u64,
    in_flight: Option<JoinHandle<std::io::Result<()>>>,
    /// The file being written (its `file` is in `writer` meanwhile).
    temp: TempFile,
    /// Bytes taken since free space was last looked at.
    unchecked: u64,
}

impl TempWriter {
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let path = &self.temp.path;
        // Free space is looked at once a MiB (a statvfs), not per chunk.
        self.unchecked += bytes.len() as u64;
        if self.unchecked >= ROOM_CHECK_EVERY {
            super::ensure_room(path, self.unchecked)?;
            self.unchecked = 0;
        }
        self.writer.write_all(bytes).await.map_err(io_at(path))?;
        self.since_sync += bytes.len() as u64;
        let idle = self
            .in_flight
            .as_ref()
            .is_none_or(|task| task.is_finished());
        if self.since_sync >= SYNC_EVERY && idle {
            self.writer.flush().await.map_err(io_at(path))?;
            let syncer = self.syncer.clone();
            // Not awaited: the stream keeps flowing while the kernel writes back.
            self.in_flight = Some(tokio::task::spawn_blocking(move || syncer.sync_data()));
            self.since_sync = 0;
        }
        Ok(())
    }

    /// Flushes what is buffered and gives the file back; `Store::persist`
    /// makes it durable.
    pub(crate) async fn finish(mut self) -> Result<TempFile, StoreError> {
        let path = self.temp.path.clone();
        self.writer.flush().await.map_err(io_at(&path))?;
        if let Some(task) = self.in_flight.take() {
            task.await
                .map_err(|e| io_at(&path)(std::io::Error::other(e)))?
                .map_err(io_at(&path))?;
        }
        let mut temp = self.temp;
        temp.file = Some(self.writer.into_inner());
        Ok(temp)
    }
}
