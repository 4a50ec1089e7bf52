//! ffprobe: the command line that asks, the JSON it answers, and the decision
//! whether a file is audio or video Reel accepts. Decisions come from content,
//! never from the file name or the client's Content-Type.

use std::ffi::OsString;
use std::path::Path;

use serde::Deserialize;

use described::ProbeChapter;

use super::safety::ALLOWED_DEMUXERS;
use crate::model::MediaKind;
use crate::model::captions::CAPTION_LABEL_MAX_CHARS;
use crate::server::domain::{Described, MediaFacts, SubtitleStream};

/// The largest picture Reel decodes (8K UHD is 33 million): a guard against
/// decompression bombs before any frame is decoded.
pub(crate) const MAX_PIXELS: u64 = 8192 * 8192;
/// The most subtitle streams of one file that are listed.
const MAX_SUBTITLE_STREAMS: usize = 32;

/// The longest recording Reel accepts, in seconds (24 hours).
pub(crate) const MAX_DURATION_SECS: f64 = 24.0 * 3600.0;

/// The highest frame rate Reel accepts: beyond that a file is more likely a
/// trap (millions of tiny frames) than a slow-motion camera.
pub(crate) const MAX_FRAME_RATE: f64 = 240.0;

/// Video codecs Reel decodes. Every other decoder in ffmpeg stays closed to
/// uploads: fewer decoders, fewer parser bugs within reach.
pub(crate) const ALLOWED_VIDEO_CODECS: &[&str] = &[
    "h264",
    "hevc",
    "vp8",
    "vp9",
    "av1",
    "mpeg4",
    "mpeg2video",
    "mpeg1video",
    "mjpeg",
    "theora",
    "prores",
    "dnxhd",
    "msmpeg4v2",
    "msmpeg4v3",
    "wmv1",
    "wmv2",
    "wmv3",
    "vc1",
    "flv1",
    "h263",
];

/// Audio codecs Reel decodes (camera, phone, disc and music formats).
pub(crate) const ALLOWED_AUDIO_CODECS: &[&str] = &[
    "aac",
    "mp3",
    "mp2",
    "opus",
    "vorbis",
    "flac",
    "alac",
    "ac3",
    "eac3",
    "dts",
    "wmav1",
    "wmav2",
    "amr_nb",
    "amr_wb",
    "pcm_u8",
    "pcm_s8",
    "pcm_s16le",
    "pcm_s16be",
    "pcm_s24le",
    "pcm_s24be",
    "pcm_s32le",
    "pcm_s32be",
    "pcm_f32le",
    "pcm_f32be",
    "pcm_f64le",
    "pcm_f64be",
    "pcm_alaw",
    "pcm_mulaw",
];

/// Arguments for probing a local file. `-format_whitelist` stops ffprobe from
/// even opening a demuxer outside the allow-list (a playlist hidden in a file).
pub(crate) fn args(input: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-v".into(), "error".into()];
    args.extend(super::safety::whitelists());
    args.extend([
        "-print_format".into(),
        "json".into(),
        "-show_format".into(),
        "-show_streams".into(),
        "-show_chapters".into(),
        super::safety::file_arg(input),
    ]);
    args
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProbeOutput {
    #[serde(default)]
    pub streams: Vec<Stream>,
    pub format: Option<Format>,
    #[serde(default)]
    pub chapters: Vec<ProbeChapter>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Stream {
    pub index: u32,
    pub codec_name: Option<String>,
    pub codec_type: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pix_fmt: Option<String>,
    /// "30000/1001"; "0/0" when unknown.
    pub avg_frame_rate: Option<String>,
    pub r_frame_rate: Option<String>,
    /// Bits per sample as coded ("8", "10"); absent for many codecs.
    pub bits_per_raw_sample: Option<String>,
    pub channels: Option<u32>,
    /// Bits per second, as text; absent for many containers' streams.
    pub bit_rate: Option<String>,
    #[serde(default)]
    pub disposition: Disposition,
    #[serde(default)]
    pub tags: std::collections::HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Disposition {
    #[serde(default)]
    pub attached_pic: u8,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Format {
    pub format_name: String,
    pub duration: Option<String>,
    /// The whole file's bits per second, as text.
    pub bit_rate: Option<String>,
    #[serde(default)]
    pub tags: std::collections::HashMap<String, String>,
}

/// What Reel keeps from a probe: the facts stored with the item, and the
/// stream details the playable-copy decision reads once.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ProbeSummary {
    pub facts: MediaFacts,
    /// The video's pixel format ("yuv420p", "yuv420p10le"...).
    pub pixel_format: Option<String>,
    /// Frames per second of the video (average, else the stream's base rate).
    pub frame_rate: Option<f64>,
    /// Bits per video sample, from the stream or else the pixel format.
    pub bit_depth: Option<u32>,
    pub audio_channels: Option<u32>,
    /// MOV/MP4 family only: whether the index (`moov`) comes before the media
    /// data, so a browser can start playing at once. `Media::probe` fills it
    /// from the file; `summarize` cannot know it.
    pub faststart: Option<bool>,
    /// The video's bits per second (the stream's, else the whole file's),
    /// which caps the streaming renditions' rates.
    pub video_bit_rate: Option<u64>,
    /// The file's title, comment, tags and chapters.
    pub described: Described,
}

/// Why a probed file is not accepted; the text is shown to people.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Rejection {
    #[error("This is not an audio or video file Reel can read.")]
    Unreadable,
    #[error("This is not an audio or video file Reel can read (it looks like `{0}`).")]
    UnsupportedContainer(String),
    #[error("This is not an audio or video file: it has no sound or picture track.")]
    NoMediaStreams,
    #[error(
        "The picture is too large ({width} × {height}); Reel accepts up to {MAX_PIXELS} pixels."
    )]
    PictureTooLarge { width: u32, height: u32 },
    /// ffprobe found a video track but could not read a single picture
    /// header: nothing could be decoded, so nothing is accepted.
    #[error("The video's picture size cannot be read: the file is damaged.")]
    NoPictureSize,
    /// `hours` rounded up.
    #[error("The recording is too long (about {hours} hours); Reel accepts up to 24 hours.")]
    TooLong { hours: u64 },
    /// `fps` rounded up.
    #[error(
        "The video has too many frames per second ({fps}); Reel accepts up to {MAX_FRAME_RATE}."
    )]
    FrameRateTooHigh { fps: u64 },
    #[error("Reel cannot play video encoded as `{0}`.")]
    UnsupportedVideoCodec(String),
    #[error("Reel cannot play sound encoded as `{0}`.")]
    UnsupportedAudioCodec(String),
}

impl ProbeOutput {
    pub(crate) fn parse(json: &[u8]) -> Result<Self, Rejection> {
        serde_json::from_slice(json).map_err(|_| Rejection::Unreadable)
    }

    pub(crate) fn summarize(&self) -> Result<ProbeSummary, Rejection> {
        let format = self.format.as_ref().ok_or(Rejection::Unreadable)?;
        let demuxer = format
            .format_name
            .split(',')
            .find(|name| ALLOWED_DEMUXERS.contains(name))
            .ok_or_else(|| Rejection::UnsupportedContainer(format.format_name.clone()))?
            .to_string();
        let of_type = |t: &'static str| {
            self.streams
                .iter()
                .filter(move |s| s.codec_type.as_deref() == Some(t))
        };
        let video = of_type("video").find(|s| s.disposition.attached_pic == 0);
        let cover = of_type("video").find(|s| s.disposition.attached_pic != 0);
        let audio = of_type("audio").next();
        let kind = match (video, audio) {
            (Some(_), _) => MediaKind::Video,
            (None, Some(_)) => MediaKind::Audio,
            (None, None) => return Err(Rejection::NoMediaStreams),
        };
        if video.is_some_and(|v| v.width.unwrap_or(0) == 0 || v.height.unwrap_or(0) == 0) {
            return Err(Rejection::NoPictureSize);
        }
        for picture in [video, cover].into_iter().flatten() {
            let (width, height) = (picture.width.unwrap_or(0), picture.height.unwrap_or(0));
            if u64::from(width) * u64::from(height) > MAX_PIXELS {
                return Err(Rejection::PictureTooLarge { width, height });
            }
        }
        let duration_secs = format
            .duration
            .as_deref()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0);
        if let Some(d) = duration_secs.filter(|d| *d > MAX_DURATION_SECS) {
            return Err(Rejection::TooLong {
                hours: (d / 3600.0).ceil() as u64,
            });
        }
        let frame_rate = video.and_then(Stream::frame_rate);
        if let Some(fps) = frame_rate.filter(|f| *f > MAX_FRAME_RATE) {
            return Err(Rejection::FrameRateTooHigh {
                fps: fps.ceil() as u64,
            });
        }
        let video_codec = video.and_then(|s| s.codec_name.clone());
        let audio_codec = audio.and_then(|s| s.codec_name.clone());
        if let Some(stream) = video {
            let codec = stream.codec_name.as_deref().unwrap_or("unknown");
            if !ALLOWED_VIDEO_CODECS.contains(&codec) {
                return Err(Rejection::UnsupportedVideoCodec(codec.to_string()));
            }
        }
        if let Some(stream) = audio {
            let codec = stream.codec_name.as_deref().unwrap_or("unknown");
            if !ALLOWED_AUDIO_CODECS.contains(&codec) {
                return Err(Rejection::UnsupportedAudioCodec(codec.to_string()));
            }
        }
        let pixel_format = video.and_then(|s| s.pix_fmt.clone());
        let content_type = content_type(
            &demuxer,
            kind,
            video_codec.as_deref(),
            audio_codec.as_deref(),
            &format.tags,
        );
        let described = described::described(
            &format.tags,
            // Ogg keeps the Vorbis comments on the stream; elsewhere a
            // stream's title names the track ("Stereo"), not the work.
            audio.filter(|_| demuxer == "ogg").map(|s| &s.tags),
            &self.chapters,
            duration_secs,
        );
        let mut described = described;
        described.subtitles = of_type("subtitle")
            .take(MAX_SUBTITLE_STREAMS)
            .map(|s| SubtitleStream {
                index: s.index,
                codec: s.codec_name.clone().unwrap_or_default(),
                language: s
                    .tags
                    .get("language")
                    .map(|l| l.trim().chars().take(35).collect::<String>())
                    .filter(|l| !l.is_empty()),
                title: s
                    .tags
                    .get("title")
                    .map(|t| {
                        t.trim()
                            .chars()
                            .take(CAPTION_LABEL_MAX_CHARS)
                            .collect::<String>()
                    })
                    .filter(|t| !t.is_empty()),
            })
            .collect();
        Ok(ProbeSummary {
            facts: MediaFacts {
                kind,
                container: demuxer,
                content_type: content_type.to_string(),
                duration_secs,
                width: video.and_then(|s| s.width),
                height: video.and_then(|s| s.height),
                video_codec,
                audio_codec,
                cover_stream: if kind == MediaKind::Audio {
                    cover.map(|s| s.index)
                } else {
                    None
                },
            },
            bit_depth: video.and_then(|s| {
                s.bits_per_raw_sample
                    .as_deref()
                    .and_then(|b| b.parse::<u32>().ok())
                    .filter(|b| *b > 0)
                    .or_else(|| s.pix_fmt.as_deref().and_then(depth_of_pixel_format))
            }),
            pixel_format,
            frame_rate,
            audio_channels: audio.and_then(|s| s.channels),
            faststart: None,
            video_bit_rate: video.and_then(|s| {
                let rate = |text: &Option<String>| {
                    text.as_deref()
                        .and_then(|t| t.parse::<u64>().ok())
                        .filter(|r| *r > 0)
                };
                rate(&s.bit_rate).or_else(|| rate(&format.bit_rate))
            }),
            described,
        })
    }
}

impl Stream {
    /// The average frame rate, else the base rate; `None` for "0/0" or junk.
    /// Only the average is trusted when it is high: the base rate of
    /// variable-rate Matroska, FLV or MPEG-TS streams is often the timestamp
    /// clock (1000/1, 90000/1), not a frame rate.
    pub(crate) fn frame_rate(&self) -> Option<f64> {
        self.avg_frame_rate
            .as_deref()
            .and_then(parse_rate)
            .or_else(|| {
                self.r_frame_rate
                    .as_deref()
                    .and_then(parse_rate)
                    .filter(|r| *r <= MAX_FRAME_RATE)
            })
    }
}

/// "30000/1001" → 29.97; "25" → 25; zero, negative or non-finite → `None`.
pub(crate) fn parse_rate(text: &str) -> Option<f64> {
    let rate = match text.split_once('/') {
        Some((num, den)) => {
            let (num, den) = (
                num.trim().parse::<f64>().ok()?,
                den.trim().parse::<f64>().ok()?,
            );
            if den == 0.0 {
                return None;
            }
            num / den
        }
        None => text.trim().parse::<f64>().ok()?,
    };
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// Bits per sample implied by a planar YUV pixel format name:
/// "yuv420p10le" → 10, "yuv420p" or "yuvj420p" → 8; `None` for others.
fn depth_of_pixel_format(pix_fmt: &str) -> Option<u32> {
    if !pix_fmt.starts_with("yuv") {
        return None;
    }
    let name = pix_fmt.trim_end_matches("le").trim_end_matches("be");
    match name.rsplit_once('p') {
        Some((_, "")) => Some(8),
        Some((_, bits)) => bits.parse().ok(),
        None => None,
    }
}

/// The MIME type browsers expect for what the probe found.
fn content_type(
    demuxer: &str,
    kind: MediaKind,
    video_codec: Option<&str>,
    audio_codec: Option<&str>,
    tags: &std::collections::HashMap<String, String>,
) -> &'static str {
    let video = kind == MediaKind::Video;
    match demuxer {
        "mov" | "mp4" | "m4a" | "3gp" | "3g2" | "mj2" => {
            let brand = tags.get("major_brand").map(|b| b.trim()).unwrap_or("");
            match (video, brand) {
                (true, "qt") => "video/quicktime",
                (true, "3gp4" | "3gp5" | "3gp6" | "3g2a") => "video/3gpp",
                (true, _) => "video/mp4",
                (false, _) => "audio/mp4",
            }
        }
        "matroska" | "webm" => {
            let webm_video = matches!(video_codec, None | Some("vp8" | "vp9" | "av1"));
            let webm_audio = matches!(audio_codec, None | Some("opus" | "vorbis"));
            match (video, webm_video && webm_audio) {
                (true, true) => "video/webm",
                (true, false) => "video/x-matroska",
                (false, true) => "audio/webm",
                (false, false) => "audio/x-matroska",
            }
        }
        "ogg" if video => "video/ogg",
        "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "aac" => "audio/aac",
        "aiff" => "audio/aiff",
        "avi" => "video/x-msvideo",
        "mpegts" => "video/mp2t",
        "flv" => "video/x-flv",
        "asf" if video => "video/x-ms-asf",
        "asf" => "audio/x-ms-wma",
        _ => "application/octet-stream",
    }
}

mod described;
#[cfg(test)]
mod tests;
