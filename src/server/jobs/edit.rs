//! The `edit` job: run a validated `EditPlan` on the source item's playable
//! file, probe the result, store it as the new item's original and queue the
//! processing it needs (poster, waveform…), as an upload would.

use serde::{Deserialize, Serialize};

use super::Jobs;
use super::run::ProgressCell;
use super::work::StepError;
use crate::model::{MediaId, MediaItem, PlaySource};
use crate::server::db::FinishedEdit;
use crate::server::domain::MediaFacts;
use crate::server::media::edit::{EditPlan, EditSource};
use crate::server::store::{Materialised, Store, StoreError, Variant};

/// An edit job's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct EditParams {
    pub(crate) source: MediaId,
    pub(crate) plan: EditPlan,
}

/// The file edits read (the item's playable one) on this machine, and its
/// demuxer; `None` when the item has nothing playable (yet, or any more).
pub(crate) async fn play_file(
    store: &Store,
    item: &MediaItem,
    facts: &MediaFacts,
) -> Result<Option<(Materialised, String)>, StoreError> {
    let (variant, demuxer) = match item.play {
        None => return Ok(None),
        Some(PlaySource::Original) => (Variant::Original, facts.container.clone()),
        // Converted copies are always MP4 (see media::transcode).
        Some(PlaySource::Playable) => (Variant::Playable, "mov".to_string()),
    };
    Ok(store
        .materialise(&item.id, variant)
        .await?
        .map(|file| (file, demuxer)))
}

/// Makes the edited file for item `id`; false when that item was deleted
/// while its job waited.
pub(crate) async fn run(
    jobs: &Jobs,
    id: &MediaId,
    params: &str,
    progress: &ProgressCell,
) -> Result<bool, StepError> {
    let inner = &jobs.inner;
    if inner.repo.get(id).await?.is_none() {
        return Ok(false);
    }
    let params: EditParams = serde_json::from_str(params)?;
    let (Some(item), Some((facts, size_bytes))) = (
        inner.repo.get(&params.source).await?,
        inner.repo.facts(&params.source).await?,
    ) else {
        return Err(StepError::SourceGone);
    };
    let (file, demuxer) = play_file(&inner.store, &item, &facts)
        .await?
        .ok_or(StepError::SourceGone)?;
    let source = EditSource::of(&item, file.path(), &demuxer);
    super::work::ensure_space(jobs, size_bytes.saturating_mul(2))?;
    let plan = &params.plan;
    let temp = inner.store.temp_output(&plan.extension);
    let result = inner
        .media
        .run_edit(plan, &source, temp.path(), |f| progress.set(f))
        .await?;
    drop(file);
    let probe = inner.media.probe(temp.path()).await?;
    let (size_bytes, sha256) = temp.digest().await?;
    inner.store.persist(temp, id, Variant::Original).await?;

    let (play, follow_up) = super::plan_for(&probe);
    let summary = if result.note.is_empty() {
        plan.summary.clone()
    } else {
        format!("{}. {}", plan.summary, result.note)
    };
    let done = FinishedEdit {
        size_bytes,
        sha256,
        facts: probe.facts,
        play,
        summary,
    };
    inner.repo.complete_edit(id, &done, &follow_up).await?;
    jobs.wake();
    Ok(true)
}
