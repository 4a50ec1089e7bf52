use super::*;
use crate::model::MediaKind;
use crate::server::db::{NewMedia, Repo};
use crate::server::domain::NewJob;
use crate::server::events::Events;
use crate::server::jobs::Settings;
use crate::server::media::Media;
use crate::server::store::Store;

/// Claims the one job that is due.
async fn claim(jobs: &Jobs) -> ClaimedJob {
    jobs.inner
        .repo
        .claim_job()
        .await
        .expect("claim")
        .expect("due")
}

async fn queue_with_one_job(dir: &std::path::Path) -> (Jobs, MediaId) {
    let repo = Repo::open(&dir.join("t.db")).await.expect("db");
    let store = Store::open_local(dir.join("files")).await.expect("store");
    let settings = Settings {
        retry_delay: Duration::ZERO,
        attempts: 2,
        ..Settings::default()
    };
    let jobs = Jobs::new(
        repo.clone(),
        store,
        Media::new(1, Duration::from_secs(60)),
        Events::new(),
        settings,
    );
    let id = MediaId::generate();
    let new = NewMedia {
        id: id.clone(),
        ..NewMedia::example("t", MediaKind::Audio)
    };
    let job = NewJob::plain(JobKind::Waveform);
    repo.insert(&new, &[job]).await.expect("insert");
    (jobs, id)
}

#[tokio::test]
async fn a_panicking_job_is_contained_and_retried_then_fails_for_good() {
    let dir = tempfile::tempdir().expect("tmp");
    let (jobs, id) = queue_with_one_job(dir.path()).await;
    let repo = jobs.inner.repo.clone();
    for attempt in 1..=2 {
        let claimed = repo
            .claim_job()
            .await
            .expect("claim")
            .expect("a job is due");
        assert_eq!(claimed.attempts, attempt);
        let progress = Arc::new(ProgressCell::new());
        let report = jobs
            .supervise(claimed, async { panic!("a bug in a job") }, progress)
            .await;
        let reason = "Processing stopped unexpectedly.".to_string();
        let kind = JobKind::Waveform;
        if attempt == 1 {
            assert_eq!(report, JobReport::Retrying { kind, reason });
        } else {
            assert_eq!(report, JobReport::Failed { kind, reason });
        }
    }
    assert!(repo.claim_job().await.expect("claim").is_none());
    jobs.settle(&id).await.expect("settle");
    // A waveform is an extra: the sound still plays, so the item is ready.
    let item = repo.get(&id).await.expect("get").expect("item");
    assert_eq!(item.state, MediaState::Ready);
    assert!(!item.has_waveform);

    // The queue still works after the panics.
    assert!(jobs.retry(&id).await.expect("retry"));
    let claimed = repo.claim_job().await.expect("claim").expect("requeued");
    assert_eq!(claimed.attempts, 1, "a retry starts with fresh attempts");
    let report = jobs
        .supervise(claimed, async { Ok(()) }, Arc::new(ProgressCell::new()))
        .await;
    assert!(matches!(report, JobReport::Done { .. }), "{report:?}");
}

#[tokio::test]
async fn a_cancelled_job_stops_and_stays_cancelled() {
    let dir = tempfile::tempdir().expect("tmp");
    let (jobs, id) = queue_with_one_job(dir.path()).await;
    let claimed = claim(&jobs).await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    // Set when the work is dropped: its ffmpeg killed, its files gone.
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct OnDrop(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let guard = OnDrop(dropped.clone());
    let endless = async move {
        let _guard = guard;
        let _ = started_tx.send(());
        std::future::pending::<()>().await;
        Ok(())
    };
    let supervising = {
        let jobs = jobs.clone();
        tokio::spawn(async move {
            jobs.supervise(claimed, endless, Arc::new(ProgressCell::new()))
                .await
        })
    };
    started_rx.await.expect("the job started");
    assert!(jobs.cancel(&id).await.expect("cancel"));
    // Cancel answers only once the work has really stopped.
    assert!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        "the work was still running when cancel returned"
    );
    let report = supervising.await.expect("supervisor");
    assert_eq!(
        report,
        JobReport::Cancelled {
            kind: JobKind::Waveform
        }
    );
    let states: Vec<_> = jobs
        .inner
        .repo
        .jobs_of(&id)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.state)
        .collect();
    assert_eq!(states, [JobState::Cancelled]);
    assert!(
        !jobs.cancel(&id).await.expect("cancel"),
        "nothing left to cancel"
    );
}

#[tokio::test]
async fn a_job_cancelled_between_its_claim_and_its_run_never_starts() {
    let dir = tempfile::tempdir().expect("tmp");
    let (jobs, id) = queue_with_one_job(dir.path()).await;
    let claimed = claim(&jobs).await;
    // The cancel comes before the run is listed: it cannot wait for it.
    assert!(jobs.cancel(&id).await.expect("cancel"));
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let work = {
        let started = started.clone();
        async move {
            started.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    };
    let report = jobs
        .supervise(claimed, work, Arc::new(ProgressCell::new()))
        .await;
    assert_eq!(
        report,
        JobReport::Lost {
            kind: JobKind::Waveform
        }
    );
    assert!(
        !started.load(std::sync::atomic::Ordering::SeqCst),
        "the work of a cancelled job started (and could leave files behind)"
    );
    assert!(jobs.running().is_empty());
}

#[test]
fn retries_back_off() {
    let base = Duration::from_secs(10);
    assert_eq!(retry_delay(base, 1), base);
    assert_eq!(retry_delay(base, 3), base * 4);
    assert!(retry_delay(base, 400) >= base);
}
