//! The top-level server error: every module error converts into it, and it
//! decides the HTTP status, the stable code and what a browser may read.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::server::{db, media, store, tus};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("This file is larger than the upload limit of {}.", crate::format::bytes(*.limit))]
    TooLarge { limit: u64 },
    #[error("{0}")]
    NotMedia(String),
    #[error("the upload was interrupted before it finished")]
    UploadInterrupted(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Media(#[from] media::MediaError),
    /// A tus protocol refusal; it carries its own status and code.
    #[error(transparent)]
    Tus(#[from] tus::TusError),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::NotMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::UploadInterrupted(_) => StatusCode::BAD_REQUEST,
            Error::Store(_) | Error::Db(_) | Error::Media(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Tus(e) => e.status(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not-found",
            Error::BadRequest(_) => "bad-request",
            Error::TooLarge { .. } => "too-large",
            Error::NotMedia(_) => "not-media",
            Error::UploadInterrupted(_) => "upload-interrupted",
            Error::Store(_) => "storage",
            Error::Db(_) => "database",
            Error::Media(_) => "media",
            Error::Tus(e) => e.code(),
        }
    }

    /// What a client may read: 4xx text as is; 5xx is logged and answered generically.
    pub fn to_api(&self) -> ApiError {
        if self.status().is_server_error() {
            tracing::error!(error = ?self, code = self.code(), "request failed");
            ApiError::new(
                self.code(),
                "Something went wrong on the server. Please try again.",
            )
        } else {
            ApiError::new(self.code(), self.to_string())
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (self.status(), Json(self.to_api())).into_response()
    }
}

impl From<Error> for ApiError {
    /// Inside a server function this also sets the answer's HTTP status.
    fn from(err: Error) -> Self {
        crate::server::http::set_status(err.status());
        err.to_api()
    }
}

impl From<crate::server::jobs::JobsError> for Error {
    fn from(e: crate::server::jobs::JobsError) -> Self {
        match e {
            crate::server::jobs::JobsError::Db(e) => Error::Db(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_their_details_out_of_the_answer() {
        let err = Error::Db(db::DbError::Query(sqlx::Error::RowNotFound));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let api = err.to_api();
        assert_eq!(api.code, "database");
        assert!(
            !api.message.contains("RowNotFound") && !api.message.contains("query"),
            "{}",
            api.message
        );
    }

    #[test]
    fn client_errors_say_what_to_fix() {
        let api = Error::TooLarge {
            limit: 8_000_000_000,
        }
        .to_api();
        assert_eq!(api.code, "too-large");
        assert_eq!(
            api.message,
            "This file is larger than the upload limit of 8.0 GB."
        );
    }
}
