//! The real `reel` binary as a child process, for tests that must kill it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub(crate) struct ReelProcess {
    pub child: Child,
    /// `host:port`
    pub addr: String,
}

impl ReelProcess {
    /// Starts the binary on port 0 over `data_dir` and reads its address from its log.
    pub(crate) fn spawn(data_dir: &Path) -> Self {
        Self::spawn_with(data_dir, &[])
    }

    /// As `spawn`, with more command-line settings.
    pub(crate) fn spawn_with(data_dir: &Path, settings: &[&str]) -> Self {
        Self::spawn_with_env(data_dir, settings, &[])
    }

    /// As `spawn_with`, with environment variables too (credentials).
    pub(crate) fn spawn_with_env(data_dir: &Path, settings: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reel"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(settings)
            .env("LEPTOS_OUTPUT_NAME", "reel")
            .env("REEL_ADMIN_USER", super::ADMIN)
            .env("REEL_ADMIN_PASSWORD", super::ADMIN_PASSWORD)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn reel");
        let addr = read_address(&mut child);
        ReelProcess { child, addr }
    }

    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client signed in as the admin (a session cookie and this origin).
    pub(crate) async fn admin(&self) -> reqwest::Client {
        let origin = self.origin();
        let cookie = super::accounts::sign_in_at(&origin, super::ADMIN, super::ADMIN_PASSWORD)
            .await
            .expect("the admin signs in");
        super::accounts::cookie_client_at(&origin, &cookie)
    }

    /// SIGKILL: no graceful shutdown, no flushing, as a crash would be.
    /// SIGSTOP: the process stops where it is (a SIGKILL may follow).
    pub(crate) fn freeze(&self) {
        let stopped = Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status()
            .expect("kill -STOP runs");
        assert!(stopped.success(), "kill -STOP {}", self.child.id());
    }

    pub(crate) fn kill_hard(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

/// Reads `host:port` from the log of a child started with piped stdout, then
/// keeps draining the log so the server never blocks on a full pipe.
pub(crate) fn read_address(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs its address")
            .expect("utf-8");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    addr
}

impl Drop for ReelProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
