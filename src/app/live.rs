//! Live item changes: one `EventSource` on `/api/events`, opened once the app
//! has hydrated and shared by every page through context. It keeps the latest
//! event per item; pages read an item's live status from it and fetch the item
//! again when an event says its state or its derived files changed.
//!
//! On the server nothing connects: pages render what the item says, and the
//! browser renders the same until the first event arrives.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{MediaEvent, MediaState, Progress};

/// Where an item's processing stands, as shown.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Status {
    pub state: MediaState,
    pub progress: Option<Progress>,
}

/// An event and the order it arrived in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Seen {
    pub seq: u64,
    pub event: MediaEvent,
}

/// The event stream's health; pages poll slowly while it is `Broken`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Connecting,
    Open,
    Broken,
}

#[derive(Clone, Copy)]
pub(crate) struct Live {
    seen: RwSignal<HashMap<String, Seen>>,
    last_seq: RwSignal<u64>,
    /// Counts `open`s: a reconnect may have missed events.
    opens: RwSignal<u32>,
    /// Counts `resync` events: the server dropped events for us.
    resyncs: RwSignal<u32>,
    stream: RwSignal<Stream>,
}

impl Live {
    fn new() -> Self {
        Live {
            seen: RwSignal::new(HashMap::new()),
            last_seq: RwSignal::new(0),
            opens: RwSignal::new(0),
            resyncs: RwSignal::new(0),
            stream: RwSignal::new(Stream::Connecting),
        }
    }

    /// Makes the shared client for the app (call once, in `App`); in the
    /// browser it connects after hydration and closes with the app.
    pub(crate) fn provide() -> Self {
        let live = Live::new();
        provide_context(live);
        #[cfg(feature = "hydrate")]
        {
            let connection = StoredValue::new_local(None::<client::Connection>);
            Effect::new(move |_| {
                if connection.with_value(Option::is_none) {
                    connection.set_value(client::connect(live));
                }
            });
            on_cleanup(move || {
                // Closes the EventSource (Drop) and releases its handlers.
                let _ = connection.try_update_value(Option::take);
            });
        }
        live
    }

    /// The app's client; a disconnected one where none was provided.
    pub(crate) fn get() -> Self {
        use_context::<Live>().unwrap_or_else(Live::new)
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn receive(&self, event: MediaEvent) {
        let seq = self.last_seq.get_untracked() + 1;
        self.last_seq.set(seq);
        self.seen.update(|seen| {
            seen.insert(event.id.to_string(), Seen { seq, event });
        });
    }

    /// True while the event stream is down (after an error, until it reopens).
    pub(crate) fn broken(&self) -> bool {
        self.stream.get() == Stream::Broken
    }

    /// An item's status: the latest event about it, else what the item says.
    pub(crate) fn status(
        self,
        id: String,
        item: impl Fn() -> Status + Send + Sync + 'static,
    ) -> Memo<Status> {
        Memo::new(move |_| {
            let live = self.seen.with(|seen| {
                seen.get(&id).map(|s| Status {
                    state: s.event.state.clone(),
                    progress: s.event.progress.clone(),
                })
            });
            live.unwrap_or_else(&item)
        })
    }

    /// Calls `refetch` when events show that something the page shows is out
    /// of date: `shown` lists the items on the page with the state they are
    /// shown in (`None` while loading); `include_new` also counts events
    /// about items not on the page (the library lists them all). Also after a
    /// reconnect or a resync, and once the stream first opens (or at once,
    /// when it is already open) if anything shown is processing: events may
    /// have gone by before it opened or before the page followed it.
    pub(crate) fn follow(
        self,
        shown: impl Fn() -> Option<Vec<(String, MediaState)>> + Send + Sync + 'static,
        include_new: bool,
        refetch: impl Fn() + Send + Sync + 'static,
    ) {
        let shown = std::sync::Arc::new(shown);
        let refetch = std::sync::Arc::new(refetch);
        let handled = StoredValue::new(self.last_seq.get_untracked());
        {
            let (shown, refetch) = (shown.clone(), refetch.clone());
            Effect::new(move |_| {
                let decision = self.seen.with(|seen| {
                    let shown = untrack(|| shown())?;
                    let since = handled.get_value();
                    let newest = seen.values().map(|s| s.seq).max().unwrap_or(since);
                    Some((needs_fetch(&shown, seen, since, include_new), newest))
                });
                if let Some((fetch, newest)) = decision {
                    handled.set_value(newest.max(handled.get_value()));
                    if fetch {
                        refetch();
                    }
                }
            });
        }
        Effect::new(move |before: Option<(u32, u32)>| {
            let now = (self.opens.get(), self.resyncs.get());
            let busy = || {
                untrack(|| shown())
                    .is_some_and(|items| items.iter().any(|(_, s)| *s == MediaState::Processing))
            };
            match before {
                Some((opens, resyncs)) => {
                    let reopened = now.0 > opens && now.0 > 1;
                    let first_open = now.0 > opens && now.0 == 1;
                    if now.1 > resyncs || reopened || (first_open && busy()) {
                        refetch();
                    }
                }
                // A page that starts following a stream that is already
                // open (opened by client-side navigation, or hydrated after
                // its wasm piece loaded) missed whatever went by between its
                // fetch and now: if it shows processing, it fetches again.
                None => {
                    if now.0 >= 1 && busy() {
                        refetch();
                    }
                }
            }
            now
        });
    }
}

/// Whether events newer than `since` make the shown items stale: an item's
/// derived files changed, its state differs from the one shown, or (with
/// `include_new`) it is not shown at all.
pub(crate) fn needs_fetch(
    shown: &[(String, MediaState)],
    seen: &HashMap<String, Seen>,
    since: u64,
    include_new: bool,
) -> bool {
    seen.values().filter(|s| s.seq > since).any(|s| {
        let shown_state = shown
            .iter()
            .find(|(id, _)| id == s.event.id.as_str())
            .map(|(_, state)| state);
        match shown_state {
            Some(state) => s.event.changed || *state != s.event.state,
            None => include_new,
        }
    })
}

/// Processing progress as a whole percentage, 0 to 100.
pub(crate) fn percent(fraction: f64) -> u32 {
    if fraction.is_nan() {
        return 0;
    }
    (fraction.clamp(0.0, 1.0) * 100.0).floor() as u32
}

#[cfg(feature = "hydrate")]
mod client {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    use super::{Live, Stream};
    use crate::model::MediaEvent;
    use leptos::prelude::*;

    type Handler = Closure<dyn FnMut(web_sys::Event)>;

    /// An open EventSource and the handlers it calls; closed on drop.
    pub struct Connection {
        source: EventSource,
        _handlers: Vec<Handler>,
    }

    impl Drop for Connection {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    pub fn connect(live: Live) -> Option<Connection> {
        let source = EventSource::new("/api/events").ok()?;
        let on_media: Handler = Closure::new(move |event: web_sys::Event| {
            let Some(text) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            else {
                return;
            };
            match serde_json::from_str::<MediaEvent>(&text) {
                Ok(event) => live.receive(event),
                Err(e) => leptos::logging::warn!("unreadable media event: {e}"),
            }
        });
        let on_resync: Handler = Closure::new(move |_| live.resyncs.update(|n| *n += 1));
        let on_open: Handler = Closure::new(move |_| {
            live.stream.set(Stream::Open);
            live.opens.update(|n| *n += 1);
        });
        // The browser reconnects by itself (after the server's `retry`);
        // until then pages fall back to polling.
        let on_error: Handler = Closure::new(move |_| live.stream.set(Stream::Broken));
        for (name, handler) in [
            ("media", &on_media),
            ("resync", &on_resync),
            ("open", &on_open),
            ("error", &on_error),
        ] {
            let _ = source.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        }
        Some(Connection {
            source,
            _handlers: vec![on_media, on_resync, on_open, on_error],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobKind, MediaId};

    const A: &str = "0195f3c2a1b24c6d8e9f0a1b2c3d4e5a";
    const B: &str = "0195f3c2a1b24c6d8e9f0a1b2c3d4e5b";

    fn seen(seq: u64, id: &str, state: MediaState, changed: bool) -> (String, Seen) {
        let event = MediaEvent {
            id: MediaId::parse(id).expect("an id"),
            state,
            progress: None,
            changed,
        };
        (id.into(), Seen { seq, event })
    }

    #[test]
    fn events_on_the_wire_read_back() {
        let event = MediaEvent {
            id: MediaId::parse(A).expect("an id"),
            state: MediaState::Processing,
            progress: Some(Progress {
                stage: JobKind::Playable,
                fraction: 0.25,
                eta_secs: Some(3.5),
                retrying: false,
            }),
            changed: false,
        };
        let json = serde_json::to_string(&event).expect("encode");
        assert!(json.contains("\"state\":\"processing\""), "{json}");
        assert_eq!(
            serde_json::from_str::<MediaEvent>(&json).expect("decode"),
            event
        );
        let failed = r#"{"id":"0195f3c2a1b24c6d8e9f0a1b2c3d4e5c","state":"failed","reason":"No video","progress":null,"changed":true}"#;
        let failed: MediaEvent = serde_json::from_str(failed).expect("decode failed");
        assert_eq!(failed.state, MediaState::Failed("No video".into()));
    }

    #[test]
    fn fetches_only_for_news_about_what_is_shown() {
        let shown = vec![(A.to_string(), MediaState::Processing)];
        let progress_only: HashMap<_, _> = [seen(1, A, MediaState::Processing, false)].into();
        assert!(!needs_fetch(&shown, &progress_only, 0, true));
        let changed: HashMap<_, _> = [seen(2, A, MediaState::Processing, true)].into();
        assert!(needs_fetch(&shown, &changed, 0, false));
        assert!(!needs_fetch(&shown, &changed, 2, false), "already handled");
        let ready: HashMap<_, _> = [seen(3, A, MediaState::Ready, false)].into();
        assert!(needs_fetch(&shown, &ready, 0, false));
        let other: HashMap<_, _> = [seen(4, B, MediaState::Processing, false)].into();
        assert!(
            needs_fetch(&shown, &other, 0, true),
            "a new item for the library"
        );
        assert!(
            !needs_fetch(&shown, &other, 0, false),
            "not this page's item"
        );
    }

    #[test]
    fn percent_is_whole_and_bounded() {
        assert_eq!(percent(0.0), 0);
        assert_eq!(percent(0.499), 49);
        assert_eq!(percent(1.0), 100);
        assert_eq!(percent(1.7), 100);
        assert_eq!(percent(-0.2), 0);
        assert_eq!(percent(f64::NAN), 0);
    }
}
