//! Making the playable copy: ffmpeg arguments for a `Conversion`, and its
//! `-progress` output read as it runs.

use std::ffi::OsString;
use std::path::Path;

use super::decide::{AudioAction, Conversion, OutputFormat, VideoAction};
use super::process::Tool;
use super::safety::{RemoveOnDrop, file_arg, whitelists};
use super::{Media, MediaError, ProbeSummary};

/// x264 settings: PeerTube's speed, MediaCMS's quality.
const X264_PRESET: &str = "veryfast";
const X264_CRF: &str = "23";
const AAC_BITRATE: &str = "160k";

/// One playable-version run.
#[derive(Clone, Debug)]
pub(crate) struct PlayableJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced with `-f`.
    pub demuxer: &'a str,
    pub conversion: &'a Conversion,
    pub duration_secs: Option<f64>,
}

impl PlayableJob<'_> {
    /// The whole ffmpeg command line, built from typed values only.
    pub(crate) fn args(&self, output: &Path) -> Vec<OsString> {
        let input = file_arg(self.input);
        let out = file_arg(output);
        let conversion = self.conversion;

        let mut args: Vec<OsString> = [
            "-nostdin",
            "-v",
            "error",
            "-nostats",
            // key=value lines on stdout, about twice a second.
            "-progress",
            "pipe:1",
            "-y",
        ]
        .map(OsString::from)
        .into();
        args.extend(whitelists());
        args.extend(["-f".into(), self.demuxer.into(), "-i".into(), input]);

        match conversion.video {
            // `V`: the first real video stream, never an attached picture.
            Some(action) => {
                args.extend(["-map", "0:V:0"].map(OsString::from));
                video_args(action, &mut args);
            }
            None => args.push("-vn".into()),
        }
        match conversion.audio {
            Some(action) => {
                // Optional for video: a stream the probe saw may not demux.
                let map = if conversion.video.is_some() {
                    "0:a:0?"
                } else {
                    "0:a:0"
                };
                args.extend(["-map", map].map(OsString::from));
                audio_args(action, &mut args);
            }
            None => args.push("-an".into()),
        }
        args.extend(
            [
                "-sn",
                "-dn",
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                // Sparse or late audio must not fail the mux.
                "-max_muxing_queue_size",
                "1024",
                "-movflags",
                "+faststart",
                "-f",
                match conversion.output {
                    OutputFormat::Mp4 | OutputFormat::M4a => "mp4",
                },
            ]
            .map(OsString::from),
        );
        args.push(out);
        args
    }
}

fn video_args(action: VideoAction, args: &mut Vec<OsString>) {
    match action {
        VideoAction::Copy => args.extend(["-c:v", "copy"].map(OsString::from)),
        VideoAction::H264 { max_fps } => {
            // 4:2:0 needs even sides; square pixels keep players from guessing.
            let mut filter = String::from("scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1");
            if let Some(fps) = max_fps {
                filter.push_str(&format!(",fps={fps}"));
            }
            args.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    X264_PRESET,
                    "-crf",
                    X264_CRF,
                    "-pix_fmt",
                    "yuv420p",
                    "-vf",
                ]
                .map(OsString::from),
            );
            args.push(filter.into());
        }
    }
}

fn audio_args(action: AudioAction, args: &mut Vec<OsString>) {
    match action {
        AudioAction::Copy => args.extend(["-c:a", "copy"].map(OsString::from)),
        AudioAction::Aac { channels } => {
            args.extend(["-c:a", "aac", "-b:a", AAC_BITRATE, "-ac"].map(OsString::from));
            args.push(channels.clamp(1, 2).to_string().into());
        }
    }
}

/// Reads ffmpeg's `-progress` output as it arrives, in chunks that may cut
/// lines anywhere, and turns it into the share done.
#[derive(Debug)]
pub(crate) struct ProgressParser {
    duration_us: Option<f64>,
    pending: Vec<u8>,
    /// The last share reported, in thousandths.
    reported: Option<u32>,
}

/// A line longer than this is not ffmpeg's progress output: dropped.
const MAX_LINE: usize = 1024;

impl ProgressParser {
    pub(crate) fn new(duration_secs: Option<f64>) -> Self {
        ProgressParser {
            duration_us: duration_secs
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| d * 1_000_000.0),
            pending: Vec::new(),
            reported: None,
        }
    }

    /// Feeds a chunk; returns the new share done (0.0..=1.0) when it moved
    /// forward by at least a thousandth since the last report.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Option<f64> {
        let mut latest = None;
        for &byte in chunk {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.pending);
                if let Some(share) = self.line(&line) {
                    latest = Some(share);
                }
            } else if self.pending.len() < MAX_LINE {
                self.pending.push(byte);
            }
        }
        latest
    }

    fn line(&mut self, line: &[u8]) -> Option<f64> {
        let line = std::str::from_utf8(line).ok()?.trim();
        let (key, value) = line.split_once('=')?;
        let done_us = match key {
            // Both are microseconds (`out_time_ms` is misnamed in ffmpeg).
            "out_time_us" | "out_time_ms" => value.parse::<f64>().ok()?,
            "out_time" => parse_clock(value)? * 1_000_000.0,
            "progress" if value == "end" => return self.report(1000),
            _ => return None,
        };
        let total = self.duration_us?;
        let share = (done_us / total).clamp(0.0, 1.0);
        // Whole thousandths, and never 100 % before ffmpeg says it is done.
        self.report(((share * 1000.0).floor() as u32).min(999))
    }

    fn report(&mut self, thousandths: u32) -> Option<f64> {
        if self.reported.is_some_and(|r| r >= thousandths) {
            return None;
        }
        self.reported = Some(thousandths);
        Some(f64::from(thousandths) / 1000.0)
    }
}

/// "01:02:03.500000" → 3723.5; a leading '-' (ffmpeg's start offsets) → 0.
fn parse_clock(text: &str) -> Option<f64> {
    if text.starts_with('-') {
        return Some(0.0);
    }
    let mut parts = text.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let secs =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    secs.is_finite().then_some(secs)
}

/// Whether `probe` of the written copy is what `conversion` promised.
pub(crate) fn check_output(conversion: &Conversion, probe: &ProbeSummary) -> Result<(), String> {
    if probe.faststart != Some(true) {
        return Err("its index is not at the start".into());
    }
    match conversion.video {
        Some(action) => {
            if probe.facts.video_codec.as_deref() != Some("h264") {
                return Err(format!(
                    "its video is {:?}, not h264",
                    probe.facts.video_codec
                ));
            }
            let pix = probe.pixel_format.as_deref();
            let pix_ok = match action {
                VideoAction::Copy => matches!(pix, Some("yuv420p" | "yuvj420p")),
                VideoAction::H264 { .. } => pix == Some("yuv420p"),
            };
            if !pix_ok {
                return Err(format!("its pixel format is {pix:?}, not yuv420p"));
            }
            if let (VideoAction::H264 { .. }, Some(w), Some(h)) =
                (action, probe.facts.width, probe.facts.height)
                && (w % 2 != 0 || h % 2 != 0)
            {
                return Err(format!("its size {w}×{h} is not even"));
            }
        }
        None => {
            if probe.facts.video_codec.is_some() {
                return Err("it has a picture it should not have".into());
            }
        }
    }
    match conversion.audio {
        Some(action) => {
            let codec = probe.facts.audio_codec.as_deref();
            let codec_ok = match action {
                AudioAction::Copy => matches!(codec, Some("aac" | "mp3")),
                AudioAction::Aac { .. } => codec == Some("aac"),
            };
            // Video may legitimately lose a sound track the probe saw but
            // ffmpeg could not demux (`0:a:0?`); an audio file may not.
            if !codec_ok && (codec.is_some() || conversion.video.is_none()) {
                return Err(format!("its sound is {codec:?}, not aac"));
            }
            if let (AudioAction::Aac { channels }, Some(got)) = (action, probe.audio_channels)
                && got > channels
            {
                return Err(format!("it has {got} sound channels, not {channels}"));
            }
        }
        None => {
            if probe.facts.audio_codec.is_some() {
                return Err("it has sound it should not have".into());
            }
        }
    }
    Ok(())
}

impl Media {
    /// Writes the playable copy to `output`, calling `on_progress` with the
    /// share done (0.0..=1.0) as ffmpeg reports it. Stops after the job limit.
    /// On any error `output` is removed; on success it has been probed and
    /// is H.264/AAC (or the copied streams) in an MP4 with its index first.
    pub(crate) async fn make_playable<F>(
        &self,
        job: &PlayableJob<'_>,
        output: &Path,
        mut on_progress: F,
    ) -> Result<(), MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut guard = RemoveOnDrop::new(output);
        let mut progress = ProgressParser::new(job.duration_secs);
        self.runner
            .run_streaming(Tool::Ffmpeg, job.args(output), self.job_limit, |chunk| {
                if let Some(share) = progress.feed(chunk) {
                    on_progress(share);
                }
            })
            .await?;
        self.check_playable(output, job.conversion).await?;
        guard.disarm();
        Ok(())
    }

    /// Probes a written playable copy and checks it is what `conversion`
    /// promised.
    pub(crate) async fn check_playable(
        &self,
        output: &Path,
        conversion: &Conversion,
    ) -> Result<(), MediaError> {
        let written = match self.probe(output).await {
            Ok(probe) => probe,
            Err(MediaError::Rejected(why)) => {
                return Err(MediaError::BadPlayable(format!(
                    "ffprobe refuses it: {why}"
                )));
            }
            Err(e) => return Err(e),
        };
        check_output(conversion, &written).map_err(MediaError::BadPlayable)
    }
}

#[cfg(test)]
mod tests;
