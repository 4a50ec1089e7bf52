//! `GET /api/events[?id=<media id>]`: server-sent events for live pages.
//! Every `MediaEvent` the job queue publishes goes out as `event: media` with
//! the event as JSON. A subscriber that fell behind gets `event: resync`
//! (the events it missed are gone: fetch everything again) and carries on.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::model::MediaEvent;
use crate::server::state::AppState;

/// How long a browser waits before it reconnects after losing the stream.
const RECONNECT_AFTER: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    /// Only this item's events.
    id: Option<String>,
}

pub(crate) async fn stream(
    State(state): State<AppState>,
    Query(filter): Query<Filter>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.service.subscribe(&super::actor(&headers));
    // The first frame only sets the reconnect delay; browsers fire `open`
    // on the headers already.
    let hello = Event::default()
        .retry(RECONNECT_AFTER)
        .comment("reel events");
    let events = stream::unfold((receiver, filter.id), |(mut receiver, id)| async move {
        let event = next_event(&mut receiver, id.as_deref()).await?;
        Some((Ok(event), (receiver, id)))
    });
    let stream = futures_util::StreamExt::chain(stream::once(async { Ok(hello) }), events);
    // Streams never end on their own: stop them when the server stops.
    let stream = futures_util::StreamExt::take_until(stream, state.service.closed());
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The next frame for this subscriber; `None` once the server shuts the
/// channel.
async fn next_event(receiver: &mut Receiver<MediaEvent>, id: Option<&str>) -> Option<Event> {
    loop {
        match receiver.recv().await {
            Ok(event) if id.is_some_and(|id| id != event.id.as_str()) => continue,
            Ok(event) => match Event::default().event("media").json_data(&event) {
                Ok(frame) => return Some(frame),
                Err(e) => {
                    tracing::error!(id = %event.id, "cannot encode a media event: {e}");
                    continue;
                }
            },
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "an event stream fell behind");
                return Some(Event::default().event("resync").data(missed.to_string()));
            }
            Err(RecvError::Closed) => return None,
        }
    }
}
