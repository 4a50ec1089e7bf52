//! Derived pictures from real ffmpeg on generated media: the scrub sprite
//! sheet with its WebVTT track, and the waveform peaks.

use std::path::{Path, PathBuf};

use crate::testing::media::ffmpeg;

use std::time::Duration;

use crate::server::media::scrub::ScrubJob;
use crate::server::media::waveform::WaveformJob;
use crate::server::media::{Media, MediaError, ProbeSummary};

fn media() -> Media {
    Media::new(1, Duration::from_secs(60))
}

/// A silent H.264 test picture of this size, length and keyframe spacing.
fn video(dir: &Path, name: &str, size: &str, rate: u32, seconds: u32, gop: u32) -> PathBuf {
    let source = format!("testsrc=size={size}:rate={rate}:duration={seconds}");
    let gop = gop.to_string();
    ffmpeg(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &source,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            &gop,
            "-pix_fmt",
            "yuv420p",
        ],
    )
}

/// `WEBVTT`, then cues of (start ms, end ms, url, x, y, w, h).
type Cue = (u64, u64, String, u32, u32, u32, u32);

fn parse_vtt(text: &str) -> Vec<Cue> {
    let mut blocks = text.split("\n\n");
    assert_eq!(blocks.next(), Some("WEBVTT"), "{text}");
    let time = |t: &str| -> u64 {
        let (hms, ms) = t.split_once('.').expect("milliseconds");
        let parts: Vec<u64> = hms.split(':').map(|p| p.parse().expect("number")).collect();
        assert_eq!(parts.len(), 3, "{t}");
        assert_eq!(ms.len(), 3, "{t}");
        ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + ms.parse::<u64>().expect("ms")
    };
    blocks
        .map(|block| {
            let mut lines = block.trim_end_matches('\n').lines();
            let timing = lines.next().expect("timing line");
            let (start, end) = timing.split_once(" --> ").expect("-->");
            let payload = lines.next().expect("payload line");
            assert_eq!(lines.next(), None, "one payload line: {block}");
            let (url, xywh) = payload.split_once("#xywh=").expect("#xywh=");
            let n: Vec<u32> = xywh
                .split(',')
                .map(|v| v.parse().expect("number"))
                .collect();
            assert_eq!(n.len(), 4, "{payload}");
            (
                time(start),
                time(end),
                url.to_string(),
                n[0],
                n[1],
                n[2],
                n[3],
            )
        })
        .collect()
}

/// Width and height from a baseline or progressive JPEG's SOF header.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..2], [0xFF, 0xD8], "not a JPEG");
    let mut at = 2;
    while at + 9 < bytes.len() {
        assert_eq!(bytes[at], 0xFF, "marker expected at {at}");
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            return (u32::from(width), u32::from(height));
        }
        at += 2 + length;
    }
    panic!("no SOF header in the JPEG");
}

/// Makes the sheet and track for `input` and checks them against each other
/// and against the probed facts; returns the cues and the sheet's size.
async fn scrub(input: &Path, sheet: &Path) -> (ProbeSummary, Vec<Cue>, (u32, u32)) {
    let media = media();
    let probe = media.probe(input).await.expect("probe");
    let job = ScrubJob {
        input,
        demuxer: &probe.facts.container,
        duration_secs: probe.facts.duration_secs.expect("duration"),
        width: probe.facts.width.expect("width"),
        height: probe.facts.height.expect("height"),
    };
    let vtt = media.scrub_previews(&job, sheet).await.expect("scrub");
    let cues = parse_vtt(&vtt);
    let size = jpeg_size(&std::fs::read(sheet).expect("sheet"));

    // Contiguous from 0 to the duration.
    assert_eq!(cues[0].0, 0);
    for pair in cues.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "cues meet");
        assert!(pair[0].0 < pair[0].1);
    }
    let duration_ms = (job.duration_secs * 1000.0).round() as u64;
    assert_eq!(cues.last().map(|c| c.1), Some(duration_ms));
    // Every tile inside the sheet, and the tiles fill it exactly.
    for cue in &cues {
        assert_eq!(cue.2, "sprites");
        assert!(
            cue.3 + cue.5 <= size.0 && cue.4 + cue.6 <= size.1,
            "{cue:?} in {size:?}"
        );
    }
    let right = cues.iter().map(|c| c.3 + c.5).max();
    let bottom = cues.iter().map(|c| c.4 + c.6).max();
    assert_eq!((right, bottom), (Some(size.0), Some(size.1)));
    (probe, cues, size)
}

#[tokio::test]
async fn a_short_video_gets_a_sheet_of_tiles_every_two_seconds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = video(dir.path(), "clip.mp4", "320x240", 25, 12, 50);
    let sheet = dir.path().join("sheet.jpg");
    let (probe, cues, size) = scrub(&input, &sheet).await;
    assert_eq!(probe.facts.duration_secs, Some(12.0));

    assert_eq!(cues.len(), 6, "one tile per 2 s");
    assert!(cues.iter().all(|c| (c.5, c.6) == (160, 120)), "{cues:?}");
    assert_eq!(cues[1].0, 2000);
    // Six tiles in one row: 6 × 160 by 1 × 120.
    assert_eq!(size, (960, 120));
    // Left to right in one row.
    let first = (cues[0].3, cues[0].4);
    let last = (cues[5].3, cues[5].4);
    assert_eq!((first, last), ((0, 0), (800, 0)));
}

#[tokio::test]
async fn a_long_video_decodes_keyframes_into_a_ten_column_grid() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Eleven and a half minutes at 2 fps with a keyframe every 5 s: past
    // the keyframes-only threshold yet cheap to make.
    let input = video(dir.path(), "long.mp4", "192x108", 2, 690, 10);
    let sheet = dir.path().join("sheet.jpg");
    let (_, cues, size) = scrub(&input, &sheet).await;
    // 690 s at 5 s a tile: 138 tiles, 14 rows of 10 columns of 160×90.
    assert_eq!(cues.len(), 138);
    assert_eq!(cues[1].0, 5000);
    assert!(cues.iter().all(|c| (c.5, c.6) == (160, 90)));
    assert_eq!(size, (1600, 14 * 90));
    assert_eq!((cues[137].3, cues[137].4), (7 * 160, 13 * 90));
}

#[tokio::test]
async fn scrubbing_a_file_without_video_fails_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = ffmpeg(
        dir.path(),
        "tone.wav",
        &["-f", "lavfi", "-i", "sine=frequency=440:duration=1"],
    );
    let job = ScrubJob {
        input: &input,
        demuxer: "wav",
        duration_secs: 1.0,
        width: 0,
        height: 0,
    };
    let result = media()
        .scrub_previews(&job, &dir.path().join("sheet.jpg"))
        .await;
    assert!(matches!(result, Err(MediaError::Process(_))), "{result:?}");
}

/// Pairs as (seconds at the pair's middle, min, max).
fn timed_pairs(peaks: &crate::model::WaveformPeaks) -> Vec<(f64, f32, f32)> {
    let step = peaks.duration_secs / peaks.length as f64;
    peaks
        .peaks
        .chunks(2)
        .enumerate()
        .map(|(i, p)| ((i as f64 + 0.5) * step, p[0], p[1]))
        .collect()
}

#[tokio::test]
async fn a_tone_then_silence_draws_loud_then_flat_peaks() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 2 s of a 1 kHz sine at half scale, then 2 s of digital silence.
    let input = ffmpeg(
        dir.path(),
        "tone.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            "aevalsrc='if(lt(t,2),0.5*sin(2*PI*1000*t),0)':s=44100:d=4",
            "-c:a",
            "pcm_s16le",
        ],
    );
    let media = media();
    let probe = media.probe(&input).await.expect("probe");
    let job = WaveformJob {
        input: &input,
        demuxer: &probe.facts.container,
        duration_secs: probe.facts.duration_secs,
    };
    let peaks = media.waveform(&job).await.expect("waveform");
    assert_eq!(peaks.version, 1);
    assert!(
        (peaks.duration_secs - 4.0).abs() < 0.02,
        "{}",
        peaks.duration_secs
    );
    assert_eq!(peaks.length, 2000);
    assert_eq!(peaks.peaks.len(), 2 * peaks.length);

    let pairs = timed_pairs(&peaks);
    for &(t, min, max) in &pairs {
        assert!((-1.0..=1.0).contains(&min) && (-1.0..=1.0).contains(&max));
        assert!(min <= max);
        if t < 1.95 {
            assert!((max - 0.5).abs() < 0.03, "loud at {t:.3} s: max {max}");
            assert!((min + 0.5).abs() < 0.03, "loud at {t:.3} s: min {min}");
        } else if t > 2.05 {
            assert!(
                max.abs() < 0.001 && min.abs() < 0.001,
                "silent at {t:.3} s: {min}..{max}"
            );
        }
    }
    // The JSON stays small: four decimals at most.
    let json = serde_json::to_string(&peaks).expect("json");
    assert!(json.len() < 40_000, "{} bytes", json.len());
}

#[tokio::test]
async fn a_video_with_sound_gives_the_peaks_of_its_first_audio_stream() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = ffmpeg(
        dir.path(),
        "av.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=500:duration=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
        ],
    );
    let media = media();
    let probe = media.probe(&input).await.expect("probe");
    let job = WaveformJob {
        input: &input,
        demuxer: &probe.facts.container,
        duration_secs: probe.facts.duration_secs,
    };
    let peaks = media.waveform(&job).await.expect("waveform");
    assert!(
        (peaks.duration_secs - 3.0).abs() < 0.1,
        "{}",
        peaks.duration_secs
    );
    assert!(peaks.length > 1000, "{}", peaks.length);
    // ffmpeg's sine source plays at 1/8 of full scale (AAC's start-up may
    // overshoot a little, so the typical pair is compared, not the loudest).
    let mut maxima: Vec<f32> = peaks.peaks.chunks(2).map(|p| p[1]).collect();
    maxima.sort_by(f32::total_cmp);
    let typical = maxima[maxima.len() / 2];
    assert!((typical - 0.125).abs() < 0.02, "{typical}");
}

#[tokio::test]
async fn a_video_without_sound_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = video(dir.path(), "silent.mp4", "160x120", 10, 2, 10);
    let job = WaveformJob {
        input: &input,
        demuxer: "mov",
        duration_secs: Some(2.0),
    };
    let result = media().waveform(&job).await;
    assert!(matches!(result, Err(MediaError::Process(_))), "{result:?}");

    // Unknown duration and a file that is not what the demuxer expects.
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, b"not a sound at all").expect("write");
    let job = WaveformJob {
        input: &text,
        demuxer: "wav",
        duration_secs: None,
    };
    let result = media().waveform(&job).await;
    assert!(result.is_err(), "{result:?}");
}
