//! A card's edit form, in place of its text: title, description and who
//! may see the item. Checks as the server does before sending; the
//! server's refusal is shown by the field it names.

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::lazy;
use leptos::prelude::*;

use super::{LibraryUi, focus_id};
use crate::accounts::Visibility;
use crate::app::account::VisibilitySelect;
use crate::error::ErrorCode;
use crate::library::{clean_description, clean_title};

/// The form's code is its own wasm piece (`--split`), fetched the first time
/// any card is edited: the library's first load does not carry it.
#[lazy]
pub(super) fn edit_form(
    id: String,
    title: RwSignal<String>,
    description: RwSignal<String>,
    visibility: RwSignal<Visibility>,
    ui: LibraryUi,
    on_saved: Callback<()>,
    return_focus: String,
) -> AnyView {
    view! { <EditForm id title description visibility ui on_saved return_focus/> }.into_any()
}

/// Title and description in place of the card's text. Checks as the server
/// does before sending; the server's refusal is shown by the field it names.
#[component]
fn EditForm(
    id: String,
    title: RwSignal<String>,
    description: RwSignal<String>,
    visibility: RwSignal<Visibility>,
    ui: LibraryUi,
    on_saved: Callback<()>,
    /// Where focus goes when the form closes.
    return_focus: String,
) -> impl IntoView {
    let draft_title = RwSignal::new(title.get_untracked());
    let draft_description = RwSignal::new(description.get_untracked());
    let draft_visibility = RwSignal::new(visibility.get_untracked());
    let title_error = RwSignal::new(None::<String>);
    let description_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let title_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = title_input.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let title_field = format!("edit-title-{id}");
    let description_field = format!("edit-description-{id}");
    let visibility_field = format!("edit-visibility-{id}");
    let title_error_id = format!("{title_field}-error");
    let description_error_id = format!("{description_field}-error");
    let return_focus = StoredValue::new(return_focus);
    let close = move || {
        ui.editing.set(None);
        let target = return_focus.get_value();
        // After the card has its buttons back.
        request_animation_frame(move || focus_id(&target));
    };

    let item_id = StoredValue::new(id);
    let (title_field_id, description_field_id) = (title_field.clone(), description_field.clone());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        form_error.set(None);
        let checked_title = clean_title(&draft_title.get_untracked());
        let checked_description = clean_description(&draft_description.get_untracked());
        title_error.set(checked_title.as_ref().err().map(|e| e.message.clone()));
        description_error.set(
            checked_description
                .as_ref()
                .err()
                .map(|e| e.message.clone()),
        );
        let (new_title, new_description) = match (checked_title, checked_description) {
            (Ok(t), Ok(d)) => (t, d),
            (Err(_), _) => return focus_id(&title_field_id),
            (_, Err(_)) => return focus_id(&description_field_id),
        };
        saving.set(true);
        let (title_field_id, description_field_id) =
            (title_field_id.clone(), description_field_id.clone());
        leptos::task::spawn_local(async move {
            let changed =
                Some(draft_visibility.get_untracked()).filter(|v| *v != visibility.get_untracked());
            let result =
                crate::api::update_media(item_id.get_value(), new_title, new_description, changed)
                    .await;
            let _ = saving.try_set(false);
            match result {
                Ok(item) => {
                    title.set(item.title);
                    description.set(item.description);
                    visibility.set(item.visibility);
                    close();
                    on_saved.run(());
                }
                Err(error) => match error.code {
                    ErrorCode::InvalidTitle => {
                        title_error.set(Some(error.message));
                        focus_id(&title_field_id);
                    }
                    ErrorCode::InvalidDescription => {
                        description_error.set(Some(error.message));
                        focus_id(&description_field_id);
                    }
                    _ => form_error.set(Some(error.message)),
                },
            }
        });
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            close();
        }
    };
    let (title_error_for, description_error_for) =
        (title_error_id.clone(), description_error_id.clone());

    view! {
        <form class="card-body edit-form" data-testid="edit-form" novalidate on:submit=submit on:keydown=on_keydown>
            <div class="field">
                <label for=title_field.clone()>"Title"</label>
                <input
                    id=title_field
                    type="text"
                    data-testid="edit-title"
                    node_ref=title_input
                    required
                    aria-invalid=move || title_error.with(Option::is_some).to_string()
                    aria-describedby=move || title_error.with(Option::is_some).then(|| title_error_for.clone())
                    prop:value=move || draft_title.get()
                    on:input=move |ev| {
                        draft_title.set(event_target_value(&ev));
                        title_error.set(None);
                    }
                />
                {move || {
                    title_error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="field-error" id=title_error_id.clone() data-testid="edit-title-error">
                                    {e}
                                </p>
                            }
                        })
                }}
            </div>
            <div class="field">
                <label for=description_field.clone()>"Description"</label>
                <textarea
                    id=description_field
                    rows="3"
                    data-testid="edit-description"
                    aria-invalid=move || description_error.with(Option::is_some).to_string()
                    aria-describedby=move || {
                        description_error.with(Option::is_some).then(|| description_error_for.clone())
                    }
                    prop:value=move || draft_description.get()
                    on:input=move |ev| {
                        draft_description.set(event_target_value(&ev));
                        description_error.set(None);
                    }
                ></textarea>
                {move || {
                    description_error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="field-error" id=description_error_id.clone() data-testid="edit-description-error">
                                    {e}
                                </p>
                            }
                        })
                }}
            </div>
            <div class="field">
                <label for=visibility_field.clone()>"Visible to"</label>
                <VisibilitySelect value=draft_visibility id=visibility_field testid="edit-visibility"/>
            </div>
            {move || form_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="card-actions">
                <button type="submit" class="button small-button" data-testid="edit-save" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="row-button" data-testid="edit-cancel" on:click=move |_| close()>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
