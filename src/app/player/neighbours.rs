//! The items before and after one in the library (previous/next links and
//! the `n`/`p` keys).

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::belongs_to_focus;
use crate::error::ApiError;
use crate::library::Neighbours;

/// Links to the items before and after this one (also on the `n` and `p`
/// keys). Reads its resource inside a `Transition`.
#[component]
pub(crate) fn NeighbourLinks(neighbours: Resource<Result<Neighbours, ApiError>>) -> impl IntoView {
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
