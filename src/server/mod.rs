//! Everything that only runs on the server, in layers:
//!
//! - edges: `http` (the wire: routes, byte serving, tus, events) and the
//!   server functions in `crate::api`;
//! - `service`: the use cases every edge calls, each with the `Actor` asking;
//! - below it: `store` owns bytes, `db` owns rows, `media` owns ffmpeg,
//!   `jobs` owns the queue, `uploads` owns resumable uploads, `ingest` turns
//!   received bytes into items, `events` carries live changes;
//! - `state` builds it all; `node` names what holds only on one node, and
//!   `peers` tells the other nodes what they must forget.
//!
//! `tests/layers` in the crate's tests checks which may call which.

pub(crate) mod accounts;
pub mod cli;
pub mod config;
pub(crate) mod credentials;
pub(crate) mod db;
pub(crate) mod domain;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod filename;
pub(crate) mod http;
pub mod import;
pub(crate) mod ingest;
pub(crate) mod jobs;
pub(crate) mod media;
pub(crate) mod metrics;
pub mod node;
pub(crate) mod peers;
pub(crate) mod service;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod uploads;

use std::future::Future;

use leptos::config::LeptosOptions;

pub use config::{Config, Database, Role, S3Settings, Secret, ServeMode, Storage, parse_storage};
pub use node::{LockError, SoleNode, lock_data_dir};

/// A started server: its state, ready to serve connections.
#[derive(Clone)]
pub struct Server {
    pub(crate) state: state::AppState,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StartError(#[from] state::StartError);

impl Server {
    /// Opens the data directory and starts the workers; `sole` is the data
    /// directory's lock (`lock_data_dir`).
    pub async fn start(
        config: Config,
        leptos_options: LeptosOptions,
        sole: &SoleNode,
    ) -> Result<Self, StartError> {
        let state = state::AppState::start(config, leptos_options, sole).await?;
        Ok(Server { state })
    }

    /// Serves `listener` until `shutdown` resolves, then lets in-flight
    /// requests finish.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        http::serve(listener, self.state.clone(), shutdown).await
    }
}
