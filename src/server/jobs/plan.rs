//! Which jobs a new item needs, decided from its probe when it is stored.

use crate::model::{JobKind, MediaKind, PlaySource};
use crate::server::domain::NewJob;
use crate::server::media::ProbeSummary;
use crate::server::media::decide::{self, PlayablePlan};
use crate::server::media::ladder;

/// Scrub previews only help when there is something to scrub through.
const SCRUB_MIN_SECS: f64 = 4.0;

/// The item's first play source (the original, when browsers play it) and
/// the jobs to queue with it.
pub(crate) fn plan_for(probe: &ProbeSummary) -> (Option<PlaySource>, Vec<NewJob>) {
    let facts = &probe.facts;
    let mut jobs = Vec::new();
    let playable = decide::decide(probe);
    // First in the queue: its first segments play seconds after the upload,
    // long before a whole playable copy could.
    let ladder = ladder::plan(probe, &playable);
    // A ladder that makes the playable copy from its top rung replaces
    // the playable job (one encode, not two).
    let copy_from_ladder = ladder.as_ref().is_some_and(|l| l.playable.is_some());
    if let Some(plan) = ladder {
        jobs.push(NewJob {
            kind: JobKind::Ladder,
            params: serde_json::to_string(&plan).unwrap_or_else(|_| "{}".into()),
        });
    }
    match facts.kind {
        MediaKind::Video => jobs.push(NewJob::plain(JobKind::Poster)),
        MediaKind::Audio if facts.cover_stream.is_some() => {
            jobs.push(NewJob::plain(JobKind::Poster))
        }
        MediaKind::Audio => {}
    }
    let play = match playable {
        PlayablePlan::Original => Some(PlaySource::Original),
        PlayablePlan::Convert(_) if copy_from_ladder => None,
        PlayablePlan::Convert(conversion) => {
            jobs.push(NewJob {
                kind: JobKind::Playable,
                params: serde_json::to_string(&conversion).unwrap_or_else(|_| "{}".into()),
            });
            None
        }
    };
    match facts.kind {
        MediaKind::Video if facts.duration_secs.is_some_and(|d| d >= SCRUB_MIN_SECS) => {
            jobs.push(NewJob::plain(JobKind::Scrub))
        }
        MediaKind::Audio => jobs.push(NewJob::plain(JobKind::Waveform)),
        MediaKind::Video => {}
    }
    (play, jobs)
}
