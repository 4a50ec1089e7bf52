//! tus 1.0.0 over real HTTP, one test per verb and per refusal, the way tusd
//! tests itself: what the server answers, and what it kept on disk.

use crate::common::TestServer;
use crate::common::tus::{OFFSET_OCTET_STREAM, TUS_RESUMABLE, b64, header, upload_id};
use reqwest::StatusCode;

const MAX: u64 = 1 << 20;

async fn server() -> TestServer {
    TestServer::start_with(|c| c.max_upload_size = MAX).await
}

#[tokio::test]
async fn options_advertises_version_extensions_size_and_checksums() {
    let server = server().await;
    for path in ["/api/tus", "/api/tus/0123456789abcdef0123456789abcdef"] {
        let response = server
            .client
            .request(reqwest::Method::OPTIONS, server.url(path))
            .send()
            .await
            .expect("options");
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&response, "tus-version"), "1.0.0");
        assert_eq!(
            header(&response, "tus-extension"),
            "creation,creation-with-upload,termination,expiration,checksum"
        );
        assert_eq!(header(&response, "tus-max-size"), MAX.to_string());
        assert_eq!(header(&response, "tus-checksum-algorithm"), "sha1,sha256");
        assert!(response.headers().get("tus-resumable").is_none());
    }
}

#[tokio::test]
async fn other_origins_may_use_the_protocol() {
    let server = server().await;
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/api/tus/abc"))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "tus-resumable,upload-offset,upload-checksum,content-type",
        )
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success());
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    assert!(header(&preflight, "access-control-allow-methods").contains("PATCH"));
    let allowed = header(&preflight, "access-control-allow-headers").to_ascii_lowercase();
    for name in [
        "tus-resumable",
        "upload-offset",
        "upload-checksum",
        "upload-metadata",
    ] {
        assert!(allowed.contains(name), "{name} not allowed: {allowed}");
    }

    let location = server.tus().create(10, "a.wav").await;
    let head = server
        .client
        .head(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .expect("head");
    let exposed = header(&head, "access-control-expose-headers").to_ascii_lowercase();
    for name in [
        "location",
        "upload-offset",
        "upload-length",
        "upload-expires",
        "tus-resumable",
    ] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
}

#[tokio::test]
async fn creation_answers_201_with_a_location_and_head_reports_the_upload() {
    let server = server().await;
    let response = server
        .client
        .post(server.url("/api/tus"))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Length", "30")
        .header(
            "Upload-Metadata",
            format!(
                "filename {},filetype {}",
                b64("../../etc/my song.wav"),
                b64("audio/wav")
            ),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    let location = header(&response, "location").to_string();
    let id = upload_id(&location);
    assert_eq!(location, format!("/api/tus/{id}"));
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let expires = httpdate::parse_http_date(header(&response, "upload-expires")).expect("date");
    assert!(expires > std::time::SystemTime::now());

    let head = server.tus().head(&location).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "upload-offset"), "0");
    assert_eq!(header(&head, "upload-length"), "30");
    assert_eq!(header(&head, "cache-control"), "no-store");
    assert_eq!(header(&head, "tus-resumable"), "1.0.0");
    // The filename is kept sanitised: metadata, never a path.
    assert_eq!(
        header(&head, "upload-metadata"),
        format!(
            "filename {},filetype {}",
            b64("my song.wav"),
            b64("audio/wav")
        )
    );
    assert_eq!(server.partial_files().await, 1);
}

#[tokio::test]
async fn creation_needs_a_length_within_the_limit() {
    let server = server().await;
    let create = |length: Option<&str>| {
        let mut request = server
            .client
            .post(server.url("/api/tus"))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1);
        if let Some(length) = length {
            request = request.header("Upload-Length", length);
        }
        request.send()
    };
    for (length, status) in [
        (None, StatusCode::BAD_REQUEST),
        (Some("ten"), StatusCode::BAD_REQUEST),
        (Some("-1"), StatusCode::BAD_REQUEST),
        (Some(&*(MAX + 1).to_string()), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let response = create(length).await.expect("create");
        assert_eq!(response.status(), status, "{length:?}");
        let body: serde_json::Value = response.json().await.expect("json error");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let deferred = server
        .client
        .post(server.url("/api/tus"))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Defer-Length", "1")
        .send()
        .await
        .expect("create");
    assert_eq!(deferred.status(), StatusCode::BAD_REQUEST);
    assert_eq!(server.partial_files().await, 0);
}

#[tokio::test]
async fn creation_with_upload_keeps_the_first_bytes() {
    let server = server().await;
    let response = server
        .client
        .post(server.url("/api/tus"))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Length", "20")
        .header("Content-Type", OFFSET_OCTET_STREAM)
        .body(vec![7u8; 12])
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "upload-offset"), "12");
    let location = header(&response, "location").to_string();
    assert_eq!(server.tus().offset(&location).await, 12);
}

#[tokio::test]
async fn patch_appends_and_answers_the_new_offset() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(30, "a.wav").await;
    let first = tus.patch(&location, 0, vec![1; 10]).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&first, "upload-offset"), "10");
    assert_eq!(header(&first, "tus-resumable"), "1.0.0");
    assert!(httpdate::parse_http_date(header(&first, "upload-expires")).is_ok());
    assert_eq!(tus.offset(&location).await, 10);
    let second = tus.patch(&location, 10, vec![2; 15]).await;
    assert_eq!(header(&second, "upload-offset"), "25");
    let mut expected = vec![1u8; 10];
    expected.extend([2u8; 15]);
    if let Some(on_disk) = server.partial_bytes(&location) {
        assert_eq!(on_disk, expected);
    }
}

#[tokio::test]
async fn patch_refuses_what_the_protocol_forbids() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(10, "a.wav").await;

    // The server's offset, not another (409).
    let response = tus.patch(&location, 5, vec![0; 5]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "offset-mismatch");

    // Only application/offset+octet-stream (415).
    let response = server
        .client
        .patch(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/octet-stream")
        .body(vec![0; 5])
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Upload-Offset is required (400).
    let response = server
        .client
        .patch(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Content-Type", OFFSET_OCTET_STREAM)
        .body(vec![0; 5])
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Past the declared length (413), announced or streamed.
    let response = tus.patch(&location, 0, vec![0; 11]).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![0; 6]), Ok(vec![0; 6])];
    let response = server
        .client
        .patch(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Offset", "0")
        .header("Content-Type", OFFSET_OCTET_STREAM)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Unknown ids (404), whether well-formed or not.
    for path in [
        "/api/tus/0123456789abcdef0123456789abcdef",
        "/api/tus/NOT-AN-ID",
    ] {
        let response = tus.patch(path, 0, vec![0; 1]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            tus.head(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // Another protocol version, or none (412, saying which we speak).
    for version in [Some("0.2.2"), None] {
        let mut request = server
            .client
            .patch(server.url(&location))
            .header("Upload-Offset", "0")
            .header("Content-Type", OFFSET_OCTET_STREAM)
            .body(vec![0; 5]);
        if let Some(version) = version {
            request = request.header("Tus-Resumable", version);
        }
        let response = request.send().await.expect("patch");
        assert_eq!(
            response.status(),
            StatusCode::PRECONDITION_FAILED,
            "{version:?}"
        );
        assert_eq!(header(&response, "tus-version"), "1.0.0");
        assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    }

    // None of it moved the offset.
    assert_eq!(tus.offset(&location).await, 0);
}
