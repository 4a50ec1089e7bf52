//! Edits with real ffmpeg on generated media: trims (exact and fast), every
//! export format, audio extraction, loudness normalisation, refusals and
//! cancellation. Calls `reel::server::media` directly.

use std::path::{Path, PathBuf};

use crate::testing::media::run_ffmpeg as ffmpeg;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::edit::{CutMode, EditRequest, ExportFormat, ExportHeight, LoudnessTarget};
use crate::model::MediaKind;
use crate::server::media::edit::{EditPlan, EditSource, edit_args, plan_edit};
use crate::server::media::{Media, ProbeSummary};

fn media() -> Media {
    Media::new(1, Duration::from_secs(120))
}

/// `size` video at 25 fps with a keyframe every `gop` frames and a tone.
fn video(dir: &Path, name: &str, secs: u32, size: &str, gop: u32) -> PathBuf {
    let path = dir.join(name);
    let (secs, gop) = (secs.to_string(), gop.to_string());
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc=size={size}:rate=25:duration={secs}"),
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=440:sample_rate=48000:duration={secs}"),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-g",
        &gop,
        "-keyint_min",
        &gop,
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-movflags",
        "+faststart",
        path.to_str().expect("utf-8"),
    ]);
    path
}

fn silent_video(dir: &Path) -> PathBuf {
    let path = dir.join("silent.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=25:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        path.to_str().expect("utf-8"),
    ]);
    path
}

/// A tone `secs` long, `gain_db` below the generator's level, as `name`
/// (the extension picks the format).
fn tone(dir: &Path, name: &str, secs: u32, gain_db: i32) -> PathBuf {
    let path = dir.join(name);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=440:sample_rate=44100:duration={secs},volume={gain_db}dB"),
        "-ac",
        "2",
        path.to_str().expect("utf-8"),
    ]);
    path
}

async fn probe(path: &Path) -> ProbeSummary {
    media().probe(path).await.expect("probe")
}

fn source<'a>(path: &'a Path, p: &'a ProbeSummary) -> EditSource<'a> {
    EditSource {
        input: path,
        demuxer: &p.facts.container,
        kind: p.facts.kind,
        duration_secs: p.facts.duration_secs.expect("a duration"),
        height: p.facts.height,
        has_audio: p.facts.audio_codec.is_some(),
    }
}

/// Plans (with cut points, as the jobs layer does) and runs an edit;
/// returns the plan, the note, the output's probe and the progress seen.
async fn edit(
    dir: &Path,
    input: &Path,
    request: EditRequest,
) -> (EditPlan, String, ProbeSummary, PathBuf, Vec<f64>) {
    let media = media();
    let p = media.probe(input).await.expect("probe");
    let src = source(input, &p);
    let points = media
        .cut_points(input, &p.facts.container, p.facts.kind)
        .await
        .expect("cut points");
    let plan = plan_edit(&src, &request, Some(&points)).expect("a valid edit");
    // Stored as JSON with its job.
    let plan: EditPlan =
        serde_json::from_str(&serde_json::to_string(&plan).expect("json")).expect("back");
    let output = dir.join(format!("out-{}.{}", rand_name(), plan.extension));
    let mut progress = Vec::new();
    let result = media
        .run_edit(&plan, &src, &output, |share| progress.push(share))
        .await
        .unwrap_or_else(|e| panic!("{request:?}: {e}"));
    let written = media.probe(&output).await.expect("the output probes");
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {progress:?}"
    );
    assert_eq!(progress.last(), Some(&1.0), "{progress:?}");
    (plan, result.note, written, output, progress)
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// A stream entry of ffprobe's JSON, e.g. `start_time` of `v:0`.
fn stream_field(path: &Path, stream: &str, field: &str) -> Option<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-show_entries"])
        .arg(format!("stream={field}"))
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!text.is_empty() && text != "N/A").then_some(text)
}

fn trim(start_secs: f64, end_secs: f64, mode: CutMode) -> EditRequest {
    EditRequest::Trim {
        start_secs,
        end_secs,
        mode,
    }
}

#[tokio::test]
async fn an_exact_trim_lands_on_the_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "ten.mp4", 10, "320x240", 250);
    let (plan, note, out, path, progress) =
        edit(dir.path(), &input, trim(2.52, 6.04, CutMode::Exact)).await;
    assert_eq!(plan.summary, "Trimmed 0:02.5–0:06.0 (exact cut)");
    assert_eq!(plan.extension, "mp4");
    assert!(note.is_empty());
    assert!(progress.len() > 1, "{progress:?}");
    let duration = out.facts.duration_secs.expect("duration");
    assert!(
        (duration - 3.52).abs() <= 0.04 + 1e-3,
        "within a frame of 3.52 s: {duration}"
    );
    assert_eq!(out.facts.video_codec.as_deref(), Some("h264"));
    assert_eq!(out.facts.audio_codec.as_deref(), Some("aac"));
    assert_eq!(out.faststart, Some(true));
    let start: f64 = stream_field(&path, "v:0", "start_time")
        .expect("start_time")
        .parse()
        .expect("number");
    assert!(start.abs() < 0.001, "the first frame is at 0: {start}");
    let frames: u32 = stream_field(&path, "v:0", "nb_frames")
        .expect("nb_frames")
        .parse()
        .expect("number");
    assert!((87..=89).contains(&frames), "3.52 s at 25 fps: {frames}");
}

#[tokio::test]
async fn a_fast_trim_from_a_keyframe_copies_the_streams() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "gop25.mp4", 10, "320x240", 25);
    let points = media()
        .cut_points(&input, "mov", MediaKind::Video)
        .await
        .expect("cut points");
    assert!(!points.anywhere);
    assert_eq!(
        points.keyframes,
        (0..10).map(f64::from).collect::<Vec<_>>(),
        "a keyframe every second"
    );
    let (plan, _, out, path, _) = edit(dir.path(), &input, trim(3.0, 7.0, CutMode::Fast)).await;
    assert_eq!(
        plan.summary,
        "Trimmed 0:03.0–0:07.0 (fast cut, no re-encode)"
    );
    assert_eq!(plan.keyframe_secs, Some(3.0));
    let duration = out.facts.duration_secs.expect("duration");
    assert!(
        (3.96..=5.0).contains(&duration),
        "at least 4 s, at most a GOP more: {duration}"
    );
    assert_eq!(out.facts.video_codec.as_deref(), Some("h264"));
    assert_eq!(out.facts.audio_codec.as_deref(), Some("aac"));
    assert_eq!(out.faststart, Some(true));
    let start: f64 = stream_field(&path, "v:0", "start_time")
        .expect("start_time")
        .parse()
        .expect("number");
    assert!(start.abs() < 0.05, "starts at 0: {start}");
    // Copied, not re-encoded: the source's encoder settings are still there.
    let profile = stream_field(&path, "v:0", "profile");
    assert_eq!(profile, stream_field(&input, "v:0", "profile"));
    let frames: u32 = stream_field(&path, "v:0", "nb_frames")
        .expect("nb_frames")
        .parse()
        .expect("number");
    assert!((100..=101).contains(&frames), "4 s at 25 fps: {frames}");
}

#[tokio::test]
async fn a_fast_trim_off_a_keyframe_is_refused_naming_the_keyframes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "gop25.mp4", 6, "160x120", 25);
    let media = media();
    let p = media.probe(&input).await.expect("probe");
    let points = media
        .cut_points(&input, &p.facts.container, p.facts.kind)
        .await
        .expect("cut points");
    let refusal = plan_edit(
        &source(&input, &p),
        &trim(3.5, 5.0, CutMode::Fast),
        Some(&points),
    )
    .expect_err("not on a keyframe");
    let text = refusal.to_string();
    assert!(
        text.contains("0:03.000") && text.contains("0:04.000") && text.contains("exact cut"),
        "{text}"
    );
    // Within a millisecond of a keyframe is on it; an exact cut is always fine.
    let src = source(&input, &p);
    assert!(plan_edit(&src, &trim(2.0005, 5.0, CutMode::Fast), Some(&points)).is_ok());
    assert!(plan_edit(&src, &trim(3.5, 5.0, CutMode::Exact), Some(&points)).is_ok());
}

#[tokio::test]
async fn audio_is_cut_fast_anywhere_and_exactly_in_its_own_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["tone.mp3", "tone.wav", "tone.flac", "tone.ogg", "tone.m4a"] {
        let input = tone(dir.path(), name, 6, -10);
        let p = probe(&input).await;
        let points = media()
            .cut_points(&input, &p.facts.container, p.facts.kind)
            .await
            .expect("cut points");
        assert!(points.anywhere, "{name}");
        let extension = name.rsplit('.').next().expect("extension");
        let (plan, _, out, _, _) = edit(dir.path(), &input, trim(1.234, 3.5, CutMode::Fast)).await;
        assert_eq!(plan.extension, extension);
        assert_eq!(out.facts.audio_codec, p.facts.audio_codec, "{name}: copied");
        let d = out.facts.duration_secs.expect("duration");
        assert!((2.236..=2.55).contains(&d), "{name} fast: {d}");

        let (plan, _, out, _, _) = edit(dir.path(), &input, trim(1.234, 3.5, CutMode::Exact)).await;
        assert_eq!(plan.extension, extension);
        assert_eq!(out.facts.kind, MediaKind::Audio);
        assert_eq!(
            out.facts.audio_codec, p.facts.audio_codec,
            "{name}: same codec"
        );
        let d = out.facts.duration_secs.expect("duration");
        // ffprobe counts an MP3's padding frame (its start_time is the encoder delay).
        let slack = if extension == "mp3" { 0.06 } else { 0.03 };
        assert!((d - 2.266).abs() <= slack, "{name} exact: {d}");
    }
}

#[tokio::test]
async fn every_audio_export_format_has_its_codec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = tone(dir.path(), "tone.wav", 3, -10);
    for (format, codec, demuxer) in [
        (ExportFormat::Mp3, "mp3", "mp3"),
        (ExportFormat::Opus, "opus", "ogg"),
        (ExportFormat::M4a, "aac", "mov"),
        (ExportFormat::Flac, "flac", "flac"),
        (ExportFormat::Wav, "pcm_s16le", "wav"),
    ] {
        let (plan, _, out, path, _) = edit(
            dir.path(),
            &input,
            EditRequest::Export {
                format,
                height: None,
            },
        )
        .await;
        assert_eq!(plan.output_kind, MediaKind::Audio);
        assert_eq!(plan.extension, format.extension());
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some(format.extension())
        );
        assert_eq!(out.facts.audio_codec.as_deref(), Some(codec), "{format:?}");
        assert_eq!(out.facts.container, demuxer, "{format:?}");
        assert_eq!(out.facts.video_codec, None);
        let d = out.facts.duration_secs.expect("duration");
        assert!((d - 3.0).abs() < 0.1, "{format:?}: {d}");
    }
}

#[tokio::test]
async fn video_exports_have_their_codecs_and_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "small.mp4", 2, "640x360", 50);
    let (plan, _, out, _, _) = edit(
        dir.path(),
        &input,
        EditRequest::Export {
            format: ExportFormat::Mp4,
            height: None,
        },
    )
    .await;
    assert_eq!(plan.summary, "Exported as MP4 (H.264/AAC)");
    assert_eq!(
        (
            out.facts.video_codec.as_deref(),
            out.facts.audio_codec.as_deref()
        ),
        (Some("h264"), Some("aac"))
    );
    assert_eq!((out.facts.width, out.facts.height), (Some(640), Some(360)));
    assert_eq!(out.pixel_format.as_deref(), Some("yuv420p"));
    assert_eq!(out.faststart, Some(true));

    let (plan, _, out, _, _) = edit(
        dir.path(),
        &input,
        EditRequest::Export {
            format: ExportFormat::Webm,
            height: None,
        },
    )
    .await;
    assert_eq!(plan.extension, "webm");
    assert_eq!(
        (
            out.facts.video_codec.as_deref(),
            out.facts.audio_codec.as_deref()
        ),
        (Some("vp9"), Some("opus"))
    );
    assert_eq!(out.facts.content_type, "video/webm");

    // Never larger: 480p of a 360-pixel video is refused with a reason.
    let p = probe(&input).await;
    let refusal = plan_edit(
        &source(&input, &p),
        &EditRequest::Export {
            format: ExportFormat::Mp4,
            height: Some(ExportHeight::P480),
        },
        None,
    )
    .expect_err("no upscaling");
    assert!(refusal.to_string().contains("360 pixels"), "{refusal}");

    let hd = video(dir.path(), "hd.mp4", 1, "1280x720", 25);
    for format in ExportFormat::VIDEO {
        let (plan, _, out, _, _) = edit(
            dir.path(),
            &hd,
            EditRequest::Export {
                format,
                height: Some(ExportHeight::P480),
            },
        )
        .await;
        assert!(plan.summary.ends_with(", 480p"), "{}", plan.summary);
        assert_eq!(
            (out.facts.width, out.facts.height),
            (Some(854), Some(480)),
            "{format:?}"
        );
    }
}

#[tokio::test]
async fn a_videos_sound_is_extracted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "clip.mp4", 2, "160x120", 25);
    for (format, codec) in [(ExportFormat::Mp3, "mp3"), (ExportFormat::M4a, "aac")] {
        let (plan, _, out, _, _) =
            edit(dir.path(), &input, EditRequest::ExtractAudio { format }).await;
        assert_eq!(plan.output_kind, MediaKind::Audio);
        assert_eq!(out.facts.kind, MediaKind::Audio);
        assert_eq!(out.facts.video_codec, None);
        assert_eq!(out.facts.audio_codec.as_deref(), Some(codec));
        assert!((out.facts.duration_secs.expect("duration") - 2.0).abs() < 0.1);
    }
}

/// Integrated loudness by ffmpeg's own EBU R128 meter (`ebur128`).
fn integrated_lufs(path: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "ebur128", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = text.rsplit("Summary:").next().expect("a summary");
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with("I:"))
        .expect("an I: line");
    line.trim_start()
        .trim_start_matches("I:")
        .trim()
        .trim_end_matches("LUFS")
        .trim()
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn a_quiet_tone_is_normalised_to_the_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, target, lufs) in [
        ("quiet.wav", LoudnessTarget::Podcast, -16.0),
        ("quiet.mp3", LoudnessTarget::Broadcast, -23.0),
    ] {
        let input = tone(dir.path(), name, 8, -30);
        let before = integrated_lufs(&input);
        assert!(before < -40.0, "the tone is quiet: {before}");
        let (plan, note, out, path, progress) =
            edit(dir.path(), &input, EditRequest::Normalize { target }).await;
        assert!(plan.summary.starts_with("Loudness normalised to \u{2212}"));
        assert_eq!(plan.extension, name.rsplit('.').next().expect("ext"));
        assert_eq!(out.facts.kind, MediaKind::Audio);
        assert_eq!(out.facts.audio_codec, probe(&input).await.facts.audio_codec);
        let rate = stream_field(&path, "a:0", "sample_rate");
        assert_eq!(rate.as_deref(), Some("44100"), "the source's rate");
        let after = integrated_lufs(&path);
        assert!((after - lufs).abs() <= 1.0, "{name}: {after} LUFS");
        assert!(
            note.starts_with("Loudness \u{2212}") && note.contains(" LUFS → \u{2212}"),
            "{note}"
        );
        assert!(
            progress.iter().any(|p| *p > 0.0 && *p < 0.5),
            "{progress:?}"
        );
    }
}

#[tokio::test]
async fn invalid_edits_are_refused_with_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sound = tone(dir.path(), "tone.wav", 3, -10);
    let clip = video(dir.path(), "clip.mp4", 2, "160x120", 25);
    let silent = silent_video(dir.path());
    let (ps, pc, pq) = (
        probe(&sound).await,
        probe(&clip).await,
        probe(&silent).await,
    );
    let (audio, video, mute) = (
        source(&sound, &ps),
        source(&clip, &pc),
        source(&silent, &pq),
    );
    let cases: Vec<(&EditSource<'_>, EditRequest, &str)> = vec![
        (&audio, trim(2.0, 1.0, CutMode::Exact), "before the start"),
        (&audio, trim(1.0, 1.0, CutMode::Exact), "the same"),
        (&audio, trim(1.0, 1.05, CutMode::Exact), "too short"),
        (&audio, trim(1.0, 9.0, CutMode::Exact), "past the end"),
        (
            &audio,
            trim(-1.0, 1.0, CutMode::Exact),
            "before the beginning",
        ),
        (
            &audio,
            trim(f64::NAN, 1.0, CutMode::Fast),
            "times in the recording",
        ),
        (
            &audio,
            EditRequest::Export {
                format: ExportFormat::Mp4,
                height: None,
            },
            "video format",
        ),
        (
            &audio,
            EditRequest::Export {
                format: ExportFormat::Mp3,
                height: Some(ExportHeight::P480),
            },
            "Only a video",
        ),
        (
            &video,
            EditRequest::Export {
                format: ExportFormat::Mp3,
                height: None,
            },
            "extract its audio",
        ),
        (
            &video,
            EditRequest::Normalize {
                target: LoudnessTarget::Podcast,
            },
            "for audio items",
        ),
        (
            &mute,
            EditRequest::ExtractAudio {
                format: ExportFormat::Mp3,
            },
            "no sound",
        ),
        (
            &audio,
            EditRequest::ExtractAudio {
                format: ExportFormat::Mp3,
            },
            "already audio",
        ),
        (
            &video,
            EditRequest::ExtractAudio {
                format: ExportFormat::Webm,
            },
            "audio format",
        ),
        (&video, trim(0.0, 1.0, CutMode::Fast), "keyframes"),
    ];
    for (src, request, expected) in cases {
        let refusal = plan_edit(src, &request, None).expect_err("refused");
        let text = refusal.to_string();
        assert!(text.contains(expected), "{request:?}: {text}");
    }
    // The end may overshoot the probed duration by a hair (players round).
    let plan = plan_edit(&audio, &trim(1.0, 3.01, CutMode::Exact), None).expect("ok");
    match plan.request {
        EditRequest::Trim { end_secs, .. } => assert!(end_secs <= audio.duration_secs),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_cancelled_edit_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "long.mp4", 30, "1280x720", 50);
    let media = media();
    let p = media.probe(&input).await.expect("probe");
    let src = source(&input, &p);
    let plan = plan_edit(
        &src,
        &EditRequest::Export {
            format: ExportFormat::Webm,
            height: None,
        },
        None,
    )
    .expect("valid");
    let output = dir.path().join("cancelled.webm");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = media.run_edit(&plan, &src, &output, move |share| {
        let _ = tx.send(share);
    });
    let started = async {
        while let Some(share) = rx.recv().await {
            if share > 0.0 {
                return share;
            }
        }
        panic!("progress stopped before starting");
    };
    tokio::select! {
        result = run => panic!("the edit finished first: {result:?}"),
        share = started => assert!(share > 0.0 && share < 1.0, "{share}"),
    }
    // The run future is dropped here: ffmpeg is killed, the guard removes
    // what it wrote.
    assert!(!output.exists(), "no half-written output is left");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!output.exists(), "nothing writes it afterwards");
}

/// Timing (run by `bench/edit.py`): a fast and an exact 60 s cut of a
/// 10-minute 720p H.264 video with a keyframe every 2 s, through `run_edit`
/// and by hand with the identical ffmpeg arguments.
#[tokio::test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn bench_edit_timings() {
    let dir = std::env::var_os("REEL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("reel-edit-bench"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let input = dir.join("ten-minutes-720p.mp4");
    if !input.exists() {
        let started = Instant::now();
        let partial = dir.join("partial.mp4");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=600",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=600",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "60",
            "-keyint_min",
            "60",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            partial.to_str().expect("utf-8"),
        ]);
        std::fs::rename(&partial, &input).expect("rename");
        println!(
            "generated the input in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let media = Media::new(1, Duration::from_secs(1800));
    let p = media.probe(&input).await.expect("probe");
    let src = source(&input, &p);
    let started = Instant::now();
    let points = media
        .cut_points(&input, &p.facts.container, p.facts.kind)
        .await
        .expect("cut points");
    println!(
        "cut_points: {} keyframes in {:.2} s",
        points.keyframes.len(),
        started.elapsed().as_secs_f64()
    );
    for (label, request) in [
        ("fast cut 60 s from 4:00", trim(240.0, 300.0, CutMode::Fast)),
        (
            "exact cut 60 s from 4:00.5",
            trim(240.5, 300.5, CutMode::Exact),
        ),
    ] {
        let plan = plan_edit(&src, &request, Some(&points)).expect("valid");
        let output = dir.join(format!("reel.{}", plan.extension));
        let started = Instant::now();
        media
            .run_edit(&plan, &src, &output, |_| {})
            .await
            .expect("edit runs");
        let reel = started.elapsed().as_secs_f64();
        let d = media
            .probe(&output)
            .await
            .expect("probe")
            .facts
            .duration_secs
            .unwrap_or(0.0);

        let by_hand_out = dir.join(format!("by-hand.{}", plan.extension));
        let args = edit_args(&media, &plan, &src, &by_hand_out)
            .await
            .expect("args");
        let started = Instant::now();
        let status = Command::new("ffmpeg")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("ffmpeg runs");
        let by_hand = started.elapsed().as_secs_f64();
        assert!(status.success());
        println!(
            "{label}: run_edit {reel:.2} s (output {d:.3} s long), ffmpeg by hand {by_hand:.2} s"
        );
        println!(
            "  ffmpeg {}",
            args.iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let _ = std::fs::remove_file(&output);
        let _ = std::fs::remove_file(&by_hand_out);
    }
}
