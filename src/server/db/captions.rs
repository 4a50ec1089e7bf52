//! Caption rows as both backends trade them.

use crate::model::MediaId;
use crate::server::domain::SubtitleStream;

/// The most caption tracks one item holds.
pub(crate) const MAX_CAPTIONS: i64 = 100;
/// The most search hits in caption text one search answers.
pub(crate) const MAX_CUE_HITS: i64 = 20;

/// A caption track without its text.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct CaptionRow {
    pub(crate) id: i64,
    pub(crate) media_id: String,
    /// `file` or `upload`.
    pub(crate) origin: String,
    pub(crate) stream_index: Option<i64>,
    pub(crate) codec: Option<String>,
    pub(crate) label: String,
    pub(crate) language: Option<String>,
    /// `pending` (a file's stream not read yet), `ready`, `unsupported`.
    pub(crate) state: String,
}

/// A caption's text, checked, with its cues' plain words for search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CaptionText {
    pub(crate) vtt: String,
    /// (start in ms, plain text) per cue.
    pub(crate) cues: Vec<(i64, String)>,
}

/// A cue whose words a search found, on an item the asker may list.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub(crate) struct CueHitRow {
    pub(crate) media_id: String,
    pub(crate) title: String,
    pub(crate) start_ms: i64,
    pub(crate) text: String,
}

/// The rows a file's subtitle streams start as: text streams wait for the
/// poster job to read them, image-based ones are listed as unsupported.
pub(crate) fn file_tracks(
    subtitles: &[SubtitleStream],
) -> Vec<(i64, String, String, Option<String>, &'static str)> {
    subtitles
        .iter()
        .enumerate()
        .map(|(place, s)| {
            (
                i64::from(s.index),
                s.codec.clone(),
                s.label(place),
                s.language.clone().filter(|l| l != "und"),
                if s.is_text() {
                    "pending"
                } else {
                    "unsupported"
                },
            )
        })
        .collect()
}

impl CueHitRow {
    pub(crate) fn media_id(&self) -> Option<MediaId> {
        MediaId::parse(&self.media_id)
    }
}
