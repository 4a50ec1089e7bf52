//! Share links: an address (`/s/<secret>`) that plays one item for whoever
//! holds it, without an account, until it expires or its owner revokes it;
//! optionally behind a password. The secret is kept only as its hash.
//! Revoking bumps the item's access generation, so the byte URLs the link
//! handed out stop working at once too.

use std::net::IpAddr;
use std::time::Duration;

use super::access::Actor;
use super::signing::signed_until;
use super::{Error, Missing, Result, Service};
use crate::accounts::Visibility;
use crate::accounts::{NewShare, ShareId, ShareSummary};
use crate::collections::{CollectionId, CollectionView, ShareView};
use crate::model::{MediaId, MediaItem};
use crate::server::accounts::secrets::{hash_secret, new_secret};
use crate::server::db::{
    CollectionRow, Listing, NewShare as ShareRecord, ShareRow, ShareTarget, StoredItem, now_ms,
};

/// The longest a link may be made to last (a link may also never expire).
pub(crate) const LONGEST_SHARE: Duration = Duration::from_secs(366 * 24 * 3600);
/// How long an unlocked password-protected link stays open in that page.
const UNLOCKED_FOR: Duration = Duration::from_secs(12 * 3600);
/// What a grant is signed for (its "file"), so it opens nothing else.
const GRANT: &str = "share-grant";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Service {
    /// A new link to the item; `expires_in` `None`: it never expires.
    pub(crate) async fn create_share(
        &self,
        actor: &Actor,
        id: &MediaId,
        expires_in: Option<Duration>,
        password: Option<&str>,
    ) -> Result<NewShare> {
        self.changeable(actor, id).await?;
        self.make_share(actor, ShareTarget::Media(id), expires_in, password)
            .await
    }

    /// A new link to the collection: it plays the collection's items that
    /// its owner may share (`shared_items`) to whoever holds it.
    pub(crate) async fn create_collection_share(
        &self,
        actor: &Actor,
        id: &CollectionId,
        expires_in: Option<Duration>,
        password: Option<&str>,
    ) -> Result<NewShare> {
        self.changeable_collection(actor, id).await?;
        self.make_share(actor, ShareTarget::Collection(id), expires_in, password)
            .await
    }

    async fn make_share(
        &self,
        actor: &Actor,
        target: ShareTarget<'_>,
        expires_in: Option<Duration>,
        password: Option<&str>,
    ) -> Result<NewShare> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        let secret = new_secret().map_err(|e| Error::Internal(e.into()))?;
        let password_hash = match password {
            Some(p) => Some(self.inner.accounts.passwords().hash(p).await?),
            None => None,
        };
        let now = now_ms();
        let share = self
            .inner
            .repo
            .create_share(&ShareRecord {
                token_hash: &hash_secret(&secret),
                target,
                created_by: &account.id,
                now_ms: now,
                expires_at: expires_in.map(|d| now.saturating_add(millis(d.min(LONGEST_SHARE)))),
                password_hash: password_hash.as_deref(),
            })
            .await?;
        Ok(NewShare {
            id: share,
            path: format!("/s/{secret}"),
        })
    }

    /// The item's live links, for whoever may change it.
    pub(crate) async fn shares(&self, actor: &Actor, id: &MediaId) -> Result<Vec<ShareSummary>> {
        self.changeable(actor, id).await?;
        Ok(self.inner.repo.shares_of(id).await?)
    }

    /// Revokes a link: its page and every byte URL it handed out stop
    /// working. (So do the signed URLs of pages open elsewhere on the item;
    /// they get new ones when they load again.)
    pub(crate) async fn revoke_share(&self, actor: &Actor, share: &ShareId) -> Result<()> {
        let row = self
            .inner
            .repo
            .share(share)
            .await?
            .ok_or(Error::NotFound(Missing::Share))?;
        let allowed = match (&row.media_id, &row.collection_id) {
            (Some(media), _) => self.changeable(actor, media).await.is_ok(),
            (None, Some(collection)) => self.changeable_collection(actor, collection).await.is_ok(),
            (None, None) => false,
        };
        if !allowed || !self.inner.repo.revoke_share(share).await? {
            return Err(Error::NotFound(Missing::Share));
        }
        match (&row.media_id, &row.collection_id) {
            (Some(media), _) => self.revoke_signed(media).await,
            (None, Some(collection)) => self.revoke_collection_signed(collection).await,
            (None, None) => Ok(()),
        }
    }

    /// Makes every signed address of the item stop working.
    async fn revoke_signed(&self, media: &MediaId) -> Result<()> {
        self.inner.repo.change_access(media, None).await?;
        self.forget_facts(media);
        Ok(())
    }

    /// `revoke_signed` for every item a link to the collection could have
    /// handed out.
    async fn revoke_collection_signed(&self, id: &CollectionId) -> Result<()> {
        let Some(row) = self.inner.repo.collection(id).await? else {
            return Ok(());
        };
        for stored in self.shared_items(&row).await? {
            self.revoke_signed(&stored.item.id).await?;
        }
        Ok(())
    }

    /// Revokes every link to the collection (it is being deleted).
    pub(super) async fn revoke_collection_links(&self, id: &CollectionId) -> Result<()> {
        let repo = &self.inner.repo;
        let links = repo.shares_of_collection(id).await?;
        for link in &links {
            repo.revoke_share(&link.id).await?;
        }
        if !links.is_empty() {
            self.revoke_collection_signed(id).await?;
        }
        Ok(())
    }

    /// The collection's live links, for whoever may change it.
    pub(crate) async fn collection_shares(
        &self,
        actor: &Actor,
        id: &CollectionId,
    ) -> Result<Vec<ShareSummary>> {
        self.changeable_collection(actor, id).await?;
        Ok(self.inner.repo.shares_of_collection(id).await?)
    }

    /// What a link to the collection plays: the items in it its owner may
    /// share with anyone (their own, and others' public or unlisted ones).
    async fn shared_items(&self, row: &CollectionRow) -> Result<Vec<StoredItem>> {
        let listing = Listing::OwnAndPublic(row.owner_id.clone());
        let (items, _) = self.collection_items(row, &listing).await?;
        Ok(items
            .into_iter()
            .filter(|s| {
                s.item.owner.as_ref() == Some(&row.owner_id)
                    || matches!(s.item.visibility, Visibility::Public | Visibility::Unlisted)
            })
            .collect())
    }

    /// The live link `secret` names: missing when there is none or it was
    /// revoked, `ShareExpired` when its time is over.
    async fn live_share(&self, secret: &str) -> Result<ShareRow> {
        let row = self
            .inner
            .repo
            .share_by_token(&hash_secret(secret))
            .await?
            .filter(|row| !row.revoked)
            .ok_or(Error::NotFound(Missing::Share))?;
        if row.expires_at.is_some_and(|end| end <= now_ms()) {
            return Err(Error::ShareExpired);
        }
        Ok(row)
    }

    /// What the link's page shows: the item with addresses signed for it
    /// (until the link or a day ends, whichever is first), or only that a
    /// password is needed. `grant` is what `unlock_share` gave.
    pub(crate) async fn open_share(&self, secret: &str, grant: Option<&str>) -> Result<ShareView> {
        let row = self.live_share(secret).await?;
        let signer = self.inner.accounts.signer();
        let unlocked = row.password_hash.is_none()
            || grant.is_some_and(|g| signer.verify(g, row.id.as_str(), GRANT, 0, now_ms()));
        if !unlocked {
            return Ok(ShareView::Locked);
        }
        let until = row
            .expires_at
            .map_or(signed_until(), |end| end.min(signed_until()));
        let signed = |stored: StoredItem| {
            let mut item = stored.item;
            item.urls = self.urls_signed_until(&item, stored.generation, until);
            item.can_change = false;
            item
        };
        let repo = &self.inner.repo;
        match (&row.media_id, &row.collection_id) {
            (Some(media), _) => {
                let stored = repo.get_stored(media).await?;
                let stored = stored.ok_or(Error::NotFound(Missing::Share))?;
                Ok(ShareView::Open {
                    item: Box::new(signed(stored)),
                })
            }
            (None, Some(collection)) => {
                let row = repo.collection(collection).await?;
                let row = row.ok_or(Error::NotFound(Missing::Share))?;
                let items: Vec<MediaItem> = (self.shared_items(&row).await?)
                    .into_iter()
                    .map(signed)
                    .collect();
                let mut collection = self.collection_for(&Actor::Anonymous, &row);
                collection.item_count = items.len() as u64;
                Ok(ShareView::Collection {
                    view: Box::new(CollectionView {
                        collection,
                        items,
                        hidden: 0,
                    }),
                })
            }
            (None, None) => Err(Error::NotFound(Missing::Share)),
        }
    }

    /// Checks a link's password (throttled as sign-in is); the grant that
    /// opens it in `open_share`.
    pub(crate) async fn unlock_share(
        &self,
        secret: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<String> {
        let row = self.live_share(secret).await?;
        let Some(hash) = &row.password_hash else {
            return Ok(String::new());
        };
        let accounts = &self.inner.accounts;
        let key = format!("share:{}", row.id);
        match accounts
            .check_throttled(&key, hash, password, address)
            .await?
        {
            Err(retry_after) => Err(Error::TooManyAttempts { retry_after }),
            Ok(false) => Err(Error::SignInRefused),
            Ok(true) => {
                let until = now_ms().saturating_add(millis(UNLOCKED_FOR));
                Ok(accounts.signer().sign(row.id.as_str(), GRANT, until, 0))
            }
        }
    }
}
