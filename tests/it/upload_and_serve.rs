//! The vertical slice over real HTTP: upload → probe → store → row → bytes.

use crate::common::{TestServer, path_of, sha256_hex, tone_mp3, tone_mp3_with_cover, video_mp4};
use reel::error::ErrorCode;
use reel::model::{MediaKind, MediaState, UploadResponse};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LOCATION, RANGE,
};

#[tokio::test]
async fn a_video_upload_is_stored_probed_and_served_whole_and_in_ranges() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let source = video_mp4(media.path(), 2);
    let bytes = std::fs::read(&source).expect("read");

    let response = server.upload(&source).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_string();
    let created: UploadResponse = response.json().await.expect("json");
    assert_eq!(location, format!("/media/{}", created.id));
    assert_eq!(created.title, "clip");
    assert_eq!(created.kind, MediaKind::Video);
    // Private by default: the address carries a signature.
    assert_eq!(
        path_of(&created.urls.original),
        format!("/files/{}/original", created.id)
    );
    assert!(created.urls.original.contains("?sig="));

    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert_eq!(item.size_bytes, bytes.len() as u64);
    assert_eq!(item.sha256, sha256_hex(&bytes));
    assert_eq!(item.content_type, "video/mp4");
    assert_eq!((item.width, item.height), (Some(320), Some(240)));
    assert_eq!(item.video_codec.as_deref(), Some("h264"));
    assert!(
        item.duration_secs.is_some_and(|d| (d - 2.0).abs() < 0.2),
        "{:?}",
        item.duration_secs
    );
    assert!(item.has_poster);

    // Whole file.
    let url = server.url(&created.urls.original);
    let whole = server.client.get(&url).send().await.expect("get");
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[ACCEPT_RANGES], "bytes");
    assert_eq!(whole.headers()[CONTENT_TYPE], "video/mp4");
    assert_eq!(
        whole.headers()[ETAG].to_str().expect("etag"),
        format!("\"{}\"", item.sha256)
    );
    assert_eq!(whole.headers()["x-content-type-options"], "nosniff");
    assert!(
        whole.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("inline;")
    );
    assert_eq!(
        whole.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );

    // Several ranges, one request each.
    let len = bytes.len() as u64;
    for (header, start, end) in [
        ("bytes=0-99".to_string(), 0, 99),
        (format!("bytes={}-", len - 1000), len - 1000, len - 1),
        ("bytes=-500".to_string(), len - 500, len - 1),
        (
            format!("bytes={}-{}", len / 2, len / 2 + 4095),
            len / 2,
            len / 2 + 4095,
        ),
        ("bytes=10-99999999999".to_string(), 10, len - 1),
    ] {
        let part = server
            .client
            .get(&url)
            .header(RANGE, &header)
            .send()
            .await
            .expect("range");
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT, "{header}");
        assert_eq!(
            part.headers()[CONTENT_RANGE].to_str().expect("cr"),
            format!("bytes {start}-{end}/{len}")
        );
        assert_eq!(
            part.headers()[CONTENT_LENGTH].to_str().expect("cl"),
            (end - start + 1).to_string()
        );
        let body = part.bytes().await.expect("body");
        assert_eq!(
            body.as_ref(),
            &bytes[start as usize..=end as usize],
            "{header}"
        );
    }

    // Unsatisfiable.
    let past = server
        .client
        .get(&url)
        .header(RANGE, format!("bytes={len}-"))
        .send()
        .await
        .expect("416");
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()[CONTENT_RANGE].to_str().expect("cr"),
        format!("bytes */{len}")
    );

    // HEAD: the same headers, no body.
    let head = server
        .client
        .head(&url)
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(head.headers()[CONTENT_LENGTH], "10");
    assert_eq!(
        head.headers()[CONTENT_RANGE].to_str().expect("cr"),
        format!("bytes 0-9/{len}")
    );
    assert!(head.bytes().await.expect("body").is_empty());

    // Download asks for an attachment with the original name.
    let download = server
        .client
        .head(server.url(&created.urls.download))
        .send()
        .await
        .expect("download");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("cd");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''clip.mp4"),
        "{disposition}"
    );

    // The poster is a JPEG.
    let poster = server
        .client
        .get(server.url(&format!("/files/{}/poster", created.id)))
        .send()
        .await
        .expect("poster");
    assert_eq!(poster.status(), StatusCode::OK);
    assert_eq!(poster.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        &poster.bytes().await.expect("jpeg")[..3],
        &[0xFF, 0xD8, 0xFF]
    );

    // The library page is rendered on the server with the item in it.
    let page = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("data-testid=\"media-card\""),
        "no card in the page"
    );
    assert!(
        page.contains(created.id.as_str()) && page.contains(">clip<"),
        "item missing from the page"
    );
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn audio_with_cover_art_gets_a_poster_and_plain_audio_does_not() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let covered = tone_mp3_with_cover(media.path());
    let plain = tone_mp3(media.path());

    let with_cover: UploadResponse = server.upload(&covered).await.json().await.expect("json");
    let without: UploadResponse = server.upload(&plain).await.json().await.expect("json");
    server.hooks.wait_idle().await;

    let a = server.item(&with_cover.id).await;
    let b = server.item(&without.id).await;
    assert_eq!(
        (a.kind, &a.state, a.has_poster),
        (MediaKind::Audio, &MediaState::Ready, true)
    );
    assert_eq!(
        (b.kind, &b.state, b.has_poster),
        (MediaKind::Audio, &MediaState::Ready, false)
    );
    assert_eq!(a.content_type, "audio/mpeg");
    let missing = server
        .client
        .get(server.url(&format!("/files/{}/poster", b.id)))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_upload_over_the_cap_gets_413_and_leaves_nothing() {
    let server = TestServer::start_with(|c| c.max_upload_size = 10_000).await;
    let media = tempfile::tempdir().expect("tmp");
    let source = video_mp4(media.path(), 2);
    assert!(std::fs::metadata(&source).expect("meta").len() > 10_000);

    let response = server.upload(&source).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: reel::error::ApiError = response.json().await.expect("json");
    assert_eq!(error.code, ErrorCode::TooLarge);
    assert_eq!(server.hooks.item_count().await, 0);
    assert!(server.stored_files().is_empty());
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn a_streamed_body_without_length_is_cut_off_at_the_cap() {
    // Chunked transfer: no Content-Length to refuse early, so the cap must hold while streaming.
    let server = TestServer::start_with(|c| c.max_upload_size = 50_000).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![7u8; 10_000])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream(body).file_name("big.mp4");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = server
        .client
        .post(server.url("/api/uploads"))
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(server.hooks.item_count().await, 0);
    assert!(server.stored_files().is_empty());
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn a_text_file_named_mp4_is_refused_and_removed() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let fake = media.path().join("holiday.mp4");
    std::fs::write(&fake, "this is not a video\n".repeat(50)).expect("write");

    let response = server.upload(&fake).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let error: reel::error::ApiError = response.json().await.expect("json");
    assert_eq!(error.code, ErrorCode::NotMedia);
    assert!(
        error.message.contains("not an audio or video file"),
        "{}",
        error.message
    );
    assert_eq!(server.hooks.item_count().await, 0);
    assert!(server.stored_files().is_empty());
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn a_request_without_a_file_field_is_a_clear_400() {
    let server = TestServer::start().await;
    let form = reqwest::multipart::Form::new().text("title", "nothing");
    let response = server
        .client
        .post(server.url("/api/uploads"))
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: reel::error::ApiError = response.json().await.expect("json");
    assert!(
        error.message.contains("field named `file`"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn health_and_unknown_items() {
    let server = TestServer::start().await;
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), StatusCode::OK);
    let unknown = format!("/files/{}/original", "0".repeat(32));
    assert_eq!(
        server
            .client
            .get(server.url(&unknown))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = server
        .client
        .get(server.url(&format!("/media/{}", "0".repeat(32))))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("no item with this address")
    );
}
