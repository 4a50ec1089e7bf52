//! How far an item's processing has come, as pages show it: one bar over all
//! of the item's jobs, weighting long jobs more.

use crate::model::{JobKind, Progress};
use crate::server::db::{JobState, JobStatus};

/// How much of an item's processing is done, weighting long jobs more; the
/// running job's live figures (`live`: job id, fraction, eta) beat stored ones.
pub(crate) fn progress_of(
    jobs: &[JobStatus],
    live: Option<(i64, f64, Option<f64>)>,
) -> Option<Progress> {
    let current = jobs
        .iter()
        .find(|j| j.state == JobState::Running)
        .or_else(|| jobs.iter().find(|j| j.state == JobState::Queued))?;
    let weight = |kind: JobKind| match kind {
        JobKind::Playable | JobKind::Edit | JobKind::Ladder => 8.0,
        JobKind::Scrub => 2.0,
        JobKind::Poster | JobKind::Waveform => 1.0,
    };
    let mut total = 0.0;
    let mut done = 0.0;
    let mut eta = None;
    for job in jobs {
        let w = weight(job.kind);
        total += w;
        let fraction = match (job.state, live) {
            (JobState::Running, Some((id, f, e))) if id == job.id => {
                eta = e;
                f
            }
            (JobState::Running, _) => {
                eta = eta.or(job.eta_secs);
                job.progress.unwrap_or(0.0)
            }
            (JobState::Queued, _) => 0.0,
            _ => 1.0,
        };
        done += w * fraction.clamp(0.0, 1.0);
    }
    Some(Progress {
        stage: current.kind,
        fraction: if total > 0.0 { done / total } else { 0.0 },
        eta_secs: eta,
        retrying: current.state == JobState::Queued && current.last_error.is_some(),
    })
}
