//! The PostgreSQL side of the copy: refusing a target that holds a library,
//! writing rows in batches, moving sequences on, and reading every table
//! back to check it.

use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Transaction};

use super::CopyError;
use super::tables::{COPIED, Kind, Table};
use super::values::{RowDigest, Value};

/// Locks the target's tables against other writers (a Reel started on it
/// by mistake) and refuses one that holds any row already, naming them.
pub(super) async fn check_empty(to: &mut Transaction<'static, Postgres>) -> Result<(), CopyError> {
    let names: Vec<&str> = COPIED.iter().map(|t| t.name).collect();
    let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", "));
    sqlx::query(AssertSqlSafe(lock)).execute(&mut **to).await?;
    let mut found = Vec::new();
    for name in names {
        let count = format!("SELECT count(*) FROM {name}");
        let (rows,): (i64,) = sqlx::query_as(AssertSqlSafe(count))
            .fetch_one(&mut **to)
            .await?;
        if rows > 0 {
            found.push(format!("{name}: {rows} rows"));
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(CopyError::NotEmpty(found.join(", ")))
    }
}

pub(super) async fn insert(
    to: &mut Transaction<'static, Postgres>,
    table: &Table,
    rows: &[Vec<Value>],
) -> Result<(), CopyError> {
    let mut sql = format!("INSERT INTO {} ({}) ", table.name, table.column_list());
    if table.identity.is_some() {
        sql.push_str("OVERRIDING SYSTEM VALUE ");
    }
    let mut builder = QueryBuilder::<Postgres>::new(sql);
    builder.push_values(rows, |mut tuple, row| {
        for (value, (_, kind)) in row.iter().zip(table.columns) {
            value.bind(*kind, &mut tuple);
        }
    });
    builder.build().execute(&mut **to).await?;
    Ok(())
}

/// Moves the sequence of `table`'s identity `column` on, so the next id
/// it gives is past `last`.
pub(super) async fn advance_identity(
    to: &mut Transaction<'static, Postgres>,
    table: &Table,
    column: &str,
    last: i64,
) -> Result<(), CopyError> {
    if last > 0 {
        sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3)")
            .bind(table.name)
            .bind(column)
            .bind(last)
            .execute(&mut **to)
            .await?;
    }
    Ok(())
}

/// Reads the table back from the target in key order (bytewise, as SQLite
/// orders text) and compares its digest with the source's.
pub(super) async fn verify(
    to: &mut Transaction<'static, Postgres>,
    table: &'static Table,
    expected: RowDigest,
) -> Result<u64, CopyError> {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match kind {
            Kind::Time => format!("reel_rfc3339({name})"),
            _ => (*name).to_string(),
        })
        .collect();
    let columns = columns.join(", ");
    let key_at = table.position(table.key).unwrap_or(0);
    // Text in byte order, as SQLite's BINARY collation has it.
    let key = match table.columns[key_at].1 {
        Kind::Text => format!("{} COLLATE \"C\"", table.key),
        _ => table.key.to_string(),
    };
    let per_page = 5_000;
    let (first, next) = (
        table.page(&columns, None, &key, None, per_page),
        table.page(&columns, None, &key, Some("$1"), per_page),
    );
    let (mut found, mut after) = (RowDigest::default(), None::<Value>);
    loop {
        let sql = if after.is_none() { &first } else { &next };
        let query = sqlx::query(AssertSqlSafe(sql.clone()));
        let rows = match after.take() {
            Some(Value::Int(n)) => query.bind(n),
            Some(Value::Text(text)) => query.bind(text),
            _ => query,
        }
        .fetch_all(&mut **to)
        .await?;
        for row in &rows {
            let mut values = Vec::with_capacity(table.columns.len());
            for (index, (column, kind)) in table.columns.iter().enumerate() {
                let value =
                    Value::from_pg(row, index, *kind).map_err(|source| CopyError::Value {
                        table: table.name,
                        key: "(read back)".into(),
                        column,
                        source,
                    })?;
                values.push(value);
            }
            found.add(&values);
            after = Some(values.swap_remove(key_at));
        }
        if rows.len() < per_page {
            break;
        }
    }
    let ((copied, expected), (read, found)) = (expected.finish(), found.finish());
    if (copied, &expected) != (read, &found) {
        return Err(CopyError::Mismatch {
            table: table.name,
            copied,
            read,
            expected,
            found,
        });
    }
    Ok(copied)
}
