//! What a file says about itself: tags of MP3 (ID3v2), FLAC and Opus
//! (Vorbis comments) and M4A read into item fields at ingest, chapters read,
//! both editable, and tags searchable.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::accounts::{call, call_json};
use crate::common::{TestServer, ffmpeg, own_bytes};
use reel::library::LibraryPage;
use reel::model::{Chapter, ItemTags, MediaItem, UploadResponse};

/// Two seconds of tone in `name` (its extension picks the format) with a
/// full set of tags, and two chapters when `chapters` is set.
fn tagged(dir: &Path, name: &str, chapters: bool) -> PathBuf {
    let metadata = dir.join(format!("{name}.ffmeta"));
    std::fs::write(
        &metadata,
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Opening\n\
         [CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Main part\n",
    )
    .expect("write chapters");
    let metadata = metadata.to_string_lossy().into_owned();
    let mut args = vec!["-f", "lavfi", "-i", "sine=frequency=330:duration=2"];
    if chapters {
        args.extend(["-i", &metadata, "-map", "0", "-map_chapters", "1"]);
    }
    args.extend([
        "-metadata",
        "title=Blue in Green",
        "-metadata",
        "artist=Miles Davis",
        "-metadata",
        "album=Kind of Blue",
        "-metadata",
        "album_artist=Miles Davis Sextet",
        "-metadata",
        "track=3/5",
        "-metadata",
        "disc=1/1",
        "-metadata",
        "date=1959-08-17",
        "-metadata",
        "genre=Modal jazz",
        "-metadata",
        "comment=Recorded at Columbia's 30th Street Studio.",
    ]);
    ffmpeg(dir, name, &args)
}

async fn upload(server: &TestServer, path: &Path) -> MediaItem {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{path:?}");
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    server.item(&created.id).await
}

fn expected_tags() -> ItemTags {
    ItemTags {
        artist: Some("Miles Davis".into()),
        album: Some("Kind of Blue".into()),
        album_artist: Some("Miles Davis Sextet".into()),
        genre: Some("Modal jazz".into()),
        year: Some(1959),
        track: Some(3),
        disc: Some(1),
    }
}

#[tokio::test]
async fn tags_of_id3_vorbis_comments_and_mp4_become_the_items_fields() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    for name in ["song.mp3", "song.flac", "song.opus", "song.m4a"] {
        let item = upload(&server, &tagged(media.path(), name, false)).await;
        // A tagged song's title is its title, not its file name.
        assert_eq!(item.title, "Blue in Green", "{name}");
        assert_eq!(item.tags, expected_tags(), "{name}");
        assert_eq!(
            item.description, "Recorded at Columbia's 30th Street Studio.",
            "{name}"
        );
        assert!(item.chapters.is_empty(), "{name}");
    }
    // A file without tags keeps the title its name gives.
    let plain = upload(&server, &crate::common::tone_wav(media.path(), 1)).await;
    assert_eq!(plain.tags, ItemTags::default());
    assert_eq!(plain.title, "tone");
}

#[tokio::test]
async fn chapters_are_read_and_can_be_replaced() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    for name in ["talk.m4a", "talk.mp3"] {
        let item = upload(&server, &tagged(media.path(), name, true)).await;
        let read: Vec<(f64, &str)> = item
            .chapters
            .iter()
            .map(|c| (c.start_secs, c.title.as_str()))
            .collect();
        assert_eq!(read, [(0.0, "Opening"), (1.0, "Main part")], "{name}");
    }
    // Bytes of its own: talk.m4a's again would be that item.
    let edit = tagged(media.path(), "edit.m4a", true);
    let bytes = own_bytes(std::fs::read(&edit).expect("read"));
    std::fs::write(&edit, bytes).expect("write");
    let item = upload(&server, &edit).await;
    let id = item.id.as_str();
    let (status, answer) = call_json(
        &server.client,
        &server,
        "update_chapters",
        &json!({ "id": id, "chapters": [
            { "start_secs": 1.5, "title": " Late " },
            { "start_secs": 0.0, "title": "" },
        ] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let saved = server.item(&item.id).await.chapters;
    let expected = vec![
        Chapter {
            start_secs: 0.0,
            title: "Chapter 1".into(),
        },
        Chapter {
            start_secs: 1.5,
            title: "Late".into(),
        },
    ];
    assert_eq!(saved, expected);
    // A chapter past the end is refused, and nothing changes.
    let (status, answer) = call_json(
        &server.client,
        &server,
        "update_chapters",
        &json!({ "id": id, "chapters": [{ "start_secs": 60.0, "title": "Past" }] }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "bad-request");
    assert!(
        answer["message"].as_str().unwrap_or("").contains("Past"),
        "{answer}"
    );
    assert_eq!(server.item(&item.id).await.chapters, expected);
}

async fn search(server: &TestServer, q: &str) -> Vec<String> {
    let response = server
        .client
        .post(server.url("/api/list_library"))
        .form(&[("q", q)])
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    let page: LibraryPage = response.json().await.expect("page");
    page.items.into_iter().map(|i| i.title).collect()
}

#[tokio::test]
async fn tags_are_edited_and_searched() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let song = upload(&server, &tagged(media.path(), "song.mp3", false)).await;
    let other = upload(&server, &crate::common::tone_wav(media.path(), 1)).await;
    // Words of the artist, album and genre find the song, by prefix too.
    assert_eq!(search(&server, "miles").await, ["Blue in Green"]);
    assert_eq!(search(&server, "kind blu").await, ["Blue in Green"]);
    assert_eq!(search(&server, "modal").await, ["Blue in Green"]);

    let id = other.id.as_str();
    let edit = |tags: serde_json::Value| json!({ "id": id, "tags": tags });
    let (status, answer) = call_json(
        &server.client,
        &server,
        "update_tags",
        &edit(json!({ "artist": "  Coltrane ", "album": "", "year": 1960, "track": 2 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let tags = server.item(&other.id).await.tags;
    assert_eq!(tags.artist.as_deref(), Some("Coltrane"));
    assert_eq!(
        (tags.album, tags.year, tags.track),
        (None, Some(1960), Some(2))
    );
    assert_eq!(search(&server, "coltrane").await, ["tone"]);
    // Out of range: refused with the field's name, nothing changed.
    let (status, answer) = call_json(
        &server.client,
        &server,
        "update_tags",
        &edit(json!({ "artist": "X", "track": 0 })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or("")
            .contains("track number"),
        "{answer}"
    );
    assert_eq!(
        server.item(&other.id).await.tags.artist.as_deref(),
        Some("Coltrane")
    );
    // Editing one item's tags leaves the other's alone.
    assert_eq!(server.item(&song.id).await.tags, expected_tags());
}

/// A one-second song of `album` with its track and disc numbers.
fn song(dir: &Path, name: &str, album: &str, artist: &str, track: u32, disc: u32) -> PathBuf {
    let tags = [
        format!("title={name}"),
        format!("album={album}"),
        format!("artist={artist}"),
        format!("track={track}"),
        format!("disc={disc}"),
    ];
    let mut args = vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
    for tag in &tags {
        args.extend(["-metadata", tag.as_str()]);
    }
    ffmpeg(dir, &format!("{name}.mp3"), &args)
}

#[tokio::test]
async fn albums_group_songs_by_album_and_artist_in_disc_and_track_order() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    for (name, album, artist, track, disc) in [
        ("Third", "Alpha", "Band", 1, 2),
        ("Second", "Alpha", "Band", 2, 1),
        ("First", "Alpha", "Band", 1, 1),
        ("Cover", "Alpha", "Other band", 1, 1),
        ("Lone", "Beta", "Band", 1, 1),
    ] {
        upload(
            &server,
            &song(media.path(), name, album, artist, track, disc),
        )
        .await;
    }
    let response = server
        .client
        .post(server.url("/api/list_albums"))
        .form(&[("", ""); 0])
        .send()
        .await
        .expect("albums");
    assert_eq!(response.status(), StatusCode::OK);
    let albums: serde_json::Value = response.json().await.expect("albums");
    let listed: Vec<(String, String, u64)> = albums
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            (
                a["album"].as_str().unwrap_or("").to_string(),
                a["artist"].as_str().unwrap_or("").to_string(),
                a["tracks"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("Alpha", "Band", 3),
        ("Alpha", "Other band", 1),
        ("Beta", "Band", 1),
    ]
    .map(|(album, artist, n)| (album.to_string(), artist.to_string(), n));
    assert_eq!(listed, expected);

    let response = server
        .client
        .post(server.url("/api/album_tracks"))
        .form(&[("album", "Alpha"), ("artist", "Band")])
        .send()
        .await
        .expect("album");
    assert_eq!(response.status(), StatusCode::OK);
    let album: reel::albums::Album = response.json().await.expect("album");
    let titles: Vec<&str> = album.tracks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["First", "Second", "Third"]);

    // Artists: each with their albums; an artist's albums page shows only those.
    let (status, artists) = call(&server.client, &server, "list_artists", &[]).await;
    assert_eq!(status, StatusCode::OK, "{artists}");
    let artists: Vec<(String, u64, u64)> = artists
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["albums"].as_u64().unwrap_or(0),
                a["tracks"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        artists,
        [("Band".to_string(), 2, 4), ("Other band".to_string(), 1, 1)]
    );
    let (status, albums) = call(
        &server.client,
        &server,
        "list_albums",
        &[("artist", "Band")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{albums}");
    let names: Vec<&str> = albums
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["album"].as_str())
        .collect();
    assert_eq!(names, ["Alpha", "Beta"]);
}

#[tokio::test]
async fn a_sounds_loudness_is_measured_at_ingest() {
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    // ffmpeg's sine is 1/8 of full scale; made stereo, each channel gets it
    // 3 dB down (ffmpeg's centre mix level): -0.691 + 10 log10(2 × 1/256)
    // = -21.8 LUFS by BS.1770 (K-weighting is about flat at 440 Hz).
    let loud = upload(&server, &crate::common::tone_wav(media.path(), 3)).await;
    let lufs = loud.loudness_lufs.expect("measured");
    assert!((-23.0..=-20.5).contains(&lufs), "{lufs}");
    // A tenth of the level is 20 dB quieter.
    let quiet = ffmpeg(
        media.path(),
        "quiet.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-ac",
            "2",
            "-af",
            "volume=0.1",
        ],
    );
    let quiet = upload(&server, &quiet)
        .await
        .loudness_lufs
        .expect("measured");
    assert!((lufs - quiet - 20.0).abs() < 1.0, "{lufs} vs {quiet}");
}
