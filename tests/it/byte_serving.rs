//! RFC 9110 conformance of byte serving against the real server: every case is
//! a row (request headers → status, headers, body), each checked for GET and
//! then for HEAD, which must answer the very same headers with no body.

use std::time::{Duration, SystemTime};

use crate::common::{TestServer, tone_wav, video_mp4};
use reel::model::UploadResponse;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName};

/// What a row expects back.
#[derive(Clone, Debug)]
enum Expect {
    Whole,
    /// One inclusive range: 206 with Content-Range.
    Part(u64, u64),
    /// `multipart/byteranges` with these inclusive ranges, in order.
    Parts(Vec<(u64, u64)>),
    Unsatisfiable,
    NotModified,
    PreconditionFailed,
}

/// A row: its name, the request headers, and what must come back.
type Row = (&'static str, Vec<(HeaderName, String)>, Expect);

struct Served {
    len: u64,
    bytes: Vec<u8>,
    etag: String,
    last_modified: String,
    content_type: &'static str,
}

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    created
}

async fn whole(server: &TestServer, url: &str) -> (HeaderMap, Vec<u8>) {
    let response = server.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (headers, response.bytes().await.expect("body").to_vec())
}

fn text(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .expect("ascii")
        .to_string()
}

/// Splits a `multipart/byteranges` body by its boundary and Content-Ranges.
fn parse_parts(body: &[u8], boundary: &str) -> Vec<(String, u64, u64, u64, Vec<u8>)> {
    let mut parts = Vec::new();
    let mut rest = body;
    let open = format!("--{boundary}\r\n");
    assert!(
        rest.starts_with(open.as_bytes()),
        "body starts with a delimiter"
    );
    rest = &rest[open.len()..];
    loop {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers end");
        let head = std::str::from_utf8(&rest[..end]).expect("ascii headers");
        rest = &rest[end + 4..];
        let mut content_type = String::new();
        let mut range = None;
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(": ").expect("header line");
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = value.to_string(),
                "content-range" => {
                    let spec = value.strip_prefix("bytes ").expect("bytes unit");
                    let (span, len) = spec.split_once('/').expect("length");
                    let (a, b) = span.split_once('-').expect("span");
                    range = Some((
                        a.parse::<u64>().expect("a"),
                        b.parse::<u64>().expect("b"),
                        len.parse::<u64>().expect("len"),
                    ));
                }
                other => panic!("unexpected part header {other}"),
            }
        }
        let (a, b, len) = range.expect("every part has a Content-Range");
        let size = (b - a + 1) as usize;
        parts.push((content_type, a, b, len, rest[..size].to_vec()));
        rest = &rest[size..];
        let delimiter = format!("\r\n--{boundary}");
        assert!(
            rest.starts_with(delimiter.as_bytes()),
            "delimiter after part"
        );
        rest = &rest[delimiter.len()..];
        if rest == b"--\r\n" {
            return parts;
        }
        assert!(rest.starts_with(b"\r\n"), "another part follows");
        rest = &rest[2..];
    }
}

/// Sends one row as GET, checks everything, then as HEAD and compares headers.
async fn check(
    server: &TestServer,
    url: &str,
    served: &Served,
    name: &str,
    request: &[(HeaderName, String)],
    expect: &Expect,
) {
    let send = |method: reqwest::Method| {
        let mut builder = server.client.request(method, url);
        for (header, value) in request {
            builder = builder.header(header, value);
        }
        builder.send()
    };
    let response = send(reqwest::Method::GET).await.expect("get");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    let at = |what: &str| format!("{name}: {what}");

    // On every answer.
    assert_eq!(
        headers[header::ACCEPT_RANGES],
        "bytes",
        "{}",
        at("accept-ranges")
    );
    assert_eq!(
        headers["x-content-type-options"],
        "nosniff",
        "{}",
        at("nosniff")
    );
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "*",
        "{}",
        at("cors")
    );
    let validators_as_200 = |headers: &HeaderMap| {
        assert_eq!(text(headers, header::ETAG), served.etag, "{}", at("etag"));
        assert_eq!(
            text(headers, header::LAST_MODIFIED),
            served.last_modified,
            "{}",
            at("last-modified")
        );
        assert_eq!(
            text(headers, header::CACHE_CONTROL),
            "private, max-age=31536000, immutable",
            "{}",
            at("cache-control")
        );
    };
    let len = served.len;
    match expect {
        Expect::Whole => {
            assert_eq!(status, StatusCode::OK, "{}", at("status"));
            validators_as_200(&headers);
            assert_eq!(headers[header::CONTENT_TYPE], served.content_type);
            assert_eq!(text(&headers, header::CONTENT_LENGTH), len.to_string());
            assert!(
                headers.get(header::CONTENT_RANGE).is_none(),
                "{}",
                at("no range")
            );
            assert!(body == served.bytes, "{}", at("whole body"));
        }
        Expect::Part(a, b) => {
            assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{}", at("status"));
            validators_as_200(&headers);
            assert_eq!(headers[header::CONTENT_TYPE], served.content_type);
            assert_eq!(
                text(&headers, header::CONTENT_RANGE),
                format!("bytes {a}-{b}/{len}"),
                "{}",
                at("content-range")
            );
            assert_eq!(
                text(&headers, header::CONTENT_LENGTH),
                (b - a + 1).to_string()
            );
            assert!(
                body == served.bytes[*a as usize..=*b as usize],
                "{}",
                at("part body")
            );
        }
        Expect::Parts(ranges) => {
            assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{}", at("status"));
            validators_as_200(&headers);
            assert!(
                headers.get(header::CONTENT_RANGE).is_none(),
                "{}",
                at("no top range")
            );
            let content_type = text(&headers, header::CONTENT_TYPE);
            let boundary = content_type
                .strip_prefix("multipart/byteranges; boundary=")
                .unwrap_or_else(|| panic!("{}", at(&content_type)));
            assert_eq!(
                text(&headers, header::CONTENT_LENGTH),
                body.len().to_string()
            );
            let parts = parse_parts(&body, boundary);
            assert_eq!(parts.len(), ranges.len(), "{}", at("part count"));
            for ((kind, a, b, total, data), (ea, eb)) in parts.iter().zip(ranges) {
                assert_eq!(kind, served.content_type, "{}", at("part type"));
                assert_eq!((*a, *b, *total), (*ea, *eb, len), "{}", at("part range"));
                assert!(
                    *data == served.bytes[*a as usize..=*b as usize],
                    "{}",
                    at("part data")
                );
            }
        }
        Expect::Unsatisfiable => {
            assert_eq!(
                status,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "{}",
                at("status")
            );
            assert_eq!(
                text(&headers, header::CONTENT_RANGE),
                format!("bytes */{len}")
            );
            assert!(body.is_empty());
        }
        Expect::NotModified => {
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{}", at("status"));
            validators_as_200(&headers);
            assert!(body.is_empty());
        }
        Expect::PreconditionFailed => {
            assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{}", at("status"));
            assert!(body.is_empty());
        }
    }

    let head = send(reqwest::Method::HEAD).await.expect("head");
    assert_eq!(head.status(), status, "{}", at("HEAD status"));
    let mut get_headers = headers.clone();
    let mut head_headers = head.headers().clone();
    get_headers.remove(header::DATE);
    head_headers.remove(header::DATE);
    assert_eq!(head_headers, get_headers, "{}", at("HEAD headers"));
    assert!(
        head.bytes().await.expect("head body").is_empty(),
        "{}",
        at("HEAD body")
    );
}

fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

#[tokio::test]
async fn the_conformance_table() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    // Three seconds: 576 KB, so whole answers span several read chunks.
    let created = upload(&server, &tone_wav(media.path(), 3)).await;
    let url = server.url(&created.urls.original);
    let (headers, bytes) = whole(&server, &url).await;
    let len = bytes.len() as u64;
    assert!(len > 512 * 1024, "{len}");
    let item = server.item(&created.id).await;
    let served = Served {
        len,
        etag: format!("\"{}\"", item.sha256),
        last_modified: text(&headers, header::LAST_MODIFIED),
        content_type: "audio/wav",
        bytes,
    };
    let modified = httpdate::parse_http_date(&served.last_modified).expect("date");
    let before = http_date(modified - Duration::from_secs(1));
    let future = http_date(SystemTime::now() + Duration::from_secs(365 * 86400));
    let etag = served.etag.clone();
    let weak = format!("W/{etag}");
    let lm = served.last_modified.clone();

    use Expect::*;
    use header::{
        IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, RANGE,
    };
    let r = |v: &str| (RANGE, v.to_string());
    let pile = (0..65)
        .map(|i| format!("{}-{}", i * 2, i * 2))
        .collect::<Vec<_>>();
    let tiny_overlaps = ["0-0"; 10].join(",");
    let rows: Vec<Row> = vec![
        ("plain GET", vec![], Whole),
        ("first bytes", vec![r("bytes=0-99")], Part(0, 99)),
        (
            "open end",
            vec![r(&format!("bytes={}-", len - 100))],
            Part(len - 100, len - 1),
        ),
        ("suffix", vec![r("bytes=-500")], Part(len - 500, len - 1)),
        (
            "suffix longer than file",
            vec![r(&format!("bytes=-{}", len * 2))],
            Part(0, len - 1),
        ),
        (
            "end clamped",
            vec![r("bytes=10-99999999999999")],
            Part(10, len - 1),
        ),
        (
            "u64 max end",
            vec![r("bytes=0-18446744073709551615")],
            Part(0, len - 1),
        ),
        (
            "across chunks",
            vec![r("bytes=100000-400000")],
            Part(100_000, 400_000),
        ),
        (
            "last byte",
            vec![r(&format!("bytes={}-{}", len - 1, len - 1))],
            Part(len - 1, len - 1),
        ),
        ("spaces and case", vec![r("Bytes = 5-9")], Part(5, 9)),
        (
            "start past end",
            vec![r(&format!("bytes={len}-"))],
            Unsatisfiable,
        ),
        (
            "overflowing start",
            vec![r("bytes=99999999999999999999999-")],
            Unsatisfiable,
        ),
        ("empty suffix", vec![r("bytes=-0")], Unsatisfiable),
        ("backwards", vec![r("bytes=9-5")], Whole),
        ("not numbers", vec![r("bytes=a-b")], Whole),
        ("empty set", vec![r("bytes=")], Whole),
        ("unknown unit", vec![r("items=0-5")], Whole),
        (
            "two ranges",
            vec![r("bytes=0-9,20-29")],
            Parts(vec![(0, 9), (20, 29)]),
        ),
        (
            "sorted",
            vec![r("bytes=20-29,0-9")],
            Parts(vec![(0, 9), (20, 29)]),
        ),
        (
            "three across chunks",
            vec![r("bytes=-10,0-0,200000-300000")],
            Parts(vec![(0, 0), (200_000, 300_000), (len - 10, len - 1)]),
        ),
        (
            "overlap merges to one",
            vec![r("bytes=0-9,5-19")],
            Part(0, 19),
        ),
        (
            "adjacent merge to one",
            vec![r("bytes=0-9,10-19")],
            Part(0, 19),
        ),
        (
            "unsatisfiable one dropped",
            vec![r(&format!("bytes=0-9,{}-", len + 5))],
            Part(0, 9),
        ),
        ("sum past the file", vec![r("bytes=0-,0-")], Whole),
        (
            "too many ranges",
            vec![r(&format!("bytes={}", pile.join(",")))],
            Whole,
        ),
        (
            "many overlaps",
            vec![r(&format!("bytes={tiny_overlaps}"))],
            Whole,
        ),
        (
            "if-none-match hit",
            vec![(IF_NONE_MATCH, etag.clone())],
            NotModified,
        ),
        (
            "if-none-match weak",
            vec![(IF_NONE_MATCH, weak.clone())],
            NotModified,
        ),
        (
            "if-none-match star",
            vec![(IF_NONE_MATCH, "*".into())],
            NotModified,
        ),
        (
            "if-none-match list",
            vec![(IF_NONE_MATCH, format!("\"x\", {etag}"))],
            NotModified,
        ),
        (
            "if-none-match miss",
            vec![(IF_NONE_MATCH, "\"x\"".into())],
            Whole,
        ),
        (
            "if-none-match with range",
            vec![(IF_NONE_MATCH, etag.clone()), r("bytes=0-9")],
            NotModified,
        ),
        (
            "if-modified-since same",
            vec![(IF_MODIFIED_SINCE, lm.clone())],
            NotModified,
        ),
        (
            "if-modified-since earlier",
            vec![(IF_MODIFIED_SINCE, before.clone())],
            Whole,
        ),
        (
            "if-modified-since future",
            vec![(IF_MODIFIED_SINCE, future)],
            Whole,
        ),
        (
            "if-modified-since junk",
            vec![(IF_MODIFIED_SINCE, "soon".into())],
            Whole,
        ),
        (
            "if-none-match beats if-modified-since",
            vec![
                (IF_NONE_MATCH, "\"x\"".into()),
                (IF_MODIFIED_SINCE, lm.clone()),
            ],
            Whole,
        ),
        ("if-match hit", vec![(IF_MATCH, etag.clone())], Whole),
        ("if-match star", vec![(IF_MATCH, "*".into())], Whole),
        (
            "if-match miss",
            vec![(IF_MATCH, "\"x\"".into())],
            PreconditionFailed,
        ),
        (
            "if-match weak",
            vec![(IF_MATCH, weak.clone())],
            PreconditionFailed,
        ),
        (
            "if-match with range",
            vec![(IF_MATCH, etag.clone()), r("bytes=0-9")],
            Part(0, 9),
        ),
        (
            "if-unmodified-since same",
            vec![(IF_UNMODIFIED_SINCE, lm.clone())],
            Whole,
        ),
        (
            "if-unmodified-since earlier",
            vec![(IF_UNMODIFIED_SINCE, before.clone())],
            PreconditionFailed,
        ),
        (
            "if-match beats if-unmodified-since",
            vec![
                (IF_MATCH, etag.clone()),
                (IF_UNMODIFIED_SINCE, before.clone()),
            ],
            Whole,
        ),
        (
            "412 before 304",
            vec![(IF_MATCH, "\"x\"".into()), (IF_NONE_MATCH, etag.clone())],
            PreconditionFailed,
        ),
        (
            "if-range tag",
            vec![(IF_RANGE, etag.clone()), r("bytes=0-9")],
            Part(0, 9),
        ),
        (
            "if-range date",
            vec![(IF_RANGE, lm.clone()), r("bytes=0-9")],
            Part(0, 9),
        ),
        (
            "if-range weak tag",
            vec![(IF_RANGE, weak), r("bytes=0-9")],
            Whole,
        ),
        (
            "if-range other tag",
            vec![(IF_RANGE, "\"x\"".into()), r("bytes=0-9")],
            Whole,
        ),
        (
            "if-range other date",
            vec![(IF_RANGE, before), r("bytes=0-9")],
            Whole,
        ),
        (
            "if-range miss skips 416",
            vec![(IF_RANGE, "\"x\"".into()), r(&format!("bytes={len}-"))],
            Whole,
        ),
        (
            "if-range multipart",
            vec![(IF_RANGE, etag.clone()), r("bytes=0-0,9-9")],
            Parts(vec![(0, 0), (9, 9)]),
        ),
        (
            "if-range without range",
            vec![(IF_RANGE, "\"x\"".into())],
            Whole,
        ),
    ];
    for (name, request, expect) in &rows {
        check(&server, &url, &served, name, request, expect).await;
    }
}

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
