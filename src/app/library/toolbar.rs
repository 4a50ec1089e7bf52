//! Search, sort and filters. Each control only changes the URL (back to page
//! 1); the page follows the URL. The search answers as the person types,
//! 250 ms after the last key, replacing the history entry so Back does not
//! walk through every letter. Without JavaScript the toolbar is a plain GET
//! form: Enter in the search box submits it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::app::account::Session;
use crate::library::{LibraryQuery, MAX_SEARCH_CHARS, Sort, StateFilter};
use crate::model::MediaKind;
use crate::model::labels::LabelCount;

/// How long the search waits after the last key.
#[cfg(feature = "hydrate")]
const SEARCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(250);

#[component]
pub(crate) fn Toolbar(query: Memo<LibraryQuery>) -> impl IntoView {
    let navigate = use_navigate();
    // Goes to the first page of `next`; `replace` keeps history short.
    let go = move |next: LibraryQuery, replace: bool| {
        let next = next.with_page(1);
        if query.with_untracked(|q| *q != next) {
            navigate(
                &next.href("/"),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..NavigateOptions::default()
                },
            );
        }
    };

    let initial = query.get_untracked();
    // What the search box holds; the URL catches up after the pause.
    let text = RwSignal::new(initial.q.clone());
    // The URL changed by other means (Back, a link): show its search.
    Effect::new(move |_| {
        let q = query.with(|q| q.q.clone());
        if text.with_untracked(|t| t.trim() != q) {
            text.set(q);
        }
    });

    #[cfg(feature = "hydrate")]
    let pending = StoredValue::new_local(None::<TimeoutHandle>);
    #[cfg(feature = "hydrate")]
    let cancel_pending = move || {
        if let Some(handle) = pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    #[cfg(feature = "hydrate")]
    on_cleanup(cancel_pending);

    let search_now = {
        let go = go.clone();
        move || {
            #[cfg(feature = "hydrate")]
            cancel_pending();
            let q = text.get_untracked();
            go(
                LibraryQuery {
                    q,
                    ..query.get_untracked()
                },
                true,
            );
        }
    };
    let on_input = {
        let search_now = search_now.clone();
        move |ev| {
            text.set(event_target_value(&ev));
            #[cfg(feature = "hydrate")]
            {
                cancel_pending();
                if let Ok(handle) = set_timeout_with_handle(search_now.clone(), SEARCH_DEBOUNCE) {
                    pending.set_value(Some(handle));
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = &search_now;
        }
    };
    let on_submit = {
        let search_now = search_now.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            search_now();
        }
    };
    let on_sort = {
        let go = go.clone();
        move |ev| {
            let sort = Sort::parse(&event_target_value(&ev)).unwrap_or_default();
            go(
                LibraryQuery {
                    sort,
                    ..query.get_untracked()
                },
                false,
            );
        }
    };
    let on_kind = {
        let go = go.clone();
        move |ev| {
            let kind = MediaKind::parse(&event_target_value(&ev));
            go(
                LibraryQuery {
                    kind,
                    ..query.get_untracked()
                },
                false,
            );
        }
    };
    let on_state = {
        let go = go.clone();
        move |ev| {
            let state = StateFilter::parse(&event_target_value(&ev));
            go(
                LibraryQuery {
                    state,
                    ..query.get_untracked()
                },
                false,
            );
        }
    };
    let on_label = {
        let go = go.clone();
        move |ev| {
            let label = event_target_value(&ev);
            go(
                LibraryQuery {
                    label,
                    ..query.get_untracked()
                },
                false,
            );
        }
    };
    let on_favourites = move |ev| {
        let favourites = event_target_checked(&ev);
        go(
            LibraryQuery {
                favourites,
                ..query.get_untracked()
            },
            false,
        );
    };
    // The tags in use, for the filter; the one in the URL is offered even
    // when no item the asker sees has it any more.
    let labels = Resource::new(|| (), |_| crate::api::list_labels());
    let label_options = move || {
        Suspend::new(async move {
            let mut in_use = labels.await.unwrap_or_default();
            let wanted = query.with_untracked(|q| q.label.clone());
            if !wanted.is_empty()
                && !in_use
                    .iter()
                    .any(|l| l.label.to_lowercase() == wanted.to_lowercase())
            {
                in_use.insert(
                    0,
                    LabelCount {
                        label: wanted.clone(),
                        count: 0,
                    },
                );
            }
            let any = view! { <option value="" selected=wanted.is_empty()>"Any tag"</option> };
            let each = in_use
                .into_iter()
                .map(|l| {
                    let selected = l.label.to_lowercase() == wanted.to_lowercase();
                    view! {
                        <option value=l.label.clone() selected=selected>
                            {format!("{} ({})", l.label, l.count)}
                        </option>
                    }
                })
                .collect_view();
            view! { {any} {each} }
        })
    };
    let session = Session::get();
    let favourites_box = move || {
        let on_favourites = on_favourites.clone();
        Suspend::new(async move {
            session.load().await.map(|_| view! {
                <div class="field field-check">
                    <label>
                        <input type="checkbox" name="favourites" value="1" data-testid="library-favourites"
                            prop:checked=move || query.with(|q| q.favourites)
                            on:change=on_favourites/>
                        " Favourites"
                    </label>
                </div>
            })
        })
    };

    let sort_options = Sort::ALL
        .into_iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=initial.sort == s>
                    {s.label()}
                </option>
            }
        })
        .collect_view();
    let kind_options = [
        (None, "All kinds"),
        (Some(MediaKind::Video), "Video"),
        (Some(MediaKind::Audio), "Audio"),
    ]
    .into_iter()
    .map(|(kind, label)| {
        view! {
            <option value=kind.map_or("", MediaKind::as_str) selected=initial.kind == kind>
                {label}
            </option>
        }
    })
    .collect_view();
    let state_options = std::iter::once((None, "Any state"))
        .chain(StateFilter::ALL.into_iter().map(|s| (Some(s), s.label())))
        .map(|(state, label)| {
            view! {
                <option value=state.map_or("", StateFilter::as_str) selected=initial.state == state>
                    {label}
                </option>
            }
        })
        .collect_view();

    view! {
        <form class="toolbar" role="search" method="get" action="/" on:submit=on_submit>
            <div class="field field-search">
                <label for="library-search">"Search"</label>
                <input
                    id="library-search"
                    type="search"
                    name="q"
                    data-testid="library-search"
                    placeholder="Title or file name"
                    autocomplete="off"
                    maxlength=MAX_SEARCH_CHARS
                    value=initial.q.clone()
                    prop:value=move || text.get()
                    on:input=on_input
                />
            </div>
            <div class="field">
                <label for="library-sort">"Sort"</label>
                <select
                    id="library-sort"
                    name="sort"
                    data-testid="library-sort"
                    prop:value=move || query.with(|q| q.sort.as_str())
                    on:change=on_sort
                >
                    {sort_options}
                </select>
            </div>
            <div class="field">
                <label for="library-kind">"Kind"</label>
                <select
                    id="library-kind"
                    name="kind"
                    data-testid="library-kind"
                    prop:value=move || query.with(|q| q.kind.map_or("", MediaKind::as_str))
                    on:change=on_kind
                >
                    {kind_options}
                </select>
            </div>
            <div class="field">
                <label for="library-state">"State"</label>
                <select
                    id="library-state"
                    name="state"
                    data-testid="library-state"
                    prop:value=move || query.with(|q| q.state.map_or("", StateFilter::as_str))
                    on:change=on_state
                >
                    {state_options}
                </select>
            </div>
            <div class="field">
                <label for="library-tag">"Tag"</label>
                <select
                    id="library-tag"
                    name="tag"
                    data-testid="library-tag"
                    prop:value=move || query.with(|q| q.label.clone())
                    on:change=on_label
                >
                    <Transition fallback=|| view! { <option value="">"Any tag"</option> }>
                        {label_options}
                    </Transition>
                </select>
            </div>
            <Transition fallback=|| ()>{favourites_box}</Transition>
        </form>
    }
}
