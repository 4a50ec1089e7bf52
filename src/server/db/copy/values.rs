//! One column's value as the copy carries it: read from either backend into
//! the same typed form (so a value that changed on the way reads back
//! different), bound for PostgreSQL, and written in a canonical text form
//! that both sides' row digests hash.

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::tables::Kind;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
    /// In UTC, to the microsecond: PostgreSQL's resolution.
    Time(OffsetDateTime),
}

/// Why a stored value cannot be carried over.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ValueError {
    #[error("{0}")]
    Read(#[from] sqlx::Error),
    #[error("`{0}` is not 0 or 1")]
    NotBool(i64),
    #[error("`{0}` is not an RFC 3339 time")]
    NotTime(String),
}

/// A time as both sides hold it: UTC, whole microseconds (finer digits
/// SQLite may hold are dropped: PostgreSQL cannot store them).
pub(super) fn parse_time(text: &str) -> Result<OffsetDateTime, ValueError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(to_micros)
        .map_err(|_| ValueError::NotTime(text.to_string()))
}

/// `time` in UTC, without what is finer than a microsecond.
pub(super) fn to_micros(time: OffsetDateTime) -> OffsetDateTime {
    let time = time.to_offset(UtcOffset::UTC);
    time - time::Duration::nanoseconds(i64::from(time.nanosecond() % 1_000))
}

/// `2026-11-24T09:30:00.123456Z`: what PostgreSQL is given (and parses
/// exactly) and what the pages of a PostgreSQL Reel show (`reel_rfc3339`).
pub(super) fn format_time(time: OffsetDateTime) -> String {
    let shape =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    time.format(shape)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000000Z".into())
}

impl Value {
    /// Column `index` of a SQLite row, stored as SQLite stores `kind`.
    pub(super) fn from_sqlite(
        row: &SqliteRow,
        index: usize,
        kind: Kind,
    ) -> Result<Self, ValueError> {
        Ok(match kind {
            Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Value::Text),
            Kind::Int => row.try_get::<Option<i64>, _>(index)?.map(Value::Int),
            Kind::Real => row.try_get::<Option<f64>, _>(index)?.map(Value::Real),
            Kind::Bool => match row.try_get::<Option<i64>, _>(index)? {
                None => None,
                Some(n @ (0 | 1)) => Some(Value::Bool(n == 1)),
                Some(n) => return Err(ValueError::NotBool(n)),
            },
            Kind::Time => match row.try_get::<Option<String>, _>(index)? {
                None => None,
                Some(text) => Some(Value::Time(parse_time(&text)?)),
            },
        }
        .unwrap_or(Value::Null))
    }

    /// Column `index` of a row read back from PostgreSQL; times come as
    /// text (`select_list`), parsed as SQLite's are.
    pub(super) fn from_pg(row: &PgRow, index: usize, kind: Kind) -> Result<Self, ValueError> {
        Ok(match kind {
            Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Value::Text),
            Kind::Int => row.try_get::<Option<i64>, _>(index)?.map(Value::Int),
            Kind::Real => row.try_get::<Option<f64>, _>(index)?.map(Value::Real),
            Kind::Bool => row.try_get::<Option<bool>, _>(index)?.map(Value::Bool),
            Kind::Time => match row.try_get::<Option<String>, _>(index)? {
                None => None,
                Some(text) => Some(Value::Time(parse_time(&text)?)),
            },
        }
        .unwrap_or(Value::Null))
    }

    /// Binds the value for a column of `kind` (a NULL still needs its type).
    pub(super) fn bind(
        &self,
        kind: Kind,
        builder: &mut sqlx::query_builder::Separated<'_, sqlx::Postgres, &str>,
    ) {
        match (self, kind) {
            (Value::Text(text), _) => builder.push_bind(text.clone()),
            (Value::Int(n), _) => builder.push_bind(*n),
            (Value::Real(x), _) => builder.push_bind(*x),
            (Value::Bool(b), _) => builder.push_bind(*b),
            (Value::Time(time), _) => builder.push_bind(format_time(*time)),
            (Value::Null, Kind::Text | Kind::Time) => builder.push_bind(None::<String>),
            (Value::Null, Kind::Int) => builder.push_bind(None::<i64>),
            (Value::Null, Kind::Real) => builder.push_bind(None::<f64>),
            (Value::Null, Kind::Bool) => builder.push_bind(None::<bool>),
        };
        if kind == Kind::Time {
            builder.push_unseparated("::timestamptz");
        }
    }

    /// The canonical form: a tag, then the value; text is length-prefixed
    /// and floats are their exact bits, so distinct rows never write alike.
    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Value::Null => write!(out, "N"),
            Value::Text(text) => write!(out, "T{}:{text}", text.len()),
            Value::Int(n) => write!(out, "I{n}"),
            Value::Real(x) => write!(out, "R{:016x}", x.to_bits()),
            Value::Bool(b) => write!(out, "B{}", u8::from(*b)),
            Value::Time(time) => write!(out, "D{}", format_time(*time)),
        };
    }
}

/// The SHA-256 of a table's rows in key order, each in canonical form.
#[derive(Default)]
pub(super) struct RowDigest {
    hasher: Sha256,
    pub(super) rows: u64,
    line: String,
}

impl RowDigest {
    pub(super) fn add(&mut self, row: &[Value]) {
        self.line.clear();
        for value in row {
            value.write(&mut self.line);
            self.line.push(';');
        }
        self.line.push('\n');
        self.hasher.update(self.line.as_bytes());
        self.rows += 1;
    }

    pub(super) fn finish(self) -> (u64, String) {
        (self.rows, hex::encode(self.hasher.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_utc_microseconds() {
        let stored = parse_time("2026-11-24T10:30:00.123456789+01:00").expect("time");
        assert_eq!(format_time(stored), "2026-11-24T09:30:00.123456Z");
        let whole = parse_time("2026-11-24T09:30:00Z").expect("time");
        assert_eq!(format_time(whole), "2026-11-24T09:30:00.000000Z");
        // What PostgreSQL answers reads back as the same instant.
        assert_eq!(parse_time(&format_time(stored)).expect("again"), stored);
        assert!(matches!(
            parse_time("yesterday"),
            Err(ValueError::NotTime(text)) if text == "yesterday"
        ));
    }

    #[test]
    fn distinct_rows_hash_differently() {
        let digest = |rows: &[&[Value]]| {
            let mut digest = RowDigest::default();
            for row in rows {
                digest.add(row);
            }
            digest.finish()
        };
        let text = |s: &str| Value::Text(s.into());
        let a = digest(&[&[text("a;b"), text("c")]]);
        let b = digest(&[&[text("a"), text("b;c")]]);
        assert_ne!(a, b, "text cannot spill into the next column");
        assert_ne!(
            digest(&[&[Value::Null]]),
            digest(&[&[text("")]]),
            "NULL is not empty text"
        );
        assert_ne!(digest(&[&[Value::Int(1)]]), digest(&[&[Value::Bool(true)]]));
        assert_ne!(
            digest(&[&[Value::Real(0.1)]]),
            digest(&[&[Value::Real(0.1 + f64::EPSILON)]])
        );
        assert_eq!(a.0, 1);
        assert_eq!(a, digest(&[&[text("a;b"), text("c")]]));
    }
}
