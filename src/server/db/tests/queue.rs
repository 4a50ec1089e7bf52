//! The queue's order and life, on both backends.

use super::*;
use crate::model::MediaKind;

/// One person's many queued jobs do not hold up another person's one: the
/// next claim goes to whoever has fewer running and was served longer ago.
#[tokio::test]
async fn owners_take_turns_at_the_queue() {
    on_both(|repo| async move {
        let mut owner = Vec::new();
        for name in ["flood", "bystander"] {
            let id = repo
                .create_user(name, "x", crate::accounts::Role::Member, None)
                .await
                .expect("user")
                .expect("new");
            owner.push(id);
        }
        let queue = |who: &UserId, title: &str| NewMedia {
            owner: Some(who.clone()),
            ..NewMedia::example(title, MediaKind::Audio)
        };
        let mut flood = Vec::new();
        for n in 0..3 {
            let item = repo
                .insert(
                    &queue(&owner[0], &format!("f{n}")),
                    &[NewJob::plain(JobKind::Waveform)],
                )
                .await
                .expect("insert");
            flood.push(item.item.id);
        }
        let claim = || async {
            repo.claim_job()
                .await
                .expect("claim")
                .expect("a job is due")
        };
        // Only the flood is queued: its oldest goes first.
        let first = claim().await;
        assert_eq!(first.media_id, flood[0]);
        let queue_theirs = |title: &'static str| {
            let new = queue(&owner[1], title);
            let repo = repo.clone();
            async move {
                let jobs = [NewJob::plain(JobKind::Waveform)];
                repo.insert(&new, &jobs).await.expect("insert").item.id
            }
        };
        let theirs = queue_theirs("b1").await;
        // The flood has a job running: the bystander's later job goes next.
        let second = claim().await;
        assert_eq!(second.media_id, theirs);
        // Both done, the flood served first (the clock is set, not waited for):
        // with nothing running, whoever was served longer ago goes next.
        for (job, served) in [(first.id, 1_000), (second.id, 2_000)] {
            assert!(repo.finish_job(job).await.expect("finish"));
            repo.set_heartbeat(job, served)
                .await
                .expect("set the clock");
        }
        let later = queue_theirs("b2").await;
        assert_eq!(claim().await.media_id, flood[1]);
        assert_eq!(claim().await.media_id, later);
        assert_eq!(claim().await.media_id, flood[2]);
    })
    .await;
}

/// A job's life: claimed with its attempt counted, heartbeats while it
/// runs, failed with a retry, requeued when its worker goes quiet,
/// cancelled, retried, finished; the item settles.
#[tokio::test]
async fn a_job_goes_through_its_life() {
    on_both(|repo| async move {
        let item = repo
            .insert(
                &NewMedia::example("j", MediaKind::Video),
                &[
                    NewJob::plain(JobKind::Poster),
                    NewJob::plain(JobKind::Scrub),
                ],
            )
            .await
            .expect("insert")
            .item;
        assert_eq!(item.state, MediaState::Processing);
        assert_eq!(repo.active_job_count().await.expect("count"), 2);
        assert!(repo.next_job_due().await.expect("due").is_some());

        // What makes an item viewable goes first.
        let poster = repo.claim_job().await.expect("claim").expect("due");
        assert_eq!((poster.kind, poster.attempts), (JobKind::Poster, 1));
        assert!(
            repo.heartbeat(poster.id, 0.5, Some(3.0))
                .await
                .expect("beat")
        );
        let jobs = repo.jobs_of(&item.id).await.expect("jobs");
        assert_eq!(jobs[0].state, JobState::Running);
        assert_eq!(jobs[0].progress, Some(0.5));
        assert!(
            repo.fail_job(poster.id, "flaky", Some(0))
                .await
                .expect("fail")
        );
        let again = repo.claim_job().await.expect("claim").expect("due");
        assert_eq!((again.id, again.attempts), (poster.id, 2));
        assert!(repo.finish_job(again.id).await.expect("finish"));
        assert!(!repo.finish_job(again.id).await.expect("twice"));
        repo.record_derived(&item.id, JobKind::Poster)
            .await
            .expect("derived");

        // The scrub job's worker goes quiet: it is queued again.
        let scrub = repo.claim_job().await.expect("claim").expect("due");
        assert_eq!(
            repo.requeue_stale_jobs(i64::MAX).await.expect("requeue"),
            vec![item.id.clone()]
        );
        assert_eq!(
            repo.cancel_jobs(&item.id).await.expect("cancel"),
            (1, vec![])
        );
        assert!(!repo.heartbeat(scrub.id, 0.9, None).await.expect("beat"));
        assert_eq!(
            repo.unsettled_media().await.expect("q"),
            vec![item.id.clone()]
        );
        repo.settle_media(&item.id, &MediaState::Failed("cancelled".into()))
            .await
            .expect("settle");
        assert_eq!(repo.retry_jobs(&item.id).await.expect("retry"), 1);
        let stored = repo.get(&item.id).await.expect("get").expect("item");
        assert_eq!(stored.state, MediaState::Processing);
        assert!(stored.has_poster);
        let retried = repo.claim_job().await.expect("claim").expect("due");
        assert_eq!((retried.id, retried.attempts), (scrub.id, 1));
        let (cancelled, running) = repo.cancel_jobs(&item.id).await.expect("cancel");
        assert_eq!((cancelled, running), (1, vec![scrub.id]));
        assert!(!repo.finish_job(retried.id).await.expect("fenced"));

        let many = repo
            .jobs_of_many(std::slice::from_ref(&item.id))
            .await
            .expect("many");
        let states: Vec<JobState> = many[&item.id].iter().map(|j| j.state).collect();
        assert_eq!(states, [JobState::Done, JobState::Cancelled]);
        assert!(repo.claim_job().await.expect("claim").is_none());
        assert_eq!(repo.active_job_count().await.expect("count"), 0);
    })
    .await;
}

/// Someone never served goes before someone served long ago (NULL sorts
/// first on both backends), even when the other's job is older.
#[tokio::test]
async fn a_newcomer_goes_before_someone_served_before() {
    on_both(|repo| async move {
        let mut owners = Vec::new();
        for name in ["regular", "newcomer"] {
            let id = repo
                .create_user(name, "x", crate::accounts::Role::Member, None)
                .await
                .expect("user")
                .expect("new");
            owners.push(id);
        }
        let item = |who: &UserId, title: &str| NewMedia {
            owner: Some(who.clone()),
            ..NewMedia::example(title, MediaKind::Audio)
        };
        let jobs = [NewJob::plain(JobKind::Waveform)];
        repo.insert(&item(&owners[0], "r1"), &jobs)
            .await
            .expect("insert");
        let served = repo.claim_job().await.expect("claim").expect("due");
        assert!(repo.finish_job(served.id).await.expect("finish"));
        repo.set_heartbeat(served.id, 1_000)
            .await
            .expect("set the clock");
        let older = repo
            .insert(&item(&owners[0], "r2"), &jobs)
            .await
            .expect("insert");
        let newer = repo
            .insert(&item(&owners[1], "n1"), &jobs)
            .await
            .expect("insert");
        assert_eq!(
            repo.claim_job()
                .await
                .expect("claim")
                .expect("due")
                .media_id,
            newer.item.id
        );
        assert_eq!(
            repo.claim_job()
                .await
                .expect("claim")
                .expect("due")
                .media_id,
            older.item.id
        );
    })
    .await;
}
