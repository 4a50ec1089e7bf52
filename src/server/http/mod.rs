//! The wire: routes, handlers for raw bytes, the direct byte path and
//! serving with graceful shutdown. Handlers read requests, ask the service
//! layer (`server::service`) and write answers; they decide nothing else.

pub(crate) mod access;
pub(crate) mod archive;
pub(crate) mod assets;
pub(crate) mod body;
pub(crate) mod captions;
pub(crate) mod client_io;
pub(crate) mod compress;
pub(crate) mod conditional;
pub(crate) mod connection;
pub(crate) mod direct;
pub(crate) mod events;
pub(crate) mod files;
pub(crate) mod multipart;
pub(crate) mod plan;
pub(crate) mod range;
pub(crate) mod representation;
pub(crate) mod same_site;
pub(crate) mod sendfile;
pub(crate) mod tus;
pub(crate) mod upload;
pub(crate) mod zip;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::app::{App, shell};
use crate::server::credentials::credentials_of;
use crate::server::error::Error;
use crate::server::service::Actor;
use crate::server::state::AppState;

/// Who sends a request to a handler (anonymous when its credentials do not hold).
pub(crate) async fn actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, Error> {
    Ok(state.service.authenticate(&credentials_of(headers)).await?)
}

/// The app's routes, listed once per process. Listing them runs the app
/// with resource loading suppressed process-wide (a global flag in
/// leptos_server), and a resource first polled meanwhile by a page render
/// elsewhere in the process never resolves (leptos-rs/leptos#4773): with
/// several servers in one process, as in the tests, a later server's
/// listing could hang an earlier server's render.
fn app_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub(crate) fn router(state: AppState) -> Router {
    let routes = app_routes();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
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
        .route("/files/{id}/captions/{caption}", get(captions::serve))
        .route("/album/download", get(archive::album))
        .route("/collections/{id}/download", get(archive::collection))
        .route(
            "/files/{id}/hls/{*file}",
            get(files::serve_hls).options(files::preflight),
        )
        .merge(tus::routes(state.config.max_upload_size))
        .nest_service(&assets::pkg_path(&state), assets::pkg(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    leptos::prelude::provide_context(state.service.clone());
                    leptos::prelude::provide_context(state.site.clone());
                }
            },
            move || shell(options.clone()),
        )
        .fallback_service(assets::fallback(state.clone()))
        // Pages and JSON leave compressed if the client accepts it; stored
        // bytes, tus and event streams never do (see `compress`).
        // State-changing requests riding on a session cookie must come
        // from this site's pages.
        .layer(axum::middleware::from_fn_with_state(
            state.site.clone(),
            same_site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(compress::mark_identity))
        .layer(compress::compression())
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            access::log_router,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /metrics`: the counters in Prometheus text format, for admins
/// (a scraper uses an admin's API token).
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, Error> {
    let counters = state
        .service
        .counters(&actor(&state, &headers).await?)
        .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&counters),
    ))
}

pub(crate) use connection::serve;
