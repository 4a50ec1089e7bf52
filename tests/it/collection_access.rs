//! The access matrix for collections: one playlist per visibility holding
//! an item of every visibility, asked about by every kind of asker. A
//! collection is read, listed and changed by an item's rules, and shows
//! (and zips) only the items its viewer may read. Every collection route
//! and server function has a row here.

use reqwest::StatusCode;
use serde_json::json;

use crate::access_matrix::{status_of, world_of};
use crate::common::accounts::{call, call_json};
use crate::common::tone_wav;
use reel::accounts::{Role, Visibility};

#[tokio::test]
async fn collections_match_the_table() {
    let media = tempfile::tempdir().expect("tmp");
    let w = world_of(false, &tone_wav(media.path(), 1)).await;
    let s = &w.server;
    let item_ids: Vec<&str> = w.items.iter().map(|(_, i)| i.id.as_str()).collect();
    let mut lists = Vec::new();
    for visibility in Visibility::ALL {
        let body = json!({ "name": format!("{visibility:?}"), "kind": "playlist" });
        let (status, made) = call_json(&w.owner.browser, s, "create_collection", &body).await;
        assert_eq!(status, StatusCode::OK, "{made}");
        let id = made["id"].as_str().expect("id").to_string();
        let change = json!({ "id": id, "change": { "visibility": visibility.as_str() } });
        let (status, _) = call_json(&w.owner.browser, s, "update_collection", &change).await;
        assert_eq!(status, StatusCode::OK);
        let add =
            json!({ "ids": item_ids, "action": { "action": "add_to_playlist", "playlist": id } });
        let (_, report) = call_json(&w.owner.browser, s, "bulk", &add).await;
        assert_eq!(report["done"], 4, "{report}");
        lists.push((visibility, id));
    }
    for asker in &w.askers {
        let c = &asker.client;
        // Making one: members and admins; viewers may not; visitors sign in first.
        let body = json!({ "name": "mine", "kind": "playlist" });
        let expected = match asker.role {
            None => StatusCode::UNAUTHORIZED,
            Some(Role::Viewer) => StatusCode::FORBIDDEN,
            Some(_) => StatusCode::OK,
        };
        let (status, _) = call_json(c, s, "create_collection", &body).await;
        assert_eq!(status, expected, "create: {}", asker.label);
        let (_, listed) = call(c, s, "list_collections", &[]).await;
        let readable: Vec<&str> = (w.items.iter())
            .filter(|(v, _)| asker.reads(*v))
            .map(|(_, i)| i.id.as_str())
            .collect();
        for (visibility, id) in &lists {
            let case = format!("{} on {visibility:?}", asker.label);
            let is_listed = listed
                .as_array()
                .is_some_and(|all| all.iter().any(|c| c["id"] == id.as_str()));
            assert_eq!(is_listed, asker.lists(*visibility), "listed: {case}");
            let reads = asker.reads(*visibility);
            let (status, view) = call(c, s, "get_collection", &[("id", id)]).await;
            let ok = if reads {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, ok, "get: {case}");
            let zip = status_of(c.get(s.url(&format!("/collections/{id}/download")))).await;
            assert_eq!(zip, ok, "zip: {case}");
            if reads {
                let mut shown: Vec<&str> = view["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .filter_map(|i| i["id"].as_str())
                    .collect();
                shown.sort_unstable();
                let mut expected = readable.clone();
                expected.sort_unstable();
                assert_eq!(shown, expected, "items shown: {case}");
                let body = c
                    .get(s.url(&format!("/collections/{id}/download")))
                    .send()
                    .await
                    .expect("zip")
                    .bytes()
                    .await
                    .expect("body");
                let members = body.windows(4).filter(|w| *w == b"PK\x03\x04").count();
                assert_eq!(members, readable.len(), "zip members: {case}");
            }
            let expected = match (reads, asker.changes()) {
                (_, true) => StatusCode::OK,
                (true, false) => StatusCode::FORBIDDEN,
                (false, false) => StatusCode::NOT_FOUND,
            };
            let rename = json!({ "id": id, "change": { "name": format!("{visibility:?}") } });
            assert_eq!(
                call_json(c, s, "update_collection", &rename).await.0,
                expected,
                "update: {case}"
            );
            let order = [("id", id.as_str()), ("item", item_ids[0])];
            assert_eq!(
                call(c, s, "move_in_playlist", &order).await.0,
                expected,
                "move: {case}"
            );
            // Already in it: adding again changes nothing, with the same rights.
            let again = [("id", id.as_str()), ("item", item_ids[1])];
            assert_eq!(
                call(c, s, "add_to_playlist", &again).await.0,
                expected,
                "add: {case}"
            );
            let link = [("id", id.as_str()), ("collection", "true")];
            assert_eq!(
                call(c, s, "create_share", &link).await.0,
                expected,
                "create_share: {case}"
            );
            let shares = [("id", id.as_str()), ("collection", "true")];
            assert_eq!(
                call(c, s, "list_shares", &shares).await.0,
                expected,
                "shares: {case}"
            );
            if !asker.changes() {
                let gone = [("id", id.as_str())];
                assert_eq!(
                    call(c, s, "delete_collection", &gone).await.0,
                    expected,
                    "delete: {case}"
                );
                let out = [("id", id.as_str()), ("item", item_ids[0])];
                assert_eq!(
                    call(c, s, "remove_from_playlist", &out).await.0,
                    expected,
                    "remove: {case}"
                );
            }
        }
    }
}
