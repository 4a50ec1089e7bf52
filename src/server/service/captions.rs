//! Captions of an item: the tracks a page lists (addresses signed when the
//! item is not public), the WebVTT a player fetches, files people add,
//! edits and deletes, and search in what was said.

use super::access::{self, Actor};
use super::signing::signed_until;
use super::{Error, Missing, Result, Service};
use crate::accounts::Visibility;
use crate::model::captions::clean_caption_fields;
use crate::model::{CaptionHit, CaptionOrigin, CaptionTrack, MediaId};
use crate::server::db::CaptionRow;
use crate::server::jobs::captions::caption_text;
use crate::server::media::captions::text;

/// The name signatures give every caption file of an item.
const SIGNED_NAME: &str = "captions";

impl Service {
    /// The item's caption tracks, in the order they were added.
    pub(crate) async fn captions(&self, actor: &Actor, id: &MediaId) -> Result<Vec<CaptionTrack>> {
        let stored = self.readable(actor, id).await?;
        let query = (stored.item.visibility != Visibility::Public).then(|| {
            let signer = self.inner.accounts.signer();
            let sig = signer.sign(id.as_str(), SIGNED_NAME, signed_until(), stored.generation);
            format!("?sig={sig}")
        });
        let rows = self.inner.repo.captions_of(id).await?;
        Ok(rows
            .into_iter()
            .map(|row| track(id, row, query.as_deref().unwrap_or("")))
            .collect())
    }

    /// One track's WebVTT, if `actor` may read the item or `signature`
    /// opens its captions; otherwise (and for a track not ready) missing.
    pub(crate) async fn caption_vtt(
        &self,
        actor: &Actor,
        id: &MediaId,
        caption: i64,
        signature: Option<&str>,
    ) -> Result<String> {
        self.allowed_facts_named(actor, id, SIGNED_NAME, signature)
            .await?;
        self.inner
            .repo
            .caption_vtt(id, caption)
            .await?
            .ok_or(Error::NotFound(Missing::Item))
    }

    /// Adds a `.vtt` or `.srt` file (any common encoding) as a track; a
    /// file that is not captions is refused with the line that is wrong.
    pub(crate) async fn add_caption(
        &self,
        actor: &Actor,
        id: &MediaId,
        file_name: &str,
        bytes: &[u8],
        label: &str,
        language: &str,
    ) -> Result<Vec<CaptionTrack>> {
        self.changeable(actor, id).await?;
        let (label, language) = clean_caption_fields(label, language).map_err(Error::Invalid)?;
        let name = crate::server::filename::sanitize(file_name);
        let parsed = text::decode(bytes)
            .and_then(|t| text::parse(&t))
            .map_err(|e| Error::Invalid(format!("{name}: {e}.")))?;
        let added = self
            .inner
            .repo
            .add_caption(id, &label, language.as_deref(), &caption_text(parsed))
            .await?;
        if added.is_none() {
            // Gone meanwhile, or full; the item's row tells which.
            self.readable(actor, id).await?;
            return Err(Error::Invalid(format!(
                "An item holds at most {} caption tracks.",
                crate::server::db::MAX_CAPTIONS
            )));
        }
        self.captions(actor, id).await
    }

    /// Changes a track's label and language.
    pub(crate) async fn update_caption(
        &self,
        actor: &Actor,
        id: &MediaId,
        caption: i64,
        label: &str,
        language: &str,
    ) -> Result<Vec<CaptionTrack>> {
        self.changeable(actor, id).await?;
        let (label, language) = clean_caption_fields(label, language).map_err(Error::Invalid)?;
        let repo = &self.inner.repo;
        if !repo
            .update_caption(id, caption, &label, language.as_deref())
            .await?
        {
            return Err(Error::NotFound(Missing::Item));
        }
        self.captions(actor, id).await
    }

    pub(crate) async fn delete_caption(
        &self,
        actor: &Actor,
        id: &MediaId,
        caption: i64,
    ) -> Result<Vec<CaptionTrack>> {
        self.changeable(actor, id).await?;
        if !self.inner.repo.delete_caption(id, caption).await? {
            return Err(Error::NotFound(Missing::Item));
        }
        self.captions(actor, id).await
    }

    /// Cues whose words start with each word of `q`, first per item, on
    /// items `actor` may list.
    pub(crate) async fn search_captions(&self, actor: &Actor, q: &str) -> Result<Vec<CaptionHit>> {
        let listing = access::listing(actor, self.public_browsing());
        let rows = self.inner.repo.search_cues(q, &listing).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(CaptionHit {
                    id: row.media_id()?,
                    title: row.title,
                    // Milliseconds as seconds: exact below 2^53.
                    #[allow(clippy::cast_precision_loss)]
                    at_secs: row.start_ms as f64 / 1000.0,
                    text: row.text,
                })
            })
            .collect())
    }
}

fn track(id: &MediaId, row: CaptionRow, query: &str) -> CaptionTrack {
    let origin = if row.origin == "upload" {
        CaptionOrigin::Upload
    } else {
        CaptionOrigin::File
    };
    let (src, note) = match row.state.as_str() {
        "ready" => (
            Some(format!("/files/{id}/captions/{}{query}", row.id)),
            None,
        ),
        "pending" => (None, Some("Being read from the file…".to_string())),
        _ => (
            None,
            Some(format!(
                "Not supported: {} subtitles are pictures, or unreadable.",
                row.codec.as_deref().unwrap_or("these")
            )),
        ),
    };
    CaptionTrack {
        id: row.id,
        label: row.label,
        language: row.language,
        origin,
        src,
        note,
    }
}
