//! `reel database copy`: every row of the embedded SQLite database into an
//! empty PostgreSQL database, for a library moving to several nodes. All of
//! it happens in one PostgreSQL transaction, checked before it commits: each
//! table's rows are read back and their SHA-256 compared with the source's
//! (both sides read into the same typed values, `values`), so the target
//! either holds the whole library, verified, or nothing of it.
//!
//! What is not copied, and why: uploads whose bytes are still arriving
//! (their bytes are in this machine's partial area; their clients start
//! them again) and what PostgreSQL derives itself (search). Jobs that were
//! running are queued again, as a restart would.

mod tables;
mod target;
mod values;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, Transaction};
use time::OffsetDateTime;

use super::{DbError, PgRepo, SqliteRepo, now_ms};
use crate::server::config::{Secret, redacted};
use tables::{COPIED, Fate, Table, UNFINISHED_UPLOADS};
use values::{RowDigest, Value, ValueError};

/// Bound values per INSERT: well under PostgreSQL's 65 535 parameters.
const VALUES_PER_INSERT: usize = 30_000;
/// Rows per INSERT at most, however narrow the table.
const ROWS_PER_INSERT: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CopyError {
    #[error("there is no SQLite database at {0}: nothing to copy")]
    NoSource(String),
    #[error("--to is not a valid postgres://USER@HOST:PORT/DATABASE URL")]
    TargetUrl,
    /// `url` has no password (`redacted`).
    #[error("--to: cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the SQLite database has tables this version of Reel does not know how to copy: \
         {0}; nothing was copied"
    )]
    UnknownTables(String),
    #[error(
        "the SQLite table {table} has columns this version of Reel does not know how to \
         copy: {columns}; nothing was copied"
    )]
    UnknownColumns { table: String, columns: String },
    #[error("the target database already holds a library ({0}): copy only into an empty one")]
    NotEmpty(String),
    #[error("{table} {key}, column {column}: {source}")]
    Value {
        table: &'static str,
        key: String,
        column: &'static str,
        #[source]
        source: ValueError,
    },
    #[error(
        "the rows of {table} read back from PostgreSQL differ from SQLite's \
         ({copied} rows copied, {read} read back; SHA-256 {expected} against {found})"
    )]
    Mismatch {
        table: &'static str,
        copied: u64,
        read: u64,
        expected: String,
        found: String,
    },
    /// Anything that failed once the transaction had begun: it was rolled back.
    #[error("{0}; the copy was rolled back: the target holds none of it")]
    RolledBack(Box<CopyError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Db(DbError::Query(e))
    }
}

/// What a copy did.
#[derive(Debug, Default)]
pub(crate) struct CopyReport {
    /// Each copied table and its rows, in copy order.
    pub(crate) tables: Vec<(&'static str, u64)>,
    /// Jobs that were running, queued again.
    pub(crate) requeued: u64,
    /// Uploads still receiving, not copied: (id, file name).
    pub(crate) unfinished_uploads: Vec<(String, String)>,
    /// Tables left behind that held rows: (name, rows, why).
    pub(crate) left_behind: Vec<(String, u64, &'static str)>,
    pub(crate) elapsed: Duration,
}

/// Copies every row of the SQLite database at `source` into the empty
/// PostgreSQL database `target` names (migrated first, as `Repo::connect`
/// does). `progress` hears one line per table.
pub(crate) async fn copy_to_postgres(
    source: &Path,
    target: &Secret,
    mut progress: impl FnMut(String),
) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    if !source.is_file() {
        return Err(CopyError::NoSource(source.display().to_string()));
    }
    let options = PgConnectOptions::from_str(target.expose()).map_err(|_| CopyError::TargetUrl)?;
    let sqlite = SqliteRepo::open(source).await?;
    // One read transaction: every table from the same moment.
    let mut from = sqlite.pool().begin().await?;
    let mut report = CopyReport {
        left_behind: check_tables(&mut from).await?,
        ..CopyReport::default()
    };
    let pg = PgRepo::connect_with(options)
        .await
        .map_err(|error| match error {
            DbError::Connect { source, .. } => CopyError::Connect {
                url: redacted(target),
                source,
            },
            other => other.into(),
        })?;
    let mut to = pg.pool().begin().await?;
    target::check_empty(&mut to).await?;
    let copied = async {
        for table in COPIED {
            let rows = copy_table(&mut from, &mut to, table, &mut report).await?;
            progress(format!("{}: {rows} rows copied and checked", table.name));
            report.tables.push((table.name, rows));
        }
        Ok::<_, CopyError>(())
    };
    copied
        .await
        .map_err(|e| CopyError::RolledBack(Box::new(e)))?;
    to.commit().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Refuses a source with a table or column the copy does not know; answers
/// the tables left behind on purpose that hold rows.
async fn check_tables(
    from: &mut Transaction<'static, Sqlite>,
) -> Result<Vec<(String, u64, &'static str)>, CopyError> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .fetch_all(&mut **from)
    .await?;
    let virtual_tables: Vec<String> = tables
        .iter()
        .filter(|(_, sql)| sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE"))
        .map(|(name, _)| name.clone())
        .collect();
    let (mut unknown, mut left_behind) = (Vec::new(), Vec::new());
    for (name, _) in &tables {
        match tables::fate(name, &virtual_tables) {
            Fate::Copied(table) => check_columns(from, table).await?,
            Fate::LeftBehind(why) => {
                let count = format!("SELECT count(*) FROM \"{name}\"");
                let (rows,): (i64,) = sqlx::query_as(AssertSqlSafe(count))
                    .fetch_one(&mut **from)
                    .await?;
                if rows > 0 && why != "derived" {
                    left_behind.push((name.clone(), rows.unsigned_abs(), why));
                }
            }
            Fate::Internal => {}
            Fate::Unknown => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(CopyError::UnknownTables(unknown.join(", ")));
    }
    Ok(left_behind)
}

/// Refuses a copied table with a column its list does not name (a later
/// migration's), which would otherwise be dropped.
async fn check_columns(
    from: &mut Transaction<'static, Sqlite>,
    table: &Table,
) -> Result<(), CopyError> {
    let columns: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info(?)")
        .bind(table.name)
        .fetch_all(&mut **from)
        .await?;
    let extra: Vec<String> = columns
        .into_iter()
        .map(|(name,)| name)
        .filter(|name| table.position(name).is_none())
        .collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(CopyError::UnknownColumns {
            table: table.name.into(),
            columns: extra.join(", "),
        })
    }
}

/// Copies one table in batches, then reads it back and compares digests;
/// answers the rows copied.
async fn copy_table(
    from: &mut Transaction<'static, Sqlite>,
    to: &mut Transaction<'static, Postgres>,
    table: &'static Table,
    report: &mut CopyReport,
) -> Result<u64, CopyError> {
    let mut filter = None;
    if table.name == "uploads" {
        let skipped =
            format!("SELECT id, filename FROM uploads WHERE {UNFINISHED_UPLOADS} ORDER BY id");
        report.unfinished_uploads = sqlx::query_as(AssertSqlSafe(skipped))
            .fetch_all(&mut **from)
            .await?;
        filter = Some(format!("NOT ({UNFINISHED_UPLOADS})"));
    }
    let per_page = (VALUES_PER_INSERT / table.columns.len()).clamp(1, ROWS_PER_INSERT);
    let columns = table.column_list();
    let page = |after| table.page(&columns, filter.as_deref(), table.key, after, per_page);
    let (first, next) = (page(None), page(Some("?")));
    let key_at = table.position(table.key).unwrap_or(0);
    let (mut digest, mut references) = (RowDigest::default(), Vec::new());
    let (mut largest_id, mut after) = (0, None::<Value>);
    loop {
        let sql = if after.is_none() { &first } else { &next };
        let query = sqlx::query(AssertSqlSafe(sql.clone()));
        let rows = match after.take() {
            Some(Value::Int(n)) => query.bind(n),
            Some(Value::Text(text)) => query.bind(text),
            _ => query,
        }
        .fetch_all(&mut **from)
        .await?;
        let mut batch = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = read_sqlite(table, row)?;
            if table.name == "jobs" && requeue(table, &mut values) {
                report.requeued += 1;
            }
            digest.add(&values);
            if let Some(Value::Int(id)) = table
                .identity
                .and_then(|c| table.position(c))
                .map(|i| &values[i])
            {
                largest_id = largest_id.max(*id);
            }
            // Written once every row of the table exists.
            if let Some(at) = table.self_reference.and_then(|c| table.position(c))
                && let Value::Text(target) = std::mem::replace(&mut values[at], Value::Null)
                && let Value::Text(key) = &values[key_at]
            {
                references.push((key.clone(), target));
            }
            batch.push(values);
        }
        let Some(last) = batch.last() else { break };
        after = Some(last[key_at].clone());
        target::insert(to, table, &batch).await?;
        if rows.len() < per_page {
            break;
        }
    }
    if let Some(column) = table.self_reference {
        let (keys, targets): (Vec<String>, Vec<String>) = references.into_iter().unzip();
        let update = format!(
            "UPDATE {name} SET {column} = r.target FROM unnest($1::text[], $2::text[]) \
             AS r(key, target) WHERE {name}.{key} = r.key",
            name = table.name,
            key = table.key,
        );
        sqlx::query(AssertSqlSafe(update))
            .bind(keys)
            .bind(targets)
            .execute(&mut **to)
            .await?;
    }
    if let Some(column) = table.identity {
        // Past every id copied and every id SQLite ever gave: AUTOINCREMENT
        // never reuses one (a deleted item's jobs), and neither will the target.
        let given: Option<(i64,)> =
            sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = ?")
                .bind(table.name)
                .fetch_optional(&mut **from)
                .await?;
        let last = given.map_or(0, |(seq,)| seq).max(largest_id);
        target::advance_identity(to, table, column, last).await?;
    }
    target::verify(to, table, digest).await
}

/// A SQLite row as values, each checked against its column's kind.
fn read_sqlite(table: &'static Table, row: &SqliteRow) -> Result<Vec<Value>, CopyError> {
    let mut values = Vec::with_capacity(table.columns.len());
    for (index, (column, kind)) in table.columns.iter().enumerate() {
        let value = Value::from_sqlite(row, index, *kind).map_err(|source| {
            let at = table.position(table.key).unwrap_or(0);
            let key = row
                .try_get::<String, _>(at)
                .or_else(|_| row.try_get::<i64, _>(at).map(|n| n.to_string()))
                .unwrap_or_else(|_| "?".into());
            CopyError::Value {
                table: table.name,
                key,
                column,
                source,
            }
        })?;
        values.push(value);
    }
    Ok(values)
}

/// A job that was running when Reel stopped is queued again, as the
/// queue's requeue of a stale job does; answers whether it was.
fn requeue(table: &Table, values: &mut [Value]) -> bool {
    let at = |column| table.position(column).unwrap_or(usize::MAX);
    if values.get(at("state")) != Some(&Value::Text("running".into())) {
        return false;
    }
    let now = OffsetDateTime::now_utc();
    for (column, value) in [
        ("state", Value::Text("queued".into())),
        ("heartbeat_at", Value::Null),
        ("run_after", Value::Int(now_ms())),
        ("updated_at", Value::Time(values::to_micros(now))),
    ] {
        if let Some(slot) = values.get_mut(at(column)) {
            *slot = value;
        }
    }
    true
}
