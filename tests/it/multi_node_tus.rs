//! Resumable uploads across nodes ("Beyond one machine"): with an object
//! store, a tus upload's bytes go straight into an S3 multipart upload and
//! its parts and tail are rows, so an upload started on one web node and
//! cut off resumes on another; one writer at a time across nodes (423 to a
//! second); and expiry aborts the multipart upload, leaving nothing in the
//! store.

use std::time::Duration;

use reel::model::{MediaState, UploadId, UploadPhase};
use reel::server::Role;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};

use crate::common::postgres::fresh_database;
use crate::common::s3::{BUCKET, S3Server};
use crate::common::tus::upload_id;
use crate::common::{TestServer, eventually, sha256_hex, tone_wav};
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
async fn an_upload_cut_off_on_one_node_resumes_on_another() {
    let database = fresh_database().await;
    let s3 = S3Server::start().await;
    let one = TestServer::start_with(node(&database, &s3, Role::Web)).await;
    let two = TestServer::start_with(node(&database, &s3, Role::Web)).await;
    let worker = TestServer::start_with(node(&database, &s3, Role::Worker)).await;
    let mut heard = one.hooks.events();

    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 60)).expect("wav");
    assert!(
        bytes.len() > 10 * MIB,
        "three parts of 5 MiB: two whole, a tail"
    );
    let (tus_one, tus_two) = (one.tus(), two.tus());
    let location = tus_one.create(bytes.len() as u64, "across.wav").await;
    let id = UploadId::parse(upload_id(&location)).expect("id");

    // Node 1 takes 6 MiB: a whole part is stored and recorded while the
    // request is still open, and node 2 sees it.
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
    let UploadPhase::Done { media_id } = status.phase else {
        panic!("not done: {status:?}");
    };

    // A worker processes it; a page on node 1 hears it become ready.
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let event = heard.recv().await.expect("node 1's event stream");
            if event.id == media_id && event.state == MediaState::Ready {
                return;
            }
        }
    })
    .await
    .expect("node 1 heard the item become ready");
    let item = two.item(&media_id).await;
    assert_eq!(
        item.sha256,
        sha256_hex(&bytes),
        "the parts joined are the bytes sent"
    );
    assert_eq!(item.size_bytes, bytes.len() as u64);

    // Node 2 serves it with ranges, across part boundaries.
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

    // Nothing left behind: no open multipart upload, no rows of parts.
    assert!(
        open_multipart_files(&s3).is_empty(),
        "{:?}",
        open_multipart_files(&s3)
    );
    assert!(one.hooks.open_multiparts().await.is_empty());
    drop(worker);
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
