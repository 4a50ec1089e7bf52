//! Requests that try to climb out of the store never reach the filesystem:
//! ids and variants are parsed into typed values before any path exists.

use crate::common::{TestServer, video_mp4};
use reel::model::UploadResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a request line exactly as written (HTTP clients normalise `..`).
async fn raw_status(server: &TestServer, target: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn traversal_attempts_get_404_or_400_and_never_file_contents() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created: UploadResponse = server
        .upload(&video_mp4(media.path(), 1))
        .await
        .json()
        .await
        .expect("json");
    // Something worth stealing next to the store.
    std::fs::write(server.dir.path().join("secret.txt"), "TOP-SECRET").expect("write");
    let id = &created.id;
    // Public, so that the one real address answers a request without credentials.
    server
        .hooks
        .set_visibility(id, reel::accounts::Visibility::Public)
        .await;
    let targets = [
        "/files/../secret.txt".to_string(),
        "/files/..%2Fsecret.txt/original".to_string(),
        "/files/..%2F..%2Fsecret.txt/original".to_string(),
        "/files/%2e%2e%2f%2e%2e%2fsecret.txt/original".to_string(),
        "/files/%252e%252e%252fsecret.txt/original".to_string(),
        format!("/files/{id}/..%2F..%2F..%2Fsecret.txt"),
        format!("/files/{id}/%2e%2e%2foriginal"),
        format!("/files/{id}/original%00"),
        format!("/files/{id}/../../secret.txt"),
        "/files/%2Fetc%2Fpasswd/original".to_string(),
        "/files/reel.db/original".to_string(),
        format!("/files/{}/original", id.as_str().to_uppercase()),
    ];
    for target in targets {
        let (status, text) = raw_status(&server, &target).await;
        assert!(matches!(status, 400 | 404), "{target} answered {status}");
        assert!(
            !text.contains("TOP-SECRET") && !text.contains("SQLite format"),
            "{target} leaked a file"
        );
    }
    // The real item still answers.
    let (status, _) = raw_status(&server, &format!("/files/{id}/original")).await;
    assert_eq!(status, 200);
}
