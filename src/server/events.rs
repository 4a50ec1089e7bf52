//! Live changes to items, fanned out to every open event stream (`/api/events`).
//! Publishing never waits: a slow subscriber misses events (it is told it
//! lagged and fetches afresh) rather than holding up a worker.

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::server::domain::ItemEvent;

/// Events buffered per subscriber before it counts as lagging.
const BUFFER: usize = 256;

#[derive(Clone)]
pub(crate) struct Events {
    sender: broadcast::Sender<ItemEvent>,
    /// Cancelled when the server stops: open streams end, so graceful
    /// shutdown does not wait for browsers that never hang up.
    closing: CancellationToken,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub(crate) fn new() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Events {
            sender,
            closing: CancellationToken::new(),
        }
    }

    /// Ends every open event stream (the server is stopping).
    pub(crate) fn close(&self) {
        self.closing.cancel();
    }

    /// Resolves when the server stops; streams end with it.
    pub(crate) fn closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.closing.clone().cancelled_owned()
    }

    pub(crate) fn publish(&self, event: ItemEvent) {
        // No subscribers is fine: nobody is looking.
        let _ = self.sender.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ItemEvent> {
        self.sender.subscribe()
    }
}
