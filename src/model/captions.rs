//! Caption tracks of an item, as pages show and edit them, and search hits
//! in caption text.

use serde::{Deserialize, Serialize};

use super::MediaId;

/// The longest caption label, in characters.
pub const CAPTION_LABEL_MAX_CHARS: usize = 100;

/// Where a caption track came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionOrigin {
    /// A subtitle stream of the uploaded file.
    File,
    /// A `.vtt` or `.srt` file added to the item.
    Upload,
}

/// One caption track of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptionTrack {
    pub id: i64,
    pub label: String,
    /// A BCP 47 tag such as `en` or `pt-BR`, when known.
    pub language: Option<String>,
    pub origin: CaptionOrigin,
    /// The WebVTT file's address (signed when the item is not public);
    /// `None` for a track that cannot be shown.
    pub src: Option<String>,
    /// Why a track of the file is not shown (image-based subtitles), or
    /// that it is still being read.
    pub note: Option<String>,
}

/// Text someone said in an item's captions, found by a library search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaptionHit {
    pub id: MediaId,
    pub title: String,
    pub at_secs: f64,
    pub text: String,
}

impl CaptionHit {
    /// The item's page, playing from the cue.
    pub fn href(&self) -> String {
        format!("/media/{}?t={}", self.id, self.at_secs.floor())
    }
}

/// A caption label and language as people typed them: trimmed; the label
/// must not be empty, the language must look like a BCP 47 tag.
pub fn clean_caption_fields(
    label: &str,
    language: &str,
) -> Result<(String, Option<String>), String> {
    let label = label.trim();
    if label.is_empty() {
        return Err("A caption track needs a label, such as \"English\".".into());
    }
    if label.chars().count() > CAPTION_LABEL_MAX_CHARS {
        return Err(format!(
            "A caption label is at most {CAPTION_LABEL_MAX_CHARS} characters."
        ));
    }
    let language = language.trim();
    let tag_ok = language.len() <= 35
        && language.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if !language.is_empty() && !tag_ok {
        return Err(format!(
            "\"{language}\" is not a language tag such as en, de or pt-BR."
        ));
    }
    Ok((
        label.to_string(),
        (!language.is_empty()).then(|| language.to_string()),
    ))
}

/// A language tag as people read it, for labels of tracks from files
/// (ffprobe gives ISO 639-2 codes such as `eng`).
pub fn language_name(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_lowercase().as_str() {
        "en" | "eng" => "English",
        "de" | "deu" | "ger" => "Deutsch",
        "fr" | "fra" | "fre" => "Français",
        "es" | "spa" => "Español",
        "it" | "ita" => "Italiano",
        "pt" | "por" => "Português",
        "nl" | "nld" | "dut" => "Nederlands",
        "sv" | "swe" => "Svenska",
        "pl" | "pol" => "Polski",
        "ru" | "rus" => "Русский",
        "ja" | "jpn" => "日本語",
        "ko" | "kor" => "한국어",
        "zh" | "zho" | "chi" => "中文",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_cleaned_and_checked() {
        assert_eq!(
            clean_caption_fields("  English ", " en "),
            Ok(("English".into(), Some("en".into())))
        );
        assert_eq!(
            clean_caption_fields("Deutsch", ""),
            Ok(("Deutsch".into(), None))
        );
        assert!(clean_caption_fields(" ", "en").is_err());
        assert!(clean_caption_fields("x", "en_US").is_err());
        assert!(clean_caption_fields("x", "pt-BR").is_ok());
        assert_eq!(language_name("eng"), Some("English"));
        assert_eq!(language_name("xx"), None);
    }
}
