//! Unit tests of resumable uploads that need the parts below the service.

use std::time::Duration;

use super::*;
use crate::model::UploadPhase;
use crate::server::events::Events;
use crate::server::jobs::{Jobs, Settings};
use crate::server::media::Media;
use bytes::Bytes;

async fn uploads(dir: &std::path::Path, busy: Duration) -> Uploads {
    let repo = Repo::open_with(&dir.join("t.db"), busy).await.expect("db");
    let store = Store::open_local(dir.join("files")).await.expect("store");
    let media = Media::new(1, Duration::from_secs(60));
    let jobs = Jobs::new(
        repo.clone(),
        store.clone(),
        media.clone(),
        Events::new(),
        Settings::default(),
    );
    let ingest = Ingest::new(repo.clone(), store.clone(), media, jobs);
    Uploads::new(repo, store, ingest, 1 << 30, Duration::from_secs(3600))
}

/// The database busy past its timeout when the last byte is in: the
/// upload is finalised once it is free again, not failed and lost.
#[tokio::test]
async fn finalising_waits_out_a_busy_database() {
    let dir = tempfile::tempdir().expect("tmp");
    let uploads = uploads(dir.path(), Duration::from_millis(100)).await;
    let wav = crate::testing::media::tone_wav(dir.path(), 1);
    let bytes = std::fs::read(&wav).expect("wav");
    let metadata = Metadata {
        filename: Some("tone.wav".into()),
        filetype: None,
        visibility: None,
    };
    let created = uploads
        .create(bytes.len() as u64, metadata, None, Visibility::Private)
        .await
        .expect("create");

    // All the bytes are in; another connection holds the write lock when
    // finalisation starts (as a crash-restart would start it).
    let mut writer = uploads
        .inner
        .store
        .append_partial(&created.id, std::sync::Arc::new(()))
        .await
        .expect("partial");
    writer.write(Bytes::from(bytes)).await.expect("write");
    writer.flush().await.expect("flush");
    uploads
        .inner
        .repo
        .upload_received(&created.id, true, i64::MAX)
        .await
        .expect("complete");
    let held = crate::testing::HeldWriteLock::take(&dir.path().join("t.db")).await;
    let mut retried = uploads.inner.retried.subscribe();
    uploads.spawn_finalise(created.id.clone());
    retried
        .wait_for(|n| *n >= 1)
        .await
        .expect("a busy attempt was tried again");
    held.release().await;
    uploads.wait_idle().await;

    let status = uploads
        .status(&created.id)
        .await
        .expect("status")
        .expect("known");
    assert!(
        matches!(status.phase, UploadPhase::Done { .. }),
        "{status:?}"
    );
}
