//! Edit requests: check the source item, validate the request against its
//! playable file (`media::edit::plan_edit`), record the new item with its
//! `edit` job. The job (`jobs::edit`) does the rest.

use crate::edit::{CutMode, CutPoints, EditRequest};
use crate::model::{MediaId, MediaItem, MediaState};
use crate::server::db::NewEdit;
use crate::server::jobs::edit::{EditParams, play_file};
use crate::server::media::edit::{EditSource, plan_edit};
use crate::server::store::Materialised;

use super::{Actor, Error, Missing, NotEditable, Result, Service};

/// The longest title an edit gives its new item.
const TITLE_LIMIT: usize = 200;

impl Service {
    /// The source item and its playable file, or why it cannot be edited.
    async fn editable(
        &self,
        actor: &Actor,
        id: &MediaId,
    ) -> Result<(MediaItem, Materialised, String)> {
        let repo = &self.inner.repo;
        let item = self.changeable(actor, id).await?.item;
        if let MediaState::Failed(_) = item.state {
            return Err(Error::NotEditable(NotEditable::Failed));
        }
        let (facts, _) = repo
            .facts(id)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        let (file, demuxer) = play_file(&self.inner.store, &item, &facts)
            .await?
            .ok_or(Error::NotEditable(NotEditable::NotPlayableYet))?;
        Ok((item, file, demuxer))
    }

    /// Where a fast cut may start in the item's playable file.
    pub(crate) async fn cut_points(&self, actor: &Actor, id: &MediaId) -> Result<CutPoints> {
        let (item, file, demuxer) = self.editable(actor, id).await?;
        Ok(self
            .inner
            .media
            .cut_points(file.path(), &demuxer, item.kind)
            .await?)
    }

    /// Validates `request` and records the new item with its queued edit job.
    pub(crate) async fn start_edit(
        &self,
        actor: &Actor,
        id: &MediaId,
        request: EditRequest,
    ) -> Result<MediaItem> {
        let (item, file, demuxer) = self.editable(actor, id).await?;
        let source = EditSource::of(&item, file.path(), &demuxer);
        let cut_points = match request {
            EditRequest::Trim {
                mode: CutMode::Fast,
                ..
            } => Some(
                self.inner
                    .media
                    .cut_points(file.path(), &demuxer, item.kind)
                    .await?,
            ),
            _ => None,
        };
        let plan = plan_edit(&source, &request, cut_points.as_ref()).map_err(Error::EditRefused)?;
        let stem = match item.original_filename.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => item.original_filename.as_str(),
        };
        let params = EditParams {
            source: item.id.clone(),
            plan: plan.clone(),
        };
        let new = NewEdit {
            id: MediaId::generate(),
            source: id.clone(),
            title: edit_title(&item.title, &request),
            original_filename: format!("{stem}-edit.{}", plan.extension),
            kind: plan.output_kind,
            summary: plan.summary.clone(),
            params: serde_json::to_string(&params).map_err(|e| {
                super::Internal::Corrupt(format!("cannot encode an edit's parameters: {e}"))
            })?,
            // The new item is the editor's, private (whoever owned the source).
            owner: actor.account().map(|a| a.id.clone()),
        };
        let created = self.inner.repo.insert_edit(&new).await?;
        self.inner.jobs.wake();
        self.item(actor, &created.item.id).await
    }
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
