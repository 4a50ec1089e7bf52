//! Slow and broken clients do not hold up anyone else: a thousand idle
//! connections, heads that never finish, and a reader that stops reading
//! mid-stream, all at once, while others are answered in full.

use std::time::Duration;

use reel::model::UploadResponse;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{TestServer, sha256_hex, tone_wav};

#[tokio::test]
async fn idle_trickling_and_stalled_clients_leave_others_answered() {
    let server =
        TestServer::start_with(|config| config.head_timeout = Duration::from_secs(2)).await;
    let media = tempfile::tempdir().expect("tmp");
    // 20 MB: more than the socket buffers hold, so a reader that stops
    // reading really leaves the server with bytes it cannot send.
    let bytes = std::fs::read(tone_wav(media.path(), 100)).expect("wav");
    let created: UploadResponse = server
        .upload(&media.path().join("tone.wav"))
        .await
        .json()
        .await
        .expect("json");
    server.hooks.wait_idle().await;
    let url = server.url(&created.urls.original);
    let path = url
        .trim_start_matches(&format!("http://{}", server.addr))
        .to_string();

    // A thousand connections: 900 send nothing, 100 start a head and stall.
    let mut idle = Vec::new();
    for _ in 0..900 {
        idle.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    let mut trickling = Vec::new();
    for _ in 0..100 {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: reel\r\n").as_bytes())
            .await
            .expect("half a head");
        trickling.push(stream);
    }
    // One asks for the whole file and stops reading after a few bytes.
    let mut stalled = TcpStream::connect(server.addr).await.expect("connect");
    stalled
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: reel\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut first = [0u8; 1024];
    stalled
        .read_exact(&mut first)
        .await
        .expect("the answer begins");
    assert!(first.starts_with(b"HTTP/1.1 200"), "{:?}", &first[..20]);

    // Meanwhile everyone else gets whole, correct answers.
    for n in 0..20u64 {
        let start = n * 997_001;
        let part = server
            .client
            .get(&url)
            .header("Range", format!("bytes={start}-{}", start + 65_535))
            .send()
            .await
            .expect("range");
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        let got = part.bytes().await.expect("body");
        assert_eq!(got, bytes[start as usize..start as usize + 65_536]);
    }
    let whole = server.client.get(&url).send().await.expect("get");
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(
        sha256_hex(&whole.bytes().await.expect("body")),
        sha256_hex(&bytes)
    );
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), StatusCode::OK);

    // Heads that never finish are cut off at the head deadline (2 s here):
    // each connection ends (after a 408 or without a word).
    for stream in &mut trickling {
        let mut answer = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer));
        let ended = ended.await.expect("closed at the head deadline");
        assert!(ended.is_ok() || answer.is_empty(), "{ended:?}");
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{answer:?}"
        );
    }
    drop(idle);
    drop(stalled);
}

/// The stalled-client counter from `/metrics`.
async fn stalled_drops(server: &TestServer) -> u64 {
    let page = server.metrics().await;
    crate::common::metric(&page, "reel_http_stalled_clients_dropped_total")
}

/// Reads until the server closes the connection (at most 30 s); how long it took.
async fn until_closed(stream: &mut TcpStream) -> (Duration, usize) {
    let started = tokio::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut rest));
    let _ = read.await.expect("the server closes the connection");
    (started.elapsed(), rest.len())
}

/// Reads one answer's head (a HEAD request's whole answer).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.expect("head");
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("ascii")
}

#[tokio::test]
async fn idle_and_stalled_connections_close_at_their_deadlines() {
    let server = TestServer::start_with(|config| {
        config.idle_timeout = Duration::from_secs(1);
        config.send_timeout = Duration::from_secs(1);
    })
    .await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 100)).expect("wav");
    let created: UploadResponse = server
        .upload(&media.path().join("tone.wav"))
        .await
        .json()
        .await
        .expect("json");
    let path = created.urls.original.clone();

    // Kept alive after an answer, on the direct path and on the router's:
    // closed once idle for the deadline, not before.
    for request in [
        format!("HEAD {path} HTTP/1.1"),
        "GET /healthz HTTP/1.1".into(),
    ] {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let head = format!("{request}\r\nHost: reel\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("request");
        let answer = read_head(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let (waited, _) = until_closed(&mut stream).await;
        assert!(
            waited >= Duration::from_millis(900),
            "{request}: {waited:?}"
        );
    }

    // A reader that stops is dropped after the send deadline, on the direct
    // path (HTTP/1.1) and on the router's (HTTP/1.0 goes to hyper).
    for (n, version) in [(1, "HTTP/1.1"), (2, "HTTP/1.0")] {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let head = format!("GET {path} {version}\r\nHost: reel\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("request");
        let answer = read_head(&mut stream).await;
        assert!(answer.contains(" 200 "), "{answer}");
        // Nothing to await in this process: the server's counter says when.
        crate::common::eventually(
            "the stalled reader to be dropped",
            Duration::from_secs(30),
            || {
                let server = &server;
                async move { (stalled_drops(server).await >= n).then_some(()) }
            },
        )
        .await;
        let (_, rest) = until_closed(&mut stream).await;
        assert!(rest < bytes.len(), "{version}: the whole file was sent");
    }
}
