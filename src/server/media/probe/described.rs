//! What a file says about itself, from ffprobe's JSON: its title, comment,
//! tags and chapters. Every value is untrusted text: trimmed, cut to a sane
//! length, and dropped when it says nothing.

use std::collections::HashMap;

use serde::Deserialize;

use crate::model::tags::{CHAPTERS_MAX, TAG_MAX_CHARS, clean_chapters};
use crate::model::{Chapter, ItemTags};
use crate::server::domain::Described;

/// The longest comment kept (it becomes the description).
const COMMENT_MAX_CHARS: usize = 2000;

/// A chapter as ffprobe prints it (`-show_chapters`).
#[derive(Debug, Deserialize)]
pub(crate) struct ProbeChapter {
    pub start_time: Option<String>,
    #[serde(default)]
    pub tags: HashMap<String, String>,
}

/// Tag names by what they mean: ID3 and MP4 names as ffmpeg spells them,
/// then Vorbis comment names (FLAC, Ogg, Opus), then older spellings.
const TITLE: &[&str] = &["title"];
const ARTIST: &[&str] = &["artist", "performer", "author"];
const ALBUM: &[&str] = &["album"];
const ALBUM_ARTIST: &[&str] = &["album_artist", "albumartist", "album artist"];
const GENRE: &[&str] = &["genre"];
// Not `creation_time`: that is when a file was written, not a work's year.
const YEAR: &[&str] = &["date", "year", "originaldate"];
const TRACK: &[&str] = &["track", "tracknumber"];
const DISC: &[&str] = &["disc", "discnumber"];
const COMMENT: &[&str] = &["comment", "description"];

/// Reads the tags of the container, then of `stream` for names the
/// container lacks (Ogg keeps Vorbis comments on the stream), and the
/// chapters.
pub(crate) fn described(
    container: &HashMap<String, String>,
    stream: Option<&HashMap<String, String>>,
    chapters: &[ProbeChapter],
    duration_secs: Option<f64>,
) -> Described {
    let mut tags: HashMap<String, &str> = HashMap::new();
    for source in stream.into_iter().chain([container]) {
        for (name, value) in source {
            // The container's own tags win: they come last.
            tags.insert(name.to_lowercase(), value.as_str());
        }
    }
    let text = |names: &[&str], max: usize| {
        names
            .iter()
            .find_map(|name| tags.get(*name).and_then(|value| one_line(value, max)))
    };
    let number = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| tags.get(*name).and_then(|v| leading_number(v)))
    };
    Described {
        title: text(TITLE, TAG_MAX_CHARS),
        comment: COMMENT.iter().find_map(|name| paragraphs(tags.get(*name)?)),
        tags: ItemTags {
            artist: text(ARTIST, TAG_MAX_CHARS),
            album: text(ALBUM, TAG_MAX_CHARS),
            album_artist: text(ALBUM_ARTIST, TAG_MAX_CHARS),
            genre: text(GENRE, TAG_MAX_CHARS),
            year: number(YEAR).filter(|y| (1000..=9999).contains(y)),
            track: number(TRACK).filter(|n| (1..=9999).contains(n)),
            disc: number(DISC).filter(|n| (1..=999).contains(n)),
        },
        chapters: chapters_of(chapters, duration_secs),
        subtitles: Vec::new(),
    }
}

/// The chapters with a readable start, titled from their tags. A chapter
/// list that cannot be cleaned (one starting past the end) is dropped whole
/// rather than half kept.
fn chapters_of(chapters: &[ProbeChapter], duration_secs: Option<f64>) -> Vec<Chapter> {
    let read: Vec<Chapter> = chapters
        .iter()
        .take(CHAPTERS_MAX)
        .filter_map(|chapter| {
            let start_secs = chapter.start_time.as_deref()?.trim().parse::<f64>().ok()?;
            let title = chapter
                .tags
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("title"))
                .and_then(|(_, value)| one_line(value, TAG_MAX_CHARS))
                .unwrap_or_default();
            Some(Chapter {
                start_secs: start_secs.max(0.0),
                title,
            })
        })
        .collect();
    // A single chapter covering the whole file says nothing.
    if read.len() < 2 {
        return Vec::new();
    }
    clean_chapters(read, duration_secs.map(|d| d + 1.0)).unwrap_or_default()
}

/// The value on one line (control characters become spaces), trimmed and
/// cut to `max` characters; `None` when empty.
fn one_line(value: &str, max: usize) -> Option<String> {
    let line: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    let line = line.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// A comment as a description: line breaks kept as `\n`, other control
/// characters as spaces, trimmed, cut to `COMMENT_MAX_CHARS`.
fn paragraphs(value: &str) -> Option<String> {
    let text: String = value
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .take(COMMENT_MAX_CHARS)
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// "3/12" → 3, "2001-05-04" → 2001, " 7" → 7; `None` without a leading number.
fn leading_number(value: &str) -> Option<u32> {
    let digits: String = value
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn id3_and_mp4_names_are_read() {
        let tags = map(&[
            ("title", "  Song\tOne "),
            ("artist", "Nina"),
            ("album_artist", "Various"),
            ("album", "Live"),
            ("track", "3/12"),
            ("disc", "1/2"),
            ("date", "1976-05-01"),
            ("genre", "Jazz"),
            ("comment", "Recorded live."),
        ]);
        let said = described(&tags, None, &[], None);
        assert_eq!(said.title.as_deref(), Some("Song One"));
        assert_eq!(said.comment.as_deref(), Some("Recorded live."));
        assert_eq!(
            said.tags,
            ItemTags {
                artist: Some("Nina".into()),
                album: Some("Live".into()),
                album_artist: Some("Various".into()),
                genre: Some("Jazz".into()),
                year: Some(1976),
                track: Some(3),
                disc: Some(1),
            }
        );
    }

    #[test]
    fn vorbis_comments_on_the_stream_fill_what_the_container_lacks() {
        let container = map(&[("encoder", "Lavf")]);
        let stream = map(&[
            ("TITLE", "Opus song"),
            ("ALBUMARTIST", "Band"),
            ("TRACKNUMBER", "7"),
            ("DISCNUMBER", "x"),
        ]);
        let said = described(&container, Some(&stream), &[], None);
        assert_eq!(said.title.as_deref(), Some("Opus song"));
        assert_eq!(said.tags.album_artist.as_deref(), Some("Band"));
        assert_eq!(said.tags.track, Some(7));
        assert_eq!(said.tags.disc, None);
        assert_eq!(said.tags.year, None);
    }

    #[test]
    fn chapters_are_read_in_order_and_one_alone_is_dropped() {
        let chapter = |start: &str, title: &str| ProbeChapter {
            start_time: Some(start.to_string()),
            tags: map(&[("title", title)]),
        };
        let said = described(
            &HashMap::new(),
            None,
            &[chapter("30.5", "Two"), chapter("0.000000", "One")],
            Some(60.0),
        );
        let starts: Vec<(f64, &str)> = said
            .chapters
            .iter()
            .map(|c| (c.start_secs, c.title.as_str()))
            .collect();
        assert_eq!(starts, [(0.0, "One"), (30.5, "Two")]);
        let alone = described(&HashMap::new(), None, &[chapter("0", "All")], Some(60.0));
        assert!(alone.chapters.is_empty());
    }
}
