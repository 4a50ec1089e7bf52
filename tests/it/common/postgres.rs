//! Databases in the throwaway PostgreSQL cluster that `scripts/test.sh`
//! starts (`scripts/postgres.sh`), one per test.

use sqlx::Connection;

/// A new, empty database in the test cluster, as a `--database-url`.
pub(crate) async fn fresh_database() -> String {
    let cluster = std::env::var("REEL_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "REEL_TEST_PG_URL is not set: start a throwaway PostgreSQL with \
             `eval \"$(scripts/postgres.sh start)\"`, or run scripts/test.sh"
        )
    });
    let (server, _) = cluster
        .rsplit_once('/')
        .expect("REEL_TEST_PG_URL ends in a database name");
    let name = format!("reel_it_{}", reel::testing::fresh_media_id());
    let mut admin = sqlx::PgConnection::connect(&cluster)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the cluster REEL_TEST_PG_URL names: {e}"));
    // A name made here of hex digits, never input: safe to splice.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    format!("{server}/{name}")
}
