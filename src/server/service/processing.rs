//! Processing use cases: the "Retry" and "Cancel" buttons.

use super::access::Actor;
use super::{Error, Result, Service};
use crate::model::MediaId;

impl Service {
    /// Queues an item's failed and cancelled processing again.
    pub(crate) async fn retry_processing(&self, actor: &Actor, id: &MediaId) -> Result<()> {
        self.changeable(actor, id).await?;
        if !self.inner.jobs.retry(id).await? {
            return Err(Error::NothingToRetry);
        }
        Ok(())
    }

    /// Stops an item's processing; the item keeps what is already made and
    /// can be retried. Returns once the running work has stopped.
    pub(crate) async fn cancel_processing(&self, actor: &Actor, id: &MediaId) -> Result<()> {
        self.changeable(actor, id).await?;
        if !self.inner.jobs.cancel(id).await? {
            return Err(Error::NothingToCancel);
        }
        Ok(())
    }
}
