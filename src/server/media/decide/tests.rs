//! Unit tests of `decide`, kept apart so the module reads in one sitting.

use super::*;
use crate::server::domain::MediaFacts;

/// A browser-ready MP4 to start each case from.
fn mp4() -> ProbeSummary {
    ProbeSummary {
        facts: MediaFacts {
            kind: MediaKind::Video,
            container: "mov".into(),
            content_type: "video/mp4".into(),
            duration_secs: Some(10.0),
            width: Some(1280),
            height: Some(720),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            cover_stream: None,
        },
        pixel_format: Some("yuv420p".into()),
        frame_rate: Some(30.0),
        bit_depth: Some(8),
        audio_channels: Some(2),
        faststart: Some(true),
        video_bit_rate: None,
        described: Default::default(),
    }
}

fn audio(demuxer: &str, content_type: &str, codec: &str) -> ProbeSummary {
    ProbeSummary {
        facts: MediaFacts {
            kind: MediaKind::Audio,
            container: demuxer.into(),
            content_type: content_type.into(),
            width: None,
            height: None,
            video_codec: None,
            audio_codec: Some(codec.into()),
            ..(mp4()).facts
        },
        pixel_format: None,
        frame_rate: None,
        bit_depth: None,
        faststart: None,
        ..mp4()
    }
}

fn container(p: ProbeSummary, demuxer: &str, content_type: &str) -> ProbeSummary {
    ProbeSummary {
        facts: MediaFacts {
            container: demuxer.into(),
            content_type: content_type.into(),
            ..p.facts
        },
        faststart: None,
        ..p
    }
}

const COPY: Option<VideoAction> = Some(VideoAction::Copy);
const H264: Option<VideoAction> = Some(VideoAction::H264 { max_fps: None });
const A_COPY: Option<AudioAction> = Some(AudioAction::Copy);
const STEREO: Option<AudioAction> = Some(AudioAction::Aac { channels: 2 });

fn convert(
    output: OutputFormat,
    video: Option<VideoAction>,
    audio: Option<AudioAction>,
    reasons: &[Reason],
) -> PlayablePlan {
    PlayablePlan::Convert(Conversion::new(output, video, audio, reasons.to_vec()))
}

#[test]
fn decision_table() {
    use OutputFormat::{M4a, Mp4};
    use PlayablePlan::Original;
    use Reason::*;

    let with = |f: &dyn Fn(&mut ProbeSummary)| {
        let mut p = mp4();
        f(&mut p);
        p
    };
    let cases: Vec<(&str, ProbeSummary, PlayablePlan)> = vec![
        ("browser-ready mp4", mp4(), Original),
        (
            "full-range yuvj420p, mp3, silent",
            with(&|p| {
                p.pixel_format = Some("yuvj420p".into());
                p.facts.audio_codec = Some("mp3".into());
            }),
            Original,
        ),
        ("no sound", with(&|p| p.facts.audio_codec = None), Original),
        (
            "index at the end: remux",
            with(&|p| p.faststart = Some(false)),
            convert(Mp4, COPY, A_COPY, &[IndexAtEnd]),
        ),
        (
            "index position unknown: remux",
            with(&|p| p.faststart = None),
            convert(Mp4, COPY, A_COPY, &[IndexAtEnd]),
        ),
        (
            "h264 in matroska: remux",
            container(mp4(), "matroska", "video/x-matroska"),
            convert(Mp4, COPY, A_COPY, &[Container]),
        ),
        (
            "h264 + mp3 in avi: remux",
            container(
                with(&|p| p.facts.audio_codec = Some("mp3".into())),
                "avi",
                "video/x-msvideo",
            ),
            convert(Mp4, COPY, A_COPY, &[Container]),
        ),
        (
            "h264 in quicktime (brand qt): remux",
            container(mp4(), "mov", "video/quicktime"),
            convert(Mp4, COPY, A_COPY, &[Container]),
        ),
        (
            "h264 + ac3 5.1 in matroska: copy video, stereo aac",
            container(
                with(&|p| {
                    p.facts.audio_codec = Some("ac3".into());
                    p.audio_channels = Some(6);
                }),
                "matroska",
                "video/x-matroska",
            ),
            convert(Mp4, COPY, STEREO, &[AudioCodec, Container]),
        ),
        (
            "h264 + opus in mp4: copy video, aac sound",
            with(&|p| p.facts.audio_codec = Some("opus".into())),
            convert(Mp4, COPY, STEREO, &[AudioCodec]),
        ),
        (
            "h264 + mono pcm in mov: stays mono",
            with(&|p| {
                p.facts.audio_codec = Some("pcm_s16le".into());
                p.audio_channels = Some(1);
            }),
            convert(
                Mp4,
                COPY,
                Some(AudioAction::Aac { channels: 1 }),
                &[AudioCodec],
            ),
        ),
        (
            "hevc in mp4: transcode video, copy aac",
            with(&|p| p.facts.video_codec = Some("hevc".into())),
            convert(Mp4, H264, A_COPY, &[VideoCodec]),
        ),
        (
            "hevc 10-bit",
            with(&|p| {
                p.facts.video_codec = Some("hevc".into());
                p.pixel_format = Some("yuv420p10le".into());
                p.bit_depth = Some(10);
            }),
            convert(Mp4, H264, A_COPY, &[VideoCodec, BitDepth]),
        ),
        (
            "h264 10-bit",
            with(&|p| {
                p.pixel_format = Some("yuv420p10le".into());
                p.bit_depth = Some(10);
            }),
            convert(Mp4, H264, A_COPY, &[BitDepth]),
        ),
        (
            "h264 4:4:4",
            with(&|p| p.pixel_format = Some("yuv444p".into())),
            convert(Mp4, H264, A_COPY, &[PixelFormat]),
        ),
        (
            "h264 4:2:2 in matroska",
            container(
                with(&|p| p.pixel_format = Some("yuv422p".into())),
                "matroska",
                "video/x-matroska",
            ),
            convert(Mp4, H264, A_COPY, &[PixelFormat, Container]),
        ),
        (
            "h264 at 120 fps: capped at 60",
            with(&|p| p.frame_rate = Some(120.0)),
            convert(
                Mp4,
                Some(VideoAction::H264 { max_fps: Some(60) }),
                A_COPY,
                &[FrameRate],
            ),
        ),
        (
            "59.94 fps is fine",
            with(&|p| p.frame_rate = Some(60000.0 / 1001.0)),
            Original,
        ),
        (
            "mpeg-4 part 2 + mp3 in avi",
            container(
                with(&|p| {
                    p.facts.video_codec = Some("mpeg4".into());
                    p.facts.audio_codec = Some("mp3".into());
                }),
                "avi",
                "video/x-msvideo",
            ),
            convert(Mp4, H264, A_COPY, &[VideoCodec, Container]),
        ),
        (
            "vp9 + opus webm plays",
            container(
                with(&|p| {
                    p.facts.video_codec = Some("vp9".into());
                    p.facts.audio_codec = Some("opus".into());
                }),
                "matroska",
                "video/webm",
            ),
            Original,
        ),
        (
            "vp9 4:4:4 webm: transcode everything",
            container(
                with(&|p| {
                    p.facts.video_codec = Some("vp9".into());
                    p.pixel_format = Some("yuv444p".into());
                    p.facts.audio_codec = Some("opus".into());
                }),
                "matroska",
                "video/webm",
            ),
            convert(Mp4, H264, STEREO, &[VideoCodec, PixelFormat, AudioCodec]),
        ),
        (
            "vp9 + aac in matroska: h264, aac copied",
            container(
                with(&|p| p.facts.video_codec = Some("vp9".into())),
                "matroska",
                "video/x-matroska",
            ),
            convert(Mp4, H264, A_COPY, &[VideoCodec, Container]),
        ),
        ("mp3", audio("mp3", "audio/mpeg", "mp3"), Original),
        ("adts aac", audio("aac", "audio/aac", "aac"), Original),
        (
            "m4a indexed first",
            ProbeSummary {
                faststart: Some(true),
                ..audio("mov", "audio/mp4", "aac")
            },
            Original,
        ),
        (
            "m4a index at the end: remux",
            ProbeSummary {
                faststart: Some(false),
                ..audio("mov", "audio/mp4", "aac")
            },
            convert(M4a, None, A_COPY, &[IndexAtEnd]),
        ),
        ("opus in ogg", audio("ogg", "audio/ogg", "opus"), Original),
        (
            "vorbis in webm",
            audio("matroska", "audio/webm", "vorbis"),
            Original,
        ),
        ("flac", audio("flac", "audio/flac", "flac"), Original),
        (
            "16-bit wav",
            audio("wav", "audio/wav", "pcm_s16le"),
            Original,
        ),
        (
            "24-bit wav: aac",
            audio("wav", "audio/wav", "pcm_s24le"),
            convert(M4a, None, STEREO, &[AudioCodec]),
        ),
        (
            "alac in m4a: aac",
            ProbeSummary {
                faststart: Some(true),
                ..audio("mov", "audio/mp4", "alac")
            },
            convert(M4a, None, STEREO, &[AudioCodec]),
        ),
        (
            "5.1 ac3: stereo aac",
            ProbeSummary {
                audio_channels: Some(6),
                ..audio("matroska", "audio/x-matroska", "ac3")
            },
            convert(M4a, None, STEREO, &[AudioCodec]),
        ),
        (
            "wma: aac",
            audio("asf", "audio/x-ms-wma", "wmav2"),
            convert(M4a, None, STEREO, &[AudioCodec]),
        ),
        (
            "aac in matroska: remux to m4a",
            audio("matroska", "audio/x-matroska", "aac"),
            convert(M4a, None, A_COPY, &[Container]),
        ),
        (
            "flac in ogg: aac",
            audio("ogg", "audio/ogg", "flac"),
            convert(M4a, None, STEREO, &[AudioCodec]),
        ),
    ];
    for (name, probe, expected) in cases {
        assert_eq!(decide(&probe), expected, "{name}");
    }
}

#[test]
fn remux_only_means_every_stream_is_copied() {
    let PlayablePlan::Convert(remux) = decide(&ProbeSummary {
        faststart: Some(false),
        ..mp4()
    }) else {
        panic!("a remux")
    };
    assert!(remux.remux_only && !remux.transcodes());
    assert_eq!(
        (remux.content_type(), remux.extension()),
        ("video/mp4", "mp4")
    );

    let PlayablePlan::Convert(audio_only) = decide(&ProbeSummary {
        facts: MediaFacts {
            audio_codec: Some("ac3".into()),
            ..(mp4()).facts
        },
        ..mp4()
    }) else {
        panic!("a conversion")
    };
    assert!(
        !audio_only.remux_only,
        "re-encoding the sound is a transcode"
    );
}

#[test]
fn plans_round_trip_through_stable_json() {
    let plan = decide(&ProbeSummary {
        facts: MediaFacts {
            video_codec: Some("hevc".into()),
            audio_codec: Some("eac3".into()),
            ..(mp4()).facts
        },
        frame_rate: Some(120.0),
        ..mp4()
    });
    let json = serde_json::to_value(&plan).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({
            "plan": "convert",
            "remux_only": false,
            "output": "mp4",
            "video": {"action": "h264", "max_fps": 60},
            "audio": {"action": "aac", "channels": 2},
            "reasons": ["video_codec", "frame_rate", "audio_codec"],
        })
    );
    let back: PlayablePlan = serde_json::from_value(json).expect("parses");
    assert_eq!(back, plan);
    assert_eq!(
        serde_json::to_value(PlayablePlan::Original).expect("serialises"),
        serde_json::json!({"plan": "original"})
    );
    // Rows written before `reasons` existed still parse.
    let old: PlayablePlan = serde_json::from_str(
        r#"{"plan":"convert","remux_only":true,"output":"m4a","video":null,"audio":{"action":"copy"}}"#,
    )
    .expect("parses");
    assert!(matches!(old, PlayablePlan::Convert(c) if c.remux_only && c.reasons.is_empty()));
}
