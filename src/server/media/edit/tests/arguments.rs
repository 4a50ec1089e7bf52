//! The ffmpeg arguments an edit runs with: pinned inputs, encoders,
//! resampling, keyframes and source facts read back, GOPs and outputs.

use super::*;

#[test]
fn every_run_is_pinned_to_local_files_and_the_demuxer() {
    let f = facts(Some("h264"), Some("aac"));
    for args in [
        args_for(&video(), trim(1.0, 2.0, CutMode::Exact), &f),
        args_for(&audio("mp3"), trim(1.0, 2.0, CutMode::Fast), &f),
        args_for(
            &video(),
            EditRequest::ExtractAudio {
                format: ExportFormat::Wav,
            },
            &f,
        ),
    ] {
        assert_eq!(value(&args, "-protocol_whitelist"), "file");
        assert!(!value(&args, "-format_whitelist").contains("hls"));
        let f = args.iter().position(|a| a == "-f").expect("-f");
        assert!(f < args.iter().position(|a| a == "-i").expect("-i"));
        assert!(value(&args, "-i").starts_with("file:/in/"));
        assert!(has(&args, ["-progress", "pipe:1"]));
        assert!(has(&args, ["-map_metadata", "-1"]));
        assert!(args.contains(&"-sn".to_string()) && args.contains(&"-dn".to_string()));
    }
}

#[test]
fn encoders_follow_the_request() {
    let f = facts(Some("h264"), Some("aac"));
    let args = args_for(&video(), trim(1.0, 2.0, CutMode::Exact), &f);
    assert_eq!(value(&args, "-c:v"), "libx264");
    assert_eq!(value(&args, "-preset"), "veryfast");
    assert_eq!(value(&args, "-crf"), "20");
    assert_eq!(value(&args, "-pix_fmt"), "yuv420p");
    assert_eq!(value(&args, "-c:a"), "aac");
    assert!(!args.iter().any(|a| a == "-avoid_negative_ts"));

    let export = |format, height| EditRequest::Export { format, height };
    let args = args_for(
        &video(),
        export(ExportFormat::Mp4, Some(ExportHeight::P480)),
        &f,
    );
    assert_eq!(value(&args, "-crf"), "23");
    assert_eq!(value(&args, "-vf"), "scale=-2:480,setsar=1");
    let args = args_for(&video(), export(ExportFormat::Webm, None), &f);
    assert_eq!(value(&args, "-c:v"), "libvpx-vp9");
    for pair in [
        ["-deadline", "realtime"],
        ["-cpu-used", "8"],
        ["-row-mt", "1"],
        ["-crf", "33"],
        ["-b:v", "0"],
        ["-c:a", "libopus"],
        ["-f", "webm"],
    ] {
        assert!(has(&args, pair), "{pair:?}");
    }
    assert!(value(&args, "-vf").starts_with("scale=trunc(iw/2)*2"));

    let wav = audio("wav");
    for (format, codec, muxer) in [
        (ExportFormat::Mp3, "libmp3lame", "mp3"),
        (ExportFormat::Opus, "libopus", "ogg"),
        (ExportFormat::M4a, "aac", "mp4"),
        (ExportFormat::Flac, "flac", "flac"),
        (ExportFormat::Wav, "pcm_s16le", "wav"),
    ] {
        let args = args_for(&wav, export(format, None), &facts(None, Some("pcm_s16le")));
        assert_eq!(value(&args, "-c:a"), codec);
        assert!(has(&args, ["-map", "0:a:0"]), "sound is required");
        assert!(args.contains(&"-vn".to_string()));
        assert!(has(&args, ["-f", muxer]));
    }
    // MP3 carries two channels at most.
    let surround = SourceFacts {
        channels: Some(6),
        ..facts(None, Some("flac"))
    };
    let args = args_for(&wav, export(ExportFormat::Mp3, None), &surround);
    assert_eq!(value(&args, "-ac"), "2");

    // Exact audio trims keep the codec family.
    for (demuxer, codec, want) in [
        ("mp3", "mp3", "libmp3lame"),
        ("ogg", "vorbis", "libvorbis"),
        ("ogg", "opus", "libopus"),
        ("aac", "aac", "aac"),
        ("mov", "aac", "aac"),
        ("flac", "flac", "flac"),
        ("wav", "pcm_f32le", "pcm_s16le"),
    ] {
        let args = args_for(
            &audio(demuxer),
            trim(1.0, 2.0, CutMode::Exact),
            &facts(None, Some(codec)),
        );
        assert_eq!(value(&args, "-c:a"), want, "{demuxer}/{codec}");
    }
}

#[test]
fn normalising_resamples_to_the_source_rate() {
    assert_eq!(normalised_rate(AudioCodec::Opus, Some(44_100)), 48_000);
    assert_eq!(normalised_rate(AudioCodec::Mp3, Some(44_100)), 44_100);
    assert_eq!(normalised_rate(AudioCodec::Mp3, Some(96_000)), 44_100);
    assert_eq!(normalised_rate(AudioCodec::Flac, Some(96_000)), 96_000);
    assert_eq!(normalised_rate(AudioCodec::Pcm16, None), 48_000);
    let f = facts(None, Some("mp3"));
    let plan = plan_edit(
        &audio("mp3"),
        &EditRequest::Normalize {
            target: LoudnessTarget::Broadcast,
        },
        None,
    )
    .expect("ok");
    let recipe = recipe(&plan, &audio("mp3"), &f).expect("recipe");
    assert_eq!(recipe.loudness_target, Some(-23.0));
    let args = text(
        &recipe
            .encode
            .args(Path::new("/in/a"), "mp3", Path::new("/out/b")),
    );
    assert_eq!(value(&args, "-ar"), "44100");
    assert_eq!(value(&args, "-c:a"), "libmp3lame");
    let analysis = text(&args::analysis_args(
        Path::new("/in/a"),
        "mp3",
        "loudnorm=I=-23",
    ));
    assert!(has(&analysis, ["-v", "info"]));
    assert!(has(&analysis, ["-af", "loudnorm=I=-23"]));
    assert_eq!(&analysis[analysis.len() - 3..], ["-f", "null", "-"]);
}

#[test]
fn keyframes_come_from_packet_flags() {
    let mut parser = KeyframeParser::default();
    // Decode order, B-frames, a split line, N/A and a start offset.
    parser.feed(b"packet|pts_time=0.066667|flags=K_\npacket|pts_time=0.200000|flags=__\npac");
    parser.feed(b"ket|pts_time=0.133333|flags=__\npacket|pts_time=2.066667|flags=K_\n");
    parser.feed(b"packet|pts_time=N/A|flags=K_\npacket|pts_time=1.066667|flags=KD\n");
    parser.feed(b"format|start_time=0.066667");
    assert_eq!(parser.finish(), vec![0.0, 1.0, 2.0]);
    assert!(KeyframeParser::default().finish().is_empty());
}

#[test]
fn source_facts_parse() {
    let json = br#"{"streams":[
        {"index":0,"codec_name":"mjpeg","codec_type":"video","disposition":{"attached_pic":1}},
        {"index":1,"codec_name":"h264","codec_type":"video","avg_frame_rate":"30000/1001","r_frame_rate":"30000/1001"},
        {"index":2,"codec_name":"aac","codec_type":"audio","sample_rate":"48000","channels":6}],
        "format":{}}"#;
    let f = SourceFacts::parse(json).expect("parses");
    assert_eq!(f.video_codec.as_deref(), Some("h264"));
    assert_eq!(f.audio_codec.as_deref(), Some("aac"));
    assert_eq!((f.sample_rate, f.channels), (Some(48_000), Some(6)));
    assert!((f.frame_secs() - 1001.0 / 30000.0).abs() < 1e-9);
    assert_eq!(SourceFacts::parse(b"nope"), None);
}

#[test]
fn gops_and_outputs_are_checked() {
    assert_eq!(longest_gop(&[0.0, 2.0, 3.0], 10.0), 7.0);
    assert_eq!(longest_gop(&[0.0, 2.0, 4.0], 5.0), 2.0);

    let good = ProbeSummary {
        facts: MediaFacts {
            kind: MediaKind::Video,
            container: "mov".into(),
            content_type: "video/mp4".into(),
            duration_secs: Some(2.0),
            width: Some(854),
            height: Some(480),
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
    let expected = Expected {
        kind: MediaKind::Video,
        video_codec: Some("h264".into()),
        audio_codec: Some("aac".into()),
        audio_required: true,
        height: Some(480),
        faststart: true,
        duration: Some((1.96, 2.04)),
    };
    assert_eq!(check_output(&expected, &good), Ok(()));
    for bad in [
        ProbeSummary {
            facts: MediaFacts {
                video_codec: Some("hevc".into()),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                audio_codec: None,
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
            facts: MediaFacts {
                height: Some(720),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            faststart: Some(false),
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                duration_secs: Some(2.5),
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                duration_secs: None,
                ..good.facts.clone()
            },
            ..good.clone()
        },
        ProbeSummary {
            facts: MediaFacts {
                kind: MediaKind::Audio,
                ..good.facts.clone()
            },
            ..good.clone()
        },
    ] {
        assert!(check_output(&expected, &bad).is_err(), "{bad:?}");
    }
    // Audio output: a picture is wrong, and so is missing sound.
    let sound = Expected {
        kind: MediaKind::Audio,
        video_codec: None,
        height: None,
        faststart: false,
        duration: None,
        ..expected
    };
    assert!(
        check_output(
            &sound,
            &ProbeSummary {
                facts: MediaFacts {
                    kind: MediaKind::Audio,
                    ..good.facts.clone()
                },
                ..good.clone()
            }
        )
        .is_err()
    );
    let audio_only = ProbeSummary {
        facts: MediaFacts {
            kind: MediaKind::Audio,
            video_codec: None,
            width: None,
            height: None,
            ..good.facts
        },
        ..good
    };
    assert_eq!(check_output(&sound, &audio_only), Ok(()));
}
