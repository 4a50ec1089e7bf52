//! The error every client sees: a stable kebab-case code and a message written
//! for people. Server internals never travel in it (they are logged instead).
//! Server and browser compile the same `ErrorCode`, so neither side ever spells
//! a code out as a string.

use std::fmt;

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Every code an answer can carry. The wire form is the kebab-case name
/// (`NotFound` is `"not-found"`); clients branch on these, never on messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// No such thing, or not one the asker may see (the two look the same).
    NotFound,
    /// The request is malformed or asks for something impossible.
    BadRequest,
    InvalidTitle,
    InvalidDescription,
    /// Larger than the upload limit.
    TooLarge,
    /// The bytes are not audio or video Reel accepts.
    NotMedia,
    /// The client stopped sending before the upload was whole.
    UploadInterrupted,
    NothingToRetry,
    NothingToCancel,
    /// The item cannot be edited as it is (failed, or not playable yet).
    NotEditable,
    // The tus protocol's refusals.
    TusVersion,
    Unsupported,
    UnsupportedChecksum,
    WrongContentType,
    OffsetMismatch,
    UploadExpired,
    UploadFailed,
    UploadLocked,
    UploadFinalising,
    ChecksumMismatch,
    MethodNotAllowed,
    // Accounts and access.
    /// Only signed-in users may do this (401).
    SignInRequired,
    /// Signed in, but their role may not do this (403).
    Forbidden,
    /// A wrong name or password (the same answer for both).
    SignInRefused,
    /// Too many failed attempts; `Retry-After` says when to try again (429).
    TooManyAttempts,
    /// The upload would pass the user's storage quota (413).
    QuotaExceeded,
    /// The server's disk has no room for this (507); retrying cannot help
    /// until space is freed.
    InsufficientStorage,
    /// A share link past its end (410).
    ShareExpired,
    /// A user of that name exists.
    NameTaken,
    InvalidName,
    InvalidPassword,
    /// A state-changing request from another site (403).
    CrossSite,
    // The server's own troubles (5xx): the message never says more.
    Storage,
    Database,
    Media,
    Internal,
    /// The browser could not reach the server.
    Network,
    /// A code this build does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not-found",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::InvalidTitle => "invalid-title",
            ErrorCode::InvalidDescription => "invalid-description",
            ErrorCode::TooLarge => "too-large",
            ErrorCode::NotMedia => "not-media",
            ErrorCode::UploadInterrupted => "upload-interrupted",
            ErrorCode::NothingToRetry => "nothing-to-retry",
            ErrorCode::NothingToCancel => "nothing-to-cancel",
            ErrorCode::NotEditable => "not-editable",
            ErrorCode::TusVersion => "tus-version",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::UnsupportedChecksum => "unsupported-checksum",
            ErrorCode::WrongContentType => "wrong-content-type",
            ErrorCode::OffsetMismatch => "offset-mismatch",
            ErrorCode::UploadExpired => "upload-expired",
            ErrorCode::UploadFailed => "upload-failed",
            ErrorCode::UploadLocked => "upload-locked",
            ErrorCode::UploadFinalising => "upload-finalising",
            ErrorCode::ChecksumMismatch => "checksum-mismatch",
            ErrorCode::MethodNotAllowed => "method-not-allowed",
            ErrorCode::SignInRequired => "sign-in-required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::SignInRefused => "sign-in-refused",
            ErrorCode::TooManyAttempts => "too-many-attempts",
            ErrorCode::QuotaExceeded => "quota-exceeded",
            ErrorCode::InsufficientStorage => "insufficient-storage",
            ErrorCode::ShareExpired => "share-expired",
            ErrorCode::NameTaken => "name-taken",
            ErrorCode::InvalidName => "invalid-name",
            ErrorCode::InvalidPassword => "invalid-password",
            ErrorCode::CrossSite => "cross-site",
            ErrorCode::Storage => "storage",
            ErrorCode::Database => "database",
            ErrorCode::Media => "media",
            ErrorCode::Internal => "internal",
            ErrorCode::Network => "network",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// The message every 5xx answer carries instead of its details.
    pub fn internal(code: ErrorCode) -> Self {
        ApiError::new(
            code,
            "Something went wrong on the server. Please try again.",
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Transport and decoding failures: say what a person can act on.
        match value {
            ServerFnErrorErr::Request(_) => {
                ApiError::new(ErrorCode::Network, "The server could not be reached.")
            }
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                // On the server this is the caller's mistake: 400, not 500.
                #[cfg(feature = "ssr")]
                if let Some(response) =
                    leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
                {
                    response.set_status(axum::http::StatusCode::BAD_REQUEST);
                }
                ApiError::new(ErrorCode::BadRequest, "The request was not understood.")
            }
            _ => ApiError::new(ErrorCode::Internal, "Something went wrong on the server."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_travel_as_their_kebab_case_names() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::InvalidTitle,
            ErrorCode::UploadFinalising,
            ErrorCode::QuotaExceeded,
            ErrorCode::InsufficientStorage,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).expect("encode");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&json).expect("decode"),
                code
            );
        }
        let newer: ErrorCode = serde_json::from_str("\"from-the-future\"").expect("decode");
        assert_eq!(newer, ErrorCode::Unknown);
    }
}
