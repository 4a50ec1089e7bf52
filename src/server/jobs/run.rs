//! Running one claimed job: the work in its own task (a panic stays there),
//! heartbeats with progress, cancellation, the retry decision, and settling
//! the item once its last job has ended.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::work::{self, StepError};
use super::{Jobs, JobsError, Running};
use crate::model::{JobKind, MediaId, MediaKind, MediaState};
use crate::server::db::{ClaimedJob, JobState, now_ms};

/// How a run ended, for callers of `run_one_job` (tests, logs).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub enum JobReport {
    Done {
        kind: JobKind,
        media: String,
    },
    /// Failed and queued again for a later attempt.
    Retrying {
        kind: JobKind,
        reason: String,
    },
    /// Failed for good; the item may now be failed.
    Failed {
        kind: JobKind,
        reason: String,
    },
    Cancelled {
        kind: JobKind,
    },
    /// Another worker took the job over (it was requeued as stale).
    Lost {
        kind: JobKind,
    },
}

/// Progress a job reports as it runs: the share done and when it started.
pub(crate) struct ProgressCell {
    started: Instant,
    fraction: Mutex<f64>,
}

impl ProgressCell {
    fn new() -> Self {
        ProgressCell {
            started: Instant::now(),
            fraction: Mutex::new(0.0),
        }
    }

    pub(crate) fn set(&self, fraction: f64) {
        *self.fraction.lock().unwrap_or_else(PoisonError::into_inner) = fraction.clamp(0.0, 1.0);
    }

    /// The share done and the seconds left at the rate seen so far.
    fn read(&self) -> (f64, Option<f64>) {
        let f = *self.fraction.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = ((0.02..1.0).contains(&f) && elapsed > 1.0).then(|| elapsed * (1.0 - f) / f);
        (f, eta)
    }
}

enum Ended {
    Finished(Result<Result<(), StepError>, tokio::task::JoinError>),
    Cancelled,
    Lost,
}

impl Jobs {
    /// Claims the next due job and runs it to its end; `None` when no job is due.
    pub(crate) async fn run_one_job(&self) -> Result<Option<JobReport>, JobsError> {
        let Some(job) = self.inner.repo.claim_job().await? else {
            return Ok(None);
        };
        let report = self.run_claimed(job.clone()).await;
        self.count(&report);
        match &report {
            JobReport::Done { .. } => {
                tracing::info!(media = %job.media_id, kind = job.kind.as_str(), "job done")
            }
            other => {
                tracing::info!(media = %job.media_id, kind = job.kind.as_str(), "job ended: {other:?}")
            }
        }
        if !matches!(report, JobReport::Lost { .. } | JobReport::Retrying { .. }) {
            self.settle(&job.media_id).await?;
        }
        self.inner.changes.send_modify(|n| *n += 1);
        self.publish(&job.media_id, true).await;
        Ok(Some(report))
    }

    async fn run_claimed(&self, job: ClaimedJob) -> JobReport {
        let progress = Arc::new(ProgressCell::new());
        let work = work::run(self.clone(), job.clone(), progress.clone());
        self.supervise(job, work, progress).await
    }

    /// Runs `work` in its own task (a panic ends only that task) while
    /// sending heartbeats, and records how it ended.
    async fn supervise<W>(&self, job: ClaimedJob, work: W, progress: Arc<ProgressCell>) -> JobReport
    where
        W: std::future::Future<Output = Result<(), StepError>> + Send + 'static,
    {
        let kind = job.kind;
        let running = Running::default();
        let token = running.cancel.clone();
        self.running().insert(job.id, running.clone());
        self.publish(&job.media_id, false).await;
        // A cancel between the claim and the listing above could not stop
        // this run (it was not listed yet) and did not wait for it, so the
        // job's row is looked at once before any work starts. Listed first,
        // then looked at: a cancel after the look finds the run listed and
        // waits for it. (Seen as a half-copied original left in scratch by
        // a job claimed just as its item was cancelled.)
        match self.inner.repo.heartbeat(job.id, 0.0, None).await {
            Ok(true) => {}
            Ok(false) => {
                self.running().remove(&job.id);
                running.stopped.cancel();
                return JobReport::Lost { kind };
            }
            Err(e) => tracing::warn!(job = job.id, "heartbeat not recorded: {e}"),
        }

        let mut task = tokio::spawn(work);
        let mut ticker = tokio::time::interval(self.inner.settings.heartbeat);
        ticker.tick().await; // the first tick is immediate
        let ended = loop {
            tokio::select! {
                result = &mut task => break Ended::Finished(result),
                () = token.cancelled() => break Ended::Cancelled,
                _ = ticker.tick() => {
                    let (fraction, eta) = progress.read();
                    match self.inner.repo.heartbeat(job.id, fraction, eta).await {
                        Ok(true) => self.publish_with(&job.media_id, false, Some((job.id, fraction, eta))).await,
                        Ok(false) => break Ended::Lost,
                        Err(e) => tracing::warn!(job = job.id, "heartbeat not recorded: {e}"),
                    }
                }
            }
        };
        if !matches!(ended, Ended::Finished(_)) {
            // Dropping the work kills its ffmpeg (kill_on_drop) and removes
            // its scratch files; waiting for the drop means that once this
            // job counts as stopped, nothing of it writes any more (the store
            // puts files in place with no await in between, see `store`).
            task.abort();
            let _ = (&mut task).await;
        }
        self.running().remove(&job.id);
        running.stopped.cancel();

        match ended {
            Ended::Cancelled => JobReport::Cancelled { kind },
            Ended::Lost => JobReport::Lost { kind },
            Ended::Finished(Ok(Ok(()))) => match self.inner.repo.finish_job(job.id).await {
                Ok(true) => JobReport::Done {
                    kind,
                    media: job.media_id.to_string(),
                },
                Ok(false) => JobReport::Cancelled { kind },
                Err(e) => {
                    tracing::error!(job = job.id, "cannot record a finished job: {e}");
                    JobReport::Lost { kind }
                }
            },
            Ended::Finished(Ok(Err(e))) => {
                tracing::warn!(media = %job.media_id, kind = kind.as_str(), attempt = job.attempts, "job failed: {e}");
                self.record_failure(&job, e.reason(kind), e.is_retryable())
                    .await
            }
            Ended::Finished(Err(e)) => {
                tracing::error!(media = %job.media_id, kind = kind.as_str(), "job panicked: {e}");
                let reason = "Processing stopped unexpectedly.".to_string();
                self.record_failure(&job, reason, true).await
            }
        }
    }

    async fn record_failure(&self, job: &ClaimedJob, reason: String, retryable: bool) -> JobReport {
        let kind = job.kind;
        let retry_at = (retryable && job.attempts < self.inner.settings.attempts).then(|| {
            let delay = retry_delay(self.inner.settings.retry_delay, job.attempts);
            now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2)
        });
        match self.inner.repo.fail_job(job.id, &reason, retry_at).await {
            Ok(true) if retry_at.is_some() => JobReport::Retrying { kind, reason },
            Ok(true) => JobReport::Failed { kind, reason },
            Ok(false) => JobReport::Cancelled { kind },
            Err(e) => {
                tracing::error!(job = job.id, "cannot record a failed job: {e}");
                JobReport::Lost { kind }
            }
        }
    }

    pub(super) fn running(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, Running>> {
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Once none of an item's jobs is left to run, records its outcome: failed
    /// when a job it cannot do without failed (the playable version, a
    /// video's poster), otherwise ready. Scrub previews, waveforms and cover
    /// art are extras: without them the item still plays.
    pub(super) async fn settle(&self, media: &MediaId) -> Result<(), JobsError> {
        let repo = &self.inner.repo;
        let jobs = repo.jobs_of(media).await?;
        if jobs.iter().any(|j| j.state.is_active()) {
            return Ok(());
        }
        let Some((facts, _)) = repo.facts(media).await? else {
            return Ok(());
        };
        // A ladder is essential only when it was to make the playable copy
        // too: otherwise the item still plays without it.
        let plays = repo
            .get(media)
            .await?
            .is_some_and(|item| item.play.is_some());
        let essential = |kind: JobKind| match kind {
            JobKind::Playable | JobKind::Edit => true,
            JobKind::Poster => facts.kind == MediaKind::Video,
            JobKind::Ladder => !plays,
            JobKind::Scrub | JobKind::Waveform => false,
        };
        let failed = jobs.iter().find(|j| {
            matches!(j.state, JobState::Failed | JobState::Cancelled) && essential(j.kind)
        });
        let outcome = match failed {
            Some(job) => MediaState::Failed(
                job.last_error
                    .clone()
                    .unwrap_or_else(|| "Processing failed.".to_string()),
            ),
            None => MediaState::Ready,
        };
        // A ladder stopped part-way (cancelled, failed) left no files: the
        // item must not offer what was published of it while it encoded.
        let ladder_stopped = jobs.iter().any(|j| {
            j.kind == JobKind::Ladder && matches!(j.state, JobState::Failed | JobState::Cancelled)
        });
        if ladder_stopped
            && !jobs
                .iter()
                .any(|j| j.kind == JobKind::Ladder && j.state == JobState::Done)
        {
            repo.set_hls(media, None).await?;
        }
        repo.settle_media(media, &outcome).await?;
        Ok(())
    }
}

/// Retries wait a little longer each time: base, 2×base, 4×base…
pub(crate) fn retry_delay(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.saturating_sub(1).min(10))
}

#[cfg(test)]
mod tests;
