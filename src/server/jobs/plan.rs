//! Which jobs a new item needs, decided from its probe when it is stored.

use crate::model::{JobKind, MediaKind, PlaySource};
use crate::server::db::NewJob;
use crate::server::media::ProbeSummary;
use crate::server::media::decide::{self, PlayablePlan};

/// Scrub previews only help when there is something to scrub through.
const SCRUB_MIN_SECS: f64 = 4.0;

/// The item's first play source (the original, when browsers play it) and
/// the jobs to queue with it.
pub fn plan_for(probe: &ProbeSummary) -> (Option<PlaySource>, Vec<NewJob>) {
    let job = |kind| NewJob {
        kind,
        params: "{}".to_string(),
    };
    let mut jobs = Vec::new();
    match probe.kind {
        MediaKind::Video => jobs.push(job(JobKind::Poster)),
        MediaKind::Audio if probe.cover_stream.is_some() => jobs.push(job(JobKind::Poster)),
        MediaKind::Audio => {}
    }
    let play = match decide::decide(probe) {
        PlayablePlan::Original => Some(PlaySource::Original),
        PlayablePlan::Convert(conversion) => {
            jobs.push(NewJob {
                kind: JobKind::Playable,
                params: serde_json::to_string(&conversion).unwrap_or_else(|_| "{}".into()),
            });
            None
        }
    };
    match probe.kind {
        MediaKind::Video if probe.duration_secs.is_some_and(|d| d >= SCRUB_MIN_SECS) => {
            jobs.push(job(JobKind::Scrub))
        }
        MediaKind::Audio => jobs.push(job(JobKind::Waveform)),
        MediaKind::Video => {}
    }
    (play, jobs)
}
