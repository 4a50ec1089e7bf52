//! Client file names are metadata only. These helpers make them safe to store
//! and show, and derive a title; they never become paths.

/// The longest name we keep, in characters.
const MAX_CHARS: usize = 200;

/// Keeps the last path component, drops control and path characters, folds
/// whitespace, trims dots and spaces, caps the length. Never empty.
pub(crate) fn sanitize(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut out = String::with_capacity(last.len());
    let mut pending_space = false;
    for c in last.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control()
            || is_invisible_format(c)
            || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
        {
            continue;
        }
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    let trimmed = out.trim_matches(|c| c == '.' || c == ' ');
    let capped: String = trimmed.chars().take(MAX_CHARS).collect();
    if capped.is_empty() {
        "untitled".to_string()
    } else {
        capped
    }
}

/// Bidirectional overrides and zero-width characters: they make
/// `song\u{202E}4pm.exe` display as `songexe.mp4`, so names lie about themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// `"Holiday clip.final.mp4"` → `"Holiday clip.final"`.
pub(crate) fn title_from(sanitized: &str) -> String {
    match sanitized.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 5 => {
            stem.to_string()
        }
        _ => sanitized.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(sanitize("clip.mp4"), "clip.mp4");
        assert_eq!(sanitize("Été à Paris (2024).mkv"), "Été à Paris (2024).mkv");
    }

    #[test]
    fn strips_paths_and_traversal() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\me\\song.mp3"), "song.mp3");
        assert_eq!(sanitize(".."), "untitled");
        assert_eq!(sanitize("/"), "untitled");
    }

    #[test]
    fn drops_control_and_reserved_characters() {
        assert_eq!(sanitize("a\u{0}b\nc\u{7f}.mp4"), "ab c.mp4");
        assert_eq!(sanitize("what?<*>.wav"), "what.wav");
        assert_eq!(sanitize("  lots   of\tspace  .ogg"), "lots of space .ogg");
        assert_eq!(sanitize("...hidden."), "hidden");
        assert_eq!(sanitize(""), "untitled");
    }

    #[test]
    fn drops_bidi_overrides_and_zero_width_characters() {
        assert_eq!(sanitize("song\u{202E}4pm.exe"), "song4pm.exe");
        assert_eq!(sanitize("a\u{200B}b\u{FEFF}.mp3"), "ab.mp3");
    }

    #[test]
    fn caps_length_by_characters() {
        let long = "é".repeat(500);
        assert_eq!(sanitize(&long).chars().count(), MAX_CHARS);
    }

    #[test]
    fn titles_drop_the_extension() {
        assert_eq!(title_from("clip.mp4"), "clip");
        assert_eq!(title_from("a.b.final.webm"), "a.b.final");
        assert_eq!(title_from("noext"), "noext");
        assert_eq!(title_from(".mp4"), ".mp4");
        assert_eq!(title_from("notes.verylongext"), "notes.verylongext");
    }
}
