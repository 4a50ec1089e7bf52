//! What leaves compressed and what does not: pages and JSON are compressed
//! when the client asks (brotli or gzip); stored bytes and event streams
//! never are. (Static files: tests/static_assets.rs.)

use std::time::Duration;

use crate::common::shared::local_only;
use crate::common::{TestServer, tone_wav};
use crate::encoding::{get, gunzip, header, unbrotli, varies_on_encoding};
use futures_util::StreamExt;
use reel::model::{MediaEvent, MediaState, UploadResponse};
use reqwest::{StatusCode, Version};

#[tokio::test]
async fn pages_are_compressed_when_asked_and_only_then() {
    let server = TestServer::start().await;
    let url = server.url("/");

    let (status, headers, body) = get(&server.client, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), None);
    let plain = String::from_utf8(body).expect("html");
    assert!(plain.contains("<html"), "{plain}");
    assert!(varies_on_encoding(&headers));

    let (status, headers, body) = get(&server.client, &url, Some("gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert!(varies_on_encoding(&headers));
    let html = String::from_utf8(gunzip(&body)).expect("html");
    assert!(html.contains("<html") && body.len() < html.len());

    let (_, headers, body) = get(&server.client, &url, Some("gzip, deflate, br")).await;
    assert_eq!(header(&headers, "content-encoding"), Some("br"));
    let html = String::from_utf8(unbrotli(&body)).expect("html");
    assert!(html.contains("<html") && body.len() < html.len());

    // A client that refuses both gets the page as it is.
    let (_, headers, _) = get(&server.client, &url, Some("br;q=0, gzip;q=0")).await;
    assert_eq!(header(&headers, "content-encoding"), None);

    // The 404 page is a page too.
    let (status, headers, body) =
        get(&server.client, &server.url("/no/such/page"), Some("br")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "content-encoding"), Some("br"));
    assert!(
        String::from_utf8(unbrotli(&body))
            .expect("html")
            .contains("<html")
    );
    server.stop().await;
}

#[tokio::test]
async fn server_function_json_is_compressed_unless_too_small_to_gain() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created: UploadResponse = server
        .upload(&tone_wav(media.path(), 1))
        .await
        .json()
        .await
        .expect("json");
    let list = |accept: &'static str, per_page: &'static str| {
        server
            .client
            .post(server.url("/api/list_library"))
            .header("accept-encoding", accept)
            .form(&[("per_page", per_page)])
            .send()
    };

    let response = list("gzip", "24").await.expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("application/json")
    );
    assert_eq!(header(response.headers(), "content-encoding"), Some("gzip"));
    assert!(varies_on_encoding(response.headers()));
    let body = gunzip(&response.bytes().await.expect("body"));
    let page: reel::library::LibraryPage = serde_json::from_slice(&body).expect("a library page");
    assert_eq!(page.items[0].id, created.id);

    let response = list("br", "24").await.expect("list");
    assert_eq!(header(response.headers(), "content-encoding"), Some("br"));
    let body = unbrotli(&response.bytes().await.expect("body"));
    let page: reel::library::LibraryPage = serde_json::from_slice(&body).expect("a library page");
    assert_eq!(page.total, 1);

    // An error is JSON as well, but a few dozen bytes: compressed it would
    // only grow, so it goes out as it is.
    let response = list("gzip, br", "0").await.expect("list");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(response.headers(), "content-encoding"), None);
    let error: reel::error::ApiError = response.json().await.expect("an ApiError");
    assert_eq!(error.code, reel::error::ErrorCode::BadRequest);
    server.stop().await;
}

#[tokio::test]
async fn stored_bytes_are_never_compressed_on_either_path() {
    local_only!();
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = tone_wav(media.path(), 2);
    let original = std::fs::read(&wav).expect("wav");
    let created: UploadResponse = server.upload(&wav).await.json().await.expect("json");
    // The waveform job writes JSON, which must go out as stored too.
    server.hooks.wait_idle().await;
    // Public, so that plain clients (no credentials) reach both paths.
    server
        .hooks
        .set_visibility(&created.id, reel::accounts::Visibility::Public)
        .await;
    let base = server.url(&format!("/files/{}", created.id));

    // On a new connection HTTP/1.1 is answered by the direct (sendfile)
    // path, HTTP/1.0 by the router; the counter tells which one answered.
    for (version, direct) in [(Version::HTTP_11, true), (Version::HTTP_10, false)] {
        let client = reqwest::Client::new();
        let before = server.hooks.direct_answers();
        let send = |path: &str, range: Option<&str>| {
            let mut request = client
                .get(format!("{base}/{path}"))
                .version(version)
                .header("accept-encoding", "gzip, br");
            if let Some(range) = range {
                request = request.header("range", range);
            }
            request.send()
        };

        let response = send("original", None).await.expect("original");
        assert_eq!(response.status(), StatusCode::OK, "{version:?}");
        assert_eq!(
            header(response.headers(), "content-encoding"),
            None,
            "{version:?}"
        );
        assert!(!varies_on_encoding(response.headers()), "{version:?}");
        assert_eq!(
            response.bytes().await.expect("body"),
            original,
            "{version:?}"
        );

        let response = send("original", Some("bytes=100-1099"))
            .await
            .expect("range");
        assert_eq!(
            response.status(),
            StatusCode::PARTIAL_CONTENT,
            "{version:?}"
        );
        assert_eq!(header(response.headers(), "content-encoding"), None);
        assert_eq!(
            header(response.headers(), "content-range"),
            Some(format!("bytes 100-1099/{}", original.len()).as_str())
        );
        assert_eq!(response.bytes().await.expect("body"), original[100..1100]);

        let response = send("waveform", None).await.expect("waveform");
        assert_eq!(response.status(), StatusCode::OK, "{version:?}");
        assert_eq!(
            header(response.headers(), "content-type"),
            Some("application/json")
        );
        assert_eq!(
            header(response.headers(), "content-encoding"),
            None,
            "{version:?}"
        );
        let peaks: reel::model::WaveformPeaks =
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("peaks");
        assert!(!peaks.peaks.is_empty());
        let answered = server.hooks.direct_answers() - before;
        assert_eq!(answered, if direct { 3 } else { 0 }, "{version:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn events_stream_one_by_one_even_when_compression_is_asked() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/events"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("subscribe");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("text/event-stream")
    );
    assert_eq!(header(response.headers(), "content-encoding"), None);
    let mut body = response.bytes_stream();
    let mut buffer = String::new();

    // Each event must arrive before the next is even published: an encoder
    // holding bytes back would stall here (the timeout only turns a hang
    // into a failure).
    for n in 0..3 {
        let id = reel::testing::fresh_media_id();
        server.hooks.publish(MediaEvent {
            id: id.clone(),
            state: MediaState::Processing,
            progress: None,
            changed: n == 2,
        });
        let frame = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    if frame.contains("event: media") {
                        return frame;
                    }
                    continue;
                }
                let chunk = body.next().await.expect("the stream goes on");
                buffer.push_str(std::str::from_utf8(&chunk.expect("chunk")).expect("utf-8"));
            }
        })
        .await
        .unwrap_or_else(|_| panic!("event {id} did not arrive"));
        assert!(frame.contains(&format!("\"id\":\"{id}\"")), "{frame}");
    }
    server.stop().await;
}
