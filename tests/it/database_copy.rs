//! `reel database copy`: a library made through HTTP on the embedded SQLite
//! database moves to PostgreSQL, and a server there has the same items,
//! owners, visibility, share links, sign-ins and queued work. A second copy
//! into the filled database, a copy that fails half-way and a source with a
//! table the copy does not know all leave the target as it was.

use reel::accounts::{Role, Visibility};
use reel::library::LibraryPage;
use reel::model::MediaState;
use reel::server::cli::run_database_command;
use reel::server::config::DatabaseCommand;
use reel::server::{Config, Database, Secret};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use crate::common::accounts::{PASSWORD, User, call, call_json, cookie_client, sign_in, upload_as};
use crate::common::postgres::fresh_database;
use crate::common::shared::local_only;
use crate::common::{TestServer, own_bytes, tone_wav};

/// Copies the rows of the data directory `dir` into `database`.
async fn copy(dir: &std::path::Path, database: &str) -> Result<String, String> {
    let config = Config::with_data_dir(dir);
    let to = Database::Postgres(Secret::new(database));
    run_database_command(&config, DatabaseCommand::Copy { to }, |_| {}).await
}

/// What must survive the move of each item, in the admin's library order.
async fn library(server: &TestServer) -> Vec<serde_json::Value> {
    let (status, page) = call(&server.client, server, "list_library", &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let page: LibraryPage = serde_json::from_value(page).expect("a library page");
    (page.items.into_iter())
        .map(|item| {
            json!([
                item.id,
                item.title,
                item.original_filename,
                item.sha256,
                item.size_bytes,
                item.owner,
                item.visibility,
                item.source_id,
                item.edit_summary,
                item.play,
            ])
        })
        .collect()
}

#[tokio::test]
async fn a_library_moves_to_postgres_with_every_row_checked() {
    local_only!();
    if std::env::var("REEL_TEST_PG_URL").is_err() {
        eprintln!(
            "REEL_TEST_PG_URL is not set: not testing `reel database copy` \
             (eval \"$(scripts/postgres.sh start)\" first)"
        );
        return;
    }
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let wav = std::fs::read(tone_wav(media.path(), 2)).expect("wav");
    let alice = User::new(&server, "alice", Role::Member).await;
    let public = upload_as(
        &alice.api,
        &server,
        own_bytes(wav.clone()),
        Some(Visibility::Public),
    )
    .await;
    let private = upload_as(&alice.api, &server, own_bytes(wav.clone()), None).await;
    let mine = upload_as(&server.client, &server, wav.clone(), None).await;
    server.hooks.wait_idle().await;
    let edit = alice
        .api
        .post(server.url("/api/start_edit"))
        .json(&json!({ "id": public.id, "request":
            { "edit": "trim", "start_secs": 0.5, "end_secs": 1.5, "mode": "exact" } }))
        .send()
        .await
        .expect("start_edit");
    assert_eq!(edit.status(), StatusCode::OK);
    server.hooks.wait_idle().await;
    let (status, share) = call(
        &alice.api,
        &server,
        "create_share",
        &[("id", private.id.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{share}");
    let secret = share["path"].as_str().expect("path")[3..].to_string();
    // A caption track, with searchable words.
    let srt = "1\n00:00:00,000 --> 00:00:01,000\nOverheard in the copy\n";
    let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, srt);
    let caption = json!({ "id": private.id, "file_name": "c.srt", "data": data, "label": "English", "language": "en" });
    let (status, tracks) = call_json(&alice.api, &server, "add_caption", &caption).await;
    assert_eq!(status, StatusCode::OK, "{tracks}");
    // A tag and a favourite.
    let tag = json!({ "id": private.id, "labels": ["Copied tag"] });
    assert_eq!(
        call_json(&alice.api, &server, "set_labels", &tag).await.0,
        StatusCode::OK
    );
    let favourite = [("id", private.id.as_str()), ("favourite", "true")];
    assert_eq!(
        call(&alice.api, &server, "set_favourite", &favourite)
            .await
            .0,
        StatusCode::OK
    );
    // A playlist of hers, with a link to it.
    let body = json!({ "name": "Copied list", "kind": "playlist" });
    let (_, list) = call_json(&alice.api, &server, "create_collection", &body).await;
    let list = list["id"].as_str().expect("playlist").to_string();
    let add =
        json!({ "ids": [private.id], "action": { "action": "add_to_playlist", "playlist": list } });
    assert_eq!(
        call_json(&alice.api, &server, "bulk", &add).await.1["done"],
        1
    );
    let form = [("id", list.as_str()), ("collection", "true")];
    let (_, made) = call(&alice.browser, &server, "create_share", &form).await;
    let list_secret = made["path"].as_str().expect("path")[3..].to_string();
    let (status, _) = call(
        &server.client,
        &server,
        "set_public_browsing",
        &[("on", "true")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = sign_in(&server, "alice", PASSWORD)
        .await
        .expect("signed in");
    // Work left for later: an item whose job was running when Reel
    // stopped (set below), and an upload half sent.
    let waiting = upload_as(&alice.api, &server, own_bytes(wav.clone()), None).await;
    server.hooks.wait_idle().await;
    let tus = server.tus();
    let half = tus.create(1000, "half-sent.wav").await;
    assert_eq!(
        tus.patch(&half, 0, vec![0; 100]).await.status(),
        StatusCode::NO_CONTENT
    );
    let before = library(&server).await;
    assert_eq!(before.len(), 5, "{before:?}");
    let dir = server.stop().await;
    let rows = dir.path().join("reel.db");
    // The newest item (ids are UUIDv7) was being processed.
    reel::testing::sql_execute(
        &rows,
        "UPDATE media SET state = 'processing', has_waveform = 0
         WHERE id = (SELECT max(id) FROM media)",
    )
    .await;
    reel::testing::sql_execute(
        &rows,
        "UPDATE jobs SET state = 'running', heartbeat_at = 1, progress = 0.5, finished_at = NULL
         WHERE kind = 'waveform' AND media_id = (SELECT max(id) FROM media)",
    )
    .await;

    let database = fresh_database().await;
    let started = std::time::Instant::now();
    let summary = copy(dir.path(), &database).await.expect("the copy");
    eprintln!("copied in {:?}:\n{summary}", started.elapsed());
    for said in [
        "users 2,",
        "media 5,",
        "share_links 2",
        "collections 1",
        "collection_items 1",
        "1 jobs that were running are queued again",
        "1 unfinished uploads were not copied",
        "half-sent.wav",
        "next: start Reel with --database-url postgres://",
        "reel storage copy",
    ] {
        assert!(summary.contains(said), "{said:?} missing from {summary}");
    }
    let again = copy(dir.path(), &database)
        .await
        .expect_err("a second copy");
    assert!(
        again.contains("already holds a library") && again.contains("media: 5 rows"),
        "{again}"
    );

    let pg = TestServer::start_in(dir, |config| {
        config.database_url = Database::Postgres(Secret::new(&database));
    })
    .await;
    assert_eq!(
        library(&pg).await,
        before,
        "the same items, owners, visibility"
    );
    // The job that was running is queued there, and runs.
    pg.hooks.wait_idle().await;
    let item = pg.item(&waiting.id).await;
    assert!(
        item.has_waveform && item.state == MediaState::Ready,
        "{item:?}"
    );
    // Alice's token and session still work, and so does her password.
    let (status, me) = call(&alice.api, &pg, "me", &[]).await;
    assert_eq!(
        (status, me["name"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    let (status, me) = call(&cookie_client(&pg, &cookie), &pg, "me", &[]).await;
    assert_eq!(
        (status, me["name"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    assert!(sign_in(&pg, "alice", PASSWORD).await.is_ok());
    // The caption came along, with its text and its words searchable there.
    let (status, tracks) = call(&alice.api, &pg, "captions", &[("id", private.id.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{tracks}");
    let src = tracks[0]["src"].as_str().expect("src");
    let vtt = alice.api.get(pg.url(src)).send().await.expect("vtt");
    assert!(
        vtt.text()
            .await
            .expect("text")
            .contains("Overheard in the copy")
    );
    let (_, hits) = call(
        &alice.api,
        &pg,
        "search_captions",
        &[("q", "overheard cop")],
    )
    .await;
    assert_eq!(hits[0]["id"], private.id.as_str(), "{hits}");
    // The tag filters there, and the favourite is still alice's.
    let wanted = [("label", "copied TAG"), ("favourites", "true")];
    let (_, page) = call(&alice.api, &pg, "list_library", &wanted).await;
    assert_eq!(page["items"][0]["id"], private.id.as_str(), "{page}");
    assert_eq!(page["items"][0]["labels"], json!(["Copied tag"]), "{page}");
    // Visitors: the public item and the share link, not the private items.
    let visitor = reqwest::Client::new();
    for (id, status) in [
        (&public.id, StatusCode::OK),
        (&private.id, StatusCode::NOT_FOUND),
        (&mine.id, StatusCode::NOT_FOUND),
    ] {
        let answer = call(&visitor, &pg, "media", &[("id", id.as_str())]).await;
        assert_eq!(answer.0, status, "{id}: {}", answer.1);
    }
    let (status, view) = call(&visitor, &pg, "open_share", &[("token", &secret)]).await;
    assert_eq!((status, &view["share"]), (StatusCode::OK, &json!("open")));
    // The playlist and its link came along.
    let (status, view) = call(&visitor, &pg, "open_share", &[("token", &list_secret)]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        view["view"]["items"][0]["id"],
        private.id.as_str(),
        "{view}"
    );
    let dir = pg.stop().await;

    // A copy that fails half-way (two names PostgreSQL holds the same:
    // SQLite's NOCASE folds only ASCII) leaves the target empty.
    reel::testing::sql_execute(
        &rows,
        "INSERT INTO users (id, name, password_hash, role, created_at, updated_at) VALUES
         ('u1', 'Ärger', 'x', 'viewer', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
         ('u2', 'ärger', 'x', 'viewer', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await;
    let other = fresh_database().await;
    let failed = copy(dir.path(), &other).await.expect_err("a clash");
    assert!(failed.contains("rolled back"), "{failed}");
    let mut target = sqlx::PgConnection::connect(&other).await.expect("connect");
    for table in ["users", "media", "jobs"] {
        let count = format!("SELECT count(*) FROM {table}");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count))
            .fetch_one(&mut target)
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} after a failed copy");
    }
    reel::testing::sql_execute(&rows, "DELETE FROM users WHERE id IN ('u1', 'u2')").await;

    // A table this version does not know stops the copy before it starts.
    reel::testing::sql_execute(&rows, "CREATE TABLE albums (id TEXT PRIMARY KEY)").await;
    let refused = copy(dir.path(), &other)
        .await
        .expect_err("an unknown table");
    assert!(
        refused.contains("albums") && refused.contains("nothing was copied"),
        "{refused}"
    );
    // And the embedded database was only read: a server on it still starts.
    let again = TestServer::start_in(dir, |_| {}).await;
    assert_eq!(library(&again).await.len(), 5);
}
