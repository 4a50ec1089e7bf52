//! Live changes to items, fanned out to every open event stream (`/api/events`).
//! Publishing never waits: a slow subscriber misses events (it is told it
//! lagged and fetches afresh) rather than holding up a worker.
//!
//! On PostgreSQL several nodes serve pages and run jobs: each node's events
//! also go to the others through `NOTIFY reel_events` (`relay_through`), so a
//! page connected to one node shows the progress a worker on another makes.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::accounts::{UserId, Visibility};
use crate::model::{MediaEvent, MediaId};
use crate::server::db::Repo;
use crate::server::domain::{ItemAccess, ItemEvent};

/// Events buffered per subscriber before it counts as lagging.
const BUFFER: usize = 256;
/// The PostgreSQL channel events travel between nodes on.
const CHANNEL: &str = "reel_events";
/// Events waiting to go to the other nodes; past this many (the database
/// is slow), new ones are dropped, as for a lagging subscriber.
const RELAY_BUFFER: usize = 1024;

/// An event on its way between nodes, with the node that made it (a node
/// hears its own notifications too, and must not publish them twice).
#[derive(Serialize, Deserialize)]
struct Relayed {
    node: String,
    event: MediaEvent,
    owner: Option<UserId>,
    visibility: Visibility,
}

/// This node's side of the relay: its name and the way out.
struct Relay {
    node: String,
    outgoing: mpsc::Sender<String>,
}

impl Relay {
    fn send(&self, event: &ItemEvent) {
        let relayed = Relayed {
            node: self.node.clone(),
            event: event.event.clone(),
            owner: event.access.owner.clone(),
            visibility: event.access.visibility,
        };
        match serde_json::to_string(&relayed) {
            // Full: the other nodes' pages miss it and resync, as on a lag.
            Ok(payload) => drop(self.outgoing.try_send(payload)),
            Err(e) => tracing::warn!("cannot relay an event: {e}"),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Events {
    sender: broadcast::Sender<ItemEvent>,
    /// Cancelled when the server stops: open streams end, so graceful
    /// shutdown does not wait for browsers that never hang up.
    closing: CancellationToken,
    /// Where this node's events go to reach the other nodes, once relayed.
    relay: Arc<OnceLock<Relay>>,
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
            relay: Arc::default(),
        }
    }

    /// Ends every open event stream (the server is stopping).
    pub(crate) fn close(&self) {
        self.closing.cancel();
    }

    /// Cancelled when the server stops (for tasks that end with it).
    pub(crate) fn stopping(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Resolves when the server stops; streams end with it.
    pub(crate) fn closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.closing.clone().cancelled_owned()
    }

    pub(crate) fn publish(&self, event: ItemEvent) {
        if let Some(relay) = self.relay.get() {
            relay.send(&event);
        }
        // No subscribers is fine: nobody is looking.
        let _ = self.sender.send(event);
    }

    /// Sends this node's events to the other nodes and theirs to this
    /// node's streams, when `repo` is PostgreSQL (one node on SQLite: there
    /// is nobody to tell). Until the server stops.
    pub(crate) fn relay_through(&self, repo: &Repo) {
        if repo.is_embedded() {
            return;
        }
        let node = MediaId::generate().to_string();
        let relay = Relay {
            node: node.clone(),
            outgoing: repo.notifier(CHANNEL, RELAY_BUFFER),
        };
        if self.relay.set(relay).is_err() {
            return;
        }
        let from_others = repo.clone();
        let (sender, closing) = (self.sender.clone(), self.closing.clone());
        tokio::spawn(async move {
            from_others
                .follow(CHANNEL, &closing, |payload| {
                    match serde_json::from_str::<Relayed>(&payload) {
                        Ok(relayed) if relayed.node != node => {
                            let _ = sender.send(ItemEvent {
                                event: relayed.event,
                                access: ItemAccess {
                                    owner: relayed.owner,
                                    visibility: relayed.visibility,
                                },
                            });
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!("an unreadable event from another node: {e}"),
                    }
                })
                .await;
        });
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ItemEvent> {
        self.sender.subscribe()
    }
}
