//! Validators of derived files, the safe serving headers, CORS, missing
//! files, and the serving facts cached after the first request.

use super::check::{Expect, Served, check, text, upload, whole};
use crate::common::{TestServer, tone_wav, video_mp4};
use reqwest::StatusCode;
use reqwest::header;

#[tokio::test]
async fn derived_files_have_their_own_strong_validators() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &video_mp4(media.path(), 1)).await;
    // The upload answers before processing makes the poster, so no URL yet.
    let url = server.url(&format!("/files/{}/poster", created.id));
    let (headers, bytes) = whole(&server, &url).await;
    let item = server.item(&created.id).await;
    let etag = text(&headers, header::ETAG);
    assert!(
        etag.starts_with(&format!("\"{}-poster-", item.sha256)) && !etag.starts_with("W/"),
        "{etag}"
    );
    assert_eq!(
        text(&headers, header::CONTENT_DISPOSITION),
        "inline; filename=\"clip-poster.jpg\"; filename*=UTF-8''clip-poster.jpg"
    );
    let served = Served {
        len: bytes.len() as u64,
        etag: etag.clone(),
        last_modified: text(&headers, header::LAST_MODIFIED),
        content_type: "image/jpeg",
        bytes,
    };
    use header::{IF_NONE_MATCH, IF_RANGE, RANGE};
    let rows = [
        ("poster whole", vec![], Expect::Whole),
        (
            "poster part",
            vec![(RANGE, "bytes=0-2".into())],
            Expect::Part(0, 2),
        ),
        (
            "poster 304",
            vec![(IF_NONE_MATCH, etag.clone())],
            Expect::NotModified,
        ),
        (
            "poster if-range",
            vec![(IF_RANGE, etag.clone()), (RANGE, "bytes=-2".into())],
            Expect::Part(served.len - 2, served.len - 1),
        ),
        (
            "poster parts",
            vec![(RANGE, "bytes=0-1,4-5".into())],
            Expect::Parts(vec![(0, 1), (4, 5)]),
        ),
    ];
    for (name, request, expect) in &rows {
        check(&server, &url, &served, name, request, expect).await;
    }
    // The original's tag is the bare content hash.
    let original = server
        .client
        .head(server.url(&created.urls.original))
        .send()
        .await
        .expect("head");
    assert_eq!(
        text(original.headers(), header::ETAG),
        format!("\"{}\"", item.sha256)
    );
}

#[tokio::test]
async fn safe_serving_headers_cors_and_missing_files() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &tone_wav(media.path(), 1)).await;
    let url = server.url(&created.urls.original);

    let response = server.client.get(&url).send().await.expect("get");
    let headers = response.headers();
    assert_eq!(
        text(headers, header::CONTENT_DISPOSITION),
        "inline; filename=\"tone.wav\"; filename*=UTF-8''tone.wav"
    );
    let exposed = text(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS).to_ascii_lowercase();
    for name in ["content-range", "accept-ranges", "content-length", "etag"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }

    let download = server
        .client
        .head(server.url(&created.urls.download))
        .send()
        .await
        .expect("download");
    assert_eq!(
        text(download.headers(), header::CONTENT_DISPOSITION),
        "attachment; filename=\"tone.wav\"; filename*=UTF-8''tone.wav"
    );

    // The preflight a cross-origin player sends before a Range request.
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header(header::ORIGIN, "https://elsewhere.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "range, if-none-match",
        )
        .send()
        .await
        .expect("options");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let headers = preflight.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(text(headers, header::ACCESS_CONTROL_ALLOW_METHODS).contains("GET"));
    let allowed = text(headers, header::ACCESS_CONTROL_ALLOW_HEADERS).to_ascii_lowercase();
    for name in [
        "range",
        "if-none-match",
        "if-match",
        "if-range",
        "if-modified-since",
    ] {
        assert!(allowed.contains(name), "{name} not allowed: {allowed}");
    }

    // No poster for plain audio, and no such item: 404, still readable cross-origin.
    for missing in [
        format!("/files/{}/poster", created.id),
        format!("/files/{}/original", "0".repeat(32)),
    ] {
        let response = server
            .client
            .get(server.url(&missing))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }
}

#[tokio::test]
async fn serving_facts_come_from_memory_after_the_first_request() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &tone_wav(media.path(), 1)).await;
    let id = created.id.clone();
    let url = server.url(&created.urls.original);
    assert!(server.hooks.facts(&id).is_none());
    let first = server.client.head(&url).send().await.expect("head");
    assert_eq!(first.status(), StatusCode::OK);
    let content_type = server.hooks.facts(&id).expect("cached");
    assert_eq!(content_type, "audio/wav");
    // Evicted (as delete will), the next request reads the row again.
    server.hooks.forget_facts(&id);
    assert!(server.hooks.facts(&id).is_none());
    let again = server.client.head(&url).send().await.expect("head");
    assert_eq!(again.headers()[header::ETAG], first.headers()[header::ETAG]);
    assert!(server.hooks.facts(&id).is_some());
}
