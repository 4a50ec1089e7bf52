//! The real `reel` binary: configuration errors stop start-up with a clear
//! message, and SIGTERM lets an in-flight download finish before exiting.

use std::process::Command;

use crate::common::process::ReelProcess;
use crate::common::shared::local_only;
use crate::common::{TestServer, ffmpeg};
use reel::model::UploadResponse;

fn reel() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reel"));
    command
        .env("LEPTOS_OUTPUT_NAME", "reel")
        .env("RUST_LOG", "info");
    command
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    let out = reel().arg("--help").output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--data-dir",
        "REEL_DATA_DIR",
        "--listen",
        "REEL_LISTEN",
        "--max-upload-size",
        "REEL_MAX_UPLOAD_SIZE",
        "--workers",
        "REEL_WORKERS",
        "--upload-chunk-size",
        "REEL_UPLOAD_CHUNK_SIZE",
        "--upload-expiry",
        "REEL_UPLOAD_EXPIRY",
        "--shutdown-grace",
        "REEL_SHUTDOWN_GRACE",
        "--storage",
        "REEL_STORAGE",
        "--idle-timeout",
        "REEL_IDLE_TIMEOUT",
        "--send-timeout",
        "REEL_SEND_TIMEOUT",
        "AWS_ENDPOINT_URL",
        "AWS_SECRET_ACCESS_KEY",
        "--serve-mode",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn object_storage_settings_are_checked_and_secrets_never_shown() {
    let secret = "s3cr3t-that-must-not-print";
    let out = reel()
        .arg("--help")
        .env("AWS_ACCESS_KEY_ID", "key-id-that-must-not-print")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(!help.contains(secret) && !help.contains("key-id-that-must-not-print"));

    let out = reel()
        .args(["--storage", "s3://No_Such"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--storage") && stderr.contains("bucket name"),
        "{stderr}"
    );

    // Nothing answers at this endpoint: start-up stops naming the setting,
    // and the secret is in no line of output.
    let dir = tempfile::tempdir().expect("tmp");
    let out = reel()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--storage",
            "s3://media/reel",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "reel")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(output.contains("--storage s3://media/reel"), "{output}");
    assert!(!output.contains(secret), "{output}");
}

#[test]
fn invalid_settings_stop_start_up_with_a_message() {
    let out = reel()
        .args(["--max-upload-size", "lots"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a size"));

    let out = reel().env("REEL_WORKERS", "0").output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workers"));

    let dir = tempfile::tempdir().expect("tmp");
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").expect("write");
    let out = reel()
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(blocker.join("data"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create the data directory"));
}

#[tokio::test]
async fn sigterm_lets_a_running_download_finish() {
    let media = tempfile::tempdir().expect("tmp");
    // About 25 MB of WAV: far more than socket buffers hold, so the download is in flight.
    let wav = ffmpeg(
        media.path(),
        "long.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=duration=130:sample_rate=48000",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
        ],
    );
    let expected = std::fs::read(&wav).expect("read");

    let data = tempfile::tempdir().expect("data");
    let mut server = ReelProcess::spawn(data.path());
    let addr = server.addr.clone();
    let client = server.admin().await;
    let part = reqwest::multipart::Part::bytes(expected.clone()).file_name("long.wav");
    let created: UploadResponse = client
        .post(format!("http://{addr}/api/uploads"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");

    let mut download = client
        .get(format!("http://{addr}{}", created.urls.original))
        .send()
        .await
        .expect("download starts");
    let mut received = download
        .chunk()
        .await
        .expect("first chunk")
        .expect("bytes")
        .to_vec();

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    while let Some(chunk) = download
        .chunk()
        .await
        .expect("the download continues after SIGTERM")
    {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received.len(), expected.len());
    assert!(received == expected, "downloaded bytes differ");
    let exit = server.child.wait().expect("exits");
    assert!(exit.success(), "graceful exit, got {exit:?}");
}

#[test]
fn a_second_reel_on_the_same_data_directory_is_refused() {
    let data = tempfile::tempdir().expect("data");
    let _first = ReelProcess::spawn(data.path());
    let out = reel()
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use by another Reel"), "{stderr}");
}

#[tokio::test]
async fn a_stalled_request_does_not_keep_the_server_from_stopping() {
    use crate::common::{ADMIN, ADMIN_PASSWORD};
    use std::io::Write;
    let data = tempfile::tempdir().expect("data");
    let mut child = reel()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--shutdown-grace",
            "1s",
            "--data-dir",
        ])
        .arg(data.path())
        .env("NO_COLOR", "1")
        .env("REEL_ADMIN_USER", ADMIN)
        .env("REEL_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let addr = crate::common::process::read_address(&mut child);
    let cookie =
        crate::common::accounts::sign_in_at(&format!("http://{addr}"), ADMIN, ADMIN_PASSWORD)
            .await
            .expect("signed in");
    // An upload that announces 1 MB and then sends nothing more.
    let mut stalled = std::net::TcpStream::connect(&addr).expect("connect");
    let head = format!(
        "POST /api/uploads HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=X\r\nContent-Length: 1000000\r\n\r\n--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF"
    );
    stalled.write_all(head.as_bytes()).expect("send");
    // The request is in flight once its temp file exists (bounded wait on that).
    // (Scratch files are one level down, in this run's own folder.)
    let started = std::time::Instant::now();
    while reel::testing::scratch_entries(data.path()) == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the upload never started"
        );
        std::thread::yield_now();
    }

    let signalled = std::time::Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait()));
    let exit = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the server stops within its grace period despite the stalled upload")
        .expect("exit status");
    assert!(exit.success(), "{exit:?}");
    // It waited for the running request (the grace), then stopped anyway.
    assert!(
        signalled.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        signalled.elapsed()
    );
    drop(stalled);
}

#[tokio::test]
async fn a_restart_finishes_processing_left_unfinished() {
    local_only!();
    // Record an item as still processing with its poster job running, as a
    // crash in the middle of that job leaves it.
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created: UploadResponse = server
        .upload(&crate::common::video_mp4(media.path(), 1))
        .await
        .json()
        .await
        .expect("json");
    let dir = server.stop().await;
    let db = dir.path().join("reel.db");
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .expect("db");
        sqlx::query("UPDATE media SET state = 'processing', has_poster = 0")
            .execute(&mut conn)
            .await
            .expect("update");
        sqlx::query("UPDATE jobs SET state = 'running', heartbeat_at = 1 WHERE kind = 'poster'")
            .execute(&mut conn)
            .await
            .expect("update");
        conn.close().await.expect("close");
    }
    std::fs::remove_file(
        dir.path()
            .join("files/media")
            .join(&created.id.as_str()[..2])
            .join(created.id.as_str())
            .join("poster.jpg"),
    )
    .expect("poster existed");

    let server = TestServer::start_in(dir, |_| {}).await;
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, reel::model::MediaState::Ready);
    assert!(item.has_poster);
}

#[tokio::test]
async fn a_restart_settles_an_item_whose_jobs_ended_before_the_crash() {
    local_only!();
    // A crash between a job's last write and its item's settling leaves the
    // item processing with nothing queued or running (found by the crash
    // soak): the restart settles it.
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created: UploadResponse = server
        .upload(&crate::common::video_mp4(media.path(), 1))
        .await
        .json()
        .await
        .expect("json");
    server.hooks.wait_idle().await;
    let dir = server.stop().await;
    let db = dir.path().join("reel.db");
    reel::testing::sql_execute(&db, "UPDATE media SET state = 'processing'").await;

    let server = TestServer::start_in(dir, |_| {}).await;
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, reel::model::MediaState::Ready);
}

/// Polls the database file of a running (or killed) server until `query`
/// returns a row: the server is another process, so there is nothing to await.
async fn wait_for_row(db: &std::path::Path, query: &'static str, id: &str) {
    use sqlx::Connection;
    let url = format!("sqlite:{}", db.display());
    crate::common::eventually(query, std::time::Duration::from_secs(120), || async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("db");
        let found: Option<(i64,)> = sqlx::query_as(query)
            .bind(id)
            .fetch_optional(&mut conn)
            .await
            .expect("query");
        conn.close().await.expect("close");
        found.map(|_| ())
    })
    .await;
}

#[tokio::test]
async fn a_transcode_killed_with_sigkill_finishes_after_a_restart() {
    let data = tempfile::tempdir().expect("tmp");
    let media = tempfile::tempdir().expect("tmp");
    // Long enough that its transcode is far from done a second after the kill.
    let source = crate::common::avi_needing_transcode(media.path(), 90, "640x360");
    let reel = ReelProcess::spawn(data.path());
    let part =
        reqwest::multipart::Part::bytes(std::fs::read(&source).expect("read")).file_name("old.avi");
    let created: UploadResponse = reel
        .admin()
        .await
        .post(format!("{}/api/uploads", reel.origin()))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let db = data.path().join("reel.db");
    wait_for_row(
        &db,
        "SELECT 1 FROM jobs WHERE media_id = ? AND kind = 'ladder' AND state = 'running' AND progress > 0",
        created.id.as_str(),
    )
    .await;
    let transcoding = children_working_in(data.path());
    assert!(!transcoding.is_empty(), "ffmpeg runs on the data directory");
    reel.kill_hard();
    // Its ffmpeg dies with it (ffmpeg ignores SIGPIPE, so a closed progress
    // pipe does not stop it): it must not run on beside the transcode the
    // restarted server starts for the same job.
    crate::common::eventually(
        "the killed server's ffmpeg to die with it",
        std::time::Duration::from_secs(1),
        || async { children_working_in(data.path()).is_empty().then_some(()) },
    )
    .await;

    let reel = ReelProcess::spawn(data.path());
    wait_for_row(
        &db,
        "SELECT 1 FROM media WHERE id = ? AND state = 'ready' AND play_variant = 'playable' AND hls = 'ready'",
        created.id.as_str(),
    )
    .await;
    let playable = reel
        .admin()
        .await
        .get(format!("{}/files/{}/playable", reel.origin(), created.id))
        .send()
        .await
        .expect("get");
    assert_eq!(playable.status(), reqwest::StatusCode::OK);
    let copy = media.path().join("playable.mp4");
    std::fs::write(&copy, playable.bytes().await.expect("body")).expect("write");
    let streams = crate::common::probe_streams(&copy);
    assert!(
        streams.contains("codec_name=h264|pix_fmt=yuv420p"),
        "{streams}"
    );
    // The copy is the ladder's top rung with its shared AAC sound.
    assert!(streams.contains("codec_name=aac"), "{streams}");
    // Two attempts: the killed one and the one that finished.
    wait_for_row(
        &db,
        "SELECT 1 FROM jobs WHERE media_id = ? AND kind = 'ladder' AND attempts = 2",
        created.id.as_str(),
    )
    .await;
}

/// The pids of live processes whose command line names a file under `dir`
/// (ffmpeg's input and output are there), zombies aside.
fn children_working_in(dir: &std::path::Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if !zombie
            && String::from_utf8_lossy(&cmdline).contains(&needle)
            && pid != std::process::id()
        {
            pids.push(pid);
        }
    }
    pids
}

/// `reel user …` with the password on standard input; what it printed.
fn user_command(data: &std::path::Path, args: &[&str], password: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = reel()
        .arg("--data-dir")
        .arg(data)
        .arg("user")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{password}").expect("password");
    drop(stdin);
    let out = child.wait_with_output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Headless installs: the first admin and later users come from the
/// command line, which works while the server runs.
#[tokio::test]
async fn reel_user_adds_accounts_and_resets_passwords_from_the_command_line() {
    use crate::common::accounts::sign_in_at;
    let data = tempfile::tempdir().expect("data");
    let password = "a long enough password";
    let (ok, text) = user_command(data.path(), &["add", "alice"], password);
    assert!(
        !ok && text.contains("first user must be an admin"),
        "{text}"
    );
    let (ok, text) = user_command(data.path(), &["add", "boss", "--role", "admin"], "short");
    assert!(!ok && text.contains("password"), "{text}");
    let (ok, text) = user_command(data.path(), &["add", "boss", "--role", "admin"], password);
    assert!(ok, "{text}");

    // The server starts with that admin (no setup link, no second admin).
    let server = ReelProcess::spawn(data.path());
    let origin = server.origin();
    assert!(sign_in_at(&origin, "boss", password).await.is_ok());
    assert!(
        sign_in_at(&origin, crate::common::ADMIN, crate::common::ADMIN_PASSWORD)
            .await
            .is_err()
    );
    let (ok, text) = user_command(data.path(), &["add", "alice", "--role", "member"], password);
    assert!(ok, "{text}");
    let (ok, text) = user_command(data.path(), &["add", "Alice"], password);
    assert!(!ok && text.contains("exists"), "{text}");
    assert!(sign_in_at(&origin, "alice", password).await.is_ok());

    let (ok, text) = user_command(
        data.path(),
        &["set-password", "alice"],
        "another long password",
    );
    assert!(ok, "{text}");
    assert_eq!(
        sign_in_at(&origin, "alice", password).await,
        Err(reqwest::StatusCode::UNAUTHORIZED)
    );
    assert!(
        sign_in_at(&origin, "alice", "another long password")
            .await
            .is_ok()
    );
    let (ok, text) = user_command(data.path(), &["set-password", "nobody"], password);
    assert!(!ok && text.contains("no user called nobody"), "{text}");
}
