//! Edits with ffmpeg: validating a requested trim, export, audio extraction
//! or loudness normalisation against the source's facts (`plan_edit`), and
//! running it (`Media::run_edit`).
//!
//! The source is always the item's playable file, so the times a person
//! picks in the player are the times cut here. Choices made here:
//! - a height is only ever a reduction: asking for the source's height or
//!   more is refused with a message (nothing is silently ignored);
//! - loudness normalisation is for audio items; a video is refused (extract
//!   its sound first);
//! - a fast cut must start on a keyframe (within 1 ms); audio codecs whose
//!   every packet is a cut point (MP3, AAC, Opus, Vorbis, FLAC, PCM) can be
//!   cut fast anywhere, at packet granularity.

mod args;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::args::{AudioCodec, AudioOut, Container, Encode, VideoCodec, VideoOut};
use super::decide::is_mov_family;
use super::loudness::{self, Loudness};
use super::process::{ProcessError, Tool};
use super::transcode::ProgressParser;
use super::{Media, MediaError, ProbeSummary};
use crate::edit::{CutMode, CutPoints, EditRequest, ExportFormat, ExportHeight};
use crate::model::MediaKind;

/// The file an edit reads (the item's playable file) and its facts.
#[derive(Clone, Debug)]
pub struct EditSource<'a> {
    pub input: &'a Path,
    /// The demuxer of `input`, forced with `-f`.
    pub demuxer: &'a str,
    pub kind: MediaKind,
    pub duration_secs: f64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_audio: bool,
}

/// A validated edit; stored with its job as JSON. Fields are only ever
/// added (with `#[serde(default)]`), never renamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditPlan {
    /// The request as validated (a trim's end clamped to the duration).
    pub request: EditRequest,
    /// What the new item is.
    pub output_kind: MediaKind,
    /// The new item's file extension (for its file name).
    pub extension: String,
    /// What a person reads about the new item, e.g. "Trimmed 0:10.0–0:20.0 (fast cut, no re-encode)".
    pub summary: String,
    /// Fast cuts of video: the keyframe the cut starts on, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyframe_secs: Option<f64>,
    /// Fast cuts: how much longer than asked the copy may come out (the
    /// longest keyframe interval; a packet for audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_secs: Option<f64>,
}

/// Why an edit is refused; the text is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditRefusal {
    #[error("{0}")]
    Invalid(String),
}

/// What running an edit learned, added to the new item's summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EditResult {
    /// E.g. "Loudness −23.4 LUFS → −16.0 LUFS"; empty when there is nothing to add.
    pub note: String,
}

/// The shortest part a trim keeps.
pub const MIN_TRIM_SECS: f64 = 0.1;
/// How far past the probed duration an end may be (players round).
const END_TOLERANCE_SECS: f64 = 0.05;
/// How close to a keyframe a fast cut must start.
pub const KEYFRAME_TOLERANCE_SECS: f64 = 0.001;
/// Fast audio cuts land on a packet: at most this much more is kept.
const AUDIO_PACKET_SLACK_SECS: f64 = 0.25;
/// Exact audio trims come out within this of the request.
const AUDIO_EXACT_TOLERANCE_SECS: f64 = 0.03;
/// Reading every packet header of a long file.
const CUT_POINTS_LIMIT: Duration = Duration::from_secs(120);
/// Audio codecs in which every packet starts independently decodable sound.
const CUT_ANYWHERE_CODECS: &[&str] = &["mp3", "aac", "opus", "vorbis", "flac"];

fn refuse(text: impl Into<String>) -> EditRefusal {
    EditRefusal::Invalid(text.into())
}

/// Validates `request` against `source`. `cut_points` (from
/// `Media::cut_points`) is needed for fast cuts of video.
pub fn plan_edit(
    source: &EditSource<'_>,
    request: &EditRequest,
    cut_points: Option<&CutPoints>,
) -> Result<EditPlan, EditRefusal> {
    let (_, extension) = output_container(source, request)?;
    let mut plan = EditPlan {
        request: request.clone(),
        output_kind: source.kind,
        extension: extension.to_string(),
        summary: String::new(),
        keyframe_secs: None,
        slack_secs: None,
    };
    match *request {
        EditRequest::Trim {
            start_secs,
            end_secs,
            mode,
        } => {
            let (start, end) = check_range(source, start_secs, end_secs)?;
            plan.request = EditRequest::Trim {
                start_secs: start,
                end_secs: end,
                mode,
            };
            let how = match mode {
                CutMode::Fast => {
                    let (keyframe, slack) = fast_start(source, start, cut_points)?;
                    plan.keyframe_secs = keyframe;
                    plan.slack_secs = Some(slack);
                    if source.kind == MediaKind::Audio && source.demuxer == "flac" {
                        "fast cut, lossless"
                    } else {
                        "fast cut, no re-encode"
                    }
                }
                CutMode::Exact => "exact cut",
            };
            plan.summary = format!("Trimmed {}–{} ({how})", clock(start, 1), clock(end, 1));
        }
        EditRequest::Export { format, height } => {
            match (source.kind, format.is_video()) {
                (MediaKind::Video, false) => {
                    return Err(refuse(
                        "That is an audio format: to keep only the sound of a video, extract its audio.",
                    ));
                }
                (MediaKind::Audio, true) => {
                    return Err(refuse(format!(
                        "{} is a video format, and this item is audio.",
                        format.label()
                    )));
                }
                _ => {}
            }
            if let Some(height) = height {
                check_height(source, height)?;
            }
            plan.output_kind = if format.is_video() {
                MediaKind::Video
            } else {
                MediaKind::Audio
            };
            plan.summary = match height {
                Some(h) => format!("Exported as {}, {}p", format.label(), h.pixels()),
                None => format!("Exported as {}", format.label()),
            };
        }
        EditRequest::ExtractAudio { format } => {
            if source.kind != MediaKind::Video {
                return Err(refuse("This item is already audio: export it instead."));
            }
            if !source.has_audio {
                return Err(refuse("This video has no sound to extract."));
            }
            if format.is_video() {
                return Err(refuse(format!(
                    "{} is a video format: choose an audio format for the sound.",
                    format.label()
                )));
            }
            plan.output_kind = MediaKind::Audio;
            plan.summary = format!("Audio extracted as {}", format.label());
        }
        EditRequest::Normalize { target } => {
            if source.kind != MediaKind::Audio {
                return Err(refuse(
                    "Loudness normalisation is for audio items: extract this video's audio first, then normalise that.",
                ));
            }
            if !(source.duration_secs.is_finite() && source.duration_secs > 0.0) {
                return Err(refuse(
                    "This recording's length is unknown, so it cannot be normalised.",
                ));
            }
            plan.summary = format!(
                "Loudness normalised to {}",
                loudness::lufs_label(target.lufs()).replace(".0 LUFS", " LUFS")
            );
        }
    }
    Ok(plan)
}

/// The validated `(start, end)` of a trim, the end clamped to the duration.
fn check_range(source: &EditSource<'_>, start: f64, end: f64) -> Result<(f64, f64), EditRefusal> {
    let duration = source.duration_secs;
    if !(duration.is_finite() && duration > 0.0) {
        return Err(refuse(
            "This recording's length is unknown, so it cannot be trimmed.",
        ));
    }
    if !start.is_finite() || !end.is_finite() {
        return Err(refuse("The start and end must be times in the recording."));
    }
    if start < 0.0 {
        return Err(refuse("The start cannot be before the beginning."));
    }
    if end > duration + END_TOLERANCE_SECS {
        return Err(refuse(format!(
            "The end ({}) is past the end of the recording ({}).",
            clock(end, 3),
            clock(duration, 3)
        )));
    }
    let end = end.min(duration);
    if start >= duration {
        return Err(refuse(format!(
            "The start ({}) is at or past the end of the recording ({}).",
            clock(start, 3),
            clock(duration, 3)
        )));
    }
    if end == start {
        return Err(refuse(
            "The start and end are the same: there is nothing to keep.",
        ));
    }
    if end < start {
        return Err(refuse("The end comes before the start: swap them."));
    }
    if end - start < MIN_TRIM_SECS {
        return Err(refuse(format!(
            "The part to keep is too short: at least {MIN_TRIM_SECS} s."
        )));
    }
    Ok((start, end))
}

/// For a fast cut starting at `start`: the keyframe it starts on (video)
/// and how much longer than asked the copy may be.
fn fast_start(
    source: &EditSource<'_>,
    start: f64,
    cut_points: Option<&CutPoints>,
) -> Result<(Option<f64>, f64), EditRefusal> {
    let exact_instead = "choose an exact cut instead";
    let Some(points) = cut_points else {
        return match source.kind {
            // Every playable audio file is MP3, AAC, Opus, Vorbis, FLAC or PCM.
            MediaKind::Audio => Ok((None, AUDIO_PACKET_SLACK_SECS)),
            MediaKind::Video => Err(refuse(format!(
                "Reel does not know this video's keyframes: {exact_instead}."
            ))),
        };
    };
    if points.anywhere {
        return Ok((None, AUDIO_PACKET_SLACK_SECS));
    }
    if points.keyframes.is_empty() {
        return Err(refuse(format!(
            "This file cannot be cut without re-encoding: {exact_instead}."
        )));
    }
    let near = points
        .keyframes
        .iter()
        .copied()
        .find(|k| (k - start).abs() <= KEYFRAME_TOLERANCE_SECS);
    let Some(keyframe) = near else {
        let before = points.keyframes.iter().copied().rev().find(|k| *k < start);
        let after = points.keyframes.iter().copied().find(|k| *k > start);
        let nearest = match (before, after) {
            (Some(b), Some(a)) => format!("the nearest are at {} and {}", clock(b, 3), clock(a, 3)),
            (Some(b), None) => format!("the last one is at {}", clock(b, 3)),
            (None, Some(a)) => format!("the first one is at {}", clock(a, 3)),
            (None, None) => unreachable!("keyframes is not empty"),
        };
        return Err(refuse(format!(
            "A fast cut must start on a keyframe, and {} is not one: {nearest}. \
             Start on a keyframe, or {exact_instead}.",
            clock(start, 3)
        )));
    };
    Ok((
        Some(keyframe),
        longest_gop(&points.keyframes, source.duration_secs),
    ))
}

/// The longest stretch between keyframes (the last one runs to the end).
fn longest_gop(keyframes: &[f64], duration: f64) -> f64 {
    let ends = keyframes.iter().skip(1).copied().chain([duration]);
    keyframes
        .iter()
        .zip(ends)
        .map(|(a, b)| b - a)
        .fold(0.0, f64::max)
}

fn check_height(source: &EditSource<'_>, height: ExportHeight) -> Result<(), EditRefusal> {
    if source.kind != MediaKind::Video {
        return Err(refuse("Only a video can be exported at a smaller height."));
    }
    match source.height {
        Some(h) if height.pixels() < h => Ok(()),
        Some(h) => Err(refuse(format!(
            "This video is {h} pixels tall: it can be made smaller but not larger, \
             so {}p is not possible. Keep the original size or choose a smaller height.",
            height.pixels()
        ))),
        None => Err(refuse(
            "This video's size is unknown, so it cannot be scaled.",
        )),
    }
}

/// An audio file's own container, when Reel can write it; with its extension.
fn audio_family(demuxer: &str) -> Option<(Container, &'static str)> {
    Some(match demuxer {
        "mp3" => (Container::Mp3, "mp3"),
        "flac" => (Container::Flac, "flac"),
        "wav" => (Container::Wav, "wav"),
        "ogg" => (Container::Ogg, "ogg"),
        "aac" => (Container::Adts, "aac"),
        "matroska" | "webm" => (Container::Webm, "webm"),
        d if is_mov_family(d) => (Container::Mp4, "m4a"),
        _ => return None,
    })
}

fn format_container(format: ExportFormat) -> (Container, &'static str) {
    let container = match format {
        ExportFormat::Mp3 => Container::Mp3,
        ExportFormat::Opus => Container::Ogg,
        ExportFormat::M4a | ExportFormat::Mp4 => Container::Mp4,
        ExportFormat::Flac => Container::Flac,
        ExportFormat::Wav => Container::Wav,
        ExportFormat::Webm => Container::Webm,
    };
    (container, format.extension())
}

/// The container an edit writes and the new file's extension.
fn output_container(
    source: &EditSource<'_>,
    request: &EditRequest,
) -> Result<(Container, &'static str), EditRefusal> {
    let family = audio_family(source.demuxer);
    Ok(match (request, source.kind) {
        (
            EditRequest::Trim {
                mode: CutMode::Fast,
                ..
            },
            MediaKind::Video,
        ) => match source.demuxer {
            d if is_mov_family(d) => (Container::Mp4, "mp4"),
            "matroska" | "webm" => (Container::Webm, "webm"),
            _ => {
                return Err(refuse(
                    "This video's container cannot be cut without re-encoding: choose an exact cut.",
                ));
            }
        },
        (
            EditRequest::Trim {
                mode: CutMode::Exact,
                ..
            },
            MediaKind::Video,
        ) => (Container::Mp4, "mp4"),
        (
            EditRequest::Trim {
                mode: CutMode::Fast,
                ..
            },
            MediaKind::Audio,
        ) => family.ok_or_else(|| {
            refuse("This audio file cannot be cut without re-encoding: choose an exact cut.")
        })?,
        (EditRequest::Trim { .. } | EditRequest::Normalize { .. }, MediaKind::Audio) => {
            family.unwrap_or((Container::Mp4, "m4a"))
        }
        (EditRequest::Normalize { .. }, MediaKind::Video) => (Container::Mp4, "m4a"),
        (EditRequest::Export { format, .. } | EditRequest::ExtractAudio { format }, _) => {
            format_container(*format)
        }
    })
}

/// Stream facts read at run time: what the stored probe summary lacks.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SourceFacts {
    video_codec: Option<String>,
    audio_codec: Option<String>,
    sample_rate: Option<u32>,
    channels: Option<u32>,
    frame_rate: Option<f64>,
}

#[derive(Deserialize)]
struct FactsJson {
    #[serde(default)]
    streams: Vec<FactsStream>,
}

#[derive(Deserialize)]
struct FactsStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    #[serde(default)]
    disposition: Option<FactsDisposition>,
}

#[derive(Deserialize)]
struct FactsDisposition {
    #[serde(default)]
    attached_pic: u8,
}

impl SourceFacts {
    fn parse(json: &[u8]) -> Option<SourceFacts> {
        let parsed: FactsJson = serde_json::from_slice(json).ok()?;
        let video = parsed.streams.iter().find(|s| {
            s.codec_type.as_deref() == Some("video")
                && s.disposition.as_ref().is_none_or(|d| d.attached_pic == 0)
        });
        let audio = parsed
            .streams
            .iter()
            .find(|s| s.codec_type.as_deref() == Some("audio"));
        let rate = |s: &FactsStream| {
            s.avg_frame_rate
                .as_deref()
                .and_then(super::probe::parse_rate)
                .or_else(|| s.r_frame_rate.as_deref().and_then(super::probe::parse_rate))
                .filter(|r| *r <= super::probe::MAX_FRAME_RATE)
        };
        Some(SourceFacts {
            video_codec: video.and_then(|s| s.codec_name.clone()),
            audio_codec: audio.and_then(|s| s.codec_name.clone()),
            sample_rate: audio
                .and_then(|s| s.sample_rate.as_deref())
                .and_then(|r| r.parse().ok())
                .filter(|r| *r > 0),
            channels: audio.and_then(|s| s.channels).filter(|c| *c > 0),
            frame_rate: video.and_then(rate),
        })
    }

    /// One frame, in seconds (25 fps when unknown).
    fn frame_secs(&self) -> f64 {
        1.0 / self.frame_rate.unwrap_or(25.0)
    }
}

/// Collects keyframe times from `ffprobe -of compact` packet lines as they
/// stream in, keeping only keyframes (a long file has millions of packets).
#[derive(Debug, Default)]
pub(crate) struct KeyframeParser {
    pending: Vec<u8>,
    keyframes: Vec<f64>,
    start_time: Option<f64>,
}

impl KeyframeParser {
    fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.pending);
                self.line(&line);
            } else if self.pending.len() < 512 {
                self.pending.push(byte);
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Ok(line) = std::str::from_utf8(line) else {
            return;
        };
        let mut fields = line.trim().split('|');
        let section = fields.next();
        let fields: Vec<&str> = fields.collect();
        let number = |key: &str| {
            fields
                .iter()
                .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        match section {
            Some("packet") => {
                let key = fields
                    .iter()
                    .any(|f| f.strip_prefix("flags=").is_some_and(|v| v.starts_with('K')));
                if let (true, Some(time)) = (key, number("pts_time")) {
                    self.keyframes.push(time);
                }
            }
            Some("format") => self.start_time = number("start_time"),
            _ => {}
        }
    }

    /// Times as `-ss` reads them: from the container's start, sorted.
    fn finish(mut self) -> Vec<f64> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.line(&line);
        }
        let offset = self.start_time.unwrap_or(0.0);
        let mut times: Vec<f64> = self
            .keyframes
            .iter()
            .map(|t| ((t - offset) * 1_000_000.0).round() / 1_000_000.0)
            .map(|t| t.max(0.0))
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
        times
    }
}

/// What the written file must be.
#[derive(Clone, Debug, PartialEq)]
struct Expected {
    kind: MediaKind,
    video_codec: Option<String>,
    audio_codec: Option<String>,
    /// A video's sound may be absent only when the source had none.
    audio_required: bool,
    height: Option<u32>,
    faststart: bool,
    /// Allowed duration range, seconds.
    duration: Option<(f64, f64)>,
}

fn check_output(expected: &Expected, probe: &ProbeSummary) -> Result<(), String> {
    if probe.kind != expected.kind {
        return Err(format!("it is {:?}, not {:?}", probe.kind, expected.kind));
    }
    if let Some(codec) = &expected.video_codec
        && probe.video_codec.as_ref() != Some(codec)
    {
        return Err(format!("its video is {:?}, not {codec}", probe.video_codec));
    }
    if expected.video_codec.is_none() && probe.video_codec.is_some() {
        return Err("it has a picture it should not have".into());
    }
    match (&expected.audio_codec, &probe.audio_codec) {
        (Some(want), Some(got)) if want != got => {
            return Err(format!("its sound is {got}, not {want}"));
        }
        (Some(want), None) if expected.audio_required => {
            return Err(format!("it has no sound, not {want}"));
        }
        (None, Some(_)) => return Err("it has sound it should not have".into()),
        _ => {}
    }
    if let Some(height) = expected.height
        && probe.height != Some(height)
    {
        return Err(format!(
            "it is {:?} pixels tall, not {height}",
            probe.height
        ));
    }
    if let (Some(w), Some(h)) = (probe.width, probe.height)
        && expected
            .video_codec
            .as_deref()
            .is_some_and(|c| c == "h264" || c == "vp9")
        && expected.kind == MediaKind::Video
        && (w % 2 != 0 || h % 2 != 0)
        && expected.faststart
    {
        return Err(format!("its size {w}×{h} is not even"));
    }
    if expected.faststart && probe.faststart != Some(true) {
        return Err("its index is not at the start".into());
    }
    if let Some((min, max)) = expected.duration {
        match probe.duration_secs {
            Some(d) if d >= min && d <= max => {}
            Some(d) => {
                return Err(format!(
                    "it lasts {d:.3} s, not between {min:.3} and {max:.3} s"
                ));
            }
            None => return Err("its length is unknown".into()),
        }
    }
    Ok(())
}

/// The runs an edit needs.
#[derive(Clone, Debug, PartialEq)]
struct Recipe {
    encode: Encode,
    expected: Expected,
    /// Seconds of output, for progress.
    output_secs: f64,
    /// Normalise: the target in LUFS (adds the measuring passes).
    loudness_target: Option<f64>,
}

/// The audio encoder that keeps `container`'s family (for trims and
/// normalising, which keep the source's format).
fn family_codec(container: Container, source_codec: Option<&str>) -> AudioCodec {
    match container {
        Container::Mp3 => AudioCodec::Mp3,
        Container::Flac => AudioCodec::Flac,
        Container::Wav => AudioCodec::Pcm16,
        Container::Ogg | Container::Webm if source_codec == Some("vorbis") => AudioCodec::Vorbis,
        Container::Ogg | Container::Webm => AudioCodec::Opus,
        Container::Mp4 if source_codec == Some("mp3") => AudioCodec::Mp3,
        Container::Mp4 | Container::Adts => AudioCodec::Aac { kbps: 192 },
    }
}

fn format_codec(format: ExportFormat) -> AudioCodec {
    match format {
        ExportFormat::Mp3 => AudioCodec::Mp3,
        ExportFormat::Opus | ExportFormat::Webm => AudioCodec::Opus,
        ExportFormat::M4a => AudioCodec::Aac { kbps: 192 },
        ExportFormat::Mp4 => AudioCodec::Aac { kbps: 160 },
        ExportFormat::Flac => AudioCodec::Flac,
        ExportFormat::Wav => AudioCodec::Pcm16,
    }
}

/// MP3 carries one or two channels.
fn channels_for(codec: AudioCodec, facts: &SourceFacts) -> Option<u32> {
    match (codec, facts.channels) {
        (AudioCodec::Mp3, Some(c)) if c > 2 => Some(2),
        _ => None,
    }
}

/// Sample rates libmp3lame writes.
const MP3_RATES: &[u32] = &[8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// loudnorm works at 192 kHz: the output goes back to the source's rate
/// (one the encoder takes).
fn normalised_rate(codec: AudioCodec, source: Option<u32>) -> u32 {
    match (codec, source) {
        (AudioCodec::Opus, _) => 48_000,
        (AudioCodec::Mp3, Some(r)) if MP3_RATES.contains(&r) => r,
        (AudioCodec::Mp3, _) => 44_100,
        (_, Some(r)) => r.min(192_000),
        (_, None) => 48_000,
    }
}

fn recipe(plan: &EditPlan, source: &EditSource<'_>, facts: &SourceFacts) -> Result<Recipe, String> {
    let (container, _) = output_container(source, &plan.request).map_err(|e| e.to_string())?;
    let video_source = source.kind == MediaKind::Video;
    let mut expected = Expected {
        kind: plan.output_kind,
        video_codec: None,
        audio_codec: None,
        audio_required: true,
        height: None,
        faststart: container == Container::Mp4,
        duration: None,
    };
    let audio = |codec: AudioCodec, required: bool| AudioOut {
        codec,
        required,
        filter: None,
        sample_rate: None,
        channels: channels_for(codec, facts),
    };
    let mut output_secs = source.duration_secs;
    let mut loudness_target = None;
    let encode = match plan.request {
        EditRequest::Trim {
            start_secs,
            end_secs,
            mode,
        } => {
            let wanted = end_secs - start_secs;
            output_secs = wanted;
            let (seek, video, audio_out) = match (mode, video_source) {
                (CutMode::Fast, true) => {
                    let keyframe = plan.keyframe_secs.unwrap_or(start_secs);
                    // Just after the keyframe: ffmpeg seeks back to the
                    // keyframe at or before, never the one before that.
                    (
                        keyframe + KEYFRAME_TOLERANCE_SECS / 2.0,
                        Some(VideoCodec::Copy),
                        Some(audio(AudioCodec::Copy, false)),
                    )
                }
                (CutMode::Exact, true) => (
                    start_secs,
                    Some(VideoCodec::X264 { crf: 20 }),
                    Some(audio(AudioCodec::Aac { kbps: 160 }, false)),
                ),
                // FLAC frames carry their sample numbers and the header the
                // total: a copy would keep the old ones. Encoding FLAC is
                // lossless and quick, so a fast cut re-encodes it.
                (CutMode::Fast, false) if container == Container::Flac => {
                    (start_secs, None, Some(audio(AudioCodec::Flac, true)))
                }
                (CutMode::Fast, false) => (start_secs, None, Some(audio(AudioCodec::Copy, true))),
                (CutMode::Exact, false) => (
                    start_secs,
                    None,
                    Some(audio(
                        family_codec(container, facts.audio_codec.as_deref()),
                        true,
                    )),
                ),
            };
            let tolerance = match (mode, video_source) {
                (CutMode::Exact, true) => facts.frame_secs() + 0.002,
                // ffprobe counts an MP3's padding: up to one more frame.
                (CutMode::Exact, false) if container == Container::Mp3 => {
                    AUDIO_EXACT_TOLERANCE_SECS
                        + 1152.0 / f64::from(facts.sample_rate.unwrap_or(44_100).max(8_000))
                }
                (CutMode::Exact, false) => AUDIO_EXACT_TOLERANCE_SECS,
                (CutMode::Fast, true) => facts.frame_secs() + 0.002,
                (CutMode::Fast, false) => AUDIO_EXACT_TOLERANCE_SECS,
            };
            let slack = match mode {
                CutMode::Exact => tolerance,
                CutMode::Fast => plan.slack_secs.unwrap_or(AUDIO_PACKET_SLACK_SECS) + tolerance,
            };
            expected.duration = Some((wanted - tolerance, wanted + slack));
            Encode {
                seek_secs: Some(seek),
                duration_secs: Some(wanted),
                video: video.map(|codec| VideoOut {
                    codec,
                    height: None,
                }),
                audio: audio_out,
                container,
            }
        }
        EditRequest::Export { format, height } if format.is_video() => Encode {
            seek_secs: None,
            duration_secs: None,
            video: Some(VideoOut {
                codec: match format {
                    ExportFormat::Webm => VideoCodec::Vp9,
                    _ => VideoCodec::X264 { crf: 23 },
                },
                height: height.map(ExportHeight::pixels),
            }),
            audio: Some(audio(format_codec(format), false)),
            container,
        },
        EditRequest::Export { format, .. } | EditRequest::ExtractAudio { format } => Encode {
            seek_secs: None,
            duration_secs: None,
            video: None,
            audio: Some(audio(format_codec(format), true)),
            container,
        },
        EditRequest::Normalize { target } => {
            let codec = family_codec(container, facts.audio_codec.as_deref());
            loudness_target = Some(target.lufs());
            Encode {
                seek_secs: None,
                duration_secs: None,
                video: None,
                audio: Some(AudioOut {
                    sample_rate: Some(normalised_rate(codec, facts.sample_rate)),
                    ..audio(codec, true)
                }),
                container,
            }
        }
    };
    if let Some(video) = &encode.video {
        expected.video_codec = match video.codec.probed_name() {
            Some(name) => Some(name.to_string()),
            None => Some(
                facts
                    .video_codec
                    .clone()
                    .ok_or("the source has no video stream")?,
            ),
        };
        expected.height = video.height;
    }
    if let Some(audio) = &encode.audio {
        expected.audio_codec = match audio.codec.probed_name() {
            Some(name) => Some(name.to_string()),
            None => facts.audio_codec.clone(),
        };
        // A video whose source has no sound gets none.
        expected.audio_required = audio.required || facts.audio_codec.is_some();
        if facts.audio_codec.is_none() && !audio.required {
            expected.audio_codec = None;
        }
    }
    Ok(Recipe {
        encode,
        expected,
        output_secs,
        loudness_target,
    })
}

impl Media {
    /// Where a fast (stream copy) cut can start in `input`: the first video
    /// stream's keyframes read from packet flags (no decoding), or, for
    /// audio whose every packet stands alone, anywhere.
    pub async fn cut_points(
        &self,
        input: &Path,
        demuxer: &str,
        kind: MediaKind,
    ) -> Result<CutPoints, MediaError> {
        match kind {
            MediaKind::Audio => {
                let facts = self.source_facts(input, demuxer).await?;
                let anywhere = facts
                    .audio_codec
                    .as_deref()
                    .is_some_and(|c| CUT_ANYWHERE_CODECS.contains(&c) || c.starts_with("pcm_"));
                Ok(CutPoints {
                    keyframes: Vec::new(),
                    anywhere,
                })
            }
            MediaKind::Video => {
                let mut parser = KeyframeParser::default();
                self.probes
                    .run_streaming(
                        Tool::Ffprobe,
                        args::keyframe_probe_args(input, demuxer),
                        CUT_POINTS_LIMIT,
                        |chunk| parser.feed(chunk),
                    )
                    .await?;
                Ok(CutPoints {
                    keyframes: parser.finish(),
                    anywhere: false,
                })
            }
        }
    }

    async fn source_facts(&self, input: &Path, demuxer: &str) -> Result<SourceFacts, MediaError> {
        let output = self
            .probes
            .run(
                Tool::Ffprobe,
                args::facts_probe_args(input, demuxer),
                super::PROBE_LIMIT,
            )
            .await?;
        SourceFacts::parse(&output.stdout).ok_or_else(|| {
            MediaError::BadEdit("ffprobe's answer about the source is not readable".into())
        })
    }

    /// Runs `plan` on `source`, writing `output`, reporting progress 0..=1;
    /// checks the result by probing it. The whole edit stops after the job
    /// limit; on any error, timeout or cancellation `output` is removed.
    pub async fn run_edit<F>(
        &self,
        plan: &EditPlan,
        source: &EditSource<'_>,
        output: &Path,
        mut on_progress: F,
    ) -> Result<EditResult, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut guard = super::safety::RemoveOnDrop::new(output);
        let limit = self.job_limit;
        let result = tokio::time::timeout(limit, self.edit(plan, source, output, &mut on_progress))
            .await
            .map_err(|_| ProcessError::Timeout {
                tool: Tool::Ffmpeg,
                limit,
            })??;
        guard.disarm();
        Ok(result)
    }

    async fn edit<F>(
        &self,
        plan: &EditPlan,
        source: &EditSource<'_>,
        output: &Path,
        on_progress: &mut F,
    ) -> Result<EditResult, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let facts = self.source_facts(source.input, source.demuxer).await?;
        let mut recipe = recipe(plan, source, &facts).map_err(MediaError::BadEdit)?;
        let mut before = None;
        // Shares of the progress bar: measuring, writing, measuring again.
        let (write_from, write_to) = match recipe.loudness_target {
            Some(target) => {
                let measured = self
                    .measure(
                        source.input,
                        source.demuxer,
                        target,
                        source.duration_secs,
                        (0.0, 0.45),
                        on_progress,
                    )
                    .await?;
                if let Some(audio) = &mut recipe.encode.audio {
                    audio.filter = Some(loudness::apply_filter(target, &measured));
                }
                before = Some(measured.integrated);
                (0.45, 0.9)
            }
            None => (0.0, 1.0),
        };
        self.run_with_progress(
            recipe.encode.args(source.input, source.demuxer, output),
            recipe.output_secs,
            (write_from, write_to),
            on_progress,
        )
        .await?;
        let written = match self.probe(output).await {
            Ok(probe) => probe,
            Err(MediaError::Rejected(why)) => {
                return Err(MediaError::BadEdit(format!("ffprobe refuses it: {why}")));
            }
            Err(e) => return Err(e),
        };
        check_output(&recipe.expected, &written).map_err(MediaError::BadEdit)?;
        let mut note = String::new();
        if let (Some(target), Some(before)) = (recipe.loudness_target, before) {
            let after = self
                .measure(
                    output,
                    &written.demuxer,
                    target,
                    written.duration_secs.unwrap_or(recipe.output_secs),
                    (0.9, 1.0),
                    on_progress,
                )
                .await?;
            note = format!(
                "Loudness {} → {}",
                loudness::lufs_label(before),
                loudness::lufs_label(after.integrated)
            );
        }
        on_progress(1.0);
        Ok(EditResult { note })
    }

    /// A `loudnorm` analysis pass over `input`'s first sound stream.
    async fn measure<F>(
        &self,
        input: &Path,
        demuxer: &str,
        target: f64,
        duration_secs: f64,
        share: (f64, f64),
        on_progress: &mut F,
    ) -> Result<Loudness, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let filter = loudness::analysis_filter(target);
        let output = self
            .run_with_progress(
                args::analysis_args(input, demuxer, &filter),
                duration_secs,
                share,
                on_progress,
            )
            .await?;
        loudness::parse_report(&output.stderr)
            .map_err(|e| MediaError::BadEdit(format!("cannot measure the loudness: {e}")))
    }

    /// One ffmpeg run with `-progress pipe:1`, mapped into `share` of the bar.
    async fn run_with_progress<F>(
        &self,
        args: Vec<std::ffi::OsString>,
        output_secs: f64,
        (from, to): (f64, f64),
        on_progress: &mut F,
    ) -> Result<super::process::Output, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut progress = ProgressParser::new(Some(output_secs));
        let output = self
            .runner
            .run_streaming(Tool::Ffmpeg, args, self.job_limit, |chunk| {
                if let Some(done) = progress.feed(chunk) {
                    on_progress(from + (to - from) * done);
                }
            })
            .await?;
        Ok(output)
    }
}

/// Public for the timing test: the ffmpeg arguments `run_edit` uses for
/// `plan` (the writing pass), given the source's facts as `run_edit` reads
/// them. Normalising adds measuring passes around this one.
pub async fn edit_args(
    media: &Media,
    plan: &EditPlan,
    source: &EditSource<'_>,
    output: &Path,
) -> Result<Vec<std::ffi::OsString>, MediaError> {
    let facts = media.source_facts(source.input, source.demuxer).await?;
    let recipe = recipe(plan, source, &facts).map_err(MediaError::BadEdit)?;
    Ok(recipe.encode.args(source.input, source.demuxer, output))
}

/// "1:02.5" (`decimals` = 1) or "1:02.500" (3); hours when needed.
fn clock(secs: f64, decimals: usize) -> String {
    let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
    let scale = 10f64.powi(decimals as i32);
    let units = (secs * scale).round() as u64;
    let whole = units / scale as u64;
    let fraction = units % scale as u64;
    let (h, m, s) = (whole / 3600, (whole / 60) % 60, whole % 60);
    let fraction = if decimals == 0 {
        String::new()
    } else {
        format!(".{fraction:0decimals$}")
    };
    if h > 0 {
        format!("{h}:{m:02}:{s:02}{fraction}")
    } else {
        format!("{m}:{s:02}{fraction}")
    }
}

#[cfg(test)]
mod tests;
