//! What leaves compressed and what does not: pages and JSON are compressed
//! when the client asks (brotli or gzip), stored bytes and event streams
//! never are, and `/pkg` files go out as their precompressed siblings with
//! the caching their names allow.
#![cfg(feature = "ssr")]

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{TestServer, tone_wav};
use futures_util::StreamExt;
use reel::model::{MediaEvent, MediaState, UploadResponse};
use reel::server::config::Config;
use reel::server::state::AppState;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{StatusCode, Version};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    encoder.write_all(bytes).expect("brotli");
    drop(encoder);
    out
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ascii header"))
}

fn varies_on_encoding(headers: &HeaderMap) -> bool {
    headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
}

/// The body as sent and its headers, for a GET with this `Accept-Encoding`.
async fn get(
    client: &reqwest::Client,
    url: &str,
    accept: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = client.get(url);
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

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
    assert_eq!(error.code, "bad-request");
    server.stop().await;
}

#[tokio::test]
async fn stored_bytes_are_never_compressed_on_either_path() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = tone_wav(media.path(), 2);
    let original = std::fs::read(&wav).expect("wav");
    let created: UploadResponse = server.upload(&wav).await.json().await.expect("json");
    // The waveform job writes JSON, which must go out as stored too.
    server.state.jobs.wait_idle().await;
    let base = server.url(&format!("/files/{}", created.id));

    // On a new connection HTTP/1.1 is answered by the direct (sendfile)
    // path, HTTP/1.0 by the router; the counter tells which one answered.
    for (version, direct) in [(Version::HTTP_11, true), (Version::HTTP_10, false)] {
        let client = reqwest::Client::new();
        let before = server.state.direct_answers.load(Ordering::Relaxed);
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
        let answered = server.state.direct_answers.load(Ordering::Relaxed) - before;
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
    for (n, id) in ["first", "second", "third"].into_iter().enumerate() {
        server.state.events.publish(MediaEvent {
            id: id.into(),
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

/// A server over a site root the test wrote, as a release build leaves it.
struct Site {
    addr: SocketAddr,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Site {
    async fn start(site: tempfile::TempDir) -> Site {
        let data = tempfile::tempdir().expect("data dir");
        let options = leptos::config::LeptosOptions::builder()
            .output_name("reel")
            .site_root(site.path().to_string_lossy().into_owned())
            .build();
        let state = AppState::start(Config::with_data_dir(data.path()), options)
            .await
            .expect("server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(reel::server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Site {
            addr,
            client: reqwest::Client::new(),
            stop,
            task,
            _dirs: (site, data),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("server task").expect("server ran");
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

#[tokio::test]
async fn pkg_files_are_negotiated_and_hashed_names_are_immutable() {
    let site = tempfile::tempdir().expect("site");
    let pkg = site.path().join("pkg");
    // Not a real module, but bytes that compress as one does.
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..40_000u32).flat_map(|i| (i % 251).to_le_bytes()))
        .collect();
    let hashed = "reel.AbCdEfGhIjKlMnOpQrSt_-.wasm";
    write(&pkg.join(hashed), &wasm);
    write(&pkg.join(format!("{hashed}.br")), &brotli(&wasm));
    write(&pkg.join(format!("{hashed}.gz")), &gzip(&wasm));
    // A watch build: no hash, no siblings.
    let js = "export function hello() { return 'hello'; }\n".repeat(50);
    write(&pkg.join("reel.js"), js.as_bytes());
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>",
        "<g/>".repeat(100)
    );
    write(&site.path().join("favicon.svg"), svg.as_bytes());
    let server = Site::start(site).await;
    let url = server.url(&format!("/pkg/{hashed}"));

    for (accept, encoding, decode) in [
        (
            Some("gzip, deflate, br"),
            Some("br"),
            unbrotli as fn(&[u8]) -> Vec<u8>,
        ),
        (Some("br;q=0, gzip"), Some("gzip"), gunzip),
        (None, None, <[u8]>::to_vec),
    ] {
        let (status, headers, body) = get(&server.client, &url, accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(header(&headers, "content-encoding"), encoding, "{accept:?}");
        assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
        assert_eq!(header(&headers, "cache-control"), Some(IMMUTABLE));
        assert!(varies_on_encoding(&headers), "{accept:?}");
        assert_eq!(
            header(&headers, "content-length").map(|l| l.parse::<usize>().expect("a number")),
            Some(body.len())
        );
        assert_eq!(decode(&body), wasm, "{accept:?}");
    }

    // Without a hash in its name a file may change under it: revalidate.
    // With no sibling on disk it is compressed on the fly instead.
    let (status, headers, body) =
        get(&server.client, &server.url("/pkg/reel.js"), Some("gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&body), js.as_bytes());
    let (_, headers, _) = get(&server.client, &server.url("/pkg/reel.js"), None).await;
    assert_eq!(header(&headers, "content-encoding"), None);

    // Public files keep for a short while.
    let (status, headers, body) = get(&server.client, &server.url("/favicon.svg"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(header(&headers, "content-type"), Some("image/svg+xml"));
    assert_eq!(body, svg.as_bytes());

    // Nothing is cached for long that is not there.
    for path in ["/pkg/reel.AAAAAAAAAAAAAAAAAAAAAA.wasm", "/nothing.svg"] {
        let (status, headers, _) = get(&server.client, &server.url(path), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, "cache-control"), None, "{path}");
    }

    // Revalidating a hashed file answers 304 with the same caching.
    let (_, headers, _) = get(&server.client, &url, None).await;
    let modified = header(&headers, "last-modified")
        .expect("last-modified")
        .to_owned();
    let response = server
        .client
        .get(&url)
        .header(
            "if-modified-since",
            HeaderValue::from_str(&modified).expect("date"),
        )
        .send()
        .await
        .expect("revalidate");
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(response.headers(), "cache-control"), Some(IMMUTABLE));
    server.stop().await;
}
