//! The file's text subtitle streams, read as WebVTT caption tracks while
//! the poster job has the original at hand. A stream ffmpeg cannot read,
//! or whose text is not valid WebVTT, is marked unsupported; it never
//! fails the item.

use std::path::Path;

use super::Jobs;
use super::work::StepError;
use crate::model::MediaId;
use crate::server::db::CaptionText;
use crate::server::media::captions::SubtitleJob;
use crate::server::media::captions::text::{self, Captions};
use crate::server::media::{MediaError, ProcessError};

/// A checked caption file as the repository keeps it: the WebVTT text and
/// each cue's plain words for search.
pub(crate) fn caption_text(captions: Captions) -> CaptionText {
    CaptionText {
        cues: captions
            .cues
            .iter()
            .map(|cue| {
                let start = i64::try_from(cue.start_ms).unwrap_or(i64::MAX);
                (start, text::plain(&cue.text))
            })
            .filter(|(_, words)| !words.trim().is_empty())
            .collect(),
        vtt: captions.vtt,
    }
}

/// Reads every stream of `id` still waiting to be read.
pub(super) async fn read_file_tracks(
    jobs: &Jobs,
    id: &MediaId,
    demuxer: &str,
    original: &Path,
) -> Result<(), StepError> {
    let inner = &jobs.inner;
    let waiting = inner.repo.captions_of(id).await?;
    for row in waiting.into_iter().filter(|row| row.state == "pending") {
        let Some(stream) = row.stream_index.and_then(|i| u32::try_from(i).ok()) else {
            continue;
        };
        let job = SubtitleJob {
            input: original,
            demuxer,
            stream,
        };
        let read = match inner.media.subtitle_vtt(&job).await {
            Ok(bytes) => Some(bytes),
            // The stream's own fault: listed, not shown.
            Err(
                e @ (MediaError::TooMuchText
                | MediaError::Process(
                    ProcessError::Status { .. } | ProcessError::Timeout { .. },
                )),
            ) => {
                tracing::info!(%id, stream, "a subtitle stream cannot be read: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let checked =
            read.and_then(
                |bytes| match text::parse_vtt(&String::from_utf8_lossy(&bytes)) {
                    Ok(captions) => Some(caption_text(captions)),
                    Err(e) => {
                        tracing::info!(%id, stream, "a subtitle stream is not usable WebVTT: {e}");
                        None
                    }
                },
            );
        inner.repo.fill_caption(row.id, checked.as_ref()).await?;
    }
    Ok(())
}
