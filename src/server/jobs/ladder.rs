//! The ladder job: one ffmpeg run makes every rendition, and the item is
//! published for streaming as soon as each rendition has its first segment
//! (on a local store, where the byte server sees the files grow).

use std::time::Duration;

use super::Jobs;
use super::run::ProgressCell;
use super::work::StepError;
use crate::model::{HlsState, JobKind, MediaId};
use crate::server::media::ladder::LadderJob;
use crate::server::store::Variant;

/// How often the growing ladder is looked at until it can be played.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// Encodes `job` into the item's ladder folder and keeps it; the item says
/// `Live` from its first segments on. On any error or cancel the folder
/// goes (its guard) and the item says it has no ladder.
pub(super) async fn run(
    jobs: &Jobs,
    id: &MediaId,
    job: &LadderJob<'_>,
    progress: &ProgressCell,
) -> Result<(), StepError> {
    let inner = &jobs.inner;
    // A ladder from an interrupted run is about to be replaced.
    inner.repo.set_hls(id, None).await?;
    let output = inner.store.ladder_output(id).await?;
    let dir = output.dir().to_path_buf();
    let encode = inner.media.make_ladder(job, &dir, |f| progress.set(f));
    tokio::pin!(encode);
    let mut watch = tokio::time::interval(WATCH_EVERY);
    let mut published = !output.is_live();
    let encoded = loop {
        tokio::select! {
            encoded = &mut encode => break encoded,
            _ = watch.tick(), if !published => {
                if output.has_started(job.plan.streams()).await {
                    inner.repo.set_hls(id, Some(HlsState::Live)).await?;
                    jobs.publish(id, true).await;
                    published = true;
                }
            }
        }
    };
    if let Err(e) = encoded {
        if published {
            // Best effort: the job's failure is what matters.
            let _ = inner.repo.set_hls(id, None).await;
        }
        return Err(e.into());
    }
    // The download copy comes from the top rung, not a second encode.
    if let Some(conversion) = &job.plan.playable {
        let temp = inner.store.temp_output("mp4");
        inner
            .media
            .playable_from_ladder(&dir, job.plan, conversion, temp.path())
            .await?;
        inner.store.persist(temp, id, Variant::Playable).await?;
    }
    inner.store.commit_ladder(output, id).await?;
    if job.plan.playable.is_some() {
        inner.repo.record_derived(id, JobKind::Playable).await?;
    }
    Ok(())
}
