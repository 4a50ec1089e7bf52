//! What the players draw: waveform bars and scrub previews.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::Bars;
use crate::vtt::ThumbnailCue;

#[cfg(feature = "ssr")]
use super::context::{actor, media_id, service};

/// The item's waveform bars, or `None` when it has none (yet). `sig` is
/// the signature of the item's waveform address (`MediaUrls::waveform`),
/// for a page that may read the item only by its signed addresses.
#[server(endpoint = "waveform_bars")]
pub async fn waveform_bars(
    id: String,
    #[server(default)] sig: Option<String>,
) -> Result<Option<Bars>, ApiError> {
    let Some(id) = crate::model::MediaId::parse(&id) else {
        return Ok(None);
    };
    let peaks = service()?
        .waveform(&actor().await?, &id, sig.as_deref())
        .await?;
    Ok(peaks.map(|peaks| crate::model::bars(&peaks, crate::model::WAVEFORM_BARS)))
}

/// The item's thumbnails track, parsed, with image addresses resolved;
/// `sig` as for `waveform_bars` (of `MediaUrls::thumbnails`).
#[server(endpoint = "scrub_cues")]
pub async fn scrub_cues(
    id: String,
    #[server(default)] sig: Option<String>,
) -> Result<Vec<ThumbnailCue>, ApiError> {
    let id = media_id(&id)?;
    Ok(service()?
        .scrub_cues(&actor().await?, &id, sig.as_deref())
        .await?)
}
