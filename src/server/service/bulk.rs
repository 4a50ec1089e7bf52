//! Many items at once (the library's selection): each item goes through the
//! same use case, with the same rights check, as it would alone; an item
//! that fails does not stop the others, and each failure is said.

use super::access::Actor;
use super::collections::Room;
use super::{Error, Result, Service};
use crate::accounts::Visibility;
use crate::model::MediaId;
use crate::model::bulk::{BulkAction, MAX_BULK_ITEMS};
use crate::model::labels::{clean_labels, label_key};

impl Service {
    /// Does `action` to each of `ids`; what became of each, in order. A
    /// request that is wrong as a whole (too many items, a bad tag) is
    /// refused before any item is touched.
    pub(crate) async fn bulk(
        &self,
        actor: &Actor,
        ids: &[MediaId],
        action: &BulkAction,
    ) -> Result<Vec<(MediaId, Result<()>)>> {
        if ids.len() > MAX_BULK_ITEMS {
            return Err(Error::Invalid(format!(
                "At most {MAX_BULK_ITEMS} items can be changed at once; {} were chosen.",
                ids.len()
            )));
        }
        let labels = match action {
            BulkAction::AddLabels { labels } | BulkAction::RemoveLabels { labels } => {
                clean_labels(labels).map_err(Error::Invalid)?
            }
            _ => Vec::new(),
        };
        // The playlist is checked once: a request for one the asker may
        // not change is refused as a whole.
        let mut playlist = match action {
            BulkAction::AddToPlaylist { playlist } => {
                let row = self.changeable_playlist(actor, playlist).await?;
                let room = Room::of(&row);
                Some((row, room))
            }
            _ => None,
        };
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = match action {
                BulkAction::AddLabels { .. } => self.add_labels(actor, id, &labels).await,
                BulkAction::RemoveLabels { .. } => self.remove_labels(actor, id, &labels).await,
                BulkAction::SetVisibility { visibility } => {
                    self.set_visibility(actor, id, *visibility).await
                }
                BulkAction::AddToPlaylist { .. } => match &mut playlist {
                    Some((row, room)) => self.add_checked(actor, row, id, room).await,
                    None => Ok(()),
                },
                BulkAction::Retry => self.retry_processing(actor, id).await,
                BulkAction::Delete => self.delete(actor, id).await,
            };
            outcomes.push((id.clone(), outcome));
        }
        Ok(outcomes)
    }

    async fn add_labels(&self, actor: &Actor, id: &MediaId, labels: &[String]) -> Result<()> {
        let stored = self.changeable(actor, id).await?;
        let mut all = stored.item.labels;
        all.extend(labels.iter().cloned());
        self.write_labels(id, &all).await
    }

    async fn remove_labels(&self, actor: &Actor, id: &MediaId, labels: &[String]) -> Result<()> {
        let stored = self.changeable(actor, id).await?;
        let gone: Vec<String> = labels.iter().map(|l| label_key(l)).collect();
        let kept: Vec<String> = (stored.item.labels.into_iter())
            .filter(|l| !gone.contains(&label_key(l)))
            .collect();
        self.write_labels(id, &kept).await
    }

    /// Who may see an item, changed alone (its words stay).
    pub(crate) async fn set_visibility(
        &self,
        actor: &Actor,
        id: &MediaId,
        visibility: Visibility,
    ) -> Result<()> {
        let stored = self.changeable(actor, id).await?;
        if stored.item.visibility != visibility {
            self.inner.repo.change_access(id, Some(visibility)).await?;
            // Byte serving must learn who may read it now.
            self.forget_facts(id);
        }
        Ok(())
    }
}
