//! Finalisation: once its last byte is in, an upload becomes a library item,
//! after the PATCH that completed it has been answered. Each step is recorded
//! before the next, so a restart mid-way finishes the same item: the media id
//! is saved before the bytes move, and the item's row is looked for before it
//! is inserted. Bytes that are not media end the upload as failed, removed.

use std::time::Instant;

use super::uploads::{Uploads, millis};
use crate::server::db::UploadState;
use crate::server::error::Error;
use crate::server::ingest::{IngestError, Received};
use crate::server::store::{MediaId, UploadId, Variant};

const LOST: &str = "The uploaded bytes were lost on the server. Upload the file again.";
const BROKEN: &str = "Reel could not store this upload. Upload the file again.";

impl Uploads {
    /// Finalises in the background; a panic is contained in its own task.
    pub(super) fn spawn_finalise(&self, id: UploadId) {
        self.inner.finalising.send_modify(|n| *n += 1);
        let this = self.clone();
        tokio::spawn(async move {
            let job = tokio::spawn({
                let this = this.clone();
                let id = id.clone();
                async move { this.finalise(&id).await }
            });
            let failed = match job.await {
                Ok(Ok(())) => false,
                Ok(Err(e)) => {
                    tracing::error!(upload = %id, "cannot finalise an upload: {e}");
                    true
                }
                Err(e) => {
                    tracing::error!(upload = %id, "finalising an upload panicked: {e}");
                    true
                }
            };
            if failed {
                this.fail(&id, BROKEN).await;
            }
            this.inner
                .finalising
                .send_modify(|n| *n = n.saturating_sub(1));
        });
    }

    async fn finalise(&self, id: &UploadId) -> Result<(), Error> {
        let (repo, store) = (&self.inner.repo, &self.inner.store);
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

        let started = Instant::now();
        let in_partial = store.partial_len(id).await?.is_some();
        let path = match (&row.media_id, in_partial) {
            (_, true) => store.partial_path(id),
            (Some(media), false)
                if store
                    .open_variant(media, Variant::Original)
                    .await?
                    .is_some() =>
            {
                store.path(media, Variant::Original)
            }
            _ => {
                self.fail(id, LOST).await;
                return Ok(());
            }
        };
        let (digest, probe) = tokio::join!(store.digest(&path), self.inner.ingest.probe(&path));
        let (size, sha256) = digest?;
        if size != row.length {
            tracing::error!(upload = %id, size, length = row.length, "a complete upload has the wrong size");
            self.fail(id, LOST).await;
            return Ok(());
        }
        let probe = match probe {
            Ok(probe) => probe,
            Err(IngestError::NotMedia(reason)) => {
                tracing::info!(upload = %id, %reason, "an upload is not media");
                self.fail(id, &reason.to_string()).await;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
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
        let received = Received {
            size,
            sha256,
            original_filename: row.filename,
        };
        self.inner
            .ingest
            .record(media.clone(), received, probe)
            .await?;
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
        let moved = match repo.get_upload(id).await {
            Ok(Some(row)) => row.media_id,
            _ => None,
        };
        if let Some(media) = moved
            && matches!(repo.get(&media).await, Ok(None))
            && let Err(e) = store.delete_all(&media).await
        {
            tracing::error!(upload = %id, "cannot remove a failed upload's stored bytes: {e}");
        }
    }
}
