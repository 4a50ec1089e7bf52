//! Tags people give items (labels) and favourites: cleaned and sorted,
//! refused whole when one breaks a rule, listed with counts, filtering the
//! library, gone with their item; favourites are each person's own.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::accounts::{User, call, call_json, code, upload_as};
use crate::common::{TestServer, own_bytes, sine_wav};
use reel::accounts::{Role, Visibility};

fn ids(page: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn tags_are_cleaned_counted_and_filter_the_library() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let song = sine_wav(440.0, 4_800);
    let live = upload_as(&ann.api, &server, own_bytes(song.clone()), None).await;
    let demo = upload_as(&ann.api, &server, own_bytes(song.clone()), None).await;
    let _plain = upload_as(&ann.api, &server, own_bytes(song), None).await;

    let body =
        json!({ "id": live.id.as_str(), "labels": ["  Live  at home", "2024", "live AT home"] });
    let (status, item) = call_json(&ann.api, &server, "set_labels", &body).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["labels"], json!(["2024", "Live at home"]));
    let body = json!({ "id": demo.id.as_str(), "labels": ["2024", "demo"] });
    assert_eq!(
        call_json(&ann.api, &server, "set_labels", &body).await.0,
        StatusCode::OK
    );

    // A bad tag refuses the whole list; what was there stays.
    for bad in [json!(["ok", "a,b"]), json!([""]), json!(["x".repeat(41)])] {
        let body = json!({ "id": live.id.as_str(), "labels": bad });
        let (status, answer) = call_json(&ann.api, &server, "set_labels", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(code(&answer), "bad-request");
    }
    let (_, item) = call(&ann.api, &server, "media", &[("id", live.id.as_str())]).await;
    assert_eq!(item["labels"], json!(["2024", "Live at home"]));

    let (status, labels) = call(&ann.api, &server, "list_labels", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        labels,
        json!([
            { "label": "2024", "count": 2 },
            { "label": "demo", "count": 1 },
            { "label": "Live at home", "count": 1 }
        ])
    );
    // The filter ignores case, and combines with the rest of the query.
    let (_, page) = call(&ann.api, &server, "list_library", &[("label", "2024")]).await;
    let mut both = vec![live.id.to_string(), demo.id.to_string()];
    both.sort_unstable();
    assert_eq!(ids(&page), both);
    let (_, page) = call(
        &ann.api,
        &server,
        "list_library",
        &[("label", "LIVE AT HOME")],
    )
    .await;
    assert_eq!(ids(&page), [live.id.to_string()]);
    let (status, _) = call(&ann.api, &server, "list_library", &[("label", "a,b")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Cleared, and gone with the item.
    let body = json!({ "id": live.id.as_str(), "labels": [] });
    assert_eq!(
        call_json(&ann.api, &server, "set_labels", &body).await.0,
        StatusCode::OK
    );
    let (status, _) = call(
        &ann.api,
        &server,
        "delete_media",
        &[("id", demo.id.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, labels) = call(&ann.api, &server, "list_labels", &[]).await;
    assert_eq!(labels, json!([]));
}

#[tokio::test]
async fn favourites_are_each_persons_own() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Viewer).await;
    let song = sine_wav(330.0, 4_800);
    let shared = upload_as(
        &ann.api,
        &server,
        own_bytes(song.clone()),
        Some(Visibility::Internal),
    )
    .await;
    let other = upload_as(
        &ann.api,
        &server,
        own_bytes(song.clone()),
        Some(Visibility::Internal),
    )
    .await;
    let private = upload_as(&ann.api, &server, own_bytes(song), None).await;

    // A viewer may keep what they see; not what they cannot.
    let form = [("id", shared.id.as_str()), ("favourite", "true")];
    let (status, item) = call(&bob.api, &server, "set_favourite", &form).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["favourite"], true);
    let form = [("id", private.id.as_str()), ("favourite", "true")];
    assert_eq!(
        call(&bob.api, &server, "set_favourite", &form).await.0,
        StatusCode::NOT_FOUND
    );
    // Twice is once.
    let form = [("id", other.id.as_str()), ("favourite", "true")];
    assert_eq!(
        call(&ann.api, &server, "set_favourite", &form).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&ann.api, &server, "set_favourite", &form).await.0,
        StatusCode::OK
    );

    let favourites = [("favourites", "true")];
    let (_, page) = call(&bob.api, &server, "list_library", &favourites).await;
    assert_eq!(ids(&page), [shared.id.to_string()]);
    let (_, page) = call(&ann.api, &server, "list_library", &favourites).await;
    assert_eq!(ids(&page), [other.id.to_string()]);
    // The flag is the asker's: ann sees `shared` as not hers.
    let (_, item) = call(&ann.api, &server, "media", &[("id", shared.id.as_str())]).await;
    assert_eq!(item["favourite"], false);
    let (_, item) = call(&bob.api, &server, "media", &[("id", shared.id.as_str())]).await;
    assert_eq!(item["favourite"], true);

    let form = [("id", shared.id.as_str()), ("favourite", "false")];
    assert_eq!(
        call(&bob.api, &server, "set_favourite", &form).await.0,
        StatusCode::OK
    );
    let (_, page) = call(&bob.api, &server, "list_library", &favourites).await;
    assert_eq!(ids(&page), Vec::<String>::new());
    // Visitors have none.
    let visitor = reqwest::Client::new();
    let form = [("id", shared.id.as_str()), ("favourite", "true")];
    let (status, answer) = call(&visitor, &server, "set_favourite", &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
}
