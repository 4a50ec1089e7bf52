//! Share links in the page: `/s/<secret>` plays one item for whoever holds
//! the link (after its password, if it has one), and the panel on an item's
//! page that makes, lists and revokes its links.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::ErrorNotice;
use super::account::sign_in::Pending;
use super::adaptive::{self, Quality, QualityMenu};
use super::collections::ItemList;
use super::now_playing::PlayAll;
use crate::accounts::{NewShare, ShareSummary};
use crate::collections::{CollectionView, ShareView};
use crate::format;
use crate::model::{MediaItem, MediaKind};

/// `/s/:token`: the shared item, or the password it asks first.
#[component]
pub(crate) fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    // The grant from the password, once given (kept in this page only).
    let grant = RwSignal::new(None::<String>);
    let view_of = Resource::new(
        move || (token(), grant.get()),
        |(t, g)| crate::api::open_share(t, g),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(ShareView::Open { item }) => view! { <SharedItem item=*item/> }.into_any(),
                    Ok(ShareView::Collection { view }) => view! { <SharedCollection view=*view/> }.into_any(),
                    Ok(ShareView::Locked) => view! { <Unlock token=token() grant/> }.into_any(),
                    Err(error) => view! { <Title text="Not found · Reel"/> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Unlock(token: String, grant: RwSignal<Option<String>>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let pending = Pending::new();
    let token = StoredValue::new(token);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let call = crate::api::unlock_share(token.get_value(), password.get_untracked());
        pending.run(call, move |g| grant.set(Some(g)));
    };
    view! {
        <Title text="Shared with you · Reel"/>
        <section class="account-form">
            <h1>"This link has a password"</h1>
            <form on:submit=submit data-testid="unlock-form">
                <label>
                    "Password"
                    <input type="password" required bind:value=password data-testid="unlock-password"/>
                </label>
                {pending.view("unlock-error")}
                <button type="submit" class="button" disabled=move || pending.busy.get()>"Open"</button>
            </form>
        </section>
    }
}

/// The item as a link shows it: the player, its title and description.
#[component]
fn SharedItem(item: MediaItem) -> impl IntoView {
    let urls = item.urls.clone();
    let video = NodeRef::<leptos::html::Video>::new();
    let quality = Quality::new();
    let player = match (item.kind, urls.play.clone(), urls.hls.clone()) {
        // The ladder, signed for the link, plays adaptively as on the item's page.
        (MediaKind::Video, fallback, Some(master)) => {
            adaptive::attach(video, master.clone(), fallback, quality);
            view! {
                <video controls preload="metadata" playsinline node_ref=video data-ladder=master poster=urls.poster.clone() data-testid="shared-player"></video>
                <QualityMenu quality/>
            }
            .into_any()
        }
        (MediaKind::Video, Some(src), None) => view! {
            <video controls preload="metadata" playsinline src=src poster=urls.poster.clone() data-testid="shared-player"></video>
        }
        .into_any(),
        (MediaKind::Audio, Some(src), _) => view! {
            {urls.poster.clone().map(|p| view! { <img class="cover" src=p alt="Cover art" width="320" height="320"/> })}
            <audio controls preload="metadata" src=src data-testid="shared-player"></audio>
        }
        .into_any(),
        (_, None, _) => view! { <p class="muted">"This item is still being prepared. Try again in a moment."</p> }.into_any(),
    };
    view! {
        <Title text=format!("{} · Reel", item.title)/>
        <article class="media shared" data-kind=item.kind.as_str()>
            <h1 data-testid="media-heading">{item.title.clone()}</h1>
            <div class="stage">{player}</div>
            {(!item.description.is_empty()).then(|| view! { <p class="description">{item.description.clone()}</p> })}
            <div class="actions">
                <a class="button" href=urls.download download=item.original_filename.clone()>"Download"</a>
            </div>
        </article>
    }
}

/// A collection as a link shows it: its items in order, played in order
/// through the shell's player, each with the addresses the link signed.
#[component]
fn SharedCollection(view: CollectionView) -> impl IntoView {
    let CollectionView {
        collection, items, ..
    } = view;
    view! {
        <Title text=format!("{} · Reel", collection.name)/>
        <article class="collection shared">
            <h1 data-testid="collection-heading">{collection.name.clone()}</h1>
            <p class="byline">{collection.kind.label()} {collection.owner_name.clone().map(|o| format!(" · by {o}"))}</p>
            <div class="actions"><PlayAll items=items.clone()/></div>
            {if items.is_empty() {
                view! { <p class="muted">"Nothing in it can be played here."</p> }.into_any()
            } else {
                view! { <ItemList playlist=None items refetch=Callback::new(|()| ()) links=false/> }.into_any()
            }}
        </article>
    }
}

/// How long a new link lasts, in hours (`None`: for ever).
const LIFETIMES: [(&str, Option<u32>); 4] = [
    ("1 day", Some(24)),
    ("7 days", Some(7 * 24)),
    ("30 days", Some(30 * 24)),
    ("no end", None),
];

/// The item page's panel: new links, and the live ones with Revoke.
#[component]
pub(crate) fn SharePanel(
    id: String,
    /// `id` names a collection, not an item.
    #[prop(optional)]
    collection: bool,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let open = RwSignal::new(false);
    let links = Resource::new(
        move || open.get().then(|| id.get_value()),
        move |id| async move {
            match id {
                Some(id) => crate::api::list_shares(id, collection).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let lifetime = RwSignal::new(Some(7 * 24u32));
    let password = RwSignal::new(String::new());
    let made = RwSignal::new(None::<NewShare>);
    let pending = Pending::new();
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let password = Some(password.get_untracked()).filter(|p| !p.is_empty());
        let call = crate::api::create_share(
            id.get_value(),
            lifetime.get_untracked(),
            password,
            collection,
        );
        pending.run(call, move |share| {
            made.set(Some(share));
            links.refetch();
        });
    };
    let revoke = move |share: String| {
        pending.run(crate::api::revoke_share(share), move |()| links.refetch());
    };
    view! {
        <details class="share-panel" on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary class="button" data-testid="share-open">"Share"</summary>
            <form on:submit=create class="inline-form" data-testid="share-form">
                <label>
                    "Lasts "
                    <select on:change=move |ev| {
                        let hours = event_target_value(&ev).parse::<u32>().ok();
                        lifetime.set(hours);
                    }>
                        {LIFETIMES.into_iter().map(|(label, hours)| view! {
                            <option value=hours.map(|h| h.to_string()).unwrap_or_default() selected=hours == Some(7 * 24)>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Password (optional) "
                    <input type="password" autocomplete="new-password" bind:value=password data-testid="share-password"/>
                </label>
                <button type="submit" class="button" disabled=move || pending.busy.get() data-testid="share-create">"Make a link"</button>
            </form>
            {pending.view("share-error")}
            {move || made.get().map(|share| {
                let address = full_address(&share.path);
                view! {
                    <p class="notice" role="status">
                        {if collection { "Anyone with this link can play the collection: " } else { "Anyone with this link can play the item: " }}
                        <input type="text" readonly value=address.clone() size="60" data-testid="share-link"/>
                    </p>
                }
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list: Vec<ShareSummary> = links.await.unwrap_or_default();
                    view! {
                        <ul class="share-list">
                            {list.into_iter().map(|s| {
                                let share = s.id.to_string();
                                let ends = s.expires_at.map_or_else(|| "no end".to_string(), |ms| format!("until {}", format::timestamp_ms(ms)));
                                view! {
                                    <li data-testid="share">
                                        "Made " {format::timestamp_ms(s.created_at)} ", " {ends}
                                        {s.has_password.then_some(", with a password")}
                                        <button type="button" class="row-button danger" on:click=move |_| revoke(share.clone()) data-testid="share-revoke">
                                            "Revoke"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </details>
    }
}

/// `path` on this site, as a link to send.
fn full_address(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_string()
}
