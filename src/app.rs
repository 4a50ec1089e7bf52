//! The page shell, the router, and the pieces every page shares.

// `#[component]` makes a `pub` builder for every component's props, whatever
// the component's own visibility: the lint would flag each of them.
#![allow(unreachable_pub)]

mod account;
mod adaptive;
mod albums;
mod captions;
mod chapters;
mod collections;
mod editor;
mod labels;
mod library;
mod live;
mod media_page;
mod now_playing;
mod pages;
mod player;
mod progress;
mod scrub;
mod seek;
mod share;
mod tags_form;
mod upload;
mod upload_row;
mod waveform;

#[cfg_attr(
    not(feature = "hydrate"),
    allow(
        dead_code,
        reason = "the browser build uses it; native unit tests check it"
    )
)]
pub(crate) mod tus_protocol;

#[cfg(feature = "hydrate")]
mod browser;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use account::{AccountMenu, Session};
use library::LibraryPage;
use pages::{
    AccountRoute, AlbumRoute, AlbumsRoute, ArtistsRoute, CollectionRoute, CollectionsRoute,
    MediaRoute, SetupRoute, ShareRoute, SignInRoute, UsersRoute,
};

#[cfg(feature = "hydrate")]
pub(crate) use pages::preload_page_at;

/// The HTML document around the app (server side only renders it).
#[cfg(feature = "ssr")]
pub(crate) fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::{HashedStylesheet, MetaTags};
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Both read the content-hashed /pkg names (LEPTOS_HASH_FILES).
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub(crate) fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in, for every page.
    Session::provide();
    // Live processing events for every page (connects once hydrated).
    live::Live::provide();
    // The player that keeps playing across pages (its bar is below).
    now_playing::NowPlaying::provide();
    // Runs only in the browser, once the wasm app has taken over the page:
    // end-to-end tests wait for this marker before they interact.
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        browser::mark_hydrated();
    });

    view! {
        <Title text="Reel"/>
        <Router>
            <header class="topbar">
                <a href="/" class="brand">
                    <span class="brand-mark" aria-hidden="true">"▶"</span>
                    "Reel"
                </a>
                <nav class="sections" aria-label="Sections">
                    <a href="/">"Library"</a>
                    <a href="/albums" data-testid="albums-link">"Albums"</a>
                    <a href="/artists" data-testid="artists-link">"Artists"</a>
                    <a href="/collections" data-testid="collections-link">"Collections"</a>
                </nav>
                <AccountMenu/>
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=LibraryPage ssr=SsrMode::Async/>
                    <Route path=path!("/media/:id") view={Lazy::<MediaRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/s/:token") view={Lazy::<ShareRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view={Lazy::<SignInRoute>::new()}/>
                    <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/albums") view={Lazy::<AlbumsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/album") view={Lazy::<AlbumRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/artists") view={Lazy::<ArtistsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/collections") view={Lazy::<CollectionsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/collections/:id") view={Lazy::<CollectionRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <now_playing::NowPlayingBar/>
        </Router>
    }
}

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Reel"/>
        <section class="notice">
            <h1>"Nothing here"</h1>
            <p>"This page does not exist. " <a href="/">"Back to the library"</a></p>
        </section>
    }
}

/// How often pages look again while the event stream is down.
#[cfg(feature = "hydrate")]
const FALLBACK_POLL: std::time::Duration = std::time::Duration::from_secs(4);

/// The fallback when live events are not coming: calls `refresh` a few
/// seconds after `busy` becomes (or stays) true, keeping at most one timer
/// pending, and none once the page is left. Browser only: on the server it
/// does nothing.
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub(crate) fn refresh_while(
    busy: impl Fn() -> bool + Send + Sync + 'static,
    refresh: impl Fn() + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        let pending = StoredValue::new_local(None::<TimeoutHandle>);
        let clear = move || {
            if let Some(handle) = pending.try_update_value(Option::take).flatten() {
                handle.clear();
            }
        };
        Effect::new(move |_| {
            clear();
            if busy() {
                let refresh = refresh.clone();
                if let Ok(handle) = set_timeout_with_handle(refresh, FALLBACK_POLL) {
                    pending.set_value(Some(handle));
                }
            }
        });
        on_cleanup(clear);
    }
}

/// An error from the server, in words a person can act on.
#[component]
pub(crate) fn ErrorNotice(error: crate::error::ApiError) -> impl IntoView {
    view! {
        <div class="notice error" role="alert" data-code=error.code.as_str()>
            <p>{error.message}</p>
        </div>
    }
}
