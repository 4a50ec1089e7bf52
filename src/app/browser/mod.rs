//! Browser-only code (hydrate): starting uploads, the controls people press
//! on each row, and following items until processing settles.

mod slots;
mod tus;
mod xhr;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::File;

use super::upload::{Phase, UploadRow, precheck};
use crate::error::ErrorCode;
use crate::model::MediaState;

pub fn mark_hydrated() {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

/// What the person asked for on a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Run,
    Pause,
    Cancel,
}

/// Connects a row's buttons to its running upload.
#[derive(Default)]
pub struct Controller {
    abort: xhr::Abort,
    intent: Cell<Option<Intent>>,
    wake: RefCell<Option<oneshot::Sender<()>>>,
}

impl Controller {
    pub fn intent(&self) -> Intent {
        self.intent.get().unwrap_or(Intent::Run)
    }

    fn set(&self, intent: Intent) {
        self.intent.set(Some(intent));
        if intent != Intent::Run {
            // Stop the chunk in flight; the server keeps what it received.
            self.abort.abort();
        }
        if let Some(wake) = self.wake.borrow_mut().take() {
            let _ = wake.send(());
        }
    }

    /// Resolves at the next `set` (pause, resume or cancel).
    pub async fn changed(&self) {
        let (tx, rx) = oneshot::channel();
        *self.wake.borrow_mut() = Some(tx);
        let _ = rx.await;
    }
}

thread_local! {
    static CONTROLLERS: RefCell<HashMap<u64, Rc<Controller>>> = RefCell::new(HashMap::new());
}

fn with_controller(key: u64, intent: Intent) {
    if let Some(controller) = CONTROLLERS.with(|c| c.borrow().get(&key).cloned()) {
        controller.set(intent);
    }
}

pub fn pause(key: u64) {
    with_controller(key, Intent::Pause);
}

pub fn resume(key: u64) {
    with_controller(key, Intent::Run);
}

pub fn cancel(key: u64) {
    with_controller(key, Intent::Cancel);
}

/// Starts uploading `files`, a row each. The upload code (tus, the checks,
/// the XHR plumbing) is its own wasm piece (`--split`), fetched at the first
/// drop: the library's first load does not carry it.
#[leptos::lazy]
pub fn start_uploads(
    files: Vec<File>,
    rows: RwSignal<Vec<UploadRow>>,
    next_key: StoredValue<u64>,
    limits: (Option<u64>, u64),
    on_item_changed: Callback<()>,
    visibility: crate::accounts::Visibility,
) {
    let (max_upload, chunk_bytes) = limits;
    for file in files {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let row = UploadRow::new(key, file.name(), file.size() as u64, visibility);
        rows.update(|list| list.insert(0, row.clone()));
        if let Err(message) = precheck(row.size, max_upload) {
            row.phase.set(Phase::Failed { message, id: None });
            continue;
        }
        let controller = Rc::new(Controller::default());
        CONTROLLERS.with(|c| c.borrow_mut().insert(key, controller.clone()));
        spawn_local(async move {
            tus::run(file, row, controller, chunk_bytes, on_item_changed).await;
            CONTROLLERS.with(|c| c.borrow_mut().remove(&key));
        });
    }
}

/// Follows a new item until processing settles, backing off gently.
pub async fn follow_media(id: String, row: UploadRow, on_item_changed: Callback<()>) {
    row.phase.set(Phase::Processing { id: id.clone() });
    // The page may be gone (the person moved on): then nobody needs telling.
    let _ = on_item_changed.try_run(());
    let mut wait_ms = 250;
    loop {
        gloo_timers::future::TimeoutFuture::new(wait_ms).await;
        wait_ms = (wait_ms * 2).min(2_000);
        let item = match crate::api::get_media(id.clone()).await {
            Ok(item) => item,
            Err(error) if error.code == ErrorCode::NotFound => {
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
        let _ = on_item_changed.try_run(());
        break;
    }
}
