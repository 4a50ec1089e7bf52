//! The error every client sees: a stable kebab-case code and a message written
//! for people. Server internals never travel in it (they are logged instead).

use std::fmt;

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
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
        let (code, message) = match value {
            ServerFnErrorErr::Request(_) => ("network", "The server could not be reached."),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                // On the server this is the caller's mistake: 400, not 500.
                #[cfg(feature = "ssr")]
                crate::server::http::set_status(axum::http::StatusCode::BAD_REQUEST);
                ("bad-request", "The request was not understood.")
            }
            _ => ("internal", "Something went wrong on the server."),
        };
        ApiError::new(code, message)
    }
}
