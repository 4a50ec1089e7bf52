//! Resumable uploads into an object store (`--storage s3://…`). The bytes
//! go straight into an S3 multipart upload at the item's original (chosen at
//! creation); rows say which parts are in and hold the bytes short of a
//! whole part (the tail). So any web node can resume an upload, even after
//! the node it started on is gone, and no node's disk holds it.
//!
//! One writer per upload across nodes: a lease in the database (`Lease`),
//! renewed while it writes; a second writer gets 423. A PATCH records its
//! parts and tail in one transaction that names the lease's token, so a
//! writer that lost its lease can never move the offset. Parts a writer
//! stored but did not record are simply stored again under the same number
//! (S3 keeps the last), and joining names each part's ETag, so a stray part
//! can never slip into the file.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::parts::PartWriter;
use super::write::Ended;
use super::{BODY_IDLE, Patch, Progress, Result, UploadError, Uploads, WriteLock, millis};
use crate::model::UploadId;
use crate::server::db::{PartsRecord, RemoteParts, Repo, Upload, now_ms};
use crate::server::store::Variant;

/// How long a writer's claim lasts without renewal: a node that died
/// mid-PATCH holds its uploads this long at most.
const LEASE: Duration = Duration::from_secs(30);

/// A claim on one upload in the database, renewed in the background while
/// held and released on drop. `lost` is cancelled when a renewal finds the
/// claim gone (expired and taken, or the upload deleted).
pub(super) struct Lease {
    repo: Repo,
    id: UploadId,
    token: String,
    lost: CancellationToken,
    renewing: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// The claim, or `None` while another writer holds it.
    pub(super) async fn claim(repo: &Repo, id: &UploadId) -> Result<Option<Lease>> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if !Self::extend(repo, id, &token).await? {
            return Ok(None);
        }
        let lost = CancellationToken::new();
        let renewing = tokio::spawn({
            let (repo, id, token, lost) = (repo.clone(), id.clone(), token.clone(), lost.clone());
            async move {
                let mut tick = tokio::time::interval(LEASE / 3);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    match Self::extend(&repo, &id, &token).await {
                        Ok(true) => {}
                        Ok(false) => break lost.cancel(),
                        // A database hiccup: the lease runs on, try again.
                        Err(e) => {
                            tracing::warn!(upload = %id, "cannot renew an upload's lease: {e}")
                        }
                    }
                }
            }
        });
        Ok(Some(Lease {
            repo: repo.clone(),
            id: id.clone(),
            token,
            lost,
            renewing,
        }))
    }

    /// Lets go now (rather than when a spawned task gets to it), so the
    /// next holder (this upload's finalisation) finds it free.
    pub(super) async fn release(mut self) {
        self.renewing.abort();
        let token = std::mem::take(&mut self.token);
        if let Err(e) = self.repo.release_upload_writer(&self.id, &token).await {
            tracing::warn!(upload = %self.id, "cannot release an upload's lease: {e}");
        }
    }

    async fn extend(repo: &Repo, id: &UploadId, token: &str) -> Result<bool> {
        let now = now_ms();
        let until = now + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        Ok(repo.claim_upload_writer(id, token, now, until).await?)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewing.abort();
        if self.token.is_empty() {
            return; // released
        }
        let (repo, id, token) = (self.repo.clone(), self.id.clone(), self.token.clone());
        tokio::spawn(async move {
            if let Err(e) = repo.release_upload_writer(&id, &token).await {
                // It ends by itself within `LEASE`.
                tracing::warn!(upload = %id, "cannot release an upload's lease: {e}");
            }
        });
    }
}

/// Whether no writer holds a live lease on the upload.
pub(super) fn unclaimed(remote: &RemoteParts) -> bool {
    remote
        .writer
        .as_ref()
        .is_none_or(|(_, until)| *until <= now_ms())
}

impl Uploads {
    /// One PATCH of an upload into an object store; `offset` (checked by the
    /// caller) is where it starts, `room` what is left of its length.
    pub(super) async fn patch_remote<S, E>(
        &self,
        row: &Upload,
        remote: &RemoteParts,
        patch: Patch<S>,
        room: u64,
        lock: Arc<WriteLock>,
    ) -> Result<Progress>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (repo, id) = (&self.inner.repo, &row.id);
        let lease = Lease::claim(repo, id).await?.ok_or(UploadError::Locked)?;
        let media = row.media_id.clone().ok_or(UploadError::NotFound)?;
        let multipart = remote.multipart_id.clone().ok_or(UploadError::Finalising)?;
        let tail = repo.upload_tail(id).await?;
        let store = self.inner.store.clone();
        let mut parts = PartWriter::new(
            store,
            self.inner.spare_parts.clone(),
            (media, multipart),
            remote.part_size,
            remote.parts + 1,
            tail,
        );
        // Parts recorded so far, and parts stored but not yet recorded.
        let mut recorded = remote.parts;
        let mut tags: Vec<String> = Vec::new();
        let mut hasher = patch
            .checksum
            .as_ref()
            .map(|c| super::ChunkHasher::new(c.algorithm));
        let mut body = patch.body;
        let mut written = 0u64;
        let idle = tokio::time::sleep(BODY_IDLE);
        tokio::pin!(idle);
        let ended = loop {
            let next = tokio::select! {
                biased;
                () = lock.cancel.cancelled() => break Ended::Cancelled,
                () = lease.lost.cancelled() => break Ended::LeaseLost,
                landed = parts.landed() => match landed {
                    Ok(()) => None,
                    Err(e) => break Ended::Store(e),
                },
                next = body.next() => Some(next),
                () = &mut idle => break Ended::Interrupted("no data arrived for a minute".into()),
            };
            if let Some(next) = next {
                let bytes = match next {
                    None => break Ended::Complete,
                    Some(Err(e)) => break Ended::Interrupted(e.to_string()),
                    Some(Ok(bytes)) => bytes,
                };
                idle.as_mut().reset(tokio::time::Instant::now() + BODY_IDLE);
                if written + bytes.len() as u64 > room {
                    break Ended::PastLength;
                }
                written += bytes.len() as u64;
                if let Some(hasher) = hasher.as_mut() {
                    hasher.update(&bytes);
                }
                if let Err(e) = parts.push(bytes).await {
                    break Ended::Store(e);
                }
            }
            tags.extend(parts.take_stored());
            // Without a checksum, what arrived counts as it arrives: each
            // part stored is recorded (the tail is still in memory, so the
            // recorded offset ends at the part), and a crash loses only
            // the bytes since.
            if hasher.is_none() && !tags.is_empty() {
                let record = PartsRecord {
                    token: &lease.token,
                    after: recorded,
                    tags: &tags,
                    tail: &[],
                    complete: false,
                    expires_at: millis(self.expires_from_now()),
                };
                if !repo.record_upload_parts(id, &record).await? {
                    break Ended::LeaseLost;
                }
                recorded += tags.len() as u32;
                tags.clear();
            }
        };
        // The part in flight, whatever ended the body: stored, or its bytes
        // back in the tail.
        let ended = match (parts.settle().await, ended) {
            (Err(e), Ended::Complete | Ended::Interrupted(_)) => Ended::Store(e),
            (_, ended) => ended,
        };
        tags.extend(parts.take_stored());
        let buffer = parts.tail();
        let verified = ended.verified(hasher, patch.checksum.as_ref());
        // What arrived is kept unless it must be verified whole or overflows;
        // bytes a part could not store stay in the tail.
        let keep = verified
            && matches!(
                ended,
                Ended::Complete | Ended::Interrupted(_) | Ended::Store(_)
            );
        let expires = self.expires_from_now();
        let (mut offset, mut complete) = (remote.offset(), false);
        if keep {
            let moved = u64::from(recorded) + tags.len() as u64;
            offset = moved * remote.part_size + buffer.len() as u64;
            complete = offset == row.length;
            let record = PartsRecord {
                token: &lease.token,
                after: recorded,
                tags: &tags,
                tail: buffer,
                complete,
                expires_at: millis(expires),
            };
            if !repo.record_upload_parts(id, &record).await? {
                return Err(UploadError::Locked);
            }
        } else {
            if recorded > remote.parts {
                offset = u64::from(recorded) * remote.part_size;
            }
            repo.upload_received(id, false, millis(expires)).await?;
        }
        lease.release().await;
        drop(lock);
        if complete {
            self.spawn_finalise(id.clone());
        }
        let progress = Progress {
            offset,
            expires: (!complete).then_some(expires),
        };
        ended.answer(verified, progress, row.length)
    }

    /// Finalising, first step: the tail goes in as the last part and the
    /// parts are joined into the item's original. Done once per upload
    /// (recorded); the caller holds the upload's lease.
    pub(super) async fn assemble(&self, row: &Upload, remote: &RemoteParts) -> Result<()> {
        let (repo, store) = (&self.inner.repo, &self.inner.store);
        let media = row.media_id.as_ref().ok_or(UploadError::NotFound)?;
        match &remote.multipart_id {
            Some(multipart) => {
                let mut tags = repo.upload_part_tags(&row.id).await?;
                let tail = repo.upload_tail(&row.id).await?;
                if !tail.is_empty() {
                    let number = tags.len() as u32 + 1;
                    tags.push(
                        store
                            .put_part(media, multipart, number, vec![tail.into()])
                            .await?,
                    );
                }
                store
                    .complete_multipart(media, multipart, tags, row.length)
                    .await?;
                repo.upload_assembled(&row.id).await?;
            }
            None if row.length == 0 && store.source(media, Variant::Original).await?.is_none() => {
                store.write_small(media, Variant::Original, &[]).await?;
            }
            None => {}
        }
        Ok(())
    }

    /// Drops an upload's multipart upload (termination, expiry, failure).
    pub(super) async fn abort_remote(&self, row: &Upload) {
        if let (
            Some(media),
            Some(RemoteParts {
                multipart_id: Some(multipart),
                ..
            }),
        ) = (&row.media_id, &row.remote)
            && let Err(e) = self.inner.store.abort_multipart(media, multipart).await
        {
            // What is left costs space until the bucket's lifecycle rule
            // for incomplete multipart uploads removes it.
            tracing::warn!(upload = %row.id, "cannot abort an upload's multipart upload: {e}");
        }
    }

    /// Uploads being finalised whose finaliser is gone (a node died): any
    /// node takes them up (finalising claims the lease first).
    pub(super) async fn resume_abandoned(&self) -> Result<usize> {
        let mut resumed = 0;
        let rows = self
            .inner
            .repo
            .uploads_in_state(crate::server::db::UploadState::Finalising)
            .await?;
        for row in rows {
            if row.remote.as_ref().is_some_and(unclaimed) {
                tracing::info!(upload = %row.id, "finalising an upload another node left");
                self.spawn_finalise(row.id);
                resumed += 1;
            }
        }
        Ok(resumed)
    }
}
