//! Which page's code is its own wasm piece, and loading it before hydration.
//!
//! Every page but the library is a lazy route (`cargo leptos build --split`):
//! the library, where people arrive, loads only what it needs, and each other
//! page's code comes when it is first opened. A first visit straight to such a
//! page loads its piece *before* the app hydrates, so hydration stays the
//! synchronous walk over the server's HTML that every other page gets
//! (`hydrate_body`): nothing on the page changes while a piece is in flight,
//! and no part of the app hydrates before the rest.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::account::{AccountPage, SetupPage, SignInPage, UsersPage};
use super::albums::{AlbumPage, AlbumsPage, ArtistsPage};
use super::collections::{CollectionPage, CollectionsPage};
use super::media_page::MediaPage;
use super::share::SharePage;

/// One macro per page: `#[lazy_route]` marks the split.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub(crate) struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(MediaRoute, MediaPage);
lazy_page!(ShareRoute, SharePage);
lazy_page!(SignInRoute, SignInPage);
lazy_page!(SetupRoute, SetupPage);
lazy_page!(AccountRoute, AccountPage);
lazy_page!(UsersRoute, UsersPage);
lazy_page!(AlbumsRoute, AlbumsPage);
lazy_page!(AlbumRoute, AlbumPage);
lazy_page!(ArtistsRoute, ArtistsPage);
lazy_page!(CollectionsRoute, CollectionsPage);
lazy_page!(CollectionRoute, CollectionPage);

/// The pages that are lazy routes, as the router in `App` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LazyPage {
    Media,
    Share,
    SignIn,
    Setup,
    Account,
    Users,
    Albums,
    Album,
    Artists,
    Collections,
    Collection,
}

/// The lazy page the router will show at `path`, if any. It may say a page
/// where the router says "not found" (empty segments are skipped; loading a
/// piece too many costs a fetch), but never misses one the router would pick:
/// hydrating a lazy page whose piece is not loaded panics.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) fn lazy_page_at(path: &str) -> Option<LazyPage> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["media", _] => Some(LazyPage::Media),
        ["s", _] => Some(LazyPage::Share),
        ["login"] => Some(LazyPage::SignIn),
        ["setup"] => Some(LazyPage::Setup),
        ["account"] => Some(LazyPage::Account),
        ["admin", "users"] => Some(LazyPage::Users),
        ["albums"] => Some(LazyPage::Albums),
        ["album"] => Some(LazyPage::Album),
        ["artists"] => Some(LazyPage::Artists),
        ["collections"] => Some(LazyPage::Collections),
        ["collections", _] => Some(LazyPage::Collection),
        _ => None,
    }
}

/// Loads the piece of the page at `path` (nothing for the library).
#[cfg(feature = "hydrate")]
pub(crate) async fn preload_page_at(path: &str) {
    match lazy_page_at(path) {
        Some(LazyPage::Media) => MediaRoute::preload().await,
        Some(LazyPage::Share) => ShareRoute::preload().await,
        Some(LazyPage::SignIn) => SignInRoute::preload().await,
        Some(LazyPage::Setup) => SetupRoute::preload().await,
        Some(LazyPage::Account) => AccountRoute::preload().await,
        Some(LazyPage::Users) => UsersRoute::preload().await,
        Some(LazyPage::Albums) => AlbumsRoute::preload().await,
        Some(LazyPage::Album) => AlbumRoute::preload().await,
        Some(LazyPage::Artists) => ArtistsRoute::preload().await,
        Some(LazyPage::Collections) => CollectionsRoute::preload().await,
        Some(LazyPage::Collection) => CollectionRoute::preload().await,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lazy_route_is_known_by_its_path() {
        assert_eq!(lazy_page_at("/media/01JABC"), Some(LazyPage::Media));
        assert_eq!(lazy_page_at("/s/tok-en_1"), Some(LazyPage::Share));
        assert_eq!(lazy_page_at("/login"), Some(LazyPage::SignIn));
        assert_eq!(lazy_page_at("/setup"), Some(LazyPage::Setup));
        assert_eq!(lazy_page_at("/account"), Some(LazyPage::Account));
        assert_eq!(lazy_page_at("/admin/users"), Some(LazyPage::Users));
        assert_eq!(lazy_page_at("/albums"), Some(LazyPage::Albums));
        assert_eq!(lazy_page_at("/album"), Some(LazyPage::Album));
        assert_eq!(lazy_page_at("/artists"), Some(LazyPage::Artists));
        assert_eq!(lazy_page_at("/collections"), Some(LazyPage::Collections));
        assert_eq!(
            lazy_page_at("/collections/ab12"),
            Some(LazyPage::Collection)
        );
    }

    #[test]
    fn trailing_and_doubled_slashes_still_name_the_page() {
        assert_eq!(lazy_page_at("/login/"), Some(LazyPage::SignIn));
        assert_eq!(lazy_page_at("//media//x/"), Some(LazyPage::Media));
    }

    #[test]
    fn the_library_and_unknown_paths_are_not_lazy() {
        for path in ["", "/", "/media", "/media/a/b", "/admin", "/nope", "/s"] {
            assert_eq!(lazy_page_at(path), None, "{path}");
        }
    }
}
