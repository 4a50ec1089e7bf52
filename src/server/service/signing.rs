//! Items as an asker sees them: addresses signed for them when the item is
//! not public (a page's `<video>`, `<img>` and `<track>` carry no cookie
//! the direct byte path could check cheaply, and share links carry none),
//! and whether they may change it.

use std::time::Duration;

use super::Service;
use super::access::{self, Actor, ItemAccess};
use crate::accounts::Visibility;
use crate::model::{MediaId, MediaItem, MediaUrls};
use crate::server::db::{StoredItem, now_ms};
use crate::server::store::Variant;

/// How long a signed address works at least: a page left open for a whole
/// day still plays.
const SIGNED_FOR: Duration = Duration::from_secs(24 * 3600);
/// Expiries are rounded up to a whole hour so that an item's addresses stay
/// the same for an hour and browsers can cache what they fetched with them.
const SIGNED_STEP: i64 = 3600 * 1000;

pub(super) fn signed_until() -> i64 {
    let at_least =
        now_ms().saturating_add(i64::try_from(SIGNED_FOR.as_millis()).unwrap_or(i64::MAX));
    at_least.saturating_add(SIGNED_STEP - 1) / SIGNED_STEP * SIGNED_STEP
}

impl Service {
    /// `stored` as `actor` sees it (who must be allowed to read it).
    pub(crate) fn present(&self, actor: &Actor, stored: StoredItem) -> MediaItem {
        let StoredItem {
            mut item,
            generation,
        } = stored;
        let access = ItemAccess {
            owner: item.owner.clone(),
            visibility: item.visibility,
        };
        item.can_change = access::can_change(actor, &access);
        item.urls = self.signed_urls(&item, generation);
        item
    }

    /// The item's addresses, each file's signed unless the item is public.
    pub(crate) fn signed_urls(&self, item: &MediaItem, generation: i64) -> MediaUrls {
        if item.visibility == Visibility::Public {
            return MediaUrls::of(item, |_| None);
        }
        self.urls_signed_until(item, generation, signed_until())
    }

    /// The item's addresses, every file's signed until `expires` (Unix ms).
    pub(crate) fn urls_signed_until(
        &self,
        item: &MediaItem,
        generation: i64,
        expires: i64,
    ) -> MediaUrls {
        let signer = self.inner.accounts.signer();
        let id = item.id.as_str();
        MediaUrls::of(item, |file| {
            Some(format!(
                "sig={}",
                signer.sign(id, file, expires, generation)
            ))
        })
    }

    /// The query (`sig=…`) that opens one file of an item.
    pub(crate) fn sign_file(&self, id: &MediaId, file: Variant, generation: i64) -> String {
        let signer = self.inner.accounts.signer();
        let sig = signer.sign(id.as_str(), file.url_name(), signed_until(), generation);
        format!("sig={sig}")
    }

    /// Whether `signature` opens `file` of the item `id` at `generation` now.
    pub(crate) fn signature_opens(
        &self,
        signature: &str,
        id: &str,
        file: &str,
        generation: i64,
    ) -> bool {
        self.inner
            .accounts
            .signer()
            .verify(signature, id, file, generation, now_ms())
    }
}
