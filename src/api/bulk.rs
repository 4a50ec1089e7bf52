//! The library's selection: one action on many items.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::model::bulk::{BulkAction, BulkReport};

#[cfg(feature = "ssr")]
use super::context::{actor, service};

/// Does `action` (`add_labels`, `remove_labels`, `set_visibility`,
/// `add_to_playlist`, `retry`, `delete`) to each of `ids` (at most 500), with the same rights
/// as for one item; the report counts what was done and says, item by
/// item, what was not and why (`not-found` for an item the asker may not
/// see, `forbidden` for one they may only see). A request wrong as a whole
/// (too many items, a bad tag) is refused with `bad-request`, nothing done.
#[server(endpoint = "bulk", input = server_fn::codec::Json)]
pub async fn bulk(ids: Vec<String>, action: BulkAction) -> Result<BulkReport, ApiError> {
    use crate::model::MediaId;
    use crate::model::bulk::BulkFailure;
    use crate::server::error::one_of_many;
    use crate::server::service::{Error, Missing};
    let service = service()?;
    let actor = actor().await?;
    // An id of the wrong shape is a missing item, like any unknown id.
    let mut report = BulkReport::default();
    let mut known = Vec::with_capacity(ids.len());
    for id in &ids {
        match MediaId::parse(id) {
            Some(parsed) => known.push(parsed),
            None => report.failed.push(BulkFailure {
                id: id.clone(),
                error: one_of_many(Error::NotFound(Missing::Item)),
            }),
        }
    }
    for (id, outcome) in service.bulk(&actor, &known, &action).await? {
        match outcome {
            Ok(()) => report.done += 1,
            Err(e) => report.failed.push(BulkFailure {
                id: id.to_string(),
                error: one_of_many(e),
            }),
        }
    }
    Ok(report)
}
