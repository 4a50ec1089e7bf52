//! Collections in the page: `/collections` lists them (and makes a new
//! playlist), `/collections/:id` shows one with its items in order, played
//! in order through the shell's player; its owner renames it, sets who may
//! see it, shares it, reorders a playlist (drag, or the keyboard) and
//! deletes it. The library's "Save as smart collection" lives here too.

mod items;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::ErrorNotice;
use super::account::sign_in::Pending;
use super::account::{Session, VisibilityBadge, VisibilitySelect, can_upload};
use super::now_playing::PlayAll;
use super::share::SharePanel;
use crate::api::{
    create_collection, delete_collection, get_collection, list_collections, update_collection,
};
use crate::collections::{Collection, CollectionChange, CollectionKind, CollectionView};
use crate::library::LibraryQuery;
pub(crate) use items::ItemList;

fn count_text(n: u64) -> String {
    match n {
        1 => "1 item".into(),
        n => format!("{n} items"),
    }
}

#[component]
pub(crate) fn CollectionsPage() -> impl IntoView {
    let list = Resource::new(|| (), |()| list_collections());
    let session = Session::get();
    view! {
        <Title text="Collections · Reel"/>
        <p class="back"><a href="/">"← Library"</a></p>
        <h1>"Collections"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let me = session.load().await;
                can_upload(me.as_ref()).then(|| view! { <NewPlaylist/> })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(all) if all.is_empty() => view! {
                        <p class="muted" data-testid="no-collections">
                            "No collections yet. Make a playlist here, choose cards in the library and add them to one, or save a library search as a smart collection."
                        </p>
                    }.into_any(),
                    Ok(all) => view! {
                        <ul class="collection-list" data-testid="collections">
                            {all.into_iter().map(|c| view! { <CollectionRow collection=c/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CollectionRow(collection: Collection) -> impl IntoView {
    let href = format!("/collections/{}", collection.id);
    let details = [
        Some(collection.kind.label().to_string()),
        (collection.kind == CollectionKind::Playlist).then(|| count_text(collection.item_count)),
        collection.owner_name.clone().map(|o| format!("by {o}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="collection-row" data-testid="collection">
            <a href=href data-testid="collection-name">{collection.name.clone()}</a>
            <span class="muted small">{details}</span>
            <VisibilityBadge visibility=collection.visibility/>
        </li>
    }
}

/// A form for a new, empty playlist; it opens once made.
#[component]
fn NewPlaylist() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let pending = Pending::new();
    let navigate = use_navigate();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let call = create_collection(name.get_untracked(), CollectionKind::Playlist, None);
        pending.run(call, move |made| {
            navigate(&format!("/collections/{}", made.id), Default::default());
        });
    };
    view! {
        <form class="inline-form" on:submit=submit data-testid="new-playlist-form">
            <label>"New playlist " <input type="text" required maxlength="100" bind:value=name data-testid="new-playlist-name"/></label>
            <button type="submit" class="button" disabled=move || pending.busy.get()>"Make"</button>
            {pending.view("new-playlist-error")}
        </form>
    }
}

/// The library's current search and filters, saved as a smart collection.
#[component]
pub(crate) fn SaveAsSmart(query: Memo<LibraryQuery>) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let pending = Pending::new();
    let navigate = use_navigate();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let call = create_collection(
            name.get_untracked(),
            CollectionKind::Smart,
            Some(query.get_untracked()),
        );
        pending.run(call, move |made| {
            navigate(&format!("/collections/{}", made.id), Default::default());
        });
    };
    view! {
        <details class="save-smart" on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary class="row-button" data-testid="save-smart">"Save as smart collection"</summary>
            <form class="inline-form" on:submit=submit>
                <label>"Name " <input type="text" required maxlength="100" bind:value=name data-testid="smart-name"/></label>
                <button type="submit" class="button" disabled=move || pending.busy.get() data-testid="smart-save">"Save"</button>
                {pending.view("smart-error")}
            </form>
        </details>
    }
}

/// `/collections/:id`.
#[component]
pub(crate) fn CollectionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let view_of = Resource::new(id, get_collection);
    let refetch = Callback::new(move |()| view_of.refetch());
    view! {
        <p class="back"><a href="/collections">"← Collections"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(view) => view! { <CollectionBody view refetch/> }.into_any(),
                    Err(error) => view! { <Title text="Not found · Reel"/> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What a smart collection looks for, in words.
fn query_words(query: &LibraryQuery) -> String {
    let mut parts = Vec::new();
    if !query.q.trim().is_empty() {
        parts.push(format!("“{}”", query.q.trim()));
    }
    if let Some(kind) = query.kind {
        parts.push(kind.as_str().to_string());
    }
    if !query.label.is_empty() {
        parts.push(format!("tagged {}", query.label));
    }
    if query.favourites {
        parts.push("favourites".into());
    }
    if parts.is_empty() {
        parts.push("everything".into());
    }
    parts.join(", ")
}

#[component]
fn CollectionBody(view: CollectionView, refetch: Callback<()>) -> impl IntoView {
    let CollectionView {
        collection,
        items,
        hidden,
    } = view;
    let id = collection.id.to_string();
    let is_playlist = collection.kind == CollectionKind::Playlist;
    let editable = collection.can_change && is_playlist;
    let about = match &collection.query {
        Some(query) => format!(
            "Finds {}; stays current as items come and go.",
            query_words(query)
        ),
        None => count_text(collection.item_count),
    };
    let library_link = collection.query.as_ref().map(|q| q.href("/"));
    view! {
        <Title text=format!("{} · Reel", collection.name)/>
        <article class="collection" data-kind=if is_playlist { "playlist" } else { "smart" }>
            <header class="collection-header">
                <h1 data-testid="collection-heading">{collection.name.clone()}</h1>
                <p class="byline">
                    {collection.kind.label()} " · " {about}
                    {collection.owner_name.clone().map(|o| format!(" · by {o}"))}
                    {(hidden > 0).then(|| format!(" · {hidden} you may not see left out"))}
                </p>
                <div class="actions">
                    <PlayAll items=items.clone()/>
                    <a class="button" download href=format!("/collections/{id}/download") data-testid="collection-download">"Download (ZIP)"</a>
                    {library_link.map(|href| view! { <a class="button" href=href>"Open in the library"</a> })}
                </div>
                {collection.can_change.then(|| view! { <Settings collection=collection.clone() refetch/> })}
            </header>
            {if items.is_empty() {
                view! { <p class="muted" data-testid="collection-empty">"Nothing in it yet. Choose cards in the library and add them with “Add to playlist”."</p> }.into_any()
            } else {
                view! { <ItemList playlist=editable.then(|| id.clone()) items refetch/> }.into_any()
            }}
        </article>
    }
}

/// Name, visibility, share links and delete, for whoever may change it.
#[component]
fn Settings(collection: Collection, refetch: Callback<()>) -> impl IntoView {
    let id = StoredValue::new(collection.id.to_string());
    let name = RwSignal::new(collection.name.clone());
    let visibility = RwSignal::new(collection.visibility);
    let pending = Pending::new();
    let navigate = use_navigate();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let change = CollectionChange {
            name: Some(name.get_untracked()),
            visibility: Some(visibility.get_untracked()),
            query: None,
        };
        pending.run(update_collection(id.get_value(), change), move |_| {
            refetch.run(())
        });
    };
    let confirming = RwSignal::new(false);
    let remove = move |_| {
        let navigate = navigate.clone();
        pending.run(delete_collection(id.get_value()), move |()| {
            navigate("/collections", Default::default());
        });
    };
    view! {
        <form class="inline-form collection-settings" on:submit=save data-testid="collection-settings">
            <label>"Name " <input type="text" required maxlength="100" bind:value=name data-testid="collection-name-input"/></label>
            <label>"Who may see it " <VisibilitySelect value=visibility testid="collection-visibility"/></label>
            <button type="submit" class="button" disabled=move || pending.busy.get()>"Save"</button>
            <button type="button" class="button danger" on:click=move |_| confirming.set(true)>"Delete…"</button>
        </form>
        <Show when=move || confirming.get()>
            <div class="confirm" role="alertdialog" aria-label="Delete the collection">
                <p>"Delete this collection? Its items stay in the library."</p>
                <button type="button" class="button danger" on:click=remove.clone() data-testid="collection-delete-confirm">"Delete collection"</button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
        {pending.view("collection-error")}
        <SharePanel id=id.get_value() collection=true/>
    }
}
