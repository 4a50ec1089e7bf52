//! Crash soak: the real binary, a random mix of work, `kill -9` at a random
//! moment, a restart, and a check of everything that must have survived.
//! `REEL_SOAK_ITERATIONS` sets the number of crashes (20 by default, as in
//! CI; more by hand), `REEL_SOAK_SEED` replays a run (every run prints its
//! seed).

mod invariants;
mod traffic;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::process::ReelProcess;
use reel::testing::media::Dice;
use traffic::{Ledger, Traffic};

/// Settings that keep each iteration short: failed jobs retry after a second.
const SETTINGS: &[&str] = &["--job-retry-delay", "1s", "--workers", "1"];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn kill_9_at_random_moments_loses_nothing_answered_and_leaves_nothing_behind() {
    let iterations: usize = env_or("REEL_SOAK_ITERATIONS", 20);
    let seed: u64 = env_or("REEL_SOAK_SEED", traffic::seed_from_clock());
    println!("crash soak: {iterations} iterations, REEL_SOAK_SEED={seed}");
    let mut rng = Dice::seeded(seed);
    let data = tempfile::tempdir().expect("tmp");
    let media = tempfile::tempdir().expect("tmp");
    let traffic = Traffic::new(media.path());
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    let mut reel = ReelProcess::spawn_with(data.path(), SETTINGS);
    for iteration in 0..iterations {
        let client = reel.admin().await;
        let origin = reel.origin();
        let workers = traffic.start(&client, &origin, &ledger, rng.roll());
        // The crash lands anywhere in the first two seconds of work: in a
        // body, a finalisation, a job or a database write.
        let moment = Duration::from_millis(50 + rng.below(2000));
        tokio::time::sleep(moment).await;
        reel.kill_hard();
        for worker in workers {
            worker.abort();
            // A worker that found a wrong answer panicked: fail with it.
            if let Err(stopped) = worker.await
                && stopped.is_panic()
            {
                std::panic::resume_unwind(stopped.into_panic());
            }
        }
        invariants::database_is_intact(data.path()).await;

        reel = ReelProcess::spawn_with(data.path(), SETTINGS);
        let client = reel.admin().await;
        let summary =
            invariants::check_after_restart(&client, &reel.origin(), data.path(), &ledger).await;
        println!("crash {iteration}: after {moment:?}, {summary}");
    }
}
