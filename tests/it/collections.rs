//! Collections: a playlist keeps the order its owner gives it and shows
//! each viewer only what they may see; a smart collection follows new
//! items; a link to a playlist plays its items through the link only; a
//! playlist downloads as one ZIP in its order.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::archives::unzip;
use crate::common::accounts::{User, call, call_json, code, upload_as};
use crate::common::{TestServer, own_bytes, sine_wav};
use reel::accounts::{Role, Visibility};

/// A short sound of its own, uploaded by `user` with `visibility`: its id.
async fn item(server: &TestServer, user: &User, visibility: Visibility) -> (String, Vec<u8>) {
    let bytes = own_bytes(sine_wav(440.0, 4_800));
    let made = upload_as(&user.api, server, bytes.clone(), Some(visibility)).await;
    (made.id.to_string(), bytes)
}

async fn playlist(server: &TestServer, user: &User, name: &str) -> String {
    let body = json!({ "name": name, "kind": "playlist" });
    let (status, made) = call_json(&user.api, server, "create_collection", &body).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["visibility"], "private");
    made["id"].as_str().expect("id").to_string()
}

async fn add(server: &TestServer, user: &User, list: &str, ids: &[&str]) -> Value {
    let body = json!({ "ids": ids, "action": { "action": "add_to_playlist", "playlist": list } });
    call_json(&user.api, server, "bulk", &body).await.1
}

/// The ids a viewer sees in the collection, in order, and how many are hidden.
async fn shown(server: &TestServer, client: &reqwest::Client, list: &str) -> (Vec<String>, u64) {
    let (status, view) = call(client, server, "get_collection", &[("id", list)]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let ids = view["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect();
    (ids, view["hidden"].as_u64().expect("hidden"))
}

async fn move_item(
    server: &TestServer,
    user: &User,
    list: &str,
    item: &str,
    before: Option<&str>,
) -> StatusCode {
    let mut form = vec![("id", list), ("item", item)];
    if let Some(before) = before {
        form.push(("before", before));
    }
    call(&user.api, server, "move_in_playlist", &form).await.0
}

#[tokio::test]
async fn a_playlist_keeps_its_order_and_shows_each_viewer_what_they_may_see() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;
    let (a, _) = item(&server, &ann, Visibility::Private).await;
    let (b, _) = item(&server, &ann, Visibility::Private).await;
    let (c, _) = item(&server, &ann, Visibility::Private).await;
    let (d, _) = item(&server, &bob, Visibility::Internal).await;
    let (p, _) = item(&server, &bob, Visibility::Private).await;
    let list = playlist(&server, &ann, "Road trip").await;

    // Bob's private item is not hers to add; the rest go in, in order.
    let report = add(&server, &ann, &list, &[&a, &b, &c, &d, &p]).await;
    assert_eq!(report["done"], 4, "{report}");
    assert_eq!(report["failed"][0]["id"], p.as_str());
    assert_eq!(report["failed"][0]["error"]["code"], "not-found");
    assert_eq!(
        shown(&server, &ann.api, &list).await,
        (vec![a.clone(), b.clone(), c.clone(), d.clone()], 0)
    );
    // Adding again changes nothing.
    assert_eq!(add(&server, &ann, &list, &[&a]).await["done"], 1);
    assert_eq!(shown(&server, &ann.api, &list).await.0.len(), 4);

    // Reordered: c before a, then a to the end; b taken out.
    assert_eq!(
        move_item(&server, &ann, &list, &c, Some(&a)).await,
        StatusCode::OK
    );
    assert_eq!(
        move_item(&server, &ann, &list, &a, None).await,
        StatusCode::OK
    );
    assert_eq!(
        shown(&server, &ann.api, &list).await.0,
        [c.clone(), b.clone(), d.clone(), a.clone()]
    );
    let (status, _) = call(
        &ann.api,
        &server,
        "remove_from_playlist",
        &[("id", &list), ("item", &b)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown(&server, &ann.api, &list).await.0,
        [c.clone(), d.clone(), a.clone()]
    );

    // Private: missing to Bob, in every use case.
    let (status, answer) = call(&bob.api, &server, "get_collection", &[("id", &list)]).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    assert_eq!(
        move_item(&server, &bob, &list, &d, None).await,
        StatusCode::NOT_FOUND
    );
    let (_, listed) = call(&bob.api, &server, "list_collections", &[]).await;
    assert_eq!(listed, json!([]));

    // Internal: Bob sees it, with only the items he may see (his own).
    let body = json!({ "id": list, "change": { "visibility": "internal" } });
    let (status, changed) = call_json(&ann.api, &server, "update_collection", &body).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(shown(&server, &bob.api, &list).await, (vec![d.clone()], 2));
    let (_, listed) = call(&bob.api, &server, "list_collections", &[]).await;
    assert_eq!(listed[0]["can_change"], false);
    assert_eq!(listed[0]["owner_name"], "ann");
    // Seen, not his to change, nor to add to (refused whole).
    assert_eq!(
        move_item(&server, &bob, &list, &d, None).await,
        StatusCode::FORBIDDEN
    );
    let body = json!({ "ids": [d], "action": { "action": "add_to_playlist", "playlist": list } });
    let (status, _) = call_json(&bob.api, &server, "bulk", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A deleted item leaves the playlist; a deleted playlist leaves its items.
    let (status, _) = call(&ann.api, &server, "delete_media", &[("id", &c)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown(&server, &ann.api, &list).await.0,
        [d.clone(), a.clone()]
    );
    let (status, _) = call(&ann.api, &server, "delete_collection", &[("id", &list)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&ann.api, &server, "get_collection", &[("id", &list)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&ann.api, &server, "media", &[("id", &a)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_smart_collection_follows_new_items() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let body = json!({ "name": "Live takes", "kind": "smart" });
    let (status, answer) = call_json(&ann.api, &server, "create_collection", &body).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "bad-request")
    );
    let body = json!({ "name": "Live takes", "kind": "smart", "query": { "label": "live" } });
    let (status, made) = call_json(&ann.api, &server, "create_collection", &body).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let list = made["id"].as_str().expect("id").to_string();
    assert_eq!(
        shown(&server, &ann.api, &list).await.0,
        Vec::<String>::new()
    );

    let (first, _) = item(&server, &ann, Visibility::Private).await;
    let (second, _) = item(&server, &ann, Visibility::Private).await;
    for id in [&first, &second] {
        let body = json!({ "id": id, "labels": ["Live"] });
        assert_eq!(
            call_json(&ann.api, &server, "set_labels", &body).await.0,
            StatusCode::OK
        );
    }
    let (ids, _) = shown(&server, &ann.api, &list).await;
    assert_eq!(
        ids,
        [second.clone(), first.clone()],
        "newest first, as the library sorts"
    );
    // Items cannot be put into a smart collection by hand.
    let report = add(&server, &ann, &list, &[&first]).await;
    assert_eq!(code(&report), "bad-request", "{report}");
    // Its query changes what it finds.
    let body = json!({ "id": list, "change": { "query": { "label": "live", "sort": "oldest" } } });
    assert_eq!(
        call_json(&ann.api, &server, "update_collection", &body)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(shown(&server, &ann.api, &list).await.0, [first, second]);
}

#[tokio::test]
async fn a_link_to_a_playlist_plays_its_items_through_the_link_only() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;
    let (mine, _) = item(&server, &ann, Visibility::Private).await;
    let (outside, _) = item(&server, &ann, Visibility::Private).await;
    let (bobs_internal, _) = item(&server, &bob, Visibility::Internal).await;
    let (bobs_public, _) = item(&server, &bob, Visibility::Public).await;
    let list = playlist(&server, &ann, "For you").await;
    assert_eq!(
        add(&server, &ann, &list, &[&mine, &bobs_internal, &bobs_public]).await["done"],
        3
    );
    server.hooks.wait_idle().await;

    let form = [("id", list.as_str()), ("collection", "true")];
    let (status, _) = call(&bob.browser, &server, "create_share", &form).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not his to share");
    let (status, made) = call(&ann.browser, &server, "create_share", &form).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let secret = made["path"]
        .as_str()
        .expect("path")
        .strip_prefix("/s/")
        .expect("/s/")
        .to_string();

    // Anyone with the link: her item and Bob's public one, in order; not
    // Bob's internal one (not hers to show to anyone).
    let visitor = reqwest::Client::new();
    let (status, view) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["share"], "collection");
    let items = view["view"]["items"].as_array().expect("items");
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [mine.as_str(), bobs_public.as_str()]);
    let original = items[0]["urls"]["original"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(original.contains("sig="), "{original}");
    let get = |path: String| {
        let url = server.url(&path);
        async move {
            reqwest::Client::new()
                .get(url)
                .send()
                .await
                .expect("get")
                .status()
        }
    };
    assert_eq!(
        get(original.clone()).await,
        StatusCode::OK,
        "through the link"
    );
    assert_eq!(
        get(format!("/files/{mine}/original")).await,
        StatusCode::NOT_FOUND,
        "not without it"
    );
    let sig = original.split_once('?').expect("query").1;
    assert_eq!(
        get(format!("/files/{outside}/original?{sig}")).await,
        StatusCode::NOT_FOUND
    );
    // The page itself renders for anyone.
    let page = visitor
        .get(server.url(&format!("/s/{secret}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("For you"));

    // Listed for the owner; revoked, the link and its addresses stop.
    let (_, links) = call(&ann.browser, &server, "list_shares", &form).await;
    let share = links[0]["id"].as_str().expect("id").to_string();
    let (status, _) = call(&ann.browser, &server, "revoke_share", &[("id", &share)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&visitor, &server, "open_share", &[("token", &secret)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(get(original).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_playlist_downloads_as_one_zip_in_its_order() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;
    let (a, a_bytes) = item(&server, &ann, Visibility::Private).await;
    let (b, b_bytes) = item(&server, &ann, Visibility::Private).await;
    let list = playlist(&server, &ann, "Mix: one/two").await;
    add(&server, &ann, &list, &[&a, &b]).await;
    assert_eq!(
        move_item(&server, &ann, &list, &b, Some(&a)).await,
        StatusCode::OK
    );
    server.hooks.wait_idle().await;

    let url = server.url(&format!("/collections/{list}/download"));
    let answer = ann.api.get(&url).send().await.expect("download");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "application/zip");
    assert!(answer.headers().get("content-length").is_none());
    let disposition = answer.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(disposition.contains("Mix_ one_two.zip"), "{disposition}");
    let members = unzip(&answer.bytes().await.expect("body"));
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].starts_with("01 - ") && names[1].starts_with("02 - "),
        "{names:?}"
    );
    assert!(
        members[0].1 == b_bytes && members[1].1 == a_bytes,
        "byte-identical, in its order"
    );
    // Not Bob's to download.
    assert_eq!(
        bob.api.get(&url).send().await.expect("get").status(),
        StatusCode::NOT_FOUND
    );
}
