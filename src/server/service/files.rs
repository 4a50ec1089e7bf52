//! Stored bytes, as the edges ask for them: a file to serve (both byte paths
//! call `serve` through `http::files::prepare`), and the small derived files
//! pages read whole (waveform peaks, the thumbnails track).

use std::sync::Arc;

use crate::model::{MediaId, WaveformPeaks};
use crate::server::store::{Source, Variant};
use crate::vtt::ThumbnailCue;

use super::facts::ServingFacts;
use super::{Actor, Error, Internal, Missing, Result, Service};

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
        _actor: &Actor,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Served> {
        let inner = &self.inner;
        let facts = inner
            .facts
            .get(&inner.repo, id)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        let source = inner
            .store
            .source(id, variant)
            .await?
            .ok_or(Error::NotFound(Missing::Item))?;
        Ok(Served { facts, source })
    }

    /// The item's waveform peaks; `None` when it has none (yet), or when
    /// its file is unreadable (logged: the page then draws no waveform).
    pub(crate) async fn waveform(
        &self,
        _actor: &Actor,
        id: &MediaId,
    ) -> Result<Option<WaveformPeaks>> {
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

    /// The item's thumbnails track, parsed, with image addresses resolved.
    pub(crate) async fn scrub_cues(
        &self,
        _actor: &Actor,
        id: &MediaId,
    ) -> Result<Vec<ThumbnailCue>> {
        let bytes = self
            .inner
            .store
            .read_small(id, Variant::Thumbnails, SMALL_FILE_LIMIT)
            .await?
            .ok_or(Error::NotFound(Missing::Previews))?;
        let corrupt = |e: String| Internal::Corrupt(format!("the thumbnails of {id}: {e}"));
        let text = String::from_utf8(bytes).map_err(|e| corrupt(e.to_string()))?;
        let track_url = format!("/files/{id}/{}", Variant::Thumbnails.url_name());
        let mut cues = crate::vtt::parse_thumbnails(&text).map_err(|e| corrupt(e.to_string()))?;
        for cue in &mut cues {
            cue.image = crate::vtt::resolve(&track_url, &cue.image);
        }
        Ok(cues)
    }
}
