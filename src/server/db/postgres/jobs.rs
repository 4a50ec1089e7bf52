//! Rows of the processing queue, on PostgreSQL, shared by every node.
//!
//! A claim is one `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED
//! LIMIT 1) RETURNING`: two workers (on one node or many) never take the
//! same job, and neither waits for the other's choice. Each claim takes a
//! fresh fencing token (`claim`, from a sequence, never reused): heartbeats,
//! finishing and failing name the token this process claimed with, so a
//! worker whose job was requeued as stale and claimed again elsewhere
//! writes nothing. The token is remembered per job id in this process
//! (`Repo`'s signatures carry only the id), so two workers of one process
//! on one job are not told apart: the runner keeps one worker per job id.
//! Wake-ups: a trigger announces every job that becomes queued on
//! `reel_jobs` (migration 7, `Jobs::wake_on_notifications`); workers poll too.

use std::collections::HashMap;

use sqlx::{FromRow, Postgres, Transaction};

use super::super::DbError;
use super::super::rows::{ClaimedJob, JobRow, JobStatus, now_ms};
use super::PgRepo;
use crate::model::{MediaId, MediaState};
use crate::server::domain::NewJob;

/// Queues `jobs` for `media` inside `tx`: the one place jobs are inserted.
pub(super) async fn insert_jobs(
    tx: &mut Transaction<'static, Postgres>,
    media: &MediaId,
    jobs: &[NewJob],
) -> Result<(), DbError> {
    let due = now_ms();
    for job in jobs {
        sqlx::query(
            "INSERT INTO jobs (media_id, kind, state, params, run_after, created_at, updated_at)
             VALUES ($1, $2, 'queued', $3, $4, now(), now())",
        )
        .bind(media)
        .bind(job.kind)
        .bind(&job.params)
        .bind(due)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A job just claimed, with its fencing token.
#[derive(FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    job: JobRow,
    claim: i64,
}

impl PgRepo {
    /// The fencing token this process claimed `job` with, if it did.
    fn claim_of(&self, job: i64) -> Option<i64> {
        self.claims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&job)
            .copied()
    }

    /// Forgets this process's claim of `job` (its run is over).
    fn release_claim(&self, job: i64) -> Option<i64> {
        self.claims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&job)
    }

    /// Takes the next due job, with the same turns as on SQLite: the owner
    /// with the fewest jobs running, then the one served longest ago (never
    /// served first: `NULLS FIRST`, SQLite's order for NULL), then what
    /// makes an item viewable, then the oldest. The ranking reads a
    /// snapshot; the lock and the `state = 'queued'` check are what decide,
    /// so a job another worker took meanwhile is skipped, never taken twice.
    pub(crate) async fn claim_job(&self) -> Result<Option<ClaimedJob>, DbError> {
        let row = sqlx::query_as::<_, ClaimRow>(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, heartbeat_at = $1,
                 claim = nextval('job_claims'),
                 started_at = now(), updated_at = now(), progress = 0, eta_secs = NULL
             WHERE id = (
                 WITH due AS (
                     SELECT j.id, j.kind, m.owner_id FROM jobs j JOIN media m ON m.id = j.media_id
                     WHERE j.state = 'queued' AND j.run_after <= $1),
                 turns AS (
                     SELECT o.owner_id, COUNT(*) FILTER (WHERE r.state = 'running') AS running,
                            MAX(r.heartbeat_at) AS served
                     FROM (SELECT DISTINCT owner_id FROM due) o
                     JOIN media om ON om.owner_id IS NOT DISTINCT FROM o.owner_id
                     JOIN jobs r ON r.media_id = om.id
                     GROUP BY o.owner_id),
                 ranked AS (
                     SELECT due.id, row_number() OVER (
                         ORDER BY turns.running, turns.served NULLS FIRST,
                                  CASE due.kind WHEN 'poster' THEN 0 WHEN 'edit' THEN 1
                                       WHEN 'playable' THEN 1 WHEN 'waveform' THEN 2 ELSE 3 END,
                                  due.id) AS turn
                     FROM due JOIN turns ON turns.owner_id IS NOT DISTINCT FROM due.owner_id)
                 SELECT j.id FROM jobs j JOIN ranked ON ranked.id = j.id
                 WHERE j.state = 'queued'
                 ORDER BY ranked.turn
                 LIMIT 1
                 FOR UPDATE OF j SKIP LOCKED)
               AND state = 'queued'
             RETURNING *",
        )
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        self.claims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(row.job.id, row.claim);
        row.job.into_claimed().map(Some)
    }

    /// Proof of life with the latest progress; false when the job is no
    /// longer this claim's (cancelled, or requeued as stale and perhaps
    /// claimed again).
    pub(crate) async fn heartbeat(
        &self,
        job: i64,
        progress: f64,
        eta_secs: Option<f64>,
    ) -> Result<bool, DbError> {
        let Some(claim) = self.claim_of(job) else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE jobs SET heartbeat_at = $1, progress = $2, eta_secs = $3
             WHERE id = $4 AND state = 'running' AND claim = $5",
        )
        .bind(now_ms())
        .bind(progress)
        .bind(eta_secs)
        .bind(job)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            // The claim is lost for good (its token is never reused): the
            // worker stops without finishing or failing, so forget it here.
            self.release_claim(job);
        }
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn finish_job(&self, job: i64) -> Result<bool, DbError> {
        let Some(claim) = self.release_claim(job) else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', progress = 1, eta_secs = NULL, last_error = NULL,
                 finished_at = now(), updated_at = now()
             WHERE id = $1 AND state = 'running' AND claim = $2",
        )
        .bind(job)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed run: queued again after `retry_at_ms`, or failed for good.
    pub(crate) async fn fail_job(
        &self,
        job: i64,
        reason: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<bool, DbError> {
        let Some(claim) = self.release_claim(job) else {
            return Ok(false);
        };
        let done = match retry_at_ms {
            Some(at) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'queued', run_after = $1, last_error = $2,
                         heartbeat_at = NULL, updated_at = now()
                     WHERE id = $3 AND state = 'running' AND claim = $4",
                )
                .bind(at)
                .bind(reason)
                .bind(job)
                .bind(claim)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', last_error = $1, eta_secs = NULL,
                         finished_at = now(), updated_at = now()
                     WHERE id = $2 AND state = 'running' AND claim = $3",
                )
                .bind(reason)
                .bind(job)
                .bind(claim)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Running jobs whose heartbeat is older than `cutoff_ms` go back to the
    /// queue (their worker died). Returns the items they belong to.
    pub(crate) async fn requeue_stale_jobs(&self, cutoff_ms: i64) -> Result<Vec<MediaId>, DbError> {
        let rows: Vec<(MediaId,)> = sqlx::query_as(
            "UPDATE jobs SET state = 'queued', run_after = $1, heartbeat_at = NULL,
                 updated_at = now()
             WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $2)
             RETURNING media_id",
        )
        .bind(now_ms())
        .bind(cutoff_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub(crate) async fn unsettled_media(&self) -> Result<Vec<MediaId>, DbError> {
        let rows: Vec<(MediaId,)> = sqlx::query_as(
            "SELECT id FROM media WHERE state = 'processing' AND NOT EXISTS
                 (SELECT 1 FROM jobs WHERE jobs.media_id = media.id
                                      AND jobs.state IN ('queued', 'running'))",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Cancels an item's queued and running jobs. Returns how many were
    /// cancelled and the ids of those that were running. The rows are
    /// locked as they are read, so what was running is what gets cancelled.
    pub(crate) async fn cancel_jobs(&self, media: &MediaId) -> Result<(u64, Vec<i64>), DbError> {
        let mut tx = self.pool.begin().await?;
        let active: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, state FROM jobs WHERE media_id = $1 AND state IN ('queued', 'running')
             ORDER BY id FOR UPDATE",
        )
        .bind(media)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<i64> = active.iter().map(|(id, _)| *id).collect();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', eta_secs = NULL,
                 last_error = 'Processing was cancelled.', finished_at = now(), updated_at = now()
             WHERE id = ANY($1)",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let running: Vec<i64> = active
            .into_iter()
            .filter(|(_, state)| state == "running")
            .map(|(id, _)| id)
            .collect();
        // Their workers here stop without finishing or failing.
        for job in &running {
            self.release_claim(*job);
        }
        Ok((done.rows_affected(), running))
    }

    pub(crate) async fn retry_jobs(&self, media: &MediaId) -> Result<u64, DbError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, last_error = NULL,
                 progress = NULL, eta_secs = NULL, finished_at = NULL, updated_at = now()
             WHERE media_id = $2 AND state IN ('failed', 'cancelled')",
        )
        .bind(now_ms())
        .bind(media)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            sqlx::query(
                "UPDATE media SET state = 'processing', failure_reason = NULL, updated_at = now()
                 WHERE id = $1",
            )
            .bind(media)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn jobs_of(&self, media: &MediaId) -> Result<Vec<JobStatus>, DbError> {
        sqlx::query_as::<_, JobRow>("SELECT * FROM jobs WHERE media_id = $1 ORDER BY id")
            .bind(media)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(JobRow::status)
            .collect()
    }

    pub(crate) async fn active_job_count(&self) -> Result<i64, DbError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }

    pub(crate) async fn next_job_due(&self) -> Result<Option<i64>, DbError> {
        let (at,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(run_after) FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.pool)
                .await?;
        Ok(at)
    }

    pub(crate) async fn jobs_of_many(
        &self,
        media: &[MediaId],
    ) -> Result<HashMap<MediaId, Vec<JobStatus>>, DbError> {
        let ids: Vec<&str> = media.iter().map(MediaId::as_str).collect();
        let rows = sqlx::query_as::<_, JobRow>(
            "SELECT * FROM jobs WHERE media_id = ANY($1) ORDER BY media_id, id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let mut by_item: HashMap<MediaId, Vec<JobStatus>> = HashMap::new();
        for row in &rows {
            by_item
                .entry(row.media_id.clone())
                .or_default()
                .push(row.status()?);
        }
        Ok(by_item)
    }

    pub(crate) async fn settle_media(
        &self,
        media: &MediaId,
        state: &MediaState,
    ) -> Result<(), DbError> {
        let reason = match state {
            MediaState::Failed(reason) => Some(reason.as_str()),
            _ => None,
        };
        sqlx::query(
            "UPDATE media SET state = $1, failure_reason = $2, updated_at = now()
             WHERE id = $3 AND state = 'processing'",
        )
        .bind(state.name())
        .bind(reason)
        .bind(media)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
impl PgRepo {
    /// Sets when a job was last served (tests set the clock, not wait for it).
    pub(crate) async fn set_heartbeat(&self, job: i64, at_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE jobs SET heartbeat_at = $1 WHERE id = $2")
            .bind(at_ms)
            .bind(job)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
