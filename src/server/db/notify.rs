//! Between nodes: PostgreSQL's LISTEN/NOTIFY, and nothing on SQLite (one
//! node, whose parts tell each other directly).

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{DbError, Listener, Repo};

impl Repo {
    /// Whether the rows are the embedded SQLite file: then this process,
    /// holding the data directory's lock, is the only one using them.
    pub(crate) fn is_embedded(&self) -> bool {
        matches!(self, Repo::Sqlite(_))
    }

    /// Notifications other nodes send on `channel`, on PostgreSQL; `None`
    /// on SQLite (one node).
    pub(crate) async fn listen(&self, channel: &str) -> Result<Option<Listener>, DbError> {
        match self {
            Repo::Sqlite(_) => Ok(None),
            Repo::Postgres(repo) => Ok(Some(repo.listen(channel).await?)),
        }
    }

    /// Tells every node listening on `channel` (nothing to tell on SQLite).
    pub(crate) async fn notify(&self, channel: &str, payload: &str) -> Result<(), DbError> {
        match self {
            Repo::Sqlite(_) => Ok(()),
            Repo::Postgres(repo) => repo.notify(channel, payload).await,
        }
    }

    /// A sender whose payloads go out on `channel` in order, from a task of
    /// their own, so no caller waits for the database. At most `buffer`
    /// wait: past that `try_send` fails, and the listeners catch up their
    /// slower way (see `follow`).
    pub(crate) fn notifier(&self, channel: &'static str, buffer: usize) -> mpsc::Sender<String> {
        let (sender, mut waiting) = mpsc::channel::<String>(buffer);
        let repo = self.clone();
        tokio::spawn(async move {
            while let Some(payload) = waiting.recv().await {
                if let Err(e) = repo.notify(channel, &payload).await {
                    tracing::warn!(channel, "cannot notify the other nodes: {e}");
                }
            }
        });
        sender
    }

    /// Calls `on` with every notification any node (this one too) sends on
    /// `channel`, until `stop` is cancelled. A listener that loses its
    /// connection, or cannot connect, is tried again a second later; what was
    /// sent meanwhile is lost, so every caller also has a slower way to catch
    /// up (polling, a resync, a cache entry's age). On SQLite (one node) it
    /// returns at once.
    pub(crate) async fn follow(
        &self,
        channel: &str,
        stop: &CancellationToken,
        mut on: impl FnMut(String),
    ) {
        loop {
            match self.listen(channel).await {
                Ok(None) => return,
                Ok(Some(mut listener)) => loop {
                    let next = tokio::select! {
                        () = stop.cancelled() => return,
                        next = listener.next() => next,
                    };
                    match next {
                        Ok(payload) => on(payload),
                        Err(e) => {
                            tracing::warn!(channel, "notifications stopped; listening again: {e}");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(channel, "cannot listen for notifications: {e}"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    }
}
