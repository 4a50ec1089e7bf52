//! The playable version end to end with the real ffmpeg: tiny generated
//! inputs are probed, judged by `decide`, converted when needed, and the
//! output is probed again and must be what every browser plays.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::server::media::decide::{
    AudioAction, OutputFormat, PlayablePlan, Reason, VideoAction, decide,
};
use crate::server::media::transcode::PlayableJob;
use crate::server::media::{Media, MediaError, ProbeSummary, ProcessError};

#[derive(Debug, PartialEq)]
enum Class {
    Original,
    Remux,
    Transcode,
}

fn class(plan: &PlayablePlan) -> Class {
    match plan {
        PlayablePlan::Original => Class::Original,
        PlayablePlan::Convert(c) if c.remux_only => Class::Remux,
        PlayablePlan::Convert(_) => Class::Transcode,
    }
}

fn media() -> Media {
    Media::new(2, Duration::from_secs(120))
}

/// 160x120 test picture plus a tone, one second, encoded by `codec_args`.
fn av(dir: &Path, name: &str, codec_args: &[&str]) -> PathBuf {
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=1:size=160x120:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=1",
        "-shortest",
    ];
    args.extend_from_slice(codec_args);
    crate::testing::media::ffmpeg(dir, name, &args)
}

fn tone(dir: &Path, name: &str, codec_args: &[&str]) -> PathBuf {
    let mut args = vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
    args.extend_from_slice(codec_args);
    crate::testing::media::ffmpeg(dir, name, &args)
}

/// Probes, decides, converts when needed and checks the result. Returns the
/// plan and the probe of what a browser would be served.
async fn make_playable(input: &Path, expected: Class) -> (PlayablePlan, ProbeSummary) {
    let media = media();
    let probe = media.probe(input).await.expect("the input is accepted");
    let plan = decide(&probe);
    assert_eq!(class(&plan), expected, "{probe:#?}\n{plan:#?}");
    let PlayablePlan::Convert(conversion) = &plan else {
        return (plan, probe);
    };
    let output = input.with_extension(format!("playable.{}", conversion.extension()));
    let mut seen = Vec::new();
    media
        .make_playable(
            &PlayableJob {
                input,
                demuxer: &probe.facts.container,
                conversion,
                duration_secs: probe.facts.duration_secs,
            },
            &output,
            |share| seen.push(share),
        )
        .await
        .expect("ffmpeg makes the playable copy");
    assert_eq!(seen.last(), Some(&1.0), "progress ends at 100 %: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]) && seen.iter().all(|s| (0.0..=1.0).contains(s)),
        "progress only moves forward: {seen:?}"
    );
    let out = media.probe(&output).await.expect("the copy is accepted");
    assert_eq!(out.faststart, Some(true), "{out:#?}");
    assert_eq!(out.facts.content_type, conversion.content_type());
    assert_eq!(
        decide(&out),
        PlayablePlan::Original,
        "the copy plays as it is: {out:#?}"
    );
    (plan, out)
}

fn assert_browser_video(out: &ProbeSummary) {
    assert_eq!(out.facts.video_codec.as_deref(), Some("h264"));
    assert_eq!(out.pixel_format.as_deref(), Some("yuv420p"));
    assert_eq!(out.facts.audio_codec.as_deref(), Some("aac"));
    assert_eq!(out.facts.content_type, "video/mp4");
    assert!(
        out.facts.width.is_some_and(|w| w % 2 == 0) && out.facts.height.is_some_and(|h| h % 2 == 0)
    );
}

fn conversion(plan: &PlayablePlan) -> &crate::server::media::decide::Conversion {
    match plan {
        PlayablePlan::Convert(c) => c,
        PlayablePlan::Original => panic!("expected a conversion"),
    }
}

#[tokio::test]
async fn hevc_in_mp4_is_transcoded_and_its_aac_copied() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "hevc.mp4",
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
        ],
    );
    let (plan, out) = make_playable(&input, Class::Transcode).await;
    let c = conversion(&plan);
    assert_eq!(c.video, Some(VideoAction::H264 { max_fps: None }));
    assert_eq!(c.audio, Some(AudioAction::Copy));
    assert_eq!(c.reasons, [Reason::VideoCodec]);
    assert_browser_video(&out);
    assert_eq!((out.facts.width, out.facts.height), (Some(160), Some(120)));
}

#[tokio::test]
async fn vp9_with_opus_in_matroska_plays_as_webm() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "vp9.mkv",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "libopus",
        ],
    );
    let (_, probe) = make_playable(&input, Class::Original).await;
    assert_eq!(probe.facts.content_type, "video/webm");
}

#[tokio::test]
async fn vp9_with_aac_in_matroska_becomes_h264() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "vp9-aac.mkv",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ],
    );
    let (plan, out) = make_playable(&input, Class::Transcode).await;
    assert_eq!(conversion(&plan).audio, Some(AudioAction::Copy));
    assert_browser_video(&out);
}

#[tokio::test]
async fn mpeg4_part2_in_avi_is_transcoded() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "xvid.avi",
        &["-c:v", "mpeg4", "-c:a", "libmp3lame"],
    );
    let (plan, out) = make_playable(&input, Class::Transcode).await;
    let c = conversion(&plan);
    assert!(c.reasons.contains(&Reason::VideoCodec) && c.reasons.contains(&Reason::Container));
    // MP3 is copied into the MP4: browsers play it there.
    assert_eq!(c.audio, Some(AudioAction::Copy));
    assert_eq!(out.facts.video_codec.as_deref(), Some("h264"));
    assert_eq!(out.pixel_format.as_deref(), Some("yuv420p"));
    assert_eq!(out.facts.audio_codec.as_deref(), Some("mp3"));
}

#[tokio::test]
async fn h264_444_is_transcoded_to_420() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "h264-444.mp4",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv444p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
        ],
    );
    let (plan, out) = make_playable(&input, Class::Transcode).await;
    assert_eq!(conversion(&plan).reasons, [Reason::PixelFormat]);
    assert_browser_video(&out);
}

#[tokio::test]
async fn odd_sizes_and_high_frame_rates_are_evened_and_capped() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = crate::testing::media::ffmpeg(
        dir.path(),
        "odd-fast.mkv",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=161x121:rate=120",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv444p",
        ],
    );
    let media = media();
    let probe = media.probe(&input).await.expect("accepted");
    let plan = decide(&probe);
    let c = conversion(&plan);
    assert_eq!(c.video, Some(VideoAction::H264 { max_fps: Some(60) }));
    assert_eq!(c.audio, None);
    let output = dir.path().join("out.mp4");
    let job = PlayableJob {
        input: &input,
        demuxer: &probe.facts.container,
        conversion: c,
        duration_secs: probe.facts.duration_secs,
    };
    media
        .make_playable(&job, &output, |_| {})
        .await
        .expect("converted");
    let out = media.probe(&output).await.expect("accepted");
    assert_eq!((out.facts.width, out.facts.height), (Some(160), Some(120)));
    assert!(out.frame_rate.is_some_and(|f| f <= 60.5), "{out:?}");
    assert_eq!(out.facts.audio_codec, None);
    assert_eq!(decide(&out), PlayablePlan::Original);
}

#[tokio::test]
async fn mp4_with_its_index_at_the_end_is_remuxed() {
    let dir = tempfile::tempdir().expect("tmp");
    // ffmpeg's default: moov written after mdat.
    let input = av(
        dir.path(),
        "late-index.mp4",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ],
    );
    let probe = media().probe(&input).await.expect("accepted");
    assert_eq!(probe.faststart, Some(false));
    let (plan, out) = make_playable(&input, Class::Remux).await;
    let c = conversion(&plan);
    assert_eq!(c.reasons, [Reason::IndexAtEnd]);
    assert_eq!(
        (c.video, c.audio),
        (Some(VideoAction::Copy), Some(AudioAction::Copy))
    );
    assert_browser_video(&out);
}

#[tokio::test]
async fn h264_with_ac3_in_matroska_keeps_the_video_and_mixes_the_sound_to_stereo() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = av(
        dir.path(),
        "h264-ac3.mkv",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "ac3",
            "-ac",
            "6",
        ],
    );
    let probe = media().probe(&input).await.expect("accepted");
    assert_eq!(probe.audio_channels, Some(6));
    let (plan, out) = make_playable(&input, Class::Transcode).await;
    let c = conversion(&plan);
    assert_eq!(c.video, Some(VideoAction::Copy));
    assert_eq!(c.audio, Some(AudioAction::Aac { channels: 2 }));
    assert_browser_video(&out);
    assert_eq!(out.audio_channels, Some(2));
}

#[tokio::test]
async fn wav_and_flac_play_as_they_are() {
    let dir = tempfile::tempdir().expect("tmp");
    let wav = tone(dir.path(), "tone.wav", &["-c:a", "pcm_s16le"]);
    make_playable(&wav, Class::Original).await;
    let flac = tone(dir.path(), "tone.flac", &["-c:a", "flac"]);
    make_playable(&flac, Class::Original).await;
}

#[tokio::test]
async fn surround_24_bit_wav_becomes_stereo_m4a() {
    let dir = tempfile::tempdir().expect("tmp");
    let wav = tone(
        dir.path(),
        "surround.wav",
        &["-ac", "6", "-c:a", "pcm_s24le"],
    );
    let (plan, out) = make_playable(&wav, Class::Transcode).await;
    let c = conversion(&plan);
    assert_eq!(c.output, OutputFormat::M4a);
    assert_eq!(c.video, None);
    assert_eq!(out.facts.content_type, "audio/mp4");
    assert_eq!(out.facts.audio_codec.as_deref(), Some("aac"));
    assert_eq!(out.audio_channels, Some(2));
    assert_eq!(out.facts.video_codec, None);
}

#[tokio::test]
async fn a_browser_ready_mp4_is_served_as_it_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = crate::testing::media::video_mp4(dir.path(), 1);
    let (_, probe) = make_playable(&input, Class::Original).await;
    assert_eq!(probe.faststart, Some(true));
}

#[tokio::test]
async fn a_transcode_past_the_job_limit_is_stopped_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    // MPEG-4 Part 2 is quick to make and must be re-encoded: 60 s of it
    // takes libx264 far longer than the limit below.
    let input = crate::testing::media::ffmpeg(
        dir.path(),
        "long.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=60:size=320x240:rate=25",
            "-c:v",
            "mpeg4",
        ],
    );
    let media = Media::new(1, Duration::from_millis(200));
    let probe = media.probe(&input).await.expect("probing is not a job");
    let plan = decide(&probe);
    assert_eq!(class(&plan), Class::Transcode);
    let output = dir.path().join("long.playable.mp4");
    let job = PlayableJob {
        input: &input,
        demuxer: &probe.facts.container,
        conversion: conversion(&plan),
        duration_secs: probe.facts.duration_secs,
    };
    let started = std::time::Instant::now();
    let result = media.make_playable(&job, &output, |_| {}).await;
    assert!(
        matches!(
            result,
            Err(MediaError::Process(ProcessError::Timeout { .. }))
        ),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!output.exists(), "the half-written copy is removed");
}
