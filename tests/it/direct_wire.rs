//! The direct path for stored bytes (parsed and sent with `sendfile`, without
//! hyper), spoken to over raw TCP: it must answer exactly as the router does,
//! keep connections alive and pipelined requests in order, hand anything
//! else to the router mid-connection, and never hold up a shutdown.

use std::time::Duration;

use crate::common::shared::local_only;
use crate::common::{TestServer, tone_wav};
use reel::model::UploadResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One parsed answer: status, fields (lower-case names, in order), body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields as a sorted set without `date` (it changes every second).
    fn comparable(&self) -> Vec<(String, String)> {
        let mut fields: Vec<_> = self
            .fields
            .iter()
            .filter(|(n, _)| n != "date")
            .cloned()
            .collect();
        fields.sort();
        fields
    }
}

/// A raw HTTP/1.1 connection that reads answers off a shared buffer.
struct Wire {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Wire {
    async fn open(server: &TestServer) -> Wire {
        Wire {
            stream: TcpStream::connect(server.addr).await.expect("connect"),
            buffer: Vec::new(),
        }
    }

    async fn send(&mut self, requests: &str) {
        self.stream
            .write_all(requests.as_bytes())
            .await
            .expect("write");
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await.expect("read");
        self.buffer.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// The next answer; `head` for answers to HEAD (no body follows).
    async fn answer(&mut self, head: bool) -> Answer {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut fields);
            if let httparse::Status::Complete(len) =
                response.parse(&self.buffer).expect("a valid answer")
            {
                let status = response.code.expect("status");
                let fields: Vec<(String, String)> = response
                    .headers
                    .iter()
                    .map(|f| {
                        let value = String::from_utf8(f.value.to_vec()).expect("text");
                        (f.name.to_ascii_lowercase(), value)
                    })
                    .collect();
                let length = fields
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .map_or(0, |(_, v)| v.parse::<usize>().expect("length"));
                let body_len = if head || status == 304 { 0 } else { length };
                while self.buffer.len() < len + body_len {
                    assert!(self.fill().await, "connection closed mid-answer");
                }
                let body = self.buffer[len..len + body_len].to_vec();
                self.buffer.drain(..len + body_len);
                return Answer {
                    status,
                    fields,
                    body,
                };
            }
            assert!(self.fill().await, "connection closed before an answer");
        }
    }

    /// True when the server has closed the connection (and sent nothing more).
    async fn closed(&mut self) -> bool {
        self.buffer.is_empty() && !self.fill().await
    }
}

async fn stored_tone(server: &TestServer) -> (String, Vec<u8>) {
    let wav = tone_wav(server.dir.path(), 3);
    let response = server.upload(&wav).await;
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    // Public: these requests are about the wire, and carry no credentials
    // (access is the access matrix's business).
    server
        .hooks
        .set_visibility(&created.id, reel::accounts::Visibility::Public)
        .await;
    let bytes = std::fs::read(&wav).expect("read");
    (format!("/files/{}/original", created.id), bytes)
}

fn direct_answers(server: &TestServer) -> u64 {
    server.hooks.direct_answers()
}

fn get(path: &str, fields: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: reel\r\n{fields}\r\n")
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_across_the_hand_over() {
    local_only!();
    let server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;
    let mut wire = Wire::open(&server).await;
    // All in one write: two direct, one for the router, then /files again
    // (now answered by hyper, the connection having been handed over).
    wire.send(&format!(
        "{}{}{}{}",
        get(&path, "Range: bytes=0-9\r\n"),
        format_args!("HEAD {path} HTTP/1.1\r\nHost: reel\r\n\r\n"),
        get("/healthz", ""),
        get(&path, "Range: bytes=10-19\r\n"),
    ))
    .await;
    let first = wire.answer(false).await;
    assert_eq!((first.status, &first.body[..]), (206, &bytes[..10]));
    let head = wire.answer(true).await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.field("content-length"),
        Some(&*bytes.len().to_string())
    );
    let health = wire.answer(false).await;
    assert_eq!((health.status, &health.body[..]), (200, &b"ok"[..]));
    let last = wire.answer(false).await;
    assert_eq!((last.status, &last.body[..]), (206, &bytes[10..20]));
    // The first two only: the last went through hyper after the hand-over.
    assert_eq!(direct_answers(&server), 2);
    server.stop().await;
}

#[tokio::test]
async fn direct_answers_are_the_routers_answers() {
    local_only!();
    let server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;
    let etag = {
        let mut wire = Wire::open(&server).await;
        wire.send(&get(&path, "")).await;
        let whole = wire.answer(false).await;
        assert_eq!(whole.body, bytes);
        whole.field("etag").expect("etag").to_string()
    };
    let cases: Vec<(&str, String)> = vec![
        ("GET", String::new()),
        ("GET", "Range: bytes=5-9\r\n".into()),
        ("GET", "Range: bytes=0-1,100-101,-3\r\n".into()),
        ("GET", "Range: bytes=999999999-\r\n".into()),
        ("GET", format!("If-None-Match: {etag}\r\n")),
        ("GET", "If-Match: \"other\"\r\n".into()),
        ("GET", format!("Range: bytes=0-3\r\nIf-Range: {etag}\r\n")),
        ("GET", "Range: bytes=0-3\r\nIf-Range: \"other\"\r\n".into()),
        ("HEAD", "Range: bytes=0-3\r\n".into()),
    ];
    for (method, fields) in cases {
        let direct_path = format!("{path}?download");
        let request = format!("{method} {direct_path} HTTP/1.1\r\nHost: reel\r\n{fields}\r\n");
        let before = direct_answers(&server);
        let mut direct = Wire::open(&server).await;
        direct.send(&request).await;
        let direct = direct.answer(method == "HEAD").await;
        assert_eq!(direct_answers(&server), before + 1, "answered directly");
        // The same request after one for the router goes through hyper.
        let mut routed = Wire::open(&server).await;
        routed
            .send(&format!("{}{request}", get("/healthz", "")))
            .await;
        assert_eq!(routed.answer(false).await.body, b"ok");
        let routed = routed.answer(method == "HEAD").await;
        assert_eq!(
            direct_answers(&server),
            before + 1,
            "answered by the router"
        );
        assert_eq!(direct.status, routed.status, "{method} {fields:?}");
        assert_eq!(
            direct.comparable(),
            routed.comparable(),
            "{method} {fields:?}"
        );
        assert_eq!(direct.body, routed.body, "{method} {fields:?}");
        assert!(direct.field("date").is_some(), "a Date field");
    }
    server.stop().await;
}

#[tokio::test]
async fn close_bodies_old_versions_and_unknown_items_are_handled() {
    let server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;

    // Connection: close ends the connection after the answer.
    let mut wire = Wire::open(&server).await;
    wire.send(&get(&path, "Range: bytes=0-0\r\nConnection: close\r\n"))
        .await;
    let closing = wire.answer(false).await;
    assert_eq!(closing.body, &bytes[..1]);
    assert_eq!(closing.field("connection"), Some("close"));
    assert!(wire.closed().await, "closed after Connection: close");

    // A GET with a body goes to the router, which reads the body and answers.
    let mut wire = Wire::open(&server).await;
    wire.send(&format!(
        "GET {path} HTTP/1.1\r\nHost: reel\r\nRange: bytes=2-3\r\nContent-Length: 5\r\n\r\nhello{}",
        get(&path, "Range: bytes=4-5\r\n")
    ))
    .await;
    assert_eq!(wire.answer(false).await.body, &bytes[2..4]);
    assert_eq!(wire.answer(false).await.body, &bytes[4..6]);

    // HTTP/1.0 goes to the router.
    let mut wire = Wire::open(&server).await;
    wire.send(&format!("GET {path} HTTP/1.0\r\nRange: bytes=0-1\r\n\r\n"))
        .await;
    let old = wire.answer(false).await;
    assert_eq!((old.status, &old.body[..]), (206, &bytes[..2]));

    // An unknown item: the router's 404, and the connection stays usable.
    let mut wire = Wire::open(&server).await;
    let unknown = format!("/files/{}/original", "0".repeat(32));
    wire.send(&format!(
        "{}{}",
        get(&unknown, ""),
        get(&path, "Range: bytes=0-0\r\n")
    ))
    .await;
    let missing = wire.answer(false).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.field("access-control-allow-origin"), Some("*"));
    assert_eq!(wire.answer(false).await.body, &bytes[..1]);
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_do_not_hold_up_a_shutdown() {
    let server = TestServer::start().await;
    let (path, _) = stored_tone(&server).await;
    // One idle on the direct path, one idle after the hand-over to hyper.
    let mut direct = Wire::open(&server).await;
    direct.send(&get(&path, "Range: bytes=0-0\r\n")).await;
    direct.answer(false).await;
    let mut handed = Wire::open(&server).await;
    handed.send(&get("/healthz", "")).await;
    handed.answer(false).await;
    // A hang here is the failure; the bound only turns it into a message.
    tokio::time::timeout(Duration::from_secs(30), server.stop())
        .await
        .expect("the server stopped with idle connections open");
    assert!(direct.closed().await && handed.closed().await);
}

#[tokio::test]
async fn an_empty_file_is_answered_at_once_and_the_connection_goes_on() {
    local_only!();
    let server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;
    let id = path.split('/').nth(2).expect("id");
    let id = reel::model::MediaId::parse(id).expect("media id");
    server.hooks.store_file(&id, "waveform", b"").await;
    let mut wire = Wire::open(&server).await;
    wire.send(&get(&format!("/files/{id}/waveform"), "")).await;
    let empty = wire.answer(false).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.field("content-length"), Some("0"));
    wire.send(&get(&path, "Range: bytes=0-2\r\n")).await;
    assert_eq!(wire.answer(false).await.body, &bytes[..3]);
    assert_eq!(direct_answers(&server), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_request_begun_before_a_shutdown_is_still_answered() {
    local_only!();
    let mut server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;
    let mut wire = Wire::open(&server).await;
    // One answer first, so the server holds the connection, idle.
    wire.send(&get(&path, "Range: bytes=0-0\r\n")).await;
    assert_eq!(wire.answer(false).await.body, &bytes[..1]);
    // Half a head for the router, the shutdown, then the rest: whichever
    // comes first at the server, the request gets its whole answer.
    wire.send("GET /healthz HTTP/1.1\r\nHost: re").await;
    server.begin_shutdown();
    wire.send("el\r\n\r\n").await;
    let answer = wire.answer(false).await;
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
    tokio::time::timeout(Duration::from_secs(30), server.stop())
        .await
        .expect("the server stopped");
}

/// A head trickling in a byte at a time is cut off when its deadline,
/// counted from its first byte, passes: each byte does not restart the clock.
#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_off_at_its_deadline() {
    let server = TestServer::start_with(|c| c.head_timeout = Duration::from_secs(1)).await;
    let (path, _) = stored_tone(&server).await;
    let mut wire = Wire::open(&server).await;
    // At one byte per 100 ms, this head would take about 7 s to arrive.
    let head = get(&path, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    let mut sent = 0;
    for byte in head.as_bytes() {
        let mut probe = [0u8; 1];
        match wire.stream.try_read(&mut probe) {
            Ok(0) => break, // the server closed the connection
            Ok(_) => panic!("the server answered a head it never received whole"),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break, // reset
        }
        if wire.stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        // The slow client itself: one byte every 100 ms.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sent < head.len(),
        "the server waited for the whole head ({sent} of {} bytes, one every 100 ms)",
        head.len()
    );
    assert_eq!(direct_answers(&server), 0);
}

/// With the direct path off every request goes through the router, which
/// answers the same bytes.
#[tokio::test]
async fn with_the_direct_path_off_the_router_answers_everything() {
    let server = TestServer::start_with(|c| c.direct_path = false).await;
    let (path, bytes) = stored_tone(&server).await;
    let mut wire = Wire::open(&server).await;
    wire.send(&get(&path, "Range: bytes=10-19\r\n")).await;
    let answer = wire.answer(false).await;
    assert_eq!((answer.status, &answer.body[..]), (206, &bytes[10..20]));
    wire.send(&get(&path, "")).await;
    assert_eq!(wire.answer(false).await.body, bytes);
    assert_eq!(direct_answers(&server), 0);
}

/// Operators see both paths' answers and bytes, uploads and jobs at /metrics.
#[tokio::test]
async fn metrics_count_answers_by_path_uploads_and_jobs() {
    local_only!();
    let server = TestServer::start().await;
    let (path, bytes) = stored_tone(&server).await;
    let mut wire = Wire::open(&server).await;
    wire.send(&get(&path, "")).await;
    assert_eq!(wire.answer(false).await.body, bytes);
    wire.send(&get("/healthz", "")).await;
    assert_eq!(wire.answer(false).await.status, 200);
    let text = server.metrics().await;
    let value = |name: &str| crate::common::metric(&text, name);
    assert_eq!(value("reel_http_responses_total{path=\"direct\"}"), 1);
    assert_eq!(
        value("reel_http_response_body_bytes_total{path=\"direct\"}"),
        bytes.len() as u64
    );
    // The upload and /healthz went through the router (the metrics request
    // itself is counted once it is answered).
    assert!(value("reel_http_responses_total{path=\"router\"}") >= 2);
    assert_eq!(value("reel_uploads_stored_total"), 1);
    assert_eq!(value("reel_jobs_finished_total{outcome=\"done\"}"), 1);
    assert_eq!(value("reel_jobs_active"), 0);
}
