//! WebVTT thumbnails tracks, as the scrub job writes them: each cue's payload
//! names a tile of a sprite sheet (`sprites#xywh=160,0,160,90`) shown while
//! the time is within the cue. Shared: the server and the browser both read it.

use serde::{Deserialize, Serialize};

/// A tile of the sprite sheet, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One cue: from `start` to `end` (seconds), show `image` (cropped to `tile`
/// when the payload has a media fragment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThumbnailCue {
    pub start: f64,
    pub end: f64,
    /// The payload's address without its fragment, as written (often relative).
    pub image: String,
    pub tile: Option<Tile>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VttError {
    #[error("not a WebVTT file (it must start with \"WEBVTT\")")]
    NotWebVtt,
}

/// Parses a thumbnails track. Blocks that are not cues (NOTE, STYLE, REGION)
/// and cues with unreadable timings are skipped, as browsers skip them.
pub fn parse_thumbnails(text: &str) -> Result<Vec<ThumbnailCue>, VttError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut blocks = text.split("\n\n");
    let header = blocks.next().unwrap_or_default();
    let first = header.lines().next().unwrap_or_default();
    if !(first == "WEBVTT" || first.starts_with("WEBVTT ") || first.starts_with("WEBVTT\t")) {
        return Err(VttError::NotWebVtt);
    }
    let mut cues = Vec::new();
    for block in blocks {
        let mut lines = block.lines().skip_while(|l| l.trim().is_empty());
        let Some(mut line) = lines.next() else {
            continue;
        };
        if !line.contains("-->") {
            // An identifier line, or a NOTE/STYLE/REGION block.
            if line.starts_with("NOTE") || line == "STYLE" || line == "REGION" {
                continue;
            }
            match lines.next() {
                Some(next) if next.contains("-->") => line = next,
                _ => continue,
            }
        }
        let Some((start, end)) = parse_timing(line) else {
            continue;
        };
        let Some(payload) = lines.map(str::trim).find(|l| !l.is_empty()) else {
            continue;
        };
        let (image, fragment) = match payload.split_once('#') {
            Some((image, fragment)) => (image, Some(fragment)),
            None => (payload, None),
        };
        cues.push(ThumbnailCue {
            start,
            end,
            image: image.to_string(),
            tile: fragment.and_then(parse_xywh),
        });
    }
    Ok(cues)
}

/// `00:00:02.000 --> 00:00:04.000 [settings]`.
fn parse_timing(line: &str) -> Option<(f64, f64)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    let (start, end) = (parse_timestamp(start.trim())?, parse_timestamp(end)?);
    (end >= start).then_some((start, end))
}

/// `hh:mm:ss.ttt` or `mm:ss.ttt`.
fn parse_timestamp(text: &str) -> Option<f64> {
    let (clock, millis) = text.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    // Hours take two digits or more; minutes and seconds exactly two.
    let number = |s: &str, exact: bool| -> Option<u64> {
        let digits = s.len() == 2 || (!exact && s.len() > 2);
        (digits && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (number(h, false)?, number(m, true)?, number(s, true)?),
        [m, s] => (0, number(m, true)?, number(s, true)?),
        _ => return None,
    };
    if minutes > 59 || seconds > 59 {
        return None;
    }
    let millis: u64 = millis.parse().ok()?;
    // Hours have no digit limit: a count too large for u64 seconds is no time.
    let whole = hours
        .checked_mul(3600)?
        .checked_add(minutes * 60 + seconds)?;
    Some(whole as f64 + millis as f64 / 1000.0)
}

/// A media fragment `xywh=x,y,w,h` (optionally `xywh=pixel:…`).
fn parse_xywh(fragment: &str) -> Option<Tile> {
    let value = fragment
        .split('&')
        .find_map(|part| part.strip_prefix("xywh="))?;
    let value = value.strip_prefix("pixel:").unwrap_or(value);
    let numbers: Vec<u32> = value
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        &[x, y, w, h] if w > 0 && h > 0 => Some(Tile { x, y, w, h }),
        _ => None,
    }
}

/// The cue showing at `time` (cues sorted by start, as the scrub job writes
/// them); past the last cue's end, the last cue.
pub fn cue_at(cues: &[ThumbnailCue], time: f64) -> Option<&ThumbnailCue> {
    let after = cues.partition_point(|cue| cue.start <= time);
    after.checked_sub(1).and_then(|i| cues.get(i))
}

/// Resolves a cue's image address against the track's own address, the way
/// a browser resolves a relative link (paths only; absolute ones are kept).
pub fn resolve(track_url: &str, image: &str) -> String {
    if image.starts_with('/') || image.contains("://") {
        return image.to_string();
    }
    let dir = match track_url.rfind('/') {
        Some(i) => &track_url[..=i],
        None => "",
    };
    format!("{dir}{image}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRUB: &str = "WEBVTT\n\
        \n00:00:00.000 --> 00:00:02.000\nsprites#xywh=0,0,160,90\n\
        \n00:00:02.000 --> 00:00:04.000\nsprites#xywh=160,0,160,90\n\
        \n00:00:04.000 --> 00:00:05.250\nsprites#xywh=320,0,160,90\n";

    #[test]
    fn reads_what_the_scrub_job_writes() {
        let cues = parse_thumbnails(SCRUB).expect("parse");
        assert_eq!(cues.len(), 3);
        assert_eq!(
            cues[1],
            ThumbnailCue {
                start: 2.0,
                end: 4.0,
                image: "sprites".into(),
                tile: Some(Tile {
                    x: 160,
                    y: 0,
                    w: 160,
                    h: 90
                }),
            }
        );
        assert_eq!(cues[2].end, 5.25);
    }

    #[test]
    fn accepts_crlf_bom_identifiers_notes_and_hours() {
        let text = "\u{feff}WEBVTT - thumbs\r\n\r\nNOTE made by hand\r\n\r\n\
            first\r\n01:02:03.500 --> 01:02:05.000 line:0\r\nsheet.jpg#xywh=pixel:1,2,3,4\r\n\r\n\
            02:00.000 --> 02:01.000\r\n/abs/sheet.jpg\r\n";
        let cues = parse_thumbnails(text).expect("parse");
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].start, 3723.5);
        assert_eq!(cues[0].end, 3725.0);
        assert_eq!(
            cues[0].tile,
            Some(Tile {
                x: 1,
                y: 2,
                w: 3,
                h: 4
            })
        );
        assert_eq!(cues[1].start, 120.0);
        assert_eq!(cues[1].image, "/abs/sheet.jpg");
        assert_eq!(cues[1].tile, None);
    }

    #[test]
    fn refuses_other_files_and_skips_broken_cues() {
        assert_eq!(parse_thumbnails("{\"a\":1}"), Err(VttError::NotWebVtt));
        assert_eq!(parse_thumbnails(""), Err(VttError::NotWebVtt));
        assert_eq!(parse_thumbnails("WEBVTTX\n"), Err(VttError::NotWebVtt));
        let text = "WEBVTT\n\n00:00:0.000 --> 00:00:01.000\na#xywh=0,0,1,1\n\n\
            00:00:03.000 --> 00:00:02.000\nb\n\n\
            00:00:01.000 --> 00:00:02.000\n\n\
            00:00:02.000 --> 00:00:03.000\nc#xywh=0,0,0,1\n";
        let cues = parse_thumbnails(text).expect("parse");
        assert_eq!(cues.len(), 1, "{cues:?}");
        assert_eq!(cues[0].image, "c");
        assert_eq!(cues[0].tile, None, "a zero-sized tile is no tile");
    }

    #[test]
    fn hours_past_any_clock_skip_the_cue() {
        // Found by fuzzing (thumbnails_vtt): the seconds overflowed u64.
        let text = "WEBVTT\n\n00:00:02.000 --> 6845944445032522634:00:04.000\nsheet\n\n\
            100:00:00.000 --> 100:00:01.000\nsheet\n";
        let cues = parse_thumbnails(text).expect("parse");
        assert_eq!(cues.len(), 1, "{cues:?}");
        assert_eq!(cues[0].start, 360_000.0);
    }

    #[test]
    fn finds_the_cue_at_a_time() {
        let cues = parse_thumbnails(SCRUB).expect("parse");
        assert_eq!(cue_at(&cues, 0.0).map(|c| c.start), Some(0.0));
        assert_eq!(cue_at(&cues, 1.999).map(|c| c.start), Some(0.0));
        assert_eq!(cue_at(&cues, 2.0).map(|c| c.start), Some(2.0));
        assert_eq!(cue_at(&cues, 99.0).map(|c| c.start), Some(4.0));
        assert_eq!(cue_at(&cues, -1.0).map(|c| c.start), None);
        assert_eq!(cue_at(&[], 1.0), None);
    }

    #[test]
    fn resolves_images_against_the_track() {
        assert_eq!(
            resolve("/files/abc/thumbnails", "sprites"),
            "/files/abc/sprites"
        );
        assert_eq!(resolve("/files/abc/thumbnails", "/x/y"), "/x/y");
        assert_eq!(resolve("thumbnails", "sprites"), "sprites");
        assert_eq!(
            resolve("/t", "https://cdn.example/s.jpg"),
            "https://cdn.example/s.jpg"
        );
    }
}
