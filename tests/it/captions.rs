//! Captions: a file's SubRip and mov_text subtitle streams become WebVTT
//! tracks with their cue times and text; SubRip files people add are
//! converted (a broken one is refused with its line); what was said is
//! searchable; the rights check decides every track's bytes.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::accounts::{User, call, call_json, code};
use crate::common::{TestServer, ffmpeg};
use reel::accounts::Role;
use reel::model::{CaptionHit, CaptionOrigin, CaptionTrack, MediaItem, UploadResponse};

const SRT: &str = "1\n00:00:00,500 --> 00:00:01,750\nThe quick brown fox\n\n\
                   2\n00:00:02,000 --> 00:00:03,250\njumps over <i>the lazy</i> dog\n";

/// Four seconds of picture and tone with `SRT` as a subtitle stream in
/// `codec` (`srt` in Matroska, `mov_text` in MP4), tagged `language`.
fn subtitled(dir: &Path, name: &str, codec: &str, language: &str) -> PathBuf {
    let srt = dir.join(format!("{name}.srt"));
    std::fs::write(&srt, SRT).expect("write srt");
    let srt = srt.to_string_lossy().into_owned();
    let language = format!("language={language}");
    ffmpeg(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=4",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=4",
            "-i",
            &srt,
            "-map",
            "0",
            "-map",
            "1",
            "-map",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-c:s",
            codec,
            "-metadata:s:s:0",
            &language,
            "-shortest",
        ],
    )
}

async fn upload(server: &TestServer, path: &Path) -> MediaItem {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{path:?}");
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    server.item(&created.id).await
}

async fn tracks(client: &reqwest::Client, server: &TestServer, id: &str) -> Vec<CaptionTrack> {
    let (status, answer) = call(client, server, "captions", &[("id", id)]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    serde_json::from_value(answer).expect("tracks")
}

/// The cues of a WebVTT file as (start ms, end ms, text).
fn cues(vtt: &str) -> Vec<(u64, u64, String)> {
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    let ms = |t: &str| {
        let (clock, millis) = t.trim().split_once('.').expect("millis");
        let secs = clock.split(':').fold(0u64, |acc, part| {
            acc * 60 + part.parse::<u64>().expect("number")
        });
        secs * 1000 + millis.parse::<u64>().expect("millis")
    };
    vtt.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines().skip_while(|l| !l.contains("-->"));
            let (start, end) = lines.next()?.split_once("-->")?;
            let end = end.split_whitespace().next()?;
            Some((ms(start), ms(end), lines.collect::<Vec<_>>().join("\n")))
        })
        .collect()
}

async fn vtt_of(client: &reqwest::Client, server: &TestServer, track: &CaptionTrack) -> String {
    let src = track.src.as_deref().expect("a readable track");
    let answer = client.get(server.url(src)).send().await.expect("vtt");
    assert_eq!(answer.status(), StatusCode::OK, "{src}");
    assert_eq!(
        answer.headers()["content-type"].to_str().expect("type"),
        "text/vtt; charset=utf-8"
    );
    answer.text().await.expect("text")
}

fn close(got: u64, want: u64) -> bool {
    got.abs_diff(want) <= 40
}

#[tokio::test]
async fn subrip_and_mov_text_streams_become_webvtt_tracks_with_their_times() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    for (name, codec, language, label) in [
        ("talk.mkv", "srt", "eng", "English"),
        ("talk.mp4", "mov_text", "deu", "Deutsch"),
    ] {
        let item = upload(&server, &subtitled(media.path(), name, codec, language)).await;
        let list = tracks(&server.client, &server, item.id.as_str()).await;
        assert_eq!(list.len(), 1, "{name}: {list:?}");
        let track = &list[0];
        assert_eq!(
            (
                track.label.as_str(),
                track.language.as_deref(),
                track.origin
            ),
            (label, Some(language), CaptionOrigin::File),
            "{name}"
        );
        let got = cues(&vtt_of(&server.client, &server, track).await);
        assert_eq!(got.len(), 2, "{name}: {got:?}");
        assert!(
            close(got[0].0, 500) && close(got[0].1, 1750),
            "{name}: {got:?}"
        );
        assert!(
            close(got[1].0, 2000) && close(got[1].1, 3250),
            "{name}: {got:?}"
        );
        assert_eq!(got[0].2, "The quick brown fox", "{name}");
        // Markup may be kept or dropped by the container; the words stay.
        assert!(
            got[1].2.contains("jumps over") && got[1].2.contains("dog"),
            "{name}: {got:?}"
        );
    }
}

fn encoded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn added_subrip_is_converted_a_broken_one_is_refused_with_its_line_and_text_is_searchable() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let item = upload(&server, &crate::common::video_mp4(media.path(), 4)).await;
    let id = item.id.as_str();
    let add = |data: String, label: &str, language: &str| json!({ "id": id, "file_name": "talk.srt", "data": data, "label": label, "language": language });

    // Windows-1252, as old SubRip files often are: é is 0xE9.
    let latin = b"1\r\n00:00:01,000 --> 00:00:02,500\r\nCaf\xE9 society meets at noon\r\n";
    let (status, answer) = call_json(
        &server.client,
        &server,
        "add_caption",
        &add(encoded(latin), "Français", "fr"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let list: Vec<CaptionTrack> = serde_json::from_value(answer).expect("tracks");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].origin, CaptionOrigin::Upload);
    let vtt = vtt_of(&server.client, &server, &list[0]).await;
    // The byte rules' preconditions hold for caption files too.
    let url = server.url(list[0].src.as_deref().expect("src"));
    let first = server.client.get(&url).send().await.expect("vtt");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let again = server
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(again.expect("304").status(), StatusCode::NOT_MODIFIED);
    let other = server
        .client
        .get(&url)
        .header("if-match", "\"other\"")
        .send()
        .await;
    assert_eq!(
        other.expect("412").status(),
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        cues(&vtt),
        [(1000, 2500, "Café society meets at noon".to_string())]
    );

    let broken = "1\n00:00:01,000 --> 00:00:02,000\nFine\n\n2\n00:00:03,000 -> 00:00:04,000\nBad\n";
    let (status, answer) = call_json(
        &server.client,
        &server,
        "add_caption",
        &add(encoded(broken.as_bytes()), "x", ""),
    )
    .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "bad-request"),
        "{answer}"
    );
    let message = answer["message"].as_str().expect("message");
    assert!(message.contains("line 6"), "{message}");
    for (data, label, language) in [
        (encoded(b""), "x", ""),
        (encoded(b"\x00\x01\x02"), "x", ""),
        (encoded(SRT.as_bytes()), " ", ""),
        (encoded(SRT.as_bytes()), "x", "not a tag!"),
        ("***".to_string(), "x", ""),
    ] {
        let (status, answer) = call_json(
            &server.client,
            &server,
            "add_caption",
            &add(data, label, language),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }
    // Nothing of the refused files was kept.
    assert_eq!(tracks(&server.client, &server, id).await.len(), 1);

    // Search finds the cue's words by prefix, accents or not, with its time.
    let (status, answer) = call(
        &server.client,
        &server,
        "search_captions",
        &[("q", "cafe societ")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let hits: Vec<CaptionHit> = serde_json::from_value(answer).expect("hits");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].id.as_str(), hits[0].at_secs), (id, 1.0));
    assert_eq!(hits[0].href(), format!("/media/{id}?t=1"));
    let (_, answer) = call(
        &server.client,
        &server,
        "search_captions",
        &[("q", "nobody said")],
    )
    .await;
    assert_eq!(answer, json!([]));

    // Relabel, then delete: the words go with the track.
    let caption = list[0].id.to_string();
    let (status, answer) = call(
        &server.client,
        &server,
        "update_caption",
        &[
            ("id", id),
            ("caption", &caption),
            ("label", "French"),
            ("language", "fr-FR"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer[0]["label"], "French");
    assert_eq!(answer[0]["language"], "fr-FR");
    let (status, answer) = call(
        &server.client,
        &server,
        "delete_caption",
        &[("id", id), ("caption", &caption)],
    )
    .await;
    assert_eq!((status, answer), (StatusCode::OK, json!([])));
    let (_, answer) = call(&server.client, &server, "search_captions", &[("q", "cafe")]).await;
    assert_eq!(answer, json!([]));
}

#[tokio::test]
async fn a_private_items_captions_follow_its_rights() {
    let server = TestServer::start().await;
    let owner = User::new(&server, "owner", Role::Member).await;
    let other = User::new(&server, "other", Role::Member).await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(subtitled(media.path(), "talk.mkv", "srt", "eng")).expect("read");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("talk.mkv"),
    );
    let created: UploadResponse = owner
        .browser
        .post(server.url("/api/uploads"))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    server.hooks.wait_idle().await;
    let id = created.id.as_str();
    let list = tracks(&owner.browser, &server, id).await;
    let src = list[0].src.clone().expect("src");
    assert!(
        src.contains("?sig="),
        "a private item's tracks are signed: {src}"
    );
    let unsigned = src.split('?').next().expect("path").to_string();

    // The owner reads it either way; the signed address works without a session.
    for (client, url) in [(&owner.browser, &unsigned), (&reqwest::Client::new(), &src)] {
        let answer = client.get(server.url(url)).send().await.expect("get");
        assert_eq!(answer.status(), StatusCode::OK, "{url}");
    }
    // Anyone else meets a missing item, whatever they ask.
    for url in [
        &unsigned,
        &format!("{unsigned}?sig=forged"),
        &format!("/files/{id}/captions/999999"),
    ] {
        for client in [&other.browser, &reqwest::Client::new()] {
            let answer = client.get(server.url(url)).send().await.expect("get");
            assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{url}");
        }
    }
    let (status, answer) = call(&other.browser, &server, "captions", &[("id", id)]).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    let (_, answer) = call(
        &other.browser,
        &server,
        "search_captions",
        &[("q", "quick brown")],
    )
    .await;
    assert_eq!(
        answer,
        json!([]),
        "a private item's words are not found by others"
    );
    let (_, answer) = call(
        &owner.browser,
        &server,
        "search_captions",
        &[("q", "quick brown")],
    )
    .await;
    assert_eq!(answer[0]["id"], id);
    let data = encoded(SRT.as_bytes());
    let body =
        json!({ "id": id, "file_name": "x.srt", "data": data, "label": "x", "language": "" });
    let (status, _) = call_json(&other.browser, &server, "add_caption", &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let caption = list[0].id.to_string();
    let (status, _) = call(
        &other.browser,
        &server,
        "delete_caption",
        &[("id", id), ("caption", &caption)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Deleting the item takes its tracks and words with it.
    let (status, _) = call(&owner.browser, &server, "delete_media", &[("id", id)]).await;
    assert_eq!(status, StatusCode::OK);
    let answer = owner
        .browser
        .get(server.url(&unsigned))
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let (_, answer) = call(
        &owner.browser,
        &server,
        "search_captions",
        &[("q", "quick brown")],
    )
    .await;
    assert_eq!(answer, json!([]));
}
