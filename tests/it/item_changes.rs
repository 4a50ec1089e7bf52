//! Changing an item over real HTTP: its details are checked by field and
//! kept; deleting it removes its row, its jobs and every file, even while it
//! processes; the start-up sweep removes stored files no item owns.

use crate::common::shared::local_only;
use crate::common::{TestServer, avi_needing_transcode, tone_wav, video_mp4};
use crate::library::{call, ids, insert, list, manual_server, refused, row};
use reel::error::ErrorCode;
use reel::model::{JobKind, MediaItem, UploadResponse};
use reqwest::StatusCode;

#[tokio::test]
async fn edits_are_checked_by_field_and_persist() {
    let server = manual_server().await;
    let item = insert(&server, row("Old title", "clip.mp4"), false).await;
    assert_eq!(item.description, "");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let (status, body) = call(
        &server,
        "update_media",
        &[
            ("id", item.id.as_str()),
            ("title", "  New title  "),
            ("description", "  First line\r\nSecond line\t(tab)  "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let updated: MediaItem = serde_json::from_str(&body).expect("the updated item");
    assert_eq!(updated.title, "New title");
    assert_eq!(updated.description, "First line\nSecond line\t(tab)");
    assert_ne!(updated.updated_at, item.updated_at);
    assert_eq!(updated.created_at, item.created_at);
    // Stored: a fresh read and the item's own server function agree.
    assert_eq!(server.item(&item.id).await, updated);
    let (status, body) = call(&server, "media", &[("id", item.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    let fetched: MediaItem = serde_json::from_str(&body).expect("item");
    assert_eq!(fetched.description, updated.description);

    let long_title = "t".repeat(201);
    let long_description = "d".repeat(5001);
    let cases: [(&str, &str, ErrorCode, &[&str]); 6] = [
        ("", "", ErrorCode::InvalidTitle, &["title", "empty"]),
        ("   ", "ok", ErrorCode::InvalidTitle, &["title", "empty"]),
        (
            &long_title,
            "",
            ErrorCode::InvalidTitle,
            &["title", "200", "201"],
        ),
        (
            "Line\nbreak",
            "",
            ErrorCode::InvalidTitle,
            &["title", "control"],
        ),
        (
            "Fine",
            &long_description,
            ErrorCode::InvalidDescription,
            &["description", "5000"],
        ),
        (
            "Fine",
            "bell\u{7}",
            ErrorCode::InvalidDescription,
            &["description", "control"],
        ),
    ];
    for (title, description, code, words) in cases {
        let (status, error) = refused(
            &server,
            "update_media",
            &[
                ("id", item.id.as_str()),
                ("title", title),
                ("description", description),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{title:?}");
        assert_eq!(error.code, code, "{title:?}");
        for word in words {
            assert!(
                error.message.contains(word),
                "{word:?} in {:?}",
                error.message
            );
        }
    }
    // Exactly at the limits is fine (characters, not bytes).
    let (status, body) = call(
        &server,
        "update_media",
        &[
            ("id", item.id.as_str()),
            ("title", &"é".repeat(200)),
            ("description", &"ü".repeat(5000)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Refused edits changed nothing else; unknown items are 404.
    for id in [
        reel::testing::fresh_media_id().to_string(),
        "../etc".to_string(),
    ] {
        let (status, error) = refused(
            &server,
            "update_media",
            &[("id", &id), ("title", "x"), ("description", "")],
        )
        .await;
        assert_eq!(
            (status, error.code.as_str()),
            (StatusCode::NOT_FOUND, "not-found")
        );
    }
}

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

fn files_of(server: &TestServer, id: &str) -> Vec<String> {
    let mut names: Vec<String> = server
        .stored_files()
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(id))
        .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

async fn status_of(server: &TestServer, path: &str) -> StatusCode {
    server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("get")
        .status()
}

#[tokio::test]
async fn deleting_removes_the_row_the_jobs_and_every_file() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let video = upload(&server, &avi_needing_transcode(media.path(), 6, "320x240")).await;
    let audio = upload(&server, &tone_wav(media.path(), 2)).await;
    let kept = upload(&server, &video_mp4(media.path(), 2)).await;
    server.hooks.wait_idle().await;
    assert_eq!(
        files_of(&server, video.id.as_str()),
        [
            "master.m3u8",
            "original",
            "playable.mp4",
            "poster.jpg",
            "sprites.jpg",
            "thumbnails.vtt",
            "v0.m3u8",
            "v0.mp4",
            "v1.m3u8",
            "v1.mp4",
        ]
    );
    assert!(files_of(&server, audio.id.as_str()).contains(&"waveform.json".to_string()));
    let kept_files = files_of(&server, kept.id.as_str());
    // Byte serving has the item's facts cached now.
    let original = format!("/files/{}/original", video.id);
    assert_eq!(status_of(&server, &original).await, StatusCode::OK);

    for item in [&video, &audio] {
        let (status, body) = call(&server, "delete_media", &[("id", item.id.as_str())]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = item.id.clone();
        assert_eq!(server.hooks.item(&id).await, None);
        assert!(server.hooks.jobs_of(&id).await.is_empty());
        assert_eq!(files_of(&server, item.id.as_str()), Vec::<String>::new());
        for variant in [
            "original",
            "poster",
            "playable",
            "sprites",
            "thumbnails",
            "waveform",
            "hls/master.m3u8",
        ] {
            let path = format!("/files/{}/{variant}", item.id);
            assert_eq!(
                status_of(&server, &path).await,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(
            status_of(&server, &format!("/media/{}", item.id)).await,
            StatusCode::NOT_FOUND
        );
    }
    // The other item keeps everything; the library no longer lists the two.
    assert_eq!(files_of(&server, kept.id.as_str()), kept_files);
    assert_eq!(ids(&list(&server, &[]).await), vec![kept.id.clone()]);

    // Deleting again, or an id that never was, is 404.
    for id in [
        video.id.as_str(),
        "0123456789abcdef0123456789abcdef",
        "nope",
    ] {
        let (status, error) = refused(&server, "delete_media", &[("id", id)]).await;
        assert_eq!(
            (status, error.code.as_str()),
            (StatusCode::NOT_FOUND, "not-found")
        );
    }
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn deleting_an_item_while_it_processes_stops_its_work() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &avi_needing_transcode(media.path(), 20, "640x360")).await;
    let id = created.id.clone();
    // Wait for the transcode to be running.
    crate::common::eventually(
        "the transcode to start",
        std::time::Duration::from_secs(30),
        || async {
            let jobs = server.hooks.jobs_of(&id).await;
            jobs.iter()
                // The ladder makes the playable copy of a video browsers cannot play.
                .any(|j| j.kind == JobKind::Ladder && j.state.is_active() && j.attempts > 0)
                .then_some(())
        },
    )
    .await;
    let (status, body) = call(&server, "delete_media", &[("id", created.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(server.hooks.jobs_of(&id).await.is_empty());
    // Delete answered once the worker had stopped: nothing writes afterwards.
    assert_eq!(files_of(&server, created.id.as_str()), Vec::<String>::new());
    server.hooks.wait_idle().await;
    assert_eq!(files_of(&server, created.id.as_str()), Vec::<String>::new());
    assert_eq!(
        server.scratch_entries(),
        0,
        "left in scratch: {:?}",
        reel::testing::scratch_names(server.dir.path())
    );
}

#[tokio::test]
async fn start_up_removes_stored_files_that_belong_to_no_item() {
    local_only!();
    let server = manual_server().await;
    let item = insert(&server, row("Kept", "kept.mp4"), false).await;
    let kept = item.id.clone();
    server.hooks.store_file(&kept, "poster", b"jpeg").await;
    // As if a crash came between deleting a row and its files.
    let stray = reel::testing::fresh_media_id();
    server.hooks.store_file(&stray, "original", b"bytes").await;
    // Something the store did not make is not the store's to remove.
    let media_dir = server.dir.path().join("files").join("media");
    let foreign = media_dir.join("zz").join("notes.txt");
    std::fs::create_dir_all(foreign.parent().expect("parent")).expect("mkdir");
    std::fs::write(&foreign, b"mine").expect("write");
    assert_eq!(files_of(&server, stray.as_str()), ["original"]);

    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |config| config.manual_jobs = true).await;
    assert_eq!(files_of(&server, stray.as_str()), Vec::<String>::new());
    assert!(
        !media_dir
            .join(&stray.as_str()[..2])
            .join(stray.as_str())
            .exists()
    );
    assert_eq!(files_of(&server, kept.as_str()), ["poster.jpg"]);
    assert!(foreign.exists());
    assert_eq!(ids(&list(&server, &[]).await), [item.id]);
}
