//! What one node changes that the other nodes hold in memory. Each node
//! caches answers so the hot paths skip the database: who a session or token
//! speaks for (`accounts`, trusted for a minute) and what serving an item's
//! bytes needs, rights included (`service::facts`); and one site setting
//! (whether visitors may browse public items). A change made on one node
//! forgets its own copy at once; `Peers` tells the others, through
//! `NOTIFY reel_stale` on PostgreSQL, so they forget theirs too instead of
//! trusting it until it ages out. On SQLite there is one node and nothing to
//! tell. (Open files are cached only by the local-disk store, which is never
//! shared between nodes.)

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::accounts::UserId;
use crate::model::MediaId;
use crate::server::db::Repo;

/// The PostgreSQL channel the notices travel on.
const CHANNEL: &str = "reel_stale";
/// Notices waiting to go out; past this many (the database is slow) new ones
/// are dropped, and the other nodes' copies age out as they did before.
const BUFFER: usize = 1024;

/// Something a node held in memory that is no longer true.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stale", rename_all = "kebab-case")]
pub(crate) enum Stale {
    /// An item's serving facts: its rights changed, or it is gone.
    Item { id: MediaId },
    /// A session or token, by its secret's hash: signed out or revoked.
    Secret { hash: String },
    /// Every session and token of a user: disabled, demoted, new password.
    User { id: UserId },
    /// The site setting that lets visitors browse public items.
    PublicBrowsing { on: bool },
}

/// A notice between nodes, with the node that sent it (a node hears its own
/// notices too, and has already applied them).
#[derive(Serialize, Deserialize)]
struct Notice {
    node: String,
    #[serde(flatten)]
    stale: Stale,
}

/// This node's way to tell the others; cheap to clone. Until `connect`, and
/// always on SQLite, `tell` does nothing.
#[derive(Clone, Default)]
pub(crate) struct Peers {
    /// This node's name and the way out, once connected.
    outgoing: Arc<OnceLock<(String, mpsc::Sender<String>)>>,
}

impl Peers {
    /// Tells the other nodes (in the background, never blocking the change).
    pub(crate) fn tell(&self, stale: Stale) {
        let Some((node, outgoing)) = self.outgoing.get() else {
            return;
        };
        let notice = Notice {
            node: node.clone(),
            stale,
        };
        match serde_json::to_string(&notice) {
            Ok(payload) => {
                if outgoing.try_send(payload).is_err() {
                    tracing::warn!(
                        "too many cache notices waiting; the other nodes' copies age out"
                    );
                }
            }
            Err(e) => tracing::warn!("cannot write a cache notice: {e}"),
        }
    }

    /// Sends what `tell` is given to the other nodes and calls `apply` with
    /// what they send, until `stop`; on SQLite nothing.
    pub(crate) fn connect(
        &self,
        repo: &Repo,
        stop: CancellationToken,
        apply: impl Fn(Stale) + Send + Sync + 'static,
    ) {
        if repo.is_embedded() {
            return;
        }
        let node = MediaId::generate().to_string();
        let outgoing = repo.notifier(CHANNEL, BUFFER);
        if self.outgoing.set((node.clone(), outgoing)).is_err() {
            return;
        }
        let from_others = repo.clone();
        tokio::spawn(async move {
            from_others
                .follow(CHANNEL, &stop, |payload| {
                    match serde_json::from_str::<Notice>(&payload) {
                        Ok(notice) if notice.node != node => apply(notice.stale),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("an unreadable notice from another node: {e}"),
                    }
                })
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_back_as_written() {
        let user = UserId::generate();
        for stale in [
            Stale::Item {
                id: MediaId::generate(),
            },
            Stale::Secret {
                hash: "ab".repeat(32),
            },
            Stale::User { id: user },
            Stale::PublicBrowsing { on: true },
        ] {
            let notice = Notice {
                node: "n".into(),
                stale: stale.clone(),
            };
            let text = serde_json::to_string(&notice).expect("json");
            let back: Notice = serde_json::from_str(&text).expect("read back");
            assert_eq!(back.stale, stale, "{text}");
            assert!(text.len() < 8000, "within NOTIFY's limit");
        }
    }

    #[test]
    fn a_notice_of_an_unknown_kind_is_refused() {
        let text = r#"{"node":"n","stale":"everything"}"#;
        assert!(serde_json::from_str::<Notice>(text).is_err());
    }
}
