//! The processing queue over real HTTP with real ffmpeg: playable versions,
//! scrub previews, waveforms, retries, cancellation and time limits.

use std::time::Duration;

use crate::common::{
    TestServer, avi_needing_transcode, path_of, probe_streams, tone_wav, video_mp4,
};
use reel::model::{JobKind, MediaState, PlaySource, UploadResponse, WaveformPeaks};
use reel::testing::JobReport;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

async fn fetch(server: &TestServer, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("get");
    let status = response.status();
    let kind = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().expect("ascii").to_string())
        .unwrap_or_default();
    (status, kind, response.bytes().await.expect("body").to_vec())
}

async fn call(server: &TestServer, function: &str, id: &str) -> StatusCode {
    server
        .client
        .post(server.url(&format!("/api/{function}")))
        .form(&[("id", id)])
        .send()
        .await
        .expect("server function")
        .status()
}

#[tokio::test]
async fn a_browser_ready_video_plays_at_once_and_gains_poster_and_scrub_previews() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &video_mp4(media.path(), 6)).await;
    // Playable the moment the upload answers: no conversion stands in the way.
    assert_eq!(
        created.urls.play.as_deref().map(path_of),
        Some(format!("/files/{}/original", created.id).as_str())
    );

    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert_eq!(item.play, Some(PlaySource::Original));
    assert!(item.has_poster && item.has_scrub && !item.has_waveform);
    let urls = item.urls.clone();

    let (status, kind, vtt) = fetch(&server, urls.thumbnails.as_deref().expect("vtt")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/vtt"), "{kind}");
    let vtt = String::from_utf8(vtt).expect("utf-8");
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert!(vtt.contains("sprites#xywh=0,0,"), "{vtt}");
    let (status, kind, sheet) = fetch(&server, &format!("/files/{}/sprites", item.id)).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(&sheet[..2], [0xFF, 0xD8], "a JPEG");
    assert_eq!(server.scratch_entries(), 0);

    // The player reads the cues through a server function.
    let cues: Vec<reel::vtt::ThumbnailCue> = server
        .client
        .post(server.url("/api/scrub_cues"))
        .form(&[("id", item.id.as_str())])
        .send()
        .await
        .expect("scrub cues")
        .json()
        .await
        .expect("cues");
    assert!(!cues.is_empty());
    assert!(
        cues[0]
            .image
            .starts_with(&format!("/files/{}/sprites", item.id)),
        "{:?}",
        cues[0]
    );
}

/// An item without scrub previews (a sound) answers 404 for its cues, as a
/// missing thing does, not 500.
#[tokio::test]
async fn scrub_cues_of_an_item_without_previews_are_not_found() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &tone_wav(media.path(), 1)).await;
    server.hooks.wait_idle().await;
    for id in [created.id.as_str(), "not-an-id"] {
        let response = server
            .client
            .post(server.url("/api/scrub_cues"))
            .form(&[("id", id)])
            .send()
            .await
            .expect("scrub cues");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
        let error: reel::error::ApiError = response.json().await.expect("error json");
        assert_eq!(error.code, reel::error::ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn files_browsers_cannot_play_get_a_playable_copy() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let hevc = crate::common::ffmpeg(
        media.path(),
        "hevc.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=25",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p10le",
            "-tag:v",
            "hvc1",
        ],
    );
    for source in [hevc, avi_needing_transcode(media.path(), 2, "320x240")] {
        let created = upload(&server, &source).await;
        assert_eq!(created.urls.play, None, "{source:?} is not playable yet");
        server.hooks.wait_idle().await;
        let item = server.item(&created.id).await;
        assert_eq!(item.state, MediaState::Ready, "{source:?}");
        assert_eq!(item.play, Some(PlaySource::Playable));
        let play = item.urls.clone().play.expect("a play url");
        assert!(path_of(&play).ends_with("/playable"));
        let (status, kind, bytes) = fetch(&server, &play).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "video/mp4"));
        let copy = media.path().join(format!("{}.mp4", item.id));
        std::fs::write(&copy, &bytes).expect("write");
        let streams = probe_streams(&copy);
        assert!(
            streams.contains("codec_name=h264|pix_fmt=yuv420p"),
            "{streams}"
        );
        // The original stays for download, byte for byte.
        let (status, _, original) = fetch(&server, &item.urls.clone().original).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(original, std::fs::read(&source).expect("read"));
    }
}

#[tokio::test]
async fn a_wav_gets_waveform_peaks() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &tone_wav(media.path(), 3)).await;
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert!(item.has_waveform && !item.has_scrub);
    let (status, kind, json) = fetch(&server, &item.urls.clone().waveform.expect("url")).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/json")
    );
    let peaks: WaveformPeaks = serde_json::from_slice(&json).expect("peaks");
    assert_eq!(peaks.peaks.len(), peaks.length * 2);
    assert!(
        (peaks.duration_secs - 3.0).abs() < 0.1,
        "{}",
        peaks.duration_secs
    );
    assert!(
        peaks.peaks.iter().any(|p| p.abs() > 0.05),
        "a tone is not silence"
    );
}

#[tokio::test]
async fn failures_retry_then_fail_with_a_reason_and_the_retry_button_requeues() {
    let server = TestServer::start_with(|config| {
        config.manual_jobs = true;
        config.job_retry_delay = Duration::ZERO;
        config.job_attempts = 2;
    })
    .await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &video_mp4(media.path(), 1)).await;
    // A fault ffmpeg meets for real: the stored original is gone.
    let original = server.stored_file(&created.id, "original");
    let bytes = std::fs::read(&original).expect("read");
    std::fs::remove_file(&original).expect("remove");

    let jobs = &server.hooks;
    let first = jobs.run_one_job().await.expect("a job");
    assert!(
        matches!(
            first,
            JobReport::Retrying {
                kind: JobKind::Poster,
                ..
            }
        ),
        "{first:?}"
    );
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Processing);
    assert!(item.progress.expect("progress").retrying);
    let second = jobs.run_one_job().await.expect("a job");
    let JobReport::Failed { reason, .. } = second else {
        panic!("the last attempt fails for good: {second:?}")
    };
    assert!(reason.contains("read a picture"), "{reason}");
    assert!(jobs.run_one_job().await.is_none());
    assert_eq!(
        server.item(&created.id).await.state,
        MediaState::Failed(reason)
    );

    // The file is back; the retry button queues the work again.
    std::fs::write(&original, bytes).expect("restore");
    assert_eq!(
        call(&server, "retry_processing", created.id.as_str()).await,
        StatusCode::OK
    );
    assert_eq!(server.item(&created.id).await.state, MediaState::Processing);
    let report = jobs.run_one_job().await.expect("a job");
    assert!(matches!(report, JobReport::Done { .. }), "{report:?}");
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert!(item.has_poster);
    // Nothing left to retry, and unknown items are 404.
    assert_eq!(
        call(&server, "retry_processing", created.id.as_str()).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        call(&server, "retry_processing", "nope").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cancelling_stops_a_running_transcode_and_leaves_no_partial_file() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let mut events = server.hooks.events();
    let created = upload(&server, &avi_needing_transcode(media.path(), 60, "640x360")).await;
    // Wait for the transcode to report progress: it is running.
    loop {
        let event = events.recv().await.expect("events");
        let converting = event
            .progress
            .as_ref()
            .is_some_and(|p| p.stage == JobKind::Ladder && p.fraction > 0.0);
        if event.id == created.id && converting {
            break;
        }
    }
    assert_eq!(
        call(&server, "cancel_processing", created.id.as_str()).await,
        StatusCode::OK
    );
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(
        item.state,
        MediaState::Failed("Processing was cancelled.".into())
    );
    assert_eq!(item.play, None);
    let (status, _, _) = fetch(&server, &format!("/files/{}/playable", item.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.scratch_entries(),
        0,
        "left in scratch: {:?}",
        reel::testing::scratch_names(server.dir.path())
    );
    assert_eq!(
        call(&server, "cancel_processing", created.id.as_str()).await,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_transcode_past_its_time_limit_ends_failed_with_a_reason() {
    let server = TestServer::start_with(|config| {
        config.job_timeout = Duration::from_millis(500);
    })
    .await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &avi_needing_transcode(media.path(), 60, "640x360")).await;
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    let MediaState::Failed(reason) = &item.state else {
        panic!("the item fails: {:?}", item.state)
    };
    assert!(reason.contains("took longer than the limit"), "{reason}");
    assert_eq!(item.play, None);
    assert_eq!(server.scratch_entries(), 0);
}
