//! Rows of the processing queue. Claims are one atomic UPDATE … RETURNING, so
//! two workers (or two nodes, later) never take the same job; every state
//! change of a running job checks that it is still running, so a cancelled
//! or requeued job is never overwritten by a worker that lost it.

use std::collections::HashMap;

use sqlx::{Sqlite, Transaction};

use super::super::DbError;
use super::super::rows::{ClaimedJob, JobRow, JobStatus, now_ms};
use super::{SqliteRepo, now};
use crate::model::{MediaId, MediaState};
use crate::server::domain::NewJob;

/// Queues `jobs` for `media` inside `tx`: the one place jobs are inserted.
pub(super) async fn insert_jobs(
    tx: &mut Transaction<'static, Sqlite>,
    media: &MediaId,
    jobs: &[NewJob],
    now: &str,
) -> Result<(), DbError> {
    let due = now_ms();
    for job in jobs {
        sqlx::query(
            "INSERT INTO jobs (media_id, kind, state, params, run_after, created_at, updated_at)
             VALUES (?, ?, 'queued', ?, ?, ?, ?)",
        )
        .bind(media)
        .bind(job.kind)
        .bind(&job.params)
        .bind(due)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl SqliteRepo {
    /// Takes the next due job and marks it running, counting the attempt.
    ///
    /// People take turns: the job goes to the owner with the fewest jobs
    /// running, then to the one served longest ago (their jobs' latest
    /// heartbeat; never served comes first), so one person's hundred uploads
    /// (or hostile files that run to their time limit) delay another
    /// person's upload by at most one job per worker. Within an owner, what
    /// makes an item viewable goes first, then the oldest.
    pub(crate) async fn claim_job(&self) -> Result<Option<ClaimedJob>, DbError> {
        let now_ms = now_ms();
        let row = sqlx::query_as::<_, JobRow>(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, heartbeat_at = ?1,
                 started_at = ?2, updated_at = ?2, progress = 0, eta_secs = NULL
             WHERE id = (
                 WITH due AS (
                     SELECT j.id, j.kind, m.owner_id FROM jobs j JOIN media m ON m.id = j.media_id
                     WHERE j.state = 'queued' AND j.run_after <= ?1),
                 turns AS (
                     SELECT o.owner_id, SUM(r.state = 'running') AS running,
                            MAX(r.heartbeat_at) AS served
                     FROM (SELECT DISTINCT owner_id FROM due) o
                     JOIN media om ON om.owner_id IS o.owner_id
                     JOIN jobs r ON r.media_id = om.id
                     GROUP BY o.owner_id)
                 SELECT due.id FROM due JOIN turns ON turns.owner_id IS due.owner_id
                 ORDER BY turns.running, turns.served,
                          CASE due.kind WHEN 'poster' THEN 0 WHEN 'edit' THEN 1 WHEN 'playable' THEN 1
                               WHEN 'waveform' THEN 2 ELSE 3 END, due.id
                 LIMIT 1)
               AND state = 'queued'
             RETURNING *",
        )
        .bind(now_ms)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(JobRow::into_claimed).transpose()
    }

    /// Proof of life with the latest progress; false when the job is no
    /// longer running here (cancelled, or requeued as stale).
    pub(crate) async fn heartbeat(
        &self,
        job: i64,
        progress: f64,
        eta_secs: Option<f64>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET heartbeat_at = ?, progress = ?, eta_secs = ?
             WHERE id = ? AND state = 'running'",
        )
        .bind(now_ms())
        .bind(progress)
        .bind(eta_secs)
        .bind(job)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn finish_job(&self, job: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', progress = 1, eta_secs = NULL, last_error = NULL,
                 finished_at = ?1, updated_at = ?1
             WHERE id = ?2 AND state = 'running'",
        )
        .bind(now())
        .bind(job)
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
        let done = match retry_at_ms {
            Some(at) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'queued', run_after = ?1, last_error = ?2,
                         heartbeat_at = NULL, updated_at = ?3
                     WHERE id = ?4 AND state = 'running'",
                )
                .bind(at)
                .bind(reason)
                .bind(now())
                .bind(job)
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', last_error = ?1, eta_secs = NULL,
                         finished_at = ?2, updated_at = ?2
                     WHERE id = ?3 AND state = 'running'",
                )
                .bind(reason)
                .bind(now())
                .bind(job)
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
            "UPDATE jobs SET state = 'queued', run_after = ?1, heartbeat_at = NULL, updated_at = ?2
             WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?3)
             RETURNING media_id",
        )
        .bind(now_ms())
        .bind(now())
        .bind(cutoff_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Items still processing although none of their jobs is queued or
    /// running: a crash (or a failed write) between a job's end and the
    /// item's settling leaves them so.
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
    /// cancelled and the ids of those that were running (their workers stop them).
    pub(crate) async fn cancel_jobs(&self, media: &MediaId) -> Result<(u64, Vec<i64>), DbError> {
        // IMMEDIATE: this reads before it writes. A deferred transaction
        // would read a snapshot, and a worker's heartbeat written before
        // the UPDATE then makes SQLite refuse it at once (SQLITE_BUSY, no
        // busy wait); this was a 500 from Cancel on a busy machine.
        let mut tx = self.write_transaction().await?;
        let running: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM jobs WHERE media_id = ? AND state = 'running'")
                .bind(media)
                .fetch_all(&mut *tx)
                .await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', eta_secs = NULL,
                 last_error = 'Processing was cancelled.', finished_at = ?1, updated_at = ?1
             WHERE media_id = ?2 AND state IN ('queued', 'running')",
        )
        .bind(now())
        .bind(media)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((
            done.rows_affected(),
            running.into_iter().map(|(id,)| id).collect(),
        ))
    }

    /// Puts an item's failed and cancelled jobs back in the queue with fresh
    /// attempts, and the item back in processing. Returns how many.
    pub(crate) async fn retry_jobs(&self, media: &MediaId) -> Result<u64, DbError> {
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?1, last_error = NULL,
                 progress = NULL, eta_secs = NULL, finished_at = NULL, updated_at = ?2
             WHERE media_id = ?3 AND state IN ('failed', 'cancelled')",
        )
        .bind(now_ms())
        .bind(now())
        .bind(media)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            sqlx::query(
                "UPDATE media SET state = 'processing', failure_reason = NULL, updated_at = ?
                 WHERE id = ?",
            )
            .bind(now())
            .bind(media)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn jobs_of(&self, media: &MediaId) -> Result<Vec<JobStatus>, DbError> {
        sqlx::query_as::<_, JobRow>("SELECT * FROM jobs WHERE media_id = ? ORDER BY id")
            .bind(media)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(JobRow::status)
            .collect()
    }

    /// Queued or running jobs in the whole queue.
    pub(crate) async fn active_job_count(&self) -> Result<i64, DbError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }

    /// When the next queued job falls due (Unix ms), if any is queued.
    pub(crate) async fn next_job_due(&self) -> Result<Option<i64>, DbError> {
        let (at,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(run_after) FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.pool)
                .await?;
        Ok(at)
    }

    /// The jobs of each of `media` (for the library page's progress bars).
    pub(crate) async fn jobs_of_many(
        &self,
        media: &[MediaId],
    ) -> Result<HashMap<MediaId, Vec<JobStatus>>, DbError> {
        let ids = serde_json::to_string(media).unwrap_or_else(|_| "[]".to_string());
        let rows = sqlx::query_as::<_, JobRow>(
            "SELECT * FROM jobs WHERE media_id IN (SELECT value FROM json_each(?))
             ORDER BY media_id, id",
        )
        .bind(ids)
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

    /// Records how an item's processing ended (when all its jobs have).
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
            "UPDATE media SET state = ?, failure_reason = ?, updated_at = ?
             WHERE id = ? AND state = 'processing'",
        )
        .bind(state.name())
        .bind(reason)
        .bind(now())
        .bind(media)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
impl SqliteRepo {
    /// Sets when a job was last served (tests set the clock, not wait for it).
    pub(crate) async fn set_heartbeat(&self, job: i64, at_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE jobs SET heartbeat_at = ? WHERE id = ?")
            .bind(at_ms)
            .bind(job)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
