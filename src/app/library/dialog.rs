//! "Delete this item?": an in-page dialog (not `window.confirm`), modal for
//! the keyboard: focus starts on the safe choice, Tab stays inside, Escape
//! or a click outside keeps the item. Deleting removes the card at once and
//! fetches the page again, so the next item moves up.

use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::lazy;
use leptos::prelude::*;

use super::{LibraryUi, focus_id};
use crate::error::ErrorCode;

#[component]
pub(crate) fn ConfirmDelete(ui: LibraryUi) -> impl IntoView {
    move || {
        ui.deleting
            .get()
            .map(|(id, title)| Suspend::new(async move { delete_dialog(id, title, ui).await }))
    }
}

/// The dialog's code is its own wasm piece (`--split`), fetched the first
/// time someone asks to delete: the library's first load does not carry it.
#[lazy]
fn delete_dialog(id: String, title: String, ui: LibraryUi) -> AnyView {
    view! { <DeleteDialog id title ui/> }.into_any()
}

#[component]
fn DeleteDialog(id: String, title: String, ui: LibraryUi) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let keep_ref = NodeRef::<leptos::html::Button>::new();
    let delete_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(keep) = keep_ref.get() {
            let _ = keep.focus();
        }
    });
    let opener = StoredValue::new(format!("delete-{id}"));
    let keep = move || {
        if busy.get_untracked() {
            return;
        }
        ui.deleting.set(None);
        focus_id(&opener.get_value());
    };
    let id = StoredValue::new(id);
    let confirm = move |_: MouseEvent| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let id = id.get_value();
        leptos::task::spawn_local(async move {
            let result = crate::api::delete_media(id.clone()).await;
            let _ = busy.try_set(false);
            match result {
                // Already gone (deleted elsewhere) is what was asked for.
                Err(e) if e.code != ErrorCode::NotFound => {
                    let _ = error.try_set(Some(e.message));
                }
                _ => {
                    ui.removed.update(|removed| removed.push(id));
                    ui.deleting.set(None);
                    focus_id("library-heading");
                }
            }
        });
    };
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            keep();
        }
        "Tab" => {
            // Two buttons: Tab and Shift+Tab go from one to the other.
            ev.prevent_default();
            let (keep_button, delete_button) =
                (keep_ref.get_untracked(), delete_ref.get_untracked());
            let on_keep = keep_button
                .as_ref()
                .is_some_and(|k| document().active_element().is_some_and(|a| a == ***k));
            let target = if on_keep { delete_button } else { keep_button };
            if let Some(target) = target {
                let _ = target.focus();
            }
        }
        _ => {}
    };
    let on_backdrop = move |ev: MouseEvent| {
        if ev.target() == ev.current_target() {
            keep();
        }
    };

    view! {
        <div class="dialog-backdrop" on:click=on_backdrop>
            <div
                class="dialog"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="delete-heading"
                aria-describedby="delete-text"
                data-testid="delete-dialog"
                on:keydown=on_keydown
            >
                <h2 id="delete-heading">"Delete this item?"</h2>
                <p id="delete-text">
                    "“" <strong>{title}</strong> "” and all its files will be removed for good. This cannot be undone."
                </p>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <div class="dialog-actions">
                    <button
                        type="button"
                        class="row-button"
                        data-testid="cancel-delete"
                        node_ref=keep_ref
                        on:click=move |_| keep()
                    >
                        "Keep it"
                    </button>
                    <button
                        type="button"
                        class="button danger"
                        data-testid="confirm-delete"
                        node_ref=delete_ref
                        disabled=move || busy.get()
                        on:click=confirm
                    >
                        {move || if busy.get() { "Deleting…" } else { "Delete" }}
                    </button>
                </div>
            </div>
        </div>
    }
}
