//! Unit tests of `transcode`, kept apart so the module reads in one sitting.

use super::*;
use crate::server::domain::MediaFacts;
use crate::server::media::decide::Reason;

fn conversion(video: Option<VideoAction>, audio: Option<AudioAction>) -> Conversion {
    let remux_only = video.is_none_or(|v| v == VideoAction::Copy)
        && audio.is_none_or(|a| a == AudioAction::Copy);
    Conversion {
        remux_only,
        output: if video.is_some() {
            OutputFormat::Mp4
        } else {
            OutputFormat::M4a
        },
        video,
        audio,
        reasons: vec![Reason::Container],
    }
}

fn args_of(c: &Conversion, demuxer: &str) -> Vec<String> {
    PlayableJob {
        input: Path::new("/in/x"),
        demuxer,
        conversion: c,
        duration_secs: Some(2.0),
    }
    .args(Path::new("/out/y.mp4"))
    .iter()
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

#[test]
fn every_run_is_pinned_to_local_files_and_the_probed_demuxer() {
    for c in [
        conversion(Some(VideoAction::Copy), Some(AudioAction::Copy)),
        conversion(Some(VideoAction::H264 { max_fps: None }), None),
        conversion(None, Some(AudioAction::Aac { channels: 2 })),
    ] {
        let args = args_of(&c, "matroska");
        assert_eq!(
            &args[..6],
            ["-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1"]
        );
        assert_eq!(value(&args, "-protocol_whitelist"), "file");
        let formats = value(&args, "-format_whitelist");
        assert!(
            formats.contains("matroska") && !formats.contains("hls") && !formats.contains("concat")
        );
        assert!(has(&args, ["-f", "matroska"]));
        let f = args.iter().position(|a| a == "-f").expect("-f");
        assert!(
            f < args.iter().position(|a| a == "-i").expect("-i"),
            "-f forces the input"
        );
        assert_eq!(value(&args, "-i"), "file:/in/x");
        assert!(has(&args, ["-map_metadata", "-1"]));
        assert!(has(&args, ["-movflags", "+faststart"]));
        assert!(args.contains(&"-sn".into()) && args.contains(&"-dn".into()));
        assert_eq!(&args[args.len() - 3..], ["-f", "mp4", "file:/out/y.mp4"]);
    }
}

#[test]
fn a_remux_copies_both_streams() {
    let args = args_of(
        &conversion(Some(VideoAction::Copy), Some(AudioAction::Copy)),
        "avi",
    );
    assert!(has(&args, ["-map", "0:V:0"]));
    assert!(has(&args, ["-map", "0:a:0?"]));
    assert!(has(&args, ["-c:v", "copy"]));
    assert!(has(&args, ["-c:a", "copy"]));
    assert!(
        !args
            .iter()
            .any(|a| a == "libx264" || a == "-vf" || a == "aac")
    );
}

#[test]
fn a_video_transcode_is_even_sized_420_h264() {
    let args = args_of(
        &conversion(
            Some(VideoAction::H264 { max_fps: Some(60) }),
            Some(AudioAction::Aac { channels: 2 }),
        ),
        "mov",
    );
    assert_eq!(value(&args, "-c:v"), "libx264");
    assert_eq!(value(&args, "-preset"), "veryfast");
    assert_eq!(value(&args, "-crf"), "23");
    assert_eq!(value(&args, "-pix_fmt"), "yuv420p");
    let filter = value(&args, "-vf");
    assert!(
        filter.starts_with("scale=trunc(iw/2)*2:trunc(ih/2)*2"),
        "{filter}"
    );
    assert!(filter.ends_with(",fps=60"), "{filter}");
    assert_eq!(value(&args, "-c:a"), "aac");
    assert_eq!(value(&args, "-b:a"), "160k");
    assert_eq!(value(&args, "-ac"), "2");

    let args = args_of(
        &conversion(Some(VideoAction::H264 { max_fps: None }), None),
        "mov",
    );
    assert!(!value(&args, "-vf").contains("fps"));
    assert!(args.contains(&"-an".into()));
    assert!(!args.iter().any(|a| a.starts_with("0:a")));
}

#[test]
fn copied_video_with_new_sound() {
    let args = args_of(
        &conversion(
            Some(VideoAction::Copy),
            Some(AudioAction::Aac { channels: 1 }),
        ),
        "matroska",
    );
    assert!(has(&args, ["-c:v", "copy"]));
    assert!(has(&args, ["-c:a", "aac"]));
    assert!(has(&args, ["-ac", "1"]));
}

#[test]
fn audio_files_become_m4a_without_pictures() {
    let args = args_of(
        &conversion(None, Some(AudioAction::Aac { channels: 2 })),
        "wav",
    );
    assert!(args.contains(&"-vn".into()));
    assert!(has(&args, ["-map", "0:a:0"]), "sound is required: no `?`");
    assert!(!args.iter().any(|a| a.starts_with("0:V")));
}

#[test]
fn progress_follows_out_time_against_the_duration() {
    let mut p = ProgressParser::new(Some(10.0));
    assert_eq!(
        p.feed(b"frame=10\nout_time_us=2500000\nprogress=continue\n"),
        Some(0.25)
    );
    // Unchanged: nothing to report.
    assert_eq!(p.feed(b"out_time_ms=2500000\n"), None);
    assert_eq!(p.feed(b"out_time=00:00:05.000000\n"), Some(0.5));
    // Never backwards, and N/A is ignored.
    assert_eq!(p.feed(b"out_time_us=1000000\nout_time_us=N/A\n"), None);
    // Past the duration is 99.9 % until ffmpeg says it is done.
    assert_eq!(p.feed(b"out_time_us=12000000\n"), Some(0.999));
    assert_eq!(p.feed(b"progress=end\n"), Some(1.0));
    assert_eq!(p.feed(b"progress=end\n"), None);
}

#[test]
fn progress_lines_split_across_chunks() {
    let mut p = ProgressParser::new(Some(4.0));
    assert_eq!(p.feed(b"out_ti"), None);
    assert_eq!(p.feed(b"me_us=10"), None);
    assert_eq!(p.feed(b"00000\r"), None);
    assert_eq!(p.feed(b"\nprogress=cont"), Some(0.25));
    assert_eq!(p.feed(b"inue\nout_time=00:00:0"), None);
    assert_eq!(p.feed(b"3.000000\npro"), Some(0.75));
    assert_eq!(p.feed(b"gress=end\n"), Some(1.0));
}

#[test]
fn progress_without_a_duration_only_reports_the_end() {
    let mut p = ProgressParser::new(None);
    assert_eq!(p.feed(b"out_time_us=5000000\n"), None);
    assert_eq!(p.feed(b"progress=end\n"), Some(1.0));
    let mut p = ProgressParser::new(Some(f64::NAN));
    assert_eq!(p.feed(b"out_time_us=5000000\n"), None);
    // Garbage and over-long lines do nothing.
    let mut p = ProgressParser::new(Some(1.0));
    assert_eq!(p.feed(&[b'x'; 5000]), None);
    assert_eq!(p.feed(b"\n=\n\xff\xfe=1\nout_time=aa:bb:cc\n"), None);
}

#[test]
fn clock_times() {
    assert_eq!(parse_clock("01:02:03.5"), Some(3723.5));
    assert_eq!(parse_clock("-00:00:00.023"), Some(0.0));
    assert_eq!(parse_clock("12"), None);
    assert_eq!(parse_clock("1:2:3:4"), None);
}

#[test]
fn outputs_are_checked_against_the_plan() {
    let good = ProbeSummary {
        facts: MediaFacts {
            kind: crate::model::MediaKind::Video,
            container: "mov".into(),
            content_type: "video/mp4".into(),
            duration_secs: Some(1.0),
            width: Some(160),
            height: Some(120),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            cover_stream: None,
        },
        pixel_format: Some("yuv420p".into()),
        frame_rate: Some(25.0),
        bit_depth: Some(8),
        audio_channels: Some(2),
        faststart: Some(true),
        video_bit_rate: None,
        described: Default::default(),
    };
    let transcode = conversion(
        Some(VideoAction::H264 { max_fps: None }),
        Some(AudioAction::Aac { channels: 2 }),
    );
    assert_eq!(check_output(&transcode, &good), Ok(()));
    let bad = [
        ProbeSummary {
            faststart: Some(false),
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                video_codec: Some("hevc".into()),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            pixel_format: Some("yuv444p".into()),
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                width: Some(161),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                audio_codec: Some("opus".into()),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            audio_channels: Some(6),
            ..good.clone()
        },
    ];
    for probe in bad {
        assert!(check_output(&transcode, &probe).is_err(), "{probe:?}");
    }
    let remux = conversion(Some(VideoAction::Copy), Some(AudioAction::Copy));
    let mp3 = ProbeSummary {
        facts: MediaFacts {
            audio_codec: Some("mp3".into()),
            ..good.facts.clone()
        },
        pixel_format: Some("yuvj420p".into()),
        ..good.clone()
    };
    assert_eq!(check_output(&remux, &mp3), Ok(()));
}
