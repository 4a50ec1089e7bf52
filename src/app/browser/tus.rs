//! The tus 1.0 client loop for one file: find or create the upload, send it
//! in chunks, retry with backoff, obey pause/resume/cancel, then follow the
//! server's finalisation until the item exists.

use std::rc::Rc;

use std::cell::RefCell;

use futures::future::select;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use web_sys::File;

use super::xhr::{self, Request, XhrError};
use super::{Controller, Intent, follow_media, slots};
use crate::app::tus_protocol::{
    PatchVerdict, RETRY_DELAYS_SECS, SpeedMeter, TUS_VERSION, metadata_header, patch_verdict,
    server_message, storage_key, upload_id,
};
use crate::app::upload::{Phase, UploadRow};
use crate::error::ErrorCode;
use crate::format;
use crate::model::UploadPhase;

const CREATE_URL: &str = "/api/tus";

/// Why a step did not complete.
enum Stop {
    /// Try again after a pause (network, 5xx).
    Retry,
    /// The request was aborted by pause or cancel.
    Aborted,
    /// Give up; the message is for people.
    Fail(String),
}

pub async fn run(
    file: File,
    row: UploadRow,
    ctl: Rc<Controller>,
    chunk_bytes: u64,
    on_item_changed: Callback<()>,
) {
    let size = row.size;
    let key = storage_key(&file.name(), size, file.last_modified());
    let meter = Rc::new(RefCell::new(SpeedMeter::default()));
    let mut url: Option<String> = None;
    let mut offset = 0u64;
    let mut failures = 0usize;
    let mut holding_slot = false;

    let upload_url = loop {
        match ctl.intent() {
            Intent::Cancel => {
                if holding_slot {
                    slots::release();
                }
                if let Some(url) = &url {
                    // Termination: the server drops the partial bytes.
                    let _ = xhr::send(
                        request("DELETE", url, &[version()], None),
                        &Default::default(),
                        |_| (),
                    )
                    .await;
                }
                storage::remove(&key);
                row.phase.set(Phase::Cancelled);
                return;
            }
            Intent::Pause => {
                if holding_slot {
                    slots::release();
                    holding_slot = false;
                }
                row.phase.set(Phase::Paused);
                meter.borrow_mut().reset();
                ctl.changed().await;
                continue;
            }
            Intent::Run => {}
        }
        if !holding_slot {
            row.phase.set(Phase::Queued);
            slots::acquire().await;
            holding_slot = true;
            continue; // the person may have paused or cancelled while it waited
        }
        row.phase.set(Phase::Uploading);

        let step = match &url {
            None => open(&file, &key, &row).await.map(|(found, at)| {
                url = Some(found);
                offset = at;
            }),
            Some(current) if offset >= size => break current.clone(),
            Some(current) => send_chunk(&file, current, offset, chunk_bytes, &row, &ctl, &meter)
                .await
                .and_then(|verdict| match verdict {
                    PatchVerdict::Advance(next) => {
                        offset = next;
                        failures = 0;
                        Ok(())
                    }
                    PatchVerdict::Resync => Err(Stop::Retry),
                    PatchVerdict::Restart => {
                        storage::remove(&key);
                        url = None;
                        offset = 0;
                        row.note.set(Some(
                            "The server had lost this upload; starting again.".to_string(),
                        ));
                        Ok(())
                    }
                    PatchVerdict::Retry => Err(Stop::Retry),
                    PatchVerdict::Fail(message) => Err(Stop::Fail(message)),
                }),
        };
        match step {
            Ok(()) | Err(Stop::Aborted) => {}
            Err(Stop::Fail(message)) => {
                slots::release();
                storage::remove(&key);
                row.phase.set(Phase::Failed { message, id: None });
                return;
            }
            Err(Stop::Retry) => {
                failures += 1;
                let Some(&delay) = RETRY_DELAYS_SECS.get(failures - 1) else {
                    failures = 0;
                    row.note.set(Some(
                        "The connection keeps failing. Press Resume when you are back online."
                            .to_string(),
                    ));
                    ctl.set(Intent::Pause);
                    continue;
                };
                row.note
                    .set(Some(format!("Connection lost. Retrying in {delay} s…")));
                // Wait, unless the person pauses, resumes or cancels first.
                let _ = select(
                    Box::pin(TimeoutFuture::new(delay * 1000)),
                    Box::pin(ctl.changed()),
                )
                .await;
                if let Some(current) = &url {
                    match head(current).await {
                        Ok(at) => {
                            offset = at;
                            row.note.set(None);
                        }
                        Err(Stop::Fail(_)) => {
                            storage::remove(&key);
                            url = None;
                            offset = 0;
                        }
                        Err(_) => {}
                    }
                }
            }
        }
    };
    slots::release();
    storage::remove(&key);
    row.progress.set((size as f64, size as f64));
    row.phase.set(Phase::Finalising);
    row.note.set(None);
    match upload_id(&upload_url) {
        Some(id) => follow_finalising(id.to_string(), row, on_item_changed).await,
        None => row.phase.set(Phase::Failed {
            message: "The server gave this upload an address the page did not understand."
                .to_string(),
            id: None,
        }),
    }
}

fn request<'a>(
    method: &'a str,
    url: &'a str,
    headers: &'a [(&'a str, String)],
    body: Option<&'a web_sys::Blob>,
) -> Request<'a> {
    Request {
        method,
        url,
        headers,
        body,
    }
}

fn version() -> (&'static str, String) {
    ("Tus-Resumable", TUS_VERSION.to_string())
}

/// Resumes the upload remembered for this file, or creates a new one.
async fn open(file: &File, key: &str, row: &UploadRow) -> Result<(String, u64), Stop> {
    if let Some(saved) = storage::get(key) {
        match head(&saved).await {
            Ok(offset) => {
                if offset > 0 {
                    let percent = offset * 100 / row.size.max(1);
                    row.note.set(Some(format!(
                        "Resumed at {percent} % ({} already sent).",
                        format::bytes(offset)
                    )));
                    row.progress.set((offset as f64, row.size as f64));
                }
                return Ok((saved, offset));
            }
            Err(Stop::Fail(_)) => storage::remove(key),
            Err(other) => return Err(other),
        }
    }
    let headers = [
        version(),
        ("Upload-Length", row.size.to_string()),
        (
            "Upload-Metadata",
            metadata_header(&file.name(), &file.type_(), row.visibility),
        ),
    ];
    let answer = match xhr::send(
        request("POST", CREATE_URL, &headers, None),
        &Default::default(),
        |_| (),
    )
    .await
    {
        Ok(answer) => answer,
        Err(XhrError::Network) => return Err(Stop::Retry),
        Err(XhrError::Aborted) => return Err(Stop::Aborted),
        Err(XhrError::Start(e)) => {
            return Err(Stop::Fail(format!(
                "The browser could not start the upload ({e})."
            )));
        }
    };
    match (answer.status, answer.header("Location")) {
        (201, Some(location)) => {
            storage::set(key, &location);
            Ok((location, 0))
        }
        (413, _) => Err(Stop::Fail(
            "This file is larger than the server accepts.".to_string(),
        )),
        (0 | 500..=599, _) => Err(Stop::Retry),
        (status, _) => Err(Stop::Fail(server_message(status, &answer.text()))),
    }
}

/// The server's offset for an upload; `Stop::Fail` when it is gone.
async fn head(url: &str) -> Result<u64, Stop> {
    let headers = [version()];
    match xhr::send(
        request("HEAD", url, &headers, None),
        &Default::default(),
        |_| (),
    )
    .await
    {
        Ok(answer) if answer.status == 200 => answer
            .header("Upload-Offset")
            .and_then(|v| v.trim().parse().ok())
            .ok_or(Stop::Retry),
        Ok(answer) if matches!(answer.status, 404 | 410 | 403) => Err(Stop::Fail(String::new())),
        Ok(_) | Err(XhrError::Network) => Err(Stop::Retry),
        Err(XhrError::Aborted) => Err(Stop::Aborted),
        Err(XhrError::Start(e)) => Err(Stop::Fail(e)),
    }
}

async fn send_chunk(
    file: &File,
    url: &str,
    offset: u64,
    chunk_bytes: u64,
    row: &UploadRow,
    ctl: &Controller,
    meter: &Rc<RefCell<SpeedMeter>>,
) -> Result<PatchVerdict, Stop> {
    let end = (offset + chunk_bytes).min(row.size);
    let blob = file
        .slice_with_f64_and_f64(offset as f64, end as f64)
        .map_err(|e| Stop::Fail(format!("The browser could not read the file ({e:?}).")))?;
    let headers = [
        version(),
        ("Upload-Offset", offset.to_string()),
        (
            "Content-Type",
            "application/offset+octet-stream".to_string(),
        ),
    ];
    let on_progress = {
        let row = row.clone();
        let meter = meter.clone();
        let total = row.size as f64;
        move |sent: f64| {
            let done = offset as f64 + sent;
            row.progress.set((done, total));
            let rate = meter.borrow_mut().record(js_sys::Date::now(), done as u64);
            row.bytes_per_sec.set(rate);
        }
    };
    match xhr::send(
        request("PATCH", url, &headers, Some(&blob)),
        &ctl.abort,
        on_progress,
    )
    .await
    {
        Ok(answer) => Ok(patch_verdict(
            answer.status,
            answer.header("Upload-Offset").as_deref(),
            &answer.text(),
        )),
        Err(XhrError::Network) => Err(Stop::Retry),
        Err(XhrError::Aborted) => Err(Stop::Aborted),
        Err(XhrError::Start(e)) => Err(Stop::Fail(format!(
            "The browser could not send the file ({e})."
        ))),
    }
}

/// After the last byte the server checks and stores the file; follow it.
async fn follow_finalising(upload_id: String, row: UploadRow, on_item_changed: Callback<()>) {
    let mut wait_ms = 200;
    loop {
        TimeoutFuture::new(wait_ms).await;
        wait_ms = (wait_ms * 2).min(2_000);
        match crate::api::upload_status(upload_id.clone()).await {
            Ok(status) => match status.phase {
                UploadPhase::Receiving | UploadPhase::Finalising => continue,
                UploadPhase::Done {
                    media_id,
                    already_in_library: true,
                } => {
                    row.phase.set(Phase::AlreadyThere {
                        id: media_id.to_string(),
                    });
                    return;
                }
                UploadPhase::Done { media_id, .. } => {
                    return follow_media(media_id.to_string(), row, on_item_changed).await;
                }
                UploadPhase::Failed { reason } => {
                    row.phase.set(Phase::Failed {
                        message: reason,
                        id: None,
                    });
                    return;
                }
            },
            Err(error) if error.code == ErrorCode::NotFound => {
                row.phase.set(Phase::Failed {
                    message: error.message,
                    id: None,
                });
                return;
            }
            Err(_) => continue,
        }
    }
}

/// Upload addresses remembered across reloads (localStorage).
mod storage {
    fn local() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn get(key: &str) -> Option<String> {
        local()?.get_item(key).ok().flatten()
    }

    pub fn set(key: &str, value: &str) {
        if let Some(storage) = local() {
            let _ = storage.set_item(key, value);
        }
    }

    pub fn remove(key: &str) {
        if let Some(storage) = local() {
            let _ = storage.remove_item(key);
        }
    }
}
