//! Making the playable copy: ffmpeg arguments for a `Conversion`, and its
//! `-progress` output read as it runs.

use std::ffi::OsString;
use std::path::Path;

use super::decide::{AudioAction, Conversion, OutputFormat, VideoAction};
use super::process::Tool;
use super::{Media, MediaError, ProbeSummary};

/// x264 settings: PeerTube's speed, MediaCMS's quality.
const X264_PRESET: &str = "veryfast";
const X264_CRF: &str = "23";
const AAC_BITRATE: &str = "160k";

/// One playable-version run.
#[derive(Clone, Debug)]
pub struct PlayableJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced with `-f`.
    pub demuxer: &'a str,
    pub conversion: &'a Conversion,
    pub duration_secs: Option<f64>,
}

impl PlayableJob<'_> {
    /// The whole ffmpeg command line, built from typed values only.
    pub fn args(&self, output: &Path) -> Vec<OsString> {
        let mut input = OsString::from("file:");
        input.push(self.input.as_os_str());
        let mut out = OsString::from("file:");
        out.push(output.as_os_str());
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
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
        ]
        .map(OsString::from)
        .into();
        args.extend([
            super::probe::ALLOWED_DEMUXERS.join(",").into(),
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            input,
        ]);

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
pub struct ProgressParser {
    duration_us: Option<f64>,
    pending: Vec<u8>,
    /// The last share reported, in thousandths.
    reported: Option<u32>,
}

/// A line longer than this is not ffmpeg's progress output: dropped.
const MAX_LINE: usize = 1024;

impl ProgressParser {
    pub fn new(duration_secs: Option<f64>) -> Self {
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
    pub fn feed(&mut self, chunk: &[u8]) -> Option<f64> {
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

/// Removes a half-written output unless disarmed: after an error, a timeout
/// or a cancelled future, no broken copy is left for anyone to serve.
struct RemoveOnDrop<'a> {
    path: &'a Path,
    armed: bool,
}

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            match std::fs::remove_file(self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), "cannot remove a failed playable copy: {e}")
                }
            }
        }
    }
}

/// Whether `probe` of the written copy is what `conversion` promised.
pub fn check_output(conversion: &Conversion, probe: &ProbeSummary) -> Result<(), String> {
    if probe.faststart != Some(true) {
        return Err("its index is not at the start".into());
    }
    match conversion.video {
        Some(action) => {
            if probe.video_codec.as_deref() != Some("h264") {
                return Err(format!("its video is {:?}, not h264", probe.video_codec));
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
                (action, probe.width, probe.height)
                && (w % 2 != 0 || h % 2 != 0)
            {
                return Err(format!("its size {w}×{h} is not even"));
            }
        }
        None => {
            if probe.video_codec.is_some() {
                return Err("it has a picture it should not have".into());
            }
        }
    }
    match conversion.audio {
        Some(action) => {
            let codec = probe.audio_codec.as_deref();
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
            if probe.audio_codec.is_some() {
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
    pub async fn make_playable<F>(
        &self,
        job: &PlayableJob<'_>,
        output: &Path,
        mut on_progress: F,
    ) -> Result<(), MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut guard = RemoveOnDrop {
            path: output,
            armed: true,
        };
        let mut progress = ProgressParser::new(job.duration_secs);
        self.runner
            .run_streaming(Tool::Ffmpeg, job.args(output), self.job_limit, |chunk| {
                if let Some(share) = progress.feed(chunk) {
                    on_progress(share);
                }
            })
            .await?;
        let written = match self.probe(output).await {
            Ok(probe) => probe,
            Err(MediaError::Rejected(why)) => {
                return Err(MediaError::BadPlayable(format!(
                    "ffprobe refuses it: {why}"
                )));
            }
            Err(e) => return Err(e),
        };
        check_output(job.conversion, &written).map_err(MediaError::BadPlayable)?;
        guard.armed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::media::decide::Reason;

    fn conversion(video: Option<VideoAction>, audio: Option<AudioAction>) -> Conversion {
        let remux_only = video.is_none_or(|v| v == VideoAction::Copy)
            && audio.is_none_or(|a| a == AudioAction::Copy);
        Conversion {
            remux_only,
            output: if video.is_some() {
                OutputFormat::Mp4
            } else {
                OutputFormat::M4a
            },
            video,
            audio,
            reasons: vec![Reason::Container],
        }
    }

    fn args_of(c: &Conversion, demuxer: &str) -> Vec<String> {
        PlayableJob {
            input: Path::new("/in/x"),
            demuxer,
            conversion: c,
            duration_secs: Some(2.0),
        }
        .args(Path::new("/out/y.mp4"))
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
    }

    fn value<'a>(args: &'a [String], flag: &str) -> &'a str {
        let at = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("{flag} in {args:?}"));
        &args[at + 1]
    }

    fn has(args: &[String], pair: [&str; 2]) -> bool {
        args.windows(2).any(|w| w == pair)
    }

    #[test]
    fn every_run_is_pinned_to_local_files_and_the_probed_demuxer() {
        for c in [
            conversion(Some(VideoAction::Copy), Some(AudioAction::Copy)),
            conversion(Some(VideoAction::H264 { max_fps: None }), None),
            conversion(None, Some(AudioAction::Aac { channels: 2 })),
        ] {
            let args = args_of(&c, "matroska");
            assert_eq!(
                &args[..6],
                ["-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1"]
            );
            assert_eq!(value(&args, "-protocol_whitelist"), "file");
            let formats = value(&args, "-format_whitelist");
            assert!(
                formats.contains("matroska")
                    && !formats.contains("hls")
                    && !formats.contains("concat")
            );
            assert!(has(&args, ["-f", "matroska"]));
            let f = args.iter().position(|a| a == "-f").expect("-f");
            assert!(
                f < args.iter().position(|a| a == "-i").expect("-i"),
                "-f forces the input"
            );
            assert_eq!(value(&args, "-i"), "file:/in/x");
            assert!(has(&args, ["-map_metadata", "-1"]));
            assert!(has(&args, ["-movflags", "+faststart"]));
            assert!(args.contains(&"-sn".into()) && args.contains(&"-dn".into()));
            assert_eq!(&args[args.len() - 3..], ["-f", "mp4", "file:/out/y.mp4"]);
        }
    }

    #[test]
    fn a_remux_copies_both_streams() {
        let args = args_of(
            &conversion(Some(VideoAction::Copy), Some(AudioAction::Copy)),
            "avi",
        );
        assert!(has(&args, ["-map", "0:V:0"]));
        assert!(has(&args, ["-map", "0:a:0?"]));
        assert!(has(&args, ["-c:v", "copy"]));
        assert!(has(&args, ["-c:a", "copy"]));
        assert!(
            !args
                .iter()
                .any(|a| a == "libx264" || a == "-vf" || a == "aac")
        );
    }

    #[test]
    fn a_video_transcode_is_even_sized_420_h264() {
        let args = args_of(
            &conversion(
                Some(VideoAction::H264 { max_fps: Some(60) }),
                Some(AudioAction::Aac { channels: 2 }),
            ),
            "mov",
        );
        assert_eq!(value(&args, "-c:v"), "libx264");
        assert_eq!(value(&args, "-preset"), "veryfast");
        assert_eq!(value(&args, "-crf"), "23");
        assert_eq!(value(&args, "-pix_fmt"), "yuv420p");
        let filter = value(&args, "-vf");
        assert!(
            filter.starts_with("scale=trunc(iw/2)*2:trunc(ih/2)*2"),
            "{filter}"
        );
        assert!(filter.ends_with(",fps=60"), "{filter}");
        assert_eq!(value(&args, "-c:a"), "aac");
        assert_eq!(value(&args, "-b:a"), "160k");
        assert_eq!(value(&args, "-ac"), "2");

        let args = args_of(
            &conversion(Some(VideoAction::H264 { max_fps: None }), None),
            "mov",
        );
        assert!(!value(&args, "-vf").contains("fps"));
        assert!(args.contains(&"-an".into()));
        assert!(!args.iter().any(|a| a.starts_with("0:a")));
    }

    #[test]
    fn copied_video_with_new_sound() {
        let args = args_of(
            &conversion(
                Some(VideoAction::Copy),
                Some(AudioAction::Aac { channels: 1 }),
            ),
            "matroska",
        );
        assert!(has(&args, ["-c:v", "copy"]));
        assert!(has(&args, ["-c:a", "aac"]));
        assert!(has(&args, ["-ac", "1"]));
    }

    #[test]
    fn audio_files_become_m4a_without_pictures() {
        let args = args_of(
            &conversion(None, Some(AudioAction::Aac { channels: 2 })),
            "wav",
        );
        assert!(args.contains(&"-vn".into()));
        assert!(has(&args, ["-map", "0:a:0"]), "sound is required: no `?`");
        assert!(!args.iter().any(|a| a.starts_with("0:V")));
    }

    #[test]
    fn progress_follows_out_time_against_the_duration() {
        let mut p = ProgressParser::new(Some(10.0));
        assert_eq!(
            p.feed(b"frame=10\nout_time_us=2500000\nprogress=continue\n"),
            Some(0.25)
        );
        // Unchanged: nothing to report.
        assert_eq!(p.feed(b"out_time_ms=2500000\n"), None);
        assert_eq!(p.feed(b"out_time=00:00:05.000000\n"), Some(0.5));
        // Never backwards, and N/A is ignored.
        assert_eq!(p.feed(b"out_time_us=1000000\nout_time_us=N/A\n"), None);
        // Past the duration is 99.9 % until ffmpeg says it is done.
        assert_eq!(p.feed(b"out_time_us=12000000\n"), Some(0.999));
        assert_eq!(p.feed(b"progress=end\n"), Some(1.0));
        assert_eq!(p.feed(b"progress=end\n"), None);
    }

    #[test]
    fn progress_lines_split_across_chunks() {
        let mut p = ProgressParser::new(Some(4.0));
        assert_eq!(p.feed(b"out_ti"), None);
        assert_eq!(p.feed(b"me_us=10"), None);
        assert_eq!(p.feed(b"00000\r"), None);
        assert_eq!(p.feed(b"\nprogress=cont"), Some(0.25));
        assert_eq!(p.feed(b"inue\nout_time=00:00:0"), None);
        assert_eq!(p.feed(b"3.000000\npro"), Some(0.75));
        assert_eq!(p.feed(b"gress=end\n"), Some(1.0));
    }

    #[test]
    fn progress_without_a_duration_only_reports_the_end() {
        let mut p = ProgressParser::new(None);
        assert_eq!(p.feed(b"out_time_us=5000000\n"), None);
        assert_eq!(p.feed(b"progress=end\n"), Some(1.0));
        let mut p = ProgressParser::new(Some(f64::NAN));
        assert_eq!(p.feed(b"out_time_us=5000000\n"), None);
        // Garbage and over-long lines do nothing.
        let mut p = ProgressParser::new(Some(1.0));
        assert_eq!(p.feed(&[b'x'; 5000]), None);
        assert_eq!(p.feed(b"\n=\n\xff\xfe=1\nout_time=aa:bb:cc\n"), None);
    }

    #[test]
    fn clock_times() {
        assert_eq!(parse_clock("01:02:03.5"), Some(3723.5));
        assert_eq!(parse_clock("-00:00:00.023"), Some(0.0));
        assert_eq!(parse_clock("12"), None);
        assert_eq!(parse_clock("1:2:3:4"), None);
    }

    #[test]
    fn outputs_are_checked_against_the_plan() {
        let good = ProbeSummary {
            kind: crate::model::MediaKind::Video,
            demuxer: "mov".into(),
            content_type: "video/mp4".into(),
            duration_secs: Some(1.0),
            width: Some(160),
            height: Some(120),
            video_codec: Some("h264".into()),
            audio_codec: Some("aac".into()),
            cover_stream: None,
            pixel_format: Some("yuv420p".into()),
            frame_rate: Some(25.0),
            bit_depth: Some(8),
            audio_channels: Some(2),
            faststart: Some(true),
        };
        let transcode = conversion(
            Some(VideoAction::H264 { max_fps: None }),
            Some(AudioAction::Aac { channels: 2 }),
        );
        assert_eq!(check_output(&transcode, &good), Ok(()));
        let bad = [
            ProbeSummary {
                faststart: Some(false),
                ..good.clone()
            },
            ProbeSummary {
                video_codec: Some("hevc".into()),
                ..good.clone()
            },
            ProbeSummary {
                pixel_format: Some("yuv444p".into()),
                ..good.clone()
            },
            ProbeSummary {
                width: Some(161),
                ..good.clone()
            },
            ProbeSummary {
                audio_codec: Some("opus".into()),
                ..good.clone()
            },
            ProbeSummary {
                audio_channels: Some(6),
                ..good.clone()
            },
        ];
        for probe in bad {
            assert!(check_output(&transcode, &probe).is_err(), "{probe:?}");
        }
        let remux = conversion(Some(VideoAction::Copy), Some(AudioAction::Copy));
        let mp3 = ProbeSummary {
            pixel_format: Some("yuvj420p".into()),
            audio_codec: Some("mp3".into()),
            ..good.clone()
        };
        assert_eq!(check_output(&remux, &mp3), Ok(()));
    }
}
