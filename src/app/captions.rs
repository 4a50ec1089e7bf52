//! Captions on the media page: the item's tracks as `<track>` elements of
//! the video, a menu to choose one (remembered for this viewer across
//! items, by language or label), and for people who may change the item,
//! adding `.vtt`/`.srt` files, relabelling and removing tracks.

use leptos::html;
use leptos::prelude::*;

use super::player::browser;
use crate::model::{CaptionOrigin, CaptionTrack};

/// The chosen track's language (else label), or `off`.
const CHOICE_KEY: &str = "reel.captions";

/// The `<track>` elements of the page's video, one per readable track.
pub(crate) fn track_elements(tracks: RwSignal<Vec<CaptionTrack>>) -> impl IntoView {
    // Keyed: a track that stays is not made again (a new element would lose
    // its mode and make the browser pick tracks by itself).
    view! {
        <For
            each=move || tracks.get().into_iter().filter(|t| t.src.is_some())
            key=|t| (t.id, t.src.clone(), t.label.clone(), t.language.clone())
            let:t
        >
            <track
                kind="subtitles"
                src=t.src
                label=t.label
                srclang=t.language
                data-caption=t.id
            />
        </For>
    }
}

/// What the stored choice picks: a track with that language, else label.
fn chosen(tracks: &[CaptionTrack], choice: &str) -> Option<i64> {
    let shown = || tracks.iter().filter(|t| t.src.is_some());
    shown()
        .find(|t| t.language.as_deref() == Some(choice))
        .or_else(|| shown().find(|t| t.label == choice))
        .map(|t| t.id)
}

/// Shows the track with id `caption` (none: all off) on the video.
fn show(video: NodeRef<html::Video>, tracks: &[CaptionTrack], caption: Option<i64>) {
    let Some(video) = video.get_untracked() else {
        return;
    };
    let Some(list) = video.text_tracks() else {
        return;
    };
    let label = caption.and_then(|id| tracks.iter().find(|t| t.id == id).map(|t| t.label.clone()));
    let mut shown = false;
    for i in 0..list.length() {
        let Some(track) = list.get(i) else { continue };
        if track.kind() != web_sys::TextTrackKind::Subtitles {
            continue;
        }
        // The first track with the chosen label shows; labels rarely repeat.
        let on = !shown && label.as_deref() == Some(track.label().as_str());
        shown |= on;
        track.set_mode(if on {
            web_sys::TextTrackMode::Showing
        } else {
            web_sys::TextTrackMode::Disabled
        });
    }
}

/// How long after the page applied the choice a change of the video's
/// tracks is the browser's own doing: Chromium turns a subtitle track on by
/// itself when tracks are added while one shows ("automatic track
/// selection"). Later changes come from the video's own controls.
#[cfg(feature = "hydrate")]
const SETTLING_MS: f64 = 3000.0;

/// Keeps the video's tracks and the menu agreeing: a change right after the
/// page applied the choice is undone; a later one (the video's own captions
/// button) becomes the choice.
#[cfg(feature = "hydrate")]
fn follow_changes(
    video: NodeRef<html::Video>,
    tracks: RwSignal<Vec<CaptionTrack>>,
    selected: RwSignal<Option<i64>>,
    applied_at: StoredValue<f64>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(list) = video.get_untracked().and_then(|v| v.text_tracks()) else {
        return;
    };
    if list.onchange().is_some() {
        return;
    }
    let handler = Closure::<dyn FnMut()>::new(move || {
        let Some(list) = video.get_untracked().and_then(|v| v.text_tracks()) else {
            return;
        };
        let Some(known) = tracks.try_get_untracked() else {
            return;
        };
        let showing: Vec<String> = (0..list.length())
            .filter_map(|i| list.get(i))
            .filter(|t| {
                t.kind() == web_sys::TextTrackKind::Subtitles
                    && t.mode() == web_sys::TextTrackMode::Showing
            })
            .map(|t| t.label())
            .collect();
        let choice = selected.get_untracked();
        let label = choice.and_then(|id| known.iter().find(|t| t.id == id).map(|t| &t.label));
        let agrees = match label {
            Some(label) => showing.len() == 1 && showing[0] == *label,
            None => showing.is_empty(),
        };
        if agrees {
            return;
        }
        let settling = js_sys::Date::now() - applied_at.get_value() < SETTLING_MS;
        if settling {
            show(video, &known, choice);
        } else {
            let adopted = showing
                .first()
                .and_then(|l| known.iter().find(|t| &t.label == l));
            remember(adopted);
            selected.set(adopted.map(|t| t.id));
        }
    });
    list.set_onchange(Some(handler.as_ref().unchecked_ref()));
    // One handler per video element, for the page's life.
    handler.forget();
}

/// Stores the viewer's choice: the track's language, else its label.
fn remember(track: Option<&CaptionTrack>) {
    let value = track.map_or_else(
        || "off".to_string(),
        |t| t.language.clone().unwrap_or_else(|| t.label.clone()),
    );
    browser::store(CHOICE_KEY, &value);
}

/// The captions menu under a video: Off, or one track.
#[component]
pub(crate) fn CaptionMenu(
    tracks: RwSignal<Vec<CaptionTrack>>,
    video: NodeRef<html::Video>,
) -> impl IntoView {
    let selected = RwSignal::new(None::<i64>);
    let applied_at = StoredValue::new(0.0_f64);
    let apply = move |list: &[CaptionTrack], pick: Option<i64>| {
        #[cfg(feature = "hydrate")]
        {
            applied_at.set_value(js_sys::Date::now());
            follow_changes(video, tracks, selected, applied_at);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = applied_at;
        show(video, list, pick);
    };
    // Once the tracks are known (and whenever they change), the viewer's
    // remembered choice applies.
    Effect::new(move |_| {
        let list = tracks.get();
        let choice = browser::load(CHOICE_KEY).unwrap_or_default();
        let pick = chosen(&list, &choice);
        selected.set(pick);
        apply(&list, pick);
    });
    let change = move |ev: leptos::ev::Event| {
        let pick = event_target_value(&ev).parse::<i64>().ok();
        let list = tracks.get_untracked();
        remember(pick.and_then(|id| list.iter().find(|t| t.id == id)));
        selected.set(pick);
        apply(&list, pick);
    };
    move || {
        let list: Vec<CaptionTrack> = tracks
            .get()
            .into_iter()
            .filter(|t| t.src.is_some())
            .collect();
        (!list.is_empty()).then(|| {
            let options = list
                .into_iter()
                .map(|t| {
                    let id = t.id;
                    view! {
                        <option value=id.to_string() prop:selected=move || selected.get() == Some(id)>
                            {t.label}
                        </option>
                    }
                })
                .collect_view();
            view! {
                <label class="caption-menu">
                    <span>"Captions"</span>
                    <select data-testid="caption-menu" on:change=change>
                        <option value="off" prop:selected=move || selected.get().is_none()>"Off"</option>
                        {options}
                    </select>
                </label>
            }
        })
    }
}

/// The file's bytes, read in the browser.
async fn file_bytes(file: web_sys::File) -> Result<Vec<u8>, String> {
    #[cfg(feature = "hydrate")]
    {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| "The file could not be read.".to_string())?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = file;
        Err("Files are read in the browser.".into())
    }
}

/// Adding, relabelling and removing tracks (people who may change the item).
#[component]
pub(crate) fn CaptionEditor(id: String, tracks: RwSignal<Vec<CaptionTrack>>) -> impl IntoView {
    let id = StoredValue::new(id);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let label = RwSignal::new(String::new());
    let language = RwSignal::new(String::new());
    let file_ref = NodeRef::<html::Input>::new();
    let answer = move |result: Result<Vec<CaptionTrack>, crate::error::ApiError>| {
        let _ = busy.try_set(false);
        match result {
            Ok(list) => {
                error.set(None);
                tracks.set(list);
                true
            }
            Err(e) => {
                error.set(Some(e.message));
                false
            }
        }
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let file = file_ref
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else {
            return error.set(Some("Choose a .vtt or .srt file first.".into()));
        };
        let name = file.name();
        let typed_label = label.get_untracked();
        // A file named "talk.en.srt" is labelled from its name when no label was typed.
        let label_text = if typed_label.trim().is_empty() {
            name.rsplit_once('.')
                .map_or(name.clone(), |(stem, _)| stem.to_string())
        } else {
            typed_label
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            use base64::Engine as _;
            let bytes = match file_bytes(file).await {
                Ok(bytes) => bytes,
                Err(message) => {
                    busy.set(false);
                    return error.set(Some(message));
                }
            };
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            let result = crate::api::add_caption(
                id.get_value(),
                name,
                data,
                label_text,
                language.get_untracked(),
            )
            .await;
            if answer(result) {
                label.set(String::new());
                language.set(String::new());
                if let Some(input) = file_ref.get_untracked() {
                    input.set_value("");
                }
            }
        });
    };
    let rows = move || {
        tracks
            .get()
            .into_iter()
            .map(|t| view! { <CaptionRow id=id.get_value() track=t tracks error/> })
            .collect_view()
    };
    view! {
        <details class="captions-panel" data-testid="captions-panel">
            <summary>{move || format!("Captions ({})", tracks.with(Vec::len))}</summary>
            <ul class="caption-rows">{rows}</ul>
            <form class="caption-add" on:submit=add novalidate>
                <div class="field">
                    <label for="caption-file">"Caption file (.vtt or .srt)"</label>
                    <input id="caption-file" type="file" accept=".vtt,.srt,text/vtt" node_ref=file_ref data-testid="caption-file"/>
                </div>
                <div class="field">
                    <label for="caption-label">"Label"</label>
                    <input id="caption-label" type="text" placeholder="English" data-testid="caption-label"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="caption-language">"Language"</label>
                    <input id="caption-language" type="text" placeholder="en" data-testid="caption-language"
                        prop:value=move || language.get() on:input=move |ev| language.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="button small-button" data-testid="caption-add" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add captions" }}
                </button>
            </form>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="caption-error">{e}</p> })}
        </details>
    }
}

/// One track in the editor: its label and language, saved or removed.
#[component]
fn CaptionRow(
    id: String,
    track: CaptionTrack,
    tracks: RwSignal<Vec<CaptionTrack>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let caption = track.id;
    let label = RwSignal::new(track.label.clone());
    let language = RwSignal::new(track.language.clone().unwrap_or_default());
    let settle = move |result: Result<Vec<CaptionTrack>, crate::error::ApiError>| match result {
        Ok(list) => {
            error.set(None);
            tracks.set(list);
        }
        Err(e) => error.set(Some(e.message)),
    };
    let save = move |_| {
        leptos::task::spawn_local(async move {
            let result = crate::api::update_caption(
                id.get_value(),
                caption,
                label.get_untracked(),
                language.get_untracked(),
            )
            .await;
            settle(result);
        });
    };
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            settle(crate::api::delete_caption(id.get_value(), caption).await);
        });
    };
    let origin = match track.origin {
        CaptionOrigin::File => "from the file",
        CaptionOrigin::Upload => "added",
    };
    view! {
        <li class="caption-row" data-testid="caption-row">
            <input type="text" aria-label="Label" prop:value=move || label.get()
                on:input=move |ev| label.set(event_target_value(&ev))/>
            <input type="text" aria-label="Language" class="caption-lang" prop:value=move || language.get()
                on:input=move |ev| language.set(event_target_value(&ev))/>
            <span class="muted">{origin}</span>
            {track.note.map(|note| view! { <span class="caption-note">{note}</span> })}
            <button type="button" class="row-button" on:click=save>"Save"</button>
            <button type="button" class="row-button" data-testid="caption-delete" on:click=remove>"Remove"</button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(id: i64, label: &str, language: Option<&str>, ready: bool) -> CaptionTrack {
        CaptionTrack {
            id,
            label: label.into(),
            language: language.map(Into::into),
            origin: CaptionOrigin::Upload,
            src: ready.then(|| format!("/files/x/captions/{id}")),
            note: None,
        }
    }

    #[test]
    fn the_remembered_choice_picks_by_language_then_label() {
        let tracks = [
            track(1, "English", Some("en"), true),
            track(2, "Deutsch", Some("de"), true),
            track(3, "Director", None, true),
            track(4, "Pictures", Some("fr"), false),
        ];
        assert_eq!(chosen(&tracks, "de"), Some(2));
        assert_eq!(chosen(&tracks, "Director"), Some(3));
        assert_eq!(chosen(&tracks, "off"), None);
        // A track that cannot be shown is never chosen.
        assert_eq!(chosen(&tracks, "fr"), None);
    }
}
