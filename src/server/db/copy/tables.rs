//! What `reel database copy` knows of the SQLite schema: every table it
//! copies, with its columns written out and the type each has on
//! PostgreSQL, and every table it leaves behind on purpose. A table in the
//! source that is in neither list stops the copy before it starts, so a
//! table added by a later migration cannot be dropped in silence: whoever
//! adds one adds it here too.

use Kind::{Bool, Int, Real, Text, Time};

/// How a column is stored on each side, and so how it is read and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `TEXT` / `text`.
    Text,
    /// `INTEGER` / `bigint` (Unix milliseconds stay numbers on both sides).
    Int,
    /// `REAL` / `double precision`.
    Real,
    /// `INTEGER` 0 or 1 / `boolean`.
    Bool,
    /// RFC 3339 `TEXT` / `timestamptz`.
    Time,
}

/// A table that is copied row for row.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Table {
    pub(super) name: &'static str,
    /// The primary key's column (every table here has a one-column key):
    /// rows are read, and hashed, in its order on both sides.
    pub(super) key: &'static str,
    pub(super) columns: &'static [(&'static str, Kind)],
    /// A column PostgreSQL fills from a sequence (`GENERATED ALWAYS AS
    /// IDENTITY`): copied values override it, then the sequence moves past them.
    pub(super) identity: Option<&'static str>,
    /// A text column referring to a row of the same table: written once
    /// every row exists, since a row may name one that sorts after it.
    pub(super) self_reference: Option<&'static str>,
}

impl Table {
    pub(super) fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|(name, _)| *name == column)
    }

    pub(super) fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        names.join(", ")
    }

    /// One page of rows in key order: `columns` of the rows that pass
    /// `filter`, after the key bound to `after` (a placeholder) when given.
    /// Pages keep each statement short, and memory bounded, however large
    /// the table. `key` is the key as compared (with a collation on PostgreSQL).
    pub(super) fn page(
        &self,
        columns: &str,
        filter: Option<&str>,
        key: &str,
        after: Option<&str>,
        limit: usize,
    ) -> String {
        let after = after.map(|placeholder| format!("{key} > {placeholder}"));
        let conditions: Vec<&str> = filter.into_iter().chain(after.as_deref()).collect();
        let mut sql = format!("SELECT {columns} FROM {}", self.name);
        if !conditions.is_empty() {
            sql = format!("{sql} WHERE {}", conditions.join(" AND "));
        }
        format!("{sql} ORDER BY {key} LIMIT {limit}")
    }
}

/// Every copied table, in an order where each row's references already
/// exist when it is written (foreign keys are checked at once on PostgreSQL).
pub(super) const COPIED: &[Table] = &[
    Table {
        name: "users",
        key: "id",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("password_hash", Text),
            ("role", Text),
            ("disabled", Bool),
            ("quota_bytes", Int),
            ("created_at", Time),
            ("updated_at", Time),
        ],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "settings",
        key: "key",
        columns: &[("key", Text), ("value", Text)],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "media",
        key: "id",
        columns: &[
            ("id", Text),
            ("title", Text),
            ("original_filename", Text),
            ("size_bytes", Int),
            ("sha256", Text),
            ("content_type", Text),
            ("kind", Text),
            ("container", Text),
            ("duration_secs", Real),
            ("width", Int),
            ("height", Int),
            ("video_codec", Text),
            ("audio_codec", Text),
            ("cover_stream", Int),
            ("state", Text),
            ("failure_reason", Text),
            ("has_poster", Bool),
            ("created_at", Time),
            ("updated_at", Time),
            ("play_variant", Text),
            ("has_scrub", Bool),
            ("has_waveform", Bool),
            ("description", Text),
            ("source_id", Text),
            ("edit_summary", Text),
            ("owner_id", Text),
            ("visibility", Text),
            ("access_generation", Int),
            ("hls", Text),
            ("artist", Text),
            ("album", Text),
            ("album_artist", Text),
            ("genre", Text),
            ("year", Int),
            ("track_number", Int),
            ("disc_number", Int),
            ("chapters", Text),
            ("loudness_lufs", Real),
            ("labels", Text),
        ],
        identity: None,
        self_reference: Some("source_id"),
    },
    Table {
        name: "jobs",
        key: "id",
        columns: &[
            ("id", Int),
            ("media_id", Text),
            ("kind", Text),
            ("state", Text),
            ("params", Text),
            ("attempts", Int),
            ("run_after", Int),
            ("heartbeat_at", Int),
            ("progress", Real),
            ("eta_secs", Real),
            ("last_error", Text),
            ("created_at", Time),
            ("started_at", Time),
            ("finished_at", Time),
            ("updated_at", Time),
        ],
        identity: Some("id"),
        self_reference: None,
    },
    Table {
        name: "uploads",
        key: "id",
        columns: &[
            ("id", Text),
            ("length", Int),
            ("filename", Text),
            ("filetype", Text),
            ("state", Text),
            ("unverified_from", Int),
            ("media_id", Text),
            ("failure_reason", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("expires_at", Int),
            ("owner_id", Text),
            ("visibility", Text),
            ("part_size", Int),
            ("multipart_id", Text),
            ("parts", Int),
            ("tail_len", Int),
            ("writer", Text),
            ("writer_until", Int),
            ("duplicate", Bool),
        ],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "sessions",
        key: "token_hash",
        columns: &[
            ("token_hash", Text),
            ("user_id", Text),
            ("created_at", Int),
            ("last_seen_at", Int),
            ("expires_at", Int),
        ],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "api_tokens",
        key: "id",
        columns: &[
            ("id", Text),
            ("token_hash", Text),
            ("user_id", Text),
            ("name", Text),
            ("created_at", Int),
            ("last_used_at", Int),
        ],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "captions",
        key: "id",
        columns: &[
            ("id", Int),
            ("media_id", Text),
            ("origin", Text),
            ("stream_index", Int),
            ("codec", Text),
            ("label", Text),
            ("language", Text),
            ("state", Text),
            ("vtt", Text),
            ("created_at", Int),
        ],
        identity: Some("id"),
        self_reference: None,
    },
    Table {
        name: "caption_cues",
        key: "n",
        columns: &[
            ("n", Int),
            ("caption_id", Int),
            ("media_id", Text),
            ("start_ms", Int),
            ("text", Text),
        ],
        identity: Some("n"),
        self_reference: None,
    },
    Table {
        name: "media_labels",
        key: "n",
        columns: &[
            ("n", Int),
            ("media_id", Text),
            ("label_key", Text),
            ("label", Text),
        ],
        identity: Some("n"),
        self_reference: None,
    },
    Table {
        name: "favourites",
        key: "n",
        columns: &[
            ("n", Int),
            ("user_id", Text),
            ("media_id", Text),
            ("created_at", Int),
        ],
        identity: Some("n"),
        self_reference: None,
    },
    Table {
        name: "collections",
        key: "id",
        columns: &[
            ("id", Text),
            ("owner_id", Text),
            ("name", Text),
            ("kind", Text),
            ("query", Text),
            ("visibility", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: None,
        self_reference: None,
    },
    Table {
        name: "collection_items",
        key: "n",
        columns: &[
            ("n", Int),
            ("collection_id", Text),
            ("media_id", Text),
            ("position", Int),
            ("added_at", Int),
        ],
        identity: Some("n"),
        self_reference: None,
    },
    // After the collections, which its rows may name.
    Table {
        name: "share_links",
        key: "id",
        columns: &[
            ("id", Text),
            ("token_hash", Text),
            ("media_id", Text),
            ("collection_id", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("password_hash", Text),
            ("revoked", Bool),
        ],
        identity: None,
        self_reference: None,
    },
];

/// Uploads whose bytes are still arriving: their bytes are in this
/// machine's partial area (or, with S3 storage, parts not yet joined whose
/// list is in `upload_parts`), not in the store, so they are not copied
/// (their clients start them again); the summary names them.
pub(super) const UNFINISHED_UPLOADS: &str = "(state = 'receiving' OR multipart_id IS NOT NULL)";

/// Tables left behind on purpose, and why (said in the summary).
pub(super) const LEFT_BEHIND: &[(&str, &str)] = &[
    // SQLite's copy of the searchable text (its FTS5 index reads it):
    // PostgreSQL computes its search column from the media rows.
    ("media_text", "derived"),
    // The parts of resumable uploads still arriving, which are not copied.
    ("upload_parts", "unfinished uploads"),
    ("upload_tails", "unfinished uploads"),
];

/// What the copy does with one table of the source.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Fate {
    Copied(&'static Table),
    /// Left behind on purpose (`LEFT_BEHIND`).
    LeftBehind(&'static str),
    /// SQLite's own, sqlx's migration history (PostgreSQL has its own), or
    /// a full-text index and its shadow tables (PostgreSQL rebuilds search).
    Internal,
    Unknown,
}

/// What becomes of the table `name`, given the virtual tables (full-text
/// indexes) of the source, whose shadow tables are named after them.
pub(super) fn fate(name: &str, virtual_tables: &[String]) -> Fate {
    if let Some(table) = COPIED.iter().find(|t| t.name == name) {
        return Fate::Copied(table);
    }
    if let Some((_, why)) = LEFT_BEHIND.iter().find(|(t, _)| *t == name) {
        return Fate::LeftBehind(why);
    }
    let shadow = |v: &String| {
        name == v
            || ["_data", "_idx", "_content", "_docsize", "_config"]
                .iter()
                .any(|suffix| name.strip_prefix(v.as_str()) == Some(suffix))
    };
    if name.starts_with("sqlite_")
        || name == "_sqlx_migrations"
        || virtual_tables.iter().any(shadow)
    {
        return Fate::Internal;
    }
    Fate::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_schema_has_a_fate() {
        let virtual_tables = vec!["media_search".to_string()];
        for name in ["users", "media", "jobs", "share_links"] {
            assert!(matches!(fate(name, &virtual_tables), Fate::Copied(t) if t.name == name));
        }
        assert_eq!(
            fate("upload_parts", &virtual_tables),
            Fate::LeftBehind("unfinished uploads")
        );
        for name in [
            "media_search",
            "media_search_data",
            "media_search_config",
            "sqlite_sequence",
            "_sqlx_migrations",
        ] {
            assert_eq!(fate(name, &virtual_tables), Fate::Internal, "{name}");
        }
        for name in ["albums", "media_search_extra", "media_searches"] {
            assert_eq!(fate(name, &virtual_tables), Fate::Unknown, "{name}");
        }
    }

    #[test]
    fn pages_follow_the_key() {
        let users = &COPIED[0];
        assert_eq!(
            users.page("id", None, "id", None, 10),
            "SELECT id FROM users ORDER BY id LIMIT 10"
        );
        assert_eq!(
            users.page("id", Some("NOT (x)"), "id COLLATE \"C\"", Some("$1"), 5),
            "SELECT id FROM users WHERE NOT (x) AND id COLLATE \"C\" > $1 \
             ORDER BY id COLLATE \"C\" LIMIT 5"
        );
    }

    #[test]
    fn keys_and_special_columns_are_columns() {
        for table in COPIED {
            let key = table.position(table.key).map(|i| table.columns[i].1);
            assert!(
                matches!(key, Some(Kind::Text | Kind::Int)),
                "{}: pages are read after a text or integer key",
                table.name
            );
            for column in [table.identity, table.self_reference].into_iter().flatten() {
                assert!(table.position(column).is_some(), "{}.{column}", table.name);
            }
        }
    }
}
