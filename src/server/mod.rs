//! Everything that only runs on the server. Each module owns one thing:
//! `store` owns bytes, `db` owns rows, `media` owns ffmpeg, `jobs` owns
//! the work queue, `http` owns the wire; `ingest` turns received bytes into
//! items and `tus` speaks the resumable upload protocol.

pub mod config;
pub mod db;
pub mod edits;
pub mod error;
pub mod events;
pub mod filename;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod library;
pub mod media;
pub mod state;
pub mod store;
pub mod tus;

pub use http::{router, serve};
