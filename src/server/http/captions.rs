//! `GET|HEAD /files/{id}/captions/{caption}`: one caption track's WebVTT,
//! for a player's `<track>`. Its text lives in the database, so this is a
//! plain route (the direct `sendfile` path hands it here: its path has one
//! segment more than a stored file's). The rights check comes first; a
//! refusal is a missing item.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

use crate::model::MediaId;
use crate::server::credentials::query_param;
use crate::server::error::Error;
use crate::server::http::conditional::{Conditions, Outcome, Validators, evaluate};
use crate::server::service::{self, Missing};
use crate::server::state::AppState;

pub(crate) async fn serve(
    State(state): State<AppState>,
    Path((id, caption)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let signature = query_param(query.as_deref(), "sig");
    let found = MediaId::parse(&id).zip(caption_id(&caption));
    let answer = async {
        let Some((id, caption)) = found else {
            return Err(Error::from(service::Error::NotFound(Missing::Item)));
        };
        let actor = super::actor(&state, &headers).await?;
        Ok(state
            .service
            .caption_vtt(&actor, &id, caption, signature)
            .await?)
    };
    match answer.await {
        Ok(vtt) => respond(vtt, &headers),
        Err(error) => error.into_response(),
    }
}

/// `7` or `7.vtt`: digits only, so nothing else can reach the repository.
fn caption_id(text: &str) -> Option<i64> {
    let digits = text.strip_suffix(".vtt").unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn respond(vtt: String, headers: &HeaderMap) -> Response {
    let digest = Sha256::digest(vtt.as_bytes());
    // The same preconditions as every stored file (RFC 9110 §13.2.2).
    let validators = Validators::new(hex::encode(&digest[..16]), None);
    let etag = validators.etag_header();
    let outcome = evaluate(
        &Conditions::from_headers(headers),
        &validators,
        SystemTime::now(),
    );
    let mut response = match outcome {
        Outcome::NotModified => StatusCode::NOT_MODIFIED.into_response(),
        Outcome::PreconditionFailed => StatusCode::PRECONDITION_FAILED.into_response(),
        Outcome::Proceed { .. } => vtt.into_response(),
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    // Edits change the text in place: always ask again, cheaply.
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn caption_ids_are_digits() {
        assert_eq!(super::caption_id("7"), Some(7));
        assert_eq!(super::caption_id("12.vtt"), Some(12));
        for bad in [
            "",
            ".vtt",
            "-1",
            "1e3",
            "../x",
            "7.srt",
            "99999999999999999999",
        ] {
            assert_eq!(super::caption_id(bad), None, "{bad}");
        }
    }
}
