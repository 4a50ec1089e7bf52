//! Types both the server and the browser use. They derive serde only (plus
//! `sqlx::FromRow` on the server) so this file compiles for wasm unchanged.

use serde::{Deserialize, Serialize};

use crate::accounts::{UserId, Visibility};
pub use crate::ids::{MediaId, UploadId};
pub use captions::{CaptionHit, CaptionOrigin, CaptionTrack};
pub use tags::{Chapter, ItemTags};

pub mod bulk;
pub mod captions;
pub mod labels;
pub mod tags;

/// Audio or video: decides the player element and which derived files exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Text on both database backends (a CHECK lists the values).
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum MediaKind {
    Audio,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "audio" => Some(MediaKind::Audio),
            "video" => Some(MediaKind::Video),
            _ => None,
        }
    }
}

/// Where an item is in its life. `Failed` carries the reason a person reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "lowercase")]
pub enum MediaState {
    Processing,
    Ready,
    Failed(String),
}

impl MediaState {
    pub fn name(&self) -> &'static str {
        match self {
            MediaState::Processing => "processing",
            MediaState::Ready => "ready",
            MediaState::Failed(_) => "failed",
        }
    }
}

/// One item of the library, as pages and the JSON API show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaItem {
    pub id: MediaId,
    pub title: String,
    /// Free text people write about the item (empty when none).
    #[serde(default)]
    pub description: String,
    pub original_filename: String,
    /// What the file's tags say (artist, album, track…), as edited since.
    #[serde(default)]
    pub tags: ItemTags,
    /// Chapters, in order (from the file, or added by people).
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    /// Tags people gave the item (`labels`), sorted.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Whether the asker marked it a favourite (false for visitors).
    #[serde(default)]
    pub favourite: bool,
    /// Integrated loudness (EBU R128, LUFS) of a sound, measured at
    /// ingest; players can match items' levels with it.
    #[serde(default)]
    pub loudness_lufs: Option<f64>,
    pub size_bytes: u64,
    pub sha256: String,
    pub content_type: String,
    pub kind: MediaKind,
    pub duration_secs: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub state: MediaState,
    pub has_poster: bool,
    /// Which file the player uses; `None` until a browser can play something.
    pub play: Option<PlaySource>,
    /// A sprite sheet and WebVTT thumbnails track for scrubbing (video).
    pub has_scrub: bool,
    /// Peaks for drawing the sound (audio).
    pub has_waveform: bool,
    /// The adaptive-streaming ladder (HLS): `Live` while it is encoded
    /// (playable up to where it has come), `Ready` once whole.
    #[serde(default)]
    pub hls: Option<HlsState>,
    /// Processing still to do, while the item is processing.
    pub progress: Option<Progress>,
    /// The item this one was edited from (`None` for uploads, or when the
    /// source was deleted).
    pub source_id: Option<MediaId>,
    /// What the edit that made this item did, in words.
    pub edit_summary: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Who owns it (`None` only for items from before accounts, until the
    /// first admin exists).
    pub owner: Option<UserId>,
    pub visibility: Visibility,
    /// Whether the asker may edit, share or delete it.
    #[serde(default)]
    pub can_change: bool,
    /// Its page and files, signed for the asker when the item is not public.
    pub urls: MediaUrls,
}

/// The file a player plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Text on both database backends (a CHECK lists the values).
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum PlaySource {
    /// The upload itself already plays in browsers.
    Original,
    /// A converted copy (H.264/AAC in MP4, or AAC audio).
    Playable,
}

impl PlaySource {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaySource::Original => "original",
            PlaySource::Playable => "playable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "original" => Some(PlaySource::Original),
            "playable" => Some(PlaySource::Playable),
            _ => None,
        }
    }
}

/// How far an item's HLS ladder has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum HlsState {
    /// Being encoded: the playlists grow as segments appear.
    Live,
    /// Encoded whole: the playlists are final.
    Ready,
}

/// What a processing job makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Text on both database backends (a CHECK lists the values).
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum JobKind {
    /// A poster frame (video) or the embedded cover art (audio).
    Poster,
    /// A copy browsers can play (remux or transcode).
    Playable,
    /// Scrub previews: sprite sheet and WebVTT thumbnails (video).
    Scrub,
    /// Waveform peaks (audio).
    Waveform,
    /// Making an edited item (trim, export, normalise) from its source.
    Edit,
    /// The adaptive-streaming ladder: HLS renditions at several sizes (video).
    Ladder,
}

impl JobKind {
    pub const ALL: [JobKind; 6] = [
        JobKind::Ladder,
        JobKind::Poster,
        JobKind::Playable,
        JobKind::Scrub,
        JobKind::Waveform,
        JobKind::Edit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Poster => "poster",
            JobKind::Playable => "playable",
            JobKind::Scrub => "scrub",
            JobKind::Waveform => "waveform",
            JobKind::Edit => "edit",
            JobKind::Ladder => "ladder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What people see while the job runs.
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Poster => "Making a poster",
            JobKind::Playable => "Converting for browsers",
            JobKind::Scrub => "Making scrub previews",
            JobKind::Waveform => "Drawing the waveform",
            JobKind::Edit => "Editing",
            JobKind::Ladder => "Making streaming versions",
        }
    }
}

/// How far an item's processing has come: the job that runs now (or next)
/// and the whole item's share done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub stage: JobKind,
    /// 0.0 to 1.0 over all of the item's jobs.
    pub fraction: f64,
    /// Seconds left in the running job, when it can be estimated.
    pub eta_secs: Option<f64>,
    /// The running job failed and waits to try again.
    pub retrying: bool,
}

/// A change to an item that live pages show: sent by server-sent events on
/// `/api/events` as JSON, one event per change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaEvent {
    pub id: MediaId,
    #[serde(flatten)]
    pub state: MediaState,
    pub progress: Option<Progress>,
    /// Derived files or facts changed: pages should fetch the item again.
    pub changed: bool,
}

/// Where a client finds an item's page and bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaUrls {
    pub page: String,
    pub original: String,
    pub download: String,
    pub poster: Option<String>,
    /// What the player plays; `None` while nothing plays in browsers yet.
    pub play: Option<String>,
    /// WebVTT thumbnails track; its cues point into the sprite sheet.
    pub thumbnails: Option<String>,
    /// Waveform peaks as JSON (`WaveformPeaks`).
    pub waveform: Option<String>,
    /// The HLS master playlist, while or once the ladder exists. Signed
    /// in its path, so the playlists' relative addresses inherit it.
    #[serde(default)]
    pub hls: Option<String>,
}

/// The `sig` of a signed file address (`MediaUrls`), for the server
/// functions that read a file for a page (waveform, scrub previews).
pub fn signature_in(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sig="))
        .map(str::to_string)
}

impl MediaUrls {
    /// The item's addresses; `query` gives each file's query string (its
    /// signature, for an item that is not public), by the file's name.
    pub fn of(item: &MediaItem, query: impl Fn(&str) -> Option<String>) -> Self {
        let file = |name: &str| match query(name) {
            Some(query) => format!("/files/{}/{name}?{query}", item.id),
            None => format!("/files/{}/{name}", item.id),
        };
        let original = file("original");
        let separator = if original.contains('?') { '&' } else { '?' };
        MediaUrls {
            page: format!("/media/{}", item.id),
            download: format!("{original}{separator}download"),
            original,
            poster: item.has_poster.then(|| file("poster")),
            play: item.play.map(|source| file(source.as_str())),
            thumbnails: item.has_scrub.then(|| file("thumbnails")),
            waveform: item.has_waveform.then(|| file("waveform")),
            hls: item.hls.map(|_| match query("hls") {
                Some(query) => format!(
                    "/files/{}/hls/{}/master.m3u8",
                    item.id,
                    query.strip_prefix("sig=").unwrap_or(&query)
                ),
                None => format!("/files/{}/hls/master.m3u8", item.id),
            }),
        }
    }
}

/// The waveform file's format: `peaks` holds min/max pairs (interleaved,
/// -1.0..1.0) at even steps over the duration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformPeaks {
    pub version: u32,
    pub duration_secs: f64,
    /// How many min/max pairs `peaks` holds.
    pub length: usize,
    pub peaks: Vec<f32>,
}

/// How many bars an item's waveform is drawn with.
pub const WAVEFORM_BARS: usize = 160;

/// What the page draws: one height per bar (0..1), loudest bar 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bars {
    pub duration_secs: f64,
    pub heights: Vec<f32>,
}

/// Folds min/max pairs into `count` bars (fewer when there are fewer
/// pairs), each the loudest peak in its span, scaled so the loudest is 1.
pub fn bars(peaks: &WaveformPeaks, count: usize) -> Bars {
    let pairs: Vec<f32> = peaks
        .peaks
        .chunks_exact(2)
        .take(peaks.length)
        .map(|pair| pair[0].abs().max(pair[1].abs()).min(1.0))
        .collect();
    let count = count.min(pairs.len());
    let mut heights: Vec<f32> = (0..count)
        .map(|bar| {
            let from = bar * pairs.len() / count;
            let to = ((bar + 1) * pairs.len() / count).max(from + 1);
            pairs[from..to].iter().copied().fold(0.0, f32::max)
        })
        .collect();
    let loudest = heights.iter().copied().fold(0.0, f32::max);
    if loudest > 0.001 {
        for h in &mut heights {
            *h /= loudest;
        }
    }
    Bars {
        duration_secs: peaks.duration_secs,
        heights,
    }
}

/// The server's upload limits (a few bytes; the library page loads them with
/// the page, so the upload zone never waits for the whole library).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimits {
    /// The server's upload cap, so the page can refuse a too-large file at once.
    pub max_upload_bytes: u64,
    /// Chunk size for resumable uploads from the browser.
    pub upload_chunk_bytes: u64,
}

/// The answer of `POST /api/uploads`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadResponse {
    pub id: MediaId,
    pub title: String,
    pub kind: MediaKind,
    pub state: MediaState,
    pub urls: MediaUrls,
    /// The bytes were already an item of the uploader's: that item is
    /// this one, and nothing new was stored.
    #[serde(default)]
    pub already_in_library: bool,
}

impl From<&MediaItem> for UploadResponse {
    fn from(item: &MediaItem) -> Self {
        UploadResponse {
            id: item.id.clone(),
            title: item.title.clone(),
            kind: item.kind,
            state: item.state.clone(),
            urls: item.urls.clone(),
            already_in_library: false,
        }
    }
}

/// Where a resumable (tus) upload stands, as `upload_status` reports it: the
/// client follows it after its last PATCH while the server finalises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadStatus {
    pub id: UploadId,
    /// Bytes the server holds (the whole length once complete).
    pub offset: u64,
    pub length: u64,
    pub phase: UploadPhase,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "lowercase")]
pub enum UploadPhase {
    /// Bytes are still expected.
    Receiving,
    /// All bytes are in; the server is checking and storing them.
    Finalising,
    /// The upload is a library item now; `already_in_library` when its
    /// bytes were an item of the uploader's before, which `media_id` names.
    Done {
        media_id: MediaId,
        #[serde(default)]
        already_in_library: bool,
    },
    /// It did not become an item; the reason is written for people.
    Failed { reason: String },
}

#[cfg(test)]
mod bars_tests {
    use super::{WaveformPeaks, bars};

    fn peaks(pairs: &[(f32, f32)]) -> WaveformPeaks {
        WaveformPeaks {
            version: 1,
            duration_secs: 2.0,
            length: pairs.len(),
            peaks: pairs.iter().flat_map(|(a, b)| [*a, *b]).collect(),
        }
    }

    #[test]
    fn folds_pairs_into_bars_scaled_to_the_loudest() {
        let p = peaks(&[(-0.1, 0.1), (-0.5, 0.2), (-0.2, 0.25), (0.0, 0.0)]);
        let b = bars(&p, 2);
        assert_eq!(b.heights, vec![1.0, 0.5]);
        assert_eq!(b.duration_secs, 2.0);
    }

    #[test]
    fn never_makes_more_bars_than_pairs_and_keeps_silence_flat() {
        let p = peaks(&[(0.0, 0.0), (0.0, 0.0)]);
        assert_eq!(bars(&p, 160).heights, vec![0.0, 0.0]);
        assert!(bars(&peaks(&[]), 160).heights.is_empty());
    }

    #[test]
    fn uneven_spans_cover_every_pair() {
        let pairs: Vec<(f32, f32)> = (0..7).map(|i| (0.0, i as f32 / 10.0)).collect();
        let b = bars(&peaks(&pairs), 3);
        assert_eq!(b.heights.len(), 3);
        assert_eq!(
            b.heights[2], 1.0,
            "the last bar holds the loudest, last pair"
        );
    }
}
