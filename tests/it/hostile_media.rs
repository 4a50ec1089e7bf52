//! The hostile-media corpus: files made by the test (by ffmpeg, then bent
//! by hand) that lie about themselves or try to make processing run
//! without end. Each is refused at upload with a reason, or is accepted and
//! its processing ends, ready or failed with a reason, within its limit.
//! Playlists and scripts in disguise are in `media/tests/hardening.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reel::error::{ApiError, ErrorCode};
use reel::model::{MediaKind, MediaState, UploadResponse};
use reel::testing::JobReport;
use reqwest::StatusCode;

use crate::common::accounts::{User, upload_as};
use crate::common::*;
use reel::accounts::Role;

/// A 1 s, 5 fps, 64×64 Motion-JPEG AVI: every header that claims a size or
/// a length sits at a known place and can be bent.
fn small_avi(dir: &Path) -> Vec<u8> {
    let path = ffmpeg(
        dir,
        "small.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=64x64:rate=5",
            "-c:v",
            "mjpeg",
        ],
    );
    std::fs::read(path).expect("read")
}

fn put_u32_le(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The offset of the body of the first RIFF chunk named `id`.
fn chunk_body(bytes: &[u8], id: &[u8; 4]) -> usize {
    bytes
        .windows(4)
        .position(|w| w == id)
        .unwrap_or_else(|| panic!("no {} chunk", String::from_utf8_lossy(id)))
        + 8
}

/// Sets the picture size every header of the AVI claims: the main header,
/// the stream format and every JPEG frame's start-of-frame marker.
fn claim_picture_size(avi: &mut [u8], width: u16, height: u16) {
    let main = chunk_body(avi, b"avih");
    put_u32_le(avi, main + 32, width.into());
    put_u32_le(avi, main + 36, height.into());
    let format = chunk_body(avi, b"strf");
    put_u32_le(avi, format + 4, width.into());
    put_u32_le(avi, format + 8, height.into());
    let mut at = 0;
    while let Some(found) = avi[at..].windows(2).position(|w| w == [0xff, 0xc0]) {
        let sof = at + found;
        avi[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        avi[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        at = sof + 2;
    }
}

/// Claims a billion frames in the main and the stream header.
fn claim_billion_frames(avi: &mut [u8]) {
    let main = chunk_body(avi, b"avih");
    put_u32_le(avi, main + 16, 1_000_000_000);
    let stream = chunk_body(avi, b"strh");
    put_u32_le(avi, stream + 32, 1_000_000_000);
}

/// An MP4 box: size, type, body.
fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let size = u32::try_from(8 + body.len()).expect("small box");
    [&size.to_be_bytes()[..], kind, body].concat()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

async fn refused(server: &TestServer, path: &Path) -> ApiError {
    let response = server.upload(path).await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(
        status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}: {body}",
        path.display()
    );
    serde_json::from_str(&body).expect("an error answer")
}

async fn accepted(server: &TestServer, path: &Path) -> UploadResponse {
    let response = server.upload(path).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", path.display());
    response.json().await.expect("json")
}

#[tokio::test]
async fn files_that_lie_about_themselves_are_refused_with_a_reason() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let avi = small_avi(dir.path());

    let mut wide = avi.clone();
    claim_picture_size(&mut wide, 16_000, 16_000);
    let mut nothing = avi.clone();
    claim_picture_size(&mut nothing, 65_535, 65_535);
    let mut endless = avi.clone();
    claim_billion_frames(&mut endless);
    let faststart = std::fs::read(video_mp4(dir.path(), 1)).expect("read");
    let mut looping = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2");
    // A box whose 64-bit size (1, then 0) is smaller than its own header:
    // a naive reader steps by it for ever.
    looping.extend_from_slice(&[0, 0, 0, 1, b'm', b'o', b'o', b'v', 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut nested = b"moov".to_vec();
    for _ in 0..10_000 {
        nested = mp4_box(b"trak", &nested);
    }
    let nested = [mp4_box(b"ftyp", b"isom\0\0\x02\0isom"), nested].concat();

    let cases: Vec<(&str, Vec<u8>, ErrorCode, &str)> = vec![
        (
            "empty.mp4",
            Vec::new(),
            ErrorCode::NotMedia,
            "not an audio or video file",
        ),
        (
            "header-only.mp4",
            faststart[..64].to_vec(),
            ErrorCode::NotMedia,
            "not an audio or video file",
        ),
        (
            "wide.avi",
            wide,
            ErrorCode::NotMedia,
            "picture is too large",
        ),
        (
            "no-picture.avi",
            nothing,
            ErrorCode::NotMedia,
            "picture size cannot be read",
        ),
        ("endless.avi", endless, ErrorCode::NotMedia, "too long"),
        (
            "looping.mp4",
            looping,
            ErrorCode::NotMedia,
            "not an audio or video file",
        ),
        (
            "nested.mp4",
            nested,
            ErrorCode::NotMedia,
            "not an audio or video file",
        ),
    ];
    for (name, bytes, code, reason) in cases {
        let error = refused(&server, &write(dir.path(), name, &bytes)).await;
        assert_eq!(error.code, code, "{name}: {error:?}");
        assert!(error.message.contains(reason), "{name}: {}", error.message);
    }
    assert_eq!(server.hooks.item_count().await, 0);
    assert!(server.stored_files().is_empty());
    assert_eq!(server.scratch_entries(), 0);
}

#[tokio::test]
async fn the_content_decides_not_the_extension() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let song = std::fs::read(tone_mp3(dir.path())).expect("read");
    let video = std::fs::read(video_mp4(dir.path(), 1)).expect("read");
    let song = accepted(&server, &write(dir.path(), "song.mp4", &song)).await;
    let video = accepted(&server, &write(dir.path(), "video.mp3", &video)).await;
    assert_eq!(server.item(&song.id).await.kind, MediaKind::Audio);
    assert_eq!(server.item(&video.id).await.kind, MediaKind::Video);
}

/// Accepted files whose processing is costly or breaks part-way end, ready
/// or failed with a reason, within the job limit; another person's upload
/// queued behind them is processed after one of their jobs, not all.
#[tokio::test]
async fn costly_and_broken_files_end_with_a_reason_and_do_not_hold_up_other_people() {
    let server = TestServer::start_with(|config| {
        // The test is the one worker, so the order of claims is seen.
        config.manual_jobs = true;
        config.job_retry_delay = Duration::ZERO;
        config.job_timeout = Duration::from_secs(20);
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    // Three hours of silence in 2 MB.
    let silence = ffmpeg(
        dir.path(),
        "silence.flac",
        &[
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=8000:cl=mono",
            "-t",
            "10800",
        ],
    );
    // The first half of a video whose index is at the front: it probes, and
    // its pictures stop in the middle.
    let whole = std::fs::read(video_mp4(dir.path(), 4)).expect("read");
    let cut = write(dir.path(), "cut.mp4", &whole[..whole.len() / 2]);
    // A sound file with a trailing box that loops a naive MP4 reader.
    let mut trailing = whole.clone();
    trailing.extend_from_slice(&[0, 0, 0, 1, b'f', b'r', b'e', b'e', 0, 0, 0, 0, 0, 0, 0, 0]);
    let trailing = write(dir.path(), "trailing.mp4", &trailing);

    let mut hostile = Vec::new();
    for path in [&silence, &cut, &trailing] {
        hostile.push(accepted(&server, path).await.id);
    }
    let other = User::new(&server, "bystander", Role::Member).await;
    let tone = std::fs::read(tone_mp3(dir.path())).expect("read");
    let theirs = upload_as(&other.api, &server, tone, None).await;

    let jobs = &server.hooks;
    let first = jobs.run_one_job().await.expect("a job");
    let second = jobs.run_one_job().await.expect("a job");
    assert!(
        matches!(&second, JobReport::Done { media, .. } if *media == theirs.id.to_string()),
        "the bystander's job comes second: {first:?}, {second:?}"
    );
    while jobs.run_one_job().await.is_some() {}
    let bystander = server.item(&theirs.id).await;
    assert_eq!(bystander.state, MediaState::Ready, "{bystander:?}");
    for id in &hostile {
        let item = server.item(id).await;
        match &item.state {
            MediaState::Ready => {}
            MediaState::Failed(reason) => assert!(!reason.is_empty(), "{id}"),
            other => panic!("{id} did not end: {other:?}"),
        }
    }
    assert_eq!(server.scratch_entries(), 0);
}
