//! Captions: a file's text subtitle streams read out as WebVTT by ffmpeg,
//! and caption files as text (`text`).

pub(crate) mod text;

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::safety::{file_arg, whitelists};
use super::{Media, MediaError, Tool};

/// Reading a subtitle stream demuxes the whole file, but decodes nothing else.
const SUBTITLE_LIMIT: Duration = Duration::from_secs(300);

/// One text subtitle stream of a file, to be read as WebVTT.
#[derive(Clone, Debug)]
pub(crate) struct SubtitleJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced so ffmpeg cannot be talked into another.
    pub demuxer: &'a str,
    /// The stream's index in the file.
    pub stream: u32,
}

impl SubtitleJob<'_> {
    pub(crate) fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-nostdin".into(), "-v".into(), "error".into()];
        args.extend(whitelists());
        args.extend([
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            file_arg(self.input),
            "-map".into(),
            format!("0:{}", self.stream).into(),
            "-c:s".into(),
            "webvtt".into(),
            "-f".into(),
            "webvtt".into(),
            "pipe:1".into(),
        ]);
        args
    }
}

impl Media {
    /// The stream as WebVTT bytes; a stream that writes more than a caption
    /// file may hold is refused.
    pub(crate) async fn subtitle_vtt(&self, job: &SubtitleJob<'_>) -> Result<Vec<u8>, MediaError> {
        let mut out = Vec::new();
        let mut over = false;
        self.runner
            .run_streaming(Tool::Ffmpeg, job.args(), SUBTITLE_LIMIT, |chunk| {
                if out.len() + chunk.len() > text::MAX_CAPTION_BYTES * 4 {
                    over = true;
                } else {
                    out.extend_from_slice(chunk);
                }
            })
            .await?;
        if over {
            return Err(MediaError::TooMuchText);
        }
        Ok(out)
    }
}
