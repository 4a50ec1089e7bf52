//! The edges' error: what the service layer (or a protocol) refused, mapped
//! once to an HTTP status, a stable `ErrorCode` and what a browser may read.
//! Server functions, the axum handlers and the tus routes all answer through
//! it; nothing below the edges knows about statuses or codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::server::service::{self, Internal, Missing, UploadError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Service(#[from] service::Error),
    /// A protocol's own refusal (tus: a header, a version), with the status
    /// and code that protocol prescribes.
    #[error("{message}")]
    Protocol {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    /// A malformed request the edge refuses before the service sees it.
    #[error("{0}")]
    BadRequest(String),
}

impl From<UploadError> for Error {
    fn from(e: UploadError) -> Self {
        Error::Service(e.into())
    }
}

impl Error {
    pub(crate) fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Error::Service(e) => service_status(e),
            Error::Protocol { status, code, .. } => (*status, *code),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
        }
    }

    /// How long to wait before trying again, for `Retry-After`.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Service(service::Error::TooManyAttempts { retry_after }) => {
                Some(retry_after.as_secs().max(1))
            }
            _ => None,
        }
    }

    /// What a client may read: 4xx text as is; 5xx is logged and answered generically.
    pub(crate) fn to_api(&self) -> ApiError {
        let (status, code) = self.status_and_code();
        // A full disk is the server's trouble, but people can act on it.
        if status.is_server_error() && code != ErrorCode::InsufficientStorage {
            tracing::error!(error = ?self, code = code.as_str(), "request failed");
            ApiError::internal(code)
        } else {
            ApiError::new(code, self.message())
        }
    }

    fn message(&self) -> String {
        match self {
            Error::Service(service::Error::NotFound(missing)) => match missing {
                Missing::Item => "There is no item with this address. It may have been deleted.",
                Missing::Upload => {
                    "There is no upload with this id. It may have expired or been cancelled."
                }
                Missing::Previews => "This item has no scrub previews.",
                Missing::User => "There is no such user.",
                Missing::Token => "There is no such token. It may have been revoked.",
                Missing::Share => "There is nothing at this link. It may have been revoked.",
                Missing::Page => "There is nothing here.",
                Missing::Collection => "There is no such collection. It may have been deleted.",
            }
            .to_string(),
            other => other.to_string(),
        }
    }
}

fn service_status(e: &service::Error) -> (StatusCode, ErrorCode) {
    use service::Error as E;
    match e {
        E::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        E::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge),
        E::NotMedia(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::NotMedia),
        E::Interrupted(_) => (StatusCode::BAD_REQUEST, ErrorCode::UploadInterrupted),
        E::NothingToRetry => (StatusCode::CONFLICT, ErrorCode::NothingToRetry),
        E::NothingToCancel => (StatusCode::CONFLICT, ErrorCode::NothingToCancel),
        E::NotEditable(_) => (StatusCode::BAD_REQUEST, ErrorCode::NotEditable),
        E::EditRefused(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
        E::Upload(e) => upload_status(e),
        E::SignInRequired => (StatusCode::UNAUTHORIZED, ErrorCode::SignInRequired),
        E::Forbidden => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
        E::SignInRefused => (StatusCode::UNAUTHORIZED, ErrorCode::SignInRefused),
        E::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts),
        E::QuotaExceeded { .. } => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::QuotaExceeded),
        E::InsufficientStorage { .. } => (
            StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::InsufficientStorage,
        ),
        E::ShareExpired => (StatusCode::GONE, ErrorCode::ShareExpired),
        E::NameTaken => (StatusCode::CONFLICT, ErrorCode::NameTaken),
        E::Invalid(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
        E::Internal(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            match e {
                Internal::Store(_) => ErrorCode::Storage,
                Internal::Db(_) => ErrorCode::Database,
                Internal::Media(_) => ErrorCode::Media,
                Internal::Jobs(_) | Internal::Corrupt(_) | Internal::Accounts(_) => {
                    ErrorCode::Internal
                }
            },
        ),
    }
}

/// The statuses tus prescribes for an upload's refusals.
fn upload_status(e: &UploadError) -> (StatusCode, ErrorCode) {
    use UploadError as U;
    match e {
        U::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        U::Expired => (StatusCode::GONE, ErrorCode::UploadExpired),
        U::Failed(_) => (StatusCode::GONE, ErrorCode::UploadFailed),
        U::Locked => (StatusCode::LOCKED, ErrorCode::UploadLocked),
        U::Finalising => (StatusCode::LOCKED, ErrorCode::UploadFinalising),
        U::OverMaxSize { .. } | U::PastLength { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge)
        }
        U::OffsetMismatch { .. } => (StatusCode::CONFLICT, ErrorCode::OffsetMismatch),
        // The checksum extension's own status.
        U::ChecksumMismatch => (
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            ErrorCode::ChecksumMismatch,
        ),
        U::Interrupted(_) => (StatusCode::BAD_REQUEST, ErrorCode::UploadInterrupted),
        U::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Storage),
        U::Db(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Database),
        U::Media(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Media),
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.to_api())).into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<Error> for ApiError {
    /// Inside a server function this also sets the answer's HTTP status.
    fn from(err: Error) -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(err.status());
            if let Some(secs) = err.retry_after() {
                response.insert_header(axum::http::header::RETRY_AFTER, secs.into());
            }
        }
        err.to_api()
    }
}

impl From<service::Error> for ApiError {
    fn from(err: service::Error) -> Self {
        Error::Service(err).into()
    }
}

/// One failure among many, as an answer reports it item by item: the
/// error for people, leaving the answer's own status as it is.
pub(crate) fn one_of_many(err: service::Error) -> ApiError {
    Error::Service(err).to_api()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::DbError;

    #[test]
    fn server_errors_keep_their_details_out_of_the_answer() {
        let err = Error::from(service::Error::from(DbError::Query(
            sqlx::Error::RowNotFound,
        )));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let api = err.to_api();
        assert_eq!(api.code, ErrorCode::Database);
        assert!(
            !api.message.contains("RowNotFound") && !api.message.contains("query"),
            "{}",
            api.message
        );
    }

    #[test]
    fn client_errors_say_what_to_fix() {
        let api = Error::from(service::Error::TooLarge {
            limit: 8_000_000_000,
        })
        .to_api();
        assert_eq!(api.code, ErrorCode::TooLarge);
        assert_eq!(
            api.message,
            "This file is larger than the upload limit of 8.0 GB."
        );
        let missing = Error::from(service::Error::NotFound(Missing::Previews));
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
