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
mod facts;
mod recipe;
mod run;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::args::{AudioCodec, AudioOut, Container, Encode, VideoCodec, VideoOut};
#[cfg(any(test, feature = "testing"))]
pub(crate) use self::facts::fuzzing;
use self::facts::*;
use self::recipe::*;
#[cfg(test)]
pub(crate) use self::run::edit_args;
use super::decide::is_mov_family;
use super::loudness::{self, Loudness};
use super::process::{ProcessError, Tool};
use super::transcode::ProgressParser;
use super::{Media, MediaError, ProbeSummary};
use crate::edit::{CutMode, CutPoints, EditRequest, ExportFormat, ExportHeight};
use crate::model::{MediaItem, MediaKind};

/// The file an edit reads (the item's playable file) and its facts.
#[derive(Clone, Debug)]
pub(crate) struct EditSource<'a> {
    pub(crate) input: &'a Path,
    /// The demuxer of `input`, forced with `-f`.
    pub demuxer: &'a str,
    pub kind: MediaKind,
    pub duration_secs: f64,
    pub height: Option<u32>,
    pub has_audio: bool,
}

impl<'a> EditSource<'a> {
    /// The playable file of `item` at `input`, read with `demuxer`.
    pub(crate) fn of(item: &MediaItem, input: &'a Path, demuxer: &'a str) -> Self {
        EditSource {
            input,
            demuxer,
            kind: item.kind,
            duration_secs: item.duration_secs.unwrap_or(0.0),
            height: item.height,
            has_audio: item.audio_codec.is_some(),
        }
    }
}

/// A validated edit; stored with its job as JSON. Fields are only ever
/// added (with `#[serde(default)]`), never renamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct EditPlan {
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
pub(crate) enum EditRefusal {
    #[error("{0}")]
    Invalid(String),
}

/// What running an edit learned, added to the new item's summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EditResult {
    /// E.g. "Loudness −23.4 LUFS → −16.0 LUFS"; empty when there is nothing to add.
    pub note: String,
}

/// The shortest part a trim keeps.
pub(crate) const MIN_TRIM_SECS: f64 = 0.1;
/// How far past the probed duration an end may be (players round).
const END_TOLERANCE_SECS: f64 = 0.05;
/// How close to a keyframe a fast cut must start.
pub(crate) const KEYFRAME_TOLERANCE_SECS: f64 = 0.001;
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
pub(crate) fn plan_edit(
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
