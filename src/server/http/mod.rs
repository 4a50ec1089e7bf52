//! The wire: routes, handlers for raw bytes, and serving with graceful shutdown.

pub mod assets;
pub mod body;
pub mod compress;
pub mod conditional;
pub mod connection;
pub mod direct;
pub mod events;
pub mod facts;
pub mod files;
pub mod multipart;
pub mod plan;
pub mod range;
pub mod representation;
pub mod sendfile;
pub mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
use crate::error::ApiError;
use crate::server::state::AppState;

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/events", get(events::stream))
        // Our own streaming cap replaces axum's 2 MB default on this route only.
        .route(
            "/api/uploads",
            post(upload::upload).layer(DefaultBodyLimit::disable()),
        )
        // GET also answers HEAD; OPTIONS is the CORS preflight for Range and If-*.
        .route(
            "/files/{id}/{variant}",
            get(files::serve).options(files::preflight),
        )
        .merge(crate::server::tus::routes(state.config.max_upload_size))
        .nest_service(&assets::pkg_path(&state), assets::pkg(&state))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        .fallback_service(assets::fallback(state.clone()))
        // Pages and JSON leave compressed if the client accepts it; stored
        // bytes, tus and event streams never do (see `compress`).
        .layer(axum::middleware::from_fn(compress::mark_identity))
        .layer(compress::compression())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

pub use connection::serve;

/// The application state inside a server function.
pub fn app_state() -> Result<AppState, ApiError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function called without the application state in context");
        ApiError::new(
            "internal",
            "Something went wrong on the server. Please try again.",
        )
    })
}

/// Sets the status of a server function's answer (a refusal that is not 500).
pub fn set_status(status: axum::http::StatusCode) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// Marks the page response 404 when a server function rendering it finds nothing.
pub fn set_not_found_status() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
