//! Adaptive streaming over real HTTP with real ffmpeg: the HLS ladder's
//! rungs, alignment, codecs and byte ranges; publishing while it encodes;
//! cancelling it; and the playable copy made from its top rung.

use reel::model::{HlsState, JobKind, MediaItem, MediaState, PlaySource, UploadResponse};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE};

use crate::common::{TestServer, hevc_mkv, path_of, probe_streams, shared};

async fn upload(server: &TestServer, path: &std::path::Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

async fn text(server: &TestServer, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("get");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("text"))
}

/// A rendition's playlist, read: its init section and media segments as
/// (offset, length) ranges of its one file, and each segment's duration.
#[derive(Debug)]
struct Rendition {
    file: String,
    init: (u64, u64),
    segments: Vec<(u64, u64)>,
    durations: Vec<String>,
    ended: bool,
    kind: Option<String>,
}

fn byterange(text: &str) -> (u64, u64) {
    let (len, offset) = text.trim_matches('"').split_once('@').expect("len@offset");
    (offset.parse().expect("offset"), len.parse().expect("len"))
}

fn rendition(playlist: &str) -> Rendition {
    let mut out = Rendition {
        file: String::new(),
        init: (0, 0),
        segments: Vec::new(),
        durations: Vec::new(),
        ended: playlist.contains("#EXT-X-ENDLIST"),
        kind: None,
    };
    for line in playlist.lines() {
        if let Some(map) = line.strip_prefix("#EXT-X-MAP:") {
            let uri = map.split("URI=\"").nth(1).expect("uri");
            out.file = uri.split('"').next().expect("uri").to_string();
            out.init = byterange(map.split("BYTERANGE=").nth(1).expect("init range"));
        } else if let Some(range) = line.strip_prefix("#EXT-X-BYTERANGE:") {
            out.segments.push(byterange(range));
        } else if let Some(duration) = line.strip_prefix("#EXTINF:") {
            out.durations
                .push(duration.trim_end_matches(',').to_string());
        } else if let Some(kind) = line.strip_prefix("#EXT-X-PLAYLIST-TYPE:") {
            out.kind = Some(kind.to_string());
        }
    }
    out
}

/// A master playlist's variant: RESOLUTION, CODECS, BANDWIDTH and URI.
type Variant = (String, String, u64, String);

/// The master playlist's variants, and the sound rendition's URI.
fn variants(master: &str) -> (Vec<Variant>, Option<String>) {
    let attribute = |line: &str, name: &str| {
        let rest = line.split(&format!("{name}=")).nth(1)?;
        let value = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next()?,
            None => rest.split(',').next()?,
        };
        Some(value.to_string())
    };
    let mut out = Vec::new();
    let mut sound = None;
    let mut lines = master.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("#EXT-X-STREAM-INF:") {
            let uri = lines.next().expect("a URI after STREAM-INF").to_string();
            out.push((
                attribute(line, "RESOLUTION").expect("resolution"),
                attribute(line, "CODECS").expect("codecs"),
                attribute(line, "BANDWIDTH")
                    .expect("bandwidth")
                    .parse()
                    .expect("number"),
                uri,
            ));
        } else if line.starts_with("#EXT-X-MEDIA:TYPE=AUDIO") {
            sound = attribute(line, "URI");
        }
    }
    (out, sound)
}

/// `base` is the master's folder address; every range of the rendition is
/// fetched and must be a `moof` (segments) or `ftyp` (init) box.
async fn check_ranges(server: &TestServer, base: &str, r: &Rendition) {
    let url = server.url(&format!("{base}/{}", r.file));
    let head = server.client.head(&url).send().await.expect("head");
    let len: u64 = head.headers()["content-length"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    let mut expected_start = r.init.0 + r.init.1;
    let all = std::iter::once((r.init, "ftyp")).chain(r.segments.iter().map(|s| (*s, "moof")));
    for ((offset, length), box_type) in all {
        let answer = server
            .client
            .get(&url)
            .header(RANGE, format!("bytes={offset}-{}", offset + length - 1))
            .send()
            .await
            .expect("range");
        assert_eq!(answer.status(), StatusCode::PARTIAL_CONTENT);
        let bytes = answer.bytes().await.expect("body");
        assert_eq!(bytes.len() as u64, length);
        assert_eq!(&bytes[4..8], box_type.as_bytes(), "{} at {offset}", r.file);
        if box_type == "moof" {
            assert_eq!(offset, expected_start, "segments follow each other");
            expected_start = offset + length;
        }
    }
    if r.ended {
        assert_eq!(expected_start, len, "the segments cover the whole file");
    }
}

fn folder_of(item: &MediaItem) -> String {
    let master = item.urls.hls.as_deref().expect("an HLS address");
    path_of(master)
        .strip_suffix("/master.m3u8")
        .expect("master")
        .to_string()
}

#[tokio::test]
async fn a_video_browsers_cannot_play_streams_from_an_aligned_ladder() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    // 4:3, HEVC: browsers cannot play it, so it gets a ladder of two rungs.
    let created = upload(&server, &hevc_mkv(media.path(), "old.mkv", 10, "640x480")).await;
    assert_eq!(created.urls.play, None);
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert_eq!(item.hls, Some(HlsState::Ready));
    // The playable copy came from the top rung: no second encode ran.
    assert_eq!(item.play, Some(PlaySource::Playable));
    let kinds: Vec<JobKind> = server
        .hooks
        .jobs_of(&created.id)
        .await
        .iter()
        .map(|j| j.kind)
        .collect();
    assert!(kinds.contains(&JobKind::Ladder), "{kinds:?}");
    assert!(!kinds.contains(&JobKind::Playable), "{kinds:?}");

    let base = folder_of(&item);
    let (status, headers, master) = text(&server, &format!("{base}/master.m3u8")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "application/vnd.apple.mpegurl");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    let (rungs, sound) = variants(&master);
    let sizes: Vec<&str> = rungs.iter().map(|r| r.0.as_str()).collect();
    // Never above the source, and the shape kept.
    assert_eq!(sizes, ["640x480", "480x360"], "{master}");
    for (_, codecs, bandwidth, _) in &rungs {
        assert!(
            codecs.starts_with("avc1.") && codecs.ends_with(",mp4a.40.2"),
            "{codecs}"
        );
        assert!(
            *bandwidth > 100_000 && *bandwidth < 3_000_000,
            "{bandwidth}"
        );
    }
    assert!(rungs[0].2 > rungs[1].2, "the larger rung is faster");

    let mut boundaries = Vec::new();
    let uris = rungs.iter().map(|r| r.3.clone()).chain(sound);
    for uri in uris {
        let (status, _, playlist) = text(&server, &format!("{base}/{uri}")).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let r = rendition(&playlist);
        assert!(r.ended, "{playlist}");
        assert_eq!(r.kind.as_deref(), Some("VOD"), "{playlist}");
        assert!(r.segments.len() >= 3, "{playlist}");
        check_ranges(&server, &base, &r).await;
        if uri != "v2.m3u8" {
            boundaries.push(r.durations.clone());
        }
    }
    // Keyframes every 4 s on every rung: their segments line up exactly.
    assert_eq!(boundaries[0], boundaries[1]);
    assert!(boundaries[0][0].starts_with("4.0"), "{:?}", boundaries[0]);

    // The download copy is the top rung's H.264 with the sound.
    let copy = media.path().join("playable.mp4");
    let answer = server
        .client
        .get(server.url(&format!("/files/{}/playable", item.id)))
        .send()
        .await
        .expect("get");
    std::fs::write(&copy, answer.bytes().await.expect("body")).expect("write");
    let streams = probe_streams(&copy);
    assert!(
        streams.contains("codec_name=h264|pix_fmt=yuv420p"),
        "{streams}"
    );
    assert!(streams.contains("codec_name=aac"), "{streams}");
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn portrait_video_keeps_its_shape_and_small_sources_get_one_rung() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let created = upload(&server, &hevc_mkv(media.path(), "tall.mkv", 5, "360x640")).await;
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    let base = folder_of(&item);
    let (_, _, master) = text(&server, &format!("{base}/master.m3u8")).await;
    let (rungs, _) = variants(&master);
    let sizes: Vec<&str> = rungs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(sizes, ["360x640"], "{master}");
}

#[tokio::test]
async fn a_ladder_is_published_while_it_encodes_and_a_cancel_leaves_nothing() {
    // Objects in a store cannot grow: there the ladder is published whole
    // (the other tests cover that).
    if shared::enabled() {
        return;
    }
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let mut events = server.hooks.events();
    // Long enough that the encode is far from done when it first plays.
    let created = upload(&server, &hevc_mkv(media.path(), "long.mkv", 240, "640x360")).await;
    let item = loop {
        let event = events.recv().await.expect("events");
        if event.id != created.id {
            continue;
        }
        let item = server.item(&created.id).await;
        if item.hls == Some(HlsState::Live) {
            break item;
        }
    };
    // Playable before any copy is whole: the item says where.
    assert_eq!(item.state, MediaState::Processing);
    assert_eq!(item.play, None);
    let base = folder_of(&item);
    let (status, _, master) = text(&server, &format!("{base}/master.m3u8")).await;
    assert_eq!(status, StatusCode::OK);
    let (rungs, _) = variants(&master);
    let (_, headers, playlist) = text(&server, &format!("{base}/{}", rungs[0].3)).await;
    let r = rendition(&playlist);
    assert_eq!(r.kind.as_deref(), Some("EVENT"), "{playlist}");
    assert!(!r.ended, "still encoding: {playlist}");
    assert!(!r.segments.is_empty());
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    check_ranges(&server, &base, &r).await;

    // The growing file: its validator is not a content hash, and a range
    // past its current end is answered as RFC 9110 says.
    let stream = server.url(&format!("{base}/{}", r.file));
    let head = server.client.head(&stream).send().await.expect("head");
    let etag = head.headers()[ETAG].to_str().expect("ascii").to_string();
    let len: u64 = head.headers()["content-length"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    assert!(
        etag.contains(&format!("-{len:x}-")),
        "the tag follows the length: {etag}"
    );
    // So no browser keeps a part of it: a kept part would be completed
    // with `If-Range` naming the shorter file and get the whole file.
    assert_eq!(head.headers()[CACHE_CONTROL], "no-store");
    let far = server
        .client
        .get(&stream)
        .header(RANGE, "bytes=1000000000-")
        .send()
        .await
        .expect("range");
    assert_eq!(far.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let unsatisfied = far.headers()[CONTENT_RANGE].to_str().expect("ascii");
    assert!(unsatisfied.starts_with("bytes */"), "{unsatisfied}");

    // Cancelled part-way: no rendition is left, and none is offered.
    let cancel = server
        .client
        .post(server.url("/api/cancel_processing"))
        .form(&[("id", created.id.as_str())])
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), StatusCode::OK);
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.hls, None);
    assert_eq!(item.urls.hls, None);
    let (status, _, _) = text(&server, &format!("{base}/master.m3u8")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let left: Vec<_> = server
        .stored_files()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/hls/"))
        .collect();
    assert!(left.is_empty(), "left: {left:?}");
    assert_eq!(
        server.scratch_entries(),
        0,
        "left in scratch: {:?}",
        reel::testing::scratch_names(server.dir.path())
    );
}
