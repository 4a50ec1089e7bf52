//! Every export format, audio extraction and loudness normalisation.

use std::path::Path;

use super::*;

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
