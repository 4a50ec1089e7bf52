//! Files already on this machine coming into the store (`reel import`):
//! copied into a scratch file while they are hashed (one read, one write),
//! or hard-linked when asked and the store is the local disk on the same
//! filesystem (no bytes move). The paths are the operator's, given on the
//! command line: never a client's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Objects, Store, StoreError, TempFile, io_at, local, partial, s3, scratch};
use crate::server::config::{S3Settings, Storage};

/// Copy buffer: large reads and writes, one buffer per file being copied.
const COPY_BUFFER: usize = 1 << 20;

/// How a file came in.
pub(crate) struct TakenIn {
    pub(crate) temp: TempFile,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    /// Hard-linked rather than copied.
    pub(crate) linked: bool,
}

impl Store {
    /// Opens the store `storage` names beside a server that may be running
    /// on the same data directory: scratch files go in a folder of this
    /// run's, and nothing of the server's is cleared (`open` clears what a
    /// crash left; the server's next start clears what this run leaves).
    pub(crate) async fn open_beside(
        storage: &Storage,
        settings: &S3Settings,
        root: PathBuf,
    ) -> Result<Self, StoreError> {
        let objects = match storage {
            Storage::Local => Objects::Local(local::LocalObjects::open(root.join("media")).await?),
            Storage::S3(bucket) => Objects::S3(s3::S3Objects::connect(bucket, settings).await?),
        };
        let scratch = scratch::open_run(root.join("tmp")).await?;
        let partial = partial::open(root.join("partial")).await?;
        Ok(Store {
            objects,
            scratch: Arc::new(scratch),
            partial: Arc::new(partial),
        })
    }

    /// Removes this run's scratch folder once its files are gone (an import
    /// ends with it empty; what a crash leaves goes at the server's start).
    pub(crate) fn leave_scratch(&self) {
        let _ = std::fs::remove_dir(self.scratch.as_path());
    }

    /// `path`'s bytes in a scratch file, with their size and SHA-256:
    /// hard-linked when `link` is set and the store keeps files on the same
    /// filesystem (then read once to hash), otherwise copied as they are
    /// hashed.
    pub(crate) async fn take_in(&self, path: &Path, link: bool) -> Result<TakenIn, StoreError> {
        let temp = self.temp_output("in");
        if link && self.is_local() {
            match std::fs::hard_link(path, temp.path()) {
                Ok(()) => {
                    let (size, sha256) = scratch::digest(temp.path()).await?;
                    return Ok(TakenIn {
                        temp,
                        size,
                        sha256,
                        linked: true,
                    });
                }
                // Another filesystem: the bytes must move after all.
                Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {}
                Err(e) => return Err(io_at(path)(e)),
            }
        }
        let (from, to) = (path.to_path_buf(), temp.path().to_path_buf());
        let copied = tokio::task::spawn_blocking(move || copy_hashing(&from, &to))
            .await
            .map_err(|e| io_at(path)(std::io::Error::other(e)))?;
        let (size, sha256) = copied.map_err(|e| match e {
            Failed::Read(e) => io_at(path)(e),
            Failed::Write(e) => io_at(temp.path())(e),
        })?;
        Ok(TakenIn {
            temp,
            size,
            sha256,
            linked: false,
        })
    }
}

/// Which side of a copy failed: a file that cannot be read is the
/// operator's to fix, a full disk the machine's.
enum Failed {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies `from` to the new file `to`, hashing what passes; the size and
/// SHA-256 (hex). Not synced here: `Store::persist` syncs it before the
/// rename that puts it in place.
fn copy_hashing(from: &Path, to: &Path) -> Result<(u64, String), Failed> {
    use sha2::Digest;
    let mut source = std::fs::File::open(from).map_err(Failed::Read)?;
    let mut target = std::fs::File::create_new(to).map_err(Failed::Write)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; COPY_BUFFER];
    let mut size = 0u64;
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failed::Read(e)),
        };
        hasher.update(&buffer[..n]);
        target.write_all(&buffer[..n]).map_err(Failed::Write)?;
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}
