//! The tus extensions beyond creation: checksum (sha1, sha256, 460 on a
//! mismatch), expiration (410, and the cleanup), termination, the method
//! override, and the status the browser client follows.

use crate::common::TestServer;
use crate::common::tus::{OFFSET_OCTET_STREAM, TUS_RESUMABLE, b64, header, upload_id};
use reqwest::StatusCode;
use sha1::Digest as _;

async fn server() -> TestServer {
    TestServer::start_with(|c| c.max_upload_size = 1 << 20).await
}

#[tokio::test]
async fn checksums_verify_each_chunk_and_a_mismatch_is_discarded() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(30, "a.wav").await;
    let send = |offset: u64, body: Vec<u8>, checksum: String| {
        server
            .client
            .patch(server.url(&location))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", OFFSET_OCTET_STREAM)
            .header("Upload-Checksum", checksum)
            .body(body)
            .send()
    };

    let chunk = vec![3u8; 10];
    let sha1 = format!("sha1 {}", b64(sha1::Sha1::digest(&chunk)));
    let response = send(0, chunk, sha1).await.expect("patch");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "upload-offset"), "10");

    let chunk = vec![4u8; 10];
    let sha256 = format!("sha256 {}", b64(sha2::Sha256::digest(&chunk)));
    let response = send(10, chunk, sha256).await.expect("patch");
    assert_eq!(header(&response, "upload-offset"), "20");

    let wrong = format!("sha256 {}", b64(sha2::Sha256::digest(b"something else")));
    let response = send(20, vec![5u8; 10], wrong).await.expect("patch");
    assert_eq!(response.status().as_u16(), 460);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "checksum-mismatch");
    assert_eq!(
        tus.offset(&location).await,
        20,
        "the bad chunk was not kept"
    );
    if let Some(on_disk) = server.partial_bytes(&location) {
        assert_eq!(on_disk.len(), 20);
    }

    let response = send(20, vec![5u8; 10], "md5 AAAA".into())
        .await
        .expect("patch");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(tus.offset(&location).await, 20);
}

#[tokio::test]
async fn expired_uploads_answer_410_and_the_cleanup_removes_them() {
    let server = TestServer::start_with(|c| c.upload_expiry = std::time::Duration::ZERO).await;
    let tus = server.tus();
    let location = tus.create(10, "a.wav").await;
    assert_eq!(tus.head(&location).await.status(), StatusCode::GONE);
    let response = tus.patch(&location, 0, vec![0; 5]).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "upload-expired");
    let status = tus.status(upload_id(&location)).await.expect("known");
    assert!(matches!(
        status.phase,
        reel::model::UploadPhase::Failed { .. }
    ));

    assert_eq!(server.hooks.remove_expired_uploads().await, 1);
    assert_eq!(tus.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.partial_files().await, 0);
}

#[tokio::test]
async fn the_cleanup_keeps_uploads_that_have_not_expired() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(10, "a.wav").await;
    tus.send_rest(&location, &[1; 4], 0, 4).await;
    assert_eq!(server.hooks.remove_expired_uploads().await, 0);
    assert_eq!(tus.offset(&location).await, 4);
}

#[tokio::test]
async fn delete_terminates_an_upload_and_its_bytes() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(10, "a.wav").await;
    tus.send_rest(&location, &[1; 4], 0, 4).await;
    let delete = || {
        server
            .client
            .delete(server.url(&location))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .send()
    };
    let response = delete().await.expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    assert_eq!(tus.head(&location).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        delete().await.expect("delete").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(server.partial_files().await, 0);
}

#[tokio::test]
async fn post_with_a_method_override_acts_as_patch() {
    let server = server().await;
    let tus = server.tus();
    let location = tus.create(10, "a.wav").await;
    let response = server
        .client
        .post(server.url(&location))
        .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
        .header("X-HTTP-Method-Override", "PATCH")
        .header("Upload-Offset", "0")
        .header("Content-Type", OFFSET_OCTET_STREAM)
        .body(vec![1; 6])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(tus.offset(&location).await, 6);
}

#[tokio::test]
async fn upload_status_knows_only_real_uploads() {
    let server = server().await;
    let tus = server.tus();
    for id in ["0123456789abcdef0123456789abcdef", "../../etc"] {
        let (status, body) = tus.status(id).await.expect_err("unknown");
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "not-found");
    }
    let location = tus.create(10, "a.wav").await;
    tus.send_rest(&location, &[1; 4], 0, 4).await;
    let status = tus.status(upload_id(&location)).await.expect("known");
    assert_eq!((status.offset, status.length), (4, 10));
    assert_eq!(status.phase, reel::model::UploadPhase::Receiving);
}
