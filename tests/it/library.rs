//! The library over real HTTP and real SQLite: paging, sorting, filters,
//! search (editing, deleting and the start-up sweep are in
//! `item_changes.rs`). Rows are made through `Repo::insert` (no upload needed).

use std::collections::HashSet;

use crate::common::TestServer;
use reel::error::ApiError;
use reel::error::ErrorCode;
use reel::library::{LibraryPage, LibraryQuery, Sort, StateFilter};
use reel::model::{JobKind, MediaId, MediaItem, MediaKind, MediaState};
use reqwest::StatusCode;

pub(crate) struct Row {
    title: &'static str,
    filename: &'static str,
    kind: MediaKind,
    size: u64,
    duration: Option<f64>,
}

pub(crate) fn row(title: &'static str, filename: &'static str) -> Row {
    Row {
        title,
        filename,
        kind: MediaKind::Video,
        size: 1000,
        duration: Some(10.0),
    }
}

/// Records an item without bytes: ready, or processing when it gets a job.
pub(crate) async fn insert(server: &TestServer, row: Row, processing: bool) -> MediaItem {
    server
        .hooks
        .insert_row(reel::testing::Row {
            title: row.title.to_string(),
            original_filename: row.filename.to_string(),
            kind: row.kind,
            size_bytes: row.size,
            duration_secs: row.duration,
            processing,
        })
        .await
}

pub(crate) async fn manual_server() -> TestServer {
    TestServer::start_with(|config| config.manual_jobs = true).await
}

/// Calls a server function with form arguments: the status and the body.
pub(crate) async fn call(
    server: &TestServer,
    function: &str,
    args: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = server
        .client
        .post(server.url(&format!("/api/{function}")))
        .form(args)
        .send()
        .await
        .expect("server function");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

pub(crate) async fn list(server: &TestServer, args: &[(&str, &str)]) -> LibraryPage {
    let (status, body) = call(server, "list_library", args).await;
    assert_eq!(status, StatusCode::OK, "{args:?}: {body}");
    serde_json::from_str(&body).expect("a library page")
}

/// The query string of a `LibraryQuery` is the form body of `list_library`.
async fn list_query(server: &TestServer, query: &LibraryQuery) -> LibraryPage {
    let response = server
        .client
        .post(server.url("/api/list_library"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query.to_query_string())
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a library page")
}

pub(crate) async fn refused(
    server: &TestServer,
    function: &str,
    args: &[(&str, &str)],
) -> (StatusCode, ApiError) {
    let (status, body) = call(server, function, args).await;
    let error = serde_json::from_str(&body).unwrap_or_else(|_| panic!("an ApiError: {body}"));
    (status, error)
}

fn titles(page: &LibraryPage) -> Vec<&str> {
    page.items.iter().map(|i| i.title.as_str()).collect()
}

pub(crate) fn ids(page: &LibraryPage) -> Vec<MediaId> {
    page.items.iter().map(|i| i.id.clone()).collect()
}

#[tokio::test]
async fn pages_cover_the_library_once_and_out_of_range_sizes_are_refused() {
    let server = manual_server().await;
    let mut made = Vec::new();
    for _ in 0..30 {
        made.push(insert(&server, row("Clip", "clip.mp4"), false).await.id);
    }
    made.sort();
    made.reverse(); // newest first: ids are UUIDv7

    // The default query: first page of 24, newest first.
    let first = list(&server, &[]).await;
    assert_eq!((first.total, first.page, first.per_page), (30, 1, 24));
    assert_eq!(first.pages(), 2);
    assert!(first.has_next() && !first.has_previous());
    assert_eq!(ids(&first), made[..24]);
    let last = list(&server, &[("page", "2")]).await;
    assert_eq!(ids(&last), made[24..]);
    assert!(!last.has_next());
    // Past the end: an empty page that still tells how many there are.
    let past = list(&server, &[("page", "3")]).await;
    assert!(past.items.is_empty());
    assert_eq!(past.total, 30);

    // Every size walks the whole library exactly once.
    for per_page in [1, 7, 100] {
        let mut seen = Vec::new();
        for page in 1.. {
            let got = list(
                &server,
                &[
                    ("page", &page.to_string()),
                    ("per_page", &per_page.to_string()),
                ],
            )
            .await;
            if got.items.is_empty() {
                break;
            }
            seen.extend(ids(&got));
        }
        assert_eq!(seen, made, "per_page={per_page}");
    }

    for (args, needle) in [
        (vec![("per_page", "0")], "1 to 100"),
        (vec![("per_page", "101")], "1 to 100"),
        (vec![("page", "0")], "The page must be"),
        (vec![("page", "100001")], "The page must be"),
    ] {
        let (status, error) = refused(&server, "list_library", &args).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{args:?}");
        assert_eq!(error.code, ErrorCode::BadRequest);
        assert!(
            error.message.contains(needle),
            "{args:?}: {}",
            error.message
        );
    }
    let long = "x".repeat(201);
    let (status, error) = refused(&server, "list_library", &[("q", &long)]).await;
    assert_eq!(
        (status, error.code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-request")
    );
    assert!(error.message.contains("200"), "{}", error.message);
    // Values of the wrong type are refused, not guessed. (Their status is
    // leptos's for undecodable arguments; the code says what it is.)
    for args in [[("sort", "random")], [("kind", "vhs")], [("page", "two")]] {
        let (status, error) = refused(&server, "list_library", &args).await;
        assert_ne!(status, StatusCode::OK, "{args:?}");
        assert_eq!(error.code, ErrorCode::BadRequest, "{args:?}");
    }
}

#[tokio::test]
async fn every_sort_order_is_total_and_stable() {
    let server = manual_server().await;
    let rows = [
        ("banana", 300, Some(5.0)),
        ("Apple", 100, Some(60.0)),
        ("cherry", 300, None),
        ("apple", 200, Some(60.0)),
        ("Date", 50, Some(1.5)),
    ];
    let mut made = Vec::new();
    for (title, size, duration) in rows {
        let item = insert(
            &server,
            Row {
                title,
                filename: "x.mp4",
                kind: MediaKind::Video,
                size,
                duration,
            },
            false,
        )
        .await;
        made.push(item);
    }
    let by_id = |title: &str, nth: usize| {
        made.iter()
            .filter(|i| i.title.eq_ignore_ascii_case(title))
            .map(|i| i.id.clone())
            .collect::<Vec<_>>()
            .get(nth)
            .cloned()
    };
    let mut newest: Vec<MediaId> = made.iter().map(|i| i.id.clone()).collect();
    newest.sort();
    newest.reverse();

    let sorted = |sort: Sort| {
        let server = &server;
        async move {
            list_query(
                server,
                &LibraryQuery {
                    sort,
                    ..LibraryQuery::default()
                },
            )
            .await
        }
    };
    assert_eq!(ids(&sorted(Sort::Newest).await), newest);
    let mut oldest = newest.clone();
    oldest.reverse();
    assert_eq!(ids(&sorted(Sort::Oldest).await), oldest);

    // A to Z ignoring case; the two apples in id order.
    let title = sorted(Sort::Title).await;
    assert_eq!(
        titles(&title)
            .iter()
            .map(|t| t.to_lowercase())
            .collect::<Vec<_>>(),
        ["apple", "apple", "banana", "cherry", "date"]
    );
    let mut apples = [by_id("apple", 0).expect("a"), by_id("apple", 1).expect("a")];
    apples.sort();
    assert_eq!(ids(&title)[..2], apples[..]);

    // Longest first, the two 60 s items newest first, no duration last.
    let duration = sorted(Sort::Duration).await;
    let mut long: Vec<MediaId> = made
        .iter()
        .filter(|i| i.duration_secs == Some(60.0))
        .map(|i| i.id.clone())
        .collect();
    long.sort();
    long.reverse();
    assert_eq!(ids(&duration)[..2], long[..]);
    assert_eq!(titles(&duration)[2..], ["banana", "Date", "cherry"]);

    // Largest first; the two of 300 bytes newest first.
    let size = sorted(Sort::Size).await;
    let sizes: Vec<u64> = size.items.iter().map(|i| i.size_bytes).collect();
    assert_eq!(sizes, [300, 300, 200, 100, 50]);
    let mut big = [
        by_id("banana", 0).expect("b"),
        by_id("cherry", 0).expect("c"),
    ];
    big.sort();
    big.reverse();
    assert_eq!(ids(&size)[..2], big[..]);

    // Paging through a sort with ties never repeats or skips an item.
    let mut seen = Vec::new();
    for page in 1..=5 {
        let got = list(
            &server,
            &[
                ("sort", "size"),
                ("per_page", "1"),
                ("page", &page.to_string()),
            ],
        )
        .await;
        seen.extend(ids(&got));
    }
    assert_eq!(seen, ids(&size));
}

#[tokio::test]
async fn filters_by_kind_and_state_and_shows_progress() {
    let server = manual_server().await;
    let video = insert(&server, row("Video ready", "v.mp4"), false).await;
    let busy = insert(&server, row("Video busy", "b.mp4"), true).await;
    let song = insert(
        &server,
        Row {
            kind: MediaKind::Audio,
            ..row("Song", "song.mp3")
        },
        false,
    )
    .await;
    let broken = insert(&server, row("Broken", "broken.mp4"), true).await;
    let broken_id = broken.id.clone();
    server.hooks.cancel(&broken_id).await;
    assert!(matches!(
        server.item(&broken.id).await.state,
        MediaState::Failed(_)
    ));

    let page = list(&server, &[("kind", "audio")]).await;
    assert_eq!(ids(&page), vec![song.id.clone()]);
    let page = list(&server, &[("kind", "video")]).await;
    assert_eq!(page.total, 3);
    let page = list(&server, &[("state", "ready")]).await;
    let ready: HashSet<MediaId> = ids(&page).into_iter().collect();
    assert_eq!(ready, HashSet::from([video.id.clone(), song.id.clone()]));
    let page = list(&server, &[("state", "failed")]).await;
    assert_eq!(ids(&page), vec![broken.id.clone()]);
    let page = list(&server, &[("state", "processing"), ("kind", "video")]).await;
    assert_eq!(ids(&page), vec![busy.id.clone()]);
    // Processing items carry their progress, as on the item's own page.
    let progress = page.items[0].progress.as_ref().expect("progress");
    assert_eq!(progress.stage, JobKind::Poster);
    assert_eq!(
        list(&server, &[("state", "processing"), ("kind", "audio")])
            .await
            .total,
        0
    );
    let query = LibraryQuery {
        kind: Some(MediaKind::Video),
        state: Some(StateFilter::Ready),
        ..LibraryQuery::default()
    };
    assert_eq!(ids(&list_query(&server, &query).await), [video.id]);
}

#[tokio::test]
async fn search_finds_word_prefixes_in_title_filename_and_description() {
    let server = manual_server().await;
    let holiday = insert(&server, row("Holiday 2024", "Holiday 2024.mp4"), false).await;
    let birthday = insert(&server, row("Birthday", "IMG_0042.MOV"), false).await;
    let cafe = insert(&server, row("Café concert", "concert.mkv"), false).await;
    for _ in 0..5 {
        insert(&server, row("Other clip", "other.mp4"), false).await;
    }
    let found = |q: &'static str| {
        let server = &server;
        async move { ids(&list(server, &[("q", q)]).await) }
    };
    assert_eq!(found("holi").await, vec![holiday.id.clone()]);
    assert_eq!(found("HOLI").await, vec![holiday.id.clone()]);
    assert_eq!(found("  holiday 20 ").await, vec![holiday.id.clone()]);
    assert_eq!(found("img_004").await, vec![birthday.id.clone()]);
    assert_eq!(found("mov").await, vec![birthday.id.clone()]);
    assert_eq!(found("cafe").await, vec![cafe.id.clone()]);
    assert_eq!(found("CAFÉ").await, vec![cafe.id.clone()]);
    assert!(found("holiday birthday").await.is_empty());
    assert!(found("liday").await.is_empty(), "prefixes, not substrings");
    assert_eq!(found("clip").await.len(), 5);

    // FTS5 syntax in the input is plain text: never an error.
    for q in [
        "\"",
        "*",
        "-",
        "(",
        ")",
        "\"holi",
        "holi\"",
        "holi*",
        "-holi",
        "(holi",
        "holi)",
        "holi OR",
        "AND",
        "NOT holi",
        "NEAR(holi",
        "^holi",
        "holi:",
        "title:holi",
        "'",
        "%",
        "_",
        "\\",
        "{holi}",
        "holi + -",
        "😀",
    ] {
        let (status, body) = call(&server, "list_library", &[("q", q)]).await;
        assert_eq!(status, StatusCode::OK, "{q:?}: {body}");
        let page: LibraryPage = serde_json::from_str(&body).expect("page");
        let words: Vec<&str> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if words == ["holi"] {
            assert_eq!(ids(&page), vec![holiday.id.clone()], "{q:?}");
        }
    }

    // Search combines with filters, sorting and paging.
    let page = list(&server, &[("q", "clip"), ("per_page", "2"), ("page", "3")]).await;
    assert_eq!((page.items.len(), page.total), (1, 5));
    let page = list(&server, &[("q", "clip"), ("kind", "audio")]).await;
    assert_eq!(page.total, 0);

    // The description is searched too, and edits reach the index.
    let (status, body) = call(
        &server,
        "update_media",
        &[
            ("id", birthday.id.as_str()),
            ("title", "Grandma turns ninety"),
            ("description", "In the garden, with cake."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(found("gard").await, vec![birthday.id.clone()]);
    assert_eq!(found("grandma").await, vec![birthday.id.clone()]);
    assert!(found("birthday").await.is_empty());
    // Deleted items leave the index.
    let (status, _) = call(&server, "delete_media", &[("id", holiday.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(found("holi").await.is_empty());
}
