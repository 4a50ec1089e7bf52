//! The layer map, checked: which module may name which (`crate::…` paths in
//! the source, test modules aside), and no cycles between modules. The
//! compiler cannot see layers inside one crate; this test can.
//!
//! ```text
//! app (pages) ──▶ api (server functions) ──▶ server::service ──▶ store, db, media,
//!                                         ▲                    jobs, uploads, ingest, import,
//! server::http (wire) ────────────────────┘                    events, peers, domain,
//!                                                               filename, accounts
//! shared types (model, ids, error, library, albums, collections, edit, vtt,
//! format, accounts):
//! used by all, use none
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that every layer may use and that use no other layer.
const SHARED: &[&str] = &[
    "model",
    "ids",
    "error",
    "library",
    "albums",
    "collections",
    "edit",
    "vtt",
    "format",
    "accounts",
];
/// Below the service layer: what owns bytes, rows, ffmpeg, the queue…
const BELOW: &[&str] = &[
    "server::accounts",
    "server::store",
    "server::db",
    "server::media",
    "server::jobs",
    "server::uploads",
    "server::ingest",
    "server::import",
    "server::events",
    "server::peers",
    "server::domain",
    "server::filename",
];
/// The edges and what builds them: nothing below the service may name these.
const ABOVE: &[&str] = &[
    "app",
    "api",
    "server::http",
    "server::error",
    "server::credentials",
    "server::cli",
    "server::state",
    "server::metrics",
    "server::service",
];

/// A module's unit: `server::x` inside the server, else the top module.
fn unit(module: &str) -> String {
    let parts: Vec<&str> = module.split("::").collect();
    match parts.as_slice() {
        ["server", second, ..] => format!("server::{second}"),
        [first, ..] => (*first).to_string(),
        [] => String::new(),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/server/http/tus/mod.rs` → `server::http::tus`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The `crate::…` module paths a file names outside its test modules (tests
/// may reach below the layers to set up what they check).
fn references(text: &str) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ':'
                })
                .collect();
            let path = path.trim_end_matches(':').to_string();
            if !path.is_empty() {
                found.insert(path);
            }
        }
    }
    found
}

/// Every module's units it names, by unit.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        if module == "layers"
            || module.starts_with("testing")
            || module == "main"
            || module == "lib"
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        let from = unit(&module);
        let named = edges.entry(from.clone()).or_default();
        for path in references(&text) {
            let to = unit(&path);
            if to != from {
                named.insert(to);
            }
        }
    }
    edges
}

fn is(unit: &str, set: &[&str]) -> bool {
    set.contains(&unit)
}

#[test]
fn every_module_names_only_what_its_layer_may() {
    let mut wrong = Vec::new();
    for (from, named) in graph() {
        for to in &named {
            let allowed = if is(&from, SHARED) {
                is(to, SHARED)
            } else if from == "app" {
                is(to, SHARED) || to == "api"
            } else if from == "api" {
                is(to, SHARED)
                    || matches!(
                        to.as_str(),
                        "server::service" | "server::error" | "server::credentials"
                    )
            } else if is(&from, ABOVE) && from != "server::service" {
                // The edges and the composition roots: never below the
                // service, except `state`, which builds it all, and `cli`,
                // the operator's own access to the data directory.
                !is(to, BELOW) || from == "server::state" || from == "server::cli"
            } else if from == "server::service" {
                !is(to, ABOVE) || to == "server::service"
            } else if is(&from, BELOW) {
                !is(to, ABOVE)
            } else {
                true
            };
            if !allowed {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let edges = graph();
    // Depth-first search for a path back to the start, from every module.
    for start in edges.keys() {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    panic!("import cycle: {} -> {start}", path.join(" -> "));
                }
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
}

#[test]
fn the_modules_inside_media_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("server/media"), &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        let Some(own) = module.split("::").nth(2).map(str::to_string) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read");
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        for line in code.lines().filter(|l| l.trim_start().starts_with("use ")) {
            for name in [
                "probe",
                "safety",
                "decide",
                "process",
                "transcode",
                "poster",
                "scrub",
                "waveform",
                "edit",
                "loudness",
                "mp4_index",
            ] {
                let named = line.contains(&format!("super::{name}"))
                    || line.contains(&format!("media::{name}"));
                if named && name != own {
                    edges
                        .entry(own.clone())
                        .or_default()
                        .insert(name.to_string());
                }
            }
        }
    }
    for (a, named) in &edges {
        for b in named {
            assert!(
                !edges.get(b).is_some_and(|back| back.contains(a)),
                "media::{a} and media::{b} name each other"
            );
        }
    }
}

#[test]
fn server_functions_live_in_the_api_module_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let outside: Vec<String> = files
        .iter()
        .filter(|file| !file.starts_with(src.join("api")) && !file.ends_with("layers.rs"))
        .filter(|file| {
            let text = std::fs::read_to_string(file).expect("read");
            text.contains("#[server(") || text.contains("#[leptos::server(")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "server functions outside src/api: {outside:?}"
    );
}
