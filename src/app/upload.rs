//! The drop zone and one row per file: progress while bytes go up, then the
//! item's processing state, then a link to it. Sending happens in `browser`.
//! While the zone is on screen the whole page takes drops: files dragged
//! anywhere over it show an overlay and land in the zone.

use leptos::prelude::*;

use super::account::VisibilitySelect;
use super::upload_row::upload_list;

use crate::accounts::Visibility;
use crate::error::ApiError;
use crate::format;
use crate::model::UploadLimits;

/// Where one dropped file is.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Phase {
    /// Waiting for one of the parallel upload slots.
    Queued,
    Uploading,
    Paused,
    /// All bytes sent; the server is checking and storing the file.
    Finalising,
    Processing {
        id: String,
    },
    Ready {
        id: String,
    },
    /// The file was in the library already: the item `id` holds it.
    AlreadyThere {
        id: String,
    },
    Failed {
        message: String,
        id: Option<String>,
    },
    Cancelled,
}

impl Phase {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Uploading => "uploading",
            Phase::Paused => "paused",
            Phase::Finalising | Phase::Processing { .. } => "processing",
            Phase::Ready { .. } => "ready",
            Phase::AlreadyThere { .. } => "duplicate",
            Phase::Failed { .. } => "failed",
            Phase::Cancelled => "cancelled",
        }
    }

    pub(crate) fn item_id(&self) -> Option<&str> {
        match self {
            Phase::Processing { id } | Phase::Ready { id } | Phase::AlreadyThere { id } => Some(id),
            Phase::Failed { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn can_pause(&self) -> bool {
        matches!(self, Phase::Queued | Phase::Uploading)
    }

    pub(crate) fn can_cancel(&self) -> bool {
        matches!(self, Phase::Queued | Phase::Uploading | Phase::Paused)
    }
}

/// One file's upload, shared between the row's view and the code sending it.
#[derive(Clone)]
pub(crate) struct UploadRow {
    pub key: u64,
    pub filename: String,
    pub size: u64,
    /// Who may see the item once it is one.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub visibility: Visibility,
    /// File bytes the server has (or is receiving), and the file size.
    pub progress: ArcRwSignal<(f64, f64)>,
    pub bytes_per_sec: ArcRwSignal<f64>,
    pub phase: ArcRwSignal<Phase>,
    /// A remark such as "Resumed at 40 %" or "Retrying in 4 s".
    pub note: ArcRwSignal<Option<String>>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl UploadRow {
    pub(crate) fn new(key: u64, filename: String, size: u64, visibility: Visibility) -> Self {
        UploadRow {
            key,
            filename,
            size,
            visibility,
            progress: ArcRwSignal::new((0.0, size as f64)),
            bytes_per_sec: ArcRwSignal::new(0.0),
            phase: ArcRwSignal::new(Phase::Queued),
            note: ArcRwSignal::new(None),
        }
    }

    pub(crate) fn percent(&self) -> u32 {
        let (sent, total) = self.progress.get();
        if total <= 0.0 {
            return 0;
        }
        ((sent / total) * 100.0).clamp(0.0, 100.0).floor() as u32
    }
}

/// Checks a file before any byte is sent; the message is shown on its row.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) fn precheck(size: u64, max_upload: Option<u64>) -> Result<(), String> {
    if size == 0 {
        return Err("This file is empty.".to_string());
    }
    match max_upload {
        Some(max) if size > max => Err(format!(
            "This file is {}; the largest upload allowed is {}.",
            format::bytes(size),
            format::bytes(max)
        )),
        _ => Ok(()),
    }
}

/// The id of the zone's file input, so other parts of the page (the empty
/// library's invitation) can label it.
pub(crate) const FILE_INPUT_ID: &str = "upload-file-input";

#[component]
pub(crate) fn UploadZone(
    /// The server's upload cap and chunk size.
    limits: Resource<Result<UploadLimits, ApiError>>,
    /// Called when an item is created or finishes processing.
    on_item_changed: Callback<()>,
) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let _ = on_item_changed;
    let rows = RwSignal::new(Vec::<UploadRow>::new());
    // The list (and its code) appears with the first row.
    let any_rows = Memo::new(move |_| !rows.read().is_empty());
    let dragging = RwSignal::new(false);
    // Who may see what is uploaded next.
    let visibility = RwSignal::new(Visibility::Private);
    #[cfg(feature = "hydrate")]
    let next_key = StoredValue::new(0u64);

    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let accept = move |files: Option<web_sys::FileList>| {
        #[cfg(feature = "hydrate")]
        if let Some(files) = files {
            let limits = limits.get_untracked().and_then(|result| result.ok());
            let limits = (
                limits.map(|l| l.max_upload_bytes),
                limits
                    .map(|l| l.upload_chunk_bytes)
                    .unwrap_or(super::tus_protocol::DEFAULT_CHUNK_BYTES),
            );
            let visibility = visibility.get_untracked();
            // Taken out of the list now: the input empties it right after.
            let files = (0..files.length()).filter_map(|i| files.get(i)).collect();
            leptos::task::spawn_local(super::browser::start_uploads(
                files,
                rows,
                next_key,
                limits,
                on_item_changed,
                visibility,
            ));
        }
    };

    // The whole page is the drop target, not only the zone.
    #[cfg(feature = "hydrate")]
    page_drop_target(dragging, accept);

    view! {
        <div class="drop-overlay" class:visible=move || dragging.get() aria-hidden="true">
            <p class="drop-overlay-text">"Drop to upload"</p>
        </div>
        <section class="drop-zone" class:dragging=move || dragging.get() data-testid="drop-zone">
            <p class="drop-title">"Drop audio or video files anywhere on this page"</p>
            <label class="button">
                "Choose files…"
                <input
                    type="file"
                    id=FILE_INPUT_ID
                    multiple
                    accept="audio/*,video/*"
                    class="visually-hidden"
                    data-testid="file-input"
                    on:change=move |ev| {
                        let input = event_target::<web_sys::HtmlInputElement>(&ev);
                        accept(input.files());
                        // Let the same file be chosen again later.
                        input.set_value("");
                    }
                />
            </label>
            <label class="visibility-choice">
                "Visible to "
                <VisibilitySelect value=visibility testid="upload-visibility"/>
            </label>
            <p class="muted small">
                // Inside a Transition so the server and the browser render the same text.
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        limits
                            .await
                            .ok()
                            .map(|l| format!("Up to {} per file.", format::bytes(l.max_upload_bytes)))
                    })}
                </Transition>
            </p>
        </section>
        {move || any_rows.get().then(|| Suspend::new(upload_list(rows)))}
    }
}

/// Listens on the window for files dragged over the page: `dragging` is
/// true while they hover (entering and leaving children is counted, so the
/// overlay does not flicker), and a drop anywhere hands them to `accept`.
/// Drags of other things (text, links) are left alone. Removed with the zone.
#[cfg(feature = "hydrate")]
fn page_drop_target(
    dragging: RwSignal<bool>,
    accept: impl Fn(Option<web_sys::FileList>) + Clone + 'static,
) {
    use leptos::ev;
    use std::cell::Cell;
    use std::rc::Rc;

    fn has_files(ev: &web_sys::DragEvent) -> bool {
        ev.data_transfer()
            .is_some_and(|dt| dt.types().includes(&"Files".into(), 0))
    }

    let depth = Rc::new(Cell::new(0u32));
    let enter = {
        let depth = depth.clone();
        window_event_listener(ev::dragenter, move |ev| {
            if has_files(&ev) {
                ev.prevent_default();
                depth.set(depth.get() + 1);
                dragging.set(true);
            }
        })
    };
    let over = window_event_listener(ev::dragover, move |ev| {
        if has_files(&ev) {
            // Without this the browser opens the file instead of dropping it.
            ev.prevent_default();
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("copy");
            }
            if !dragging.get_untracked() {
                dragging.set(true);
            }
        }
    });
    let leave = {
        let depth = depth.clone();
        window_event_listener(ev::dragleave, move |_| {
            depth.set(depth.get().saturating_sub(1));
            if depth.get() == 0 {
                dragging.set(false);
            }
        })
    };
    let drop = window_event_listener(ev::drop, move |ev| {
        depth.set(0);
        dragging.set(false);
        if has_files(&ev) {
            ev.prevent_default();
            accept(ev.data_transfer().and_then(|dt| dt.files()));
        }
    });
    on_cleanup(move || {
        for handle in [enter, over, leave, drop] {
            handle.remove();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precheck_refuses_empty_and_oversized_files() {
        assert_eq!(precheck(0, None), Err("This file is empty.".to_string()));
        assert_eq!(precheck(10, Some(100)), Ok(()));
        assert_eq!(precheck(10, None), Ok(()));
        let message = precheck(2_000, Some(1_000)).unwrap_err();
        assert!(
            message.contains("2.0 KB") && message.contains("1.0 KB"),
            "{message}"
        );
    }
}
