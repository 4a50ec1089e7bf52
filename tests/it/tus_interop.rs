//! Interoperability: the real tus-js-client (npm), run by Node, uploads a
//! 50 MB file to Reel in 5 MB chunks, and the stored bytes are identical.
//! Node packages come from tests/tus-js (scripts/setup.sh installs them; this
//! test runs `npm ci` there itself when they are missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::tus::upload_id;
use crate::common::{TestServer, ffmpeg, sha256_hex};
use reel::model::{MediaState, UploadPhase};

const CHUNK: u64 = 5 * 1024 * 1024;

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tus-js")
}

fn ensure_client_installed() {
    let dir = client_dir();
    if dir.join("node_modules/tus-js-client/package.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .expect("npm runs (Node.js and npm are needed: scripts/setup.sh)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

#[derive(serde::Deserialize)]
struct Outcome {
    url: String,
    bytes: u64,
    chunks: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_uploads_50_mb_in_5_mb_chunks_byte_identical() {
    ensure_client_installed();
    let media = tempfile::tempdir().expect("tmp");
    // 260 s of 48 kHz stereo 16-bit sound: about 50 MB, and real media.
    let wav = ffmpeg(
        media.path(),
        "interop.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=duration=260:sample_rate=48000",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
        ],
    );
    let bytes = std::fs::read(&wav).expect("wav");
    assert!(bytes.len() > 49_000_000, "{}", bytes.len());

    let server = TestServer::start().await;
    let output = tokio::process::Command::new("node")
        .arg(client_dir().join("upload.mjs"))
        .arg(server.url("/api/tus"))
        .arg(&wav)
        .arg(CHUNK.to_string())
        .env(
            "REEL_TOKEN",
            server.admin_token.as_deref().expect("an admin"),
        )
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "tus-js-client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome: Outcome = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(outcome.bytes, bytes.len() as u64);
    assert_eq!(outcome.chunks, (bytes.len() as u64).div_ceil(CHUNK));
    let location = outcome
        .url
        .strip_prefix(&format!("http://{}", server.addr))
        .expect("an upload URL on this server");

    server.settle().await;
    let status = server
        .tus()
        .status(upload_id(location))
        .await
        .expect("known");
    let UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let item = server.item(&media_id).await;
    assert_eq!(item.sha256, sha256_hex(&bytes));
    assert_eq!(item.size_bytes, bytes.len() as u64);
    assert_eq!(item.original_filename, "interop.wav");
    assert_eq!(item.state, MediaState::Ready);
    let stored = std::fs::read(server.stored_file(&media_id, "original")).expect("stored");
    assert!(stored == bytes, "the stored bytes differ");
}
