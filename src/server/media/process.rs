//! The one way Reel runs external programs: typed arguments (no shell), a
//! wall-clock timeout, kill on drop, a concurrency cap and a typed error.

use std::ffi::OsString;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::Semaphore;

/// The programs Reel may run. Nothing else can be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Ffmpeg,
    Ffprobe,
}

impl Tool {
    pub fn program(self) -> &'static str {
        match self {
            Tool::Ffmpeg => "ffmpeg",
            Tool::Ffprobe => "ffprobe",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
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

/// Captured output of a successful run.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Keeps only the end of stderr: ffmpeg puts the reason last.
const STDERR_TAIL: usize = 2_000;

#[derive(Clone, Debug)]
pub struct Runner {
    permits: Arc<Semaphore>,
}

impl Runner {
    /// At most `concurrency` programs run at once; the rest wait their turn.
    pub fn new(concurrency: usize) -> Self {
        Runner {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn run(
        &self,
        tool: Tool,
        args: Vec<OsString>,
        limit: Duration,
    ) -> Result<Output, ProcessError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ProcessError::Spawn {
                tool,
                source: std::io::Error::other("the process runner is shut down"),
            })?;
        let mut command = Command::new(tool.program());
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // If the future is dropped (timeout, cancelled request), the child dies too.
            .kill_on_drop(true);
        let child = command.spawn().map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ProcessError::NotFound(tool),
            _ => ProcessError::Spawn { tool, source },
        })?;
        let output = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .map_err(|_| ProcessError::Timeout { tool, limit })?
            .map_err(|source| ProcessError::Spawn { tool, source })?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = tail(stderr.trim(), STDERR_TAIL).to_string();
        if !output.status.success() {
            return Err(ProcessError::Status {
                tool,
                status: output.status.to_string(),
                stderr,
            });
        }
        Ok(Output {
            stdout: output.stdout,
            stderr,
        })
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
