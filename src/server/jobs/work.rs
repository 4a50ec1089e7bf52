//! What each kind of job does: run the media module on the stored original,
//! store the result under the item's id, flag it on the row. Errors say
//! whether trying again could help and what a person should read.

use std::sync::Arc;

use super::Jobs;
use super::run::ProgressCell;
use crate::model::{JobKind, MediaId, MediaKind};
use crate::server::db::{ClaimedJob, DbError};
use crate::server::domain::MediaFacts;
use crate::server::media::decide::Conversion;
use crate::server::media::ladder::{LadderJob, LadderPlan};
use crate::server::media::poster::{PosterJob, PosterSource, frame_time};
use crate::server::media::scrub::ScrubJob;
use crate::server::media::transcode::PlayableJob;
use crate::server::media::waveform::WaveformJob;
use crate::server::media::{MediaError, ProcessError};
use crate::server::store::{StoreError, Variant};

/// Headroom kept free on the disk beyond what a job writes.
const DISK_RESERVE: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("not enough free disk space: {needed} bytes needed, {available} available")]
    NoSpace { needed: u64, available: u64 },
    #[error("the job's stored parameters are unreadable: {0}")]
    Params(#[from] serde_json::Error),
    #[error("this job does not apply to this item")]
    NotApplicable,
    #[error("the item this edit was made from was deleted")]
    SourceGone,
    /// The item's original is not in the store (lost, or deleted meanwhile).
    #[error("the item's original is missing from the store")]
    OriginalMissing,
}

impl StepError {
    /// Whether another attempt could succeed: the machine's troubles pass,
    /// a file that ffmpeg refuses or that takes too long stays that way.
    pub(crate) fn is_retryable(&self) -> bool {
        !matches!(
            self,
            StepError::Media(
                MediaError::Process(ProcessError::Timeout { .. }) | MediaError::Rejected(_)
            ) | StepError::Params(_)
                | StepError::NotApplicable
                | StepError::SourceGone
        )
    }

    /// What people read when this failure ends the job.
    pub(crate) fn reason(&self, kind: JobKind) -> String {
        let what = match kind {
            JobKind::Poster => "read a picture from this file",
            JobKind::Playable => "convert this file for browsers",
            JobKind::Scrub => "make scrub previews",
            JobKind::Waveform => "draw this sound's waveform",
            JobKind::Edit => "make this edit",
            JobKind::Ladder => "make the streaming versions",
        };
        match self {
            StepError::Media(MediaError::Process(ProcessError::Timeout { limit, .. })) => format!(
                "Reel stopped trying to {what}: it took longer than the limit of {}.",
                crate::format::duration(limit.as_secs_f64())
            ),
            StepError::Media(MediaError::Process(
                ProcessError::NotFound(_) | ProcessError::Spawn { .. },
            )) => format!("Reel could not {what}: ffmpeg could not be run on the server."),
            StepError::Media(MediaError::Rejected(rejection)) => rejection.to_string(),
            StepError::SourceGone => {
                "The item this edit was made from was deleted before the edit ran.".to_string()
            }
            StepError::NoSpace { .. } => {
                format!("Reel could not {what}: the server is short of disk space.")
            }
            StepError::Store(_) | StepError::Db(_) => {
                format!("Reel could not {what} because of a problem on the server.")
            }
            _ => format!(
                "Reel could not {what}. The file may be damaged or use a format ffmpeg cannot decode."
            ),
        }
    }
}

/// Runs one job's work; the caller handles heartbeats, retries and settling.
pub(crate) async fn run(
    jobs: Jobs,
    job: ClaimedJob,
    progress: Arc<ProgressCell>,
) -> Result<(), StepError> {
    let id = &job.media_id;
    let made = match job.kind {
        JobKind::Edit => super::edit::run(&jobs, id, &job.params, &progress).await?,
        kind => derive(&jobs, id, kind, &job.params, &progress).await?,
    };
    progress.set(1.0);
    if made {
        jobs.inner.repo.record_derived(id, job.kind).await?;
    }
    Ok(())
}

/// Makes a derived file from the item's original; false when the item was
/// deleted while its job waited (nothing to do).
async fn derive(
    jobs: &Jobs,
    id: &MediaId,
    kind: JobKind,
    params: &str,
    progress: &ProgressCell,
) -> Result<bool, StepError> {
    let inner = &jobs.inner;
    // An item deleted while its job waited: nothing to do.
    let Some((input, size_bytes)) = inner.repo.facts(id).await? else {
        return Ok(false);
    };
    let original = inner
        .store
        .materialise(id, Variant::Original)
        .await?
        .ok_or(StepError::OriginalMissing)?;
    let original = original.path();
    match kind {
        JobKind::Poster => {
            super::captions::read_file_tracks(jobs, id, &input.container, original).await?;
            poster(jobs, id, &input, original).await?;
        }
        JobKind::Edit => return Err(StepError::NotApplicable),
        JobKind::Ladder => {
            let plan: LadderPlan = serde_json::from_str(params)?;
            // The rungs together are rarely larger than the original.
            ensure_space(jobs, size_bytes)?;
            let job = LadderJob {
                input: original,
                demuxer: &input.container,
                plan: &plan,
                duration_secs: input.duration_secs,
            };
            super::ladder::run(jobs, id, &job, progress).await?;
        }
        JobKind::Playable => {
            let conversion: Conversion = serde_json::from_str(params)?;
            ensure_space(jobs, size_bytes.saturating_mul(2))?;
            let temp = inner.store.temp_output("mp4");
            let playable = PlayableJob {
                input: original,
                demuxer: &input.container,
                conversion: &conversion,
                duration_secs: input.duration_secs,
            };
            inner
                .media
                .make_playable(&playable, temp.path(), |f| progress.set(f))
                .await?;
            inner.store.persist(temp, id, Variant::Playable).await?;
        }
        JobKind::Scrub => {
            let (Some(duration), Some(width), Some(height)) =
                (input.duration_secs, input.width, input.height)
            else {
                return Err(StepError::NotApplicable);
            };
            ensure_space(jobs, 0)?;
            let sheet = inner.store.temp_output("jpg");
            let scrub = ScrubJob {
                input: original,
                demuxer: &input.container,
                duration_secs: duration,
                width,
                height,
            };
            let vtt = inner.media.scrub_previews(&scrub, sheet.path()).await?;
            inner.store.persist(sheet, id, Variant::Sprites).await?;
            inner
                .store
                .write_small(id, Variant::Thumbnails, vtt.as_bytes())
                .await?;
        }
        JobKind::Waveform => {
            let waveform = WaveformJob {
                input: original,
                demuxer: &input.container,
                duration_secs: input.duration_secs,
            };
            let peaks = inner.media.waveform(&waveform).await?;
            let json = serde_json::to_vec(&peaks)?;
            inner
                .store
                .write_small(id, Variant::Waveform, &json)
                .await?;
            // Measured with the waveform, so players can match levels.
            if let Some(duration) = input.duration_secs {
                let lufs = inner
                    .media
                    .integrated_loudness(original, &input.container, duration)
                    .await?;
                inner.repo.set_loudness(id, lufs).await?;
            }
        }
    }
    Ok(true)
}

pub(super) fn ensure_space(jobs: &Jobs, writes: u64) -> Result<(), StepError> {
    let available = jobs.inner.store.available_space()?;
    let needed = writes.saturating_add(DISK_RESERVE);
    if available < needed {
        return Err(StepError::NoSpace { needed, available });
    }
    Ok(())
}

async fn poster(
    jobs: &Jobs,
    id: &MediaId,
    input: &MediaFacts,
    original: &std::path::Path,
) -> Result<(), StepError> {
    let source = match (input.kind, input.cover_stream) {
        (MediaKind::Video, _) => PosterSource::VideoFrame {
            at_secs: frame_time(input.duration_secs),
        },
        (MediaKind::Audio, Some(stream)) => PosterSource::Cover { stream },
        (MediaKind::Audio, None) => return Err(StepError::NotApplicable),
    };
    ensure_space(jobs, 0)?;
    let media = &jobs.inner.media;
    let temp = jobs.inner.store.temp_output("jpg");
    let job = PosterJob {
        input: original,
        demuxer: &input.container,
        source,
    };
    let first = media.poster(&job, temp.path()).await;
    // A seek past the last keyframe of a short or odd file yields nothing: try the start.
    if let (Err(MediaError::NoPicture), PosterSource::VideoFrame { at_secs }) = (&first, source)
        && at_secs > 0.0
    {
        let job = PosterJob {
            source: PosterSource::VideoFrame { at_secs: 0.0 },
            ..job
        };
        media.poster(&job, temp.path()).await?;
    } else {
        first?;
    }
    jobs.inner.store.persist(temp, id, Variant::Poster).await?;
    Ok(())
}
