//! The access matrix's rows for the HLS ladder: its playlists and
//! renditions follow the same table as every byte route, on both byte
//! paths, and its signed address opens that ladder and nothing else.

use reel::accounts::Visibility;
use reqwest::StatusCode;

use crate::access_matrix::{status_of, world_of};
use crate::common::accounts::call;
use crate::common::hevc_mkv;

/// A ladder's playlists and renditions follow the same table on both byte
/// paths; its signed address (the signature in the path) opens every file
/// of that ladder and nothing else.
#[tokio::test]
async fn ladder_files_follow_the_table() {
    let media = tempfile::tempdir().expect("tmp");
    let hevc = hevc_mkv(media.path(), "tiny.mkv", 2, "160x120");
    for direct_path in [true, false] {
        let w = world_of(direct_path, &hevc).await;
        let s = &w.server;
        for asker in &w.askers {
            for (visibility, item) in &w.items {
                let case = format!("{} on {visibility:?} (direct: {direct_path})", asker.label);
                let id = item.id.as_str();
                let (ok, partial) = if asker.reads(*visibility) {
                    (StatusCode::OK, StatusCode::PARTIAL_CONTENT)
                } else {
                    (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
                };
                let c = &asker.client;
                let master = s.url(&format!("/files/{id}/hls/master.m3u8"));
                assert_eq!(status_of(c.get(&master)).await, ok, "master: {case}");
                assert_eq!(status_of(c.head(&master)).await, ok, "HEAD: {case}");
                let stream = s.url(&format!("/files/{id}/hls/v0.mp4"));
                assert_eq!(
                    status_of(c.get(&stream).header("range", "bytes=0-7")).await,
                    partial,
                    "rendition: {case}"
                );
            }
        }
        // Signed in the path: the owner's address opens the whole ladder for
        // a visitor, and nothing else.
        let visitor = reqwest::Client::new();
        for (visibility, item) in &w.items {
            let (_, seen) = call(&w.owner.api, s, "media", &[("id", item.id.as_str())]).await;
            let address = seen["urls"]["hls"]
                .as_str()
                .expect("an HLS address")
                .to_string();
            let folder = address.strip_suffix("/master.m3u8").expect("master");
            let signed = *visibility != Visibility::Public;
            assert_eq!(
                folder.matches('/').count(),
                3 + usize::from(signed),
                "{address}"
            );
            for file in ["master.m3u8", "v0.m3u8", "v0.mp4", "v1.m3u8"] {
                let url = s.url(&format!("{folder}/{file}"));
                assert_eq!(status_of(visitor.get(&url)).await, StatusCode::OK, "{url}");
            }
            // What a visitor may not read without it (unlisted they may).
            if matches!(visibility, Visibility::Public | Visibility::Unlisted) {
                continue;
            }
            let (base, sig) = folder.rsplit_once('/').expect("sig");
            let tampered = s.url(&format!("{base}/9{sig}/master.m3u8"));
            assert_eq!(
                status_of(visitor.get(&tampered)).await,
                StatusCode::NOT_FOUND
            );
            // The ladder's signature opens no other file of the item.
            let original = s.url(&format!("/files/{}/original?sig={sig}", item.id));
            assert_eq!(
                status_of(visitor.get(&original)).await,
                StatusCode::NOT_FOUND
            );
            // Nor opens another file's signature the ladder.
            let poster_sig = seen["urls"]["original"]
                .as_str()
                .and_then(|u| u.split_once("sig="))
                .map(|(_, sig)| sig.to_string())
                .expect("a signed original");
            let borrowed = s.url(&format!("{base}/{poster_sig}/master.m3u8"));
            assert_eq!(
                status_of(visitor.get(&borrowed)).await,
                StatusCode::NOT_FOUND
            );
        }
    }
}
