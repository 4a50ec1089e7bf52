//! The `edit` job: run a validated `EditPlan` on the source item's playable
//! file, probe the result, store it as the new item's original and queue the
//! processing it needs (poster, waveform…), as an upload would.

use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Jobs;
use super::run::ProgressCell;
use super::work::StepError;
use crate::model::{MediaItem, PlaySource};
use crate::server::db::EditFacts;
use crate::server::media::edit::{EditPlan, EditSource};
use crate::server::store::{MediaId, Store, StoreError, Variant};

/// An edit job's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EditParams {
    pub source: String,
    pub plan: EditPlan,
}

/// The file edits read, and its demuxer: the item's playable file.
pub fn play_file(store: &Store, item: &MediaItem, container: &str) -> Option<(PathBuf, String)> {
    let id = MediaId::parse(&item.id)?;
    match item.play? {
        PlaySource::Original => Some((store.path(&id, Variant::Original), container.to_string())),
        // Converted copies are always MP4 (see media::transcode).
        PlaySource::Playable => Some((store.path(&id, Variant::Playable), "mov".to_string())),
    }
}

pub async fn run(
    jobs: &Jobs,
    id: &MediaId,
    params: &str,
    progress: &ProgressCell,
) -> Result<(), StepError> {
    let inner = &jobs.inner;
    let params: EditParams = serde_json::from_str(params)?;
    let source_id = MediaId::parse(&params.source).ok_or(StepError::SourceGone)?;
    let (Some(item), Some(input)) = (
        inner.repo.get(&source_id).await?,
        inner.repo.job_input(&source_id).await?,
    ) else {
        return Err(StepError::SourceGone);
    };
    let (path, demuxer) =
        play_file(&inner.store, &item, &input.container).ok_or(StepError::SourceGone)?;
    let source = EditSource {
        input: &path,
        demuxer: &demuxer,
        kind: item.kind,
        duration_secs: item.duration_secs.unwrap_or(0.0),
        width: item.width,
        height: item.height,
        has_audio: item.audio_codec.is_some(),
    };
    super::work::ensure_space(jobs, input.size_bytes.saturating_mul(2))?;
    let plan = &params.plan;
    let temp = inner.store.temp_path(&plan.extension);
    let result = inner
        .media
        .run_edit(plan, &source, temp.path(), |f| progress.set(f))
        .await?;
    let probe = inner.media.probe(temp.path()).await?;
    let (size_bytes, sha256) = hash_file(temp.path().to_path_buf()).await?;
    inner.store.persist(temp, id, Variant::Original).await?;

    let (play, follow_up) = super::plan_for(&probe);
    let summary = if result.note.is_empty() {
        plan.summary.clone()
    } else {
        format!("{}. {}", plan.summary, result.note)
    };
    let facts = EditFacts {
        size_bytes,
        sha256,
        content_type: probe.content_type,
        kind: probe.kind,
        container: probe.demuxer,
        duration_secs: probe.duration_secs,
        width: probe.width,
        height: probe.height,
        video_codec: probe.video_codec,
        audio_codec: probe.audio_codec,
        play,
        summary,
    };
    inner.repo.complete_edit(id, &facts, &follow_up).await?;
    jobs.wake();
    Ok(())
}

/// Size and SHA-256 of a finished file (its strong ETag when served).
async fn hash_file(path: PathBuf) -> Result<(u64, String), StepError> {
    use sha2::Digest;
    let at = path.clone();
    let io = move |source| StepError::Store(StoreError::Io { path: at, source });
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(&buffer[..n]);
        }
        Ok((size, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r)
    .map_err(io)
}
