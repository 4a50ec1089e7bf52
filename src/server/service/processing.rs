//! Processing use cases: the "Retry" and "Cancel" buttons.

use crate::model::MediaId;

use super::{Actor, Error, Result, Service};

impl Service {
    /// Queues an item's failed and cancelled processing again.
    pub(crate) async fn retry_processing(&self, _actor: &Actor, id: &MediaId) -> Result<()> {
        if !self.inner.jobs.retry(id).await? {
            return Err(Error::NothingToRetry);
        }
        Ok(())
    }

    /// Stops an item's processing; the item keeps what is already made and
    /// can be retried. Returns once the running work has stopped.
    pub(crate) async fn cancel_processing(&self, _actor: &Actor, id: &MediaId) -> Result<()> {
        if !self.inner.jobs.cancel(id).await? {
            return Err(Error::NothingToCancel);
        }
        Ok(())
    }
}
