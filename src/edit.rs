//! Edits a person asks for on the media page: the typed requests (shared by
//! browser and server) and their server functions. Every edit makes a new
//! library item from the source's playable file and runs as a job.

use serde::{Deserialize, Serialize};

/// What to make from an item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum EditRequest {
    /// Keep `start_secs..end_secs` as a new item.
    Trim {
        start_secs: f64,
        end_secs: f64,
        mode: CutMode,
    },
    /// The whole item in another format, optionally scaled down (video).
    Export {
        format: ExportFormat,
        height: Option<ExportHeight>,
    },
    /// A video's sound as a new audio item.
    ExtractAudio { format: ExportFormat },
    /// Two-pass EBU R128 loudness normalisation (audio).
    Normalize { target: LoudnessTarget },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutMode {
    /// Stream copy from a keyframe: instant, no quality loss, but the start
    /// must sit on a keyframe.
    Fast,
    /// Re-encodes so the cut lands on the exact frame.
    Exact,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Mp3,
    Opus,
    M4a,
    Flac,
    Wav,
    Mp4,
    Webm,
}

impl ExportFormat {
    pub const AUDIO: [ExportFormat; 5] = [
        ExportFormat::Mp3,
        ExportFormat::Opus,
        ExportFormat::M4a,
        ExportFormat::Flac,
        ExportFormat::Wav,
    ];
    pub const VIDEO: [ExportFormat; 2] = [ExportFormat::Mp4, ExportFormat::Webm];

    pub fn is_video(self) -> bool {
        matches!(self, ExportFormat::Mp4 | ExportFormat::Webm)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Mp3 => "MP3",
            ExportFormat::Opus => "Opus",
            ExportFormat::M4a => "AAC (M4A)",
            ExportFormat::Flac => "FLAC",
            ExportFormat::Wav => "WAV",
            ExportFormat::Mp4 => "MP4 (H.264/AAC)",
            ExportFormat::Webm => "WebM (VP9/Opus)",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Mp3 => "mp3",
            ExportFormat::Opus => "opus",
            ExportFormat::M4a => "m4a",
            ExportFormat::Flac => "flac",
            ExportFormat::Wav => "wav",
            ExportFormat::Mp4 => "mp4",
            ExportFormat::Webm => "webm",
        }
    }
}

/// Heights a video export may be scaled down to (never up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportHeight {
    #[serde(rename = "1080")]
    P1080,
    #[serde(rename = "720")]
    P720,
    #[serde(rename = "480")]
    P480,
}

impl ExportHeight {
    pub const ALL: [ExportHeight; 3] =
        [ExportHeight::P1080, ExportHeight::P720, ExportHeight::P480];

    pub fn pixels(self) -> u32 {
        match self {
            ExportHeight::P1080 => 1080,
            ExportHeight::P720 => 720,
            ExportHeight::P480 => 480,
        }
    }
}

/// Integrated loudness targets people choose from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoudnessTarget {
    /// −14 LUFS: music streaming services.
    Streaming,
    /// −16 LUFS: podcasts and spoken word.
    Podcast,
    /// −23 LUFS: EBU R128 broadcast.
    Broadcast,
}

impl LoudnessTarget {
    pub const ALL: [LoudnessTarget; 3] = [
        LoudnessTarget::Streaming,
        LoudnessTarget::Podcast,
        LoudnessTarget::Broadcast,
    ];

    pub fn lufs(self) -> f64 {
        match self {
            LoudnessTarget::Streaming => -14.0,
            LoudnessTarget::Podcast => -16.0,
            LoudnessTarget::Broadcast => -23.0,
        }
    }
}

/// What the trim controls need to know to offer a fast cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CutPoints {
    /// Seconds of the playable file's keyframes (every frame, for most audio).
    pub keyframes: Vec<f64>,
    /// True when every position is a cut point (audio): fast cuts anywhere.
    pub anywhere: bool,
}
