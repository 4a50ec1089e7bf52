//! `GET /api/events[?id=<media id>]`: server-sent events for live pages.
//! Every `MediaEvent` the job queue publishes goes out as `event: media` with
//! the event as JSON. A subscriber that fell behind gets `event: resync`
//! (the events it missed are gone: fetch everything again) and carries on.
//! Each subscriber hears only of items it may list, or of the one item it
//! follows (`?id=`) if it may read that one (`Service::hears`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::server::service::{Actor, ItemEvent, Service};
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
    // Credentials that do not hold (or a database that cannot say) make an
    // anonymous subscriber, who hears what visitors may.
    let actor = super::actor(&state, &headers)
        .await
        .unwrap_or(Actor::Anonymous);
    let receiver = state.service.subscribe(&actor);
    let service = state.service.clone();
    // The first frame only sets the reconnect delay; browsers fire `open`
    // on the headers already.
    let hello = Event::default()
        .retry(RECONNECT_AFTER)
        .comment("reel events");
    let listener = Listener {
        service,
        actor,
        id: filter.id,
    };
    let events = stream::unfold(
        (receiver, listener),
        |(mut receiver, listener)| async move {
            let event = listener.next_event(&mut receiver).await?;
            Some((Ok(event), (receiver, listener)))
        },
    );
    let stream = futures_util::StreamExt::chain(stream::once(async { Ok(hello) }), events);
    // Streams never end on their own: stop them when the server stops.
    let stream = futures_util::StreamExt::take_until(stream, state.service.closed());
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// One subscriber: who it is and which item it follows, if one.
struct Listener {
    service: Service,
    actor: Actor,
    id: Option<String>,
}

impl Listener {
    /// Whether this subscriber is sent `event`.
    fn hears(&self, event: &ItemEvent) -> bool {
        match &self.id {
            Some(id) if id != event.event.id.as_str() => false,
            followed => self
                .service
                .hears(&self.actor, &event.access, followed.is_some()),
        }
    }

    /// The next frame for this subscriber; `None` once the server shuts the
    /// channel.
    async fn next_event(&self, receiver: &mut Receiver<ItemEvent>) -> Option<Event> {
        next_event(receiver, |event| self.hears(event)).await
    }
}

async fn next_event(
    receiver: &mut Receiver<ItemEvent>,
    hears: impl Fn(&ItemEvent) -> bool,
) -> Option<Event> {
    loop {
        match receiver.recv().await {
            Ok(item) if !hears(&item) => continue,
            Ok(ItemEvent { event, .. }) => {
                match Event::default().event("media").json_data(&event) {
                    Ok(frame) => return Some(frame),
                    Err(e) => {
                        tracing::error!(id = %event.id, "cannot encode a media event: {e}");
                        continue;
                    }
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "an event stream fell behind");
                return Some(Event::default().event("resync").data(missed.to_string()));
            }
            Err(RecvError::Closed) => return None,
        }
    }
}
