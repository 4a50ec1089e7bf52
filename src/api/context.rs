//! What every server function needs from its request: the service, who
//! asks, and ids parsed into their types (an id of the wrong shape is a
//! missing item: 404, as for any other unknown id).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use leptos::prelude::use_context;

use crate::error::{ApiError, ErrorCode};
use crate::model::{MediaId, UploadId};
use crate::server::credentials::{Site, credentials_of};
use crate::server::service::{self, Actor, Credentials, Missing, Service};

/// The service, which the router puts in every server function's context.
pub(super) fn service() -> Result<Service, ApiError> {
    use_context::<Service>().ok_or_else(|| {
        tracing::error!("server function called without the service in context");
        ApiError::internal(ErrorCode::Internal)
    })
}

/// The site's settings (cookies, client addresses), also in the context.
pub(super) fn site() -> Result<Site, ApiError> {
    use_context::<Site>().ok_or_else(|| {
        tracing::error!("server function called without the site in context");
        ApiError::internal(ErrorCode::Internal)
    })
}

/// What the request carries to say who sends it.
pub(super) fn credentials() -> Credentials {
    use_context::<Parts>()
        .map(|parts| credentials_of(&parts.headers))
        .unwrap_or_default()
}

/// Who sends the request being answered (anonymous when its credentials
/// do not hold).
pub(super) async fn actor() -> Result<Actor, ApiError> {
    Ok(service()?.authenticate(&credentials()).await?)
}

/// The client's address, for throttling sign-in attempts.
pub(super) fn client_ip() -> Result<IpAddr, ApiError> {
    let site = site()?;
    Ok(match use_context::<Parts>() {
        Some(parts) => {
            let peer = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0);
            site.client_ip(&parts.headers, peer)
        }
        None => IpAddr::from([0, 0, 0, 0]),
    })
}

/// Adds a `Set-Cookie` to the answer.
pub(super) fn set_cookie(value: HeaderValue) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(header::SET_COOKIE, value);
    }
}

pub(super) fn media_id(text: &str) -> Result<MediaId, ApiError> {
    MediaId::parse(text).ok_or_else(|| service::Error::NotFound(Missing::Item).into())
}

pub(super) fn collection_id(text: &str) -> Result<crate::collections::CollectionId, ApiError> {
    crate::collections::CollectionId::parse(text)
        .ok_or_else(|| service::Error::NotFound(Missing::Collection).into())
}

pub(super) fn upload_id(text: &str) -> Result<UploadId, ApiError> {
    UploadId::parse(text).ok_or_else(|| service::Error::NotFound(Missing::Upload).into())
}

/// A refusal of the input itself (shared validation): 400 with its code.
pub(super) fn bad_request(err: ApiError) -> ApiError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::BAD_REQUEST);
    }
    err
}
