//! Work on many items at once (the library's selection): one request, one
//! action, and a report that says which items it could not be done to and
//! why, item by item, so one item the asker may not change does not stop
//! the rest.

use serde::{Deserialize, Serialize};

use crate::accounts::Visibility;
use crate::error::ApiError;
use crate::ids::CollectionId;

/// Items one request may name.
pub const MAX_BULK_ITEMS: usize = 500;

/// What to do to every item named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    /// Adds these tags (`labels`) to each item's own.
    AddLabels {
        labels: Vec<String>,
    },
    /// Takes these tags off each item (case ignored).
    RemoveLabels {
        labels: Vec<String>,
    },
    SetVisibility {
        visibility: Visibility,
    },
    /// Appends each item to this playlist of the asker's, in the order
    /// given (an item already in it stays where it is).
    AddToPlaylist {
        playlist: CollectionId,
    },
    /// Processing again, for items whose processing failed.
    Retry,
    Delete,
}

/// One item the action was not done to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkFailure {
    pub id: String,
    pub error: ApiError,
}

/// What a bulk request did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkReport {
    /// Items it was done to.
    pub done: u32,
    pub failed: Vec<BulkFailure>,
}

impl BulkReport {
    /// "Done for 4 items; 1 could not be changed: …" for people.
    pub fn summary(&self) -> String {
        let items = |n: usize| {
            if n == 1 {
                "1 item".to_string()
            } else {
                format!("{n} items")
            }
        };
        let mut text = format!("Done for {}.", items(self.done as usize));
        if !self.failed.is_empty() {
            let reasons: Vec<&str> = self
                .failed
                .iter()
                .map(|f| f.error.message.as_str())
                .collect();
            let mut unique = reasons.clone();
            unique.sort_unstable();
            unique.dedup();
            text.push_str(&format!(
                " Not done for {}: {}",
                items(self.failed.len()),
                unique.join(" ")
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn the_summary_counts_and_gives_each_reason_once() {
        let failure = |id: &str, code, message: &str| BulkFailure {
            id: id.into(),
            error: ApiError::new(code, message),
        };
        let report = BulkReport {
            done: 1,
            failed: vec![
                failure("a", ErrorCode::Forbidden, "Your account may not do this."),
                failure("b", ErrorCode::Forbidden, "Your account may not do this."),
            ],
        };
        assert_eq!(
            report.summary(),
            "Done for 1 item. Not done for 2 items: Your account may not do this."
        );
        assert_eq!(BulkReport::default().summary(), "Done for 0 items.");
    }

    #[test]
    fn actions_read_as_the_api_documents_them() {
        let action: BulkAction =
            serde_json::from_str(r#"{ "action": "set_visibility", "visibility": "internal" }"#)
                .expect("action");
        assert_eq!(
            action,
            BulkAction::SetVisibility {
                visibility: Visibility::Internal
            }
        );
        assert!(serde_json::from_str::<BulkAction>(r#"{ "action": "explode" }"#).is_err());
    }
}
