//! One file's row in the upload list: progress, speed and time left, the
//! pause/resume/cancel controls, notes such as "Resumed at 40 %", errors, and
//! the link to the item once it exists.

use leptos::lazy;
use leptos::prelude::*;

use super::tus_protocol::eta_secs;
use super::upload::{Phase, UploadRow};
use crate::format;

/// The upload list. Its code is its own wasm piece (`--split`), fetched with
/// the first row: the library's first load does not carry it.
#[lazy]
pub(crate) fn upload_list(rows: RwSignal<Vec<UploadRow>>) -> AnyView {
    view! {
        <ul class="uploads" aria-label="Uploads" aria-live="polite">
            <For each=move || rows.get() key=|row| row.key let:row>
                <UploadRowView row/>
            </For>
        </ul>
    }
    .into_any()
}

#[component]
fn UploadRowView(row: UploadRow) -> impl IntoView {
    let key = row.key;
    let phase = row.phase.clone();
    let state_name = {
        let phase = phase.clone();
        move || phase.read().name()
    };
    let percent = {
        let row = row.clone();
        move || row.percent()
    };
    let detail = {
        let row = row.clone();
        move || {
            let (sent, _) = row.progress.get();
            let sent = (sent.max(0.0) as u64).min(row.size);
            let of = format!("{} of {}", format::bytes(sent), format::bytes(row.size));
            match &*row.phase.read() {
                Phase::Queued => format!("Waiting for another upload to finish · {of}"),
                Phase::Uploading => {
                    let rate = row.bytes_per_sec.get();
                    let left = eta_secs(row.size - sent, rate)
                        .map(|s| format!(" · {} left", format::duration(s)))
                        .unwrap_or_default();
                    format!("{of} · {}{left}", format::speed(rate))
                }
                Phase::Paused => format!("Paused · {of}"),
                Phase::Finalising => "Uploaded. Checking the file…".to_string(),
                Phase::Processing { .. } => "Uploaded. Processing…".to_string(),
                Phase::Ready { .. } => "Ready to play".to_string(),
                Phase::AlreadyThere { .. } => "Already in your library".to_string(),
                Phase::Failed { .. } => "Failed".to_string(),
                Phase::Cancelled => "Cancelled".to_string(),
            }
        }
    };
    let note = {
        let note = row.note.clone();
        move || {
            note.get().map(
                |text| view! { <p class="row-note small" data-testid="upload-note">{text}</p> },
            )
        }
    };
    let error = {
        let phase = phase.clone();
        move || match &*phase.read() {
            Phase::Failed { message, .. } => Some(
                view! { <p class="row-error" data-testid="upload-error" role="alert">{message.clone()}</p> },
            ),
            _ => None,
        }
    };
    let link = {
        let phase = phase.clone();
        move || {
            phase.read().item_id().map(|id| {
                view! { <a data-testid="upload-link" href=format!("/media/{id}")>"Open"</a> }
            })
        }
    };
    let controls = {
        let phase = phase.clone();
        let name = row.filename.clone();
        move || {
            let phase = phase.read();
            let pause_or_resume = if phase.can_pause() {
                Some(view! {
                    <button class="row-button" data-testid="upload-pause" aria-label=format!("Pause {name}")
                        on:click=move |_| control(key, Control::Pause)>"Pause"</button>
                }.into_any())
            } else if *phase == Phase::Paused {
                Some(view! {
                    <button class="row-button" data-testid="upload-resume" aria-label=format!("Resume {name}")
                        on:click=move |_| control(key, Control::Resume)>"Resume"</button>
                }.into_any())
            } else {
                None
            };
            let cancel = phase.can_cancel().then(|| view! {
                <button class="row-button" data-testid="upload-cancel" aria-label=format!("Cancel {name}")
                    on:click=move |_| control(key, Control::Cancel)>"Cancel"</button>
            });
            (pause_or_resume, cancel)
        }
    };
    let percent_text = percent.clone();
    view! {
        <li class="upload-row" data-testid="upload-row" data-state=state_name data-filename=row.filename.clone()>
            <div class="row-head">
                <span class="row-name">{row.filename.clone()}</span>
                <span class="row-percent" data-testid="upload-percent">{move || format!("{} %", percent_text())}</span>
            </div>
            <progress data-testid="upload-progress" max="100" prop:value=percent.clone() value=percent></progress>
            <div class="row-foot">
                <span class="muted small" data-testid="upload-detail">{detail}</span>
                <span class="row-actions">{controls} {link}</span>
            </div>
            {note}
            {error}
        </li>
    }
}

enum Control {
    Pause,
    Resume,
    Cancel,
}

#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn control(key: u64, control: Control) {
    #[cfg(feature = "hydrate")]
    match control {
        Control::Pause => super::browser::pause(key),
        Control::Resume => super::browser::resume(key),
        Control::Cancel => super::browser::cancel(key),
    }
}
