//! Types both the server and the browser use. They derive serde only (plus
//! `sqlx::FromRow` on the server) so this file compiles for wasm unchanged.

use serde::{Deserialize, Serialize};

/// Audio or video: decides the player element and which derived files exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    pub id: String,
    pub title: String,
    pub original_filename: String,
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
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

impl MediaItem {
    pub fn urls(&self) -> MediaUrls {
        MediaUrls::for_item(&self.id, self.has_poster)
    }
}

/// Where a client finds an item's page and bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaUrls {
    pub page: String,
    pub original: String,
    pub download: String,
    pub poster: Option<String>,
}

impl MediaUrls {
    pub fn for_item(id: &str, has_poster: bool) -> Self {
        MediaUrls {
            page: format!("/media/{id}"),
            original: format!("/files/{id}/original"),
            download: format!("/files/{id}/original?download"),
            poster: has_poster.then(|| format!("/files/{id}/poster")),
        }
    }
}

/// The answer of `POST /api/uploads`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadResponse {
    pub id: String,
    pub title: String,
    pub kind: MediaKind,
    pub state: MediaState,
    pub urls: MediaUrls,
}

impl From<&MediaItem> for UploadResponse {
    fn from(item: &MediaItem) -> Self {
        UploadResponse {
            id: item.id.clone(),
            title: item.title.clone(),
            kind: item.kind,
            state: item.state.clone(),
            urls: item.urls(),
        }
    }
}

/// Where a resumable (tus) upload stands, as `upload_status` reports it: the
/// client follows it after its last PATCH while the server finalises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadStatus {
    pub id: String,
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
    /// The upload is a library item now.
    Done { media_id: String },
    /// It did not become an item; the reason is written for people.
    Failed { reason: String },
}
