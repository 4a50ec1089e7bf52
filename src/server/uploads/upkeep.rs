//! Keeping uploads in order around the write path: termination, the
//! status the client follows, expiry, and recovery at start-up.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::remote::unclaimed;
use super::{Result, UploadError, Uploads, WriteLock, millis};
use crate::model::{UploadId, UploadPhase, UploadStatus};
use crate::server::db::{Upload, UploadState};
use crate::server::node::SoleNode;

/// How often abandoned uploads are looked for (and once at start-up).
pub(crate) const CLEANUP_EVERY: Duration = Duration::from_secs(10 * 60);
/// How long DELETE waits for an interrupted writer to let go.
const TERMINATION_WAIT: Duration = Duration::from_secs(10);

impl Uploads {
    /// A receiving upload with all its bytes on disk whose last PATCH never
    /// got to say so (its request was dropped, or the process died): a client
    /// seeing the full offset sends nothing more, so finalise it now.
    pub(super) async fn complete_if_full(&self, id: &UploadId) -> Result<()> {
        let Some(_lock) = self.try_lock(id) else {
            return Ok(()); // its writer is still at work and will see to it
        };
        let Some(row) = self.inner.repo.get_upload(id).await? else {
            return Ok(());
        };
        let on_disk = self.inner.store.partial_len(id).await?;
        if row.state == UploadState::Receiving
            && row.unverified_from.is_none()
            && on_disk == Some(row.length)
        {
            let expires = millis(self.expires_from_now());
            self.inner.repo.upload_received(id, true, expires).await?;
            self.spawn_finalise(id.clone());
        }
        Ok(())
    }

    /// DELETE: stops a running writer, then removes the bytes and the row.
    /// A finished upload's item stays in the library; only the record goes.
    pub(crate) async fn terminate(&self, id: &UploadId) -> Result<()> {
        let _lock = self.lock_for_termination(id).await?;
        let row = self
            .inner
            .repo
            .get_upload(id)
            .await?
            .ok_or(UploadError::NotFound)?;
        if row.state == UploadState::Finalising {
            return Err(UploadError::Finalising);
        }
        self.remove(&row).await
    }

    /// Removes an unfinished upload's bytes and row. Into an object store,
    /// the row goes first: a writer on another node then finds its lease
    /// gone and records nothing more.
    async fn remove(&self, row: &Upload) -> Result<()> {
        if row.remote.is_some() {
            self.inner.repo.delete_upload(&row.id).await?;
            self.abort_remote(row).await;
        } else {
            self.inner.store.remove_partial(&row.id).await?;
            self.inner.repo.delete_upload(&row.id).await?;
        }
        Ok(())
    }

    async fn lock_for_termination(&self, id: &UploadId) -> Result<WriteLock> {
        // Subscribed before looking, so a release in between is not missed.
        let mut released = self.inner.released.subscribe();
        let deadline = tokio::time::Instant::now() + TERMINATION_WAIT;
        loop {
            if let Some(lock) = self.try_lock(id) {
                return Ok(lock);
            }
            if let Some(cancel) = self.inner.writers().get(id) {
                cancel.cancel();
            }
            match tokio::time::timeout_at(deadline, released.changed()).await {
                Ok(Ok(())) => continue,
                _ => return Err(UploadError::Locked),
            }
        }
    }

    /// What the client follows once its bytes are sent; `None` when unknown.
    pub(crate) async fn status(&self, id: &UploadId) -> Result<Option<UploadStatus>> {
        let Some(row) = self.inner.repo.get_upload(id).await? else {
            return Ok(None);
        };
        let offset = self.offset_of(&row).await?;
        let phase = match row.state {
            UploadState::Receiving if row.expires_at <= millis(SystemTime::now()) => {
                UploadPhase::Failed {
                    reason: UploadError::Expired.to_string(),
                }
            }
            UploadState::Receiving => UploadPhase::Receiving,
            UploadState::Finalising => UploadPhase::Finalising,
            // A finished upload always names its item (set before it is done).
            UploadState::Done => match row.media_id {
                Some(media_id) => UploadPhase::Done {
                    media_id,
                    already_in_library: row.duplicate,
                },
                None => UploadPhase::Failed {
                    reason: "The upload finished, but its item is unknown.".to_string(),
                },
            },
            UploadState::Failed => UploadPhase::Failed {
                reason: row.failure_reason.unwrap_or_default(),
            },
        };
        Ok(Some(UploadStatus {
            id: id.clone(),
            offset,
            length: row.length,
            phase,
        }))
    }

    /// Removes the bytes and rows of uploads past their expiry (abandoned
    /// ones, and the history of finished ones). Skips any being written.
    pub(crate) async fn remove_expired(&self) -> Result<usize> {
        let now = millis(SystemTime::now());
        let mut removed = 0;
        for row in self.inner.repo.expired_uploads(now).await? {
            let Some(_lock) = self.try_lock(&row.id) else {
                continue;
            };
            // Looked at again under the lock: a PATCH may just have renewed it.
            let Some(row) = self.inner.repo.get_upload(&row.id).await? else {
                continue;
            };
            if row.state == UploadState::Finalising || row.expires_at > now {
                continue;
            }
            if row.remote.as_ref().is_some_and(|r| !unclaimed(r)) {
                continue; // a writer on another node
            }
            self.remove(&row).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Start-up: rolls back chunks a crash left unverified, removes files no
    /// row owns, cleans up expired uploads and finalises again what was
    /// complete but not finalised. With `SoleNode` (the embedded database)
    /// no other process is writing or finalising any of them. Without it
    /// (PostgreSQL, several nodes), only the uploads whose partial file is
    /// on this node are this node's: the partial area is local by design,
    /// and this node has only just started, so nothing is writing them.
    pub(crate) async fn recover(&self, sole: Option<&SoleNode>) -> Result<()> {
        let (repo, store) = (&self.inner.repo, &self.inner.store);
        let mine = async |row: &Upload| -> Result<bool> {
            Ok(match &row.remote {
                _ if sole.is_some() => true,
                Some(remote) => unclaimed(remote),
                None => store.partial_len(&row.id).await?.is_some(),
            })
        };
        for row in repo.unverified_uploads().await? {
            if !mine(&row).await? {
                continue;
            }
            if let (Some(from), Some(len)) =
                (row.unverified_from, store.partial_len(&row.id).await?)
                && len > from
            {
                store.truncate_partial(&row.id, from).await?;
            }
            repo.set_upload_unverified(&row.id, None).await?;
        }
        for id in store.partial_ids().await? {
            let owned = repo.get_upload(&id).await?.is_some_and(|row| {
                matches!(row.state, UploadState::Receiving | UploadState::Finalising)
            });
            if !owned {
                store.remove_partial(&id).await?;
            }
        }
        let removed = self.remove_expired().await?;
        if removed > 0 {
            tracing::info!(removed, "removed expired uploads");
        }
        for row in repo.uploads_in_state(UploadState::Finalising).await? {
            if mine(&row).await? {
                tracing::info!(upload = %row.id, "finalising an upload left from the last run");
                self.spawn_finalise(row.id);
            }
        }
        for row in repo.uploads_in_state(UploadState::Receiving).await? {
            if mine(&row).await? {
                self.complete_if_full(&row.id).await?;
            }
        }
        Ok(())
    }

    /// Runs `remove_expired` every `every` for as long as the service exists.
    pub(crate) fn spawn_cleanup(&self, every: Duration) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // immediate; start-up has just cleaned
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let uploads = Uploads { inner };
                match uploads.remove_expired().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "removed expired uploads"),
                    Err(e) => tracing::warn!("cannot remove expired uploads: {e}"),
                }
                if let Err(e) = uploads.resume_abandoned().await {
                    tracing::warn!("cannot look for abandoned finalisations: {e}");
                }
            }
        });
    }

    /// Resolves once no finalisation is queued or running.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn wait_idle(&self) {
        let mut rx = self.inner.finalising.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}
