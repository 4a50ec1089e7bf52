//! Stored bytes, as the edges ask for them: a file to serve (both byte paths
//! call `serve` through `http::files::prepare`), and the small derived files
//! pages read whole (waveform peaks, the thumbnails track). Each is allowed
//! to whoever may read the item, or to a request signed for that very file.

use std::sync::Arc;

use crate::model::{MediaId, WaveformPeaks};
use crate::server::store::{Source, Variant};
use crate::vtt::ThumbnailCue;

use super::access::{self, Actor};
use super::facts::ServingFacts;
use super::{Error, Internal, Missing, Result, Service};

/// The largest thumbnails track or waveform file a page reads whole; real
/// ones are a few tens of KiB.
const SMALL_FILE_LIMIT: usize = 4 << 20;

/// A stored file to serve and what its headers say about it.
pub(crate) struct Served {
    pub(crate) facts: Arc<ServingFacts>,
    pub(crate) source: Source,
}

impl Service {
    /// A file of an item, ready to serve; `NotFound` for an unknown item or
    /// a file not made yet.
    pub(crate) async fn serve(
        &self,
        actor: &Actor,
        id: &MediaId,
        variant: Variant,
        signature: Option<&str>,
    ) -> Result<Served> {
        let facts = self.allowed_facts(actor, id, variant, signature).await?;
        let inner = &self.inner;
        let source = inner
            .store
            .source(id, variant)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        Ok(Served { facts, source })
    }

    /// The item's facts, if `actor` may read the item or `signature` opens
    /// this `variant` of it; otherwise the item is missing.
    async fn allowed_facts(
        &self,
        actor: &Actor,
        id: &MediaId,
        variant: Variant,
        signature: Option<&str>,
    ) -> Result<std::sync::Arc<ServingFacts>> {
        self.allowed_facts_named(actor, id, variant.signed_name(), signature)
            .await
    }

    /// `allowed_facts` for the file that signatures call `name`.
    pub(super) async fn allowed_facts_named(
        &self,
        actor: &Actor,
        id: &MediaId,
        name: &str,
        signature: Option<&str>,
    ) -> Result<std::sync::Arc<ServingFacts>> {
        let inner = &self.inner;
        let facts = inner
            .facts
            .get(&inner.repo, id)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        let signed = signature
            .is_some_and(|sig| self.signature_opens(sig, id.as_str(), name, facts.generation));
        if signed || access::can_read(actor, &facts.access) {
            Ok(facts)
        } else {
            Err(Error::NotFound(Missing::Item))
        }
    }

    /// The item's waveform peaks; `None` when it has none (yet), or when
    /// its file is unreadable (logged: the page then draws no waveform).
    pub(crate) async fn waveform(
        &self,
        actor: &Actor,
        id: &MediaId,
        signature: Option<&str>,
    ) -> Result<Option<WaveformPeaks>> {
        self.allowed_facts(actor, id, Variant::Waveform, signature)
            .await?;
        let bytes = self
            .inner
            .store
            .read_small(id, Variant::Waveform, SMALL_FILE_LIMIT)
            .await?;
        Ok(
            bytes.and_then(|bytes| match serde_json::from_slice(&bytes) {
                Ok(peaks) => Some(peaks),
                Err(e) => {
                    tracing::error!(%id, "unreadable waveform file: {e}");
                    None
                }
            }),
        )
    }

    /// The item's thumbnails track, parsed, with image addresses resolved;
    /// the sprite sheet's address is signed when the item is not public.
    pub(crate) async fn scrub_cues(
        &self,
        actor: &Actor,
        id: &MediaId,
        signature: Option<&str>,
    ) -> Result<Vec<ThumbnailCue>> {
        let facts = self
            .allowed_facts(actor, id, Variant::Thumbnails, signature)
            .await
            .map_err(|_| Error::NotFound(Missing::Previews))?;
        let bytes = self
            .inner
            .store
            .read_small(id, Variant::Thumbnails, SMALL_FILE_LIMIT)
            .await?
            .ok_or(Error::NotFound(Missing::Previews))?;
        let corrupt = |e: String| Internal::Corrupt(format!("the thumbnails of {id}: {e}"));
        let text = String::from_utf8(bytes).map_err(|e| corrupt(e.to_string()))?;
        let track_url = format!("/files/{id}/{}", Variant::Thumbnails.url_name());
        let sheet = format!("/files/{id}/{}", Variant::Sprites.url_name());
        let signed_sheet = (facts.access.visibility != crate::accounts::Visibility::Public)
            .then(|| self.sign_file(id, Variant::Sprites, facts.generation));
        let mut cues = crate::vtt::parse_thumbnails(&text).map_err(|e| corrupt(e.to_string()))?;
        for cue in &mut cues {
            cue.image = crate::vtt::resolve(&track_url, &cue.image);
            if let Some(query) = &signed_sheet
                && cue.image == sheet
            {
                cue.image = format!("{sheet}?{query}");
            }
        }
        Ok(cues)
    }
}
