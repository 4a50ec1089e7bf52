//! Where rows live (`--database-url`): SQLite in the data directory (the
//! default), SQLite at a path, or a PostgreSQL server. A PostgreSQL URL may
//! hold a password, so the URL is kept as a `Secret` and shown only without
//! it; parsing never fails, because clap would print the text it refused
//! (password and all): what is wrong is said at start-up instead.

use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::Secret;

#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// `sqlite:` (`reel.db` in the data directory) or `sqlite:PATH`.
    Sqlite(Option<PathBuf>),
    /// `postgres://…` or `postgresql://…`, exactly as given.
    Postgres(Secret),
    /// Anything else: start-up stops and says so (`Repo::connect`).
    Unsupported,
}

/// `--database-url`'s parser: infallible by design (see the module docs).
pub fn parse_database(text: &str) -> Result<Database, Infallible> {
    let text = text.trim();
    if let Some(path) = text.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        return Ok(Database::Sqlite(
            (!path.is_empty()).then(|| PathBuf::from(path)),
        ));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(Database::Postgres(Secret::new(text)));
    }
    Ok(Database::Unsupported)
}

impl Database {
    /// The PostgreSQL connection options of a `postgres://` URL; the error
    /// names the setting and never holds the URL.
    pub(crate) fn postgres_options(
        url: &Secret,
    ) -> Result<sqlx::postgres::PgConnectOptions, String> {
        sqlx::postgres::PgConnectOptions::from_str(url.expose()).map_err(|_| {
            "--database-url is not a valid postgres://USER:PASSWORD@HOST:PORT/DATABASE URL"
                .to_string()
        })
    }
}

/// The URL without its password (for logs and errors): `user:…@host`, and
/// no query when it holds one (`?password=`).
pub(crate) fn redacted(url: &Secret) -> String {
    let text = url.expose();
    let Some((scheme, rest)) = text.split_once("://") else {
        return "(unreadable URL)".into();
    };
    // The last `@` ends the user information: a password may hold `@`.
    let (user, host) = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => (format!("{user}:…@"), host),
            None => (format!("{userinfo}@"), host),
        },
        None => (String::new(), rest),
    };
    let host = match host.split_once('?') {
        Some((path, query)) if query.to_ascii_lowercase().contains("password") => {
            format!("{path}?…")
        }
        _ => host.to_string(),
    };
    format!("{scheme}://{user}{host}")
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(None) => f.write_str("sqlite:"),
            Database::Sqlite(Some(path)) => write!(f, "sqlite:{}", path.display()),
            Database::Postgres(url) => f.write_str(&redacted(url)),
            Database::Unsupported => f.write_str("(unsupported)"),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Database {
        let Ok(database) = parse_database(text);
        database
    }

    #[test]
    fn database_urls_parse() {
        assert_eq!(parse("sqlite:"), Database::Sqlite(None));
        assert_eq!(
            parse("sqlite:/srv/reel/rows.db"),
            Database::Sqlite(Some("/srv/reel/rows.db".into()))
        );
        assert_eq!(
            parse("sqlite://rows.db"),
            Database::Sqlite(Some("rows.db".into()))
        );
        assert!(matches!(
            parse("postgresql://reel@db:5432/reel"),
            Database::Postgres(_)
        ));
        assert_eq!(parse("mysql://reel@db/reel"), Database::Unsupported);
        assert_eq!(parse("/srv/reel.db"), Database::Unsupported);
    }

    #[test]
    fn the_password_never_shows() {
        let database = parse("postgres://reel:hunter2-very-secret@db.internal:5432/reel");
        for shown in [format!("{database}"), format!("{database:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("db.internal:5432/reel"), "{shown}");
        }
        let Database::Postgres(url) = database else {
            panic!("not postgres")
        };
        assert!(Database::postgres_options(&url).is_ok());
        let query = parse("postgres://db/reel?user=reel&password=hunter2");
        assert!(!format!("{query}").contains("hunter2"));
        let bad = Secret::new("postgres://reel:hunter2@db:notaport/reel");
        let error = Database::postgres_options(&bad).unwrap_err();
        assert!(error.contains("--database-url") && !error.contains("hunter2"));
    }
}
