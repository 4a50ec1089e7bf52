//! What the conformance rows are made of, and the check that sends one row as
//! GET and then as HEAD.

use std::time::SystemTime;

use crate::common::TestServer;
use reel::model::UploadResponse;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName};

/// What a row expects back.
#[derive(Clone, Debug)]
pub(super) enum Expect {
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
pub(super) type Row = (&'static str, Vec<(HeaderName, String)>, Expect);

pub(super) struct Served {
    pub(super) len: u64,
    pub(super) bytes: Vec<u8>,
    pub(super) etag: String,
    pub(super) last_modified: String,
    pub(super) content_type: &'static str,
}

pub(super) async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    created
}

pub(super) async fn whole(server: &TestServer, url: &str) -> (HeaderMap, Vec<u8>) {
    let response = server.client.get(url).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (headers, response.bytes().await.expect("body").to_vec())
}

pub(super) fn text(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .expect("ascii")
        .to_string()
}

/// Splits a `multipart/byteranges` body by its boundary and Content-Ranges.
pub(super) fn parse_parts(body: &[u8], boundary: &str) -> Vec<(String, u64, u64, u64, Vec<u8>)> {
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
pub(super) async fn check(
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

pub(super) fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}
