//! Integration tests, one binary: a real server on an ephemeral port, a real
//! HTTP client, a temp SQLite file and media made by the real ffmpeg.
#![cfg(feature = "ssr")]

mod common;
mod encoding;

mod access_matrix;
mod accounts;
mod archives;
mod binary;
mod bulk;
mod byte_serving;
mod captions;
mod collection_access;
mod collections;
mod compression;
mod crash_soak;
mod database_copy;
mod direct_wire;
mod disk_full;
mod duplicates;
mod edit_jobs;
mod events;
mod hostile_media;
mod import;
mod item_changes;
mod labels;
mod ladder;
mod ladder_access;
mod library;
mod multi_node;
mod multi_node_flow;
mod object_store;
mod processing;
mod shares;
mod slow_clients;
mod static_assets;
mod tags;
mod traversal;
mod tus_extensions;
mod tus_faults;
mod tus_interop;
mod tus_lifecycle;
mod tus_protocol;
mod upload_and_serve;
