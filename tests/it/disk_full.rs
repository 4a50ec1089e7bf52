//! A full disk, for real: the data directory is a 48 MiB tmpfs of the
//! test's own (mounting needs root, as the README's test command runs).
//! Uploads that cannot fit are refused with 507 `insufficient-storage` and
//! keep nothing; uploads that fit keep working; the database stays whole.

use std::path::{Path, PathBuf};

use reel::error::{ApiError, ErrorCode};
use reqwest::StatusCode;

use crate::common::shared::local_only;
use crate::common::tus::{TUS_RESUMABLE, b64};
use crate::common::{TestServer, tone_wav};

/// Unmounts the small disk when the test ends, however it ends.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Self {
        let done = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount runs");
        assert!(done.success(), "mounting a tmpfs needs root");
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

async fn refused(response: reqwest::Response) -> ApiError {
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let error: ApiError = response.json().await.expect("error json");
    assert_eq!(error.code, ErrorCode::InsufficientStorage);
    assert!(
        error.message.contains("Free some space"),
        "{}",
        error.message
    );
    assert!(!error.message.contains('/'), "no path: {}", error.message);
    error
}

#[tokio::test]
async fn uploads_that_cannot_fit_are_refused_and_keep_nothing() {
    local_only!();
    let media = tempfile::tempdir().expect("tmp");
    // 40 MB of sound: more than 48 MiB less the 16 MiB reserve.
    let big = tone_wav(media.path(), 210);
    let big_len = std::fs::metadata(&big).expect("wav").len();
    let other = tempfile::tempdir().expect("tmp");
    let small = tone_wav(other.path(), 3);

    let dir = tempfile::tempdir().expect("tmp");
    let _disk = SmallDisk::mount(dir.path(), "48m");
    let server = TestServer::start_in(dir, |_| {}).await;

    // Multipart: refused from its announced length, before any byte is kept.
    refused(server.upload(&big).await).await;
    // tus: refused at creation, not after filling the disk.
    let created = server
        .client
        .post(server.url("/api/tus"))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Length", big_len.to_string())
        .header("Upload-Metadata", format!("filename {}", b64("big.wav")))
        .send()
        .await
        .expect("create");
    refused(created).await;
    assert_eq!(server.hooks.item_count().await, 0);
    assert_eq!(server.scratch_entries(), 0);
    assert_eq!(server.partial_files().await, 0);

    // A multipart body of unknown length that runs the disk full midway:
    // the write fails, the answer says why, and the partial file goes.
    let filler = server.dir.path().join("filler");
    let free = fs_free(server.dir.path());
    std::fs::write(&filler, vec![0u8; (free - (20 << 20)) as usize]).expect("filler");
    let bytes = std::fs::read(&big).expect("wav");
    let stream = futures_util::stream::iter(
        bytes
            .chunks(1 << 20)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let part =
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream)).file_name("big.wav");
    let chunked = server
        .client
        .post(server.url("/api/uploads"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    refused(chunked).await;
    assert_eq!(server.scratch_entries(), 0, "the half-written file is gone");
    std::fs::remove_file(&filler).expect("free the space");

    // What fits still works, and the database is whole.
    let fits = server.upload(&small).await;
    assert_eq!(fits.status(), StatusCode::CREATED);
    server.hooks.wait_idle().await;
    assert_eq!(server.hooks.item_count().await, 1);
    let database = server.dir.path().join("reel.db");
    let check = reel::testing::sql_strings(&database, "PRAGMA integrity_check").await;
    assert_eq!(check, ["ok"]);
    server.stop().await;
}

/// Bytes free on the filesystem holding `dir`.
fn fs_free(dir: &Path) -> u64 {
    let out = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .expect("df");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("df says how much is free")
}

#[tokio::test]
async fn a_transcode_without_room_fails_with_a_reason_and_succeeds_on_retry_after_space_is_freed() {
    local_only!();
    let media = tempfile::tempdir().expect("tmp");
    let source = crate::common::avi_needing_transcode(media.path(), 2, "320x240");
    let dir = tempfile::tempdir().expect("tmp");
    // Room for the 256 MiB that processing keeps free, once the filler goes.
    let _disk = SmallDisk::mount(dir.path(), "400m");
    let server = TestServer::start_in(dir, |config| {
        config.manual_jobs = true;
        config.job_attempts = 1;
        config.job_retry_delay = std::time::Duration::ZERO;
    })
    .await;
    let created: reel::model::UploadResponse =
        server.upload(&source).await.json().await.expect("json");
    let filler = server.dir.path().join("filler");
    let free = fs_free(server.dir.path());
    std::fs::write(&filler, vec![0u8; (free - (100 << 20)) as usize]).expect("filler");

    let mut reasons = Vec::new();
    while let Some(report) = server.hooks.run_one_job().await {
        if let reel::testing::JobReport::Failed { reason, .. } = report {
            reasons.push(reason);
        }
    }
    assert!(
        reasons.iter().any(|r| r.contains("short of disk space")),
        "{reasons:?}"
    );
    let item = server.item(&created.id).await;
    assert!(
        matches!(item.state, reel::model::MediaState::Failed(_)),
        "{:?}",
        item.state
    );
    assert_eq!(server.scratch_entries(), 0, "nothing half-written is left");

    std::fs::remove_file(&filler).expect("free the space");
    let retried = server
        .client
        .post(server.url("/api/retry_processing"))
        .form(&[("id", created.id.as_str())])
        .send()
        .await
        .expect("retry");
    assert_eq!(retried.status(), StatusCode::OK);
    while server.hooks.run_one_job().await.is_some() {}
    let item = server.item(&created.id).await;
    assert_eq!(item.state, reel::model::MediaState::Ready);
    assert_eq!(item.play, Some(reel::model::PlaySource::Playable));
    let database = server.dir.path().join("reel.db");
    let check = reel::testing::sql_strings(&database, "PRAGMA integrity_check").await;
    assert_eq!(check, ["ok"]);
    server.stop().await;
}

#[tokio::test]
async fn a_resumable_upload_that_meets_a_full_disk_keeps_its_bytes_and_resumes() {
    // With S3 storage, resumable uploads go straight to the store: this
    // machine's disk never holds them.
    local_only!();
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 100)).expect("wav"); // 19.2 MB
    let dir = tempfile::tempdir().expect("tmp");
    let _disk = SmallDisk::mount(dir.path(), "48m");
    let server = TestServer::start_in(dir, |_| {}).await;
    let tus = server.tus();
    let location = tus.create(bytes.len() as u64, "tone.wav").await;

    // Another writer takes the room this upload was counted against.
    let filler = server.dir.path().join("filler");
    let free = fs_free(server.dir.path());
    std::fs::write(&filler, vec![0u8; (free - (8 << 20)) as usize]).expect("filler");
    let full = tus.patch(&location, 0, bytes.clone()).await;
    assert_eq!(full.status(), StatusCode::INSUFFICIENT_STORAGE);
    let error: ApiError = full.json().await.expect("error json");
    assert_eq!(error.code, ErrorCode::InsufficientStorage);

    // What reached the disk counts (tus), and the rest follows once there is room.
    let kept = tus.offset(&location).await;
    assert!(kept < bytes.len() as u64, "{kept}");
    std::fs::remove_file(&filler).expect("free the space");
    tus.send_rest(&location, &bytes, kept, 4 << 20).await;
    server.settle().await;
    let status = tus
        .status(crate::common::tus::upload_id(&location))
        .await
        .expect("known");
    let reel::model::UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let item = server.item(&media_id).await;
    assert_eq!(
        item.sha256,
        crate::common::sha256_hex(&bytes),
        "no byte lost or doubled"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_database_write_on_a_full_disk_says_so_and_works_once_space_is_freed() {
    local_only!();
    let media = tempfile::tempdir().expect("tmp");
    let song = tone_wav(media.path(), 1);
    let dir = tempfile::tempdir().expect("tmp");
    let _disk = SmallDisk::mount(dir.path(), "48m");
    let server = TestServer::start_in(dir, |config| config.manual_jobs = true).await;
    let created: reel::model::UploadResponse =
        server.upload(&song).await.json().await.expect("json");

    // Something else fills the disk to the last byte (another program,
    // a log): the database cannot grow.
    let filler = server.dir.path().join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    let block = vec![0u8; 1 << 20];
    while std::io::Write::write_all(&mut file, &block).is_ok() {}
    let mut byte = 0;
    while std::io::Write::write_all(&mut file, &[0u8]).is_ok() {
        byte += 1;
        assert!(byte < (1 << 20), "the disk never filled");
    }
    drop(file);
    let long = "a description long enough to need new database pages ".repeat(80);
    let update = |description: String| {
        server
            .client
            .post(server.url("/api/update_media"))
            .form(&[
                ("id", created.id.as_str().to_string()),
                ("title", "Renamed".to_string()),
                ("description", description),
            ])
            .send()
    };
    let full = update(long.clone()).await.expect("update");
    refused(full).await;

    std::fs::remove_file(&filler).expect("free the space");
    let works = update(long).await.expect("update");
    assert_eq!(works.status(), StatusCode::OK);
    let database = server.dir.path().join("reel.db");
    let check = reel::testing::sql_strings(&database, "PRAGMA integrity_check").await;
    assert_eq!(check, ["ok"]);
    // Its processing was left queued (manual jobs): run it out before stopping.
    while server.hooks.run_one_job().await.is_some() {}
    server.stop().await;
}
