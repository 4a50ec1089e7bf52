//! A real S3-compatible server for the tests: s3s-fs, which checks every
//! request's signature, pinned in Cargo.toml and installed by
//! `scripts/setup.sh`. One bucket, on plain files in a temp dir.

use std::path::PathBuf;
use std::process::Stdio;

use reel::model::MediaId;
use reel::server::{S3Settings, Secret};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) const KEY_ID: &str = "reel-test-key";
pub(crate) const SECRET: &str = "reel-test-secret-0f9e8d7c6b5a";
pub(crate) const BUCKET: &str = "reel-media";

/// A running s3s-fs with one bucket, killed on drop.
pub(crate) struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    _child: Child,
}

impl S3Server {
    pub(crate) async fn start() -> Self {
        let root = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket");
        let mut child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET])
            .arg(root.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("s3s-fs runs (scripts/setup.sh installs it)");
        // It says where it listens (port 0: the system chose), then its log
        // is drained so that the pipe never fills.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let endpoint = loop {
            let line = lines
                .next_line()
                .await
                .expect("s3s-fs output")
                .expect("s3s-fs said where it listens before it exited");
            if let Some((_, at)) = line.split_once("server is running at ") {
                break at.trim().to_string();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        S3Server {
            endpoint,
            root,
            _child: child,
        }
    }

    pub(crate) fn settings(&self, secret: &str) -> S3Settings {
        S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some(KEY_ID.into()),
            secret_access_key: Some(Secret::new(secret)),
        }
    }

    /// Where s3s-fs keeps an object's bytes (its root is a plain folder).
    pub(crate) fn object(&self, prefix: &str, id: &MediaId, name: &str) -> PathBuf {
        self.root
            .path()
            .join(BUCKET)
            .join(prefix)
            .join("media")
            .join(id.as_str())
            .join(name)
    }
}
