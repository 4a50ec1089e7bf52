//! Stored files in an S3-compatible object store (`--storage s3://…`),
//! against a real S3 server that checks every request's signature: s3s-fs,
//! pinned in Cargo.toml and installed by `scripts/setup.sh`.

use reel::model::{MediaId, MediaState, UploadPhase, UploadResponse};
use reel::server::{Config, ServeMode, Storage, parse_storage};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RANGE};

use crate::common::s3::{BUCKET, KEY_ID, S3Server, SECRET};
use crate::common::shared::local_only;
use crate::common::tus::upload_id;
use crate::common::{TestServer, sha256_hex, tone_wav, video_mp4};

fn storage(prefix: &str) -> Storage {
    parse_storage(&format!("s3://{BUCKET}/{prefix}")).expect("storage")
}

async fn server_on(s3: &S3Server, prefix: &str) -> TestServer {
    let settings = s3.settings(SECRET);
    let storage = storage(prefix);
    TestServer::start_with(move |config| {
        config.storage = storage;
        config.s3 = settings;
    })
    .await
}

fn local_media_files(server: &TestServer) -> usize {
    let media = server.dir.path().join("files/media");
    std::fs::read_dir(media).map_or(0, |entries| entries.count())
}

#[tokio::test]
async fn a_video_in_object_storage_is_processed_and_served_by_the_byte_rules() {
    let s3 = S3Server::start().await;
    let server = server_on(&s3, "site-a").await;
    let media = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(video_mp4(media.path(), 2)).expect("read");

    let response = server.upload(&media.path().join("clip.mp4")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;
    let item = server.item(&created.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert!(item.has_poster, "ffmpeg read the original from the bucket");

    // The bytes are objects in the bucket, none on this machine's disk.
    let original = s3.object("site-a", &created.id, "original");
    assert_eq!(std::fs::read(&original).expect("object"), bytes);
    assert!(s3.object("site-a", &created.id, "poster.jpg").exists());
    assert_eq!(local_media_files(&server), 0);
    assert_eq!(server.scratch_entries(), 0, "scratch copies are gone");

    // Served through Reel by the same rules as from disk.
    let url = server.url(&created.urls.original);
    let whole = server.client.get(&url).send().await.expect("get");
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[CONTENT_TYPE], "video/mp4");
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    assert_eq!(whole.headers()[ETAG].to_str().expect("etag"), etag);
    assert_eq!(whole.bytes().await.expect("body"), bytes);

    let part = server
        .client
        .get(&url)
        .header(RANGE, "bytes=100-1123")
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    let total = bytes.len();
    assert_eq!(
        part.headers()[CONTENT_RANGE].to_str().expect("range"),
        format!("bytes 100-1123/{total}")
    );
    assert_eq!(part.bytes().await.expect("part"), bytes[100..1124]);

    let parts = server
        .client
        .get(&url)
        .header(RANGE, "bytes=0-9,-10")
        .send()
        .await
        .expect("ranges");
    assert_eq!(parts.status(), StatusCode::PARTIAL_CONTENT);
    let body = parts.bytes().await.expect("multipart");
    let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&bytes[..10]) && contains(&bytes[total - 10..]));

    let beyond = server
        .client
        .get(&url)
        .header(RANGE, format!("bytes={total}-"))
        .send()
        .await
        .expect("416");
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()[CONTENT_RANGE],
        format!("bytes */{total}").as_str()
    );

    let cached = server
        .client
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("304");
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    let head = server.client.head(&url).send().await.expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[CONTENT_LENGTH], total.to_string().as_str());
    assert_eq!(
        server.hooks.direct_answers(),
        0,
        "sendfile needs a local file"
    );

    // Access control first: without the signature the item is missing.
    let anonymous = reqwest::Client::new();
    let unsigned = url.split_once('?').expect("signed").0.to_string();
    let refused = anonymous.get(&unsigned).send().await.expect("get");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    // Deleting the item deletes its objects.
    let deleted = server
        .client
        .post(server.url("/api/delete_media"))
        .form(&[("id", created.id.as_str())])
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert!(!original.exists());
    assert!(!s3.object("site-a", &created.id, "poster.jpg").exists());
}

#[tokio::test]
async fn a_large_resumable_upload_goes_up_in_parts_and_restarts_find_it() {
    local_only!();
    let s3 = S3Server::start().await;
    let server = server_on(&s3, "site-b").await;
    let media = tempfile::tempdir().expect("tmp");
    // 100 s of 48 kHz stereo 16-bit: 19.2 MB, past one part (16 MiB).
    let bytes = std::fs::read(tone_wav(media.path(), 100)).expect("wav");
    assert!(bytes.len() > 16 << 20);

    let tus = server.tus();
    let location = tus.create(bytes.len() as u64, "Long tone.wav").await;
    tus.send_rest(&location, &bytes, 0, 4 << 20).await;
    server.settle().await;
    let status = tus.status(upload_id(&location)).await.expect("known");
    let UploadPhase::Done { media_id, .. } = status.phase else {
        panic!("not done: {status:?}");
    };
    let item = server.item(&media_id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert_eq!(item.sha256, sha256_hex(&bytes));
    let object = s3.object("site-b", &media_id, "original");
    assert_eq!(
        sha256_hex(&std::fs::read(&object).expect("object")),
        item.sha256
    );
    assert_eq!(
        server.partial_files().await,
        0,
        "the partial file went after the upload"
    );

    // A restart keeps the objects: the orphan sweep lists them against the
    // rows and finds them owned. An object without a row (a job's late
    // write after a delete) is swept.
    let dir = server.stop().await;
    let orphan = s3.object("site-b", &reel::testing::fresh_media_id(), "poster.jpg");
    std::fs::create_dir_all(orphan.parent().expect("dir")).expect("orphan dir");
    std::fs::write(&orphan, b"left behind").expect("orphan");
    let settings = s3.settings(SECRET);
    let again = TestServer::start_in(dir, move |config| {
        config.storage = storage("site-b");
        config.s3 = settings;
    })
    .await;
    assert!(object.exists(), "an owned object survives the sweep");
    assert!(!orphan.exists(), "an object without a row is swept");
    let waveform = again
        .client
        .get(again.url(&format!("/files/{media_id}/waveform")))
        .send()
        .await
        .expect("waveform");
    assert_eq!(waveform.status(), StatusCode::OK);

    // An edit reads its source from the bucket and stores its result there.
    let trim = serde_json::json!({
        "id": media_id.as_str(),
        "request": { "edit": "trim", "start_secs": 1.0, "end_secs": 3.5, "mode": "exact" },
    });
    let response = again
        .client
        .post(again.url("/api/start_edit"))
        .json(&trim)
        .send()
        .await
        .expect("start_edit");
    assert_eq!(response.status(), StatusCode::OK);
    let trimmed: reel::model::MediaItem = response.json().await.expect("item");
    again.hooks.wait_idle().await;
    let item = again.item(&trimmed.id).await;
    assert_eq!(item.state, MediaState::Ready);
    assert!((item.duration_secs.expect("duration") - 2.5).abs() < 0.03);
    let object = s3.object("site-b", &trimmed.id, "original");
    assert_eq!(
        sha256_hex(&std::fs::read(&object).expect("object")),
        item.sha256
    );
    assert_eq!(again.scratch_entries(), 0);
}

#[tokio::test]
async fn a_store_that_refuses_the_credentials_stops_start_up_naming_the_setting() {
    let s3 = S3Server::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = Config::with_data_dir(dir.path());
    config.storage = storage("site-c");
    config.s3 = s3.settings("not-the-secret-at-all");
    let sole = reel::server::lock_data_dir(dir.path()).expect("free");
    let Err(error) = reel::testing::start(config, &sole).await else {
        panic!("a wrong secret must stop start-up");
    };
    let message = error.to_string();
    assert!(
        message.contains("--storage s3://reel-media/site-c"),
        "{message}"
    );
    assert!(!message.contains("not-the-secret-at-all"), "{message}");

    let mut config = Config::with_data_dir(dir.path());
    config.storage = storage("site-c");
    config.s3 = s3.settings(SECRET);
    config.s3.endpoint = Some("http://127.0.0.1:9".into());
    let Err(error) = reel::testing::start(config, &sole).await else {
        panic!("an unreachable store must stop start-up");
    };
    assert!(error.to_string().contains("--storage"), "{error}");
}

#[tokio::test]
async fn redirect_mode_sends_large_media_to_a_presigned_address_after_the_rights_check() {
    let s3 = S3Server::start().await;
    let settings = s3.settings(SECRET);
    let server = TestServer::start_with(move |config| {
        config.storage = storage("site-d");
        config.s3 = settings;
        config.serve_mode = ServeMode::Redirect;
    })
    .await;
    let media = tempfile::tempdir().expect("tmp");
    let source = tone_wav(media.path(), 10);
    let bytes = std::fs::read(&source).expect("wav");
    let response = server.upload(&source).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: UploadResponse = response.json().await.expect("json");
    server.hooks.wait_idle().await;

    let no_follow = |client: reqwest::ClientBuilder| {
        client
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    };
    let anonymous = no_follow(reqwest::Client::builder());
    let signed = server.url(&created.urls.original);
    let answer = anonymous.get(&signed).send().await.expect("get");
    assert_eq!(answer.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let location = answer.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(location.starts_with(&s3.endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert!(!location.contains(SECRET));

    // The store checks the presigned signature and serves ranges itself.
    let part = anonymous
        .get(&location)
        .header(RANGE, "bytes=1000-1999")
        .send()
        .await
        .expect("presigned");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.expect("part"), bytes[1000..2000]);
    // The same address with one digit of its signature changed.
    let (before, signature) = location.split_once("X-Amz-Signature=").expect("signed");
    let flipped = if signature.starts_with('0') { '1' } else { '0' };
    let forged = format!("{before}X-Amz-Signature={flipped}{}", &signature[1..]);
    let refused = anonymous.get(&forged).send().await.expect("forged");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Rights first: without the signature there is nothing to redirect to.
    let unsigned = signed.split_once('?').expect("signed").0;
    let missing = anonymous.get(unsigned).send().await.expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Small files and downloads still come through Reel.
    let waveform = server
        .client
        .get(server.url(&format!("/files/{}/waveform", created.id)))
        .send()
        .await
        .expect("waveform");
    assert_eq!(waveform.status(), StatusCode::OK);
    let download = no_follow(reqwest::Client::builder())
        .get(format!("{signed}&download"))
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.expect("body"), bytes);
}

#[tokio::test]
async fn redirect_mode_needs_object_storage() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = Config::with_data_dir(dir.path());
    config.serve_mode = ServeMode::Redirect;
    let sole = reel::server::lock_data_dir(dir.path()).expect("free");
    let Err(error) = reel::testing::start(config, &sole).await else {
        panic!("redirect with local files must stop start-up");
    };
    assert!(
        error.to_string().contains("--serve-mode redirect"),
        "{error}"
    );
}

#[tokio::test]
async fn reel_storage_copy_moves_a_local_library_into_a_bucket_checked_by_hashes() {
    local_only!();
    let s3 = S3Server::start().await;
    let server = TestServer::start().await;
    let media = tempfile::tempdir().expect("tmp");
    let video = server.upload(&video_mp4(media.path(), 2)).await;
    let video: UploadResponse = video.json().await.expect("json");
    let song = server.upload(&tone_wav(media.path(), 3)).await;
    assert_eq!(song.status(), StatusCode::CREATED);
    server.hooks.wait_idle().await;
    let local = server.stored_files();
    assert!(
        local.len() >= 4,
        "originals, a poster, a waveform: {local:?}"
    );
    let video_bytes = std::fs::read(media.path().join("clip.mp4")).expect("read");
    let copy_from = |dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_reel"))
            .arg("--data-dir")
            .arg(dir)
            .args(["storage", "copy", "--to", "s3://reel-media/moved"])
            .env("AWS_ENDPOINT_URL", &s3.endpoint)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("RUST_LOG", "warn")
            .output()
            .expect("runs")
    };
    // Not while Reel runs: an upload arriving meanwhile would be missed.
    let refused = copy_from(server.dir.path());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop Reel"));
    let dir = server.stop().await;
    let copy = || copy_from(dir.path());
    let out = copy();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("2 items: {} files copied", local.len())),
        "{said}"
    );
    for file in &local {
        let id = file.parent().and_then(|d| d.file_name()).expect("id dir");
        let id = MediaId::parse(&id.to_string_lossy()).expect("an id");
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let object = s3.object("moved", &id, &name);
        assert_eq!(
            std::fs::read(&object).expect("object"),
            std::fs::read(file).expect("file")
        );
    }
    // Run again (as after an interruption): nothing is copied twice.
    let out = copy();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains(&format!(
            "0 files copied (0 bytes, each checked by SHA-256), {} already there",
            local.len()
        )),
        "{said}"
    );

    // Reel on the bucket serves the library as before.
    let settings = s3.settings(SECRET);
    let moved = TestServer::start_in(dir, move |config| {
        config.storage = storage("moved");
        config.s3 = settings;
    })
    .await;
    let served = moved
        .client
        .get(moved.url(&format!("/files/{}/original", video.id)))
        .send()
        .await
        .expect("get");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.expect("body"), video_bytes);
}
