//! The playable copy (for "Download" and progressive playback) made from a
//! finished ladder: its top rung and its sound, copied into one MP4 with
//! the index first. No second encode: the ladder's top rung already is
//! H.264 at the source's size (up to 1080p).

use std::ffi::OsString;
use std::path::Path;

use super::LadderPlan;
use crate::server::media::decide::Conversion;
use crate::server::media::process::Tool;
use crate::server::media::safety::{RemoveOnDrop, file_arg, whitelists};
use crate::server::media::{Media, MediaError};

/// Copying streams takes seconds even for long films.
const COPY_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The ffmpeg command that copies the top rung (and the sound) from the
/// ladder in `dir` into `output`.
pub(crate) fn copy_args(dir: &Path, plan: &LadderPlan, output: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-v", "error", "-y"].map(OsString::from).into();
    let mut inputs = vec!["v0.mp4".to_string()];
    if plan.audio {
        inputs.push(format!("v{}.mp4", plan.rungs.len()));
    }
    for name in &inputs {
        args.extend(whitelists());
        args.extend(["-f".into(), "mov".into(), "-i".into()]);
        args.push(file_arg(&dir.join(name)));
    }
    args.extend(["-map", "0:v:0"].map(OsString::from));
    if plan.audio {
        args.extend(["-map", "1:a:0"].map(OsString::from));
    }
    args.extend(
        [
            "-c",
            "copy",
            "-map_metadata",
            "-1",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ]
        .map(OsString::from),
    );
    args.push(file_arg(output));
    args
}

impl Media {
    /// Writes the playable copy from the finished ladder in `dir` to
    /// `output` and checks it against `conversion`; on error `output` goes.
    pub(crate) async fn playable_from_ladder(
        &self,
        dir: &Path,
        plan: &LadderPlan,
        conversion: &Conversion,
        output: &Path,
    ) -> Result<(), MediaError> {
        let mut guard = RemoveOnDrop::new(output);
        self.runner
            .run(Tool::Ffmpeg, copy_args(dir, plan, output), COPY_LIMIT)
            .await?;
        self.check_playable(output, conversion).await?;
        guard.disarm();
        Ok(())
    }
}
