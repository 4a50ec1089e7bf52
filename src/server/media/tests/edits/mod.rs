//! Edits with real ffmpeg on generated media: trims (exact and fast) here,
//! every export format, audio extraction and loudness normalisation in
//! `exports`, refusals, cancellation and the timing benchmark in `refusals`.
//! Calls `reel::server::media` directly.

mod exports;
mod refusals;

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
