use std::io::Write;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use super::*;

/// Long enough that no test here meets it.
const WAIT: Duration = Duration::from_secs(60);

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A connected pair: the server's end, and a task reading the client's end to EOF.
async fn pair() -> (TcpStream, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut client = TcpStream::connect(addr).await.expect("connect");
    let (server, _) = listener.accept().await.expect("accept");
    // A small send buffer, so the socket fills and writes must wait.
    rustix::net::sockopt::set_socket_send_buffer_size(&server, 16 * 1024).expect("sndbuf");
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.expect("read");
        got
    });
    (server, reader)
}

fn stored(bytes: &[u8]) -> (tempfile::TempDir, Arc<File>) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("f");
    let mut file = File::create(&path).expect("create");
    file.write_all(bytes).expect("write");
    file.sync_all().expect("sync");
    (dir, Arc::new(File::open(&path).expect("open")))
}

#[tokio::test]
async fn ranges_arrive_exactly_from_memory_and_from_disk() {
    // Bigger than a socket buffer and than one `sendfile` chunk.
    let data = pattern(3 * CHUNK + 4097);
    let (_dir, file) = stored(&data);
    let (server, reader) = pair().await;
    let (start, len) = (1000_u64, 2 * CHUNK as u64 + 123);
    send_file(&server, &file, start, len, WAIT)
        .await
        .expect("hot");

    // Drop the file's pages, so the same bytes must come from disk (the
    // blocking pool). The filesystem may keep them (tmpfs); then both runs
    // take the same path and only the bytes are checked.
    rustix::fs::fadvise(&*file, 0, None, rustix::fs::Advice::DontNeed).expect("fadvise");
    let cold = !cached(&file, start, 1);
    send_file(&server, &file, start, len, WAIT)
        .await
        .expect("cold");
    drop(server);

    let got = reader.await.expect("reader");
    let range = &data[start as usize..(start + len) as usize];
    assert_eq!(got.len(), range.len() * 2);
    assert!(got[..range.len()] == *range, "hot bytes differ");
    assert!(got[range.len()..] == *range, "cold bytes differ");
    if !cold {
        eprintln!("note: the filesystem kept the pages; the cold path was not exercised");
    }
}

#[tokio::test]
async fn a_file_shorter_than_promised_is_an_error_not_a_short_answer() {
    let (_dir, file) = stored(&pattern(100));
    let (server, reader) = pair().await;
    let err = send_file(&server, &file, 50, 100, WAIT)
        .await
        .expect_err("short file");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    drop(server);
    assert_eq!(reader.await.expect("reader"), pattern(100)[50..]);
}

#[test]
fn heads_carry_status_fields_and_date() {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("content-length", 5.into());
    let answer = Answer {
        status: axum::http::StatusCode::PARTIAL_CONTENT,
        headers,
        body: None,
    };
    let open = String::from_utf8(head(&answer, false)).expect("text");
    assert!(open.starts_with("HTTP/1.1 206 Partial Content\r\ncontent-length: 5\r\ndate: "));
    assert!(open.ends_with(" GMT\r\n\r\n"), "{open}");
    let closing = String::from_utf8(head(&answer, true)).expect("text");
    assert!(
        closing.contains("\r\nconnection: close\r\ndate: "),
        "{closing}"
    );
}

/// When the socket never makes the send wait (buffers larger than the file:
/// a reader as fast as the kernel), only the loop's own yields let other
/// tasks of the thread run.
#[tokio::test]
async fn a_fast_reader_does_not_starve_other_tasks() {
    let chunks = 24;
    let data = pattern(chunks * CHUNK);
    let (_dir, file) = stored(&data);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = std::net::TcpStream::connect(addr).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    // Root may size buffers past the system's limits: the whole file fits.
    let room = 2 * data.len();
    rustix::net::sockopt::set_socket_recv_buffer_size_force(&client, room).expect("rcvbuf");
    rustix::net::sockopt::set_socket_send_buffer_size_force(&server, room).expect("sndbuf");
    server.set_nonblocking(true).expect("nonblocking");
    let server = TcpStream::from_std(server).expect("tokio stream");
    let turns = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let other = tokio::spawn({
        let turns = turns.clone();
        async move {
            loop {
                turns.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    send_file(&server, &file, 0, data.len() as u64, WAIT)
        .await
        .expect("sent");
    let during = turns.load(std::sync::atomic::Ordering::Relaxed);
    other.abort();
    drop(server);
    let mut client = client;
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut client, &mut got).expect("read");
    assert!(got == data, "the bytes arrive whole");
    assert!(
        during >= chunks - 1,
        "another task ran only {during} times during {chunks} chunks"
    );
}
