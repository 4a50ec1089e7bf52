//! Rows of resumable uploads into an object store, on both backends: one
//! writer by lease, records fenced by its token, the tail and part list.

use super::*;

fn parts<'a>(
    token: &'a str,
    after: u32,
    tags: &'a [String],
    tail: &'a [u8],
    complete: bool,
    expires_at: i64,
) -> PartsRecord<'a> {
    PartsRecord {
        token,
        after,
        tags,
        tail,
        complete,
        expires_at,
    }
}

#[tokio::test]
async fn an_upload_into_an_object_store_has_one_writer_and_fenced_records() {
    on_both(|repo| async move {
        let (id, media) = (UploadId::generate(), MediaId::generate());
        repo.create_upload(&NewUpload {
            id: id.clone(),
            length: 25,
            filename: "a.wav".into(),
            filetype: None,
            expires_at: i64::MAX,
            owner: None,
            visibility: Visibility::Private,
            multipart: Some(NewMultipart {
                media: media.clone(),
                multipart_id: Some("mp-1".into()),
                part_size: 10,
            }),
        })
        .await
        .expect("create");
        let remote = |row: Option<Upload>| row.expect("row").remote.expect("remote");
        let first = remote(repo.get_upload(&id).await.expect("get"));
        assert_eq!(
            (first.offset(), first.multipart_id.as_deref()),
            (0, Some("mp-1"))
        );

        // One writer: a second token waits until the first lease has ended.
        assert!(
            repo.claim_upload_writer(&id, "a", 100, 200)
                .await
                .expect("claim")
        );
        assert!(
            !repo
                .claim_upload_writer(&id, "b", 150, 250)
                .await
                .expect("busy")
        );
        assert!(
            repo.claim_upload_writer(&id, "a", 150, 300)
                .await
                .expect("renew")
        );
        let tags = vec!["e1".to_string()];
        assert!(
            !repo
                .record_upload_parts(&id, &parts("b", 0, &tags, b"xyz", false, 9))
                .await
                .expect("fenced"),
            "a writer without the lease records nothing"
        );
        assert!(
            repo.record_upload_parts(
                &id,
                &PartsRecord {
                    token: "a",
                    after: 0,
                    tags: &tags,
                    tail: b"xyz",
                    complete: false,
                    expires_at: i64::MAX
                }
            )
            .await
            .expect("record")
        );
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.remote.as_ref().map(RemoteParts::offset), Some(13));
        assert_eq!(repo.upload_tail(&id).await.expect("tail"), b"xyz");
        // A record that does not follow the last one (a stale writer) fails.
        assert!(
            !repo
                .record_upload_parts(&id, &parts("a", 0, &tags, b"", false, 9))
                .await
                .expect("stale")
        );

        // An expired lease is anyone's.
        assert!(
            repo.claim_upload_writer(&id, "b", 300, 400)
                .await
                .expect("taken over")
        );
        let more = vec!["e2".to_string()];
        assert!(
            repo.record_upload_parts(
                &id,
                &PartsRecord {
                    token: "b",
                    after: 1,
                    tags: &more,
                    tail: b"12345",
                    complete: true,
                    expires_at: 9
                }
            )
            .await
            .expect("record")
        );
        let row = repo.get_upload(&id).await.expect("get").expect("row");
        assert_eq!(row.state, UploadState::Finalising);
        assert_eq!(row.remote.as_ref().map(RemoteParts::offset), Some(25));
        assert_eq!(
            repo.upload_part_tags(&id).await.expect("tags"),
            ["e1", "e2"]
        );
        repo.release_upload_writer(&id, "b").await.expect("release");
        assert_eq!(
            remote(repo.get_upload(&id).await.expect("get")).writer,
            None
        );

        repo.upload_assembled(&id).await.expect("assembled");
        let done = remote(repo.get_upload(&id).await.expect("get"));
        assert_eq!(done.multipart_id, None);
        assert!(repo.upload_part_tags(&id).await.expect("tags").is_empty());
        assert!(repo.upload_tail(&id).await.expect("tail").is_empty());
        assert!(
            repo.media_ids_in_use()
                .await
                .expect("in use")
                .contains(&media)
        );
        repo.delete_upload(&id).await.expect("delete");
    })
    .await;
}
