//! Plain values the server's layers hand each other: what ffprobe learned
//! about a file and is kept with its item, and a job to queue. No behaviour
//! beyond small helpers, so every layer may depend on this one.

use crate::accounts::{UserId, Visibility};
use crate::model::{Chapter, ItemTags, JobKind, MediaEvent, MediaKind};

/// Who owns an item and who may see it (`service::access` decides what that
/// allows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemAccess {
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
}

/// A change to an item, with who may hear of it (the event stream filters).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ItemEvent {
    pub(crate) event: MediaEvent,
    pub(crate) access: ItemAccess,
}

/// What the probe learned about an item's original that later work needs:
/// stored with the item's row, read back by the jobs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MediaFacts {
    pub(crate) kind: MediaKind,
    /// The single demuxer name later ffmpeg runs force with `-f`.
    pub(crate) container: String,
    pub(crate) content_type: String,
    pub(crate) duration_secs: Option<f64>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) video_codec: Option<String>,
    pub(crate) audio_codec: Option<String>,
    /// Index of an embedded cover picture (audio files).
    pub(crate) cover_stream: Option<u32>,
}

/// What a file says about itself (container tags and chapters), read by
/// the probe; `title` and `comment` seed the item's title and description.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Described {
    pub(crate) title: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) tags: ItemTags,
    pub(crate) chapters: Vec<Chapter>,
    /// The file's subtitle streams, text-based or not.
    pub(crate) subtitles: Vec<SubtitleStream>,
}

/// A subtitle stream of a file, as the probe lists it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SubtitleStream {
    /// The stream's index in the file (`-map 0:INDEX`).
    pub(crate) index: u32,
    pub(crate) codec: String,
    pub(crate) language: Option<String>,
    pub(crate) title: Option<String>,
}

impl SubtitleStream {
    /// Whether the stream is text that becomes WebVTT (image-based ones,
    /// PGS, DVB or DVD bitmaps, would need character recognition).
    pub(crate) fn is_text(&self) -> bool {
        matches!(
            self.codec.as_str(),
            "subrip" | "srt" | "mov_text" | "webvtt" | "ass" | "ssa" | "text"
        )
    }

    /// What the track is called in the player: its title, else its
    /// language, else its place.
    pub(crate) fn label(&self, place: usize) -> String {
        let language = self.language.as_deref().filter(|l| *l != "und");
        self.title
            .clone()
            .or_else(|| {
                language.map(|code| {
                    crate::model::captions::language_name(code)
                        .map_or_else(|| code.to_string(), str::to_string)
                })
            })
            .unwrap_or_else(|| format!("Subtitles {}", place + 1))
    }
}

/// A processing job to queue for an item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewJob {
    pub(crate) kind: JobKind,
    /// Kind-specific input as JSON (`{}` when there is none).
    pub(crate) params: String,
}

impl NewJob {
    /// A job that needs no parameters.
    pub(crate) fn plain(kind: JobKind) -> Self {
        NewJob {
            kind,
            params: "{}".to_string(),
        }
    }
}
