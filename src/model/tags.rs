//! What a file says about itself: the container's tags (artist, album,
//! track…) and its chapters. Read at ingest, kept as item fields, editable.

use serde::{Deserialize, Serialize};

/// The longest tag value kept, in characters (tags are untrusted input;
/// real ones are far shorter).
pub const TAG_MAX_CHARS: usize = 200;
/// The most chapters an item keeps.
pub const CHAPTERS_MAX: usize = 500;
/// The longest chapter title, in characters.
pub const CHAPTER_TITLE_MAX_CHARS: usize = 200;

/// An item's tags; every field is optional (most videos have none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemTags {
    #[serde(default)]
    pub artist: Option<String>,
    #[serde(default)]
    pub album: Option<String>,
    /// The album's artist when it differs from a track's ("Various Artists").
    #[serde(default)]
    pub album_artist: Option<String>,
    #[serde(default)]
    pub genre: Option<String>,
    #[serde(default)]
    pub year: Option<u32>,
    /// Track number on its disc, from 1.
    #[serde(default)]
    pub track: Option<u32>,
    /// Disc number, from 1.
    #[serde(default)]
    pub disc: Option<u32>,
}

/// A chapter: where it starts and what it is called.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chapter {
    pub start_secs: f64,
    pub title: String,
}

impl ItemTags {
    pub fn is_empty(&self) -> bool {
        *self == ItemTags::default()
    }

    /// One line for people: "Artist — Album (1999)", parts left out when
    /// unknown; empty when there is nothing to say.
    pub fn byline(&self) -> String {
        let mut line = self
            .artist
            .clone()
            .or_else(|| self.album_artist.clone())
            .unwrap_or_default();
        if let Some(album) = &self.album {
            if !line.is_empty() {
                line.push_str(" — ");
            }
            line.push_str(album);
        }
        if let Some(year) = self.year {
            if line.is_empty() {
                line = year.to_string();
            } else {
                line.push_str(&format!(" ({year})"));
            }
        }
        line
    }

    /// Tags as they are stored: text trimmed, empty text as none, and
    /// numbers in range. An edit that breaks a rule is refused with a
    /// message naming the field.
    pub fn clean(self) -> Result<ItemTags, String> {
        let text = |name: &str, value: Option<String>| -> Result<Option<String>, String> {
            let Some(value) = value else { return Ok(None) };
            let value = value.trim();
            if value.chars().any(char::is_control) {
                return Err(format!("The {name} cannot contain line breaks or tabs."));
            }
            let chars = value.chars().count();
            if chars > TAG_MAX_CHARS {
                return Err(format!(
                    "The {name} can be at most {TAG_MAX_CHARS} characters long; this one has {chars}."
                ));
            }
            Ok((!value.is_empty()).then(|| value.to_string()))
        };
        let number = |name: &str, value: Option<u32>, max: u32| match value {
            Some(n) if n == 0 || n > max => Err(format!("The {name} must be from 1 to {max}.")),
            other => Ok(other),
        };
        Ok(ItemTags {
            artist: text("artist", self.artist)?,
            album: text("album", self.album)?,
            album_artist: text("album artist", self.album_artist)?,
            genre: text("genre", self.genre)?,
            year: number("year", self.year, 9999)?,
            track: number("track number", self.track, 9999)?,
            disc: number("disc number", self.disc, 999)?,
        })
    }
}

/// Chapters as they are stored: titles trimmed (an empty one becomes
/// "Chapter N"), starts finite, not negative, within the item when its
/// length is known, in order, no two at the same moment.
pub fn clean_chapters(
    mut chapters: Vec<Chapter>,
    duration_secs: Option<f64>,
) -> Result<Vec<Chapter>, String> {
    if chapters.len() > CHAPTERS_MAX {
        return Err(format!("An item can have at most {CHAPTERS_MAX} chapters."));
    }
    for chapter in &chapters {
        let start = chapter.start_secs;
        if !start.is_finite() || start < 0.0 || duration_secs.is_some_and(|d| start > d) {
            return Err(format!(
                "Chapter “{}” starts outside the recording.",
                chapter.title.trim()
            ));
        }
        let chars = chapter.title.trim().chars().count();
        if chars > CHAPTER_TITLE_MAX_CHARS || chapter.title.trim().chars().any(char::is_control) {
            return Err(format!(
                "A chapter title can be at most {CHAPTER_TITLE_MAX_CHARS} characters on one line."
            ));
        }
    }
    chapters.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
    chapters.dedup_by(|later, earlier| (later.start_secs - earlier.start_secs).abs() < 0.001);
    Ok(chapters
        .into_iter()
        .enumerate()
        .map(|(n, chapter)| {
            let title = chapter.title.trim();
            Chapter {
                // Millisecond precision, as files store them.
                start_secs: (chapter.start_secs * 1000.0).round() / 1000.0,
                title: if title.is_empty() {
                    format!("Chapter {}", n + 1)
                } else {
                    title.to_string()
                },
            }
        })
        .collect())
}

/// The chapter playing at `time` (the last one started), if any.
pub fn chapter_at(chapters: &[Chapter], time: f64) -> Option<usize> {
    chapters.iter().rposition(|c| c.start_secs <= time + 0.001)
}

/// Where a chapter jump from `time` lands: the next chapter's start going
/// forward; going back, the current chapter's start, or the one before when
/// the current one began under `RESTART_SECS` ago.
pub fn chapter_target(chapters: &[Chapter], time: f64, forward: bool) -> Option<f64> {
    const RESTART_SECS: f64 = 3.0;
    if forward {
        return chapters
            .iter()
            .map(|c| c.start_secs)
            .find(|start| *start > time + 0.25);
    }
    let current = chapter_at(chapters, time)?;
    let start = chapters[current].start_secs;
    if time - start >= RESTART_SECS || current == 0 {
        Some(start)
    } else {
        Some(chapters[current - 1].start_secs)
    }
}

/// A time as people type it: "75", "1:15", "1:01:15" or "1:15.5", in
/// seconds; `None` for anything else.
pub fn parse_clock(text: &str) -> Option<f64> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let (last, whole) = parts.split_last()?;
    let seconds: f64 = last
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    if !whole.is_empty() && seconds >= 60.0 {
        return None;
    }
    let mut total = 0.0;
    for part in whole {
        let n: u32 = part.parse().ok()?;
        total = total * 60.0 + f64::from(n);
    }
    Some(total * 60.0 + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(start_secs: f64, title: &str) -> Chapter {
        Chapter {
            start_secs,
            title: title.to_string(),
        }
    }

    #[test]
    fn tags_are_trimmed_and_checked() {
        let tags = ItemTags {
            artist: Some("  Nina  ".into()),
            album: Some("   ".into()),
            track: Some(3),
            ..ItemTags::default()
        }
        .clean()
        .expect("clean");
        assert_eq!(tags.artist.as_deref(), Some("Nina"));
        assert_eq!(tags.album, None);
        let zero = ItemTags {
            track: Some(0),
            ..ItemTags::default()
        };
        assert!(zero.clean().unwrap_err().contains("track number"));
        let long = ItemTags {
            genre: Some("x".repeat(TAG_MAX_CHARS + 1)),
            ..ItemTags::default()
        };
        assert!(long.clean().unwrap_err().contains("genre"));
    }

    #[test]
    fn the_byline_leaves_out_what_is_unknown() {
        let mut tags = ItemTags {
            artist: Some("Nina".into()),
            album: Some("Live".into()),
            year: Some(1976),
            ..ItemTags::default()
        };
        assert_eq!(tags.byline(), "Nina — Live (1976)");
        tags.artist = None;
        assert_eq!(tags.byline(), "Live (1976)");
        assert_eq!(ItemTags::default().byline(), "");
    }

    #[test]
    fn chapters_are_ordered_named_and_kept_inside_the_recording() {
        let cleaned = clean_chapters(
            vec![
                chapter(60.0, " Two "),
                chapter(0.0, ""),
                chapter(60.0, "dup"),
            ],
            Some(120.0),
        )
        .expect("clean");
        assert_eq!(
            cleaned,
            vec![chapter(0.0, "Chapter 1"), chapter(60.0, "Two")]
        );
        assert!(clean_chapters(vec![chapter(200.0, "late")], Some(120.0)).is_err());
        assert!(clean_chapters(vec![chapter(f64::NAN, "x")], None).is_err());
        assert_eq!(chapter_at(&cleaned, 59.0), Some(0));
        assert_eq!(chapter_at(&cleaned, 61.0), Some(1));
    }

    #[test]
    fn chapter_jumps_go_to_the_next_start_or_back_to_this_one() {
        let list = vec![chapter(0.0, "a"), chapter(60.0, "b"), chapter(120.0, "c")];
        assert_eq!(chapter_target(&list, 10.0, true), Some(60.0));
        assert_eq!(chapter_target(&list, 130.0, true), None);
        assert_eq!(chapter_target(&list, 70.0, false), Some(60.0));
        assert_eq!(chapter_target(&list, 61.0, false), Some(0.0));
        assert_eq!(chapter_target(&list, 1.0, false), Some(0.0));
    }

    #[test]
    fn clock_times_parse_as_people_type_them() {
        assert_eq!(parse_clock("75"), Some(75.0));
        assert_eq!(parse_clock("1:15"), Some(75.0));
        assert_eq!(parse_clock(" 1:01:15 "), Some(3675.0));
        assert_eq!(parse_clock("0:02.5"), Some(2.5));
        assert_eq!(parse_clock("1:75"), None);
        assert_eq!(parse_clock("a:10"), None);
        assert_eq!(parse_clock(""), None);
    }
}
