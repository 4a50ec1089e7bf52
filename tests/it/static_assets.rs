//! Static files as a release build leaves them: `/pkg` files go out as their
//! precompressed siblings, chosen by `Accept-Encoding`, with the caching
//! their names allow; public files keep for an hour.

use std::net::SocketAddr;
use std::path::Path;

use crate::encoding::{brotli, get, gunzip, gzip, header, unbrotli, varies_on_encoding};
use reel::server::{Config, SoleNode, lock_data_dir};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Site {
    addr: SocketAddr,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _sole: SoleNode,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Site {
    async fn start(site: tempfile::TempDir) -> Site {
        let data = tempfile::tempdir().expect("data dir");
        let options = leptos::config::LeptosOptions::builder()
            .output_name("reel")
            .site_root(site.path().to_string_lossy().into_owned())
            .build();
        let sole = lock_data_dir(data.path()).expect("free data dir");
        let server =
            reel::testing::start_with_options(Config::with_data_dir(data.path()), options, &sole)
                .await
                .expect("server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await
        });
        Site {
            addr,
            client: reqwest::Client::new(),
            stop,
            task,
            _sole: sole,
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

    // Anything else is the app's own 404 page, whatever the method.
    let response = server
        .client
        .post(server.url("/no/such/page"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.expect("page").contains("<html"));

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
