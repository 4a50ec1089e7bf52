//! What must hold after every crash and restart: the database is intact,
//! nothing answered is lost, nothing half-sent became an item, no job is
//! stuck, and files and rows match one for one.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reel::model::UploadPhase;
use reqwest::StatusCode;
use sqlx::Connection;

use super::traffic::{Ledger, sha256_hex};
use crate::common::tus::Tus;

async fn connect(data: &Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite:{}", data.join("reel.db").display());
    sqlx::SqliteConnection::connect(&url).await.expect("db")
}

/// Three columns of a row; queries that need fewer pad with NULL.
type Row = (String, String, Option<String>);

async fn rows(data: &Path, sql: &'static str) -> Vec<Row> {
    let mut conn = connect(data).await;
    let found = sqlx::query_as(sql).fetch_all(&mut conn).await.expect(sql);
    conn.close().await.expect("close");
    found
}

/// `PRAGMA integrity_check` on the file as the crash left it.
pub(super) async fn database_is_intact(data: &Path) {
    let mut conn = connect(data).await;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity_check");
    conn.close().await.expect("close");
    assert_eq!(verdict, "ok");
}

/// Waits (polling: another process's database, nothing to await) until
/// nothing is queued, running, processing or finalising; on a timeout the
/// panic lists what is still busy.
async fn every_job_ends(data: &Path) {
    const BUSY: &str = "SELECT 'job ' || id, kind || ' ' || state || ' attempts ' || attempts,
                               media_id || ' run_after ' || run_after || ' heartbeat ' || heartbeat_at
                        FROM jobs WHERE state IN ('queued', 'running')
                        UNION ALL SELECT 'item ' || id, state, NULL FROM media WHERE state = 'processing'
                        UNION ALL SELECT 'upload ' || id, state, media_id FROM uploads
                                  WHERE state = 'finalising'";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let busy = rows(data, BUSY).await;
        if busy.is_empty() {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("still busy after 180 s: {busy:#?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until nothing is queued, running, processing or finalising, then
/// checks the invariants; a line for the log.
pub(super) async fn check_after_restart(
    client: &reqwest::Client,
    origin: &str,
    data: &Path,
    ledger: &Arc<Mutex<Ledger>>,
) -> String {
    every_job_ends(data).await;
    database_is_intact(data).await;

    let tus = Tus {
        client: client.clone(),
        origin: origin.to_string(),
    };
    let acknowledged: Vec<(String, String)> = ledger
        .lock()
        .expect("ledger")
        .tus_complete
        .drain()
        .collect();
    for (upload, sha) in acknowledged {
        match tus.wait_finalised(&upload).await.phase {
            UploadPhase::Done { media_id, .. } => {
                let mut ledger = ledger.lock().expect("ledger");
                ledger.stored.insert(media_id.to_string(), sha);
            }
            other => panic!("a complete tus upload {upload} ended {other:?}"),
        }
    }

    let (stored, deleted, delete_sent, sent) = {
        let ledger = ledger.lock().expect("ledger");
        (
            ledger.stored.clone(),
            ledger.deleted.clone(),
            ledger.delete_sent.clone(),
            ledger.sent.clone(),
        )
    };
    for (id, sha) in &stored {
        let answer = client
            .get(format!("{origin}/files/{id}/original"))
            .send()
            .await
            .expect("get");
        if deleted.contains(id) {
            assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{id} was deleted");
            continue;
        }
        // Deleted, perhaps, by a request the crash left unanswered.
        if delete_sent.contains(id) && answer.status() == StatusCode::NOT_FOUND {
            continue;
        }
        assert_eq!(
            answer.status(),
            StatusCode::OK,
            "{id} was answered as stored (deletion sent: {})",
            delete_sent.contains(id)
        );
        let body = answer.bytes().await.expect("body");
        assert_eq!(&sha256_hex(&body), sha, "{id} hashes as sent");
    }

    let items = rows(data, "SELECT id, state, failure_reason FROM media").await;
    let mut failed = 0;
    for (id, state, reason) in &items {
        match state.as_str() {
            "ready" => {}
            "failed" => {
                failed += 1;
                assert!(reason.as_deref().is_some_and(|r| !r.is_empty()), "{id}");
            }
            other => panic!("{id} is stuck in {other}"),
        }
    }
    let uploaded = rows(
        data,
        "SELECT id, sha256, failure_reason FROM media WHERE edit_summary IS NULL",
    )
    .await;
    for (id, sha, reason) in &uploaded {
        assert!(sent.contains(sha), "{id} is not a whole file that was sent");
        // Every file sent is good media: a crash must not make one fail.
        assert_eq!(reason, &None, "{id} failed");
    }
    // A failed edit keeps its row, to say why, and never had files.
    let failed_edits = rows(
        data,
        "SELECT id, state, failure_reason FROM media
         WHERE edit_summary IS NOT NULL AND state = 'failed'",
    )
    .await;
    files_match_rows(data, &items, &failed_edits).await;
    format!(
        "{} items ({} uploaded, {failed} failed with a reason), {} answered as stored, {} deleted",
        items.len(),
        uploaded.len(),
        stored.len(),
        deleted.len()
    )
}

/// Every item (but a failed edit) has its folder with its original, every
/// folder an item, every partial file an upload still receiving, and no
/// scratch file is left.
async fn files_match_rows(data: &Path, items: &[Row], failed_edits: &[Row]) {
    let files = data.join("files");
    let mut folders = HashSet::new();
    for shard in std::fs::read_dir(files.join("media"))
        .expect("media")
        .flatten()
    {
        for folder in std::fs::read_dir(shard.path()).expect("shard").flatten() {
            folders.insert(folder.file_name().to_string_lossy().into_owned());
        }
    }
    let ids: HashSet<String> = items.iter().map(|(id, ..)| id.clone()).collect();
    let without_files: HashSet<String> = failed_edits.iter().map(|(id, ..)| id.clone()).collect();
    assert!(folders.is_subset(&ids), "folders without a row");
    let missing: Vec<&String> = ids.difference(&folders).collect();
    assert!(
        missing.iter().all(|id| without_files.contains(*id)),
        "rows without a folder: {missing:?}"
    );
    for id in &folders {
        let original = files.join("media").join(&id[..2]).join(id).join("original");
        assert!(original.is_file(), "{id} has its original");
    }
    let receiving: HashSet<String> = rows(
        data,
        "SELECT id, state, NULL FROM uploads WHERE state = 'receiving'",
    )
    .await
    .into_iter()
    .map(|(id, ..)| id)
    .collect();
    let partial: HashSet<String> = std::fs::read_dir(files.join("partial"))
        .expect("partial")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(partial, receiving, "partial files and receiving uploads");
    let scratch = reel::testing::scratch_names(data);
    assert!(scratch.is_empty(), "scratch files left: {scratch:?}");
}
