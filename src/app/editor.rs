//! The Edit panel under the player: trim, export, normalise loudness (audio)
//! and extract the sound (video with sound). Every edit asks the server to
//! start a job that makes a new item (`crate::api::start_edit`); on success
//! the page moves to that item, whose live status shows the job's progress
//! (and its Cancel button) until it plays. Refusals are shown next to the
//! control that asked.
//!
//! Also here: the "Edited from …" line an edited item shows.

mod export;
pub(crate) mod selection;
mod trim;

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::seek::Clock;
use crate::edit::EditRequest;
use crate::model::{MediaItem, MediaKind};
use selection::Selection;

/// The panels, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Trim,
    Export,
    Normalise,
    Extract,
}

impl Tab {
    fn key(self) -> &'static str {
        match self {
            Tab::Trim => "trim",
            Tab::Export => "export",
            Tab::Normalise => "normalise",
            Tab::Extract => "extract",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Trim => "Trim",
            Tab::Export => "Export",
            Tab::Normalise => "Normalise loudness",
            Tab::Extract => "Extract audio",
        }
    }
}

/// "1:02.500", "1:02:03.250": minutes (and hours) and seconds to the millisecond.
pub(crate) fn format_time(secs: f64) -> String {
    let ms = if secs.is_finite() {
        (secs.max(0.0) * 1000.0).round() as u64
    } else {
        0
    };
    let (whole, frac) = (ms / 1000, ms % 1000);
    let (h, m, s) = (whole / 3600, (whole / 60) % 60, whole % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{frac:03}")
    } else {
        format!("{m}:{s:02}.{frac:03}")
    }
}

/// Reads a typed time: seconds ("90", "90.5"), "m:ss(.mmm)" or
/// "h:mm:ss(.mmm)". The error says what was wrong, for people.
pub(crate) fn parse_time(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a time, such as 1:05.250 or 65.25.".into());
    }
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return Err(format!("“{text}” is not a time: use m:ss.mmm or seconds."));
    }
    let number = |part: &str| -> Option<f64> {
        let ok = !part.is_empty()
            && part.chars().all(|c| c.is_ascii_digit() || c == '.')
            && part.chars().filter(|c| *c == '.').count() <= 1
            && part != ".";
        ok.then(|| part.parse::<f64>().ok()).flatten()
    };
    let mut total = 0.0;
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let Some(value) = number(part) else {
            return Err(format!("“{text}” is not a time: use m:ss.mmm or seconds."));
        };
        if i < last && part.contains('.') {
            return Err(format!("“{text}”: only the seconds may have a fraction."));
        }
        if i > 0 && value >= 60.0 {
            return Err(format!("“{text}”: minutes and seconds go up to 59."));
        }
        total = total * 60.0 + value;
    }
    Ok(total)
}

/// A request's progress and refusal, for one panel's Save button.
#[derive(Clone, Copy)]
struct Submit {
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
}

impl Submit {
    fn new() -> Self {
        Submit {
            pending: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Asks the server for `request` on item `id`; goes to the new item
    /// when it was accepted, or shows why not. Browser only.
    fn send(&self, id: String, request: EditRequest, go: Callback<String>) {
        #[cfg(feature = "hydrate")]
        {
            let Submit { pending, error } = *self;
            if pending.get_untracked() {
                return;
            }
            pending.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let result = crate::api::start_edit(id, request).await;
                let _ = pending.try_set(false);
                match result {
                    Ok(item) => go.run(item.id.to_string()),
                    Err(e) => {
                        let _ = error.try_set(Some(e.message));
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, request, go);
    }

    /// The refusal, next to the control.
    fn error_view(&self) -> impl IntoView + use<> {
        let error = self.error;
        move || {
            error.get().map(|message| {
                view! { <p class="editor-error" role="alert" data-testid="editor-error">{message}</p> }
            })
        }
    }
}

/// What every panel needs to know.
#[derive(Clone)]
struct Source {
    id: String,
    kind: MediaKind,
    height: Option<u32>,
    has_audio: bool,
    /// Opens the new item's page.
    go: Callback<String>,
}

#[component]
pub(crate) fn Editor(
    /// The item as it was when the editor appeared.
    item: MediaItem,
    clock: Clock,
    /// The trim selection, shared with the waveform (audio).
    selection: Selection,
    video: NodeRef<html::Video>,
    audio: NodeRef<html::Audio>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = Callback::new(move |id: String| {
        navigate(&format!("/media/{id}"), Default::default());
    });
    let source = Source {
        id: item.id.to_string(),
        kind: item.kind,
        height: item.height,
        has_audio: item.audio_codec.is_some(),
        go,
    };
    let kind = item.kind;
    let seek = Callback::new(move |secs: f64| {
        let media: Option<web_sys::HtmlMediaElement> = match kind {
            MediaKind::Video => video.get_untracked().map(Into::into),
            MediaKind::Audio => audio.get_untracked().map(Into::into),
        };
        if let Some(media) = media {
            clock.seek_to(&media, secs);
        }
    });

    let mut tabs = vec![Tab::Trim, Tab::Export];
    match kind {
        MediaKind::Audio => tabs.push(Tab::Normalise),
        MediaKind::Video if source.has_audio => tabs.push(Tab::Extract),
        MediaKind::Video => {}
    }
    let active = RwSignal::new(Tab::Trim);
    let tab_refs: Vec<(Tab, NodeRef<html::Button>)> =
        tabs.iter().map(|t| (*t, NodeRef::new())).collect();
    // Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern).
    let on_tab_key = {
        let tabs = tabs.clone();
        let tab_refs = tab_refs.clone();
        move |ev: web_sys::KeyboardEvent| {
            let i = tabs
                .iter()
                .position(|t| *t == active.get_untracked())
                .unwrap_or(0);
            let n = tabs.len();
            let next = match ev.key().as_str() {
                "ArrowRight" => (i + 1) % n,
                "ArrowLeft" => (i + n - 1) % n,
                "Home" => 0,
                "End" => n - 1,
                _ => return,
            };
            ev.prevent_default();
            let tab = tabs[next];
            active.set(tab);
            let button = tab_refs
                .iter()
                .find(|(t, _)| *t == tab)
                .and_then(|(_, r)| r.get_untracked());
            if let Some(button) = button {
                let _ = button.focus();
            }
        }
    };

    let tab_buttons = tab_refs
        .iter()
        .map(|(tab, node)| {
            let (tab, node) = (*tab, *node);
            view! {
                <button
                    type="button"
                    role="tab"
                    class="editor-tab"
                    node_ref=node
                    id=format!("editor-tab-{}", tab.key())
                    data-testid=format!("editor-tab-{}", tab.key())
                    aria-controls=format!("editor-panel-{}", tab.key())
                    aria-selected=move || (active.get() == tab).to_string()
                    tabindex=move || if active.get() == tab { "0" } else { "-1" }
                    on:click=move |_| active.set(tab)
                >
                    {tab.label()}
                </button>
            }
        })
        .collect_view();

    let panel = move |tab: Tab, body: AnyView| {
        view! {
            <div
                class="editor-panel"
                role="tabpanel"
                id=format!("editor-panel-{}", tab.key())
                data-testid=format!("editor-panel-{}", tab.key())
                aria-labelledby=format!("editor-tab-{}", tab.key())
                hidden=move || active.get() != tab
            >
                {body}
            </div>
        }
    };
    let panels = tabs
        .iter()
        .map(|tab| {
            let source = source.clone();
            let body = match tab {
                Tab::Trim => view! {
                    <trim::TrimPanel source clock selection seek/>
                }
                .into_any(),
                Tab::Export => view! { <export::ExportPanel source/> }.into_any(),
                Tab::Normalise => view! { <export::NormalisePanel source/> }.into_any(),
                Tab::Extract => view! { <export::ExtractPanel source/> }.into_any(),
            };
            panel(*tab, body)
        })
        .collect_view();

    view! {
        <section class="editor" data-testid="editor" aria-labelledby="editor-heading">
            <h2 id="editor-heading" class="editor-heading">"Edit"</h2>
            <p class="editor-note muted">
                "Every edit makes a new item; this one stays as it is."
            </p>
            <div class="editor-tabs" role="tablist" aria-label="Edits" on:keydown=on_tab_key>
                {tab_buttons}
            </div>
            {panels}
        </section>
    }
}

/// On an edited item: where it came from and what the edit did.
#[component]
pub(crate) fn EditedFrom(#[prop(into)] item: Signal<MediaItem>) -> impl IntoView {
    let info = Memo::new(move |_| item.with(|i| (i.source_id.clone(), i.edit_summary.clone())));
    move || {
        let (source, summary) = info.get();
        (source.is_some() || summary.is_some()).then(|| {
            let origin = match source {
                Some(id) => view! {
                    "Edited from "
                    <a href=format!("/media/{id}") data-testid="edited-from-link">"the source item"</a>
                }
                .into_any(),
                None => view! { "Edited from an item that has since been deleted" }.into_any(),
            };
            view! {
                <div class="edited-from" data-testid="edited-from">
                    <p class="edited-origin">{origin}</p>
                    {summary.map(|s| view! { <p class="edit-summary" data-testid="edit-summary">{s}</p> })}
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_milliseconds() {
        assert_eq!(format_time(0.0), "0:00.000");
        assert_eq!(format_time(1.5), "0:01.500");
        assert_eq!(format_time(65.25), "1:05.250");
        assert_eq!(format_time(3_723.000_4), "1:02:03.000");
        assert_eq!(format_time(f64::NAN), "0:00.000");
    }

    #[test]
    fn typed_times_in_every_form() {
        assert_eq!(parse_time("1.5"), Ok(1.5));
        assert_eq!(parse_time(" 90 "), Ok(90.0));
        assert_eq!(parse_time("1:05.250"), Ok(65.25));
        assert_eq!(parse_time("0:04"), Ok(4.0));
        assert_eq!(parse_time("1:02:03.5"), Ok(3_723.5));
        assert_eq!(parse_time(&format_time(4.5)), Ok(4.5));
    }

    #[test]
    fn bad_times_say_why() {
        assert!(parse_time("").is_err());
        assert!(parse_time("abc").is_err());
        assert!(parse_time("-1").is_err());
        assert!(parse_time("1:75").is_err());
        assert!(parse_time("1.5:00").is_err());
        assert!(parse_time("1:2:3:4").is_err());
        assert!(parse_time("1..2").is_err());
        assert!(parse_time(":5").is_err());
    }
}
