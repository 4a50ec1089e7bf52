//! What only SQLite has: one writer at a time, and the lock taken first.

use std::time::Duration;

use super::*;
use crate::model::MediaKind;

/// Another process (or connection) holding the write lock makes a writer
/// wait, not fail: the busy timeout covers it because every write
/// transaction asks for the lock first.
#[tokio::test]
async fn a_writer_waits_for_the_lock_instead_of_failing() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.db");
    let repo = Repo::open(&path).await.expect("db");
    let held = crate::testing::HeldWriteLock::take(&path).await;
    let mut insert = tokio::spawn({
        let repo = repo.clone();
        async move {
            repo.insert(
                &NewMedia::example("t", MediaKind::Audio),
                &[NewJob::plain(JobKind::Poster)],
            )
            .await
        }
    });
    let early = tokio::time::timeout(Duration::from_millis(300), &mut insert).await;
    assert!(
        early.is_err(),
        "the insert did not wait for the lock: {early:?}"
    );
    held.release().await;
    let item = insert.await.expect("task").expect("the insert succeeds");
    assert_eq!(repo.jobs_of(&item.item.id).await.expect("jobs").len(), 1);
}

#[test]
fn every_write_transaction_takes_the_lock_first() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/db/sqlite");
    for entry in std::fs::read_dir(dir).expect("db sources") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains(&[".pool.begin", "()"].concat()),
            "{} opens a deferred transaction: use write_transaction",
            path.display()
        );
    }
}
