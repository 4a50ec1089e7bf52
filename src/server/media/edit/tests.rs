//! Unit tests of edit plans: clock times, trims, fast cuts on keyframes,
//! formats for each item, and plans as JSON. The ffmpeg arguments are
//! tested in `arguments`.

mod arguments;

use super::*;
use crate::edit::LoudnessTarget;
use crate::server::domain::MediaFacts;

fn video() -> EditSource<'static> {
    EditSource {
        input: Path::new("/in/clip.mp4"),
        demuxer: "mov",
        kind: MediaKind::Video,
        duration_secs: 10.0,
        height: Some(720),
        has_audio: true,
    }
}

fn audio(demuxer: &'static str) -> EditSource<'static> {
    EditSource {
        input: Path::new("/in/tone"),
        demuxer,
        kind: MediaKind::Audio,
        duration_secs: 10.0,
        height: None,
        has_audio: true,
    }
}

fn keyframes(times: &[f64]) -> CutPoints {
    CutPoints {
        keyframes: times.to_vec(),
        anywhere: false,
    }
}

fn trim(start_secs: f64, end_secs: f64, mode: CutMode) -> EditRequest {
    EditRequest::Trim {
        start_secs,
        end_secs,
        mode,
    }
}

fn refusal(source: &EditSource<'_>, request: EditRequest, points: Option<&CutPoints>) -> String {
    plan_edit(source, &request, points)
        .expect_err("refused")
        .to_string()
}

fn text(args: &[std::ffi::OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    &args[at + 1]
}

fn has(args: &[String], pair: [&str; 2]) -> bool {
    args.windows(2).any(|w| w == pair)
}

fn facts(video_codec: Option<&str>, audio_codec: Option<&str>) -> SourceFacts {
    SourceFacts {
        video_codec: video_codec.map(str::to_string),
        audio_codec: audio_codec.map(str::to_string),
        sample_rate: Some(44_100),
        channels: Some(2),
        frame_rate: Some(25.0),
    }
}

fn args_for(source: &EditSource<'_>, request: EditRequest, facts: &SourceFacts) -> Vec<String> {
    let points = match source.kind {
        MediaKind::Video => keyframes(&[0.0, 2.0, 4.0, 6.0, 8.0]),
        MediaKind::Audio => CutPoints {
            keyframes: vec![],
            anywhere: true,
        },
    };
    let plan = plan_edit(source, &request, Some(&points)).expect("valid");
    let recipe = recipe(&plan, source, facts).expect("recipe");
    text(
        &recipe
            .encode
            .args(source.input, source.demuxer, Path::new("/out/x")),
    )
}

#[test]
fn clock_times() {
    assert_eq!(clock(0.0, 3), "0:00.000");
    assert_eq!(clock(62.5, 1), "1:02.5");
    assert_eq!(clock(3.9996, 3), "0:04.000");
    assert_eq!(clock(3723.25, 3), "1:02:03.250");
    assert_eq!(clock(f64::NAN, 1), "0:00.0");
}

#[test]
fn trims_are_checked_and_summarised() {
    let plan = plan_edit(&video(), &trim(1.0, 2.5, CutMode::Exact), None).expect("valid");
    assert_eq!(plan.summary, "Trimmed 0:01.0–0:02.5 (exact cut)");
    assert_eq!(
        (plan.output_kind, plan.extension.as_str()),
        (MediaKind::Video, "mp4")
    );
    for (start, end, why) in [
        (5.0, 4.0, "before the start"),
        (4.0, 4.0, "the same"),
        (4.0, 4.05, "too short"),
        (4.0, 10.2, "past the end"),
        (10.0, 10.04, "at or past the end"),
        (-0.5, 4.0, "before the beginning"),
        (f64::NAN, 4.0, "times in the recording"),
        (1.0, f64::INFINITY, "times in the recording"),
    ] {
        let text = refusal(&video(), trim(start, end, CutMode::Exact), None);
        assert!(text.contains(why), "{start}..{end}: {text}");
    }
    // A hair past the end is the end.
    let plan = plan_edit(&video(), &trim(9.0, 10.04, CutMode::Exact), None).expect("ok");
    assert_eq!(plan.request, trim(9.0, 10.0, CutMode::Exact));
    let unknown = EditSource {
        duration_secs: f64::NAN,
        ..video()
    };
    assert!(refusal(&unknown, trim(1.0, 2.0, CutMode::Exact), None).contains("unknown"));
}

#[test]
fn fast_cuts_start_on_keyframes() {
    let points = keyframes(&[0.0, 2.0, 4.0, 6.0, 8.0]);
    let plan = plan_edit(&video(), &trim(4.0004, 6.0, CutMode::Fast), Some(&points)).expect("ok");
    assert_eq!(
        plan.summary,
        "Trimmed 0:04.0–0:06.0 (fast cut, no re-encode)"
    );
    assert_eq!(plan.keyframe_secs, Some(4.0));
    assert_eq!(plan.slack_secs, Some(2.0));

    let text = refusal(&video(), trim(5.0, 7.0, CutMode::Fast), Some(&points));
    assert!(
        text.contains("0:05.000 is not one: the nearest are at 0:04.000 and 0:06.000"),
        "{text}"
    );
    assert!(text.contains("exact cut"), "{text}");
    let text = refusal(&video(), trim(8.5, 9.5, CutMode::Fast), Some(&points));
    assert!(text.contains("the last one is at 0:08.000"), "{text}");
    let late = keyframes(&[1.0, 3.0]);
    let text = refusal(&video(), trim(0.5, 2.0, CutMode::Fast), Some(&late));
    assert!(text.contains("the first one is at 0:01.000"), "{text}");
    assert!(refusal(&video(), trim(0.0, 2.0, CutMode::Fast), None).contains("keyframes"));
    assert!(
        refusal(
            &video(),
            trim(0.0, 2.0, CutMode::Fast),
            Some(&keyframes(&[]))
        )
        .contains("exact")
    );
    let avi = EditSource {
        demuxer: "avi",
        ..video()
    };
    assert!(refusal(&avi, trim(0.0, 2.0, CutMode::Fast), Some(&points)).contains("exact cut"));

    // Audio cuts anywhere.
    let anywhere = CutPoints {
        keyframes: vec![],
        anywhere: true,
    };
    let plan = plan_edit(
        &audio("mp3"),
        &trim(1.23, 2.0, CutMode::Fast),
        Some(&anywhere),
    )
    .expect("audio cuts anywhere");
    assert_eq!(plan.extension, "mp3");
    assert_eq!(plan.keyframe_secs, None);
    let plan = plan_edit(&audio("flac"), &trim(1.23, 2.0, CutMode::Fast), None).expect("ok");
    assert!(
        plan.summary.ends_with("(fast cut, lossless)"),
        "{}",
        plan.summary
    );
}

#[test]
fn formats_must_suit_the_item() {
    let export = |format, height| EditRequest::Export { format, height };
    let plan = plan_edit(
        &video(),
        &export(ExportFormat::Webm, Some(ExportHeight::P480)),
        None,
    )
    .expect("ok");
    assert_eq!(plan.summary, "Exported as WebM (VP9/Opus), 480p");
    assert_eq!(plan.extension, "webm");
    let plan = plan_edit(&audio("wav"), &export(ExportFormat::Opus, None), None).expect("ok");
    assert_eq!(
        (
            plan.summary.as_str(),
            plan.extension.as_str(),
            plan.output_kind
        ),
        ("Exported as Opus", "opus", MediaKind::Audio)
    );
    assert!(refusal(&audio("wav"), export(ExportFormat::Mp4, None), None).contains("video format"));
    assert!(refusal(&video(), export(ExportFormat::Mp3, None), None).contains("extract its audio"));
    assert!(
        refusal(
            &video(),
            export(ExportFormat::Mp4, Some(ExportHeight::P720)),
            None
        )
        .contains("720 pixels tall")
    );
    assert!(
        refusal(
            &audio("wav"),
            export(ExportFormat::Wav, Some(ExportHeight::P480)),
            None
        )
        .contains("Only a video")
    );

    let extract = |format| EditRequest::ExtractAudio { format };
    let plan = plan_edit(&video(), &extract(ExportFormat::Mp3), None).expect("ok");
    assert_eq!(
        (plan.summary.as_str(), plan.output_kind),
        ("Audio extracted as MP3", MediaKind::Audio)
    );
    let mute = EditSource {
        has_audio: false,
        ..video()
    };
    assert!(refusal(&mute, extract(ExportFormat::Mp3), None).contains("no sound"));
    assert!(refusal(&video(), extract(ExportFormat::Mp4), None).contains("audio format"));
    assert!(refusal(&audio("mp3"), extract(ExportFormat::Mp3), None).contains("already audio"));

    let normalise = EditRequest::Normalize {
        target: LoudnessTarget::Podcast,
    };
    let plan = plan_edit(&audio("ogg"), &normalise, None).expect("ok");
    assert_eq!(plan.summary, "Loudness normalised to \u{2212}16 LUFS");
    assert_eq!(plan.extension, "ogg");
    assert_eq!(
        plan_edit(&audio("aiff"), &normalise, None)
            .expect("ok")
            .extension,
        "m4a"
    );
    assert!(refusal(&video(), normalise, None).contains("for audio items"));
}

#[test]
fn plans_round_trip_as_json() {
    let points = keyframes(&[0.0, 2.0]);
    let plan = plan_edit(&video(), &trim(2.0, 3.0, CutMode::Fast), Some(&points)).expect("ok");
    let json = serde_json::to_string(&plan).expect("json");
    assert_eq!(serde_json::from_str::<EditPlan>(&json).expect("back"), plan);
    // Plans stored before the optional fields existed still read.
    let old = r#"{"request":{"edit":"normalize","target":"podcast"},"output_kind":"audio","extension":"mp3","summary":"s"}"#;
    let plan: EditPlan = serde_json::from_str(old).expect("reads");
    assert_eq!(plan.keyframe_secs, None);
}

#[test]
fn a_fast_video_cut_copies_from_just_after_the_keyframe() {
    let args = args_for(
        &video(),
        trim(4.0, 6.0, CutMode::Fast),
        &facts(Some("h264"), Some("aac")),
    );
    let at = |flag: &str| args.iter().position(|a| a == flag).expect(flag);
    assert!(at("-ss") < at("-i"), "an input seek: {args:?}");
    assert_eq!(value(&args, "-ss"), "4.000500");
    assert_eq!(value(&args, "-t"), "2.000000");
    assert!(has(&args, ["-c:v", "copy"]) && has(&args, ["-c:a", "copy"]));
    assert!(has(&args, ["-avoid_negative_ts", "make_zero"]));
    assert!(has(&args, ["-movflags", "+faststart"]));
    assert!(has(&args, ["-map", "0:V:0"]) && has(&args, ["-map", "0:a:0?"]));
    assert!(has(&args, ["-map_metadata", "-1"]));
    assert!(!args.iter().any(|a| a == "libx264"));
    assert_eq!(&args[args.len() - 3..], ["-f", "mp4", "file:/out/x"]);

    let webm = EditSource {
        demuxer: "matroska",
        ..video()
    };
    let args = args_for(
        &webm,
        trim(4.0, 6.0, CutMode::Fast),
        &facts(Some("vp9"), Some("opus")),
    );
    assert!(has(&args, ["-f", "webm"]));
    assert!(!args.iter().any(|a| a == "-movflags"));
}
