//! An album as one ZIP archive: streamed without a length, unzipped by the
//! real `unzip` into the tracks' original bytes under numbered names in
//! play order; what goes in is what the asker may list.

use std::path::Path;

use reqwest::StatusCode;

use crate::common::accounts::User;
use crate::common::{TestServer, ffmpeg};
use reel::accounts::{Role, Visibility};

/// A one-second MP3 of `album` by Ann, with a title and a track number.
fn track(dir: &Path, album: &str, number: u32, title: &str) -> Vec<u8> {
    let tone = format!("sine=frequency={}:duration=1", 200 + number * 110);
    let (album, title, number) = (
        format!("album={album}"),
        format!("title={title}"),
        format!("track={number}"),
    );
    let args = [
        "-f",
        "lavfi",
        "-i",
        &tone,
        "-metadata",
        &album,
        "-metadata",
        &title,
        "-metadata",
        "artist=Ann",
        "-metadata",
        &number,
        "-c:a",
        "libmp3lame",
    ];
    let path = ffmpeg(dir, &format!("{}.mp3", title.len() + number.len()), &args);
    std::fs::read(path).expect("mp3")
}

async fn upload(
    client: &reqwest::Client,
    server: &TestServer,
    bytes: Vec<u8>,
    visibility: Visibility,
) {
    let form = reqwest::multipart::Form::new()
        .text("visibility", visibility.as_str())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("song.mp3"),
        );
    let answer = client
        .post(server.url("/api/uploads"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(answer.status(), StatusCode::CREATED);
}

/// The archive's members, unzipped by `unzip`: (name, bytes), by name.
pub(crate) fn unzip(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("a.zip");
    std::fs::write(&file, archive).expect("write");
    let out = dir.path().join("out");
    let status = std::process::Command::new("unzip")
        .arg("-q")
        .arg(&file)
        .arg("-d")
        .arg(&out)
        .status()
        .expect("unzip runs");
    assert!(status.success(), "unzip refused the archive");
    let mut members: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("member"))
        })
        .collect();
    members.sort();
    members
}

#[tokio::test]
async fn an_album_downloads_as_one_zip_of_its_tracks_in_order() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;
    let media = tempfile::tempdir().expect("tmp");
    let dir = media.path();
    let second = track(dir, "Road Songs", 2, "Second: the road?");
    let first = track(dir, "Road Songs", 1, "First");
    let third = track(dir, "Road Songs", 3, "Third");
    for bytes in [&second, &first, &third] {
        upload(&ann.api, &server, bytes.clone(), Visibility::Internal).await;
    }
    // Bob's own track of an album of that name: his, not Ann's to download.
    let bobs = track(dir, "Road Songs", 4, "Bob's");
    upload(&bob.api, &server, bobs.clone(), Visibility::Private).await;
    server.hooks.wait_idle().await;

    let url = server.url("/album/download?album=Road%20Songs&artist=Ann");
    let answer = ann.api.get(&url).send().await.expect("download");
    assert_eq!(answer.status(), StatusCode::OK);
    let headers = answer.headers().clone();
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"Road Songs.zip\""),
        "{disposition}"
    );
    // Streamed as it is built: no length known upfront.
    assert!(headers.get("content-length").is_none(), "{headers:?}");
    let members = unzip(&answer.bytes().await.expect("body"));
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "01 - First.mp3",
            "02 - Second_ the road_.mp3",
            "03 - Third.mp3"
        ]
    );
    assert!(members[0].1 == first && members[1].1 == second && members[2].1 == third);

    // Bob sees Ann's internal tracks and his own private one in that album.
    let answer = bob.api.get(&url).send().await.expect("download");
    assert_eq!(answer.status(), StatusCode::OK);
    let members = unzip(&answer.bytes().await.expect("body"));
    assert_eq!(members.len(), 4);
    assert!(
        members
            .iter()
            .any(|(name, bytes)| name == "04 - Bob's.mp3" && *bytes == bobs)
    );

    // Visitors see none of it, and an album nobody has is missing.
    let visitor = reqwest::Client::new();
    assert_eq!(
        visitor.get(&url).send().await.expect("get").status(),
        StatusCode::NOT_FOUND
    );
    let none = server.url("/album/download?album=Nothing");
    assert_eq!(
        ann.api.get(&none).send().await.expect("get").status(),
        StatusCode::NOT_FOUND
    );
}
