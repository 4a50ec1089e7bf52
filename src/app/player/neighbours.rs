//! The items before and after one in the library (previous/next links and
//! the `n`/`p` keys).

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde::{Deserialize, Serialize};

use super::belongs_to_focus;
use crate::error::ApiError;

/// An item next to this one in the library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub id: String,
    pub title: String,
}

impl Neighbour {
    pub fn href(&self) -> String {
        // Ids are server-made hex; nothing to escape.
        format!("/media/{}", self.id)
    }
}

/// The items either side of one in the library's order (newest first):
/// `previous` is newer, `next` older.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

/// The items before and after `id` in the library; none for an unknown id.
#[server(endpoint = "media_neighbours")]
pub async fn media_neighbours(id: String) -> Result<Neighbours, ApiError> {
    use crate::server::db::neighbours::Neighbour as Row;
    use crate::server::error::Error;
    use crate::server::store::MediaId;
    let state = crate::server::http::app_state()?;
    let Some(id) = MediaId::parse(&id) else {
        return Ok(Neighbours::default());
    };
    let (previous, next) = state.repo.neighbours(&id).await.map_err(Error::from)?;
    let link = |row: Row| Neighbour {
        id: row.id,
        title: row.title,
    };
    Ok(Neighbours {
        previous: previous.map(link),
        next: next.map(link),
    })
}

/// Links to the items before and after this one (also on the `n` and `p`
/// keys). Reads its resource inside a `Transition`.
#[component]
pub fn NeighbourLinks(neighbours: Resource<Result<Neighbours, ApiError>>) -> impl IntoView {
    let navigate = use_navigate();
    let keys = window_event_listener(ev::keydown, move |ev| {
        let key = ev.key();
        if !matches!(key.as_str(), "n" | "N" | "p" | "P") || belongs_to_focus(&ev) {
            return;
        }
        let Some(Ok(found)) = neighbours.try_get_untracked().flatten() else {
            return;
        };
        let to = if key.eq_ignore_ascii_case("n") {
            found.next
        } else {
            found.previous
        };
        if let Some(to) = to {
            ev.prevent_default();
            navigate(&to.href(), Default::default());
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <nav class="neighbours" aria-label="Other items">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let found = neighbours.await.unwrap_or_default();
                    let previous = found.previous.map(|item| {
                        view! {
                            <a
                                class="neighbour previous"
                                data-testid="previous-item"
                                rel="prev"
                                href=item.href()
                                aria-label=format!("Previous item (newer): {}", item.title)
                                aria-keyshortcuts="p"
                            >
                                <span class="neighbour-dir" aria-hidden="true">"← Previous"</span>
                                <span class="neighbour-title">{item.title.clone()}</span>
                            </a>
                        }
                    });
                    let next = found.next.map(|item| {
                        view! {
                            <a
                                class="neighbour next"
                                data-testid="next-item"
                                rel="next"
                                href=item.href()
                                aria-label=format!("Next item (older): {}", item.title)
                                aria-keyshortcuts="n"
                            >
                                <span class="neighbour-dir" aria-hidden="true">"Next →"</span>
                                <span class="neighbour-title">{item.title.clone()}</span>
                            </a>
                        }
                    });
                    view! { {previous} {next} }
                })}
            </Transition>
        </nav>
    }
}
