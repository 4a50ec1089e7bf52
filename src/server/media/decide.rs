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
pub(crate) const MAX_PLAYABLE_FPS: u32 = 60;
/// 59.94 and 60.0 pass; 60.5 and up do not.
const FPS_TOLERANCE: f64 = 0.5;

/// What the playable-version job does; stored with the job as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "plan", rename_all = "lowercase")]
pub(crate) enum PlayablePlan {
    /// The original plays in browsers: no job.
    Original,
    /// A new file is needed.
    Convert(Conversion),
}

/// How the playable copy is made. Stored as JSON: fields are only ever added
/// (with `#[serde(default)]`), never renamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Conversion {
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
pub(crate) enum OutputFormat {
    /// Video: `video/mp4`.
    Mp4,
    /// Sound only: `audio/mp4`.
    M4a,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum VideoAction {
    /// The stream is H.264 browsers play: copied bit for bit.
    Copy,
    /// Re-encoded to H.264 yuv420p with even dimensions, at no more than
    /// `max_fps` frames per second when set.
    H264 { max_fps: Option<u32> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum AudioAction {
    /// AAC or MP3: copied bit for bit.
    Copy,
    /// Re-encoded to AAC with this many channels (1 or 2; more are mixed down).
    Aac { channels: u32 },
}

/// One reason the original is not served as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reason {
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

impl Conversion {
    /// True when a stream is re-encoded (slow); false for a remux (fast).
    #[cfg(test)]
    pub(crate) fn transcodes(&self) -> bool {
        !self.remux_only
    }

    #[cfg(test)]
    pub(crate) fn content_type(&self) -> &'static str {
        match self.output {
            OutputFormat::Mp4 => "video/mp4",
            OutputFormat::M4a => "audio/mp4",
        }
    }

    #[cfg(test)]
    pub(crate) fn extension(&self) -> &'static str {
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

pub(crate) fn decide(probe: &ProbeSummary) -> PlayablePlan {
    match probe.facts.kind {
        MediaKind::Video => decide_video(probe),
        MediaKind::Audio => decide_audio(probe),
    }
}

pub(crate) fn is_mov_family(demuxer: &str) -> bool {
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
    if probe.facts.video_codec.as_deref() != Some("h264") {
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
    let stream_ok = match probe.facts.video_codec.as_deref() {
        Some("vp8" | "vp9") => pix == Some("yuv420p"),
        Some("av1") => matches!(pix, Some("yuv420p" | "yuv420p10le")),
        _ => false,
    };
    stream_ok && !too_fast(probe)
}

fn audio_action(probe: &ProbeSummary, copy_ok: &[&str]) -> Option<AudioAction> {
    let codec = probe.facts.audio_codec.as_deref()?;
    if copy_ok.contains(&codec) {
        Some(AudioAction::Copy)
    } else {
        Some(AudioAction::Aac {
            channels: probe.audio_channels.unwrap_or(2).clamp(1, 2),
        })
    }
}

fn decide_video(probe: &ProbeSummary) -> PlayablePlan {
    let mp4 = is_mov_family(&probe.facts.container) && probe.facts.content_type == "video/mp4";
    let webm = probe.facts.content_type == "video/webm";
    let indexed_first = probe.faststart == Some(true);
    let mp4_audio_plays = matches!(
        probe.facts.audio_codec.as_deref(),
        None | Some("aac" | "mp3")
    );
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
    let codec = probe.facts.audio_codec.as_deref().unwrap_or("");
    let m4a = is_mov_family(&probe.facts.container) && probe.facts.content_type == "audio/mp4";
    let plays_as_is = match (probe.facts.container.as_str(), codec) {
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
mod tests;
