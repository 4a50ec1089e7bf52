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
