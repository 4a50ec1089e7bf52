//! Unit tests of the repository's transactions.

use std::time::Duration;

use sqlx::Connection;

use super::*;
use crate::model::{MediaKind, PlaySource};

fn new_media() -> NewMedia {
    NewMedia {
        id: MediaId::generate(),
        title: "t".into(),
        original_filename: "t.wav".into(),
        size_bytes: 1,
        sha256: "0".repeat(64),
        facts: MediaFacts {
            kind: MediaKind::Audio,
            container: "wav".into(),
            content_type: "audio/wav".into(),
            duration_secs: Some(1.0),
            width: None,
            height: None,
            video_codec: None,
            audio_codec: Some("pcm_s16le".into()),
            cover_stream: None,
        },
        play: Some(PlaySource::Original),
    }
}

/// Another process (or connection) holding the write lock makes a writer
/// wait, not fail: the busy timeout covers it because every write
/// transaction asks for the lock first.
#[tokio::test]
async fn a_writer_waits_for_the_lock_instead_of_failing() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.db");
    let repo = Repo::open(&path).await.expect("db");
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("second connection");
    // A reader that then writes, as a deferred transaction would: with the
    // lock taken first this can never refuse the repository's writes.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("lock");
    let mut insert = tokio::spawn({
        let repo = repo.clone();
        async move {
            repo.insert(&new_media(), &[NewJob::plain(JobKind::Poster)])
                .await
        }
    });
    let early = tokio::time::timeout(Duration::from_millis(300), &mut insert).await;
    assert!(
        early.is_err(),
        "the insert did not wait for the lock: {early:?}"
    );
    sqlx::query("COMMIT")
        .execute(&mut other)
        .await
        .expect("unlock");
    let item = insert.await.expect("task").expect("the insert succeeds");
    assert_eq!(repo.jobs_of(&item.id).await.expect("jobs").len(), 1);
}

#[test]
fn every_write_transaction_takes_the_lock_first() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/db");
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

#[test]
fn busy_and_locked_databases_are_transient() {
    assert!(DbError::Query(sqlx::Error::PoolTimedOut).is_transient());
    assert!(!DbError::Query(sqlx::Error::RowNotFound).is_transient());
}
