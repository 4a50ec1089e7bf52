//! The direct byte path against hyper, differentially: whenever the direct
//! path's classifier would answer a request head itself, hyper — which gets
//! every other request — must read the same bytes as the same request.
//!
//! Why hyper itself and not a second parser: the promise in `direct` is "the
//! direct path never answers differently from the router", and the router
//! only ever sees what hyper framed. So the head goes, as bytes, through the
//! connection builder `connection.rs` uses (hyper-util's `auto`, HTTP/1
//! defaults) over an in-memory duplex pipe, and a service records what hyper
//! hands the router. The head is sent twice and the pipe closed: hyper must
//! read exactly one request per copy (none cut short, no body, nothing left
//! over), and the second only when the direct path kept the connection open.
//! The `auto` builder's timer-driven head timeout is left out: it only fires
//! on a slow client, and the pipe is never slow.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response, Uri};
use hyper::body::{Body as _, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::runtime;
use crate::model::MediaId;
use crate::server::credentials::{credentials_of, query_param};
use crate::server::http::conditional::Conditions;
use crate::server::http::direct::{self, FileRequest, Parsed};
use crate::server::http::files::wants_download;
use crate::server::service::Variant;

/// What hyper handed to the service for one request.
#[derive(Debug)]
struct Framed {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    /// No body at all: neither Content-Length beyond 0 nor chunks.
    bodiless: bool,
}

/// A request head (and anything after it) as a client sends it on a new
/// connection. See the module comment for what must agree.
pub fn direct_request(data: &[u8]) {
    let Parsed::File(request) = direct::parse(data) else {
        return;
    };
    let head = &data[..request.head_len];
    let framed = runtime().block_on(frame_with_hyper([head, head].concat()));
    let expected = if request.close { 1 } else { 2 };
    assert_eq!(
        framed.len(),
        expected,
        "direct answers {request:?}, hyper framed {framed:?} from {head:?}"
    );
    for one in &framed {
        agrees(&request, one);
    }
}

/// Everything the router reads from a `/files` request, read from what hyper
/// framed, equals what the direct path read.
fn agrees(direct: &FileRequest, hyper: &Framed) {
    let method = if direct.asked.head {
        Method::HEAD
    } else {
        Method::GET
    };
    assert_eq!(hyper.method, method);
    assert!(hyper.bodiless, "hyper expects a body: {hyper:?}");
    let (id, variant) = hyper
        .uri
        .path()
        .strip_prefix("/files/")
        .and_then(|rest| rest.split_once('/'))
        .expect("hyper sees a /files/{id}/{variant} path");
    assert_eq!(MediaId::parse(id).as_ref(), Some(&direct.id));
    assert_eq!(Variant::parse(variant), Some(direct.variant));
    let query = hyper.uri.query();
    assert_eq!(wants_download(query), direct.asked.download);
    assert_eq!(query_param(query, "sig"), direct.signature.as_deref());
    assert_eq!(
        Conditions::from_headers(&hyper.headers),
        direct.asked.conditions
    );
    assert_eq!(credentials_of(&hyper.headers), direct.credentials);
}

/// Serves `wire` to hyper over a pipe the client closes after writing it,
/// and returns each request hyper framed, in order.
async fn frame_with_hyper(wire: Vec<u8>) -> Vec<Framed> {
    let framed = Arc::new(Mutex::new(Vec::new()));
    let service = {
        let framed = Arc::clone(&framed);
        service_fn(move |request: Request<Incoming>| {
            let bodiless = request.body().is_end_stream();
            let (parts, _) = request.into_parts();
            framed.lock().expect("not poisoned").push(Framed {
                method: parts.method,
                uri: parts.uri,
                headers: parts.headers,
                bodiless,
            });
            async { Ok::<_, Infallible>(Response::new(Body::empty())) }
        })
    };
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let builder = auto::Builder::new(TokioExecutor::new());
    let serve = builder.serve_connection_with_upgrades(TokioIo::new(server), service);
    let send = async move {
        client.write_all(&wire).await.expect("the pipe is open");
        client.shutdown().await.expect("the pipe closes");
        // Read the answers, so hyper never waits on a full pipe.
        let mut answers = Vec::new();
        let _ = client.read_to_end(&mut answers).await;
    };
    // Hanging would be a finding too.
    let both = async { tokio::join!(serve, send) };
    // hyper's own error (a 400, a head cut short) shows as fewer requests.
    let (_served, ()) = tokio::time::timeout(Duration::from_secs(5), both)
        .await
        .expect("hyper finishes with a closed pipe");
    std::mem::take(&mut *framed.lock().expect("not poisoned"))
}
