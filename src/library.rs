//! The library's list: its query (search, filters, sort, page) as it travels
//! in URLs and server-function calls, the page of results, and the rules for
//! titles and descriptions. Shared by the server and the browser.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::model::{MediaId, MediaItem, MediaKind};

/// How the library is ordered. The names in URLs are stable: `newest`,
/// `oldest`, `title`, `duration` and `size`. Every order ends in the id, so
/// items with equal keys keep one order from page to page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Latest uploads first.
    #[default]
    Newest,
    /// Earliest uploads first.
    Oldest,
    /// A to Z, ignoring case.
    Title,
    /// Longest first; items without a duration last.
    Duration,
    /// Largest first.
    Size,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::Title,
        Sort::Duration,
        Sort::Size,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Title => "title",
            Sort::Duration => "duration",
            Sort::Size => "size",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Sort::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// What a sort menu shows.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::Title => "Title (A–Z)",
            Sort::Duration => "Longest first",
            Sort::Size => "Largest first",
        }
    }
}

/// The library filter by state; URL names `processing`, `ready`, `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateFilter {
    Processing,
    Ready,
    Failed,
}

impl StateFilter {
    pub const ALL: [StateFilter; 3] = [
        StateFilter::Processing,
        StateFilter::Ready,
        StateFilter::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Processing => "processing",
            StateFilter::Ready => "ready",
            StateFilter::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        StateFilter::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            StateFilter::Processing => "Processing",
            StateFilter::Ready => "Ready",
            StateFilter::Failed => "Failed",
        }
    }
}

/// Items per library page unless a query asks otherwise.
pub const DEFAULT_PER_PAGE: u32 = 24;
/// The most items one library page holds.
pub const MAX_PER_PAGE: u32 = 100;
/// The highest page number a query may ask for.
pub const MAX_PAGE: u32 = 100_000;
/// The longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// One page of the library: what to show and in which order. It round-trips
/// through a URL query string (`to_query_string` / `from_query_string`), so
/// a library view can be shared as a link. On the wire (`list_library`) it
/// travels as the typed struct; the server checks it with `validate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryQuery {
    /// Search text: every word must start a word of the title, the file name
    /// or the description ("holi" finds "Holiday 2024.mp4"), ignoring case.
    pub q: String,
    pub kind: Option<MediaKind>,
    pub state: Option<StateFilter>,
    pub sort: Sort,
    /// Only items with this tag (`model::labels`; empty: any).
    pub label: String,
    /// Only the asker's favourites.
    #[serde(deserialize_with = "bool_or_text")]
    pub favourites: bool,
    /// 1-based.
    #[serde(deserialize_with = "number_or_text")]
    pub page: u32,
    /// 1 to `MAX_PER_PAGE`.
    #[serde(deserialize_with = "number_or_text")]
    pub per_page: u32,
}

/// A `bool` given as one (JSON) or as text (a form: `true`, `1`, `on`;
/// `false`, `0`, `off` or nothing for false).
fn bool_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("true or false")
        }

        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                "true" | "1" | "on" => Ok(true),
                "false" | "0" | "off" | "" => Ok(false),
                other => Err(E::custom(format!("{other:?} is not true or false"))),
            }
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// A `u32` given as a number (JSON) or as text (a form or query string,
/// where flattened fields all arrive as text).
fn number_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = u32;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom("the number is too large"))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom("the number is out of range"))
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u32, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format!("{v:?} is not a whole number")))
        }
    }
    deserializer.deserialize_any(Visitor)
}

impl Default for LibraryQuery {
    fn default() -> Self {
        LibraryQuery {
            q: String::new(),
            kind: None,
            state: None,
            sort: Sort::default(),
            label: String::new(),
            favourites: false,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl LibraryQuery {
    /// The same query on another page.
    pub fn with_page(&self, page: u32) -> Self {
        LibraryQuery {
            page,
            ..self.clone()
        }
    }

    /// Refuses what the server will not answer, with a message that says
    /// which value is wrong and what is allowed (code `bad-request`).
    pub fn validate(&self) -> Result<(), ApiError> {
        let bad = |message: String| Err(ApiError::new(ErrorCode::BadRequest, message));
        if self.page == 0 || self.page > MAX_PAGE {
            return bad(format!(
                "The page must be a number from 1 to {MAX_PAGE}; {} is not.",
                self.page
            ));
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return bad(format!(
                "A page can show 1 to {MAX_PER_PAGE} items; {} is not allowed.",
                self.per_page
            ));
        }
        let chars = self.q.chars().count();
        if chars > MAX_SEARCH_CHARS {
            return bad(format!(
                "The search can be at most {MAX_SEARCH_CHARS} characters long; this one has {chars}."
            ));
        }
        if !self.label.is_empty() && crate::model::labels::clean_label(&self.label).is_err() {
            return bad("The tag to filter by is not a tag: 1 to 40 characters, no commas.".into());
        }
        Ok(())
    }

    /// The query as URL query pairs, defaults left out (`""` for the default
    /// view), e.g. `q=holi&kind=video&sort=title&page=2`; values are
    /// percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.trim().is_empty() {
            pairs.push(("q", percent_encode(self.q.trim())));
        }
        if let Some(kind) = self.kind {
            pairs.push(("kind", kind.as_str().to_string()));
        }
        if let Some(state) = self.state {
            pairs.push(("state", state.as_str().to_string()));
        }
        if self.sort != Sort::default() {
            pairs.push(("sort", self.sort.as_str().to_string()));
        }
        if !self.label.is_empty() {
            pairs.push(("tag", percent_encode(&self.label)));
        }
        if self.favourites {
            pairs.push(("favourites", "1".to_string()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if self.per_page != DEFAULT_PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `path` with the query string appended (no `?` for the default view).
    pub fn href(&self, path: &str) -> String {
        match self.to_query_string() {
            qs if qs.is_empty() => path.to_string(),
            qs => format!("{path}?{qs}"),
        }
    }

    /// Reads decoded query pairs (as a router hands them over). Forgiving,
    /// since links get edited by hand: unknown names and values are ignored,
    /// numbers are clamped into range, so any link shows some page.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = LibraryQuery::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" => {
                    // Trimmed again after the cut: a space the cut leaves at
                    // the end would be dropped from the shared link.
                    let cut: String = value.chars().take(MAX_SEARCH_CHARS).collect();
                    query.q = cut.trim_end().to_string();
                }
                "kind" => query.kind = MediaKind::parse(value),
                "state" => query.state = StateFilter::parse(value),
                "sort" => query.sort = Sort::parse(value).unwrap_or_default(),
                "tag" => {
                    query.label = crate::model::labels::clean_label(value).unwrap_or_default();
                }
                "favourites" => query.favourites = matches!(value, "1" | "true" | "on"),
                "page" => {
                    query.page = value.parse::<u32>().map_or(1, |p| p.clamp(1, MAX_PAGE));
                }
                "per_page" => {
                    query.per_page = value
                        .parse::<u32>()
                        .map_or(DEFAULT_PER_PAGE, |n| n.clamp(1, MAX_PER_PAGE));
                }
                _ => {}
            }
        }
        query
    }

    /// Reads a raw query string (with or without the leading `?`).
    pub fn from_query_string(text: &str) -> Self {
        let text = text.strip_prefix('?').unwrap_or(text);
        let pairs: Vec<(String, String)> = text
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Self::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Percent-encodes all but the URL-unreserved characters (space is `%20`).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+` (a space in forms); malformed escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One page of the library, as `list_library` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LibraryPage {
    pub items: Vec<MediaItem>,
    /// Items matching the query over all pages.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl LibraryPage {
    /// How many pages the query has (1 when nothing matches).
    pub fn pages(&self) -> u32 {
        let per_page = u64::from(self.per_page.max(1));
        u32::try_from(self.total.div_ceil(per_page).max(1)).unwrap_or(u32::MAX)
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// An item next to another in the library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub id: MediaId,
    pub title: String,
}

impl Neighbour {
    pub fn href(&self) -> String {
        // Ids are server-made hex; nothing to escape.
        format!("/media/{}", self.id)
    }
}

/// The items either side of one in the library's order (newest first):
/// `previous` is newer, `next` older.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

/// The longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// The longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 5000;

/// A title as it is stored: trimmed, 1 to `TITLE_MAX_CHARS` characters, no
/// control characters. The error (code `invalid-title`) says what to fix.
/// Shared, so a form can check as the person types.
pub fn clean_title(title: &str) -> Result<String, ApiError> {
    let bad = |message: String| Err(ApiError::new(ErrorCode::InvalidTitle, message));
    let title = title.trim();
    if title.is_empty() {
        return bad("The title cannot be empty.".to_string());
    }
    let chars = title.chars().count();
    if chars > TITLE_MAX_CHARS {
        return bad(format!(
            "The title can be at most {TITLE_MAX_CHARS} characters long; this one has {chars}."
        ));
    }
    if title.chars().any(char::is_control) {
        return bad(
            "The title cannot contain control characters such as line breaks or tabs.".to_string(),
        );
    }
    Ok(title.to_string())
}

/// A description as it is stored: trimmed, line breaks as `\n`, at most
/// `DESCRIPTION_MAX_CHARS` characters, no control characters other than
/// line breaks and tabs (code `invalid-description`). Empty is fine.
pub fn clean_description(description: &str) -> Result<String, ApiError> {
    let bad = |message: String| Err(ApiError::new(ErrorCode::InvalidDescription, message));
    let description = description.replace("\r\n", "\n").replace('\r', "\n");
    let description = description.trim();
    let chars = description.chars().count();
    if chars > DESCRIPTION_MAX_CHARS {
        return bad(format!(
            "The description can be at most {DESCRIPTION_MAX_CHARS} characters long; this one has {chars}."
        ));
    }
    if description
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return bad(
            "The description cannot contain control characters (line breaks and tabs are fine)."
                .to_string(),
        );
    }
    Ok(description.to_string())
}

#[cfg(test)]
mod tests;
