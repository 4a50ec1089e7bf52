//! Tags people give items (labels in the code) and favourites on the page:
//! chips that open the library filtered by that tag, a field that adds tags
//! (several at once, separated by commas) and a × on each chip for people
//! who may change the item, and a star for anyone signed in.

use leptos::prelude::*;

use super::account::Session;
use crate::library::LibraryQuery;
use crate::model::MediaItem;
use crate::model::labels::{clean_labels, split_labels};

/// The library filtered by `label`.
pub(crate) fn label_href(label: &str) -> String {
    LibraryQuery {
        label: label.to_string(),
        ..LibraryQuery::default()
    }
    .href("/")
}

/// The chips of a card: links to the library filtered by each tag.
pub(crate) fn label_chips(labels: &[String]) -> impl IntoView + use<> {
    (!labels.is_empty()).then(|| {
        let chips = labels
            .iter()
            .map(|label| {
                view! {
                    <li><a class="chip" data-testid="label-chip" href=label_href(label)>{label.clone()}</a></li>
                }
            })
            .collect_view();
        view! { <ul class="chips" aria-label="Tags">{chips}</ul> }
    })
}

/// An item's tags on its page, editable by those who may change it.
#[component]
pub(crate) fn LabelsPanel(
    id: String,
    item: Memo<MediaItem>,
    can_change: bool,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let save = move |labels: Vec<String>| {
        // Said at once when a tag breaks a rule; the server decides anyway.
        if let Err(message) = clean_labels(&labels) {
            error.set(Some(message));
            return;
        }
        busy.set(true);
        let id = id.get_value();
        leptos::task::spawn_local(async move {
            match crate::api::set_labels(id, labels).await {
                Ok(saved) => {
                    error.set(None);
                    typed.set(String::new());
                    on_saved.run(saved);
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut labels = item.with_untracked(|i| i.labels.clone());
        let new = split_labels(&typed.get_untracked());
        if new.is_empty() {
            return;
        }
        labels.extend(new);
        save(labels);
    };
    let chips = move || {
        item.with(|i| i.labels.clone())
            .into_iter()
            .map(|label| {
                let remove = {
                    let label = label.clone();
                    move |_| {
                        let labels = item.with_untracked(|i| i.labels.clone());
                        save(labels.into_iter().filter(|l| *l != label).collect());
                    }
                };
                view! {
                    <li class="chip-with-action">
                        <a class="chip" data-testid="label-chip" href=label_href(&label)>{label.clone()}</a>
                        {can_change.then(|| view! {
                            <button type="button" class="chip-remove" data-testid="label-remove"
                                aria-label=format!("Remove the tag {label}")
                                disabled=move || busy.get() on:click=remove.clone()>"×"</button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let any = move || item.with(|i| !i.labels.is_empty());
    view! {
        <section class="labels" data-testid="labels" aria-label="Tags">
            {move || (any() || can_change).then(|| view! { <h2 class="small-heading">"Tags"</h2> })}
            <ul class="chips">{chips}</ul>
            {can_change.then(|| view! {
                <form class="label-form" on:submit=add>
                    <label class="visually-hidden" for="label-input">"Add tags"</label>
                    <input id="label-input" data-testid="label-input" type="text"
                        placeholder="Add tags, separated by commas" maxlength="400"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                    <button type="submit" class="row-button" data-testid="label-add"
                        disabled=move || busy.get()>"Add"</button>
                </form>
            })}
            {move || error.get().map(|message| view! {
                <p class="field-error" role="alert" data-testid="label-error">{message}</p>
            })}
        </section>
    }
}

/// The favourite star, for anyone signed in.
#[component]
pub(crate) fn FavouriteButton(
    id: String,
    item: Memo<MediaItem>,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let session = Session::get();
    let id = StoredValue::new(id);
    let busy = RwSignal::new(false);
    let toggle = move |_| {
        let on = !item.with_untracked(|i| i.favourite);
        busy.set(true);
        let id = id.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(saved) = crate::api::set_favourite(id, on).await {
                on_saved.run(saved);
            }
            busy.set(false);
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                session.load().await.map(|_| {
                    let on = move || item.with(|i| i.favourite);
                    view! {
                        <button type="button" class="favourite" data-testid="favourite"
                            aria-pressed=move || on().to_string()
                            disabled=move || busy.get() on:click=toggle>
                            {move || if on() { "★ Favourite" } else { "☆ Favourite" }}
                        </button>
                    }
                })
            })}
        </Transition>
    }
}
