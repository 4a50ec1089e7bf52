//! The library over real HTTP and real SQLite: paging, sorting, filters,
//! search, editing, deleting with every file, and the start-up sweep of
//! files no item owns. Rows are made through `Repo::insert` (no upload
//! needed) except where derived files must really exist.

use std::collections::HashSet;

use crate::common::shared::local_only;
use crate::common::{TestServer, avi_needing_transcode, tone_wav, video_mp4};
use reel::error::ApiError;
use reel::error::ErrorCode;
use reel::library::{LibraryPage, LibraryQuery, Sort, StateFilter};
use reel::model::{JobKind, MediaId, MediaItem, MediaKind, MediaState, UploadResponse};
use reqwest::StatusCode;

struct Row {
    title: &'static str,
    filename: &'static str,
    kind: MediaKind,
    size: u64,
    duration: Option<f64>,
}

fn row(title: &'static str, filename: &'static str) -> Row {
    Row {
        title,
        filename,
        kind: MediaKind::Video,
        size: 1000,
        duration: Some(10.0),
    }
}

/// Records an item without bytes: ready, or processing when it gets a job.
async fn insert(server: &TestServer, row: Row, processing: bool) -> MediaItem {
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

async fn manual_server() -> TestServer {
    TestServer::start_with(|config| config.manual_jobs = true).await
}

/// Calls a server function with form arguments: the status and the body.
async fn call(server: &TestServer, function: &str, args: &[(&str, &str)]) -> (StatusCode, String) {
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

async fn list(server: &TestServer, args: &[(&str, &str)]) -> LibraryPage {
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

async fn refused(
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

fn ids(page: &LibraryPage) -> Vec<MediaId> {
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

#[tokio::test]
async fn edits_are_checked_by_field_and_persist() {
    let server = manual_server().await;
    let item = insert(&server, row("Old title", "clip.mp4"), false).await;
    assert_eq!(item.description, "");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let (status, body) = call(
        &server,
        "update_media",
        &[
            ("id", item.id.as_str()),
            ("title", "  New title  "),
            ("description", "  First line\r\nSecond line\t(tab)  "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let updated: MediaItem = serde_json::from_str(&body).expect("the updated item");
    assert_eq!(updated.title, "New title");
    assert_eq!(updated.description, "First line\nSecond line\t(tab)");
    assert_ne!(updated.updated_at, item.updated_at);
    assert_eq!(updated.created_at, item.created_at);
    // Stored: a fresh read and the item's own server function agree.
    assert_eq!(server.item(&item.id).await, updated);
    let (status, body) = call(&server, "media", &[("id", item.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK);
    let fetched: MediaItem = serde_json::from_str(&body).expect("item");
    assert_eq!(fetched.description, updated.description);

    let long_title = "t".repeat(201);
    let long_description = "d".repeat(5001);
    let cases: [(&str, &str, ErrorCode, &[&str]); 6] = [
        ("", "", ErrorCode::InvalidTitle, &["title", "empty"]),
        ("   ", "ok", ErrorCode::InvalidTitle, &["title", "empty"]),
        (
            &long_title,
            "",
            ErrorCode::InvalidTitle,
            &["title", "200", "201"],
        ),
        (
            "Line\nbreak",
            "",
            ErrorCode::InvalidTitle,
            &["title", "control"],
        ),
        (
            "Fine",
            &long_description,
            ErrorCode::InvalidDescription,
            &["description", "5000"],
        ),
        (
            "Fine",
            "bell\u{7}",
            ErrorCode::InvalidDescription,
            &["description", "control"],
        ),
    ];
    for (title, description, code, words) in cases {
        let (status, error) = refused(
            &server,
            "update_media",
            &[
                ("id", item.id.as_str()),
                ("title", title),
                ("description", description),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{title:?}");
        assert_eq!(error.code, code, "{title:?}");
        for word in words {
            assert!(
                error.message.contains(word),
                "{word:?} in {:?}",
                error.message
            );
        }
    }
    // Exactly at the limits is fine (characters, not bytes).
    let (status, body) = call(
        &server,
        "update_media",
        &[
            ("id", item.id.as_str()),
            ("title", &"é".repeat(200)),
            ("description", &"ü".repeat(5000)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Refused edits changed nothing else; unknown items are 404.
    for id in [
        reel::testing::fresh_media_id().to_string(),
        "../etc".to_string(),
    ] {
        let (status, error) = refused(
            &server,
            "update_media",
            &[("id", &id), ("title", "x"), ("description", "")],
        )
        .await;
        assert_eq!(
            (status, error.code.as_str()),
            (StatusCode::NOT_FOUND, "not-found")
        );
    }
}

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

fn files_of(server: &TestServer, id: &str) -> Vec<String> {
    let mut names: Vec<String> = server
        .stored_files()
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(id))
        .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

async fn status_of(server: &TestServer, path: &str) -> StatusCode {
    server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("get")
        .status()
}

#[tokio::test]
async fn deleting_removes_the_row_the_jobs_and_every_file() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let video = upload(&server, &avi_needing_transcode(media.path(), 6, "320x240")).await;
    let audio = upload(&server, &tone_wav(media.path(), 2)).await;
    let kept = upload(&server, &video_mp4(media.path(), 2)).await;
    server.hooks.wait_idle().await;
    assert_eq!(
        files_of(&server, video.id.as_str()),
        [
            "master.m3u8",
            "original",
            "playable.mp4",
            "poster.jpg",
            "sprites.jpg",
            "thumbnails.vtt",
            "v0.m3u8",
            "v0.mp4",
            "v1.m3u8",
            "v1.mp4",
        ]
    );
    assert!(files_of(&server, audio.id.as_str()).contains(&"waveform.json".to_string()));
    let kept_files = files_of(&server, kept.id.as_str());
    // Byte serving has the item's facts cached now.
    let original = format!("/files/{}/original", video.id);
    assert_eq!(status_of(&server, &original).await, StatusCode::OK);

    for item in [&video, &audio] {
        let (status, body) = call(&server, "delete_media", &[("id", item.id.as_str())]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = item.id.clone();
        assert_eq!(server.hooks.item(&id).await, None);
        assert!(server.hooks.jobs_of(&id).await.is_empty());
        assert_eq!(files_of(&server, item.id.as_str()), Vec::<String>::new());
        for variant in [
            "original",
            "poster",
            "playable",
            "sprites",
            "thumbnails",
            "waveform",
            "hls/master.m3u8",
        ] {
            let path = format!("/files/{}/{variant}", item.id);
            assert_eq!(
                status_of(&server, &path).await,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(
            status_of(&server, &format!("/media/{}", item.id)).await,
            StatusCode::NOT_FOUND
        );
    }
    // The other item keeps everything; the library no longer lists the two.
    assert_eq!(files_of(&server, kept.id.as_str()), kept_files);
    assert_eq!(ids(&list(&server, &[]).await), vec![kept.id.clone()]);

    // Deleting again, or an id that never was, is 404.
    for id in [
        video.id.as_str(),
        "0123456789abcdef0123456789abcdef",
        "nope",
    ] {
        let (status, error) = refused(&server, "delete_media", &[("id", id)]).await;
        assert_eq!(
            (status, error.code.as_str()),
            (StatusCode::NOT_FOUND, "not-found")
        );
    }
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn deleting_an_item_while_it_processes_stops_its_work() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &avi_needing_transcode(media.path(), 20, "640x360")).await;
    let id = created.id.clone();
    // Wait for the transcode to be running.
    crate::common::eventually(
        "the transcode to start",
        std::time::Duration::from_secs(30),
        || async {
            let jobs = server.hooks.jobs_of(&id).await;
            jobs.iter()
                // The ladder makes the playable copy of a video browsers cannot play.
                .any(|j| j.kind == JobKind::Ladder && j.state.is_active() && j.attempts > 0)
                .then_some(())
        },
    )
    .await;
    let (status, body) = call(&server, "delete_media", &[("id", created.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(server.hooks.jobs_of(&id).await.is_empty());
    // Delete answered once the worker had stopped: nothing writes afterwards.
    assert_eq!(files_of(&server, created.id.as_str()), Vec::<String>::new());
    server.hooks.wait_idle().await;
    assert_eq!(files_of(&server, created.id.as_str()), Vec::<String>::new());
    assert_eq!(
        server.scratch_entries(),
        0,
        "left in scratch: {:?}",
        reel::testing::scratch_names(server.dir.path())
    );
}

#[tokio::test]
async fn start_up_removes_stored_files_that_belong_to_no_item() {
    local_only!();
    let server = manual_server().await;
    let item = insert(&server, row("Kept", "kept.mp4"), false).await;
    let kept = item.id.clone();
    server.hooks.store_file(&kept, "poster", b"jpeg").await;
    // As if a crash came between deleting a row and its files.
    let stray = reel::testing::fresh_media_id();
    server.hooks.store_file(&stray, "original", b"bytes").await;
    // Something the store did not make is not the store's to remove.
    let media_dir = server.dir.path().join("files").join("media");
    let foreign = media_dir.join("zz").join("notes.txt");
    std::fs::create_dir_all(foreign.parent().expect("parent")).expect("mkdir");
    std::fs::write(&foreign, b"mine").expect("write");
    assert_eq!(files_of(&server, stray.as_str()), ["original"]);

    let dir = server.stop().await;
    let server = TestServer::start_in(dir, |config| config.manual_jobs = true).await;
    assert_eq!(files_of(&server, stray.as_str()), Vec::<String>::new());
    assert!(
        !media_dir
            .join(&stray.as_str()[..2])
            .join(stray.as_str())
            .exists()
    );
    assert_eq!(files_of(&server, kept.as_str()), ["poster.jpg"]);
    assert!(foreign.exists());
    assert_eq!(ids(&list(&server, &[]).await), [item.id]);
}
