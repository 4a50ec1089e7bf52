//! `GET /album/download?album=…&artist=…` and `GET /collections/{id}/download`:
//! an album or a collection as one ZIP archive,
//! streamed while it is built (no copy on the server, no Content-Length),
//! its files named `03 - Title.mp3` in play order. What goes in is what the
//! asker may list (the service decides); an album they see nothing of is a
//! missing item.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::representation::content_disposition;
use super::zip::{ZipEntry, archive, numbered_name, safe_name};
use crate::collections::CollectionId;
use crate::server::error::Error;
use crate::server::service::Archive;
use crate::server::service::Error::NotFound;
use crate::server::service::Missing;
use crate::server::state::AppState;

/// The album, as its page's address names it.
#[derive(serde::Deserialize)]
pub(crate) struct Which {
    #[serde(default)]
    album: String,
    artist: Option<String>,
}

pub(crate) async fn album(
    State(state): State<AppState>,
    Query(Which { album, artist }): Query<Which>,
    headers: HeaderMap,
) -> Response {
    let artist = artist.filter(|a| !a.is_empty());
    let answer = async {
        let actor = super::actor(&state, &headers).await?;
        Ok::<_, Error>(
            state
                .service
                .album_archive(&actor, &album, artist.as_deref())
                .await?,
        )
    };
    match answer.await {
        Ok(archive) => send(archive),
        Err(error) => error.into_response(),
    }
}

/// `GET /collections/{id}/download`: a playlist or smart collection, its
/// items the asker may see in its order.
pub(crate) async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let id = CollectionId::parse(&id).ok_or(NotFound(Missing::Collection))?;
        let actor = super::actor(&state, &headers).await?;
        Ok::<_, Error>(state.service.collection_archive(&actor, &id).await?)
    };
    match answer.await {
        Ok(archive) => send(archive),
        Err(error) => error.into_response(),
    }
}

/// The archive's answer: its members streamed one after the other.
fn send(found: Archive) -> Response {
    let file_name = format!("{}.zip", safe_name(&found.title));
    let count = found.count;
    let entries = futures_util::stream::iter(found.members).map(move |member| {
        Ok(ZipEntry {
            name: numbered_name(member.position, count, &member.title, &member.extension),
            len: member.source.len(),
            modified: member.modified,
            body: member.source.into_stream(),
        })
    });
    let mut response = Response::new(Body::from_stream(archive(entries)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file_name, true)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
