//! Unit tests of `probe`, kept apart so the module reads in one sitting.

use super::*;

fn summary(fixture: &str) -> Result<ProbeSummary, Rejection> {
    ProbeOutput::parse(fixture.as_bytes())?.summarize()
}

#[test]
fn mp4_with_sound_is_video() {
    let s = summary(include_str!("../fixtures/clip-mp4.json")).expect("accepted");
    assert_eq!(s.facts.kind, MediaKind::Video);
    assert_eq!(s.facts.container, "mov");
    assert_eq!(s.facts.content_type, "video/mp4");
    assert_eq!((s.facts.width, s.facts.height), (Some(320), Some(240)));
    assert_eq!(s.facts.video_codec.as_deref(), Some("h264"));
    assert_eq!(s.facts.audio_codec.as_deref(), Some("aac"));
    assert_eq!(s.facts.duration_secs, Some(2.0));
    assert_eq!(s.facts.cover_stream, None);
}

#[test]
fn mp3_is_audio() {
    let s = summary(include_str!("../fixtures/tone-mp3.json")).expect("accepted");
    assert_eq!(s.facts.kind, MediaKind::Audio);
    assert_eq!(s.facts.content_type, "audio/mpeg");
    assert_eq!(s.facts.video_codec, None);
    assert!(s.facts.duration_secs.is_some_and(|d| (d - 2.0).abs() < 0.1));
}

#[test]
fn cover_art_does_not_make_audio_a_video() {
    let s = summary(include_str!("../fixtures/withcover-mp3.json")).expect("accepted");
    assert_eq!(s.facts.kind, MediaKind::Audio);
    assert_eq!(s.facts.cover_stream, Some(1));
    assert_eq!((s.facts.width, s.facts.height), (None, None));
}

#[test]
fn opus_in_ogg_is_audio_ogg() {
    let s = summary(include_str!("../fixtures/tone-opus.json")).expect("accepted");
    assert_eq!(s.facts.kind, MediaKind::Audio);
    assert_eq!(s.facts.content_type, "audio/ogg");
    assert_eq!(s.facts.audio_codec.as_deref(), Some("opus"));
}

#[test]
fn text_and_playlists_are_refused() {
    assert_eq!(
        summary(include_str!("../fixtures/tty-text.json")),
        Err(Rejection::UnsupportedContainer("tty".into()))
    );
    assert_eq!(
        summary(include_str!("../fixtures/hls-playlist.json")),
        Err(Rejection::UnsupportedContainer("hls".into()))
    );
}

#[test]
fn decision_fields_are_kept() {
    let s = summary(include_str!("../fixtures/clip-mp4.json")).expect("accepted");
    assert_eq!(s.pixel_format.as_deref(), Some("yuv420p"));
    assert_eq!(s.frame_rate, Some(25.0));
    assert_eq!(s.bit_depth, Some(8));
    assert_eq!(s.audio_channels, Some(1));
    assert_eq!(s.faststart, None, "only Media::probe reads the file");

    let s = summary(include_str!("../fixtures/hevc10-ac3-mkv.json")).expect("accepted");
    assert_eq!(s.facts.container, "matroska");
    assert_eq!(s.facts.content_type, "video/x-matroska");
    assert_eq!(s.facts.video_codec.as_deref(), Some("hevc"));
    assert_eq!(s.pixel_format.as_deref(), Some("yuv420p10le"));
    assert_eq!(s.bit_depth, Some(10), "from the pixel format");
    assert!(s.frame_rate.is_some_and(|f| (f - 29.97).abs() < 0.01));
    assert_eq!(s.facts.audio_codec.as_deref(), Some("ac3"));
    assert_eq!(s.audio_channels, Some(6));

    let s = summary(include_str!("../fixtures/withcover-mp3.json")).expect("accepted");
    assert_eq!(
        (s.frame_rate, s.pixel_format, s.bit_depth),
        (None, None, None),
        "a cover picture has no frame rate"
    );
}

#[test]
fn frame_rates_parse() {
    assert_eq!(parse_rate("25/1"), Some(25.0));
    assert!(parse_rate("30000/1001").is_some_and(|r| (r - 29.97).abs() < 0.01));
    assert_eq!(parse_rate("24"), Some(24.0));
    for junk in ["0/0", "0/1", "1/0", "-25/1", "abc", "", "NaN/1", "inf/1"] {
        assert_eq!(parse_rate(junk), None, "{junk}");
    }
    assert_eq!(depth_of_pixel_format("yuv420p"), Some(8));
    assert_eq!(depth_of_pixel_format("yuvj420p"), Some(8));
    assert_eq!(depth_of_pixel_format("yuv422p10le"), Some(10));
    assert_eq!(depth_of_pixel_format("yuv444p12be"), Some(12));
    assert_eq!(depth_of_pixel_format("rgb24"), None);
}

#[test]
fn a_timestamp_clock_is_not_a_frame_rate() {
    let json = r#"{"streams":[{"index":0,"codec_type":"video","codec_name":"h264","width":64,"height":48,
        "avg_frame_rate":"0/0","r_frame_rate":"90000/1"}],
        "format":{"format_name":"mpegts","duration":"3.0"}}"#;
    let s = summary(json).expect("accepted");
    assert_eq!(s.frame_rate, None);
}

#[test]
fn too_many_frames_per_second_are_refused() {
    assert_eq!(
        summary(include_str!("../fixtures/fps300-mp4.json")),
        Err(Rejection::FrameRateTooHigh { fps: 300 })
    );
    let text = Rejection::FrameRateTooHigh { fps: 300 }.to_string();
    assert!(text.contains("300") && text.contains("240"), "{text}");
}

#[test]
fn more_than_a_day_is_refused() {
    let json = r#"{"streams":[{"index":0,"codec_type":"audio","codec_name":"mp3"}],
        "format":{"format_name":"mp3","duration":"90000.5"}}"#;
    assert_eq!(summary(json), Err(Rejection::TooLong { hours: 26 }));
    assert!(
        Rejection::TooLong { hours: 26 }
            .to_string()
            .contains("24 hours")
    );
    let day = json.replace("90000.5", "86400.0");
    assert!(summary(&day).is_ok(), "exactly 24 hours is fine");
}

#[test]
fn codecs_outside_the_allow_lists_are_refused_by_name() {
    assert_eq!(
        summary(include_str!("../fixtures/ffv1-mkv.json")),
        Err(Rejection::UnsupportedVideoCodec("ffv1".into()))
    );
    assert_eq!(
        summary(include_str!("../fixtures/adpcm-wav.json")),
        Err(Rejection::UnsupportedAudioCodec("adpcm_ima_wav".into()))
    );
    assert!(
        Rejection::UnsupportedAudioCodec("adpcm_ima_wav".into())
            .to_string()
            .contains("`adpcm_ima_wav`")
    );
    // A stream ffprobe cannot name is refused too.
    let json = r#"{"streams":[{"index":0,"codec_type":"video","width":64,"height":48}],
        "format":{"format_name":"avi"}}"#;
    assert_eq!(
        summary(json),
        Err(Rejection::UnsupportedVideoCodec("unknown".into()))
    );
    // The cover picture (png) is not the video: it is not checked against video codecs.
    assert!(summary(include_str!("../fixtures/withcover-mp3.json")).is_ok());
}

#[test]
fn empty_or_broken_output_is_unreadable() {
    assert_eq!(summary("{\n\n}"), Err(Rejection::Unreadable));
    assert_eq!(summary("not json"), Err(Rejection::Unreadable));
    assert_eq!(
        summary(r#"{"streams":[{"index":0,"codec_type":"data"}],"format":{"format_name":"mp3"}}"#),
        Err(Rejection::NoMediaStreams)
    );
}

#[test]
fn giant_pictures_are_refused_before_decoding() {
    let json = r#"{"streams":[{"index":0,"codec_type":"video","codec_name":"png","width":30000,"height":30000}],
        "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}"#;
    assert_eq!(
        summary(json),
        Err(Rejection::PictureTooLarge {
            width: 30000,
            height: 30000
        })
    );
}

#[test]
fn a_video_track_without_a_readable_picture_size_is_refused() {
    // What ffprobe says of a Motion-JPEG AVI whose frames claim 65535×65535.
    for size in [r#""width":0,"height":0"#, r#""width":64"#] {
        let json = format!(
            r#"{{"streams":[{{"index":0,"codec_type":"video","codec_name":"mjpeg",{size}}}],
            "format":{{"format_name":"avi","duration":"1.0"}}}}"#
        );
        assert_eq!(summary(&json), Err(Rejection::NoPictureSize), "{size}");
    }
}

#[test]
fn matroska_is_webm_only_with_webm_codecs() {
    let tags = Default::default();
    assert_eq!(
        content_type(
            "matroska",
            MediaKind::Video,
            Some("vp9"),
            Some("opus"),
            &tags
        ),
        "video/webm"
    );
    assert_eq!(
        content_type(
            "matroska",
            MediaKind::Video,
            Some("h264"),
            Some("aac"),
            &tags
        ),
        "video/x-matroska"
    );
}

#[test]
fn probe_arguments_pin_the_protocol_and_demuxers() {
    let args = args(Path::new("/data/x"));
    let text: Vec<_> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert!(
        text.windows(2)
            .any(|w| w == ["-protocol_whitelist", "file"])
    );
    assert!(
        text.iter()
            .any(|a| a.contains("matroska") && !a.contains("hls"))
    );
    assert_eq!(text.last().map(String::as_str), Some("file:/data/x"));
}
