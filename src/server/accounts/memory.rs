//! What the database said about secrets, kept in memory so most requests
//! skip a query: secret hash → who it speaks for, trusted for a minute.
//! A change made here forgets its entries at once, on this node and (by
//! `Peers`) on every other.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::Account;
use crate::accounts::UserId;
use crate::server::peers::{Peers, Stale};

/// How long a kept answer is trusted without asking the database.
const KEEP_FOR: Duration = Duration::from_secs(60);
/// Past this many entries, the expired ones are dropped.
const TIDY_PAST: usize = 10_000;

struct Kept {
    account: Account,
    checked: Instant,
}

pub(super) struct Memory {
    entries: Mutex<HashMap<String, Kept>>,
    /// The other nodes, told what this one's changes made stale.
    peers: Peers,
}

impl Memory {
    pub(super) fn new(peers: Peers) -> Self {
        Memory {
            entries: Mutex::new(HashMap::new()),
            peers,
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Kept>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Who the secret with this hash speaks for, if known and fresh.
    pub(super) fn get(&self, hash: &str) -> Option<Account> {
        let entries = self.entries();
        let kept = entries.get(hash)?;
        (kept.checked.elapsed() < KEEP_FOR).then(|| kept.account.clone())
    }

    pub(super) fn keep(&self, hash: String, account: &Account) {
        let mut entries = self.entries();
        if entries.len() > TIDY_PAST {
            entries.retain(|_, k| k.checked.elapsed() < KEEP_FOR);
        }
        let kept = Kept {
            account: account.clone(),
            checked: Instant::now(),
        };
        entries.insert(hash, kept);
    }

    #[cfg(any(test, feature = "testing"))]
    pub(super) fn clear(&self) {
        self.entries().clear();
    }

    /// Forgets a user's sessions and tokens, here and on the other nodes.
    pub(super) fn forget_user(&self, user: &UserId) {
        self.entries().retain(|_, k| k.account.id != *user);
        self.peers.tell(Stale::User { id: user.clone() });
    }

    /// Forgets one session or token, here and on the other nodes.
    pub(super) fn forget_secret(&self, hash: String) {
        self.entries().remove(&hash);
        self.peers.tell(Stale::Secret { hash });
    }

    /// Applies what another node changed: forgets here only.
    pub(super) fn forget_here(&self, stale: &Stale) {
        match stale {
            Stale::Secret { hash } => {
                self.entries().remove(hash);
            }
            Stale::User { id } => self.entries().retain(|_, k| k.account.id != *id),
            Stale::Item { .. } | Stale::PublicBrowsing { .. } => {}
        }
    }
}
