//! ffprobe: the command line that asks, the JSON it answers, and the decision
//! whether a file is audio or video Reel accepts. Decisions come from content,
//! never from the file name or the client's Content-Type.

use std::ffi::OsString;
use std::path::Path;

use serde::Deserialize;

use crate::model::MediaKind;

/// Demuxers Reel accepts. Playlists (hls), scripts (concat), image sequences
/// and text renderers (tty) are excluded: they read other files or are not media.
pub const ALLOWED_DEMUXERS: &[&str] = &[
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mp3", "ogg", "wav", "flac",
    "avi", "aac", "mpegts", "asf", "aiff", "flv",
];

/// The largest picture Reel decodes (8K UHD is 33 million): a guard against
/// decompression bombs before any frame is decoded.
pub const MAX_PIXELS: u64 = 8192 * 8192;

/// Arguments for probing a local file. `-format_whitelist` stops ffprobe from
/// even opening a demuxer outside the allow-list (a playlist hidden in a file).
pub fn args(input: &Path) -> Vec<OsString> {
    let mut file_arg = OsString::from("file:");
    file_arg.push(input.as_os_str());
    vec![
        "-v".into(),
        "error".into(),
        "-protocol_whitelist".into(),
        "file".into(),
        "-format_whitelist".into(),
        ALLOWED_DEMUXERS.join(",").into(),
        "-print_format".into(),
        "json".into(),
        "-show_format".into(),
        "-show_streams".into(),
        file_arg,
    ]
}

#[derive(Debug, Deserialize)]
pub struct ProbeOutput {
    #[serde(default)]
    pub streams: Vec<Stream>,
    pub format: Option<Format>,
}

#[derive(Debug, Deserialize)]
pub struct Stream {
    pub index: u32,
    pub codec_name: Option<String>,
    pub codec_type: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pix_fmt: Option<String>,
    #[serde(default)]
    pub disposition: Disposition,
}

#[derive(Debug, Default, Deserialize)]
pub struct Disposition {
    #[serde(default)]
    pub attached_pic: u8,
}

#[derive(Debug, Deserialize)]
pub struct Format {
    pub format_name: String,
    pub duration: Option<String>,
    #[serde(default)]
    pub tags: std::collections::HashMap<String, String>,
}

/// What Reel keeps from a probe.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeSummary {
    pub kind: MediaKind,
    /// The single demuxer name later ffmpeg runs force with `-f`.
    pub demuxer: String,
    pub content_type: String,
    pub duration_secs: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// Index of an embedded cover picture (audio files).
    pub cover_stream: Option<u32>,
}

/// Why a probed file is not accepted; the text is shown to people.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
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
}

impl ProbeOutput {
    pub fn parse(json: &[u8]) -> Result<Self, Rejection> {
        serde_json::from_slice(json).map_err(|_| Rejection::Unreadable)
    }

    pub fn summarize(&self) -> Result<ProbeSummary, Rejection> {
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
        let video_codec = video.and_then(|s| s.codec_name.clone());
        let audio_codec = audio.and_then(|s| s.codec_name.clone());
        let content_type = content_type(
            &demuxer,
            kind,
            video_codec.as_deref(),
            audio_codec.as_deref(),
            &format.tags,
        );
        Ok(ProbeSummary {
            kind,
            demuxer,
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
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(fixture: &str) -> Result<ProbeSummary, Rejection> {
        ProbeOutput::parse(fixture.as_bytes())?.summarize()
    }

    #[test]
    fn mp4_with_sound_is_video() {
        let s = summary(include_str!("fixtures/clip-mp4.json")).expect("accepted");
        assert_eq!(s.kind, MediaKind::Video);
        assert_eq!(s.demuxer, "mov");
        assert_eq!(s.content_type, "video/mp4");
        assert_eq!((s.width, s.height), (Some(320), Some(240)));
        assert_eq!(s.video_codec.as_deref(), Some("h264"));
        assert_eq!(s.audio_codec.as_deref(), Some("aac"));
        assert_eq!(s.duration_secs, Some(2.0));
        assert_eq!(s.cover_stream, None);
    }

    #[test]
    fn mp3_is_audio() {
        let s = summary(include_str!("fixtures/tone-mp3.json")).expect("accepted");
        assert_eq!(s.kind, MediaKind::Audio);
        assert_eq!(s.content_type, "audio/mpeg");
        assert_eq!(s.video_codec, None);
        assert!(s.duration_secs.is_some_and(|d| (d - 2.0).abs() < 0.1));
    }

    #[test]
    fn cover_art_does_not_make_audio_a_video() {
        let s = summary(include_str!("fixtures/withcover-mp3.json")).expect("accepted");
        assert_eq!(s.kind, MediaKind::Audio);
        assert_eq!(s.cover_stream, Some(1));
        assert_eq!((s.width, s.height), (None, None));
    }

    #[test]
    fn opus_in_ogg_is_audio_ogg() {
        let s = summary(include_str!("fixtures/tone-opus.json")).expect("accepted");
        assert_eq!(s.kind, MediaKind::Audio);
        assert_eq!(s.content_type, "audio/ogg");
        assert_eq!(s.audio_codec.as_deref(), Some("opus"));
    }

    #[test]
    fn text_and_playlists_are_refused() {
        assert_eq!(
            summary(include_str!("fixtures/tty-text.json")),
            Err(Rejection::UnsupportedContainer("tty".into()))
        );
        assert_eq!(
            summary(include_str!("fixtures/hls-playlist.json")),
            Err(Rejection::UnsupportedContainer("hls".into()))
        );
    }

    #[test]
    fn empty_or_broken_output_is_unreadable() {
        assert_eq!(summary("{\n\n}"), Err(Rejection::Unreadable));
        assert_eq!(summary("not json"), Err(Rejection::Unreadable));
        assert_eq!(
            summary(
                r#"{"streams":[{"index":0,"codec_type":"data"}],"format":{"format_name":"mp3"}}"#
            ),
            Err(Rejection::NoMediaStreams)
        );
    }

    #[test]
    fn giant_pictures_are_refused_before_decoding() {
        let json = r#"{"streams":[{"index":0,"codec_type":"video","codec_name":"png","width":30000,"height":30000}],
            "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}"#;
        assert_eq!(
            summary(json),
            Err(Rejection::PictureTooLarge {
                width: 30000,
                height: 30000
            })
        );
    }

    #[test]
    fn matroska_is_webm_only_with_webm_codecs() {
        let tags = Default::default();
        assert_eq!(
            content_type(
                "matroska",
                MediaKind::Video,
                Some("vp9"),
                Some("opus"),
                &tags
            ),
            "video/webm"
        );
        assert_eq!(
            content_type(
                "matroska",
                MediaKind::Video,
                Some("h264"),
                Some("aac"),
                &tags
            ),
            "video/x-matroska"
        );
    }

    #[test]
    fn probe_arguments_pin_the_protocol_and_demuxers() {
        let args = args(Path::new("/data/x"));
        let text: Vec<_> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(
            text.windows(2)
                .any(|w| w == ["-protocol_whitelist", "file"])
        );
        assert!(
            text.iter()
                .any(|a| a.contains("matroska") && !a.contains("hls"))
        );
        assert_eq!(text.last().map(String::as_str), Some("file:/data/x"));
    }
}
