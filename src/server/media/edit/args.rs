//! ffmpeg command lines for edits, built from typed values only: the input
//! is pinned to local files and the probed demuxer, every stream is mapped
//! explicitly, metadata is stripped and the muxer is forced.

use std::ffi::OsString;
use std::path::Path;

use crate::server::media::safety::{file_arg, whitelists};

/// The container an edit writes (the muxer forced with `-f`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Container {
    /// MP4 or M4A, index first.
    Mp4,
    Webm,
    Mp3,
    Flac,
    Wav,
    /// Ogg (Opus or Vorbis).
    Ogg,
    /// Raw AAC in ADTS frames (`.aac`).
    Adts,
}

impl Container {
    pub(super) fn muxer(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Webm => "webm",
            Container::Mp3 => "mp3",
            Container::Flac => "flac",
            Container::Wav => "wav",
            Container::Ogg => "ogg",
            Container::Adts => "adts",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum VideoCodec {
    /// Stream copy: packets as they are (fast cuts).
    Copy,
    /// libx264 veryfast at this CRF, yuv420p, even dimensions.
    X264 { crf: u8 },
    /// libvpx-vp9 with realtime settings, yuv420p.
    Vp9,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AudioCodec {
    Copy,
    /// libmp3lame 192 kb/s.
    Mp3,
    /// ffmpeg's AAC at this many kb/s.
    Aac {
        kbps: u32,
    },
    /// libopus 128 kb/s.
    Opus,
    /// libvorbis, quality 5 (about 160 kb/s).
    Vorbis,
    Flac,
    /// 16-bit PCM (WAV).
    Pcm16,
}

impl AudioCodec {
    /// The codec name ffprobe reports for the output; `None` for a copy.
    pub(super) fn probed_name(self) -> Option<&'static str> {
        match self {
            AudioCodec::Copy => None,
            AudioCodec::Mp3 => Some("mp3"),
            AudioCodec::Aac { .. } => Some("aac"),
            AudioCodec::Opus => Some("opus"),
            AudioCodec::Vorbis => Some("vorbis"),
            AudioCodec::Flac => Some("flac"),
            AudioCodec::Pcm16 => Some("pcm_s16le"),
        }
    }
}

impl VideoCodec {
    pub(super) fn probed_name(self) -> Option<&'static str> {
        match self {
            VideoCodec::Copy => None,
            VideoCodec::X264 { .. } => Some("h264"),
            VideoCodec::Vp9 => Some("vp9"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct VideoOut {
    pub codec: VideoCodec,
    /// Scale to this height (even width kept in proportion); encoders only.
    pub height: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct AudioOut {
    pub codec: AudioCodec,
    /// False for the sound of a video, which may have none (`0:a:0?`).
    pub required: bool,
    /// An `-af` filter graph built by Reel (loudnorm).
    pub filter: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
}

/// One ffmpeg run that writes a file.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Encode {
    /// `-ss` before `-i`: a keyframe seek for copies, frame-exact when encoding.
    pub seek_secs: Option<f64>,
    /// `-t` on the output.
    pub duration_secs: Option<f64>,
    pub video: Option<VideoOut>,
    pub audio: Option<AudioOut>,
    pub container: Container,
}

const X264_PRESET: &str = "veryfast";

/// Seconds as ffmpeg reads them: microseconds, never negative or exponent.
fn secs(value: f64) -> OsString {
    let value = if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    };
    format!("{value:.6}").into()
}

/// `-progress` on stdout, the whitelists, the forced demuxer and the input.
fn input_args(
    verbosity: &str,
    seek_secs: Option<f64>,
    input: &Path,
    demuxer: &str,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "-nostdin",
        "-hide_banner",
        "-v",
        verbosity,
        "-nostats",
        "-progress",
        "pipe:1",
        "-y",
    ]
    .map(OsString::from)
    .into();
    args.extend(whitelists());
    if let Some(at) = seek_secs {
        args.push("-ss".into());
        args.push(secs(at));
    }
    args.extend(["-f".into(), demuxer.into(), "-i".into(), file_arg(input)]);
    args
}

impl Encode {
    pub(super) fn args(&self, input: &Path, demuxer: &str, output: &Path) -> Vec<OsString> {
        let mut args = input_args("error", self.seek_secs, input, demuxer);
        match &self.video {
            Some(video) => {
                // `V`: the first real video stream, never an attached picture.
                args.extend(["-map", "0:V:0"].map(OsString::from));
                video_args(video, &mut args);
            }
            None => args.push("-vn".into()),
        }
        match &self.audio {
            Some(audio) => {
                let map = if audio.required { "0:a:0" } else { "0:a:0?" };
                args.extend(["-map", map].map(OsString::from));
                audio_args(audio, &mut args);
            }
            None => args.push("-an".into()),
        }
        if let Some(duration) = self.duration_secs {
            args.push("-t".into());
            args.push(secs(duration));
        }
        args.extend(
            [
                "-sn",
                "-dn",
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-max_muxing_queue_size",
                "1024",
            ]
            .map(OsString::from),
        );
        let copies = self
            .video
            .as_ref()
            .is_some_and(|v| v.codec == VideoCodec::Copy)
            || self
                .audio
                .as_ref()
                .is_some_and(|a| a.codec == AudioCodec::Copy);
        if copies {
            // Copied packets before the cut keep negative times otherwise.
            args.extend(["-avoid_negative_ts", "make_zero"].map(OsString::from));
        }
        if self.container == Container::Mp4 {
            args.extend(["-movflags", "+faststart"].map(OsString::from));
        }
        args.extend(["-f".into(), self.container.muxer().into(), file_arg(output)]);
        args
    }
}

/// A measuring run over the first sound stream: `filter` prints its report
/// on stderr at info level; nothing is written (`-f null`).
pub(super) fn analysis_args(input: &Path, demuxer: &str, filter: &str) -> Vec<OsString> {
    let mut args = input_args("info", None, input, demuxer);
    args.extend(["-map", "0:a:0", "-vn", "-sn", "-dn", "-af"].map(OsString::from));
    args.push(filter.into());
    args.extend(["-f", "null", "-"].map(OsString::from));
    args
}

/// Keyframe times of the first video stream from packet flags, without
/// decoding: `packet|pts_time=1.000000|flags=K_` lines, then the container's
/// `format|start_time=…`.
pub(super) fn keyframe_probe_args(input: &Path, demuxer: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-v", "error"].map(OsString::from).into();
    args.extend(whitelists());
    args.extend(
        [
            "-f",
            demuxer,
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,flags:format=start_time",
            "-of",
            "compact",
        ]
        .map(OsString::from),
    );
    args.push(file_arg(input));
    args
}

/// The few stream facts an edit needs beyond the stored probe: codecs,
/// sample rate, channels and frame rate.
pub(super) fn facts_probe_args(input: &Path, demuxer: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-v", "error"].map(OsString::from).into();
    args.extend(whitelists());
    args.extend(
        [
            "-f",
            demuxer,
            "-print_format",
            "json",
            "-show_entries",
            "stream=index,codec_type,codec_name,sample_rate,channels,avg_frame_rate,r_frame_rate\
             :stream_disposition=attached_pic",
        ]
        .map(OsString::from),
    );
    args.push(file_arg(input));
    args
}

fn scale_filter(height: Option<u32>) -> String {
    match height {
        Some(h) => format!("scale=-2:{h},setsar=1"),
        // 4:2:0 needs even sides.
        None => "scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1".into(),
    }
}

fn video_args(video: &VideoOut, args: &mut Vec<OsString>) {
    match video.codec {
        VideoCodec::Copy => args.extend(["-c:v", "copy"].map(OsString::from)),
        VideoCodec::X264 { crf } => {
            args.extend(["-c:v", "libx264", "-preset", X264_PRESET, "-crf"].map(OsString::from));
            args.push(crf.to_string().into());
            args.extend(["-pix_fmt", "yuv420p", "-vf"].map(OsString::from));
            args.push(scale_filter(video.height).into());
        }
        VideoCodec::Vp9 => {
            args.extend(
                [
                    "-c:v",
                    "libvpx-vp9",
                    "-deadline",
                    "realtime",
                    "-cpu-used",
                    "8",
                    "-row-mt",
                    "1",
                    "-crf",
                    "33",
                    "-b:v",
                    "0",
                    "-pix_fmt",
                    "yuv420p",
                    "-vf",
                ]
                .map(OsString::from),
            );
            args.push(scale_filter(video.height).into());
        }
    }
}

fn audio_args(audio: &AudioOut, args: &mut Vec<OsString>) {
    if let Some(filter) = &audio.filter {
        args.push("-af".into());
        args.push(filter.into());
    }
    let codec: &[&str] = match audio.codec {
        AudioCodec::Copy => &["-c:a", "copy"],
        AudioCodec::Mp3 => &["-c:a", "libmp3lame", "-b:a", "192k"],
        AudioCodec::Aac { .. } => &["-c:a", "aac", "-b:a"],
        AudioCodec::Opus => &["-c:a", "libopus", "-b:a", "128k"],
        AudioCodec::Vorbis => &["-c:a", "libvorbis", "-q:a", "5"],
        AudioCodec::Flac => &["-c:a", "flac"],
        AudioCodec::Pcm16 => &["-c:a", "pcm_s16le"],
    };
    args.extend(codec.iter().map(OsString::from));
    if let AudioCodec::Aac { kbps } = audio.codec {
        args.push(format!("{kbps}k").into());
    }
    if let Some(rate) = audio.sample_rate {
        args.push("-ar".into());
        args.push(rate.to_string().into());
    }
    if let Some(channels) = audio.channels {
        args.push("-ac".into());
        args.push(channels.to_string().into());
    }
}
