//! Many items at once: each item with the rights it has alone, an item the
//! asker may not change reported by itself (the rest done), a request wrong
//! as a whole refused before anything changes.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::accounts::{User, call, call_json, upload_as};
use crate::common::{TestServer, own_bytes, sine_wav};
use reel::accounts::{Role, Visibility};

#[tokio::test]
async fn one_request_changes_many_items_and_says_which_it_could_not() {
    let server = TestServer::start().await;
    let ann = User::new(&server, "ann", Role::Member).await;
    let bob = User::new(&server, "bob", Role::Member).await;
    let song = sine_wav(500.0, 4_800);
    let mut mine = Vec::new();
    for _ in 0..3 {
        let item = upload_as(&ann.api, &server, own_bytes(song.clone()), None).await;
        mine.push(item.id.to_string());
    }
    let bobs_private = upload_as(&bob.api, &server, own_bytes(song.clone()), None).await;
    let bobs_internal = upload_as(
        &bob.api,
        &server,
        own_bytes(song),
        Some(Visibility::Internal),
    )
    .await;
    server.hooks.wait_idle().await;

    // Tags on three of ann's and two of bob's: bob's private one is missing
    // to her, his internal one only hers to see.
    let mut ids = mine.clone();
    ids.push(bobs_private.id.to_string());
    ids.push(bobs_internal.id.to_string());
    ids.push("not-an-id".to_string());
    let body =
        json!({ "ids": ids, "action": { "action": "add_labels", "labels": ["trip", "2024"] } });
    let (status, report) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["done"], 3, "{report}");
    let failed: Vec<(String, String)> = report["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().expect("id").to_string(),
                f["error"]["code"].as_str().expect("code").to_string(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            ("not-an-id".to_string(), "not-found".to_string()),
            (bobs_private.id.to_string(), "not-found".to_string()),
            (bobs_internal.id.to_string(), "forbidden".to_string()),
        ]
    );
    let (_, page) = call(&ann.api, &server, "list_library", &[("label", "trip")]).await;
    assert_eq!(page["total"], 3, "{page}");
    let (_, item) = call(
        &bob.api,
        &server,
        "media",
        &[("id", bobs_internal.id.as_str())],
    )
    .await;
    assert_eq!(item["labels"], json!([]));

    // Off again, from two of them; then visibility for all three.
    let body =
        json!({ "ids": mine[..2], "action": { "action": "remove_labels", "labels": ["TRIP"] } });
    let (_, report) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(report["done"], 2, "{report}");
    let (_, page) = call(&ann.api, &server, "list_library", &[("label", "trip")]).await;
    assert_eq!(page["total"], 1, "{page}");
    let body =
        json!({ "ids": mine, "action": { "action": "set_visibility", "visibility": "internal" } });
    let (_, report) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(report["done"], 3, "{report}");
    let (_, page) = call(&bob.api, &server, "list_library", &[]).await;
    assert_eq!(page["total"], 5, "bob now sees ann's three: {page}");

    // Wrong as a whole: nothing is touched.
    let body = json!({ "ids": mine, "action": { "action": "add_labels", "labels": ["a,b"] } });
    let (status, answer) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let many: Vec<String> = (0..501).map(|_| mine[0].clone()).collect();
    let body = json!({ "ids": many, "action": { "action": "retry" } });
    let (status, answer) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    // Delete: bob cannot delete ann's (now internal: he sees them), ann can.
    let body = json!({ "ids": mine, "action": { "action": "delete" } });
    let (_, report) = call_json(&bob.api, &server, "bulk", &body).await;
    assert_eq!(report["done"], 0, "{report}");
    assert_eq!(
        report["failed"][0]["error"]["code"], "forbidden",
        "{report}"
    );
    let (_, report) = call_json(&ann.api, &server, "bulk", &body).await;
    assert_eq!(report["done"], 3, "{report}");
    assert_eq!(server.hooks.item_count().await, 2);
}
