//! `/api/events`: live processing changes as server-sent events.

use std::time::Duration;

use crate::common::{TestServer, tone_wav};
use futures_util::StreamExt;
use reel::model::{MediaEvent, MediaState, UploadResponse};

/// Reads SSE frames until one `media` event satisfies `done`; returns all seen.
pub(crate) async fn read_until(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    done: impl Fn(&MediaEvent) -> bool,
) -> Vec<MediaEvent> {
    let (seen, finished) = read_frames(body, done).await;
    assert!(finished, "the stream ended first; saw {seen:?}");
    seen
}

/// Reads SSE frames until the stream ends (the server stopped); the `media`
/// events seen.
pub(crate) async fn read_to_end(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
) -> Vec<MediaEvent> {
    read_frames(body, |_| false).await.0
}

async fn read_frames(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    done: impl Fn(&MediaEvent) -> bool,
) -> (Vec<MediaEvent>, bool) {
    let mut buffer = String::new();
    let mut seen = Vec::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            break;
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if !frame.lines().any(|l| l == "event: media") {
                continue;
            }
            let data = frame
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect::<String>();
            let event: MediaEvent = serde_json::from_str(&data).expect("event json");
            let finished = done(&event);
            seen.push(event);
            if finished {
                return (seen, true);
            }
        }
    }
    (seen, false)
}

#[tokio::test]
async fn processing_changes_stream_to_subscribers_until_the_server_stops() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/events"))
        .send()
        .await
        .expect("subscribe");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();

    let media = tempfile::tempdir().expect("tmp");
    let created: UploadResponse = server
        .upload(&tone_wav(media.path(), 2))
        .await
        .json()
        .await
        .expect("json");
    let seen = read_until(&mut body, |e| {
        e.id == created.id && e.state == MediaState::Ready
    })
    .await;
    let ours: Vec<_> = seen.iter().filter(|e| e.id == created.id).collect();
    assert!(
        ours.iter()
            .any(|e| e.state == MediaState::Processing && e.progress.is_some()),
        "{ours:?}"
    );
    assert!(ours.last().expect("an event").changed);

    // A filtered stream sees only its item; then stopping the server ends it
    // instead of waiting for the browser to hang up.
    let other = server
        .client
        .get(server.url(&format!("/api/events?id={}", created.id)))
        .send()
        .await
        .expect("subscribe");
    let mut other = other.bytes_stream();
    let stopping = tokio::spawn(server.stop());
    let stopped = tokio::time::timeout(Duration::from_secs(20), stopping).await;
    assert!(
        stopped.is_ok(),
        "the server stopped with event streams open"
    );
    while let Some(chunk) = other.next().await {
        if chunk.is_err() {
            break;
        }
    }
}
