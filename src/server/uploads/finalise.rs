//! Finalisation: once its last byte is in, an upload becomes a library item,
//! after the PATCH that completed it has been answered. Each step is recorded
//! before the next, so a restart mid-way finishes the same item: the media id
//! is saved before the bytes move, and the item's row is looked for before it
//! is inserted. Bytes that are not media end the upload as failed, removed.
//! A failure of the machine's (a database busy for a while, a full disk) is
//! tried again with growing pauses: all the bytes are in, so giving up would
//! lose the upload.

use std::time::{Duration, Instant};

use super::remote::Lease;
use super::{Result, UploadError, Uploads, millis};
use crate::model::{MediaId, UploadId};
use crate::server::db::{Upload, UploadState};
use crate::server::ingest::{IngestError, Received};
use crate::server::store::Variant;

const LOST: &str = "The uploaded bytes were lost on the server. Upload the file again.";
const BROKEN: &str = "Reel could not store this upload. Upload the file again.";
/// Pauses between attempts at a finalisation that failed for a passing
/// reason; after the last, the upload fails (its bytes stay until expiry is
/// no use: a failed upload cannot be resumed).
const RETRY_PAUSES: [Duration; 8] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(15),
    Duration::from_secs(30),
];

/// How one attempt at finalising ended.
enum Attempt {
    Done,
    /// The machine's trouble: worth another try.
    Transient(UploadError),
    Broken(UploadError),
}

impl Uploads {
    /// Finalises in the background; a panic is contained in its own task.
    pub(super) fn spawn_finalise(&self, id: UploadId) {
        self.inner.finalising.send_modify(|n| *n += 1);
        let this = self.clone();
        tokio::spawn(async move {
            let failed = this.finalise_with_retries(&id).await;
            if failed {
                this.fail(&id, BROKEN).await;
            }
            this.inner
                .finalising
                .send_modify(|n| *n = n.saturating_sub(1));
        });
    }

    /// Tries until it works, fails for good, or the pauses run out; true
    /// when the upload must be failed.
    async fn finalise_with_retries(&self, id: &UploadId) -> bool {
        let mut pauses = RETRY_PAUSES.iter();
        loop {
            let job = tokio::spawn({
                let this = self.clone();
                let id = id.clone();
                async move { this.attempt(&id).await }
            });
            match job.await {
                Ok(Attempt::Done) => return false,
                Ok(Attempt::Transient(e)) => match pauses.next() {
                    Some(pause) => {
                        tracing::warn!(upload = %id, "finalising an upload failed, trying again in {pause:?}: {e}");
                        self.inner.retried.send_modify(|n| *n += 1);
                        tokio::time::sleep(*pause).await;
                    }
                    None => {
                        tracing::error!(upload = %id, "cannot finalise an upload: {e}");
                        return true;
                    }
                },
                Ok(Attempt::Broken(e)) => {
                    tracing::error!(upload = %id, "cannot finalise an upload: {e}");
                    return true;
                }
                Err(e) => {
                    tracing::error!(upload = %id, "finalising an upload panicked: {e}");
                    return true;
                }
            }
        }
    }

    async fn attempt(&self, id: &UploadId) -> Attempt {
        match self.finalise(id).await {
            Ok(()) => Attempt::Done,
            Err(e) if is_transient(&e) => Attempt::Transient(e),
            Err(e) => Attempt::Broken(e),
        }
    }

    async fn finalise(&self, id: &UploadId) -> Result<()> {
        let repo = &self.inner.repo;
        let Some(row) = repo.get_upload(id).await? else {
            return Ok(()); // terminated meanwhile
        };
        if row.state != UploadState::Finalising {
            return Ok(());
        }
        let history = millis(self.expires_from_now());
        if let Some(media) = &row.media_id
            && repo.get(media).await?.is_some()
        {
            // The last run got as far as the item; only the record was left.
            repo.mark_upload_done(id, history).await?;
            return Ok(());
        }

        let Some(remote) = &row.remote else {
            return self.store_upload(row).await;
        };
        // Into an object store: any node may be finalising it; the lease
        // says which.
        let Some(lease) = Lease::claim(repo, id).await? else {
            return Ok(());
        };
        let stored = match self.assemble(&row, remote).await {
            Ok(()) => self.store_upload(row).await,
            Err(e) => Err(e),
        };
        lease.release().await;
        stored
    }

    /// Finalising with all the bytes in one place: checked, probed, and
    /// recorded as an item.
    async fn store_upload(&self, row: Upload) -> Result<()> {
        let (repo, store) = (&self.inner.repo, &self.inner.store);
        let id = &row.id;
        let history = millis(self.expires_from_now());
        let started = Instant::now();
        let partial = store.materialise_partial(id).await?;
        let in_partial = partial.is_some();
        let file = match (&row.media_id, partial) {
            (_, Some(file)) => Some(file),
            // A restart after the bytes moved but before the row was written.
            (Some(media), None) => store.materialise(media, Variant::Original).await?,
            (None, None) => None,
        };
        let Some(file) = file else {
            self.fail(id, LOST).await;
            return Ok(());
        };
        let (digest, probe) = tokio::join!(file.digest(), self.inner.ingest.probe(&file));
        drop(file);
        let (size, sha256) = digest?;
        if size != row.length {
            tracing::error!(upload = %id, size, length = row.length, "a complete upload has the wrong size");
            self.fail(id, LOST).await;
            return Ok(());
        }
        let received = Received {
            size,
            sha256,
            original_filename: row.filename,
            owner: row.owner,
            visibility: row.visibility,
            labels: Vec::new(),
        };
        let ingest = &self.inner.ingest;
        if let Some(existing) = ingest
            .already_in_library(&received)
            .await
            .map_err(ingest_error)?
        {
            // Nothing new is kept: the bytes go, wherever they had got to
            // (a restart may find them moved under a new id without a row).
            if in_partial {
                store.remove_partial(id).await?;
            }
            if let Some(moved) = &row.media_id {
                store.delete_all(moved).await?;
            }
            repo.mark_upload_duplicate(id, &existing, history).await?;
            tracing::info!(upload = %id, id = %existing, size, "upload was already in the library");
            return Ok(());
        }
        let probe = match probe {
            Ok(probe) => probe,
            Err(IngestError::NotMedia(reason)) => {
                tracing::info!(upload = %id, %reason, "an upload is not media");
                self.fail(id, &reason.to_string()).await;
                return Ok(());
            }
            Err(e) => return Err(ingest_error(e)),
        };

        let media = match row.media_id {
            Some(media) => media,
            None => {
                let media = MediaId::generate();
                repo.set_upload_media(id, &media).await?;
                media
            }
        };
        if in_partial {
            store.persist_partial(id, &media).await?;
        }
        ingest
            .record(media.clone(), received, probe)
            .await
            .map_err(ingest_error)?;
        repo.mark_upload_done(id, history).await?;
        tracing::info!(
            upload = %id,
            id = %media,
            size,
            finalised_after_ms = started.elapsed().as_secs_f64() * 1000.0,
            "upload stored"
        );
        Ok(())
    }

    /// Ends an upload as failed: the reason stays for the client to read,
    /// the bytes go (also those already moved into the store without a row).
    pub(super) async fn fail(&self, id: &UploadId, reason: &str) {
        let (repo, store) = (&self.inner.repo, &self.inner.store);
        let history = millis(self.expires_from_now());
        if let Err(e) = repo.mark_upload_failed(id, reason, history).await {
            tracing::error!(upload = %id, "cannot record a failed upload: {e}");
        }
        if let Err(e) = store.remove_partial(id).await {
            tracing::error!(upload = %id, "cannot remove a failed upload's bytes: {e}");
        }
        let row = repo.get_upload(id).await.ok().flatten();
        if let Some(row) = &row {
            self.abort_remote(row).await;
        }
        let moved = row.and_then(|row| row.media_id);
        if let Some(media) = moved
            && matches!(repo.get(&media).await, Ok(None))
            && let Err(e) = store.delete_all(&media).await
        {
            tracing::error!(upload = %id, "cannot remove a failed upload's stored bytes: {e}");
        }
    }
}

/// What finalising makes of an ingest failure that is not the file's fault
/// (a file's own fault, `NotMedia`, is handled where it is seen).
fn ingest_error(e: IngestError) -> UploadError {
    match e {
        IngestError::Store(e) => e.into(),
        IngestError::Db(e) => e.into(),
        IngestError::Media(e) => UploadError::Media(e),
        IngestError::NotMedia(reason) => UploadError::Failed(reason.to_string()),
    }
}

/// Failures that may pass: the database busy past its timeout, storage I/O
/// (a full disk, a hiccup), ffprobe that could not run.
fn is_transient(e: &UploadError) -> bool {
    match e {
        UploadError::Db(db) => db.is_transient(),
        UploadError::Store(_) | UploadError::Media(_) => true,
        _ => false,
    }
}
