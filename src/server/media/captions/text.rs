//! Caption files as text: bytes in whatever encoding people's tools wrote
//! become UTF-8, SubRip becomes WebVTT, and WebVTT is checked cue by cue so
//! a bad file is refused with the line that is wrong.

/// The largest caption file accepted (a feature film's SRT is ~100 KiB;
/// an upload carries it base64-encoded within the 2 MB request limit).
pub(crate) const MAX_CAPTION_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CaptionError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} MiB", MAX_CAPTION_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("this is not a caption file: it holds binary data")]
    Binary,
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("the file has no cues")]
    NoCues,
}

/// One caption: when it shows, and its text (lines joined by `\n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cue {
    pub(crate) start_ms: u64,
    pub(crate) end_ms: u64,
    pub(crate) text: String,
}

/// A checked WebVTT file and its cues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Captions {
    pub(crate) vtt: String,
    pub(crate) cues: Vec<Cue>,
}

/// Bytes as text: a byte-order mark decides (UTF-8, UTF-16 LE/BE); else
/// valid UTF-8 is UTF-8, and anything else is read as Windows-1252, the
/// encoding of most old SubRip files.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, CaptionError> {
    if bytes.len() > MAX_CAPTION_BYTES {
        return Err(CaptionError::TooLarge);
    }
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, u16::from_be_bytes)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
        }
    };
    if text.contains('\0') {
        return Err(CaptionError::Binary);
    }
    if text.trim().is_empty() {
        return Err(CaptionError::Empty);
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|pair| read([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252: Latin-1 except 0x80–0x9F, where it has typographic marks.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// A caption file, SubRip or WebVTT (told by its first line), as checked
/// WebVTT.
pub(crate) fn parse(text: &str) -> Result<Captions, CaptionError> {
    let first = text
        .trim_start_matches('\u{FEFF}')
        .lines()
        .next()
        .unwrap_or("");
    if first.starts_with("WEBVTT") {
        parse_vtt(text)
    } else {
        parse_srt(text)
    }
}

/// SubRip: numbered blocks of `start --> end` and text, separated by blank
/// lines; the times use a comma before the milliseconds.
pub(crate) fn parse_srt(text: &str) -> Result<Captions, CaptionError> {
    let mut cues = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let line = line.trim_start_matches('\u{FEFF}').trim();
        if line.is_empty() {
            continue;
        }
        // The counter is optional in practice; the timing line is not.
        let (n, timing) = if line.contains("-->") {
            (n, line)
        } else {
            if !line.chars().all(|c| c.is_ascii_digit()) {
                return Err(at(
                    n,
                    "expected a cue number or a `start --> end` time line",
                ));
            }
            match lines.next() {
                Some((n, next)) => (n, next.trim()),
                None => return Err(at(n + 1, "a cue number with no time line after it")),
            }
        };
        let (start_ms, end_ms) = timing_line(timing).map_err(|reason| at(n, reason))?;
        let mut body = Vec::new();
        while let Some((_, next)) = lines.peek() {
            if next.trim().is_empty() {
                break;
            }
            body.push(next.trim_end().to_string());
            lines.next();
        }
        cues.push(Cue {
            start_ms,
            end_ms,
            text: body.join("\n"),
        });
    }
    finish(cues)
}

/// WebVTT: the header, then blocks; a block with `-->` is a cue (with an
/// optional identifier line before it), NOTE/STYLE/REGION blocks are kept
/// out of the cues.
pub(crate) fn parse_vtt(text: &str) -> Result<Captions, CaptionError> {
    let mut cues = Vec::new();
    let mut blocks = blocks(text);
    let header = blocks.next().unwrap_or_default();
    if !header.first().is_some_and(|(_, l)| l.starts_with("WEBVTT")) {
        return Err(at(0, "a WebVTT file starts with `WEBVTT`"));
    }
    for block in blocks {
        let Some(&(n, first)) = block.first() else {
            continue;
        };
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|w| first.starts_with(w))
        {
            continue;
        }
        let timing = block.iter().position(|(_, l)| l.contains("-->"));
        let Some(timing) = timing.filter(|&i| i <= 1) else {
            return Err(at(n, "expected a `start --> end` time line"));
        };
        let (line, text) = block[timing];
        let (start_ms, end_ms) = timing_line(text).map_err(|reason| at(line, reason))?;
        let body: Vec<&str> = block[timing + 1..].iter().map(|(_, l)| *l).collect();
        cues.push(Cue {
            start_ms,
            end_ms,
            text: body.join("\n"),
        });
    }
    finish(cues)
}

/// Blank-line separated blocks of (line index, line).
fn blocks(text: &str) -> impl Iterator<Item = Vec<(usize, &str)>> {
    let mut all = Vec::new();
    let mut current = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{FEFF}').trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
        } else {
            current.push((n, line));
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all.into_iter()
}

fn at(index: usize, reason: &str) -> CaptionError {
    CaptionError::Line {
        line: index + 1,
        reason: reason.to_string(),
    }
}

/// `00:01:02,500 --> 00:01:04,000` (SubRip) or `01:02.500 --> …` (WebVTT);
/// settings after the end time are allowed and dropped.
fn timing_line(line: &str) -> Result<(u64, u64), &'static str> {
    let (start, rest) = line
        .split_once("-->")
        .ok_or("expected a `start --> end` time line")?;
    let end = rest.split_whitespace().next().unwrap_or("");
    let start = timestamp(start.trim()).ok_or("the start time is not a time like 00:01:02,500")?;
    let end = timestamp(end).ok_or("the end time is not a time like 00:01:02,500")?;
    if end < start {
        return Err("the cue ends before it starts");
    }
    Ok((start, end))
}

/// `[hh:]mm:ss[.,]mmm` in milliseconds.
pub(crate) fn timestamp(text: &str) -> Option<u64> {
    let (clock, millis) = text.split_once(['.', ','])?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let numbers: Option<Vec<u64>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let (h, m, s) = match numbers?.as_slice() {
        [m, s] => (0, *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if m > 59 || s > 59 {
        return None;
    }
    Some(((h * 60 + m) * 60 + s) * 1000 + millis.parse::<u64>().ok()?)
}

/// The cues as one WebVTT file (times in full `hh:mm:ss.mmm`).
fn finish(cues: Vec<Cue>) -> Result<Captions, CaptionError> {
    if cues.is_empty() {
        return Err(CaptionError::NoCues);
    }
    let mut vtt = String::from("WEBVTT\n");
    for cue in &cues {
        vtt.push_str(&format!(
            "\n{} --> {}\n{}\n",
            clock(cue.start_ms),
            clock(cue.end_ms),
            // A blank line would end the cue early.
            cue.text.replace("\n\n", "\n").replace("-->", "->")
        ));
    }
    Ok(Captions { vtt, cues })
}

fn clock(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!(
        "{h:02}:{:02}:{:02}.{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    )
}

/// A cue's text as words for search: markup such as `<i>` and `{\an8}` out.
pub(crate) fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skip: Option<char> = None;
    for c in text.chars() {
        match (skip, c) {
            (None, '<') => skip = Some('>'),
            (None, '{') => skip = Some('}'),
            (Some(end), c) if c == end => skip = None,
            (Some(_), _) => {}
            (None, '\n') => out.push(' '),
            (None, c) => out.push(c),
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}

#[cfg(test)]
mod tests;
