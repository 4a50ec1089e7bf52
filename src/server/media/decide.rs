//! Whether the original plays in browsers as it is, and if not, how to make a
//! copy that does: from codec, pixel format, container, frame rate and where
//! the MP4 index sits, never from the codec alone.
//!
//! The target is what Chrome, Firefox and Safari all play: H.264 8-bit 4:2:0
//! with AAC (or MP3) in an MP4 whose index comes first. WebM with WebM codecs
//! and the common audio files (MP3, AAC, M4A, Ogg/WebM Opus or Vorbis, FLAC,
//! 16-bit WAV) play as they are. Each stream is judged on its own: a good
//! H.264 stream is copied even when the sound must be re-encoded.

use serde::{Deserialize, Serialize};

use super::ProbeSummary;
use crate::model::MediaKind;

/// The highest frame rate a playable copy keeps; faster video is re-encoded
/// at this rate.
pub const MAX_PLAYABLE_FPS: u32 = 60;
/// 59.94 and 60.0 pass; 60.5 and up do not.
const FPS_TOLERANCE: f64 = 0.5;

/// What the playable-version job does; stored with the job as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "plan", rename_all = "lowercase")]
pub enum PlayablePlan {
    /// The original plays in browsers: no job.
    Original,
    /// A new file is needed.
    Convert(Conversion),
}

/// How the playable copy is made. Stored as JSON: fields are only ever added
/// (with `#[serde(default)]`), never renamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// True when every stream is copied and only the container or index moves.
    pub remux_only: bool,
    pub output: OutputFormat,
    /// `None`: the copy has no picture (audio files; cover art is left out).
    pub video: Option<VideoAction>,
    /// `None`: the original has no sound.
    pub audio: Option<AudioAction>,
    /// Why the original does not play as it is.
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

/// The container written. Both are MP4 files with the index first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Video: `video/mp4`.
    Mp4,
    /// Sound only: `audio/mp4`.
    M4a,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum VideoAction {
    /// The stream is H.264 browsers play: copied bit for bit.
    Copy,
    /// Re-encoded to H.264 yuv420p with even dimensions, at no more than
    /// `max_fps` frames per second when set.
    H264 { max_fps: Option<u32> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AudioAction {
    /// AAC or MP3: copied bit for bit.
    Copy,
    /// Re-encoded to AAC with this many channels (1 or 2; more are mixed down).
    Aac { channels: u32 },
}

/// One reason the original is not served as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The container is not one browsers play (AVI, Matroska with H.264, MPEG-TS, QuickTime...).
    Container,
    /// An MP4 whose index comes after the media data.
    IndexAtEnd,
    VideoCodec,
    /// Chroma other than 4:2:0 (4:2:2, 4:4:4, RGB...).
    PixelFormat,
    /// More than 8 bits per sample.
    BitDepth,
    /// More than `MAX_PLAYABLE_FPS` frames per second.
    FrameRate,
    AudioCodec,
}

impl PlayablePlan {
    pub fn is_original(&self) -> bool {
        matches!(self, PlayablePlan::Original)
    }
}

impl Conversion {
    /// True when a stream is re-encoded (slow); false for a remux (fast).
    pub fn transcodes(&self) -> bool {
        !self.remux_only
    }

    pub fn content_type(&self) -> &'static str {
        match self.output {
            OutputFormat::Mp4 => "video/mp4",
            OutputFormat::M4a => "audio/mp4",
        }
    }

    pub fn extension(&self) -> &'static str {
        match self.output {
            OutputFormat::Mp4 => "mp4",
            OutputFormat::M4a => "m4a",
        }
    }

    fn new(
        output: OutputFormat,
        video: Option<VideoAction>,
        audio: Option<AudioAction>,
        reasons: Vec<Reason>,
    ) -> Self {
        let remux_only = video.is_none_or(|v| v == VideoAction::Copy)
            && audio.is_none_or(|a| a == AudioAction::Copy);
        Conversion {
            remux_only,
            output,
            video,
            audio,
            reasons,
        }
    }
}

pub fn decide(probe: &ProbeSummary) -> PlayablePlan {
    match probe.kind {
        MediaKind::Video => decide_video(probe),
        MediaKind::Audio => decide_audio(probe),
    }
}

pub fn is_mov_family(demuxer: &str) -> bool {
    matches!(demuxer, "mov" | "mp4" | "m4a" | "3gp" | "3g2" | "mj2")
}

fn too_fast(probe: &ProbeSummary) -> bool {
    probe
        .frame_rate
        .is_some_and(|fps| fps > f64::from(MAX_PLAYABLE_FPS) + FPS_TOLERANCE)
}

/// What stops the video stream from being copied into an MP4 as it is.
fn video_problems(probe: &ProbeSummary) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if probe.video_codec.as_deref() != Some("h264") {
        reasons.push(Reason::VideoCodec);
    }
    match probe.pixel_format.as_deref() {
        Some("yuv420p" | "yuvj420p") => {}
        Some(other) if other.starts_with("yuv420p") || other.starts_with("yuvj420p") => {
            reasons.push(Reason::BitDepth)
        }
        _ => reasons.push(Reason::PixelFormat),
    }
    if probe.bit_depth.is_some_and(|b| b > 8) && !reasons.contains(&Reason::BitDepth) {
        reasons.push(Reason::BitDepth);
    }
    if too_fast(probe) {
        reasons.push(Reason::FrameRate);
    }
    reasons
}

/// VP8, VP9 (profile 0) and AV1 (main) as WebM carries them.
fn webm_video_plays(probe: &ProbeSummary) -> bool {
    let pix = probe.pixel_format.as_deref();
    let stream_ok = match probe.video_codec.as_deref() {
        Some("vp8" | "vp9") => pix == Some("yuv420p"),
        Some("av1") => matches!(pix, Some("yuv420p" | "yuv420p10le")),
        _ => false,
    };
    stream_ok && !too_fast(probe)
}

fn audio_action(probe: &ProbeSummary, copy_ok: &[&str]) -> Option<AudioAction> {
    let codec = probe.audio_codec.as_deref()?;
    if copy_ok.contains(&codec) {
        Some(AudioAction::Copy)
    } else {
        Some(AudioAction::Aac {
            channels: probe.audio_channels.unwrap_or(2).clamp(1, 2),
        })
    }
}

fn decide_video(probe: &ProbeSummary) -> PlayablePlan {
    let mp4 = is_mov_family(&probe.demuxer) && probe.content_type == "video/mp4";
    let webm = probe.content_type == "video/webm";
    let indexed_first = probe.faststart == Some(true);
    let mp4_audio_plays = matches!(probe.audio_codec.as_deref(), None | Some("aac" | "mp3"));
    let mut reasons = video_problems(probe);

    if mp4 && indexed_first && reasons.is_empty() && mp4_audio_plays {
        return PlayablePlan::Original;
    }
    if webm && webm_video_plays(probe) {
        // `video/webm` already means Opus, Vorbis or no sound.
        return PlayablePlan::Original;
    }

    let video = if reasons.is_empty() {
        VideoAction::Copy
    } else {
        VideoAction::H264 {
            max_fps: too_fast(probe).then_some(MAX_PLAYABLE_FPS),
        }
    };
    let audio = audio_action(probe, &["aac", "mp3"]);
    if matches!(audio, Some(AudioAction::Aac { .. })) {
        reasons.push(Reason::AudioCodec);
    }
    if mp4 && !indexed_first {
        reasons.push(Reason::IndexAtEnd);
    } else if !mp4 && !webm {
        reasons.push(Reason::Container);
    }
    PlayablePlan::Convert(Conversion::new(
        OutputFormat::Mp4,
        Some(video),
        audio,
        reasons,
    ))
}

fn decide_audio(probe: &ProbeSummary) -> PlayablePlan {
    let codec = probe.audio_codec.as_deref().unwrap_or("");
    let m4a = is_mov_family(&probe.demuxer) && probe.content_type == "audio/mp4";
    let plays_as_is = match (probe.demuxer.as_str(), codec) {
        ("mp3", "mp3") | ("aac", "aac") | ("flac", "flac") => true,
        ("ogg" | "matroska" | "webm", "opus" | "vorbis") => true,
        ("wav", "pcm_s16le" | "pcm_u8" | "pcm_f32le") => true,
        (_, "aac" | "mp3") if m4a => probe.faststart == Some(true),
        _ => false,
    };
    if plays_as_is {
        return PlayablePlan::Original;
    }
    let audio = audio_action(probe, &["aac", "mp3"]);
    let mut reasons = Vec::new();
    match audio {
        Some(AudioAction::Aac { .. }) => reasons.push(Reason::AudioCodec),
        _ if m4a => reasons.push(Reason::IndexAtEnd),
        _ => reasons.push(Reason::Container),
    }
    PlayablePlan::Convert(Conversion::new(OutputFormat::M4a, None, audio, reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A browser-ready MP4 to start each case from.
    fn mp4() -> ProbeSummary {
        ProbeSummary {
            kind: MediaKind::Video,
            demuxer: "mov".into(),
            content_type: "video/mp4".into(),
            duration_secs: Some(10.0),
            width: Some(1280),
            height: Some(720),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            cover_stream: None,
            pixel_format: Some("yuv420p".into()),
            frame_rate: Some(30.0),
            bit_depth: Some(8),
            audio_channels: Some(2),
            faststart: Some(true),
        }
    }

    fn audio(demuxer: &str, content_type: &str, codec: &str) -> ProbeSummary {
        ProbeSummary {
            kind: MediaKind::Audio,
            demuxer: demuxer.into(),
            content_type: content_type.into(),
            width: None,
            height: None,
            video_codec: None,
            audio_codec: Some(codec.into()),
            pixel_format: None,
            frame_rate: None,
            bit_depth: None,
            faststart: None,
            ..mp4()
        }
    }

    fn container(p: ProbeSummary, demuxer: &str, content_type: &str) -> ProbeSummary {
        ProbeSummary {
            demuxer: demuxer.into(),
            content_type: content_type.into(),
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
                    p.audio_codec = Some("mp3".into());
                }),
                Original,
            ),
            ("no sound", with(&|p| p.audio_codec = None), Original),
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
                    with(&|p| p.audio_codec = Some("mp3".into())),
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
                        p.audio_codec = Some("ac3".into());
                        p.audio_channels = Some(6);
                    }),
                    "matroska",
                    "video/x-matroska",
                ),
                convert(Mp4, COPY, STEREO, &[AudioCodec, Container]),
            ),
            (
                "h264 + opus in mp4: copy video, aac sound",
                with(&|p| p.audio_codec = Some("opus".into())),
                convert(Mp4, COPY, STEREO, &[AudioCodec]),
            ),
            (
                "h264 + mono pcm in mov: stays mono",
                with(&|p| {
                    p.audio_codec = Some("pcm_s16le".into());
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
                with(&|p| p.video_codec = Some("hevc".into())),
                convert(Mp4, H264, A_COPY, &[VideoCodec]),
            ),
            (
                "hevc 10-bit",
                with(&|p| {
                    p.video_codec = Some("hevc".into());
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
                        p.video_codec = Some("mpeg4".into());
                        p.audio_codec = Some("mp3".into());
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
                        p.video_codec = Some("vp9".into());
                        p.audio_codec = Some("opus".into());
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
                        p.video_codec = Some("vp9".into());
                        p.pixel_format = Some("yuv444p".into());
                        p.audio_codec = Some("opus".into());
                    }),
                    "matroska",
                    "video/webm",
                ),
                convert(Mp4, H264, STEREO, &[VideoCodec, PixelFormat, AudioCodec]),
            ),
            (
                "vp9 + aac in matroska: h264, aac copied",
                container(
                    with(&|p| p.video_codec = Some("vp9".into())),
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
            audio_codec: Some("ac3".into()),
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
            video_codec: Some("hevc".into()),
            audio_codec: Some("eac3".into()),
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
}
