//! The processing queue. Jobs live in the database (`db::jobs`); workers
//! claim them atomically, send heartbeats while ffmpeg runs, retry failures
//! with backoff and settle the item when its last job ends. A job whose
//! worker died (crash, kill -9) is queued again: at once at start-up (this
//! process owns the data directory) and by heartbeat age while running.
//!
//! Tests drive the queue one job at a time with `run_one_job`.

pub(crate) mod captions;
pub(crate) mod edit;
mod ladder;
mod plan;
mod progress;
mod run;
mod work;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

pub(crate) use plan::plan_for;
pub(crate) use progress::progress_of;
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub use run::JobReport;

use crate::model::{MediaEvent, MediaId};
use crate::server::db::{DbError, QUEUE_CHANNEL, Repo, now_ms};
use crate::server::domain::{ItemAccess, ItemEvent};
use crate::server::events::Events;
use crate::server::media::Media;
use crate::server::node::SoleNode;
use crate::server::store::Store;

#[derive(Debug, thiserror::Error)]
pub(crate) enum JobsError {
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How the runs of this process ended, for operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct JobCounts {
    pub(crate) done: u64,
    pub(crate) failed: u64,
    pub(crate) retried: u64,
    pub(crate) cancelled: u64,
}

#[derive(Default)]
struct Outcomes {
    done: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    cancelled: AtomicU64,
}

/// A job running in this process: how to stop it, and the sign that it has.
#[derive(Clone, Default)]
pub(crate) struct Running {
    pub(crate) cancel: CancellationToken,
    /// Cancelled once the job's work has ended and been dropped.
    pub(crate) stopped: CancellationToken,
}

/// Timings of the queue; the defaults suit production, tests shorten them.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// How often a running job reports progress and proves it is alive.
    pub(crate) heartbeat: Duration,
    /// A running job silent for this long is taken to be dead and requeued.
    pub(crate) stale_after: Duration,
    /// The wait before the first retry; it doubles with each further attempt.
    pub(crate) retry_delay: Duration,
    /// Runs of one job before it fails for good.
    pub(crate) attempts: u32,
    /// Idle workers are woken when any node queues a job (PostgreSQL
    /// `LISTEN`); without, they look every few seconds.
    pub(crate) listen: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat: Duration::from_millis(500),
            stale_after: Duration::from_secs(120),
            listen: true,
            retry_delay: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Jobs {
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
    running: Mutex<HashMap<i64, Running>>,
    outcomes: Outcomes,
}

impl Jobs {
    pub(crate) fn new(
        repo: Repo,
        store: Store,
        media: Media,
        events: Events,
        settings: Settings,
    ) -> Self {
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
                outcomes: Outcomes::default(),
            }),
        }
    }

    /// Requeues every job a previous run left running. Single-node only:
    /// `SoleNode` proves this process holds the data directory's lock, so
    /// none of them can really be running any more. With several nodes,
    /// only expired leases may be requeued (`requeue_stale`).
    pub(crate) async fn requeue_all_running(&self, _sole: &SoleNode) -> Result<usize, JobsError> {
        let items = self.inner.repo.requeue_stale_jobs(i64::MAX).await?;
        if !items.is_empty() {
            tracing::info!(
                count = items.len(),
                "requeued processing left running by the last run"
            );
        }
        self.settle_unsettled().await?;
        Ok(items.len())
    }

    /// Settles items left processing with no job to settle them (a crash
    /// between a job's end and its item's settling); how many.
    pub(crate) async fn settle_unsettled(&self) -> Result<usize, JobsError> {
        let items = self.inner.repo.unsettled_media().await?;
        for media in &items {
            tracing::info!(%media, "settling an item whose processing had ended");
            self.settle(media).await?;
            self.publish(media, true).await;
        }
        Ok(items.len())
    }

    /// Starts `count` workers and the janitor that requeues stale jobs.
    pub(crate) fn start_workers(&self, count: usize) {
        for _ in 0..count.max(1) {
            let jobs = self.clone();
            tokio::spawn(async move { jobs.work_forever().await });
        }
        self.start_janitor();
        if self.inner.settings.listen {
            let jobs = self.clone();
            tokio::spawn(async move { jobs.wake_on_notifications().await });
        }
    }

    /// Starts only the janitor that requeues jobs whose lease ran out (a
    /// node without workers: any node may take back a dead node's jobs).
    pub(crate) fn start_janitor(&self) {
        let jobs = self.clone();
        tokio::spawn(async move { jobs.requeue_stale_forever().await });
    }

    /// Wakes this process's workers when any node queues a job (PostgreSQL
    /// `LISTEN`); on SQLite there is nothing to listen to. A listener that
    /// cannot connect is tried again; meanwhile the workers poll.
    async fn wake_on_notifications(&self) {
        let forever = CancellationToken::new();
        let repo = &self.inner.repo;
        repo.follow(QUEUE_CHANNEL, &forever, |_| self.wake()).await;
    }

    /// How the runs of this process have ended so far.
    pub(crate) fn counts(&self) -> JobCounts {
        let o = &self.inner.outcomes;
        JobCounts {
            done: o.done.load(Ordering::Relaxed),
            failed: o.failed.load(Ordering::Relaxed),
            retried: o.retried.load(Ordering::Relaxed),
            cancelled: o.cancelled.load(Ordering::Relaxed),
        }
    }

    /// Counts how a run ended.
    fn count(&self, report: &JobReport) {
        let o = &self.inner.outcomes;
        let counter = match report {
            JobReport::Done { .. } => &o.done,
            JobReport::Failed { .. } => &o.failed,
            JobReport::Retrying { .. } => &o.retried,
            JobReport::Cancelled { .. } => &o.cancelled,
            JobReport::Lost { .. } => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Queued or running jobs in the whole queue.
    pub(crate) async fn active(&self) -> Result<i64, JobsError> {
        Ok(self.inner.repo.active_job_count().await?)
    }

    /// Tells idle workers that work was queued.
    pub(crate) fn wake(&self) {
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
            if let Err(e) = self.settle_unsettled().await {
                tracing::error!("cannot settle items whose processing ended: {e}");
            }
        }
    }

    /// Requeues running jobs whose heartbeat stopped; returns how many.
    pub(crate) async fn requeue_stale(&self) -> Result<usize, JobsError> {
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
    /// Returns once the running ones have stopped: their ffmpeg is gone and
    /// nothing of theirs writes to the store any more.
    pub(crate) async fn cancel(&self, media: &MediaId) -> Result<bool, JobsError> {
        let (count, running) = self.inner.repo.cancel_jobs(media).await?;
        self.stop_running(&running).await;
        if count > 0 {
            // Queued jobs have no worker to settle the item: do it here. A
            // running one settles again when its worker sees the cancel.
            self.settle(media).await?;
        }
        Ok(count > 0)
    }

    /// Stops this process's runs of `jobs` (of an item whose rows are gone)
    /// and returns once they have: their ffmpeg is gone and nothing of
    /// theirs writes to the store any more.
    pub(crate) async fn stop_running(&self, jobs: &[i64]) {
        let stopping: Vec<CancellationToken> = {
            let tokens = self
                .inner
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            jobs.iter()
                .filter_map(|id| tokens.get(id))
                .map(|job| {
                    job.cancel.cancel();
                    job.stopped.clone()
                })
                .collect()
        };
        for stopped in stopping {
            stopped.cancelled().await;
        }
    }

    /// Queues an item's failed and cancelled jobs again with fresh attempts;
    /// false when there was nothing to retry.
    pub(crate) async fn retry(&self, media: &MediaId) -> Result<bool, JobsError> {
        let count = self.inner.repo.retry_jobs(media).await?;
        if count > 0 {
            self.wake();
            self.publish(media, true).await;
        }
        Ok(count > 0)
    }

    /// Resolves once no job is queued or running.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn wait_idle(&self) {
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

    /// How far the item's processing has come (`None` once it is done).
    async fn progress(
        &self,
        media: &MediaId,
        live: Option<(i64, f64, Option<f64>)>,
    ) -> Option<crate::model::Progress> {
        match self.inner.repo.jobs_of(media).await {
            Ok(jobs) => progress_of(&jobs, live),
            Err(e) => {
                tracing::warn!(%media, "cannot read the item's jobs for an event: {e}");
                None
            }
        }
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
        let progress = self.progress(media, live).await;
        let access = ItemAccess {
            owner: item.owner,
            visibility: item.visibility,
        };
        self.inner.events.publish(ItemEvent {
            event: MediaEvent {
                id: item.id,
                state: item.state,
                progress,
                changed,
            },
            access,
        });
    }
}
