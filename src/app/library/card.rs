//! The grid and its cards: a picture in a fixed 16:9 box (poster, cover, or
//! a drawn waveform for audio without one), the title, facts, the state and
//! processing progress, and Edit / Delete. Edit turns the card's text into a
//! form in place; Delete asks first (the page's dialog).

use leptos::prelude::*;

use super::LibraryUi;
use super::edit_form::edit_form;
use super::selection::SelectToggle;
use crate::app::account::VisibilityBadge;
use crate::app::labels::label_chips;
use crate::app::live::{Live, Status};
use crate::app::now_playing::{QueueButtons, Track};
use crate::app::progress::ProcessingStatus;
use crate::format;
use crate::model::{MediaItem, MediaKind};

#[component]
pub(crate) fn MediaGrid(
    items: Vec<MediaItem>,
    ui: LibraryUi,
    /// Whether cards can be chosen (the asker is signed in).
    selectable: bool,
    on_changed: Callback<()>,
) -> impl IntoView {
    ui.selection.show(
        (items.iter())
            .map(|item| (item.id.to_string(), item.title.clone()))
            .collect(),
    );
    let cards = items
        .into_iter()
        .map(|item| {
            let id = item.id.to_string();
            move || {
                (!ui.is_removed(&id))
                    .then(|| view! { <MediaCard item=item.clone() ui on_changed/> })
            }
        })
        .collect_view();
    let on_focusin = move |ev: leptos::ev::FocusEvent| {
        use wasm_bindgen::JsCast;
        if let Some(element) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            ui.note_focus(element.id());
        }
    };
    view! {
        // Toggles are hidden (CSS) for someone not signed in. The grid's own
        // boundary has waited for the session, so the server's HTML and the
        // hydrated page agree and toggles are there from the first paint (a
        // signal set by another boundary came after hydration had finished).
        <ul class="grid" data-testid="media-grid" on:focusin=on_focusin
            data-selectable=selectable.to_string()
            on:keydown=move |ev| if selectable { ui.selection.on_key(&ev) }>
            {cards}
        </ul>
    }
}

/// The date part of an RFC 3339 time ("2026-11-24").
fn date_of(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// A waveform-like drawing for audio without a cover: bars whose heights
/// come from the id, so each item has its own and the server and the
/// browser draw the same. An SVG path in a 80×24 box.
pub(crate) fn placeholder_wave(seed: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for byte in seed.bytes() {
        h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    let mut path = String::with_capacity(40 * 14);
    for i in 0..40u32 {
        h = h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        // Louder in the middle, like most recordings.
        let envelope = 1.0 - ((f64::from(i) - 19.5) / 22.0).powi(2);
        let amp = (1.0 + f64::from(h >> 28) * 0.7) * envelope;
        let x = f64::from(i) * 2.0 + 1.0;
        path.push_str(&format!("M{x} {:.1}v{:.1}", 12.0 - amp, amp * 2.0));
    }
    path
}

#[component]
fn MediaCard(item: MediaItem, ui: LibraryUi, on_changed: Callback<()>) -> impl IntoView {
    let urls = item.urls.clone();
    let kind = item.kind.as_str();
    let id = item.id.to_string();
    let shown = Status {
        state: item.state.clone(),
        progress: item.progress.clone(),
    };
    let status = Live::get().status(id.clone(), move || shown.clone());
    let state = Memo::new(move |_| status.with(|s| s.state.name()));
    // Saved edits show at once, before the page is fetched again.
    let title = RwSignal::new(item.title.clone());
    let description = RwSignal::new(item.description.clone());
    let visibility = RwSignal::new(item.visibility);
    let can_change = item.can_change;
    let picture = match (urls.poster.clone(), item.kind) {
        (Some(src), _) => view! {
            <img src=src alt="" loading="lazy" decoding="async" width="320" height="180"/>
        }
        .into_any(),
        (None, MediaKind::Audio) => view! {
            <svg class="thumb-wave" viewBox="0 0 80 24" preserveAspectRatio="none" aria-hidden="true">
                <path d=placeholder_wave(item.id.as_str())/>
            </svg>
        }
        .into_any(),
        (None, MediaKind::Video) => {
            view! { <span class="thumb-icon" aria-hidden="true">"▶"</span> }.into_any()
        }
    };
    let badge = move || match state.get() {
        "processing" => Some(view! { <span class="badge processing">"Processing…"</span> }),
        "failed" => Some(view! { <span class="badge failed">"Failed"</span> }),
        _ => None,
    };
    let duration = item.duration_secs.map(format::duration);
    let thumb_duration = duration.clone();
    let size = format::bytes(item.size_bytes);
    let created = item.created_at.clone();
    let labels = item.labels.clone();
    let favourite = item.favourite;
    let facts = move || {
        view! {
            <span class="card-meta">
                {favourite.then(|| view! {
                    <span class="favourite-mark" data-testid="favourite-mark" title="Favourite">"★"</span>
                })}
                <span class="kind">{kind}</span>
                {duration.clone().map(|d| view! { <span>{d}</span> })}
                <span>{size.clone()}</span>
                <time datetime=created.clone()>{date_of(&created).to_string()}</time>
                {move || view! { <VisibilityBadge visibility=visibility.get()/> }}
            </span>
        }
    };
    let editing = {
        let id = id.clone();
        Memo::new(move |_| ui.editing.with(|e| e.as_deref() == Some(id.as_str())))
    };
    let edit_button = format!("edit-{id}");
    let delete_button = format!("delete-{id}");
    let page_url = urls.page.clone();
    let track = Track::of(&item);
    let title_link = format!("title-{id}");
    let (select_id, select_title) = (id.clone(), item.title.clone());
    let chosen_id = id.clone();
    {
        let ids = [
            title_link.clone(),
            edit_button.clone(),
            delete_button.clone(),
        ];
        Effect::new(move |_| ui.restore_focus(&ids));
    }

    let body = {
        let id = id.clone();
        let (edit_button, delete_button) = (edit_button.clone(), delete_button.clone());
        move || {
            let title_link = title_link.clone();
            let (id, id2) = (id.clone(), id.clone());
            view! {
                <div class="card-body">
                    <a href=page_url.clone() id=title_link class="card-title" data-testid="media-title">
                        {move || title.get()}
                    </a>
                    {facts()}
                    {label_chips(&labels)}
                    {track.clone().map(|track| view! { <QueueButtons track/> })}
                    {can_change.then(|| view! {
                    <div class="card-actions">
                        <button
                            type="button"
                            class="row-button"
                            id=edit_button.clone()
                            data-testid="edit-item"
                            aria-label=move || format!("Edit “{}”", title.get())
                            on:click=move |_| ui.editing.set(Some(id.clone()))
                        >
                            "Edit"
                        </button>
                        <button
                            type="button"
                            class="row-button danger"
                            id=delete_button.clone()
                            data-testid="delete-item"
                            aria-label=move || format!("Delete “{}”", title.get())
                            on:click=move |_| ui.deleting.set(Some((id2.clone(), title.get_untracked())))
                        >
                            "Delete"
                        </button>
                    </div>
                    })}
                </div>
            }
        }
    };
    let form = {
        let id = id.clone();
        move || {
            let (id, return_focus) = (id.clone(), edit_button.clone());
            Suspend::new(async move {
                edit_form(
                    id,
                    title,
                    description,
                    visibility,
                    ui,
                    on_changed,
                    return_focus,
                )
                .await
            })
        }
    };

    view! {
        <li
            class="card"
            data-testid="media-card"
            data-id=id.clone()
            data-state=move || state.get()
            data-kind=kind
            class:chosen=move || ui.selection.is_chosen(&chosen_id)
        >
            <SelectToggle selection=ui.selection id=select_id title=select_title/>
            <a href=urls.page class="card-link" tabindex="-1" aria-hidden="true">
                <div class="thumb">
                    {picture}
                    {badge}
                    {thumb_duration.map(|d| view! { <span class="thumb-duration">{d}</span> })}
                </div>
            </a>
            {move || if editing.get() { form().into_any() } else { body().into_any() }}
            <ProcessingStatus id=id.clone() status on_changed can_change/>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_waves_differ_by_item_and_stay_in_the_box() {
        let a = placeholder_wave("0190a1b2c3d4");
        assert_eq!(a, placeholder_wave("0190a1b2c3d4"));
        assert_ne!(a, placeholder_wave("0190a1b2c3d5"));
        assert_eq!(a.matches('M').count(), 40);
        assert!(!a.contains('-'), "no bar leaves the 24-unit box: {a}");
    }

    #[test]
    fn dates_are_the_day() {
        assert_eq!(date_of("2026-11-24T20:21:51Z"), "2026-11-24");
        assert_eq!(date_of("soon"), "soon");
    }
}
