//! Typed configuration from flags and environment, validated at start-up.

mod database;
mod storage;

pub(crate) use database::redacted;
pub use database::{Database, parse_database};
pub use storage::{S3Bucket, S3Settings, Secret, ServeMode, Storage, parse_storage};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Reel: a self-hosted media library.
#[derive(Clone, Debug, Parser)]
#[command(name = "reel", version, about)]
pub struct Config {
    /// Directory for the database, uploads and derived files.
    #[arg(long, env = "REEL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Where originals and derived files live: `local` (`files/` in the
    /// data directory) or `s3://BUCKET/PREFIX` in an S3-compatible object
    /// store, reached with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID
    /// and AWS_SECRET_ACCESS_KEY (the secret from the environment only).
    #[arg(long, env = "REEL_STORAGE", default_value = "local", value_parser = parse_storage)]
    pub storage: Storage,

    #[command(flatten)]
    pub s3: S3Settings,

    /// Where rows and the processing queue live: `sqlite:` (`reel.db` in
    /// the data directory), `sqlite:PATH`, or a PostgreSQL server,
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE (prefer the environment
    /// variable for a URL with a password: a command line is visible to
    /// every user of the machine).
    #[arg(
        long,
        env = "REEL_DATABASE_URL",
        default_value = "sqlite:",
        hide_env_values = true,
        value_parser = parse_database
    )]
    pub database_url: Database,

    /// What this node does: `all` serves and processes (the default);
    /// with PostgreSQL and object storage, `web` serves pages, uploads and
    /// bytes but runs no jobs, and `worker` runs jobs (it still answers
    /// HTTP, e.g. /healthz and /metrics: keep it out of the load balancer).
    #[arg(long, env = "REEL_ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,

    /// With --storage s3://…: `proxy` sends stored bytes through Reel;
    /// `redirect` sends large media (from 1 MiB) to a presigned address at
    /// the store, valid for 12 hours, once Reel has checked who asks.
    #[arg(long, env = "REEL_SERVE_MODE", value_enum, default_value_t = ServeMode::Proxy)]
    pub serve_mode: ServeMode,

    /// Address to listen on (defaults to the site address in Cargo.toml,
    /// or LEPTOS_SITE_ADDR when set).
    #[arg(long, env = "REEL_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Largest accepted upload, e.g. 8GiB, 500MB, 1048576.
    #[arg(long, env = "REEL_MAX_UPLOAD_SIZE", default_value = "8GiB", value_parser = parse_size)]
    pub max_upload_size: u64,

    /// Media processing workers (default: cores - 1, at least 1).
    #[arg(long, env = "REEL_WORKERS", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: Option<u16>,

    /// How long an unfinished resumable upload is kept after its last bytes
    /// arrived, e.g. 24h, 30m, 3600s.
    #[arg(long, env = "REEL_UPLOAD_EXPIRY", default_value = "24h", value_parser = parse_duration)]
    pub upload_expiry: Duration,

    /// Chunk size the browser uses for resumable uploads, e.g. 8MiB. Keep it
    /// under any proxy's request body limit in front of Reel.
    #[arg(long, env = "REEL_UPLOAD_CHUNK_SIZE", default_value = "8MiB", value_parser = parse_size)]
    pub upload_chunk_size: u64,

    /// After SIGINT/SIGTERM, how long running requests may take to finish
    /// before the server stops anyway, e.g. 30s.
    #[arg(long, env = "REEL_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// The longest one processing run (a transcode, say) may take before it
    /// is stopped and counted as a failed attempt, e.g. 6h.
    #[arg(long, env = "REEL_JOB_TIMEOUT", default_value = "6h", value_parser = parse_duration)]
    pub job_timeout: Duration,

    /// How many times a processing job is tried before its item is marked failed.
    #[arg(long, env = "REEL_JOB_ATTEMPTS", default_value = "3", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub job_attempts: u32,

    /// The wait before a failed processing job is tried again; it doubles
    /// with each further attempt, e.g. 10s.
    #[arg(long, env = "REEL_JOB_RETRY_DELAY", default_value = "10s", value_parser = parse_duration)]
    pub job_retry_delay: Duration,

    /// How long a running job's claim lasts without a heartbeat (its worker
    /// beats twice a second): past it, any node takes the job back and
    /// another worker runs it (a worker node that died), e.g. 2m.
    #[arg(long, env = "REEL_JOB_LEASE", default_value = "2m", value_parser = parse_lease)]
    pub job_lease: Duration,

    /// With PostgreSQL, wake idle workers at once when any node queues a
    /// job (LISTEN/NOTIFY), or (off) let them look every 5 s: for a
    /// connection pooler that cannot LISTEN, or to measure the difference.
    #[arg(long, env = "REEL_QUEUE_NOTIFY", default_value = "on", value_parser = clap::builder::BoolishValueParser::new())]
    pub queue_notify: bool,

    /// Answer plain requests for stored bytes directly with `sendfile` (on),
    /// or send every request through the router (off: one HTTP stack, e.g.
    /// behind a proxy).
    #[arg(long, env = "REEL_DIRECT_PATH", default_value = "on", value_parser = clap::builder::BoolishValueParser::new())]
    pub direct_path: bool,

    /// How long a client may take to send a whole request head, counted from
    /// its first byte; a slower one is cut off, e.g. 30s.
    #[arg(long, env = "REEL_HEAD_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub head_timeout: Duration,

    /// How long a kept-alive connection may wait for its next request, e.g. 75s.
    #[arg(long, env = "REEL_IDLE_TIMEOUT", default_value = "75s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// How long a client may go without taking more of an answer before it
    /// is dropped (it stopped reading), e.g. 60s.
    #[arg(long, env = "REEL_SEND_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub send_timeout: Duration,

    /// The address people reach Reel at, e.g. https://media.example.org.
    /// With https, the session cookie is `Secure` (`__Host-` prefixed);
    /// state-changing requests must come from pages at this origin.
    #[arg(long, env = "REEL_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Reel sits behind a reverse proxy that sets `X-Forwarded-For`: take
    /// the client's address (for sign-in throttling) from it.
    #[arg(long, env = "REEL_TRUST_FORWARDED", default_value = "off", value_parser = clap::builder::BoolishValueParser::new())]
    pub trust_forwarded: bool,

    /// With no user yet, make this admin at start (headless installs);
    /// otherwise the log prints a one-time setup link.
    #[arg(long, env = "REEL_ADMIN_USER", requires = "admin_password")]
    pub admin_user: Option<String>,

    /// The first admin's password (with --admin-user).
    #[arg(
        long,
        env = "REEL_ADMIN_PASSWORD",
        hide_env_values = true,
        requires = "admin_user"
    )]
    pub admin_password: Option<String>,

    /// A session unused this long ends, e.g. 14d.
    #[arg(long, env = "REEL_SESSION_IDLE", default_value = "14d", value_parser = parse_duration)]
    pub session_idle: Duration,

    /// However used, a session ends this long after sign-in, e.g. 90d.
    #[arg(long, env = "REEL_SESSION_LIFETIME", default_value = "90d", value_parser = parse_duration)]
    pub session_lifetime: Duration,

    /// Instead of serving: manage accounts (`reel user add NAME --role admin`).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// No background workers: the embedding program (a test) runs the queue
    /// itself with `Jobs::run_one_job`.
    #[arg(skip)]
    pub manual_jobs: bool,
}

/// What a node does (`--role`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Serves and processes: the only role with the embedded database.
    #[default]
    All,
    /// Serves pages, uploads and bytes; runs no jobs (other nodes do).
    Web,
    /// Runs jobs.
    Worker,
}

/// What `reel` does instead of serving.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Users: `reel user add NAME [--role admin|member|viewer] [--quota 50GiB]`,
    /// `reel user set-password NAME`; the password comes from standard input.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Stored files: `reel storage copy --to s3://BUCKET/PREFIX` copies
    /// every item's files from the current storage (`--storage`) to another,
    /// checking each copy's SHA-256; run it with Reel stopped, then start
    /// Reel with the new `--storage`. A second run copies only what is missing.
    Storage {
        #[command(subcommand)]
        action: StorageCommand,
    },
    /// Rows: `reel database copy --to postgres://USER@HOST/DATABASE` copies
    /// every row of the SQLite database (`--database-url`) into an empty
    /// PostgreSQL database in one transaction, each table checked by
    /// SHA-256 before it commits; run it with Reel stopped, then start Reel
    /// with `--database-url` set to the new database.
    Database {
        #[command(subcommand)]
        action: DatabaseCommand,
    },
    /// Files already on this machine: `reel import --user NAME PATH…` walks
    /// the folders and makes every audio and video file an item of NAME's
    /// (copied, or hard-linked with `--link`); a file already in NAME's
    /// library is skipped, so a second run imports only what is new. Works
    /// with Reel running or stopped.
    Import(ImportCommand),
}

/// `reel import`'s settings.
#[derive(Clone, Debug, clap::Args)]
pub struct ImportCommand {
    /// Files and folders to import.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Whose library the files join.
    #[arg(long)]
    pub user: String,
    /// Who may see the new items: private, internal, unlisted or public.
    #[arg(long, default_value = "private", value_parser = parse_visibility)]
    pub visibility: crate::accounts::Visibility,
    /// Hard-link the files into the store instead of copying them, where
    /// the store is this disk and the same filesystem (else they are
    /// copied). The library then shares the files' bytes: change them in
    /// place and the library's change too.
    #[arg(long)]
    pub link: bool,
    /// Say what would be imported and skipped; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_visibility(text: &str) -> Result<crate::accounts::Visibility, String> {
    crate::accounts::Visibility::parse(text)
        .ok_or_else(|| "expected private, internal, unlisted or public".to_string())
}

/// What `reel database` can do.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum DatabaseCommand {
    /// Copies every row to the empty PostgreSQL database `--to` names
    /// (give its password in PGPASSWORD or ~/.pgpass rather than here:
    /// a command line is visible to every user of the machine).
    Copy {
        #[arg(long, value_parser = parse_database)]
        to: Database,
    },
}

/// What `reel storage` can do.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum StorageCommand {
    /// Copies every item's files to `--to` (`local` or `s3://BUCKET/PREFIX`).
    Copy {
        #[arg(long, value_parser = parse_storage)]
        to: Storage,
    },
}

impl Config {
    pub fn worker_count(&self) -> usize {
        match self.workers {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism()
                .map(|n| n.get().saturating_sub(1))
                .unwrap_or(1)
                .max(1),
        }
    }

    /// A configuration for tests and embedding: defaults plus this data dir.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            storage: Storage::Local,
            s3: S3Settings::default(),
            database_url: Database::Sqlite(None),
            role: Role::All,
            serve_mode: ServeMode::Proxy,
            listen: None,
            max_upload_size: 8 << 30,
            workers: Some(1),
            upload_expiry: Duration::from_secs(24 * 3600),
            upload_chunk_size: 8 << 20,
            shutdown_grace: Duration::from_secs(30),
            job_timeout: Duration::from_secs(6 * 3600),
            job_attempts: 3,
            job_retry_delay: Duration::from_secs(10),
            job_lease: Duration::from_secs(120),
            queue_notify: true,
            direct_path: true,
            head_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            send_timeout: Duration::from_secs(60),
            public_url: None,
            trust_forwarded: false,
            admin_user: None,
            admin_password: None,
            session_idle: Duration::from_secs(14 * 86_400),
            session_lifetime: Duration::from_secs(90 * 86_400),
            command: None,
            manual_jobs: false,
        }
    }
}

/// `http(s)://host[:port]`, with nothing after the host but a `/`.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` is not an http:// or https:// address"))?;
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b);
    if rest.is_empty() || !rest.bytes().all(plain) {
        return Err(format!(
            "`{text}` must be just the scheme and host (and port), e.g. https://media.example.org"
        ));
    }
    Ok(text.to_ascii_lowercase())
}

/// Parses `24h`, `30m`, `3600s`, `2d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let units = "s, m, h or d";
    let seconds = parse_quantity(text, "duration", "24h or 30m", units, "too long", |unit| {
        Some(match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        })
    })?;
    Ok(Duration::from_secs(seconds))
}

/// A job lease: a duration of at least 2 s (workers beat every half second;
/// a shorter lease would take jobs from workers that are alive).
fn parse_lease(text: &str) -> Result<Duration, String> {
    let lease = parse_duration(text)?;
    if lease < Duration::from_secs(2) {
        return Err(format!("a job lease of {text} is too short: at least 2s"));
    }
    Ok(lease)
}

/// Parses `8GiB`, `500MB`, `64k`, `1048576` into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let units = "B, KB, KiB, MB, MiB, GB, GiB, TB or TiB";
    parse_quantity(text, "size", "8GiB or 500MB", units, "too large", |unit| {
        Some(match unit {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            "t" | "tb" => 1_000_000_000_000,
            "tib" => 1 << 40,
            _ => return None,
        })
    })
}

/// `<digits><unit>` → digits × the unit's multiplier; zero and overflow are
/// errors, and every message says what was expected.
fn parse_quantity(
    text: &str,
    what: &str,
    example: &str,
    units: &str,
    too_big: &str,
    multiplier: impl Fn(&str) -> Option<u64>,
) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a {what}: expected a number such as {example}"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor =
        multiplier(&unit).ok_or_else(|| format!("unknown {what} unit `{unit}`: use {units}"))?;
    let total = number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is {too_big}"))?;
    if total == 0 {
        return Err(format!("the {what} must be more than 0"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests;

/// What `reel user` can do.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Adds a user; the password is read from standard input. The first
    /// user of all must be an admin.
    Add {
        name: String,
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: crate::accounts::Role,
        /// Storage quota, e.g. 50GiB (default: none).
        #[arg(long, value_parser = parse_size)]
        quota: Option<u64>,
    },
    /// Sets a user's password (read from standard input) and ends their
    /// sessions.
    SetPassword { name: String },
}

fn parse_role(text: &str) -> Result<crate::accounts::Role, String> {
    crate::accounts::Role::parse(text)
        .ok_or_else(|| "a role is admin, member or viewer".to_string())
}
