//! A tus client made of plain requests, so each test says exactly what goes
//! on the wire. Works against an in-process `TestServer` or the real binary.

use base64::Engine;
use reel::model::UploadStatus;
use reqwest::{Response, StatusCode};

use super::TestServer;

pub(crate) const TUS_RESUMABLE: (&str, &str) = ("Tus-Resumable", "1.0.0");
pub(crate) const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The id at the end of a `Location`.
pub(crate) fn upload_id(location: &str) -> &str {
    location.rsplit('/').next().expect("an id")
}

pub(crate) fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {response:?}"))
        .to_str()
        .expect("ascii")
}

/// A PATCH whose body the test feeds piece by piece, held open in between;
/// dropping `body` ends it.
pub(crate) struct StreamingPatch {
    pub body: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    pub response: tokio::task::JoinHandle<reqwest::Result<Response>>,
}

#[derive(Clone)]
pub(crate) struct Tus {
    pub client: reqwest::Client,
    /// `http://host:port`
    pub origin: String,
}

impl TestServer {
    pub(crate) fn tus(&self) -> Tus {
        Tus {
            client: self.client.clone(),
            origin: format!("http://{}", self.addr),
        }
    }

    /// Waits for finalisation, then for processing.
    pub(crate) async fn settle(&self) {
        self.hooks.wait_uploads_idle().await;
        self.hooks.wait_idle().await;
    }

    /// Unfinished uploads' bytes held: files left in the partial area, and
    /// (into an object store) multipart uploads still open.
    pub(crate) async fn partial_files(&self) -> usize {
        let files = std::fs::read_dir(self.dir.path().join("files").join("partial"))
            .expect("partial area")
            .count();
        files + self.hooks.open_multiparts().await.len()
    }

    /// What an unfinished upload holds, when its bytes are in the partial
    /// area (`None` in the shared run: the object store does not give
    /// back the parts of an open multipart upload).
    pub(crate) fn partial_bytes(&self, location: &str) -> Option<Vec<u8>> {
        if super::shared::enabled() {
            return None;
        }
        let path = self
            .dir
            .path()
            .join("files/partial")
            .join(upload_id(location));
        Some(std::fs::read(path).expect("partial file"))
    }
}

impl Tus {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Creates an upload and returns its `Location` (a path).
    pub(crate) async fn create(&self, length: u64, filename: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/tus"))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header("Upload-Length", length.to_string())
            .header(
                "Upload-Metadata",
                format!("filename {},filetype {}", b64(filename), b64("audio/wav")),
            )
            .send()
            .await
            .expect("create");
        assert_eq!(response.status(), StatusCode::CREATED, "{response:?}");
        header(&response, "location").to_string()
    }

    pub(crate) async fn patch(&self, location: &str, offset: u64, bytes: Vec<u8>) -> Response {
        self.client
            .patch(self.url(location))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", OFFSET_OCTET_STREAM)
            .body(bytes)
            .send()
            .await
            .expect("patch")
    }

    pub(crate) fn streaming_patch(&self, location: &str, offset: u64) -> StreamingPatch {
        let (body, mut rx) = tokio::sync::mpsc::channel(4);
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let request = self
            .client
            .patch(self.url(location))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", OFFSET_OCTET_STREAM)
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        StreamingPatch {
            body,
            response: tokio::spawn(request),
        }
    }

    pub(crate) async fn head(&self, location: &str) -> Response {
        self.client
            .head(self.url(location))
            .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
            .send()
            .await
            .expect("head")
    }

    /// The offset HEAD reports (which must answer 200).
    pub(crate) async fn offset(&self, location: &str) -> u64 {
        let response = self.head(location).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
        header(&response, "upload-offset").parse().expect("number")
    }

    /// Sends `bytes[from..]` in chunks, checking each answer.
    pub(crate) async fn send_rest(&self, location: &str, bytes: &[u8], from: u64, chunk: usize) {
        let mut offset = from;
        for piece in bytes[from as usize..].chunks(chunk) {
            let response = self.patch(location, offset, piece.to_vec()).await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{response:?}");
            offset += piece.len() as u64;
            assert_eq!(header(&response, "upload-offset"), offset.to_string());
        }
    }

    /// Calls the `upload_status` server function as the browser does.
    pub(crate) async fn status(
        &self,
        id: &str,
    ) -> Result<UploadStatus, (StatusCode, serde_json::Value)> {
        let response = self
            .client
            .post(self.url("/api/upload_status"))
            .form(&[("upload_id", id)])
            .send()
            .await
            .expect("upload_status");
        let status = response.status();
        if status.is_success() {
            Ok(response.json().await.expect("UploadStatus json"))
        } else {
            Err((status, response.json().await.expect("error json")))
        }
    }

    /// Polls `upload_status` until the upload has left receiving and
    /// finalising (for servers in another process; in-process tests wait on
    /// `TestServer::settle` instead). Bounded: about a minute.
    pub(crate) async fn wait_finalised(&self, id: &str) -> UploadStatus {
        use reel::model::UploadPhase;
        super::eventually(
            "the upload to be finalised",
            std::time::Duration::from_secs(60),
            || async {
                let status = self.status(id).await.expect("known upload");
                let settled = !matches!(
                    status.phase,
                    UploadPhase::Receiving | UploadPhase::Finalising
                );
                settled.then_some(status)
            },
        )
        .await
    }
}
