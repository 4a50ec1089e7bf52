//! From a validated plan and the source's facts to the ffmpeg runs of an
//! edit (the recipe), and the check of what they wrote.

use super::*;

/// What the written file must be.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Expected {
    pub(super) kind: MediaKind,
    pub(super) video_codec: Option<String>,
    pub(super) audio_codec: Option<String>,
    /// A video's sound may be absent only when the source had none.
    pub(super) audio_required: bool,
    pub(super) height: Option<u32>,
    pub(super) faststart: bool,
    /// Allowed duration range, seconds.
    pub(super) duration: Option<(f64, f64)>,
}

pub(super) fn check_output(expected: &Expected, probe: &ProbeSummary) -> Result<(), String> {
    if probe.facts.kind != expected.kind {
        return Err(format!(
            "it is {:?}, not {:?}",
            probe.facts.kind, expected.kind
        ));
    }
    if let Some(codec) = &expected.video_codec
        && probe.facts.video_codec.as_ref() != Some(codec)
    {
        return Err(format!(
            "its video is {:?}, not {codec}",
            probe.facts.video_codec
        ));
    }
    if expected.video_codec.is_none() && probe.facts.video_codec.is_some() {
        return Err("it has a picture it should not have".into());
    }
    match (&expected.audio_codec, &probe.facts.audio_codec) {
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
        && probe.facts.height != Some(height)
    {
        return Err(format!(
            "it is {:?} pixels tall, not {height}",
            probe.facts.height
        ));
    }
    if let (Some(w), Some(h)) = (probe.facts.width, probe.facts.height)
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
        match probe.facts.duration_secs {
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
pub(super) struct Recipe {
    pub(super) encode: Encode,
    pub(super) expected: Expected,
    /// Seconds of output, for progress.
    pub(super) output_secs: f64,
    /// Normalise: the target in LUFS (adds the measuring passes).
    pub(super) loudness_target: Option<f64>,
}

/// The audio encoder that keeps `container`'s family (for trims and
/// normalising, which keep the source's format).
pub(super) fn family_codec(container: Container, source_codec: Option<&str>) -> AudioCodec {
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

pub(super) fn format_codec(format: ExportFormat) -> AudioCodec {
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
pub(super) fn channels_for(codec: AudioCodec, facts: &SourceFacts) -> Option<u32> {
    match (codec, facts.channels) {
        (AudioCodec::Mp3, Some(c)) if c > 2 => Some(2),
        _ => None,
    }
}

/// Sample rates libmp3lame writes.
pub(super) const MP3_RATES: &[u32] =
    &[8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// loudnorm works at 192 kHz: the output goes back to the source's rate
/// (one the encoder takes).
pub(super) fn normalised_rate(codec: AudioCodec, source: Option<u32>) -> u32 {
    match (codec, source) {
        (AudioCodec::Opus, _) => 48_000,
        (AudioCodec::Mp3, Some(r)) if MP3_RATES.contains(&r) => r,
        (AudioCodec::Mp3, _) => 44_100,
        (_, Some(r)) => r.min(192_000),
        (_, None) => 48_000,
    }
}

pub(super) fn recipe(
    plan: &EditPlan,
    source: &EditSource<'_>,
    facts: &SourceFacts,
) -> Result<Recipe, String> {
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
