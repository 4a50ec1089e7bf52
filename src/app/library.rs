//! The library page: the upload zone and the grid of items, server-rendered
//! and hydrated. Items still processing are refreshed until they settle.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ErrorNotice;
use super::upload::UploadZone;
use crate::api;
use crate::format;
use crate::model::{MediaItem, MediaKind, MediaState};

#[component]
pub fn LibraryPage() -> impl IntoView {
    let library = Resource::new(|| (), |_| api::library());
    let refresh = Callback::new(move |()| library.refetch());

    // While anything is processing, look again shortly.
    super::refresh_while(
        move || {
            library
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
                        Ok(lib) => view! { <MediaGrid items=lib.items/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn MediaGrid(items: Vec<MediaItem>) -> impl IntoView {
    view! {
        <ul class="grid" data-testid="media-grid">
            {items.into_iter().map(|item| view! { <MediaCard item/> }).collect_view()}
        </ul>
    }
}

#[component]
fn MediaCard(item: MediaItem) -> impl IntoView {
    let urls = item.urls();
    let kind = item.kind.as_str();
    let state = item.state.name();
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
    let badge = match &item.state {
        MediaState::Ready => None,
        MediaState::Processing => {
            Some(view! { <span class="badge processing">"Processing…"</span> }.into_any())
        }
        MediaState::Failed(reason) => Some(
            view! { <span class="badge failed" title=reason.clone()>"Failed"</span> }.into_any(),
        ),
    };
    view! {
        <li class="card" data-testid="media-card" data-id=item.id.clone() data-state=state data-kind=kind>
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
        </li>
    }
}
