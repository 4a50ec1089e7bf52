//! The media page's chapters: a list that seeks the player (the playing
//! chapter marked), marks on the seek bar, and, for people who may change
//! the item, an editor (title and start time per row, "add at the current
//! position", remove, save).

use leptos::html;
use leptos::prelude::*;

use super::seek::Clock;
use crate::format;
use crate::model::tags::{chapter_at, parse_clock};
use crate::model::{Chapter, MediaItem};

/// The page's player element, whichever kind it is.
pub(crate) fn page_media(
    video: NodeRef<html::Video>,
    audio: NodeRef<html::Audio>,
) -> Option<web_sys::HtmlMediaElement> {
    let video = video.get_untracked().map(web_sys::HtmlMediaElement::from);
    video.or_else(|| audio.get_untracked().map(Into::into))
}

/// A row of the editor while it is being typed.
#[derive(Clone, Copy, Debug)]
struct Draft {
    key: usize,
    start: RwSignal<String>,
    title: RwSignal<String>,
}

#[component]
pub(crate) fn Chapters(
    id: String,
    item: Memo<MediaItem>,
    clock: Clock,
    video: NodeRef<html::Video>,
    audio: NodeRef<html::Audio>,
    can_change: bool,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let chapters = Memo::new(move |_| item.with(|i| i.chapters.clone()));
    let current = Memo::new(move |_| chapters.with(|list| chapter_at(list, clock.time.get())));
    let editing = RwSignal::new(false);
    let id = StoredValue::new(id);
    let seek = move |at: f64| {
        if let Some(media) = page_media(video, audio) {
            clock.seek_to(&media, at);
            if media.paused() {
                let _ = media.play();
            }
        }
    };
    let list = move || {
        chapters
            .get()
            .into_iter()
            .enumerate()
            .map(|(n, chapter)| {
                let at = chapter.start_secs;
                view! {
                    <li>
                        <button
                            type="button"
                            class="chapter"
                            data-testid="chapter"
                            data-start=format!("{at:.3}")
                            aria-current=move || (current.get() == Some(n)).then_some("true")
                            on:click=move |_| seek(at)
                        >
                            <span class="chapter-time">{format::duration(at)}</span>
                            <span class="chapter-title">{chapter.title.clone()}</span>
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let shown = move || !chapters.with(Vec::is_empty) || can_change;
    view! {
        <Show when=shown>
            <section class="chapters" aria-labelledby="chapters-heading">
                <h2 id="chapters-heading">"Chapters"</h2>
                <Show
                    when=move || editing.get()
                    fallback=move || {
                        view! {
                            <ol class="chapter-list" data-testid="chapters">{list}</ol>
                            {can_change.then(|| view! {
                                <button
                                    type="button"
                                    class="row-button"
                                    data-testid="edit-chapters"
                                    on:click=move |_| editing.set(true)
                                >
                                    {move || if chapters.with(Vec::is_empty) { "Add chapters" } else { "Edit chapters" }}
                                </button>
                            })}
                        }
                    }
                >
                    <ChapterEditor id=id.get_value() chapters clock editing on_saved/>
                </Show>
            </section>
        </Show>
    }
}

/// Marks on a seek bar at each chapter's start (as a share of `duration`).
#[component]
pub(crate) fn ChapterMarks(chapters: Memo<Vec<Chapter>>, clock: Clock) -> impl IntoView {
    move || {
        let duration = clock.duration.get();
        (duration > 0.0).then(|| {
            chapters
                .get()
                .into_iter()
                .filter(|c| c.start_secs > 0.0)
                .map(|c| {
                    let left = format!("{:.3}%", (c.start_secs / duration * 100.0).min(100.0));
                    view! { <span class="chapter-mark" data-testid="chapter-mark" style:left=left title=c.title></span> }
                })
                .collect_view()
        })
    }
}

#[component]
fn ChapterEditor(
    id: String,
    chapters: Memo<Vec<Chapter>>,
    clock: Clock,
    editing: RwSignal<bool>,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let next_key = StoredValue::new(0usize);
    let row = move |start: f64, title: String| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        Draft {
            key,
            start: RwSignal::new(format::duration_precise(start)),
            title: RwSignal::new(title),
        }
    };
    let rows = RwSignal::new(
        chapters
            .get_untracked()
            .into_iter()
            .map(|c| row(c.start_secs, c.title))
            .collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let add_here = move |_| {
        let at = clock.time.get_untracked();
        rows.update(|r| r.push(row(at, String::new())));
    };
    let id = StoredValue::new(id);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut list = Vec::new();
        for draft in rows.get_untracked() {
            let start = draft.start.get_untracked();
            let Some(start_secs) = parse_clock(&start) else {
                error.set(Some(format!(
                    "“{start}” is not a time; write it as 1:05 or 1:02:05."
                )));
                return;
            };
            list.push(Chapter {
                start_secs,
                title: draft.title.get_untracked(),
            });
        }
        error.set(None);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::update_chapters(id.get_value(), list).await;
            let _ = saving.try_set(false);
            match result {
                Ok(item) => {
                    editing.set(false);
                    on_saved.run(item);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="chapter-editor" data-testid="chapter-editor" novalidate on:submit=save>
            <ol>
                <For each=move || rows.get() key=|d| d.key let:draft>
                    <li class="chapter-row">
                        <input
                            type="text"
                            class="chapter-start"
                            inputmode="decimal"
                            aria-label="Starts at"
                            data-testid="chapter-start"
                            prop:value=move || draft.start.get()
                            on:input=move |ev| draft.start.set(event_target_value(&ev))
                        />
                        <input
                            type="text"
                            class="chapter-name"
                            aria-label="Chapter title"
                            data-testid="chapter-title"
                            prop:value=move || draft.title.get()
                            on:input=move |ev| draft.title.set(event_target_value(&ev))
                        />
                        <button
                            type="button"
                            class="row-button"
                            aria-label="Remove this chapter"
                            on:click=move |_| rows.update(|r| r.retain(|d| d.key != draft.key))
                        >
                            "Remove"
                        </button>
                    </li>
                </For>
            </ol>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="card-actions">
                <button type="button" class="row-button" data-testid="chapter-add" on:click=add_here>
                    "Add at current position"
                </button>
                <button type="submit" class="button small-button" data-testid="chapters-save" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save chapters" }}
                </button>
                <button type="button" class="row-button" on:click=move |_| editing.set(false)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
