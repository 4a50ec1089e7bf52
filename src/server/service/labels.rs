//! Labels (the tags people give items) and favourites: setting an item's
//! labels (as for its words: whoever may change it), the labels in use
//! among what the asker may list, and each signed-in person's favourites
//! (of what they may see).

use std::collections::HashSet;

use super::access::{self, Actor};
use super::{Error, Missing, Result, Service};
use crate::model::labels::{LabelCount, clean_labels};
use crate::model::{MediaId, MediaItem};

impl Service {
    /// Replaces an item's labels; the list is cleaned here and refused
    /// whole when one label breaks a rule.
    pub(crate) async fn set_labels(
        &self,
        actor: &Actor,
        id: &MediaId,
        labels: &[String],
    ) -> Result<MediaItem> {
        self.changeable(actor, id).await?;
        self.write_labels(id, labels).await?;
        self.item(actor, id).await
    }

    /// Cleans `labels` and writes them as the item's, for a caller that
    /// has checked the asker may change it.
    pub(super) async fn write_labels(&self, id: &MediaId, labels: &[String]) -> Result<()> {
        let labels = clean_labels(labels).map_err(Error::Invalid)?;
        if !self.inner.repo.set_labels(id, &labels).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        Ok(())
    }

    /// The labels on items `actor` may list, with how many each.
    pub(crate) async fn labels_in_use(&self, actor: &Actor) -> Result<Vec<LabelCount>> {
        let listing = access::listing(actor, self.public_browsing());
        Ok(self.inner.repo.labels_in_use(&listing).await?)
    }

    /// Marks or unmarks an item `actor` may see as one of their favourites.
    pub(crate) async fn set_favourite(
        &self,
        actor: &Actor,
        id: &MediaId,
        favourite: bool,
    ) -> Result<MediaItem> {
        let Some(account) = actor.account() else {
            return Err(Error::SignInRequired);
        };
        self.readable(actor, id).await?;
        let repo = &self.inner.repo;
        repo.set_favourite(&account.id, id, favourite).await?;
        self.item(actor, id).await
    }

    /// Sets `favourite` on the items that are `actor`'s favourites.
    pub(super) async fn mark_favourites(
        &self,
        actor: &Actor,
        items: &mut [MediaItem],
    ) -> Result<()> {
        let Some(account) = actor.account() else {
            return Ok(());
        };
        let ids: Vec<MediaId> = items.iter().map(|i| i.id.clone()).collect();
        let favourites: HashSet<MediaId> =
            self.inner.repo.favourites_among(&account.id, &ids).await?;
        for item in items {
            item.favourite = favourites.contains(&item.id);
        }
        Ok(())
    }
}
