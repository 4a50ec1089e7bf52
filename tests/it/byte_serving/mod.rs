//! RFC 9110 conformance of byte serving against the real server: every case is
//! a row (request headers → status, headers, body), each checked for GET and
//! then for HEAD, which must answer the very same headers with no body.
//! `check` holds the rows' parts and the check; `validators` the tests of
//! derived files' validators, safe headers, CORS and cached serving facts.

use std::time::{Duration, SystemTime};

use crate::common::{TestServer, tone_wav};
use reqwest::header;

mod check;
mod validators;

use check::{Expect, Row, Served, check, http_date, text, upload, whole};

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
