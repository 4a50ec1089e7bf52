//! Files that try to make ffmpeg read other files: playlists and scripts in
//! disguise are refused by the probe, and every command line Reel builds pins
//! ffmpeg to local files and the probed demuxer.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::server::media::decide::{AudioAction, Conversion, OutputFormat, VideoAction};
use crate::server::media::poster::{PosterJob, PosterSource};
use crate::server::media::probe;
use crate::server::media::safety::ALLOWED_DEMUXERS;
use crate::server::media::transcode::PlayableJob;
use crate::server::media::{Media, MediaError};

/// Demuxers that read other files or are not media: never allowed.
const DANGEROUS: &[&str] = &[
    "hls",
    "concat",
    "image2",
    "tty",
    "lavfi",
    "ffmetadata",
    "subviewer",
    "data",
    "dash",
];

fn media() -> Media {
    Media::new(1, Duration::from_secs(60))
}

async fn assert_refused(path: &Path) {
    match media().probe(path).await {
        Err(MediaError::Rejected(why)) => {
            // The text is for people: no paths, no ffmpeg internals.
            let text = why.to_string();
            assert!(!text.contains('/'), "{text}");
        }
        other => panic!("{} should be refused, got {other:?}", path.display()),
    }
}

/// Without Reel's whitelists ffprobe does follow the file: the attack is real.
fn plain_ffprobe_format(path: &Path) -> Option<String> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=format_name",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn secret_tone(dir: &Path) -> PathBuf {
    crate::testing::media::ffmpeg(dir, "secret.mp3", &["-f", "lavfi", "-i", "sine=duration=1"])
}

#[tokio::test]
async fn an_hls_playlist_named_mp4_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let secret = secret_tone(dir.path());
    let playlist = dir.path().join("holiday.mp4");
    std::fs::write(
        &playlist,
        format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{}\n#EXT-X-ENDLIST\n",
            secret.display()
        ),
    )
    .expect("write");
    assert_eq!(plain_ffprobe_format(&playlist).as_deref(), Some("hls"));
    assert_refused(&playlist).await;

    // Even forced through a conversion, ffmpeg reads it as the demuxer it
    // is told (mp4), finds no MP4 and writes nothing.
    let conversion = remux();
    let output = dir.path().join("out.mp4");
    let result = media()
        .make_playable(
            &PlayableJob {
                input: &playlist,
                demuxer: "mov",
                conversion: &conversion,
                duration_secs: Some(1.0),
            },
            &output,
            |_| {},
        )
        .await;
    assert!(matches!(result, Err(MediaError::Process(_))), "{result:?}");
    assert!(!output.exists());
}

#[tokio::test]
async fn an_ffconcat_script_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    secret_tone(dir.path());
    let script = dir.path().join("song.mp3");
    std::fs::write(&script, "ffconcat version 1.0\nfile 'secret.mp3'\n").expect("write");
    assert_eq!(plain_ffprobe_format(&script).as_deref(), Some("concat"));
    assert_refused(&script).await;
}

#[tokio::test]
async fn an_avi_carrying_an_hls_playlist_in_a_gab2_subtitle_is_refused() {
    // The shape of CVE-2016-1897/CVE-2017-9993: an AVI whose subtitle stream
    // holds a playlist that points at local files.
    let dir = tempfile::tempdir().expect("tmp");
    let playlist = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n\
        concat:file:///etc/passwd|subfile,,start,0,end,0,,:/etc/passwd\n#EXT-X-ENDLIST\n";
    let avi = dir.path().join("clip.avi");
    std::fs::write(&avi, gab2_avi(playlist.as_bytes())).expect("write");
    // A well-formed AVI: ffprobe reads it and its subtitle packet. ffmpeg
    // since 3.3.2 only opens srt/ass inside GAB2, and Reel's whitelists
    // would stop hls anyway; what is left has no sound or picture.
    assert_eq!(plain_ffprobe_format(&avi).as_deref(), Some("avi"));
    assert_refused(&avi).await;
}

#[tokio::test]
async fn text_renamed_as_video_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "dear diary\n".repeat(100)).expect("write");
    assert_refused(&text).await;
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

fn list(kind: &[u8; 4], parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for part in parts {
        body.extend_from_slice(part);
    }
    chunk(b"LIST", &body)
}

fn le32(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A minimal AVI with one `txts` stream whose only packet is a GAB2
/// subtitle carrying `payload`.
fn gab2_avi(payload: &[u8]) -> Vec<u8> {
    // dwMicroSecPerFrame .. dwHeight, then four reserved words.
    let avih = le32(&[40_000, 0, 0, 0, 1, 0, 1, 0, 160, 120, 0, 0, 0, 0]);
    let mut strh = b"txts".to_vec();
    strh.extend_from_slice(&le32(&[0, 0, 0])); // handler, flags, priority+language
    strh.extend_from_slice(&le32(&[0, 1, 25, 0, 1, 0, 0, 0])); // initial, scale, rate, start, length, buffer, quality, sample size
    strh.extend_from_slice(&[0u8; 8]); // rcFrame
    let mut gab2 = b"GAB2\0".to_vec();
    gab2.extend_from_slice(&2u16.to_le_bytes());
    let name: Vec<u8> = "English\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    gab2.extend_from_slice(&u32::try_from(name.len()).expect("small").to_le_bytes());
    gab2.extend_from_slice(&name);
    gab2.extend_from_slice(&4u16.to_le_bytes());
    gab2.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_le_bytes());
    gab2.extend_from_slice(payload);

    let hdrl = list(
        b"hdrl",
        &[
            chunk(b"avih", &avih),
            list(b"strl", &[chunk(b"strh", &strh), chunk(b"strf", &[0u8; 4])]),
        ],
    );
    let movi = list(b"movi", &[chunk(b"00tx", &gab2)]);
    let mut riff = b"AVI ".to_vec();
    riff.extend_from_slice(&hdrl);
    riff.extend_from_slice(&movi);
    chunk(b"RIFF", &riff)
}

fn remux() -> Conversion {
    Conversion {
        remux_only: true,
        output: OutputFormat::Mp4,
        video: Some(VideoAction::Copy),
        audio: Some(AudioAction::Copy),
        reasons: Vec::new(),
    }
}

fn text(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The whitelists every run must carry, and for ffmpeg runs the forced
/// demuxer before a `file:` input.
fn assert_pinned(args: &[String], demuxer: Option<&str>) {
    let value = |flag: &str| {
        let at = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("{flag} missing from {args:?}"));
        args[at + 1].clone()
    };
    assert_eq!(value("-protocol_whitelist"), "file", "{args:?}");
    let formats = value("-format_whitelist");
    assert_eq!(formats, ALLOWED_DEMUXERS.join(","));
    for bad in DANGEROUS {
        assert!(!formats.split(',').any(|f| f == *bad), "{bad} allowed");
    }
    let inputs: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(_, a)| *a == "-i")
        .map(|(i, _)| i)
        .collect();
    if let Some(demuxer) = demuxer {
        assert_eq!(inputs.len(), 1, "one input: {args:?}");
        let input = inputs[0];
        assert!(args[input + 1].starts_with("file:"), "{args:?}");
        assert!(
            args[..input].windows(2).any(|w| w == ["-f", demuxer]),
            "-f {demuxer} before -i: {args:?}"
        );
        assert!(args.windows(2).any(|w| w == ["-map_metadata", "-1"]));
        assert!(
            args.last().is_some_and(|a| a.starts_with("file:")),
            "{args:?}"
        );
    }
    assert!(
        !args
            .iter()
            .any(|a| a.contains("://") || a.starts_with("concat:") || a.starts_with("pipe:0")),
        "{args:?}"
    );
}

#[test]
fn every_command_line_is_pinned_to_local_files_and_known_demuxers() {
    let input = Path::new("/data/media/ab/cd/original");
    let out = Path::new("/data/media/ab/cd/derived");
    assert_pinned(&text(&probe::args(input)), None);
    assert!(
        text(&probe::args(input))
            .last()
            .is_some_and(|a| a.starts_with("file:"))
    );

    for source in [
        PosterSource::VideoFrame { at_secs: 2.0 },
        PosterSource::Cover { stream: 1 },
    ] {
        let job = PosterJob {
            input,
            demuxer: "matroska",
            source,
        };
        assert_pinned(&text(&job.args(out)), Some("matroska"));
    }

    let conversions = [
        remux(),
        Conversion {
            remux_only: false,
            video: Some(VideoAction::H264 { max_fps: Some(60) }),
            audio: Some(AudioAction::Aac { channels: 2 }),
            ..remux()
        },
        Conversion {
            remux_only: false,
            output: OutputFormat::M4a,
            video: None,
            audio: Some(AudioAction::Aac { channels: 1 }),
            reasons: Vec::new(),
        },
    ];
    for conversion in &conversions {
        for demuxer in ["avi", "mov", "wav"] {
            let job = PlayableJob {
                input,
                demuxer,
                conversion,
                duration_secs: None,
            };
            assert_pinned(&text(&job.args(out)), Some(demuxer));
        }
    }
}
