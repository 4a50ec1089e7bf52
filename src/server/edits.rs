//! Edit requests: check the source item, validate the request against its
//! playable file (`media::edit::plan_edit`), record the new item with its
//! `edit` job. The job (`jobs::edit`) does the rest.

use crate::edit::{CutMode, CutPoints, EditRequest};
use crate::model::{MediaItem, MediaState};
use crate::server::db::NewEdit;
use crate::server::error::Error;
use crate::server::jobs::edit::{EditParams, play_file};
use crate::server::media::edit::{EditSource, plan_edit};
use crate::server::state::AppState;
use crate::server::store::MediaId;

/// The longest title an edit gives its new item.
const TITLE_LIMIT: usize = 200;

/// The source item and its playable file, or why it cannot be edited.
async fn editable(state: &AppState, id: &MediaId) -> Result<(MediaItem, String), Error> {
    let item = state.repo.get(id).await?.ok_or(Error::NotFound)?;
    if let MediaState::Failed(_) = item.state {
        return Err(Error::BadRequest(
            "This item failed processing, so it cannot be edited. Retry its processing first."
                .into(),
        ));
    }
    if item.play.is_none() {
        return Err(Error::BadRequest(
            "This item is still being converted for browsers; edit it once it plays.".into(),
        ));
    }
    let container = state
        .repo
        .job_input(id)
        .await?
        .ok_or(Error::NotFound)?
        .container;
    Ok((item, container))
}

/// Where a fast cut may start in the item's playable file.
pub async fn cut_points(state: &AppState, id: &MediaId) -> Result<CutPoints, Error> {
    let (item, container) = editable(state, id).await?;
    let (path, demuxer) = play_file(&state.store, &item, &container).ok_or(Error::NotFound)?;
    Ok(state.media.cut_points(&path, &demuxer, item.kind).await?)
}

/// Validates `request` and records the new item with its queued edit job.
pub async fn start(
    state: &AppState,
    id: &MediaId,
    request: EditRequest,
) -> Result<MediaItem, Error> {
    let (item, container) = editable(state, id).await?;
    let (path, demuxer) = play_file(&state.store, &item, &container).ok_or(Error::NotFound)?;
    let source = EditSource {
        input: &path,
        demuxer: &demuxer,
        kind: item.kind,
        duration_secs: item.duration_secs.unwrap_or(0.0),
        width: item.width,
        height: item.height,
        has_audio: item.audio_codec.is_some(),
    };
    let cut_points = match request {
        EditRequest::Trim {
            mode: CutMode::Fast,
            ..
        } => Some(state.media.cut_points(&path, &demuxer, item.kind).await?),
        _ => None,
    };
    let plan = plan_edit(&source, &request, cut_points.as_ref())
        .map_err(|refusal| Error::BadRequest(refusal.to_string()))?;
    let new_id = MediaId::generate();
    let stem = match item.original_filename.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => item.original_filename.as_str(),
    };
    let params = EditParams {
        source: item.id.clone(),
        plan: plan.clone(),
    };
    let new = NewEdit {
        id: new_id,
        source: id.clone(),
        title: edit_title(&item.title, &request),
        original_filename: format!("{stem}-edit.{}", plan.extension),
        kind: plan.output_kind,
        summary: plan.summary.clone(),
        plan: serde_json::to_string(&params).map_err(|e| Error::BadRequest(e.to_string()))?,
    };
    let created = state.repo.insert_edit(&new).await?;
    state.jobs.wake();
    Ok(created)
}

/// "Interview (trimmed)", "Interview (MP3)", … within the title limit.
fn edit_title(title: &str, request: &EditRequest) -> String {
    let what = match request {
        EditRequest::Trim { .. } => "trimmed".to_string(),
        EditRequest::Export { format, height } => match height {
            Some(h) => format!("{}, {}p", format.label(), h.pixels()),
            None => format.label().to_string(),
        },
        EditRequest::ExtractAudio { format } => format!("audio, {}", format.label()),
        EditRequest::Normalize { target } => format!("normalised to {} LUFS", target.lufs()),
    };
    let suffix = format!(" ({what})");
    let room = TITLE_LIMIT.saturating_sub(suffix.chars().count());
    let head: String = title.chars().take(room).collect();
    format!("{head}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{ExportFormat, ExportHeight};

    #[test]
    fn titles_say_what_the_edit_made_and_stay_short() {
        let trim = EditRequest::Trim {
            start_secs: 1.0,
            end_secs: 2.0,
            mode: CutMode::Exact,
        };
        assert_eq!(edit_title("Talk", &trim), "Talk (trimmed)");
        let export = EditRequest::Export {
            format: ExportFormat::Webm,
            height: Some(ExportHeight::P480),
        };
        assert_eq!(edit_title("Talk", &export), "Talk (WebM (VP9/Opus), 480p)");
        let long = "x".repeat(500);
        assert_eq!(edit_title(&long, &trim).chars().count(), TITLE_LIMIT);
    }
}
