//! What every server function needs from its request: the service, who
//! asks, and ids parsed into their types (an id of the wrong shape is a
//! missing item: 404, as for any other unknown id).

use leptos::prelude::use_context;

use crate::error::{ApiError, ErrorCode};
use crate::model::{MediaId, UploadId};
use crate::server::credentials::actor_of;
use crate::server::service::{self, Actor, Missing, Service};

/// The service, which the router puts in every server function's context.
pub(super) fn service() -> Result<Service, ApiError> {
    use_context::<Service>().ok_or_else(|| {
        tracing::error!("server function called without the service in context");
        ApiError::internal(ErrorCode::Internal)
    })
}

/// Who sends the request being answered.
pub(super) fn actor() -> Actor {
    match use_context::<axum::http::request::Parts>() {
        Some(parts) => actor_of(&parts.headers),
        None => Actor::Anonymous,
    }
}

pub(super) fn media_id(text: &str) -> Result<MediaId, ApiError> {
    MediaId::parse(text).ok_or_else(|| service::Error::NotFound(Missing::Item).into())
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
