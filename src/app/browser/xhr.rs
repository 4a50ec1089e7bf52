//! XMLHttpRequest as a future: the one browser API that reports upload
//! progress. Requests can be aborted from outside (pause, cancel), and every
//! callback is released when the request ends, so nothing leaks per chunk.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

/// How a request ended when no HTTP answer came back.
#[derive(Clone, Debug, PartialEq)]
pub enum XhrError {
    /// Connection lost, DNS, CORS, server gone.
    Network,
    /// `Abort::abort` was called (pause or cancel).
    Aborted,
    /// The browser refused to start the request.
    Start(String),
}

/// An HTTP answer: status and a way to read headers and the body text.
pub struct Answer {
    xhr: XmlHttpRequest,
    pub status: u16,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.xhr.get_response_header(name).ok().flatten()
    }

    pub fn text(&self) -> String {
        self.xhr.response_text().ok().flatten().unwrap_or_default()
    }
}

/// A handle that aborts whichever request is running under it.
#[derive(Clone, Default)]
pub struct Abort(Rc<RefCell<Option<XmlHttpRequest>>>);

impl Abort {
    pub fn abort(&self) {
        if let Some(xhr) = self.0.borrow_mut().take() {
            let _ = xhr.abort();
        }
    }
}

pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: Option<&'a Blob>,
}

enum Outcome {
    Loaded,
    Failed,
    Aborted,
}

/// Sends `request`; `progress(sent_bytes)` runs as the body goes up.
pub async fn send(
    request: Request<'_>,
    abort: &Abort,
    progress: impl FnMut(f64) + 'static,
) -> Result<Answer, XhrError> {
    let start = |e: wasm_bindgen::JsValue| XhrError::Start(format!("{e:?}"));
    let xhr = XmlHttpRequest::new().map_err(start)?;
    xhr.open(request.method, request.url).map_err(start)?;
    for (name, value) in request.headers {
        xhr.set_request_header(name, value).map_err(start)?;
    }

    let (tx, rx) = oneshot::channel::<Outcome>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let finish = |outcome: fn() -> Outcome| {
        let tx = tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(outcome());
            }
        })
    };
    let on_load = finish(|| Outcome::Loaded);
    let on_error = finish(|| Outcome::Failed);
    let on_abort = finish(|| Outcome::Aborted);
    let mut progress = progress;
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        progress(event.loaded())
    });

    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    xhr.set_ontimeout(Some(on_error.as_ref().unchecked_ref()));
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    *abort.0.borrow_mut() = Some(xhr.clone());

    let sent = match request.body {
        Some(body) => xhr.send_with_opt_blob(Some(body)),
        None => xhr.send(),
    };
    if let Err(e) = sent {
        abort.0.borrow_mut().take();
        return Err(start(e));
    }
    let outcome = rx.await.unwrap_or(Outcome::Aborted);
    abort.0.borrow_mut().take();

    // Detach the callbacks before they are dropped with this frame.
    xhr.set_onload(None);
    xhr.set_onerror(None);
    xhr.set_onabort(None);
    xhr.set_ontimeout(None);
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(None);
    }
    drop((on_load, on_error, on_abort, on_progress));

    match outcome {
        Outcome::Loaded => {
            let status = xhr.status().unwrap_or(0);
            Ok(Answer { xhr, status })
        }
        Outcome::Failed => Err(XhrError::Network),
        Outcome::Aborted => Err(XhrError::Aborted),
    }
}
