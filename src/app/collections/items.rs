//! A collection's items in order. In a playlist its owner may change, each
//! row can be dragged to a new place, or moved with its handle and the
//! keyboard (Alt+↑ / Alt+↓, or the Up and Down buttons), and taken out. A
//! move shows at once and is sent as "put this before that"; if the server
//! refuses, the page is fetched again.

use leptos::prelude::*;

use crate::api::{move_in_playlist, remove_from_playlist};
use crate::app::now_playing::{QueueButtons, Track};
use crate::format;
use crate::model::MediaItem;

/// `order` with the entry at `from` moved to `to`, and the entry it now
/// sits before (`None`: the end), as the server is told.
fn moved<T: Clone>(order: &mut Vec<T>, from: usize, to: usize) -> Option<T> {
    let entry = order.remove(from);
    let to = to.min(order.len());
    order.insert(to, entry);
    order.get(to + 1).cloned()
}

#[component]
pub(crate) fn ItemList(
    /// The playlist's id when the asker may reorder it.
    playlist: Option<String>,
    items: Vec<MediaItem>,
    refetch: Callback<()>,
    /// Whether titles link to the items' pages (not on a share link's page:
    /// its visitor may open the items only through the link).
    #[prop(default = true)]
    links: bool,
) -> impl IntoView {
    let order = RwSignal::new(items);
    let dragged = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());
    let editable = playlist.is_some();
    let playlist = StoredValue::new(playlist.unwrap_or_default());
    let index_of =
        move |id: &str| order.with_untracked(|o| o.iter().position(|i| i.id.as_str() == id));
    // Moves the item `id` to `to` here and on the server.
    let move_to = move |id: String, to: usize| {
        let Some(from) = index_of(&id) else { return };
        if from == to {
            return;
        }
        let mut next = order.get_untracked();
        let title = next[from].title.clone();
        let before = moved(&mut next, from, to).map(|i| i.id.to_string());
        order.set(next);
        status.set(format!("Moved “{title}” to place {}.", to + 1));
        let call = move_in_playlist(playlist.get_value(), id.clone(), before);
        leptos::task::spawn_local(async move {
            if call.await.is_err() {
                refetch.run(());
            }
        });
        // After the list has moved the row (moving it drops its focus).
        let handle = format!("handle-{id}");
        #[cfg(feature = "hydrate")]
        request_animation_frame(move || crate::app::library::focus_id(&handle));
        #[cfg(not(feature = "hydrate"))]
        let _ = handle;
    };
    let remove = move |id: String| {
        order.update(|o| o.retain(|i| i.id.as_str() != id));
        let call = remove_from_playlist(playlist.get_value(), id);
        leptos::task::spawn_local(async move {
            if call.await.is_err() {
                refetch.run(());
            }
        });
    };
    let row = move |item: MediaItem| {
        let id = item.id.to_string();
        let track = Track::of(&item);
        let position = {
            let id = id.clone();
            move || index_of(&id).map_or(0, |i| i + 1)
        };
        let on_key = {
            let id = id.clone();
            move |ev: leptos::ev::KeyboardEvent| {
                let Some(at) = index_of(&id) else { return };
                let to = match ev.key().as_str() {
                    "ArrowUp" if ev.alt_key() => at.checked_sub(1),
                    "ArrowDown" if ev.alt_key() => Some(at + 1),
                    _ => None,
                };
                if let Some(to) = to {
                    ev.prevent_default();
                    move_to(id.clone(), to);
                }
            }
        };
        let (up, down, gone, start, drop_id) =
            (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
        view! {
            <li
                class="collection-item"
                data-testid="collection-item"
                data-id=id.clone()
                draggable=editable.then_some("true")
                class:dragging={
                    let id = id.clone();
                    move || dragged.get().as_deref() == Some(id.as_str())
                }
                on:dragstart=move |ev| {
                    if let Some(data) = ev.data_transfer() {
                        let _ = data.set_data("text/plain", &start);
                    }
                    dragged.set(Some(start.clone()));
                }
                on:dragend=move |_| dragged.set(None)
                on:dragover=move |ev| if dragged.with_untracked(Option::is_some) { ev.prevent_default() }
                on:drop=move |ev| {
                    ev.prevent_default();
                    let Some(from_id) = dragged.get_untracked() else { return };
                    dragged.set(None);
                    if let Some(to) = index_of(&drop_id) {
                        move_to(from_id, to);
                    }
                }
            >
                {editable.then(|| view! {
                    <button type="button" class="drag-handle" id=format!("handle-{id}") on:keydown=on_key
                        data-testid="move-handle"
                        aria-label=format!("Move “{}” (Alt+Up, Alt+Down)", item.title)
                        title="Drag, or Alt+↑ / Alt+↓">"⠿"</button>
                })}
                <span class="track-number muted">{position}</span>
                {if links {
                    view! { <a href=item.urls.page.clone() class="track-title" data-testid="collection-item-title">{item.title.clone()}</a> }.into_any()
                } else {
                    view! { <span class="track-title" data-testid="collection-item-title">{item.title.clone()}</span> }.into_any()
                }}
                <span class="track-length muted">{item.duration_secs.map(format::duration)}</span>
                {track.map(|track| view! { <QueueButtons track/> })}
                {editable.then(|| view! {
                    <span class="row-actions">
                        <button type="button" class="row-button" aria-label="Move up"
                            on:click=move |_| if let Some(at) = index_of(&up).filter(|at| *at > 0) { move_to(up.clone(), at - 1) }>"↑"</button>
                        <button type="button" class="row-button" aria-label="Move down"
                            on:click=move |_| if let Some(at) = index_of(&down) { move_to(down.clone(), at + 1) }>"↓"</button>
                        <button type="button" class="row-button danger" data-testid="collection-remove"
                            on:click=move |_| remove(gone.clone())>"Remove"</button>
                    </span>
                })}
            </li>
        }
    };
    view! {
        <ol class="collection-items" data-testid="collection-items">
            <For each=move || order.get() key=|item| item.id.to_string() children=row/>
        </ol>
        <p class="visually-hidden" role="status" aria-live="polite">{move || status.get()}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_says_what_the_entry_now_comes_before() {
        let mut order = vec!["a", "b", "c", "d"];
        assert_eq!(moved(&mut order, 0, 2), Some("d"));
        assert_eq!(order, ["b", "c", "a", "d"]);
        assert_eq!(moved(&mut order, 1, 9), None);
        assert_eq!(order, ["b", "a", "d", "c"]);
        assert_eq!(moved(&mut order, 3, 0), Some("b"));
        assert_eq!(order, ["c", "b", "a", "d"]);
    }
}
