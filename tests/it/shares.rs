//! Share links: a private item played by whoever holds its link, through
//! the direct byte path, until the link expires or is revoked; with a
//! password, nothing of the item before it is given.

use reqwest::StatusCode;

use crate::common::accounts::{User, call, code, upload_as, user_id};
use crate::common::shared::{self, local_only};
use crate::common::{TestServer, own_bytes, tone_wav};
use reel::accounts::Role;
use reel::model::UploadResponse;

async fn private_item(server: &TestServer, owner: &User) -> UploadResponse {
    let media = tempfile::tempdir().expect("tmp");
    let bytes = own_bytes(std::fs::read(tone_wav(media.path(), 1)).expect("wav"));
    upload_as(&owner.api, server, bytes, None).await
}

/// The link's secret, from the address the owner was given.
fn secret_of(made: &serde_json::Value) -> String {
    made["path"]
        .as_str()
        .expect("path")
        .strip_prefix("/s/")
        .expect("/s/…")
        .to_string()
}

#[tokio::test]
async fn a_link_plays_a_private_item_until_it_is_revoked() {
    let server = TestServer::start().await;
    let owner = User::new(&server, "owner", Role::Member).await;
    let item = private_item(&server, &owner).await;
    let visitor = reqwest::Client::new();
    assert_eq!(
        call(&visitor, &server, "media", &[("id", item.id.as_str())])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Only who may change the item makes links.
    let other = User::new(&server, "other", Role::Member).await;
    let (status, _) = call(
        &other.browser,
        &server,
        "create_share",
        &[("id", item.id.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, made) = call(
        &owner.browser,
        &server,
        "create_share",
        &[("id", item.id.as_str()), ("expires_in_hours", "24")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let secret = secret_of(&made);
    assert!(secret.len() >= 43, "a long random secret: {secret}");
    // The page is the app's, server-rendered for anyone.
    let page = visitor
        .get(server.url(&format!("/s/{secret}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("tone"));
    let (status, view) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["share"], "open");
    let original = view["item"]["urls"]["original"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(original.contains("sig="), "{original}");
    let before = server.hooks.direct_answers();
    // A new connection, as a player opens: the direct path answers those.
    let bytes = reqwest::Client::new()
        .get(server.url(&original))
        .send()
        .await
        .expect("get");
    assert_eq!(bytes.status(), StatusCode::OK);
    let size = server.item(&item.id).await.size_bytes;
    assert_eq!(bytes.bytes().await.expect("body").len() as u64, size);
    if !shared::enabled() {
        assert_eq!(
            server.hooks.direct_answers(),
            before + 1,
            "shared bytes go by sendfile too"
        );
    }
    assert_eq!(view["item"]["can_change"], false);
    // The link's signature opens its own item only: not another of the
    // owner's items, not another file of this one.
    let another = private_item(&server, &owner).await;
    server.hooks.wait_idle().await;
    let waveform = server.url(&format!("/files/{}/waveform", item.id));
    let owned = owner.api.get(&waveform).send().await.expect("get");
    assert_eq!(owned.status(), StatusCode::OK, "the file exists");
    let sig = original.split_once('?').expect("a query").1;
    for path in [
        format!("/files/{}/original?{sig}", another.id),
        format!("/files/{}/waveform?{sig}", item.id),
    ] {
        let answer = reqwest::Client::new()
            .get(server.url(&path))
            .send()
            .await
            .expect("get");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // Listed for the owner; revoked, the page and the addresses it gave stop.
    let (_, listed) = call(
        &owner.browser,
        &server,
        "list_shares",
        &[("id", item.id.as_str())],
    )
    .await;
    let links = listed.as_array().expect("list");
    assert_eq!(links.len(), 1);
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is not kept"
    );
    let share_id = links[0]["id"].as_str().expect("id").to_string();
    let (status, _) = call(
        &other.browser,
        &server,
        "revoke_share",
        &[("id", &share_id)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not theirs to revoke");
    let (status, _) = call(
        &owner.browser,
        &server,
        "revoke_share",
        &[("id", &share_id)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    assert_eq!(
        visitor
            .get(server.url(&original))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );
    // Unknown links look the same as revoked ones.
    let (status, _) = call(
        &visitor,
        &server,
        "open_share",
        &[("token", "x".repeat(43).as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_link_says_so_and_a_password_hides_everything_until_given() {
    local_only!();
    let server = TestServer::start().await;
    let owner = User::new(&server, "owner", Role::Member).await;
    let item = private_item(&server, &owner).await;
    let visitor = reqwest::Client::new();
    let form = [("id", item.id.as_str()), ("password", "open sesame please")];
    let (status, made) = call(&owner.browser, &server, "create_share", &form).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let secret = secret_of(&made);
    let (_, view) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!(
        view,
        serde_json::json!({"share": "locked"}),
        "nothing of the item shows"
    );
    let (status, answer) = call(
        &visitor,
        &server,
        "unlock_share",
        &[("token", &secret), ("password", "wrong guess")],
    )
    .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNAUTHORIZED, "sign-in-refused")
    );
    let (status, grant) = call(
        &visitor,
        &server,
        "unlock_share",
        &[("token", &secret), ("password", "open sesame please")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let grant = grant.as_str().expect("grant").to_string();
    let (_, view) = call(
        &visitor,
        &server,
        "open_share",
        &[("token", &secret), ("grant", &grant)],
    )
    .await;
    assert_eq!(view["share"], "open", "{view}");
    // A grant opens only its own link.
    let (_, other) = call(&owner.browser, &server, "create_share", &form).await;
    let (_, view) = call(
        &visitor,
        &server,
        "open_share",
        &[("token", &secret_of(&other)), ("grant", &grant)],
    )
    .await;
    assert_eq!(view["share"], "locked");

    // Its time up (set in the database: no test waits an hour), a link says so.
    reel::testing::sql_execute(
        &server.dir.path().join("reel.db"),
        "UPDATE share_links SET expires_at = 1",
    )
    .await;
    let (status, answer) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!((status, code(&answer)), (StatusCode::GONE, "share-expired"));
    let (status, _) = call(
        &owner.browser,
        &server,
        "create_share",
        &[("id", item.id.as_str()), ("expires_in_hours", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn quotas_refuse_uploads_that_would_pass_them_and_keep_nothing() {
    let server = TestServer::start().await;
    let ana = User::new(&server, "ana", Role::Member).await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = std::fs::read(tone_wav(media.path(), 1)).expect("wav");
    let id = user_id(&server, "ana").await;
    let quota = (wav.len() * 3 / 2).to_string();
    let (status, _) = call(
        &server.client,
        &server,
        "update_user",
        &[("id", &id), ("quota_bytes", &quota)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("tone.wav"),
        );
        ana.api
            .post(server.url("/api/uploads"))
            .multipart(form)
            .send()
    };
    assert_eq!(
        upload(wav.clone()).await.expect("first").status(),
        StatusCode::CREATED
    );
    let second = upload(wav.clone()).await.expect("second");
    assert_eq!(second.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = second.json().await.expect("json");
    assert_eq!(code(&body), "quota-exceeded");
    let tus = ana
        .api
        .post(server.url("/api/tus"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", wav.len().to_string())
        .send()
        .await
        .expect("tus");
    assert_eq!(tus.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(server.hooks.item_count().await, 1);
    // The first upload's jobs done: with object storage they copy its
    // original into the scratch area while they run.
    server.settle().await;
    assert_eq!(
        server.scratch_entries(),
        0,
        "nothing of the refused upload is kept"
    );
    let (_, users) = call(&server.client, &server, "list_users", &[]).await;
    let used = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "ana")
        .expect("ana")["used_bytes"]
        .as_u64();
    assert_eq!(used, Some(wav.len() as u64));
}
