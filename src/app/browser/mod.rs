//! Browser-only code (hydrate): sending files with XMLHttpRequest (fetch has
//! no upload progress), reading the answer, and following processing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{File, FileList, FormData, ProgressEvent, XmlHttpRequest};

use super::upload::{Phase, UploadRow, precheck};
use crate::error::ApiError;
use crate::model::{MediaState, UploadResponse};

pub fn mark_hydrated() {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

pub fn start_uploads(
    files: FileList,
    rows: RwSignal<Vec<UploadRow>>,
    next_key: StoredValue<u64>,
    max_upload: Option<u64>,
    on_item_changed: Callback<()>,
) {
    for index in 0..files.length() {
        let Some(file) = files.get(index) else {
            continue;
        };
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let row = UploadRow::new(key, file.name(), file.size() as u64);
        rows.update(|list| list.insert(0, row.clone()));
        if let Err(message) = precheck(row.size, max_upload) {
            row.phase.set(Phase::Failed { message, id: None });
            continue;
        }
        if let Err(e) = send(file, row.clone(), on_item_changed) {
            let message = format!("The browser could not start the upload ({e:?}).");
            row.phase.set(Phase::Failed { message, id: None });
        }
    }
}

fn send(
    file: File,
    row: UploadRow,
    on_item_changed: Callback<()>,
) -> Result<(), wasm_bindgen::JsValue> {
    let xhr = XmlHttpRequest::new()?;
    xhr.open("POST", "/api/uploads")?;
    xhr.set_request_header("Accept", "application/json")?;
    let form = FormData::new()?;
    form.append_with_blob_and_filename("file", &file, &file.name())?;

    let started = js_sys::Date::now();
    let on_progress = {
        let row = row.clone();
        Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
            if event.length_computable() {
                let (sent, total) = (event.loaded(), event.total());
                row.progress.set((sent, total));
                let seconds = (js_sys::Date::now() - started) / 1000.0;
                if seconds > 0.2 {
                    row.bytes_per_sec.set(sent / seconds);
                }
            }
        })
    };
    xhr.upload()?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));

    let on_load = {
        let row = row.clone();
        let xhr = xhr.clone();
        Closure::<dyn FnMut()>::new(move || {
            let status = xhr.status().unwrap_or(0);
            let body = xhr.response_text().ok().flatten().unwrap_or_default();
            settle(status, &body, &row, on_item_changed);
        })
    };
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));

    let on_error = {
        let row = row.clone();
        Closure::<dyn FnMut()>::new(move || {
            row.phase.set(Phase::Failed {
                message: "The connection to the server was lost during the upload. Check your network and try again."
                    .to_string(),
                id: None,
            });
        })
    };
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));

    xhr.send_with_opt_form_data(Some(&form))?;
    // The request owns these callbacks until it ends; one set per file.
    on_progress.forget();
    on_load.forget();
    on_error.forget();
    Ok(())
}

fn settle(status: u16, body: &str, row: &UploadRow, on_item_changed: Callback<()>) {
    if (200..300).contains(&status) {
        match serde_json::from_str::<UploadResponse>(body) {
            Ok(created) => {
                let (_, total) = row.progress.get_untracked();
                row.progress.set((total, total));
                follow(created.id, row.clone(), on_item_changed);
                on_item_changed.run(());
            }
            Err(_) => row.phase.set(Phase::Failed {
                message:
                    "The server accepted the file but sent an answer the page did not understand."
                        .to_string(),
                id: None,
            }),
        }
        return;
    }
    let message = match serde_json::from_str::<ApiError>(body) {
        Ok(error) => error.message,
        Err(_) if status == 413 => "This file is larger than the server accepts.".to_string(),
        Err(_) => format!("The upload failed (the server answered {status})."),
    };
    row.phase.set(Phase::Failed { message, id: None });
}

/// Follows a new item until processing settles, backing off gently.
fn follow(id: String, row: UploadRow, on_item_changed: Callback<()>) {
    row.phase.set(Phase::Processing { id: id.clone() });
    spawn_local(async move {
        let mut wait_ms = 250;
        loop {
            gloo_timers::future::TimeoutFuture::new(wait_ms).await;
            wait_ms = (wait_ms * 2).min(2_000);
            let item = match crate::api::get_media(id.clone()).await {
                Ok(item) => item,
                Err(error) if error.code == "not-found" => {
                    row.phase.set(Phase::Failed {
                        message: error.message,
                        id: None,
                    });
                    break;
                }
                // A dropped connection or a restarting server: ask again later.
                Err(_) => continue,
            };
            match item.state {
                MediaState::Processing => continue,
                MediaState::Ready => row.phase.set(Phase::Ready { id: id.clone() }),
                MediaState::Failed(message) => row.phase.set(Phase::Failed {
                    message,
                    id: Some(id.clone()),
                }),
            }
            on_item_changed.run(());
            break;
        }
    });
}
