//! Facts about an edit's source read at run time: stream details the stored
//! probe lacks, and keyframe times for fast cuts.

use super::*;

/// Stream facts read at run time: what the stored probe summary lacks.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SourceFacts {
    pub(super) video_codec: Option<String>,
    pub(super) audio_codec: Option<String>,
    pub(super) sample_rate: Option<u32>,
    pub(super) channels: Option<u32>,
    pub(super) frame_rate: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct FactsJson {
    #[serde(default)]
    pub(super) streams: Vec<FactsStream>,
}

#[derive(Deserialize)]
pub(super) struct FactsStream {
    pub(super) codec_type: Option<String>,
    pub(super) codec_name: Option<String>,
    pub(super) sample_rate: Option<String>,
    pub(super) channels: Option<u32>,
    pub(super) avg_frame_rate: Option<String>,
    pub(super) r_frame_rate: Option<String>,
    #[serde(default)]
    pub(super) disposition: Option<FactsDisposition>,
}

#[derive(Deserialize)]
pub(super) struct FactsDisposition {
    #[serde(default)]
    pub(super) attached_pic: u8,
}

impl SourceFacts {
    pub(super) fn parse(json: &[u8]) -> Option<SourceFacts> {
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
                .and_then(crate::server::media::probe::parse_rate)
                .or_else(|| {
                    s.r_frame_rate
                        .as_deref()
                        .and_then(crate::server::media::probe::parse_rate)
                })
                .filter(|r| *r <= crate::server::media::probe::MAX_FRAME_RATE)
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
    pub(super) fn frame_secs(&self) -> f64 {
        1.0 / self.frame_rate.unwrap_or(25.0)
    }
}

/// Collects keyframe times from `ffprobe -of compact` packet lines as they
/// stream in, keeping only keyframes (a long file has millions of packets).
#[derive(Debug, Default)]
pub(crate) struct KeyframeParser {
    pub(super) pending: Vec<u8>,
    pub(super) keyframes: Vec<f64>,
    pub(super) start_time: Option<f64>,
}

impl KeyframeParser {
    pub(super) fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.pending);
                self.line(&line);
            } else if self.pending.len() < 512 {
                self.pending.push(byte);
            }
        }
    }

    pub(super) fn line(&mut self, line: &[u8]) {
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
    pub(super) fn finish(mut self) -> Vec<f64> {
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

/// The parsers above as the fuzz target `ffmpeg_reports` drives them
/// (`testing::fuzz`): they read what ffprobe prints about a file, which the
/// file's bytes steer.
#[cfg(any(test, feature = "testing"))]
pub(crate) mod fuzzing {
    /// One frame's length from `ffprobe -of json` facts, if they parse.
    pub(crate) fn frame_secs(json: &[u8]) -> Option<f64> {
        super::SourceFacts::parse(json).map(|facts| facts.frame_secs())
    }

    /// Keyframe times from packet lines fed in chunks of `chunk` bytes, as
    /// they arrive from a running ffprobe.
    pub(crate) fn keyframes(output: &[u8], chunk: usize) -> Vec<f64> {
        let mut parser = super::KeyframeParser::default();
        for part in output.chunks(chunk.max(1)) {
            parser.feed(part);
        }
        parser.finish()
    }
}
