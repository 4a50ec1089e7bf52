//! Requests as the browser sends them, signed in as the admin with a session
//! cookie and this site's `Origin` (state-changing requests need it, see
//! `src/server/http/same_site.rs`). Each call checks the answer's status
//! and shape and says what was wrong; the caller times it.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use reel::library::LibraryPage;
use reel::model::{MediaItem, UploadResponse, UploadStatus};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};

use crate::media::Media;

/// A request still unanswered after this is abandoned (it has long since
/// failed the 10 s bound; this only keeps a hung server from hanging the run).
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub(crate) struct Reel {
    client: reqwest::Client,
    /// Without the overall timeout: event streams stay open for the run.
    streams: reqwest::Client,
    origin: String,
}

/// Signs in with the form the sign-in page posts; the session cookie.
pub(crate) async fn sign_in(origin: &str, name: &str, password: &str) -> Result<String, String> {
    let answer = reqwest::Client::new()
        .post(format!("{origin}/api/login"))
        .form(&[("username", name), ("password", password)])
        .send()
        .await
        .map_err(|e| format!("sign-in: {e}"))?;
    expect_status(&answer, StatusCode::OK)?;
    let cookie = answer
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("sign-in answered without a session cookie")?;
    Ok(cookie.to_string())
}

impl Reel {
    pub(crate) fn new(origin: &str, cookie: &str) -> Result<Self, String> {
        let mut headers = HeaderMap::new();
        let value = |text: &str| HeaderValue::from_str(text).map_err(|e| e.to_string());
        headers.insert(reqwest::header::COOKIE, value(cookie)?);
        headers.insert(reqwest::header::ORIGIN, value(origin)?);
        let build = |timeout: Option<Duration>| {
            let builder = reqwest::Client::builder().default_headers(headers.clone());
            match timeout {
                Some(t) => builder.timeout(t),
                None => builder,
            }
            .build()
            .map_err(|e| e.to_string())
        };
        Ok(Reel {
            client: build(Some(GIVE_UP_AFTER))?,
            streams: build(None)?,
            origin: origin.to_string(),
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// `POST /api/uploads` with the file as one multipart part.
    pub(crate) async fn upload(&self, media: &Media) -> Result<UploadResponse, String> {
        let part =
            reqwest::multipart::Part::stream(media.bytes.clone()).file_name(media.name.clone());
        let form = reqwest::multipart::Form::new().part("file", part);
        let answer = self
            .client
            .post(self.url("/api/uploads"))
            .multipart(form)
            .send()
            .await
            .map_err(|e| format!("upload {}: {e}", media.name))?;
        let answer = expect_status_body(answer, StatusCode::CREATED).await?;
        answer
            .json()
            .await
            .map_err(|e| format!("upload answer: {e}"))
    }

    /// `POST /api/tus`; the new upload's `Location` (a path).
    pub(crate) async fn tus_create(&self, media: &Media) -> Result<String, String> {
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let filetype = if media.name.ends_with(".mp4") {
            "video/mp4"
        } else {
            "audio/wav"
        };
        let answer = self
            .client
            .post(self.url("/api/tus"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", media.bytes.len().to_string())
            .header(
                "Upload-Metadata",
                format!("filename {},filetype {}", b64(&media.name), b64(filetype)),
            )
            .send()
            .await
            .map_err(|e| format!("tus create: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::CREATED).await?;
        header(&answer, "location").map(str::to_string)
    }

    /// One `PATCH` of `chunk` at `offset`; checks the new offset.
    pub(crate) async fn tus_patch(
        &self,
        location: &str,
        offset: usize,
        chunk: Bytes,
    ) -> Result<(), String> {
        let expected = (offset + chunk.len()).to_string();
        let answer = self
            .client
            .patch(self.url(location))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(chunk)
            .send()
            .await
            .map_err(|e| format!("tus patch at {offset}: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::NO_CONTENT).await?;
        let offset_now = header(&answer, "upload-offset")?;
        if offset_now != expected {
            return Err(format!(
                "tus patch: Upload-Offset {offset_now}, expected {expected}"
            ));
        }
        Ok(())
    }

    /// `POST /api/upload_status`, as the browser's uploader polls it.
    pub(crate) async fn upload_status(&self, upload_id: &str) -> Result<UploadStatus, String> {
        let answer = self
            .client
            .post(self.url("/api/upload_status"))
            .form(&[("upload_id", upload_id)])
            .send()
            .await
            .map_err(|e| format!("upload_status: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::OK).await?;
        answer
            .json()
            .await
            .map_err(|e| format!("upload_status answer: {e}"))
    }

    /// `POST /api/media`: one item.
    pub(crate) async fn item(&self, id: &str) -> Result<MediaItem, String> {
        let answer = self
            .client
            .post(self.url("/api/media"))
            .form(&[("id", id)])
            .send()
            .await
            .map_err(|e| format!("media {id}: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::OK).await?;
        answer
            .json()
            .await
            .map_err(|e| format!("media answer: {e}"))
    }

    /// `POST /api/list_library` with the search text `q` (the form body is
    /// the library page's own query string).
    pub(crate) async fn search(&self, q: &str, per_page: u32) -> Result<LibraryPage, String> {
        let answer = self
            .client
            .post(self.url("/api/list_library"))
            .form(&[("q", q), ("per_page", &per_page.to_string())])
            .send()
            .await
            .map_err(|e| format!("search {q:?}: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::OK).await?;
        answer
            .json()
            .await
            .map_err(|e| format!("search answer: {e}"))
    }

    /// `GET path` whose answer must be a whole page (200, HTML to its end).
    pub(crate) async fn page(&self, path: &str) -> Result<String, String> {
        let answer = self
            .client
            .get(self.url(path))
            .send()
            .await
            .map_err(|e| format!("page {path}: {e}"))?;
        let answer = expect_status_body(answer, StatusCode::OK).await?;
        let html = answer
            .text()
            .await
            .map_err(|e| format!("page {path}: {e}"))?;
        // Leptos sends the resolved resources as scripts after </html>.
        let end = html.trim_end();
        if !html.contains("</html>") || !(end.ends_with("</html>") || end.ends_with("</script>")) {
            return Err(format!("page {path}: the HTML stops early: …{}", tail(end)));
        }
        Ok(html)
    }

    /// `GET` of stored bytes, with a `Range` header when given: the status,
    /// the headers and the whole body.
    pub(crate) async fn bytes(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let mut request = self.client.get(self.url(url));
        if let Some(range) = range {
            request = request.header(reqwest::header::RANGE, range);
        }
        let answer = request
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer
            .bytes()
            .await
            .map_err(|e| format!("GET {url} body: {e}"))?;
        Ok((status, headers, body))
    }

    /// Opens `GET /api/events`; the answer, once its headers are in.
    pub(crate) async fn events(&self) -> Result<Response, String> {
        let answer = self
            .streams
            .get(self.url("/api/events"))
            .send()
            .await
            .map_err(|e| format!("events: {e}"))?;
        expect_status(&answer, StatusCode::OK)?;
        Ok(answer)
    }
}

fn expect_status(answer: &Response, wanted: StatusCode) -> Result<(), String> {
    if answer.status() == wanted {
        Ok(())
    } else {
        Err(format!(
            "{} {}: {} (wanted {wanted})",
            answer.url().path(),
            "answered",
            answer.status()
        ))
    }
}

/// Like `expect_status`, with the start of the body in the message.
async fn expect_status_body(answer: Response, wanted: StatusCode) -> Result<Response, String> {
    if answer.status() == wanted {
        return Ok(answer);
    }
    let (status, path) = (answer.status(), answer.url().path().to_string());
    let body = answer.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    Err(format!(
        "{path} answered {status} (wanted {wanted}): {body}"
    ))
}

fn header<'a>(answer: &'a Response, name: &str) -> Result<&'a str, String> {
    answer
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("{} answered without {name}", answer.url().path()))
}

/// The last characters of `text`, for a message.
fn tail(text: &str) -> &str {
    let start = text.char_indices().rev().nth(80).map_or(0, |(i, _)| i);
    &text[start..]
}
