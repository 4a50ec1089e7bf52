//! Tests of the repository, each run on both backends: a fresh SQLite file
//! and a fresh PostgreSQL database (`CREATE DATABASE reel_t_…` in the
//! cluster `REEL_TEST_PG_URL` names, so tests run in parallel). Without
//! that variable the PostgreSQL half fails and says how to set it: a
//! backend is never skipped in silence.

use std::future::Future;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

use super::*;

mod library;
mod postgres;
mod queue;
mod rows;
mod sqlite;
mod upload_parts;

/// The cluster tests make their databases in.
pub(crate) const PG_URL_VARIABLE: &str = "REEL_TEST_PG_URL";

/// How to reach the test cluster's maintenance database; panics with the
/// way to start one when none is named.
pub(crate) fn pg_cluster() -> PgConnectOptions {
    let url = std::env::var(PG_URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{PG_URL_VARIABLE} is not set: the repository's tests also run on PostgreSQL. \
             Start a throwaway cluster with `eval \"$(scripts/postgres.sh start)\"` \
             (stop it with `scripts/postgres.sh stop \"$REEL_TEST_PG_DIR\"`), \
             or run scripts/test.sh, which does both"
        )
    });
    PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("{PG_URL_VARIABLE} is not a PostgreSQL URL: {e}"))
}

/// A new, empty database in the test cluster: how to connect to it.
pub(crate) async fn fresh_pg_database() -> PgConnectOptions {
    let cluster = pg_cluster();
    let name = format!("reel_t_{}", MediaId::generate());
    let mut admin = PgConnection::connect_with(&cluster)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the cluster {PG_URL_VARIABLE} names: {e}"));
    // A name made here of hex digits, never input: safe to splice.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    cluster.database(&name)
}

/// A fresh repository of one backend and what keeps it alive.
pub(crate) struct TestRepo {
    pub(crate) backend: &'static str,
    pub(crate) repo: Repo,
    _dir: Option<TempDir>,
}

async fn fresh_sqlite() -> TestRepo {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = Repo::open(&dir.path().join("t.db")).await.expect("db");
    TestRepo {
        backend: "sqlite",
        repo,
        _dir: Some(dir),
    }
}

/// Runs `body` on a fresh SQLite repository, then on a fresh PostgreSQL
/// one. Which backend a failure happened on is in the test's output.
pub(crate) async fn on_both<F, Fut>(body: F)
where
    F: Fn(Repo) -> Fut,
    Fut: Future<Output = ()>,
{
    let sqlite = fresh_sqlite().await;
    eprintln!("-- on {}", sqlite.backend);
    body(sqlite.repo.clone()).await;
    let database = fresh_pg_database().await;
    let postgres = TestRepo {
        backend: "postgres",
        repo: Repo::Postgres(
            PgRepo::connect_with(database.clone())
                .await
                .expect("connect to the test database"),
        ),
        _dir: None,
    };
    eprintln!("-- on {}", postgres.backend);
    body(postgres.repo.clone()).await;
    drop_pg_database(&database).await;
}

/// Removes a test database once its test passed (a failed test's is kept
/// to look at; the cluster goes with `scripts/postgres.sh stop`).
pub(crate) async fn drop_pg_database(database: &PgConnectOptions) {
    let name = database.get_database().expect("a test database");
    let mut admin = PgConnection::connect_with(&pg_cluster())
        .await
        .expect("reach the cluster");
    // A name made by `fresh_pg_database`, never input: safe to splice.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop the test database");
}

impl Repo {
    /// Sets when a job was last served (tests set the clock, not wait for it).
    pub(crate) async fn set_heartbeat(&self, job: i64, at_ms: i64) -> Result<(), DbError> {
        match self {
            Repo::Sqlite(repo) => repo.set_heartbeat(job, at_ms).await,
            Repo::Postgres(repo) => repo.set_heartbeat(job, at_ms).await,
        }
    }
}

#[test]
fn busy_and_locked_databases_are_transient() {
    assert!(DbError::Query(sqlx::Error::PoolTimedOut).is_transient());
    assert!(!DbError::Query(sqlx::Error::RowNotFound).is_transient());
}

/// `--database-url` picks the backend: the data directory's `reel.db` by
/// default, SQLite at a path, and nothing Reel cannot use.
#[tokio::test]
async fn the_database_setting_picks_the_backend() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = Repo::connect(&Database::Sqlite(None), dir.path())
        .await
        .expect("default");
    assert!(matches!(repo, Repo::Sqlite(_)));
    assert!(dir.path().join("reel.db").exists());
    let elsewhere = dir.path().join("rows.db");
    Repo::connect(&Database::Sqlite(Some(elsewhere.clone())), dir.path())
        .await
        .expect("at a path");
    assert!(elsewhere.exists());
    let refused = Repo::connect(&Database::Unsupported, dir.path())
        .await
        .expect_err("unsupported");
    assert!(refused.to_string().contains("--database-url"), "{refused}");
}
