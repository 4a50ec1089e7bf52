//! Unit tests of the repository's transactions.

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

/// One person's many queued jobs do not hold up another person's one: the
/// next claim goes to whoever has fewer running and was served longer ago.
#[tokio::test]
async fn owners_take_turns_at_the_queue() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = Repo::open(&dir.path().join("t.db")).await.expect("db");
    let mut owner = Vec::new();
    for name in ["flood", "bystander"] {
        let id = repo
            .create_user(name, "x", crate::accounts::Role::Member, None)
            .await
            .expect("user")
            .expect("new");
        owner.push(id);
    }
    let queue = |who: &UserId, title: &str| NewMedia {
        owner: Some(who.clone()),
        ..NewMedia::example(title, MediaKind::Audio)
    };
    let mut flood = Vec::new();
    for n in 0..3 {
        let item = repo
            .insert(
                &queue(&owner[0], &format!("f{n}")),
                &[NewJob::plain(JobKind::Waveform)],
            )
            .await
            .expect("insert");
        flood.push(item.item.id);
    }
    let claim = || async {
        repo.claim_job()
            .await
            .expect("claim")
            .expect("a job is due")
    };
    // Only the flood is queued: its oldest goes first.
    let first = claim().await;
    assert_eq!(first.media_id, flood[0]);
    let queue_theirs = |title: &'static str| {
        let new = queue(&owner[1], title);
        let repo = repo.clone();
        async move {
            let jobs = [NewJob::plain(JobKind::Waveform)];
            repo.insert(&new, &jobs).await.expect("insert").item.id
        }
    };
    let theirs = queue_theirs("b1").await;
    // The flood has a job running: the bystander's later job goes next.
    let second = claim().await;
    assert_eq!(second.media_id, theirs);
    // Both done, the flood served first (the clock is set, not waited for):
    // with nothing running, whoever was served longer ago goes next.
    for (job, served) in [(first.id, 1_000), (second.id, 2_000)] {
        assert!(repo.finish_job(job).await.expect("finish"));
        sqlx::query("UPDATE jobs SET heartbeat_at = ? WHERE id = ?")
            .bind(served)
            .bind(job)
            .execute(&repo.pool)
            .await
            .expect("set the clock");
    }
    let later = queue_theirs("b2").await;
    assert_eq!(claim().await.media_id, flood[1]);
    assert_eq!(claim().await.media_id, later);
    assert_eq!(claim().await.media_id, flood[2]);
}
