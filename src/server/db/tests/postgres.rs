//! What only PostgreSQL does: several nodes on one queue. Claims skip the
//! rows another transaction holds (`SKIP LOCKED`), and a worker that lost
//! its claim can write nothing (fencing). Each "node" is a repository with
//! its own connection pool on the same database.

use std::collections::HashSet;
use std::time::Duration;

use super::*;
use crate::model::MediaKind;

/// Two nodes on one fresh database, and the database.
async fn two_nodes() -> (PgRepo, PgRepo, PgConnectOptions) {
    let database = fresh_pg_database().await;
    let one = PgRepo::connect_with(database.clone())
        .await
        .expect("node 1");
    let two = PgRepo::connect_with(database.clone())
        .await
        .expect("node 2");
    (one, two, database)
}

async fn queue(repo: &PgRepo, items: usize) {
    for n in 0..items {
        repo.insert(
            &NewMedia::example(&format!("q{n}"), MediaKind::Audio),
            &[NewJob::plain(JobKind::Waveform)],
        )
        .await
        .expect("insert");
    }
}

/// A claim does not wait for, nor take, a job another transaction has
/// locked: it takes the next one at once.
#[tokio::test]
async fn a_claim_skips_a_job_another_transaction_holds() {
    let database = fresh_pg_database().await;
    let repo = PgRepo::connect_with(database.clone()).await.expect("node");
    queue(&repo, 2).await;
    let mut other = PgConnection::connect_with(&database)
        .await
        .expect("connect");
    let mut held = other.begin().await.expect("begin");
    let (first,): (i64,) = sqlx::query_as("SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE")
        .fetch_one(&mut *held)
        .await
        .expect("lock the first job");
    // A generous bound: a claim that waited for the lock would wait forever.
    let claimed = tokio::time::timeout(Duration::from_secs(10), repo.claim_job())
        .await
        .expect("the claim did not wait for the held row")
        .expect("claim")
        .expect("the second job is due");
    assert_ne!(claimed.id, first);
    assert!(repo.claim_job().await.expect("claim").is_none());
    held.rollback().await.expect("release");
    assert_eq!(
        repo.claim_job().await.expect("claim").expect("due").id,
        first
    );
    drop_pg_database(&database).await;
}

/// Many concurrent claims from two nodes: every job is taken exactly once.
#[tokio::test]
async fn concurrent_claims_never_take_the_same_job() {
    let (one, two, database) = two_nodes().await;
    const JOBS: usize = 40;
    queue(&one, JOBS).await;
    let mut claimers = tokio::task::JoinSet::new();
    for n in 0..8 {
        let node = if n % 2 == 0 { one.clone() } else { two.clone() };
        claimers.spawn(async move {
            let mut taken = Vec::new();
            while let Some(job) = node.claim_job().await.expect("claim") {
                taken.push(job.id);
            }
            taken
        });
    }
    let mut all = Vec::new();
    while let Some(taken) = claimers.join_next().await {
        all.extend(taken.expect("claimer"));
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), JOBS, "claims: {all:?}");
    assert_eq!(distinct.len(), JOBS);
    drop_pg_database(&database).await;
}

/// A node whose job was requeued as stale and claimed by another node can
/// no longer write it: its heartbeat, finish and failure change nothing.
#[tokio::test]
async fn a_fenced_out_worker_writes_nothing() {
    let (one, two, database) = two_nodes().await;
    queue(&one, 1).await;
    let lost = one.claim_job().await.expect("claim").expect("due");
    assert!(one.heartbeat(lost.id, 0.25, Some(9.0)).await.expect("beat"));
    // Node 1 went quiet: any node requeues the job, node 2 takes it.
    assert_eq!(
        two.requeue_stale_jobs(i64::MAX)
            .await
            .expect("requeue")
            .len(),
        1
    );
    let taken = two.claim_job().await.expect("claim").expect("requeued");
    assert_eq!((taken.id, taken.attempts), (lost.id, 2));
    assert!(two.heartbeat(taken.id, 0.5, Some(1.0)).await.expect("beat"));

    assert!(!one.heartbeat(lost.id, 0.99, None).await.expect("beat"));
    assert!(!one.finish_job(lost.id).await.expect("finish"));
    assert!(!one.fail_job(lost.id, "lost", None).await.expect("fail"));
    let status = &two.jobs_of(&taken.media_id).await.expect("jobs")[0];
    assert_eq!(
        (status.state, status.progress, status.last_error.clone()),
        (JobState::Running, Some(0.5), None)
    );
    assert!(two.finish_job(taken.id).await.expect("finish"));
    assert_eq!(
        two.jobs_of(&taken.media_id).await.expect("jobs")[0].state,
        JobState::Done
    );
    drop_pg_database(&database).await;
}

/// Errors PostgreSQL reports are classed as SQLite's are: a lost race is
/// worth retrying, a full disk is said so.
#[tokio::test]
async fn postgres_errors_are_classified() {
    let database = fresh_pg_database().await;
    let mut connection = PgConnection::connect_with(&database)
        .await
        .expect("connect");
    let raised = |state: &'static str| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{state}'; END $$"
        )))
    };
    let error = raised("40001")
        .execute(&mut connection)
        .await
        .expect_err("raised");
    assert!(DbError::Query(error).is_transient());
    let error = raised("40P01")
        .execute(&mut connection)
        .await
        .expect_err("raised");
    assert!(DbError::Query(error).is_transient());
    let error = raised("53100")
        .execute(&mut connection)
        .await
        .expect_err("raised");
    let error = DbError::Query(error);
    assert!(error.is_disk_full() && !error.is_transient());
    let error = raised("23505")
        .execute(&mut connection)
        .await
        .expect_err("raised");
    assert!(!DbError::Query(error).is_transient());
    drop(connection);
    drop_pg_database(&database).await;
}

/// An unreachable server stops start-up with the setting named and no password.
#[tokio::test]
async fn an_unreachable_server_names_the_setting() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = crate::server::config::Secret::new(format!(
        "postgres://reel:hunter2@127.0.0.1:{port}/reel"
    ));
    let error = PgRepo::connect(&url).await.expect_err("nothing listens");
    let text = error.to_string();
    assert!(
        text.contains("--database-url") && !text.contains("hunter2"),
        "{text}"
    );
}

/// A job queued on one node wakes the other node's listener (the trigger's
/// `NOTIFY` at commit), and so does a job requeued after its lease ran out.
#[tokio::test]
async fn a_job_queued_on_one_node_notifies_the_others() {
    let (one, two, database) = two_nodes().await;
    let mut listener = one.listen(QUEUE_CHANNEL).await.expect("listen");
    queue(&two, 1).await;
    // A generous bound: without the notification this never returns.
    tokio::time::timeout(Duration::from_secs(10), listener.next())
        .await
        .expect("node 1 heard of the job node 2 queued")
        .expect("notification");
    let job = one.claim_job().await.expect("claim").expect("due");
    let repo = Repo::Postgres(two.clone());
    assert!(repo.listen(QUEUE_CHANNEL).await.expect("listen").is_some());
    assert!(!repo.is_embedded());
    one.requeue_stale_jobs(i64::MAX).await.expect("requeue");
    tokio::time::timeout(Duration::from_secs(10), listener.next())
        .await
        .expect("a requeued job is announced")
        .expect("notification");
    assert_eq!(
        one.claim_job().await.expect("claim").expect("due").media_id,
        job.media_id
    );
    drop_pg_database(&database).await;
}
