//! Edits through the server: the request is validated, answered at once with
//! a new item, and the edit runs as a job that ends in a playable item
//! linked to its source.

use crate::common::{TestServer, tone_wav, video_mp4};
use reel::model::{MediaItem, MediaKind, MediaState, PlaySource, UploadResponse};
use reqwest::StatusCode;
use serde_json::json;

async fn start_edit(
    server: &TestServer,
    id: &str,
    request: serde_json::Value,
) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/start_edit"))
        .json(&json!({ "id": id, "request": request }))
        .send()
        .await
        .expect("start_edit")
}

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    server.upload(path).await.json().await.expect("json")
}

#[tokio::test]
async fn an_exact_trim_becomes_a_new_item_linked_to_its_source() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let source = upload(&server, &tone_wav(media.path(), 6)).await;
    server.hooks.wait_idle().await;

    let response = start_edit(
        &server,
        source.id.as_str(),
        json!({ "edit": "trim", "start_secs": 1.0, "end_secs": 3.5, "mode": "exact" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let created: MediaItem = response.json().await.expect("item");
    assert_eq!(created.state, MediaState::Processing);
    assert_eq!(created.source_id.as_ref(), Some(&source.id));
    assert_eq!(created.title, "tone (trimmed)");

    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready, "{:?}", item.edit_summary);
    assert_eq!(item.kind, MediaKind::Audio);
    assert_eq!(item.play, Some(PlaySource::Original));
    let duration = item.duration_secs.expect("duration");
    assert!((duration - 2.5).abs() < 0.03, "{duration}");
    assert!(
        item.has_waveform,
        "the new item is processed like an upload"
    );
    assert!(
        item.edit_summary
            .as_deref()
            .is_some_and(|s| s.contains("Trimmed"))
    );
    assert_eq!(item.sha256.len(), 64);
    let served = server
        .client
        .get(server.url(&item.urls.clone().original))
        .send()
        .await
        .expect("get");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(
        served.headers()["etag"],
        format!("\"{}\"", item.sha256).as_str()
    );
    // The source is untouched.
    let original = server.item(&source.id).await;
    assert!((original.duration_secs.expect("d") - 6.0).abs() < 0.05);
}

#[tokio::test]
async fn a_video_exports_to_webm_and_gives_up_its_sound() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let source = upload(&server, &video_mp4(media.path(), 2)).await;
    server.hooks.wait_idle().await;

    let webm: MediaItem = start_edit(
        &server,
        source.id.as_str(),
        json!({ "edit": "export", "format": "webm", "height": null }),
    )
    .await
    .json()
    .await
    .expect("item");
    let audio: MediaItem = start_edit(
        &server,
        source.id.as_str(),
        json!({ "edit": "extract_audio", "format": "mp3" }),
    )
    .await
    .json()
    .await
    .expect("item");
    server.hooks.wait_idle().await;

    let webm = server.item(&webm.id).await;
    assert_eq!(webm.state, MediaState::Ready, "{:?}", webm.state);
    assert_eq!(webm.content_type, "video/webm");
    assert_eq!(webm.video_codec.as_deref(), Some("vp9"));
    assert_eq!(webm.play, Some(PlaySource::Original), "WebM plays as it is");
    assert!(webm.has_poster);
    let audio = server.item(&audio.id).await;
    assert_eq!(audio.state, MediaState::Ready, "{:?}", audio.state);
    assert_eq!(
        (audio.kind, audio.audio_codec.as_deref()),
        (MediaKind::Audio, Some("mp3"))
    );
}

#[tokio::test]
async fn bad_edits_get_clear_refusals_and_make_nothing() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = upload(&server, &tone_wav(media.path(), 3)).await;
    server.hooks.wait_idle().await;
    let before = server.hooks.item_count().await;

    for (request, needle) in [
        (
            json!({ "edit": "trim", "start_secs": 2.0, "end_secs": 1.0, "mode": "exact" }),
            "start",
        ),
        (
            json!({ "edit": "trim", "start_secs": 1.0, "end_secs": 1.0, "mode": "exact" }),
            "start",
        ),
        (
            json!({ "edit": "trim", "start_secs": 0.0, "end_secs": 99.0, "mode": "exact" }),
            "0:03",
        ),
        (
            json!({ "edit": "export", "format": "mp4", "height": null }),
            "video",
        ),
        (
            json!({ "edit": "extract_audio", "format": "mp3" }),
            "already audio",
        ),
    ] {
        let response = start_edit(&server, wav.id.as_str(), request.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{request}");
        let error: serde_json::Value = response.json().await.expect("json");
        let message = error["message"].as_str().unwrap_or_default().to_lowercase();
        assert!(message.contains(needle), "{request}: {message}");
    }
    // An unknown format is not understood at all.
    let response = start_edit(
        &server,
        wav.id.as_str(),
        json!({ "edit": "export", "format": "gif", "height": null }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = start_edit(
        &server,
        "0123",
        json!({ "edit": "normalize", "target": "podcast" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.hooks.item_count().await, before);
}
