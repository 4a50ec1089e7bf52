//! Who may read and change what, over every path: every byte route (GET,
//! HEAD, ranges; through the router and the direct `sendfile` path alike),
//! the server functions, the event stream, resumable uploads and metrics,
//! for every kind of asker against every visibility. A refusal to read
//! looks like a missing item (404); a reader who may not change gets 403.

use reqwest::StatusCode;

use crate::common::accounts::{User, call, call_json, code, upload_as};
use crate::common::shared;
use crate::common::{TestServer, own_bytes, tone_wav};
use crate::events::{read_to_end, read_until};
use reel::accounts::{Role, Visibility};
use reel::model::UploadResponse;

/// Everyone who asks, and what the table expects of them.
pub(crate) struct Asker {
    pub(crate) label: &'static str,
    pub(crate) client: reqwest::Client,
    pub(crate) role: Option<Role>,
    /// Owns the items.
    owner: bool,
}

impl Asker {
    pub(crate) fn reads(&self, v: Visibility) -> bool {
        self.owner
            || self.role == Some(Role::Admin)
            || match v {
                Visibility::Private => false,
                Visibility::Internal => self.role.is_some(),
                Visibility::Unlisted | Visibility::Public => true,
            }
    }

    /// Listed, searched and announced (public browsing is off).
    pub(crate) fn lists(&self, v: Visibility) -> bool {
        self.owner
            || self.role == Some(Role::Admin)
            || matches!(v, Visibility::Internal | Visibility::Public) && self.role.is_some()
    }

    pub(crate) fn changes(&self) -> bool {
        self.owner || self.role == Some(Role::Admin)
    }
}

pub(crate) struct World {
    pub(crate) server: TestServer,
    pub(crate) askers: Vec<Asker>,
    /// One item per visibility, with its owner's signed addresses.
    pub(crate) items: Vec<(Visibility, UploadResponse)>,
    pub(crate) owner: User,
}

async fn world(direct_path: bool) -> World {
    let media = tempfile::tempdir().expect("tmp");
    world_of(direct_path, &tone_wav(media.path(), 1)).await
}

/// The askers, and one item per visibility made from `source`.
pub(crate) async fn world_of(direct_path: bool, source: &std::path::Path) -> World {
    let server = TestServer::start_with(|c| c.direct_path = direct_path).await;
    let owner = User::new(&server, "owner", Role::Member).await;
    let other = User::new(&server, "other", Role::Member).await;
    let viewer = User::new(&server, "viewer", Role::Viewer).await;
    let mut items = Vec::new();
    for visibility in Visibility::ALL {
        let bytes = own_bytes(std::fs::read(source).expect("source"));
        let created = upload_as(&owner.api, &server, bytes, Some(visibility)).await;
        items.push((visibility, created));
    }
    server.hooks.wait_idle().await;
    let askers = vec![
        Asker {
            label: "visitor",
            client: reqwest::Client::new(),
            role: None,
            owner: false,
        },
        Asker {
            label: "owner (cookie)",
            client: owner.browser.clone(),
            role: Some(Role::Member),
            owner: true,
        },
        Asker {
            label: "owner (token)",
            client: owner.api.clone(),
            role: Some(Role::Member),
            owner: true,
        },
        Asker {
            label: "other member",
            client: other.browser.clone(),
            role: Some(Role::Member),
            owner: false,
        },
        Asker {
            label: "viewer",
            client: viewer.api.clone(),
            role: Some(Role::Viewer),
            owner: false,
        },
        Asker {
            label: "admin",
            client: server.client.clone(),
            role: Some(Role::Admin),
            owner: false,
        },
    ];
    World {
        server,
        askers,
        items,
        owner,
    }
}

pub(crate) async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.expect("request").status()
}

/// Every byte route and read-only server function, for every asker and item.
async fn reads_match_the_table(direct_path: bool) {
    let w = world(direct_path).await;
    let s = &w.server;
    // Every item is a track of one album: the album lists, and plays, only
    // the tracks each asker may list.
    for (_, item) in &w.items {
        let tags = serde_json::json!({ "id": item.id.as_str(), "tags": { "album": "Matrix" } });
        assert_eq!(
            call_json(&w.owner.browser, s, "update_tags", &tags).await.0,
            StatusCode::OK
        );
    }
    // Every item has the tag "matrix": it counts, and filters, only what
    // each asker may list.
    for (_, item) in &w.items {
        let body = serde_json::json!({ "id": item.id.as_str(), "labels": ["matrix"] });
        assert_eq!(
            call_json(&w.owner.browser, s, "set_labels", &body).await.0,
            StatusCode::OK
        );
    }
    for asker in &w.askers {
        let c = &asker.client;
        let listed = w.items.iter().filter(|(v, _)| asker.lists(*v)).count();
        let (status, labels) = call(c, s, "list_labels", &[]).await;
        assert_eq!(status, StatusCode::OK, "labels: {}", asker.label);
        let counted = labels[0]["count"].as_u64().unwrap_or(0) as usize;
        assert_eq!(counted, listed, "labels: {}: {labels}", asker.label);
        let (_, page) = call(c, s, "list_library", &[("label", "MATRIX")]).await;
        assert_eq!(page["total"], listed, "by tag: {}: {page}", asker.label);
    }
    for asker in &w.askers {
        let c = &asker.client;
        let listed: Vec<&str> = w
            .items
            .iter()
            .filter(|(v, _)| asker.lists(*v))
            .map(|(_, item)| item.id.as_str())
            .collect();
        let (status, albums) = call(c, s, "list_albums", &[]).await;
        assert_eq!(status, StatusCode::OK, "albums: {}", asker.label);
        // Artists are the albums' credits: the albums above decide what shows.
        let (status, _) = call(c, s, "list_artists", &[]).await;
        assert_eq!(status, StatusCode::OK, "artists: {}", asker.label);
        let counted = albums[0]["tracks"].as_u64().unwrap_or(0) as usize;
        assert_eq!(counted, listed.len(), "albums: {}: {albums}", asker.label);
        // The album's ZIP holds what the asker may list, and nothing else.
        let zip = c.get(s.url("/album/download?album=Matrix")).send().await;
        let zip = zip.expect("album zip");
        let expected = if listed.is_empty() {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(zip.status(), expected, "album zip: {}", asker.label);
        let body = zip.bytes().await.expect("zip body");
        let members = body.windows(4).filter(|w| *w == b"PK\x03\x04").count();
        assert_eq!(members, listed.len(), "album zip members: {}", asker.label);
        let (status, album) = call(c, s, "album_tracks", &[("album", "Matrix")]).await;
        assert_eq!(status, StatusCode::OK, "album: {}", asker.label);
        let mut tracks: Vec<&str> = album["tracks"]
            .as_array()
            .map(|t| t.iter().filter_map(|i| i["id"].as_str()).collect())
            .unwrap_or_default();
        tracks.sort_unstable();
        let mut expected = listed.clone();
        expected.sort_unstable();
        assert_eq!(tracks, expected, "album tracks: {}", asker.label);
    }
    // Every item has a caption track whose words only its readers find.
    let mut captions = std::collections::HashMap::new();
    for (_, item) in &w.items {
        let srt = "1\n00:00:00,000 --> 00:00:00,500\nMatrix words\n";
        let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, srt);
        let body = serde_json::json!({
            "id": item.id.as_str(), "file_name": "m.srt", "data": data, "label": "English", "language": "en"
        });
        let (status, tracks) = call_json(&w.owner.browser, s, "add_caption", &body).await;
        assert_eq!(status, StatusCode::OK, "{tracks}");
        captions.insert(
            item.id.to_string(),
            tracks[0]["id"].as_i64().expect("caption id"),
        );
    }
    for asker in &w.askers {
        for (visibility, item) in &w.items {
            let case = format!(
                "{} on {visibility:?} ({})",
                asker.label,
                if direct_path { "direct" } else { "router" }
            );
            let id = item.id.as_str();
            let (ok, partial) = if asker.reads(*visibility) {
                (StatusCode::OK, StatusCode::PARTIAL_CONTENT)
            } else {
                (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
            };
            let original = s.url(&format!("/files/{id}/original"));
            let c = &asker.client;
            assert_eq!(status_of(c.get(&original)).await, ok, "GET: {case}");
            assert_eq!(status_of(c.head(&original)).await, ok, "HEAD: {case}");
            assert_eq!(
                status_of(c.get(&original).header("range", "bytes=0-9")).await,
                partial,
                "range: {case}"
            );
            assert_eq!(
                status_of(c.get(s.url(&format!("/files/{id}/waveform")))).await,
                ok,
                "waveform: {case}"
            );
            assert_eq!(
                status_of(c.get(s.url(&format!("/files/{id}/poster")))).await,
                StatusCode::NOT_FOUND,
                "none: {case}"
            );
            assert_eq!(
                call(c, s, "media", &[("id", id)]).await.0,
                ok,
                "get_media: {case}"
            );
            assert_eq!(
                call(c, s, "waveform_bars", &[("id", id)]).await.0,
                ok,
                "waveform_bars: {case}"
            );
            let caption = captions[id].to_string();
            assert_eq!(
                status_of(c.get(s.url(&format!("/files/{id}/captions/{caption}")))).await,
                ok,
                "caption file: {case}"
            );
            assert_eq!(
                call(c, s, "captions", &[("id", id)]).await.0,
                ok,
                "captions: {case}"
            );
            let (_, hits) = call(c, s, "search_captions", &[("q", "matrix words")]).await;
            let found = hits
                .as_array()
                .is_some_and(|hits| hits.iter().any(|h| h["id"] == id));
            assert_eq!(found, asker.lists(*visibility), "caption search: {case}");
            let (_, page) = call(c, s, "list_library", &[]).await;
            let listed = page["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == id));
            assert_eq!(listed, asker.lists(*visibility), "listed: {case}");
            let (_, neighbours) = call(c, s, "media_neighbours", &[("id", id)]).await;
            let leaked = w.items.iter().any(|(v, other)| {
                !asker.lists(*v) && neighbours.to_string().contains(other.id.as_str())
            });
            assert!(
                !leaked,
                "neighbours name an item the asker may not list: {case}: {neighbours}"
            );

            // Changing: the reader who may not change is told so; others see nothing.
            let expected = match (asker.reads(*visibility), asker.changes()) {
                (_, true) => StatusCode::OK,
                (true, false) => StatusCode::FORBIDDEN,
                (false, false) => StatusCode::NOT_FOUND,
            };
            let form = [("id", id), ("title", "tone"), ("description", "")];
            assert_eq!(
                call(c, s, "update_media", &form).await.0,
                expected,
                "update: {case}"
            );
            let tags = serde_json::json!({ "id": id, "tags": { "artist": "Tone" } });
            assert_eq!(
                call_json(c, s, "update_tags", &tags).await.0,
                expected,
                "tags: {case}"
            );
            let labels = serde_json::json!({ "id": id, "labels": ["matrix"] });
            assert_eq!(
                call_json(c, s, "set_labels", &labels).await.0,
                expected,
                "set_labels: {case}"
            );
            // The same rights one by one and in a batch.
            let batch = serde_json::json!({
                "ids": [id], "action": { "action": "add_labels", "labels": ["matrix"] }
            });
            let (status, report) = call_json(c, s, "bulk", &batch).await;
            assert_eq!(status, StatusCode::OK, "bulk: {case}");
            let outcome = match report["failed"][0]["error"]["code"].as_str() {
                None => StatusCode::OK,
                Some("forbidden") => StatusCode::FORBIDDEN,
                Some("not-found") => StatusCode::NOT_FOUND,
                Some(other) => panic!("bulk: {case}: {other}"),
            };
            assert_eq!(outcome, expected, "bulk: {case}: {report}");
            // Anyone signed in may keep what they may see as a favourite.
            let favourite = match (asker.role.is_some(), asker.reads(*visibility)) {
                (false, _) => StatusCode::UNAUTHORIZED,
                (true, true) => StatusCode::OK,
                (true, false) => StatusCode::NOT_FOUND,
            };
            let form = [("id", id), ("favourite", "true")];
            assert_eq!(
                call(c, s, "set_favourite", &form).await.0,
                favourite,
                "set_favourite: {case}"
            );
            let chapters = serde_json::json!({ "id": id, "chapters": [] });
            assert_eq!(
                call_json(c, s, "update_chapters", &chapters).await.0,
                expected,
                "chapters: {case}"
            );
            assert_eq!(
                call(c, s, "list_shares", &[("id", id)]).await.0,
                expected,
                "shares: {case}"
            );
            let relabel = [
                ("id", id),
                ("caption", caption.as_str()),
                ("label", "English"),
                ("language", "en"),
            ];
            assert_eq!(
                call(c, s, "update_caption", &relabel).await.0,
                expected,
                "update_caption: {case}"
            );
            if !asker.changes() {
                assert_eq!(
                    call(c, s, "delete_media", &[("id", id)]).await.0,
                    expected,
                    "delete: {case}"
                );
                let (status, _) = call(c, s, "retry_processing", &[("id", id)]).await;
                assert_eq!(status, expected, "retry: {case}");
                let gone = [("id", id), ("caption", caption.as_str())];
                let (status, _) = call(c, s, "delete_caption", &gone).await;
                assert_eq!(status, expected, "delete_caption: {case}");
                let body = serde_json::json!({
                    "id": id, "file_name": "m.srt", "data": "", "label": "x", "language": ""
                });
                let (status, _) = call_json(c, s, "add_caption", &body).await;
                assert_eq!(status, expected, "add_caption: {case}");
            }
        }
    }
    // Everything above was refused or changed nothing: all four still there.
    for (_, item) in &w.items {
        assert!(s.hooks.item(&item.id).await.is_some());
    }
}

#[tokio::test]
async fn reads_and_changes_follow_the_table_on_the_direct_path() {
    reads_match_the_table(true).await;
}

#[tokio::test]
async fn reads_and_changes_follow_the_table_through_the_router() {
    reads_match_the_table(false).await;
}

/// Signed addresses open one file of one item, for anyone, until the item's
/// access changes; the direct path checks them without the database.
#[tokio::test]
async fn signed_addresses_open_one_file_until_access_changes() {
    let w = world(true).await;
    let s = &w.server;
    let visitor = reqwest::Client::new();
    let (_, private) = w
        .items
        .iter()
        .find(|(v, _)| *v == Visibility::Private)
        .expect("private");
    let (_, public) = w
        .items
        .iter()
        .find(|(v, _)| *v == Visibility::Public)
        .expect("public");
    assert!(
        !public.urls.original.contains("sig="),
        "public addresses need no signature"
    );
    let signed = s.url(&private.urls.original);
    assert!(signed.contains("sig="), "{signed}");
    let before = s.hooks.direct_answers();
    assert_eq!(status_of(visitor.get(&signed)).await, StatusCode::OK);
    assert_eq!(
        status_of(visitor.get(&signed).header("range", "bytes=0-1")).await,
        StatusCode::PARTIAL_CONTENT
    );
    if !shared::enabled() {
        assert_eq!(s.hooks.direct_answers(), before + 2, "answered by sendfile");
    }
    let sig = signed.split_once("sig=").expect("sig").1;
    let id = private.id.as_str();
    // Not another file of the item, not another item, not a changed signature.
    let waveform = s.url(&format!("/files/{id}/waveform?sig={sig}"));
    assert_eq!(
        status_of(visitor.get(waveform)).await,
        StatusCode::NOT_FOUND
    );
    let (_, internal) = w
        .items
        .iter()
        .find(|(v, _)| *v == Visibility::Internal)
        .expect("internal");
    let elsewhere = s.url(&format!("/files/{}/original?sig={sig}", internal.id));
    assert_eq!(
        status_of(visitor.get(elsewhere)).await,
        StatusCode::NOT_FOUND
    );
    let tampered = signed.replace("sig=", "sig=9");
    assert_eq!(
        status_of(visitor.get(tampered)).await,
        StatusCode::NOT_FOUND
    );
    // A change of who may see it voids every address signed before.
    let form = [
        ("id", id),
        ("title", "tone"),
        ("description", ""),
        ("visibility", "internal"),
    ];
    assert_eq!(
        call(&w.owner.browser, s, "update_media", &form).await.0,
        StatusCode::OK
    );
    assert_eq!(status_of(visitor.get(&signed)).await, StatusCode::NOT_FOUND);
    let form = [
        ("id", id),
        ("title", "tone"),
        ("description", ""),
        ("visibility", "private"),
    ];
    assert_eq!(
        call(&w.owner.browser, s, "update_media", &form).await.0,
        StatusCode::OK
    );
    assert_eq!(
        status_of(visitor.get(&signed)).await,
        StatusCode::NOT_FOUND,
        "not even back at private"
    );
}

/// The event stream tells each subscriber only of what they may list.
#[tokio::test]
async fn events_reach_only_those_who_may_list_the_item() {
    let mut w = world(true).await;
    let s = &w.server;
    let mut streams = Vec::new();
    for asker in &w.askers {
        let answer = asker
            .client
            .get(s.url("/api/events"))
            .send()
            .await
            .expect("subscribe");
        assert_eq!(answer.status(), StatusCode::OK);
        streams.push(answer.bytes_stream());
    }
    for (_, item) in &w.items {
        s.hooks.publish_about(&item.id).await;
    }
    // A last event everyone hears: whatever came before it has arrived.
    let sentinel = reel::testing::fresh_media_id();
    s.hooks.publish(reel::model::MediaEvent {
        id: sentinel.clone(),
        state: reel::model::MediaState::Ready,
        progress: None,
        changed: false,
    });
    let mut heard_by = Vec::new();
    for (asker, stream) in w.askers.iter().zip(streams.iter_mut()) {
        // A visitor hears nothing at all while public browsing is off, not
        // even the sentinel: their stream is read to its end instead, once
        // the server has stopped.
        if asker.role.is_some() {
            heard_by.push((asker, read_until(stream, |e| e.id == sentinel).await));
        }
    }
    w.server.begin_shutdown();
    for (asker, stream) in w.askers.iter().zip(streams.iter_mut()) {
        if asker.role.is_none() {
            heard_by.push((asker, read_to_end(stream).await));
        }
    }
    for (asker, seen) in heard_by {
        for (visibility, item) in &w.items {
            let heard = seen.iter().any(|e| e.id == item.id);
            assert_eq!(
                heard,
                asker.lists(*visibility),
                "{} on {visibility:?}",
                asker.label
            );
        }
    }
}

/// Resumable uploads are their owner's (and the admins'); to anyone else
/// they do not exist. Operators' counters are for admins.
#[tokio::test]
async fn uploads_in_progress_and_metrics_are_not_for_everyone() {
    let w = world(true).await;
    let s = &w.server;
    let created = w
        .owner
        .api
        .post(s.url("/api/tus"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "100")
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = s.url(created.headers()["location"].to_str().expect("text"));
    let upload_id = location.rsplit('/').next().expect("id").to_string();
    for asker in &w.askers {
        let c = &asker.client;
        let tus = |r: reqwest::RequestBuilder| r.header("Tus-Resumable", "1.0.0");
        let expected = if asker.changes() {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(
            status_of(tus(c.head(&location))).await,
            expected,
            "HEAD: {}",
            asker.label
        );
        let (status, _) = call(c, s, "upload_status", &[("upload_id", &upload_id)]).await;
        assert_eq!(status, expected, "status: {}", asker.label);
        if !asker.changes() {
            let patch = tus(c.patch(&location))
                .header("Upload-Offset", "0")
                .header("content-type", "application/offset+octet-stream")
                .body(vec![0u8; 10]);
            assert_eq!(
                status_of(patch).await,
                StatusCode::NOT_FOUND,
                "PATCH: {}",
                asker.label
            );
            assert_eq!(
                status_of(tus(c.delete(&location))).await,
                StatusCode::NOT_FOUND,
                "DELETE: {}",
                asker.label
            );
        }
        let metrics = status_of(c.get(s.url("/metrics"))).await;
        let expected = match asker.role {
            Some(Role::Admin) => StatusCode::OK,
            Some(_) => StatusCode::FORBIDDEN,
            None => StatusCode::UNAUTHORIZED,
        };
        assert_eq!(metrics, expected, "metrics: {}", asker.label);
        // Viewers and visitors upload nothing.
        if !matches!(asker.role, Some(Role::Admin | Role::Member)) {
            let answer = tus(c.post(s.url("/api/tus")))
                .header("Upload-Length", "1")
                .send()
                .await
                .expect("tus");
            let want = if asker.role.is_some() {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(answer.status(), want, "upload: {}", asker.label);
            let body: serde_json::Value = answer.json().await.expect("json");
            assert!(
                matches!(code(&body), "forbidden" | "sign-in-required"),
                "{body}"
            );
        }
    }
}
