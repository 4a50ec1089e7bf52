//! The integration suite's second run (`scripts/test.sh`): with
//! `REEL_TEST_SHARED_S3` set (an s3s-fs endpoint the script started, next to
//! its PostgreSQL cluster), every test server keeps its rows in a fresh
//! PostgreSQL database and its files under a fresh prefix of that S3
//! server's bucket, as a node of a multi-node setup does. A restarted server
//! (same data directory) finds the same database and prefix again.
//!
//! Tests of what exists only with local disk and SQLite (the direct
//! `sendfile` path, a full disk, the database file itself, the start-up
//! sweep) start with `local_only!()` and return at once in this run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use reel::server::{Config, Database, Secret, parse_storage};

use super::postgres::fresh_database;
use super::s3::{BUCKET, KEY_ID, SECRET};

/// The S3 endpoint of the shared run, when this is it.
fn endpoint() -> Option<String> {
    std::env::var("REEL_TEST_SHARED_S3")
        .ok()
        .filter(|e| !e.is_empty())
}

/// Whether test servers run on PostgreSQL and S3 (the second run).
pub(crate) fn enabled() -> bool {
    endpoint().is_some()
}

/// Each data directory's database and bucket prefix, for restarts.
static PLACES: Mutex<Option<HashMap<PathBuf, (String, String)>>> = Mutex::new(None);

/// Returns from a test that checks what exists only with local disk and
/// SQLite, in the shared run.
macro_rules! local_only {
    () => {
        if crate::common::shared::enabled() {
            eprintln!("local disk and SQLite only: not in the PostgreSQL + S3 run");
            return;
        }
    };
}
pub(crate) use local_only;

/// Points `config` at PostgreSQL and S3 in the shared run, and says where
/// the S3 server keeps this server's objects (its root is a plain folder,
/// `REEL_TEST_SHARED_S3_ROOT`); nothing otherwise.
pub(crate) async fn configure(dir: &Path, config: &mut Config) -> Option<PathBuf> {
    let endpoint = endpoint()?;
    let known = PLACES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .get(dir)
        .cloned();
    let (database, prefix) = match known {
        Some(place) => place,
        None => {
            let place = (
                fresh_database().await,
                format!("t{}", reel::testing::fresh_media_id()),
            );
            PLACES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(HashMap::new)
                .insert(dir.to_path_buf(), place.clone());
            place
        }
    };
    config.database_url = Database::Postgres(Secret::new(&database));
    config.storage = parse_storage(&format!("s3://{BUCKET}/{prefix}")).expect("storage");
    config.s3.endpoint = Some(endpoint);
    config.s3.region = "us-east-1".into();
    config.s3.access_key_id = Some(KEY_ID.into());
    config.s3.secret_access_key = Some(Secret::new(SECRET));
    let root = std::env::var("REEL_TEST_SHARED_S3_ROOT").expect("REEL_TEST_SHARED_S3_ROOT");
    Some(PathBuf::from(root).join(BUCKET).join(prefix).join("media"))
}

/// The settings `configure` gave the server on `dir`, as a `reel`
/// command's arguments and environment (a command run beside it must reach
/// the same rows and bytes); nothing outside the shared run.
pub(crate) fn command_settings(dir: &Path) -> (Vec<String>, Vec<(&'static str, String)>) {
    let Some(endpoint) = endpoint() else {
        return (Vec::new(), Vec::new());
    };
    let (database, prefix) = PLACES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .get(dir)
        .cloned()
        .expect("a server was started on this data directory");
    let args = vec![
        "--database-url".to_string(),
        database,
        "--storage".to_string(),
        format!("s3://{BUCKET}/{prefix}"),
    ];
    let env = vec![
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
    ];
    (args, env)
}
