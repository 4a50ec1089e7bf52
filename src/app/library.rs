//! The library page: the upload zone and the grid of items, server-rendered
//! and hydrated. Cards show live processing progress from the event stream;
//! the list is fetched again when an event says an item changed.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ErrorNotice;
use super::live::{Live, Status};
use super::progress::ProcessingStatus;
use super::upload::UploadZone;
use crate::api;
use crate::format;
use crate::model::{MediaItem, MediaKind, MediaState};

#[component]
pub fn LibraryPage() -> impl IntoView {
    let library = Resource::new(|| (), |_| api::library());
    let refresh = Callback::new(move |()| library.refetch());
    let live = Live::get();

    // Fetch the list again when events show it is out of date.
    live.follow(
        move || {
            library.get_untracked().and_then(|r| r.ok()).map(|lib| {
                lib.items
                    .into_iter()
                    .map(|item| (item.id, item.state))
                    .collect()
            })
        },
        true,
        move || library.refetch(),
    );
    // Without the event stream, look again now and then while anything processes.
    super::refresh_while(
        move || {
            live.broken()
                && library
                    .get()
                    .and_then(|r| r.ok())
                    .is_some_and(|lib| lib.items.iter().any(|i| i.state == MediaState::Processing))
        },
        move || library.refetch(),
    );

    view! {
        <Title text="Library · Reel"/>
        <UploadZone library on_item_changed=refresh/>
        <section class="library" aria-labelledby="library-heading">
            <h2 id="library-heading">"Library"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading the library…"</p> }>
                {move || Suspend::new(async move {
                    match library.await {
                        Ok(lib) if lib.items.is_empty() => {
                            view! {
                                <p class="empty" data-testid="library-empty">
                                    "Nothing here yet. Drop audio or video files above to start your library."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(lib) => view! { <MediaGrid items=lib.items on_changed=refresh/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn MediaGrid(items: Vec<MediaItem>, on_changed: Callback<()>) -> impl IntoView {
    view! {
        <ul class="grid" data-testid="media-grid">
            {items.into_iter().map(|item| view! { <MediaCard item on_changed/> }).collect_view()}
        </ul>
    }
}

#[component]
fn MediaCard(item: MediaItem, on_changed: Callback<()>) -> impl IntoView {
    let urls = item.urls();
    let kind = item.kind.as_str();
    let shown = Status {
        state: item.state.clone(),
        progress: item.progress.clone(),
    };
    let status = Live::get().status(item.id.clone(), move || shown.clone());
    let state = Memo::new(move |_| status.with(|s| s.state.name()));
    let duration = item.duration_secs.map(format::duration);
    let size = format::bytes(item.size_bytes);
    let picture = match (urls.poster.clone(), item.kind) {
        (Some(src), _) => {
            view! { <img src=src alt="" loading="lazy" width="320" height="180"/> }.into_any()
        }
        (None, MediaKind::Audio) => {
            view! { <span class="thumb-icon" aria-hidden="true">"♪"</span> }.into_any()
        }
        (None, MediaKind::Video) => {
            view! { <span class="thumb-icon" aria-hidden="true">"▶"</span> }.into_any()
        }
    };
    let badge = move || match state.get() {
        "processing" => Some(view! { <span class="badge processing">"Processing…"</span> }),
        "failed" => Some(view! { <span class="badge failed">"Failed"</span> }),
        _ => None,
    };
    view! {
        <li class="card" data-testid="media-card" data-id=item.id.clone() data-state=move || state.get() data-kind=kind>
            <a href=urls.page class="card-link">
                <div class="thumb">{picture} {badge}</div>
                <div class="card-body">
                    <span class="card-title" data-testid="media-title">{item.title.clone()}</span>
                    <span class="card-meta">
                        <span class="kind">{kind}</span>
                        {duration.map(|d| view! { <span>{d}</span> })}
                        <span>{size}</span>
                    </span>
                </div>
            </a>
            <ProcessingStatus id=item.id.clone() status on_changed/>
        </li>
    }
}
