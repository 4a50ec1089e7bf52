//! The one way Reel runs external programs: typed arguments (no shell), a
//! wall-clock timeout, kill on drop, a concurrency cap and a typed error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::Semaphore;

/// The programs Reel may run. Nothing else can be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tool {
    Ffmpeg,
    Ffprobe,
}

impl Tool {
    pub(crate) fn program(self) -> &'static str {
        match self {
            Tool::Ffmpeg => "ffmpeg",
            Tool::Ffprobe => "ffprobe",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProcessError {
    #[error("{} is not installed (install Debian's ffmpeg package)", .0.program())]
    NotFound(Tool),
    #[error("cannot start {}: {source}", .tool.program())]
    Spawn {
        tool: Tool,
        #[source]
        source: std::io::Error,
    },
    #[error("{} did not finish within {} s and was stopped", .tool.program(), .limit.as_secs())]
    Timeout { tool: Tool, limit: Duration },
    #[error("{} failed ({status}): {stderr}", .tool.program())]
    Status {
        tool: Tool,
        status: String,
        stderr: String,
    },
}

/// Where util-linux's `setpriv` is: it starts a program with a
/// parent-death signal. Found once; `None` where there is none.
fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV.get_or_init(|| find_program("setpriv")).as_deref()
}

/// `program` on the `PATH`, as the shell would find it.
fn find_program(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The command that starts `tool`. Through `setpriv --pdeathsig KILL`
/// where it exists: if Reel dies without cleaning up (`kill -9`, a crash,
/// the OOM killer), the kernel kills its ffmpeg too, which otherwise runs
/// on (it ignores SIGPIPE) beside the run the restarted server starts for
/// the same job. The signal follows the spawning thread, and the runner is
/// only called from the runtime's worker threads, which live as long as
/// the server. Without `setpriv`, the program is started directly.
fn command(tool: Tool) -> Result<Command, ProcessError> {
    let program = find_program(tool.program()).ok_or(ProcessError::NotFound(tool))?;
    let mut command = match setpriv() {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(program);
            command
        }
        None => Command::new(program),
    };
    // The malloc setting the server gave itself (main.rs) is for Reel's
    // own buffers, not ffmpeg's.
    if std::env::var_os("REEL_MALLOC_TUNED").is_some() {
        command
            .env_remove("MALLOC_MMAP_THRESHOLD_")
            .env_remove("REEL_MALLOC_TUNED");
    }
    Ok(command)
}

/// Captured output of a successful run.
#[derive(Debug)]
pub(crate) struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Keeps only the end of stderr: ffmpeg puts the reason last.
const STDERR_TAIL: usize = 2_000;

#[derive(Clone, Debug)]
pub(crate) struct Runner {
    permits: Arc<Semaphore>,
}

impl Runner {
    /// At most `concurrency` programs run at once; the rest wait their turn.
    pub(crate) fn new(concurrency: usize) -> Self {
        Runner {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs `tool` to completion within `limit` and keeps its output.
    pub(crate) async fn run(
        &self,
        tool: Tool,
        args: Vec<OsString>,
        limit: Duration,
    ) -> Result<Output, ProcessError> {
        let mut stdout = Vec::new();
        let finished = self
            .run_streaming(tool, args, limit, |chunk| stdout.extend_from_slice(chunk))
            .await?;
        Ok(Output {
            stdout,
            stderr: finished.stderr,
        })
    }

    /// Like `run`, but hands stdout to `on_stdout` as it arrives instead of
    /// keeping it: for ffmpeg's `-progress pipe:1` lines or raw PCM, whose
    /// size has no useful bound. Stderr is drained at the same time (a full
    /// stderr pipe would stall the child) and only its tail is kept.
    pub(crate) async fn run_streaming<F>(
        &self,
        tool: Tool,
        args: Vec<OsString>,
        limit: Duration,
        mut on_stdout: F,
    ) -> Result<Output, ProcessError>
    where
        F: FnMut(&[u8]) + Send,
    {
        use tokio::io::AsyncReadExt;

        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ProcessError::Spawn {
                tool,
                source: std::io::Error::other("the process runner is shut down"),
            })?;
        // The exact command line, for reproducing a run by hand (bench/processing.py).
        tracing::debug!(program = tool.program(), ?args, "running");
        let mut child = Reaped(
            command(tool)?
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                // If the future is dropped (timeout, cancelled job), the child dies too.
                .kill_on_drop(true)
                .spawn()
                .map_err(|source| match source.kind() {
                    std::io::ErrorKind::NotFound => ProcessError::NotFound(tool),
                    _ => ProcessError::Spawn { tool, source },
                })?,
        );
        let io = |source| ProcessError::Spawn { tool, source };
        let mut stdout = child
            .0
            .stdout
            .take()
            .ok_or_else(|| io(std::io::Error::other("no stdout")))?;
        let mut stderr = child
            .0
            .stderr
            .take()
            .ok_or_else(|| io(std::io::Error::other("no stderr")))?;
        let work = async {
            let read_stdout = async {
                let mut buffer = vec![0u8; 64 * 1024];
                loop {
                    let n = stdout.read(&mut buffer).await?;
                    if n == 0 {
                        return Ok::<(), std::io::Error>(());
                    }
                    on_stdout(&buffer[..n]);
                }
            };
            let read_stderr = async {
                let mut kept = Vec::new();
                let mut buffer = vec![0u8; 8 * 1024];
                loop {
                    let n = stderr.read(&mut buffer).await?;
                    if n == 0 {
                        return Ok::<Vec<u8>, std::io::Error>(kept);
                    }
                    kept.extend_from_slice(&buffer[..n]);
                    if kept.len() > 4 * STDERR_TAIL {
                        kept.drain(..kept.len() - 2 * STDERR_TAIL);
                    }
                }
            };
            let ((), kept) = tokio::try_join!(read_stdout, read_stderr)?;
            let status = child.0.wait().await?;
            Ok::<_, std::io::Error>((status, kept))
        };
        let (status, kept) = tokio::time::timeout(limit, work)
            .await
            .map_err(|_| ProcessError::Timeout { tool, limit })?
            .map_err(io)?;
        let stderr = String::from_utf8_lossy(&kept);
        let stderr = tail(stderr.trim(), STDERR_TAIL).to_string();
        if !status.success() {
            return Err(ProcessError::Status {
                tool,
                status: status.to_string(),
                stderr,
            });
        }
        Ok(Output {
            stdout: Vec::new(),
            stderr,
        })
    }
}

/// A child that is dead once this is dropped, not merely sent a signal:
/// whoever drops a cancelled run next (a job removing its output folder)
/// must not race a process that still creates files in it.
struct Reaped(tokio::process::Child);

/// How long a drop waits for a killed child; SIGKILL takes microseconds
/// unless the process is stuck in the kernel.
const REAP_WAIT: Duration = Duration::from_secs(2);

impl Drop for Reaped {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        let _ = self.0.start_kill();
        let deadline = std::time::Instant::now() + REAP_WAIT;
        while matches!(self.0.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("abc", 10), "abc");
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ééé", 3), "é");
    }

    #[tokio::test]
    async fn failures_are_typed() {
        let runner = Runner::new(1);
        let bad = runner
            .run(
                Tool::Ffprobe,
                vec![
                    "-v".into(),
                    "error".into(),
                    "file:/nonexistent/x.mp4".into(),
                ],
                Duration::from_secs(20),
            )
            .await;
        match bad {
            Err(ProcessError::Status { stderr, .. }) => {
                assert!(stderr.contains("No such file"), "{stderr}")
            }
            other => panic!("expected a status error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn streaming_runs_hand_over_stdout_as_it_comes() {
        let runner = Runner::new(1);
        // One second of 8 kHz mono s16: exactly 16,000 bytes.
        let args = [
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=8000:duration=1",
            "-f",
            "s16le",
            "-ac",
            "1",
            "pipe:1",
        ];
        let mut total = 0usize;
        runner
            .run_streaming(
                Tool::Ffmpeg,
                args.iter().map(OsString::from).collect(),
                Duration::from_secs(20),
                |chunk| total += chunk.len(),
            )
            .await
            .expect("ffmpeg runs");
        assert_eq!(total, 16_000);

        let endless = [
            "-v", "error", "-re", "-f", "lavfi", "-i", "anullsrc", "-f", "s16le", "pipe:1",
        ];
        let stopped = runner
            .run_streaming(
                Tool::Ffmpeg,
                endless.iter().map(OsString::from).collect(),
                Duration::from_millis(300),
                |_| {},
            )
            .await;
        assert!(
            matches!(stopped, Err(ProcessError::Timeout { .. })),
            "{stopped:?}"
        );
    }

    #[tokio::test]
    async fn a_run_past_its_limit_is_stopped() {
        let runner = Runner::new(1);
        // An endless generator that only a timeout ends.
        let args = [
            "-v", "error", "-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-",
        ];
        let result = runner
            .run(
                Tool::Ffmpeg,
                args.iter().map(OsString::from).collect(),
                Duration::from_millis(300),
            )
            .await;
        assert!(
            matches!(
                result,
                Err(ProcessError::Timeout {
                    tool: Tool::Ffmpeg,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}
