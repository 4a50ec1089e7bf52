//! Two nodes on one PostgreSQL database and one S3 bucket ("Beyond one
//! machine"): node 1 (`--role web`) takes uploads and runs no jobs, node 2
//! (`--role worker`) runs them. Each is a whole Reel with its own data directory and its own
//! connection pool; they share only the database and the bucket. Jobs and
//! live events cross between them by PostgreSQL NOTIFY.

use std::time::Duration;

use reel::model::{MediaState, UploadResponse};
use reel::server::{Config, Database, Role, Secret, parse_storage};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};

use reel::accounts::Visibility;

use crate::common::accounts::{call, cookie_client, sign_in, upload_as};
use crate::common::postgres::fresh_database;
use crate::common::s3::{BUCKET, S3Server, SECRET};
use crate::common::{
    ADMIN, ADMIN_PASSWORD, TestServer, eventually, metric, own_bytes, sha256_hex, tone_wav,
};

pub(crate) fn node(database: &str, s3: &S3Server, role: Role) -> impl FnOnce(&mut Config) + use<> {
    let database = Database::Postgres(Secret::new(database));
    let storage = parse_storage(&format!("s3://{BUCKET}/nodes")).expect("storage");
    let settings = s3.settings(SECRET);
    move |config: &mut Config| {
        config.database_url = database;
        config.storage = storage;
        config.s3 = settings;
        config.role = role;
    }
}

#[tokio::test]
async fn an_upload_to_one_node_is_processed_by_another_and_served_by_both() {
    let database = fresh_database().await;
    let s3 = S3Server::start().await;
    let web = TestServer::start_with(node(&database, &s3, Role::Web)).await;
    let worker = TestServer::start_with(node(&database, &s3, Role::Worker)).await;

    // What a page connected to node 1 hears (as an admin's event stream).
    let mut heard = web.hooks.events();
    let media = tempfile::tempdir().expect("tmp");
    let wav = tone_wav(media.path(), 3);
    let bytes = std::fs::read(&wav).expect("wav");
    let answer = web.upload(&wav).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let created: UploadResponse = answer.json().await.expect("json");

    // Node 1 has no workers: node 2 hears of the job (NOTIFY) and runs it,
    // reading the original from the bucket and writing the waveform there.
    // Its "ready" reaches the pages of node 1 (events relayed by NOTIFY).
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let event = heard.recv().await.expect("node 1's event stream");
            if event.id == created.id && event.state == MediaState::Ready {
                return event;
            }
        }
    })
    .await
    .expect("node 1 heard node 2 finish the item");
    assert!(ready.changed, "pages are told to fetch the item again");
    let item = eventually(
        "node 1 sees the item processed by node 2",
        Duration::from_secs(60),
        || async {
            let item = web.item(&created.id).await;
            (item.state == MediaState::Ready && item.has_waveform).then_some(item)
        },
    )
    .await;
    assert_eq!(item.sha256, sha256_hex(&bytes));
    let done = "reel_jobs_finished_total{outcome=\"done\"}";
    assert_eq!(metric(&web.metrics().await, done), 0, "node 1 ran nothing");
    assert!(
        metric(&worker.metrics().await, done) >= 1,
        "node 2 ran the waveform"
    );

    // Either node serves the bytes, with ranges, from the bucket.
    for server in [&web, &worker] {
        let url = server.url(&format!("/files/{}/original", created.id));
        let part = server
            .client
            .get(&url)
            .header(RANGE, "bytes=100-199")
            .send()
            .await
            .expect("range");
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            part.headers()[CONTENT_RANGE],
            format!("bytes 100-199/{}", bytes.len()).as_str()
        );
        assert_eq!(&part.bytes().await.expect("body")[..], &bytes[100..200]);
    }
    let waveform = worker
        .client
        .get(worker.url(&format!("/files/{}/waveform", created.id)))
        .send()
        .await
        .expect("waveform");
    assert_eq!(waveform.status(), StatusCode::OK);

    // A node that starts while another works requeues nothing of its own
    // accord: only expired leases are taken back (by any node).
    let restarted = web.stop().await;
    let web = TestServer::start_in(restarted, node(&database, &s3, Role::Web)).await;
    assert_eq!(web.item(&created.id).await.state, MediaState::Ready);
}

#[tokio::test]
async fn the_web_and_worker_roles_need_a_shared_database_and_store() {
    let dir = tempfile::tempdir().expect("tmp");
    for role in [Role::Web, Role::Worker] {
        let mut config = Config::with_data_dir(dir.path());
        config.role = role;
        let sole = reel::server::lock_data_dir(dir.path()).expect("lock");
        let Err(refused) = reel::testing::start(config, &sole).await else {
            panic!("{role:?} started on SQLite and local files");
        };
        assert!(refused.to_string().contains("--role"), "{refused}");
    }
}

/// What one node changes, the other forgets at once instead of trusting
/// what it holds in memory (item facts have no age limit; sessions are
/// trusted for a minute): an item made private, a signed-out session. And a
/// URL one node signs is good on the other (one key, in the database).
#[tokio::test]
async fn what_one_node_changes_the_other_forgets_at_once() {
    let database = fresh_database().await;
    let s3 = S3Server::start().await;
    let one = TestServer::start_with(node(&database, &s3, Role::All)).await;
    let two = TestServer::start_with(node(&database, &s3, Role::All)).await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(tone_wav(media.path(), 1)).expect("wav");
    let anonymous = reqwest::Client::new();
    // Well inside the minute a session stays cached, and facts stay forever.
    let at_once = Duration::from_secs(15);

    // A private item's address, signed by node 1, plays on node 2.
    let private = upload_as(&one.client, &one, bytes.clone(), None).await;
    let signed = one.item(&private.id).await.urls.original;
    assert!(signed.contains("sig="), "{signed}");
    let answer = anonymous.get(two.url(&signed)).send().await.expect("get");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );

    // A public item node 2 has served (so holds its facts) turns private on
    // node 1: node 2 refuses visitors at once.
    let public = upload_as(
        &one.client,
        &one,
        own_bytes(bytes),
        Some(Visibility::Public),
    )
    .await;
    let plain = two.url(&format!("/files/{}/original", public.id));
    let status = anonymous.get(&plain).send().await.expect("get").status();
    assert_eq!(status, StatusCode::OK);
    assert!(
        two.hooks.facts(&public.id).is_some(),
        "node 2 holds the facts"
    );
    let id = public.id.to_string();
    let form = [
        ("id", id.as_str()),
        ("title", "t"),
        ("description", ""),
        ("visibility", "private"),
    ];
    let (status, body) = call(&one.client, &one, "update_media", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually(
        "node 2 to refuse the item made private on node 1",
        at_once,
        || async {
            let status = anonymous.get(&plain).send().await.expect("get").status();
            (status == StatusCode::NOT_FOUND).then_some(())
        },
    )
    .await;

    // A session used on node 2 (so remembered there) ends on node 1.
    let cookie = sign_in(&one, ADMIN, ADMIN_PASSWORD)
        .await
        .expect("signed in");
    let on_two = cookie_client(&two, &cookie);
    let (_, me) = call(&on_two, &two, "me", &[]).await;
    assert_eq!(me["name"], ADMIN, "{me}");
    let (status, _) = call(&cookie_client(&one, &cookie), &one, "logout", &[]).await;
    assert!(status.is_success(), "{status}");
    eventually(
        "node 2 to forget the session ended on node 1",
        at_once,
        || async {
            let (_, me) = call(&on_two, &two, "me", &[]).await;
            me.is_null().then_some(())
        },
    )
    .await;
}
