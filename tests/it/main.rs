//! Integration tests, one binary: a real server on an ephemeral port, a real
//! HTTP client, a temp SQLite file and media made by the real ffmpeg.
#![cfg(feature = "ssr")]

mod common;

mod binary;
mod byte_serving;
mod derived;
mod direct_wire;
mod edit_jobs;
mod edits;
mod events;
mod hardening;
mod library;
mod playable;
mod processing;
mod traversal;
mod tus_extensions;
mod tus_faults;
mod tus_interop;
mod tus_lifecycle;
mod tus_protocol;
mod upload_and_serve;
