//! A file already in its owner's library is not stored twice: by the
//! one-shot route and by tus, the upload ends naming the item that holds
//! the bytes, and nothing new is kept. Others' libraries are their own.

use crate::common::accounts::{User, call, upload_as};
use crate::common::tus::upload_id;
use crate::common::{TestServer, tone_wav};
use reel::accounts::Role;
use reel::model::{UploadPhase, UploadResponse};
use reqwest::StatusCode;

#[tokio::test]
async fn the_same_bytes_by_either_route_find_the_item_already_there() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = tone_wav(media.path(), 2);
    let bytes = std::fs::read(&wav).expect("wav");

    let first = server.upload(&wav).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: UploadResponse = first.json().await.expect("json");
    assert!(!first.already_in_library);
    server.hooks.wait_idle().await;
    let files = server.stored_files().len();
    assert_eq!(server.hooks.item_count().await, 1);

    // One-shot: 200, not 201, and the answer is the item that was there.
    let again = server.upload(&wav).await;
    assert_eq!(again.status(), StatusCode::OK);
    let location = again.headers()["location"].to_str().expect("ascii");
    assert_eq!(location, format!("/media/{}", first.id));
    let again: UploadResponse = again.json().await.expect("json");
    assert!(again.already_in_library);
    assert_eq!(again.id, first.id);

    // tus: the upload is done, naming the same item.
    let tus = server.tus();
    let location = tus.create(bytes.len() as u64, "copy of tone.wav").await;
    tus.send_rest(&location, &bytes, 0, 100_000).await;
    let status = tus.wait_finalised(upload_id(&location)).await;
    assert_eq!(
        status.phase,
        UploadPhase::Done {
            media_id: first.id.clone(),
            already_in_library: true
        }
    );

    // Nothing new: no row, no stored file, no partial bytes, no scratch.
    server.hooks.wait_idle().await;
    assert_eq!(server.hooks.item_count().await, 1);
    assert_eq!(server.stored_files().len(), files);
    assert_eq!(server.partial_files().await, 0);
    assert_eq!(server.scratch_entries(), 0);
    // The item is as it was: a second upload renames nothing.
    assert_eq!(server.item(&first.id).await.original_filename, "tone.wav");

    // Gone from the library, the same bytes make a new item again.
    let (status, _) = call(
        &server.client,
        &server,
        "delete_media",
        &[("id", first.id.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let third = server.upload(&wav).await;
    assert_eq!(third.status(), StatusCode::CREATED);
    let third: UploadResponse = third.json().await.expect("json");
    assert_ne!(third.id, first.id);
    assert!(!third.already_in_library);
}

#[tokio::test]
async fn another_persons_library_is_their_own() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 2)).expect("wav");
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;

    let theirs = upload_as(&ann.api, &server, bytes.clone(), None).await;
    // The same bytes are new to bob: his own item, which ann's private one
    // does not reveal.
    let mine = upload_as(&bob.api, &server, bytes.clone(), None).await;
    assert_ne!(mine.id, theirs.id);
    assert!(!mine.already_in_library);
    assert_eq!(server.hooks.item_count().await, 2);
}
