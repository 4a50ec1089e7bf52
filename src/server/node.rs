//! What Reel may do because it runs as one process on one data directory.
//! Each single-node assumption has a name, so that running several nodes
//! (the scale-out issue) replaces exactly these:
//!
//! - `SoleNode`: the data directory's lock, held for the process's life. With
//!   the embedded SQLite database in that directory, it is what lets
//!   start-up requeue every job left running (`Jobs::requeue_all_running`),
//!   finish or remove every upload the last run left (`Uploads::recover`)
//!   and sweep stored files no row owns (`sweep_orphans`): nobody else can be
//!   working on them. On PostgreSQL it proves nothing about other nodes:
//!   start-up then requeues no job (expired leases are requeued by any
//!   node's janitor), recovers only the uploads whose partial file is on
//!   this node, and sweeps nothing.
//! - The one-writer lock of a resumable upload is an in-process map
//!   (`uploads::LocalWriteLocks`).
//! - Live events are an in-process broadcast (`events::Events`).
//! - Item facts and open files for serving are cached in this process and
//!   forgotten by this process's deletes (`service::FactsCache`,
//!   `store::OpenFiles`).

use std::path::Path;

use crate::server::db::Repo;
use crate::server::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the data directory {path} is in use by another Reel ({reason})")]
    Locked { path: String, reason: String },
}

/// Proof that this process holds the data directory's exclusive lock; the
/// lock lasts as long as this value.
#[derive(Debug)]
pub struct SoleNode {
    _lock: std::fs::File,
}

/// How long start-up waits for the data directory's lock to be free.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes an exclusive lock on `DIR/reel.lock` (creating DIR). The binary
/// takes it before starting: a second Reel on the same data would wipe the
/// first one's scratch files and requeue its work.
pub fn lock_data_dir(dir: &Path) -> Result<SoleNode, LockError> {
    std::fs::create_dir_all(dir).map_err(|source| LockError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    let locked = |reason: String| LockError::Locked {
        path: dir.display().to_string(),
        reason,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("reel.lock"))
        .map_err(|e| locked(e.to_string()))?;
    // A Reel killed a moment ago can leave the lock held a little longer
    // (the crash soak met it once right after a SIGKILL: most likely a
    // child it was starting, which shares the lock's file until it runs its
    // program). Wait briefly before calling the directory busy.
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(SoleNode { _lock: file }),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(locked(e.to_string())),
        }
    }
}

/// Removes the stored files of items that have no row (a crash between
/// deleting a row and its files, or between storing an upload and recording
/// it). Runs at start-up before anything else touches the store; failures
/// are logged, never fatal. Returns how many items' files went.
pub(crate) async fn sweep_orphans(_sole: &SoleNode, repo: &Repo, store: &Store) -> usize {
    let (in_use, stored) = match (repo.media_ids_in_use().await, store.media_ids().await) {
        (Ok(in_use), Ok(stored)) => (in_use, stored),
        (Err(e), _) => {
            tracing::error!("cannot sweep orphaned files: {e}");
            return 0;
        }
        (_, Err(e)) => {
            tracing::error!("cannot sweep orphaned files: {e}");
            return 0;
        }
    };
    let mut removed = 0;
    for id in stored.iter().filter(|id| !in_use.contains(*id)) {
        match store.delete_all(id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::error!(%id, "cannot remove orphaned files: {e}"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed stored files that belonged to no item");
    }
    removed
}
