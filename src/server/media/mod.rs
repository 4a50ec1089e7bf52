//! Everything that runs ffmpeg or ffprobe. Callers get typed results; the
//! command lines are built here from typed values only.

pub(crate) mod captions;
pub(crate) mod decide;
pub(crate) mod edit;
pub(crate) mod ladder;
pub(crate) mod loudness;
pub(crate) mod mp4_index;
pub(crate) mod poster;
pub(crate) mod probe;
pub(crate) mod process;
pub(crate) mod safety;
pub(crate) mod scrub;
pub(crate) mod transcode;
pub(crate) mod waveform;

use std::path::Path;
use std::time::Duration;

pub(crate) use probe::{ProbeSummary, Rejection};
pub(crate) use process::{ProcessError, Runner, Tool};

/// Probing reads headers only; a file that takes longer is not one we want.
const PROBE_LIMIT: Duration = Duration::from_secs(30);
/// Decoding one frame, even deep in a large file.
const POSTER_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub(crate) enum MediaError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("ffmpeg finished but wrote no picture")]
    NoPicture,
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The playable copy ffmpeg wrote is not what browsers need.
    #[error("the playable copy is not right: {0}")]
    BadPlayable(String),
    /// An edit's output is not what was asked, or its source cannot be read.
    #[error("the edit did not come out right: {0}")]
    BadEdit(String),
    /// A subtitle stream larger than any caption file.
    #[error("a subtitle stream holds more text than a caption track may")]
    TooMuchText,
}

/// Probes read headers only and answer uploads that are waiting: they get
/// their own slots so long ffmpeg jobs never hold an upload at 100 %.
const PROBE_CONCURRENCY: usize = 4;

#[derive(Clone, Debug)]
pub(crate) struct Media {
    runner: Runner,
    probes: Runner,
    /// The longest one long ffmpeg run (a transcode) may take.
    job_limit: Duration,
}

impl Media {
    pub(crate) fn new(concurrency: usize, job_limit: Duration) -> Self {
        Media {
            runner: Runner::new(concurrency),
            probes: Runner::new(PROBE_CONCURRENCY),
            job_limit,
        }
    }

    /// Probes a local file and decides whether Reel accepts it.
    pub(crate) async fn probe(&self, path: &Path) -> Result<ProbeSummary, MediaError> {
        match self
            .probes
            .run(Tool::Ffprobe, probe::args(path), PROBE_LIMIT)
            .await
        {
            Ok(output) => {
                let mut summary = probe::ProbeOutput::parse(&output.stdout)?.summarize()?;
                if decide::is_mov_family(&summary.facts.container) {
                    // `None` (headers not understood) counts as not ready to stream.
                    summary.faststart = mp4_index::faststart(path).await?;
                }
                Ok(summary)
            }
            // ffprobe exits non-zero on data it cannot read: that is the file's fault.
            Err(ProcessError::Status { stderr, .. }) => {
                tracing::info!(%stderr, "ffprobe refused an upload");
                Err(Rejection::Unreadable.into())
            }
            Err(ProcessError::Timeout { .. }) => Err(Rejection::Unreadable.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a JPEG poster for `job` to `output`.
    pub(crate) async fn poster(
        &self,
        job: &poster::PosterJob<'_>,
        output: &Path,
    ) -> Result<(), MediaError> {
        self.runner
            .run(Tool::Ffmpeg, job.args(output), POSTER_LIMIT)
            .await?;
        match tokio::fs::metadata(output).await {
            Ok(meta) if meta.len() > 0 => Ok(()),
            _ => Err(MediaError::NoPicture),
        }
    }
}

#[cfg(test)]
mod tests;
