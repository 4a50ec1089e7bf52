//! The whole flow across nodes ("Beyond one machine"): two web nodes (in
//! this process) and two worker processes over one PostgreSQL database and
//! one S3 server. A tus upload's bytes go straight into an S3 multipart
//! upload and its parts and tail are rows, so an upload started on web node
//! 1 and cut off resumes on web node 2, with one writer at a time across
//! nodes (423 to a second); a worker `kill -9`ed mid-transcode leaves its
//! job to the other once its lease runs out; nothing is lost, nothing run
//! twice to completion, nothing left in the store. And expiry and delete
//! abort unfinished multipart uploads.

use std::time::Duration;

use reel::model::{JobKind, MediaState, UploadId, UploadPhase};
use reel::server::Role;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};

use crate::common::postgres::fresh_database;
use crate::common::process::ReelProcess;
use crate::common::s3::{BUCKET, KEY_ID, S3Server, SECRET};
use crate::common::tus::upload_id;
use crate::common::{TestServer, eventually, sha256_hex};
use crate::multi_node::node;

const MIB: usize = 1 << 20;

/// Files s3s-fs keeps for open multipart uploads (named by their ids).
fn open_multipart_files(s3: &S3Server) -> Vec<String> {
    std::fs::read_dir(s3.root.path())
        .expect("s3 root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".upload"))
        .collect()
}

#[tokio::test]
async fn two_web_nodes_and_two_workers_lose_nothing_and_leave_nothing() {
    let database = fresh_database().await;
    let s3 = S3Server::start().await;
    let one = TestServer::start_with(node(&database, &s3, Role::Web)).await;
    let two = TestServer::start_with(node(&database, &s3, Role::Web)).await;
    let worker_settings = worker_settings(&database);
    let worker_settings: Vec<&str> = worker_settings.iter().map(String::as_str).collect();
    let env = worker_env(&s3);
    let first_dir = tempfile::tempdir().expect("tmp");
    let first_worker = ReelProcess::spawn_with_env(first_dir.path(), &worker_settings, &env);

    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(large_avi(media.path())).expect("avi");
    assert!(
        bytes.len() > 7 * MIB,
        "a whole part and more: {} bytes",
        bytes.len()
    );
    let (tus_one, tus_two) = (one.tus(), two.tus());
    let location = tus_one.create(bytes.len() as u64, "across.avi").await;
    let id = UploadId::parse(upload_id(&location)).expect("id");

    // Web node 1 takes 6 MiB: a whole part is stored and recorded while the
    // request is still open, and web node 2 sees it.
    let first = tus_one.streaming_patch(&location, 0);
    first
        .body
        .send(Ok(bytes[..6 * MIB].to_vec()))
        .await
        .expect("send");
    let part = 5 * MIB as u64;
    eventually(
        "node 2 to see the first part",
        Duration::from_secs(20),
        || async { (tus_two.offset(&location).await == part).then_some(()) },
    )
    .await;

    // One writer across nodes: node 2 refuses a second one while node 1's
    // lease lives (its own in-process lock knows nothing of node 1's).
    let second = tus_two
        .patch(&location, part, bytes[5 * MIB..6 * MIB].to_vec())
        .await;
    assert_eq!(second.status(), StatusCode::LOCKED);
    let refusal: serde_json::Value = second.json().await.expect("json");
    assert_eq!(refusal["code"], "upload-locked");

    // Then node 1's client is cut off mid-body.
    first
        .body
        .send(Ok(bytes[6 * MIB..7 * MIB].to_vec()))
        .await
        .expect("send");
    first
        .body
        .send(Err(std::io::Error::other("the connection broke")))
        .await
        .expect("send");
    drop(first.body);
    let cut = first.response.await.expect("task");
    assert!(
        cut.map_or(true, |r| !r.status().is_success()),
        "a cut PATCH cannot succeed"
    );
    eventually(
        "node 1's writer to let go",
        Duration::from_secs(20),
        || async { (!one.hooks.is_writing(&id)).then_some(()) },
    )
    .await;

    // Node 2 resumes from what node 1 kept (whole parts and the tail).
    let kept = tus_two.offset(&location).await;
    assert!(kept >= part && kept <= 7 * MIB as u64, "kept {kept}");
    tus_two.send_rest(&location, &bytes, kept, 3 * MIB).await;
    let status = tus_two.wait_finalised(id.as_str()).await;
    let UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let item = two.item(&media_id).await;
    assert_eq!(
        item.sha256,
        sha256_hex(&bytes),
        "the parts joined are the bytes sent"
    );

    // The first worker converts it; a page on node 1 follows the progress.
    let mut heard = one.hooks.events();
    // Frozen (SIGSTOP) while the conversion, by the queue's own record, is
    // running with at least half to go: it cannot finish the job before
    // the kill.
    let running = |job: &reel::testing::JobStatus| {
        job.kind == JobKind::Ladder
            && format!("{:?}", job.state) == "Running"
            && job.progress.is_some_and(|p| p > 0.0 && p < 0.5)
    };
    eventually(
        "the first worker to be converting",
        Duration::from_secs(60),
        || async {
            one.hooks
                .jobs_of(&media_id)
                .await
                .iter()
                .any(running)
                .then_some(())
        },
    )
    .await;
    first_worker.freeze();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = heard.recv().await.expect("node 1's event stream");
            let converting = event
                .progress
                .as_ref()
                .is_some_and(|p| p.stage == JobKind::Ladder && p.fraction > 0.0);
            if event.id == media_id && converting {
                return;
            }
        }
    })
    .await
    .expect("node 1 heard the first worker convert");
    first_worker.kill_hard();

    // The second worker takes the job back once its lease has run out.
    let second_dir = tempfile::tempdir().expect("tmp");
    let _second_worker = ReelProcess::spawn_with_env(second_dir.path(), &worker_settings, &env);
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let event = heard.recv().await.expect("node 1's event stream");
            if event.id == media_id && event.state != MediaState::Processing {
                return;
            }
        }
    })
    .await
    .expect("node 1 hears the second worker finish");
    let item = one.item(&media_id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert!(item.play.is_some(), "the converted copy plays");
    for job in one.hooks.jobs_of(&media_id).await {
        assert_eq!(format!("{:?}", job.state), "Done", "{job:?}");
        // Claimed by the first worker, taken back, claimed by the second:
        // done once.
        let claims = if job.kind == JobKind::Ladder { 2 } else { 1 };
        assert_eq!(job.attempts, claims, "{job:?}");
    }

    // Node 2 serves the original with ranges, across the part boundary.
    let (from, to) = (5 * MIB - 100, 5 * MIB + 99);
    let range = two
        .client
        .get(two.url(&format!("/files/{media_id}/original")))
        .header(RANGE, format!("bytes={from}-{to}"))
        .send()
        .await
        .expect("range");
    assert_eq!(range.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        range.headers()[CONTENT_RANGE],
        format!("bytes {from}-{to}/{}", bytes.len()).as_str()
    );
    assert_eq!(&range.bytes().await.expect("body")[..], &bytes[from..=to]);

    // Nothing left behind: only this item's files in the bucket, no
    // half-made copy, no open multipart upload.
    let media_dir = s3.root.path().join(BUCKET).join("nodes").join("media");
    let mut files: Vec<String> = walkdir(&media_dir)
        .iter()
        .map(|p| {
            p.strip_prefix(&media_dir)
                .expect("under")
                .display()
                .to_string()
        })
        .collect();
    files.sort();
    assert!(
        files.iter().all(|f| f.starts_with(media_id.as_str())),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("playable.mp4")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .all(|f| !f.contains("tmp") && !f.contains("part")),
        "{files:?}"
    );
    assert!(
        open_multipart_files(&s3).is_empty(),
        "{:?}",
        open_multipart_files(&s3)
    );
    assert!(one.hooks.open_multiparts().await.is_empty());

    // Deleted on node 2, the item leaves no object behind.
    let deleted = two
        .client
        .post(two.url("/api/delete_media"))
        .form(&[("id", media_id.as_str())])
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{deleted:?}");
    assert!(walkdir(&media_dir).is_empty(), "{:?}", walkdir(&media_dir));
}

/// A minute of MPEG-4 Part 2 video (browsers cannot play it: it is
/// transcoded) with uncompressed sound, so it spans parts: about 14 MB.
fn large_avi(dir: &std::path::Path) -> std::path::PathBuf {
    reel::testing::media::ffmpeg(
        dir,
        "large.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=60:size=960x540:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=60:sample_rate=48000",
            "-ac",
            "2",
            "-c:v",
            "mpeg4",
            "-q:v",
            "5",
            "-c:a",
            "pcm_s16le",
            "-shortest",
        ],
    )
}

fn worker_settings(database: &str) -> Vec<String> {
    let storage = format!("s3://{BUCKET}/nodes");
    [
        "--role",
        "worker",
        "--job-lease",
        "3s",
        "--database-url",
        database,
        "--storage",
        &storage,
    ]
    .map(String::from)
    .to_vec()
}

fn worker_env(s3: &S3Server) -> Vec<(&str, &str)> {
    vec![
        ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]
}

#[tokio::test]
async fn expiry_and_delete_abort_the_multipart_upload() {
    let database = fresh_database().await;
    let s3 = S3Server::start().await;
    let expiring = |config: &mut reel::server::Config| {
        node(&database, &s3, Role::Web)(config);
        config.upload_expiry = Duration::from_secs(3);
    };
    let server = TestServer::start_with(expiring).await;
    let tus = server.tus();

    // Two uploads with a stored part and a tail each.
    let mut locations = Vec::new();
    for name in ["expires.wav", "deleted.wav"] {
        let location = tus.create(20 * MIB as u64, name).await;
        let answer = tus.patch(&location, 0, vec![7u8; 6 * MIB]).await;
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        locations.push(location);
    }
    assert_eq!(server.hooks.open_multiparts().await.len(), 2);
    assert!(!open_multipart_files(&s3).is_empty());

    let deleted = server
        .client
        .delete(server.url(&locations[1]))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let removed = eventually(
        "the first upload to expire",
        Duration::from_secs(20),
        || async {
            match server.hooks.remove_expired_uploads().await {
                0 => None,
                n => Some(n),
            }
        },
    )
    .await;
    assert_eq!(removed, 1);
    assert_eq!(
        tus.head(&locations[0]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(server.hooks.open_multiparts().await.is_empty());
    assert!(
        open_multipart_files(&s3).is_empty(),
        "the store still holds parts: {:?}",
        open_multipart_files(&s3)
    );
    let bucket = s3.root.path().join(BUCKET);
    let objects: Vec<_> = walkdir(&bucket);
    assert!(objects.is_empty(), "no object was made: {objects:?}");
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walkdir(&path));
        } else {
            files.push(path);
        }
    }
    files
}
