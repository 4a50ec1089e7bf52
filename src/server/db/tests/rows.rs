//! Rows of items, uploads, accounts, shares and edits, on both backends.

use super::*;
use crate::model::MediaKind;

fn media(id: &MediaId, title: &str) -> NewMedia {
    NewMedia {
        id: id.clone(),
        ..NewMedia::example(title, MediaKind::Audio)
    }
}

#[tokio::test]
async fn an_upload_row_goes_through_its_life() {
    on_both(|repo| async move {
        let id = UploadId::generate();
        repo.create_upload(&NewUpload {
            id: id.clone(),
            length: 10,
            filename: "a.wav".into(),
            filetype: Some("audio/wav".into()),
            expires_at: 1_000,
            owner: None,
            visibility: Visibility::Private,
            multipart: None,
        })
        .await
        .expect("create");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!((row.length, row.state), (10, UploadState::Receiving));
        assert_eq!(row.remote, None);
        assert_eq!(repo.expired_uploads(999).await.expect("q").len(), 0);
        assert_eq!(repo.expired_uploads(1_000).await.expect("q").len(), 1);

        repo.set_upload_unverified(&id, Some(4)).await.expect("set");
        assert_eq!(repo.unverified_uploads().await.expect("q").len(), 1);
        repo.set_upload_unverified(&id, None).await.expect("clear");
        assert!(repo.unverified_uploads().await.expect("q").is_empty());

        repo.upload_received(&id, true, 5_000).await.expect("done");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.state, UploadState::Finalising);
        // Finalising uploads never expire under the cleanup's feet.
        assert!(repo.expired_uploads(9_999).await.expect("q").is_empty());
        assert_eq!(
            repo.uploads_in_state(UploadState::Finalising)
                .await
                .expect("q")
                .len(),
            1
        );

        let media = MediaId::generate();
        repo.set_upload_media(&id, &media).await.expect("media");
        repo.mark_upload_done(&id, 6_000).await.expect("done");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!((row.state, row.media_id), (UploadState::Done, Some(media)));

        repo.mark_upload_failed(&id, "nope", 6_000)
            .await
            .expect("failed");
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.failure_reason.as_deref(), Some("nope"));
        repo.delete_upload(&id).await.expect("delete");
        assert!(repo.get_upload(&id).await.expect("get").is_none());
    })
    .await;
}

#[tokio::test]
async fn neighbours_follow_newest_first_order() {
    on_both(|repo| async move {
        let ids: Vec<MediaId> = (0..3).map(|_| MediaId::generate()).collect();
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let titles = ["oldest", "middle", "newest"];
        for (id, title) in sorted.iter().zip(titles) {
            repo.insert(&media(id, title), &[]).await.expect("insert");
        }
        let title = |n: Option<Neighbour>| n.map(|(_, title)| title);

        let (previous, next) = repo
            .neighbours(&sorted[1], &Listing::All)
            .await
            .expect("query");
        assert_eq!(title(previous).as_deref(), Some("newest"));
        assert_eq!(title(next).as_deref(), Some("oldest"));

        let (previous, next) = repo
            .neighbours(&sorted[2], &Listing::All)
            .await
            .expect("query");
        assert_eq!(
            (title(previous), title(next).as_deref()),
            (None, Some("middle"))
        );

        let (previous, next) = repo
            .neighbours(&sorted[0], &Listing::All)
            .await
            .expect("query");
        assert_eq!(
            (title(previous).as_deref(), title(next)),
            (Some("middle"), None)
        );
    })
    .await;
}

/// Users, sessions, tokens, settings, shares and access on both backends.
#[tokio::test]
async fn accounts_and_shares_are_kept() {
    on_both(|repo| async move {
        use crate::accounts::Role;
        let orphan = repo
            .insert(&NewMedia::example("before", MediaKind::Audio), &[])
            .await
            .expect("insert")
            .item;
        assert!(!repo.has_users().await.expect("any"));
        let admin = repo
            .create_first_admin("Root", "h")
            .await
            .expect("admin")
            .expect("first");
        assert!(
            repo.create_first_admin("other", "h")
                .await
                .expect("admin")
                .is_none()
        );
        assert_eq!(
            repo.get(&orphan.id)
                .await
                .expect("get")
                .expect("item")
                .owner,
            Some(admin.clone())
        );
        assert!(
            repo.create_user("root", "h", Role::Member, None)
                .await
                .expect("user")
                .is_none()
        );
        let bob = repo
            .create_user("bob", "h", Role::Viewer, Some(10))
            .await
            .expect("user")
            .expect("new");
        assert_eq!(
            repo.user_by_name("BOB")
                .await
                .expect("by name")
                .expect("bob")
                .id,
            bob
        );
        assert!(
            repo.update_user(&bob, Some(Role::Member), Some(true), Some(None))
                .await
                .expect("update")
        );
        let row = repo.user(&bob).await.expect("user").expect("bob");
        assert_eq!(
            (row.role, row.disabled, row.quota_bytes),
            (Role::Member, true, None)
        );
        assert!(repo.set_password(&bob, "h2").await.expect("password"));
        let users = repo.users().await.expect("users");
        assert_eq!(
            users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
            ["bob", "Root"]
        );
        assert_eq!(users[1].used_bytes, 1);
        assert_eq!(repo.bytes_owned(&admin).await.expect("bytes"), 1);

        repo.create_session("s1", &bob, 100, 1_000)
            .await
            .expect("session");
        repo.create_session("s2", &bob, 100, 1_000)
            .await
            .expect("session");
        repo.touch_session("s1", 500).await.expect("touch");
        let session = repo.session("s1").await.expect("session").expect("found");
        assert_eq!(
            (session.holder.user_id.clone(), session.last_seen_at),
            (bob.clone(), 500)
        );
        repo.delete_sessions_of(&bob, Some("s1"))
            .await
            .expect("others");
        assert!(repo.session("s2").await.expect("session").is_none());
        assert_eq!(
            repo.delete_expired_sessions(400, 0).await.expect("expired"),
            0
        );
        assert_eq!(
            repo.delete_expired_sessions(600, 0).await.expect("expired"),
            1
        );
        repo.create_session("s3", &bob, 100, 1_000)
            .await
            .expect("session");
        repo.delete_session("s3").await.expect("delete");

        let token = repo
            .create_token("t1", &bob, "cli", 100)
            .await
            .expect("token");
        repo.touch_token("t1", 200).await.expect("touch");
        assert_eq!(
            repo.token_holder("t1")
                .await
                .expect("holder")
                .expect("bob")
                .user_id,
            bob
        );
        assert_eq!(
            repo.tokens_of(&bob).await.expect("tokens")[0].last_used_at,
            Some(200)
        );
        assert_eq!(
            repo.delete_token(&bob, &token)
                .await
                .expect("delete")
                .as_deref(),
            Some("t1")
        );

        assert_eq!(repo.setting("k").await.expect("get"), None);
        repo.set_setting("k", "1").await.expect("set");
        repo.set_setting("k", "2").await.expect("set");
        assert_eq!(repo.setting("k").await.expect("get").as_deref(), Some("2"));

        let share = repo
            .create_share(&NewShare {
                token_hash: "sh",
                target: crate::server::db::ShareTarget::Media(&orphan.id),
                created_by: &admin,
                now_ms: 5,
                expires_at: None,
                password_hash: Some("p"),
            })
            .await
            .expect("share");
        assert_eq!(
            repo.share_by_token("sh")
                .await
                .expect("by token")
                .expect("found")
                .id,
            share
        );
        assert!(repo.shares_of(&orphan.id).await.expect("list")[0].has_password);
        assert!(repo.revoke_share(&share).await.expect("revoke"));
        assert!(!repo.revoke_share(&share).await.expect("again"));
        assert!(
            repo.share(&share)
                .await
                .expect("share")
                .expect("kept")
                .revoked
        );
        assert!(repo.shares_of(&orphan.id).await.expect("list").is_empty());

        assert!(
            repo.change_access(&orphan.id, Some(Visibility::Public))
                .await
                .expect("access")
        );
        let stored = repo
            .get_stored(&orphan.id)
            .await
            .expect("get")
            .expect("item");
        assert_eq!(
            (stored.item.visibility, stored.generation),
            (Visibility::Public, 1)
        );
    })
    .await;
}

/// An edit's item is made with its job, then completed with its facts.
#[tokio::test]
async fn an_edit_is_recorded_then_completed() {
    on_both(|repo| async move {
        let source = repo
            .insert(&NewMedia::example("src", MediaKind::Video), &[])
            .await
            .expect("insert")
            .item;
        let id = MediaId::generate();
        let made = repo
            .insert_edit(&NewEdit {
                id: id.clone(),
                source: source.id.clone(),
                title: "cut".into(),
                original_filename: "cut.mp4".into(),
                kind: MediaKind::Video,
                summary: "trimmed".into(),
                params: "{}".into(),
                owner: None,
            })
            .await
            .expect("edit");
        assert_eq!(
            (made.item.state, made.item.source_id.clone()),
            (MediaState::Processing, Some(source.id.clone()))
        );
        let mut facts = NewMedia::example("x", MediaKind::Video).facts;
        facts.width = Some(640);
        facts.cover_stream = Some(1);
        repo.complete_edit(
            &id,
            &FinishedEdit {
                size_bytes: 42,
                sha256: "a".repeat(64),
                facts,
                play: None,
                summary: "trimmed to 3 s".into(),
            },
            &[NewJob::plain(JobKind::Playable)],
        )
        .await
        .expect("complete");
        let (facts, size) = repo.facts(&id).await.expect("facts").expect("item");
        assert_eq!(
            (facts.width, facts.cover_stream, size),
            (Some(640), Some(1), 42)
        );
        let kinds: Vec<JobKind> = repo
            .jobs_of(&id)
            .await
            .expect("jobs")
            .iter()
            .map(|j| j.kind)
            .collect();
        assert_eq!(kinds, [JobKind::Edit, JobKind::Playable]);
        let item = repo.get(&id).await.expect("get").expect("item");
        assert_eq!(item.edit_summary.as_deref(), Some("trimmed to 3 s"));
        assert!(item.created_at.ends_with('Z') && item.created_at.contains('T'));
    })
    .await;
}
