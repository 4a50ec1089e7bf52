//! The real release binary as a child process, started the way the
//! integration tests start it (`tests/it/common/process.rs`) plus the built
//! site the pages need (as `scripts/run.sh` serves it), on port 0 over a
//! temp data directory. Its memory and CPU are read from `/proc`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The admin the server starts with; the load signs in as them.
pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery";

/// How long a SIGTERM may take to stop the server once the load is over.
const STOP_WITHIN: Duration = Duration::from_secs(20);

pub(crate) struct Server {
    child: Child,
    pid: u32,
    /// `http://127.0.0.1:port`
    pub(crate) origin: String,
    /// Lines the server logged at WARN and ERROR (the first few kept).
    pub(crate) log: Arc<LogTally>,
    /// Removed (with every stored file) when the server is dropped.
    _data: tempfile::TempDir,
}

#[derive(Default)]
pub(crate) struct LogTally {
    pub(crate) warnings: AtomicU64,
    pub(crate) errors: AtomicU64,
    /// How often each kind of WARN or ERROR line came (`level target: message`,
    /// digits masked), and one whole line of each kind.
    pub(crate) kinds: std::sync::Mutex<BTreeMap<String, (u64, String)>>,
}

/// The server's memory, in KiB, from `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    pub(crate) rss_kib: u64,
    /// The peak resident set since the process started.
    pub(crate) peak_kib: u64,
}

impl Server {
    /// Starts `binary` serving the site at `site_root`, and waits for the
    /// line in its log that names its address.
    pub(crate) async fn start(binary: &Path, site_root: &Path) -> Result<Self, String> {
        let data = tempfile::tempdir().map_err(|e| format!("temp data dir: {e}"))?;
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .env("REEL_ADMIN_USER", ADMIN)
            .env("REEL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LEPTOS_OUTPUT_NAME", "reel")
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_ENV", "PROD")
            // The release build's /pkg names carry content hashes; the
            // server reads them from hash.txt next to the binary.
            .env("LEPTOS_HASH_FILES", "true")
            // One log line per request would make the log the bottleneck.
            .env("RUST_LOG", "info,sqlx=warn,reel::access=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let log = Arc::new(LogTally::default());
        let stderr = child.stderr.take().ok_or("no stderr")?;
        tokio::spawn(tally(BufReader::new(stderr).lines(), log.clone()));
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next_line()
                .await
                .map_err(|e| format!("server log: {e}"))?
                .ok_or("the server stopped before it logged its address")?;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining: a server blocked on a full pipe would look slow.
        tokio::spawn(tally(lines, log.clone()));
        Ok(Server {
            child,
            pid,
            origin: format!("http://{addr}"),
            log,
            _data: data,
        })
    }

    pub(crate) fn memory(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(Memory {
            rss_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
        })
    }

    /// CPU time the server has used so far (user + system).
    pub(crate) fn cpu(&self) -> Option<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.pid), OWN_TIMES)
    }

    /// CPU time of the server's finished children (ffmpeg and ffprobe).
    pub(crate) fn children_cpu(&self) -> Option<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.pid), CHILDREN_TIMES)
    }

    /// SIGTERM, then waits for a graceful exit; whether it exited cleanly.
    pub(crate) async fn stop(mut self) -> Result<(), String> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await
            .map_err(|e| format!("kill: {e}"))?;
        if !sent.success() {
            return Err("the server was gone before SIGTERM".into());
        }
        match tokio::time::timeout(STOP_WITHIN, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("the server exited with {status} after SIGTERM")),
            Ok(Err(e)) => Err(format!("waiting for the server: {e}")),
            Err(_) => Err(format!(
                "the server did not stop within {STOP_WITHIN:?} of SIGTERM"
            )),
        }
    }
}

/// CPU time this process has used so far.
pub(crate) fn own_cpu() -> Option<Duration> {
    cpu_of("/proc/self/stat", OWN_TIMES)
}

/// Where utime and stime sit in `/proc/<pid>/stat`, counted from the field
/// after the command name; cutime and cstime (reaped children) follow them.
const OWN_TIMES: usize = 11;
const CHILDREN_TIMES: usize = 13;

/// Two adjacent time fields of a `/proc/<pid>/stat`, added, in clock ticks
/// of 1/100 s (`CLK_TCK` is 100 on Linux).
fn cpu_of(stat: &str, first: usize) -> Option<Duration> {
    let text = std::fs::read_to_string(stat).ok()?;
    // The command name may hold spaces: fields are counted after its ')'.
    let after = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let user: u64 = fields.get(first)?.parse().ok()?;
    let system: u64 = fields.get(first + 1)?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// Counts WARN and ERROR lines of a log stream until it ends.
async fn tally<R: tokio::io::AsyncBufRead + Unpin>(
    mut lines: tokio::io::Lines<R>,
    log: Arc<LogTally>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        let counter = if line.contains(" ERROR ") {
            &log.errors
        } else if line.contains(" WARN ") {
            &log.warnings
        } else {
            continue;
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kinds) = log.kinds.lock() {
            kinds.entry(line_kind(&line)).or_insert((0, line)).0 += 1;
        }
    }
}

/// What a log line says without its time, numbers and fields:
/// `WARN sqlx::pool::acquire: acquired connection, but time to acquire …`.
fn line_kind(line: &str) -> String {
    let from_level = line
        .find(" WARN ")
        .or_else(|| line.find(" ERROR "))
        .map_or(line, |at| line[at..].trim_start());
    // Fields (`name=value`) follow the message.
    let message = from_level
        .split_whitespace()
        .take_while(|word| !word.contains('='))
        .collect::<Vec<_>>()
        .join(" ");
    message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .take(120)
        .collect()
}

/// The release binary and site of this checkout.
pub(crate) fn default_binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/reel")
}

pub(crate) fn default_site_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site")
}
