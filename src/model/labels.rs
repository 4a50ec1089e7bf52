//! Tags people give items (free labels, many per item, shown as chips and
//! used to filter the library; called labels in the code, since "tags"
//! there are a file's own artist/album fields) and the rules for them, the
//! same in the browser (to say what is wrong while typing) and on the
//! server (which decides).

use serde::{Deserialize, Serialize};

/// Labels one item may have.
pub const MAX_LABELS: usize = 50;
/// Characters in one label.
pub const MAX_LABEL_CHARS: usize = 40;

/// A label in use, and on how many items the asker may see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelCount {
    pub label: String,
    pub count: u64,
}

/// The key two labels are the same by: "Live", "live" and " LIVE " are one.
pub fn label_key(label: &str) -> String {
    label.trim().to_lowercase()
}

/// One label as typed, made tidy: spaces trimmed and runs of them made
/// one; refused when empty, too long, or holding a comma (commas separate
/// labels where people type several) or a control character.
pub fn clean_label(raw: &str) -> Result<String, String> {
    let label = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        return Err("A tag cannot be empty.".into());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(format!("A tag has at most {MAX_LABEL_CHARS} characters."));
    }
    if label.contains(',') || label.chars().any(char::is_control) {
        return Err("A tag cannot hold a comma or a control character.".into());
    }
    Ok(label)
}

/// A whole list, cleaned: each label as `clean_label` makes it, the first
/// spelling of labels that are the same kept, sorted as people read them.
pub fn clean_labels(raw: &[String]) -> Result<Vec<String>, String> {
    let mut labels: Vec<String> = Vec::new();
    for one in raw {
        let label = clean_label(one)?;
        if !labels.iter().any(|l| label_key(l) == label_key(&label)) {
            labels.push(label);
        }
    }
    if labels.len() > MAX_LABELS {
        return Err(format!("An item has at most {MAX_LABELS} tags."));
    }
    labels.sort_by_key(|l| label_key(l));
    Ok(labels)
}

/// Labels typed in one field, separated by commas ("live, 2024, Anna").
pub fn split_labels(typed: &str) -> Vec<String> {
    typed
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_are_tidied_deduplicated_and_sorted() {
        assert_eq!(
            clean_label("  live   at  home ").as_deref(),
            Ok("live at home")
        );
        assert_eq!(
            clean_labels(&list(&["Zoo", "live", "LIVE", " Anna "])),
            Ok(list(&["Anna", "live", "Zoo"]))
        );
        assert_eq!(clean_labels(&[]), Ok(vec![]));
        assert_eq!(label_key(" Ünïcode "), "ünïcode");
    }

    #[test]
    fn bad_labels_are_refused_with_the_rule() {
        assert!(clean_label("   ").is_err());
        assert!(clean_label(&"x".repeat(MAX_LABEL_CHARS + 1)).is_err());
        assert!(clean_label(&"é".repeat(MAX_LABEL_CHARS)).is_ok());
        assert!(clean_label("a,b").is_err());
        assert!(clean_label("a\u{7}").is_err());
        let many: Vec<String> = (0..=MAX_LABELS).map(|n| format!("t{n}")).collect();
        assert!(clean_labels(&many).unwrap_err().contains("at most"));
    }

    #[test]
    fn typed_labels_split_on_commas() {
        assert_eq!(
            split_labels(" live, 2024 ,,Anna "),
            list(&["live", "2024", "Anna"])
        );
        assert!(split_labels(" , ").is_empty());
    }
}
