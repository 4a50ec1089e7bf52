//! Faults in the middle of an upload, as tusd tests them: a proxy that cuts
//! the connection mid-chunk (FIN or RST), a graceful restart, and kill -9 of
//! the real binary. Each time the offset says what was kept, and resuming
//! from it yields a byte-identical file.

use std::net::SocketAddr;

use crate::common::process::ReelProcess;
use crate::common::shared;
use crate::common::tus::{OFFSET_OCTET_STREAM, TUS_RESUMABLE, Tus, upload_id};
use crate::common::{TestServer, sha256_hex, tone_wav};
use reel::model::UploadId;
use reel::model::UploadPhase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const CHUNK: usize = 5 << 20;

#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The server reads everything forwarded, then end of stream.
    Close,
    /// The connection is reset: unread bytes may be lost on the way.
    Reset,
}

/// A one-connection TCP proxy to `upstream`. It forwards the client's first
/// `limit` bytes (saying so on the receiver), then holds until `cut` fires
/// and drops the connection the way `how` says. Its task returns the
/// request bytes it forwarded.
async fn cut_proxy(
    upstream: SocketAddr,
    limit: usize,
    how: Cut,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    oneshot::Receiver<()>,
    tokio::task::JoinHandle<Vec<u8>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (cut, cut_rx) = oneshot::channel::<()>();
    let (all_sent, all_sent_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (mut client, _) = listener.accept().await.expect("accept");
        // Only the request direction matters: the server answers nothing
        // before the body is complete, and the body never is.
        let mut server = TcpStream::connect(upstream).await.expect("connect");
        let mut forwarded = Vec::with_capacity(limit);
        let mut buffer = vec![0u8; 64 * 1024];
        while forwarded.len() < limit {
            let want = buffer.len().min(limit - forwarded.len());
            let n = client.read(&mut buffer[..want]).await.expect("read client");
            if n == 0 {
                break;
            }
            server.write_all(&buffer[..n]).await.expect("write server");
            forwarded.extend_from_slice(&buffer[..n]);
        }
        let _ = all_sent.send(());
        let _ = cut_rx.await;
        if let Cut::Reset = how {
            server.set_zero_linger().expect("linger");
            client.set_zero_linger().expect("linger");
        }
        drop(server);
        drop(client);
        forwarded
    });
    (addr, cut, all_sent_rx, task)
}

/// Body bytes in a forwarded request (what follows the blank line).
fn body_len(request: &[u8]) -> u64 {
    let end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the headers were forwarded");
    (request.len() - end - 4) as u64
}

async fn patch_via(
    client: reqwest::Client,
    origin: &str,
    location: &str,
    offset: u64,
    bytes: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    client
        .patch(format!("{origin}{location}"))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", OFFSET_OCTET_STREAM)
        .body(bytes)
        .send()
        .await
}

/// Polls HEAD until the server holds more than `past` bytes (bounded, ~10 s).
async fn wait_past(tus: &Tus, location: &str, past: u64) -> u64 {
    crate::common::eventually(
        "the server to get past the first chunk",
        std::time::Duration::from_secs(10),
        || async {
            let offset = tus.offset(location).await;
            (offset > past).then_some(offset)
        },
    )
    .await
}

async fn cut_mid_chunk(how: Cut) {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 60)).expect("wav");
    let tus = server.tus();
    let location = tus.create(bytes.len() as u64, "cut.wav").await;
    let id = UploadId::parse(upload_id(&location)).expect("id");
    tus.send_rest(&location, &bytes[..CHUNK], 0, CHUNK).await;

    let limit = 3 << 20;
    let (proxy, cut, all_sent, proxy_task) = cut_proxy(server.addr, limit, how).await;
    let origin = format!("http://{proxy}");
    let chunk = bytes[CHUNK..2 * CHUNK].to_vec();
    let location_for_patch = location.clone();
    // The same credentials, through the proxy.
    let client = server.client.clone();
    let patch = tokio::spawn(async move {
        patch_via(client, &origin, &location_for_patch, CHUNK as u64, chunk).await
    });
    // The server is writing the chunk (so the cut lands mid-body), then cut.
    // Into an object store the offset moves by whole parts, so there the
    // sign is the writer at work with every forwarded byte sent its way.
    if shared::enabled() {
        all_sent.await.expect("proxy forwarded");
        crate::common::eventually(
            "the writer to start",
            std::time::Duration::from_secs(10),
            || async { server.hooks.is_writing(&id).then_some(()) },
        )
        .await;
    } else {
        wait_past(&tus, &location, CHUNK as u64).await;
    }
    cut.send(()).expect("proxy waiting");
    let forwarded = body_len(&proxy_task.await.expect("proxy"));
    let answer = patch.await.expect("task");
    assert!(
        answer.as_ref().map_or(true, |r| !r.status().is_success()),
        "a cut PATCH cannot succeed: {answer:?}"
    );
    crate::common::eventually(
        "the writer to let go",
        std::time::Duration::from_secs(10),
        || async { (!server.hooks.is_writing(&id)).then_some(()) },
    )
    .await;

    let kept = tus.offset(&location).await;
    let chunk_start = CHUNK as u64;
    // A reset may lose bytes the server had not read yet: in the shared
    // run nothing proves it had read any.
    let least = match how {
        Cut::Reset if shared::enabled() => chunk_start,
        _ => chunk_start + 1,
    };
    assert!(
        kept >= least && kept < 2 * chunk_start,
        "{how:?}: kept {kept}"
    );
    match how {
        Cut::Close => assert_eq!(kept, chunk_start + forwarded, "every forwarded byte counts"),
        Cut::Reset => assert!(kept <= chunk_start + forwarded),
    }
    if let Some(on_disk) = server.partial_bytes(&location) {
        assert!(
            on_disk[..] == bytes[..kept as usize],
            "the kept bytes are the sent bytes"
        );
    }

    tus.send_rest(&location, &bytes, kept, CHUNK).await;
    server.settle().await;
    let stored = |id: &reel::model::MediaId| server.stored_file(id, "original");
    assert_identical(&tus, stored, &location, &bytes).await;
}

/// The upload at `location` became an item whose original (`stored` says
/// where it is kept) is `bytes`.
async fn assert_identical(
    tus: &Tus,
    stored: impl Fn(&reel::model::MediaId) -> std::path::PathBuf,
    location: &str,
    bytes: &[u8],
) {
    let status = tus.wait_finalised(upload_id(location)).await;
    let UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let stored = std::fs::read(stored(&media_id)).expect("stored original");
    assert_eq!(stored.len(), bytes.len());
    assert!(
        stored == bytes,
        "the stored bytes differ from the sent ones"
    );
    assert_eq!(sha256_hex(&stored), sha256_hex(bytes));
}

#[tokio::test]
async fn a_connection_closed_mid_chunk_keeps_what_arrived() {
    cut_mid_chunk(Cut::Close).await;
}

#[tokio::test]
async fn a_connection_reset_mid_chunk_keeps_what_was_persisted() {
    cut_mid_chunk(Cut::Reset).await;
}

#[tokio::test]
async fn an_upload_resumes_after_a_restart() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 60)).expect("wav");
    let location = server.tus().create(bytes.len() as u64, "restart.wav").await;
    server
        .tus()
        .send_rest(&location, &bytes[..2 * CHUNK], 0, CHUNK)
        .await;
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, |_| {}).await;
    let tus = server.tus();
    assert_eq!(tus.offset(&location).await, 2 * CHUNK as u64);
    tus.send_rest(&location, &bytes, 2 * CHUNK as u64, CHUNK)
        .await;
    server.settle().await;
    let stored = |id: &reel::model::MediaId| server.stored_file(id, "original");
    assert_identical(&tus, stored, &location, &bytes).await;
}

#[tokio::test]
async fn an_upload_resumes_after_kill_9_of_the_server() {
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 60)).expect("wav");
    let data = tempfile::tempdir().expect("data");
    let reel = ReelProcess::spawn(data.path());
    let tus = Tus {
        client: reel.admin().await,
        origin: reel.origin(),
    };
    let location = tus.create(bytes.len() as u64, "killed.wav").await;
    tus.send_rest(&location, &bytes[..CHUNK], 0, CHUNK).await;

    // A second chunk is being written when the process dies.
    let in_flight = tus.streaming_patch(&location, CHUNK as u64);
    let (tx, in_flight) = (in_flight.body, in_flight.response);
    tx.send(Ok(bytes[CHUNK..CHUNK + (2 << 20)].to_vec()))
        .await
        .expect("send");
    wait_past(&tus, &location, CHUNK as u64).await;
    reel.kill_hard();
    assert!(
        in_flight.await.expect("task").is_err(),
        "the PATCH died with the server"
    );
    drop(tx);

    let reel = ReelProcess::spawn(data.path());
    let tus = Tus {
        client: reel.admin().await,
        origin: reel.origin(),
    };
    let kept = tus.offset(&location).await;
    assert!(
        kept > CHUNK as u64 && kept <= (CHUNK + (2 << 20)) as u64,
        "kept {kept}"
    );
    tus.send_rest(&location, &bytes, kept, CHUNK).await;
    // A process of its own: SQLite and local disk in both runs.
    let stored = |id: &reel::model::MediaId| {
        let id = id.as_str();
        data.path()
            .join("files/media")
            .join(&id[..2])
            .join(id)
            .join("original")
    };
    assert_identical(&tus, stored, &location, &bytes).await;
}
