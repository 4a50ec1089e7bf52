//! The processing queue. Jobs live in the database (`db::jobs`); workers
//! claim them atomically, send heartbeats while ffmpeg runs, retry failures
//! with backoff and settle the item when its last job ends. A job whose
//! worker died (crash, kill -9) is queued again: at once at start-up (this
//! process owns the data directory) and by heartbeat age while running.
//!
//! Tests drive the queue one job at a time with `run_one_job`.

pub mod edit;
mod plan;
mod run;
mod work;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

pub use plan::plan_for;
pub use run::JobReport;

use crate::model::MediaEvent;
use crate::server::db::{DbError, Repo, now_ms};
use crate::server::events::Events;
use crate::server::media::Media;
use crate::server::store::{MediaId, Store};

#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Timings of the queue; the defaults suit production, tests shorten them.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often a running job reports progress and proves it is alive.
    pub heartbeat: Duration,
    /// A running job silent for this long is taken to be dead and requeued.
    pub stale_after: Duration,
    /// The wait before the first retry; it doubles with each further attempt.
    pub retry_delay: Duration,
    /// Runs of one job before it fails for good.
    pub attempts: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat: Duration::from_millis(500),
            stale_after: Duration::from_secs(120),
            retry_delay: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    repo: Repo,
    store: Store,
    media: Media,
    events: Events,
    settings: Settings,
    /// Wakes idle workers when work is queued.
    wake: Notify,
    /// Bumped whenever a job ends or is queued; `wait_idle` watches it.
    changes: watch::Sender<u64>,
    /// Running jobs of this process, so `cancel` can stop them.
    running: Mutex<HashMap<i64, CancellationToken>>,
}

impl Jobs {
    pub fn new(repo: Repo, store: Store, media: Media, events: Events, settings: Settings) -> Self {
        Jobs {
            inner: Arc::new(Inner {
                repo,
                store,
                media,
                events,
                settings,
                wake: Notify::new(),
                changes: watch::Sender::new(0),
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Requeues the jobs a previous run left running: this process holds the
    /// data directory's lock, so none of them is really running any more.
    pub async fn recover(&self) -> Result<usize, JobsError> {
        let items = self.inner.repo.requeue_stale_jobs(i64::MAX).await?;
        if !items.is_empty() {
            tracing::info!(
                count = items.len(),
                "requeued processing left running by the last run"
            );
        }
        Ok(items.len())
    }

    /// Starts `count` workers and the janitor that requeues stale jobs.
    pub fn start_workers(&self, count: usize) {
        for _ in 0..count.max(1) {
            let jobs = self.clone();
            tokio::spawn(async move { jobs.work_forever().await });
        }
        let jobs = self.clone();
        tokio::spawn(async move { jobs.requeue_stale_forever().await });
    }

    /// Tells idle workers that work was queued.
    pub fn wake(&self) {
        self.inner.wake.notify_waiters();
        self.inner.changes.send_modify(|n| *n += 1);
    }

    async fn work_forever(&self) {
        loop {
            // Registered before looking for work, so a wake-up in between is not lost.
            let woken = self.inner.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.run_one_job().await {
                Ok(Some(_)) => continue,
                Ok(None) => {
                    let pause = self.until_next_due().await;
                    tokio::select! {
                        () = &mut woken => {}
                        () = tokio::time::sleep(pause) => {}
                    }
                }
                Err(e) => {
                    tracing::error!("the processing queue cannot be read: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// How long an idle worker may sleep: until the next retry falls due,
    /// and never so long that a missed wake-up matters.
    async fn until_next_due(&self) -> Duration {
        let cap = Duration::from_secs(5);
        match self.inner.repo.next_job_due().await {
            Ok(Some(at)) => {
                let wait = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                Duration::from_millis(wait).clamp(Duration::from_millis(10), cap)
            }
            _ => cap,
        }
    }

    async fn requeue_stale_forever(&self) {
        let every = (self.inner.settings.stale_after / 4).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = self.requeue_stale().await {
                tracing::error!("cannot requeue stale jobs: {e}");
            }
        }
    }

    /// Requeues running jobs whose heartbeat stopped; returns how many.
    pub async fn requeue_stale(&self) -> Result<usize, JobsError> {
        let stale = i64::try_from(self.inner.settings.stale_after.as_millis()).unwrap_or(i64::MAX);
        let items = self
            .inner
            .repo
            .requeue_stale_jobs(now_ms().saturating_sub(stale))
            .await?;
        if !items.is_empty() {
            tracing::warn!(count = items.len(), "requeued jobs whose worker stopped");
            self.wake();
        }
        Ok(items.len())
    }

    /// Cancels an item's queued and running jobs; false when it had none.
    pub async fn cancel(&self, media: &MediaId) -> Result<bool, JobsError> {
        let (count, running) = self.inner.repo.cancel_jobs(media).await?;
        {
            let tokens = self
                .inner
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for id in running {
                if let Some(token) = tokens.get(&id) {
                    token.cancel();
                }
            }
        }
        if count > 0 {
            // Queued jobs have no worker to settle the item: do it here. A
            // running one settles again when its worker sees the cancel.
            self.settle(media).await?;
        }
        Ok(count > 0)
    }

    /// Queues an item's failed and cancelled jobs again with fresh attempts;
    /// false when there was nothing to retry.
    pub async fn retry(&self, media: &MediaId) -> Result<bool, JobsError> {
        let count = self.inner.repo.retry_jobs(media).await?;
        if count > 0 {
            self.wake();
            self.publish(media, true).await;
        }
        Ok(count > 0)
    }

    /// Resolves once no job is queued or running.
    pub async fn wait_idle(&self) {
        let mut changes = self.inner.changes.subscribe();
        loop {
            match self.inner.repo.active_job_count().await {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => tracing::error!("cannot count jobs: {e}"),
            }
            // A change wakes us; the timeout only guards against a missed one.
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
        }
    }

    /// Sends the item's current state and progress to live pages.
    async fn publish(&self, media: &MediaId, changed: bool) {
        self.publish_with(media, changed, None).await;
    }

    async fn publish_with(
        &self,
        media: &MediaId,
        changed: bool,
        live: Option<(i64, f64, Option<f64>)>,
    ) {
        let item = match self.inner.repo.get(media).await {
            Ok(Some(item)) => item,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(%media, "cannot read the item for an event: {e}");
                return;
            }
        };
        let progress = match live {
            Some(live) => match self.inner.repo.jobs_of(media).await {
                Ok(jobs) => crate::server::db::progress_of(&jobs, Some(live)),
                Err(_) => item.progress.clone(),
            },
            None => item.progress.clone(),
        };
        self.inner.events.publish(MediaEvent {
            id: item.id,
            state: item.state,
            progress,
            changed,
        });
    }
}
