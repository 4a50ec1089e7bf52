//! An upload's life after its bytes: finalisation into a library item (or a
//! failure with nothing left behind), one writer at a time, termination of a
//! running writer, and finalisation again after a restart.

use crate::common::shared::local_only;
use crate::common::tus::{TUS_RESUMABLE, header, upload_id};
use crate::common::{TestServer, own_bytes, sha256_hex, tone_wav};
use reel::model::{MediaState, UploadPhase};
use reqwest::StatusCode;

/// Waits until a request is writing the upload; answers the offset then.
async fn wait_for_writer(server: &TestServer, location: &str) -> u64 {
    let id = reel::model::UploadId::parse(upload_id(location)).expect("id");
    crate::common::eventually(
        "a writer at work",
        std::time::Duration::from_secs(10),
        || async { server.hooks.is_writing(&id).then_some(()) },
    )
    .await;
    server.tus().offset(location).await
}

#[tokio::test]
async fn the_last_byte_makes_a_library_item() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 3)).expect("wav");
    let tus = server.tus();
    let location = tus.create(bytes.len() as u64, "My tone.wav").await;
    let id = upload_id(&location);
    tus.send_rest(&location, &bytes, 0, 200_000).await;

    // The last PATCH was answered before finalisation finished; the client follows it.
    let status = tus.status(id).await.expect("known");
    assert_eq!(status.offset, bytes.len() as u64);
    server.settle().await;
    let status = tus.status(id).await.expect("known");
    let UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let item = server.item(&media_id).await;
    assert_eq!(item.sha256, sha256_hex(&bytes));
    assert_eq!(item.size_bytes, bytes.len() as u64);
    assert_eq!(item.original_filename, "My tone.wav");
    assert_eq!(item.title, "My tone");
    assert_eq!(item.state, MediaState::Ready);
    let stored = server.stored_file(&media_id, "original");
    assert!(std::fs::read(stored).expect("stored") == bytes);
    assert_eq!(server.partial_files().await, 0);
    // A finished upload reports its whole length, so a client resuming it is done at once.
    assert_eq!(tus.offset(&location).await, bytes.len() as u64);
}

#[tokio::test]
async fn bytes_that_are_not_media_end_failed_with_nothing_left() {
    let server = TestServer::start().await;
    let tus = server.tus();
    let junk: Vec<u8> = (0..300_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let location = tus.create(junk.len() as u64, "notes.mp4").await;
    tus.send_rest(&location, &junk, 0, 100_000).await;
    server.settle().await;

    let status = tus.status(upload_id(&location)).await.expect("known");
    let UploadPhase::Failed { reason } = status.phase else {
        panic!("not failed: {status:?}");
    };
    assert!(reason.contains("not an audio or video file"), "{reason}");
    assert_eq!(server.partial_files().await, 0);
    assert!(server.stored_files().is_empty());
    assert_eq!(server.hooks.item_count().await, 0);
    assert_eq!(tus.head(&location).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_second_writer_is_refused_while_the_first_is_running() {
    let server = TestServer::start().await;
    let tus = server.tus();
    let location = tus.create(8 << 20, "a.wav").await;
    let first = tus.streaming_patch(&location, 0);
    let (body, first) = (first.body, first.response);
    body.send(Ok(vec![1; 1 << 20])).await.expect("send");
    let reached = wait_for_writer(&server, &location).await;

    let second = tus.patch(&location, reached, vec![2; 1000]).await;
    assert_eq!(second.status(), StatusCode::LOCKED);
    let refusal: serde_json::Value = second.json().await.expect("json");
    assert_eq!(refusal["code"], "upload-locked");
    assert!(
        refusal["message"]
            .as_str()
            .expect("message")
            .contains("Another request")
    );

    // The first writer goes on undisturbed, and only its bytes are on disk.
    body.send(Ok(vec![1; 1 << 20])).await.expect("send");
    drop(body);
    let first = first.await.expect("task").expect("first patch");
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&first, "upload-offset"), (2u64 << 20).to_string());
    if let Some(on_disk) = server.partial_bytes(&location) {
        assert_eq!(on_disk.len(), 2 << 20);
        assert!(on_disk.iter().all(|&b| b == 1));
    }
}

#[tokio::test]
async fn delete_stops_a_running_writer() {
    let server = TestServer::start().await;
    let tus = server.tus();
    let location = tus.create(8 << 20, "a.wav").await;
    let first = tus.streaming_patch(&location, 0);
    let (body, first) = (first.body, first.response);
    body.send(Ok(vec![1; 1 << 20])).await.expect("send");
    wait_for_writer(&server, &location).await;

    let response = server
        .client
        .delete(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(tus.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.partial_files().await, 0);
    drop(body);
    // The interrupted writer got an answer or a closed connection, never a hang.
    let _ = first.await.expect("task");
}

/// Restart safety: rows left in `finalising` by a crash are finalised at start-up,
/// whether the bytes were still partial or had already moved into the store.
#[tokio::test]
async fn start_up_finalises_uploads_a_crash_left_complete() {
    local_only!();
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 2)).expect("wav");
    let tus = server.tus();
    // Two files (the same bytes twice would be one item).
    let other = own_bytes(bytes.clone());
    let still_partial = tus.create(bytes.len() as u64, "one.wav").await;
    let already_moved = tus.create(bytes.len() as u64, "two.wav").await;
    tus.send_rest(&still_partial, &bytes[..1000], 0, 1000).await;
    tus.send_rest(&already_moved, &other[..1000], 0, 1000).await;
    let dir = server.stop().await;

    // As the crash left them: all bytes in, state finalising; the second with
    // its media id chosen and its bytes already in the store.
    let moved_media = "0195f0c0aaaa7bbb8ccc0123456789ab";
    let files = dir.path().join("files");
    std::fs::write(
        files.join("partial").join(upload_id(&still_partial)),
        &bytes,
    )
    .expect("write");
    std::fs::remove_file(files.join("partial").join(upload_id(&already_moved))).expect("rm");
    let target = files
        .join("media")
        .join(&moved_media[..2])
        .join(moved_media);
    std::fs::create_dir_all(&target).expect("mkdir");
    std::fs::write(target.join("original"), &other).expect("write");
    {
        use sqlx::Connection;
        let db = dir.path().join("reel.db");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .expect("db");
        sqlx::query("UPDATE uploads SET state = 'finalising'")
            .execute(&mut conn)
            .await
            .expect("update");
        sqlx::query("UPDATE uploads SET media_id = ? WHERE id = ?")
            .bind(moved_media)
            .bind(upload_id(&already_moved))
            .execute(&mut conn)
            .await
            .expect("update");
        conn.close().await.expect("close");
    }

    let server = TestServer::start_in(dir, |_| {}).await;
    server.settle().await;
    let tus = server.tus();
    let mut media_ids = Vec::new();
    for (location, sent) in [(&still_partial, &bytes), (&already_moved, &other)] {
        let status = tus.status(upload_id(location)).await.expect("known");
        let UploadPhase::Done { media_id, .. } = status.phase else {
            panic!("not done: {status:?}");
        };
        let item = server.item(&media_id).await;
        assert_eq!(item.sha256, sha256_hex(sent));
        assert_eq!(item.state, MediaState::Ready);
        media_ids.push(media_id);
    }
    assert_eq!(
        media_ids[1].as_str(),
        moved_media,
        "the same item, not a second one"
    );
    assert_eq!(server.hooks.item_count().await, 2);
    assert_eq!(server.partial_files().await, 0);
}
