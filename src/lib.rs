//! Reel: a self-hosted media library. One crate, two builds: `ssr` (the axum
//! server) and `hydrate` (the wasm app that takes over the server-rendered page).

// Leptos views are deeply nested types; release wasm builds need more room.
#![recursion_limit = "256"]

pub mod accounts;
pub mod albums;
pub mod api;
mod app;
pub mod collections;
pub mod edit;
pub mod error;
pub mod format;
pub mod ids;
pub mod library;
pub mod model;
pub mod vtt;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A page whose code is its own wasm piece (`--split`) has it loaded
    // first; then the whole page hydrates in one synchronous walk, as an
    // unsplit app does (see `app::pages`).
    wasm_bindgen_futures::spawn_local(async {
        let path = leptos::prelude::window()
            .location()
            .pathname()
            .unwrap_or_default();
        app::preload_page_at(&path).await;
        leptos::mount::hydrate_body(app::App);
    });
}

#[cfg(all(test, feature = "ssr"))]
mod layers;

/// Test hooks and test media, for the crate's own tests and `tests/it`.
#[cfg(all(feature = "ssr", any(test, feature = "testing")))]
pub mod testing;
