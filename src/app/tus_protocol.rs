//! The pure half of the browser's tus client: everything that decides, with
//! no browser calls, so it is unit-tested natively. `browser::tus` does the I/O.

use crate::accounts::Visibility;

/// Chunk size when the server does not say otherwise.
pub(crate) const DEFAULT_CHUNK_BYTES: u64 = 8 * 1024 * 1024;
/// Uploads sending at once; more wait their turn.
pub(crate) const PARALLEL_UPLOADS: usize = 3;
/// Waits between retries after network errors, in seconds.
pub(crate) const RETRY_DELAYS_SECS: [u32; 6] = [1, 2, 4, 8, 15, 30];
pub(crate) const TUS_VERSION: &str = "1.0.0";

/// Where an upload of this file was last seen, as tus clients do: name, size
/// and last-modified identify "the same file chosen again" after a reload.
pub(crate) fn storage_key(name: &str, size: u64, last_modified_ms: f64) -> String {
    format!("reel.tus::{name}::{size}::{}", last_modified_ms as i64)
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
/// `visibility` says who may see the item (Reel's own key).
pub(crate) fn metadata_header(filename: &str, filetype: &str, visibility: Visibility) -> String {
    let mut header = format!("filename {}", base64(filename.as_bytes()));
    if !filetype.is_empty() {
        header.push_str(&format!(",filetype {}", base64(filetype.as_bytes())));
    }
    header.push_str(&format!(
        ",visibility {}",
        base64(visibility.as_str().as_bytes())
    ));
    header
}

/// Standard base64 with padding (RFC 4648 §4), as tus metadata requires.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The upload id at the end of a `Location` such as `/api/tus/<id>`.
pub(crate) fn upload_id(location: &str) -> Option<&str> {
    let id = location.trim_end_matches('/').rsplit('/').next()?;
    (!id.is_empty()).then_some(id)
}

/// What to do after a PATCH answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PatchVerdict {
    /// Accepted: continue from this offset.
    Advance(u64),
    /// The server's offset differs (409) or the upload is busy (423): ask it, then go on.
    Resync,
    /// The server no longer knows the upload (404, 410): start a new one.
    Restart,
    /// A passing fault (5xx, 460, no answer): wait, then try again.
    Retry,
    /// Retrying cannot help; the message is for people.
    Fail(String),
}

pub(crate) fn patch_verdict(status: u16, offset_header: Option<&str>, body: &str) -> PatchVerdict {
    match status {
        204 | 200 => match offset_header.and_then(|v| v.trim().parse().ok()) {
            Some(offset) => PatchVerdict::Advance(offset),
            None => PatchVerdict::Resync,
        },
        409 | 423 => PatchVerdict::Resync,
        404 | 410 => PatchVerdict::Restart,
        413 => PatchVerdict::Fail("This file is larger than the server accepts.".to_string()),
        460 | 0 | 408 | 429 | 500..=599 => PatchVerdict::Retry,
        _ => PatchVerdict::Fail(server_message(status, body)),
    }
}

/// The server's own words when it sent JSON `{code, message}`, else a plain summary.
pub(crate) fn server_message(status: u16, body: &str) -> String {
    serde_json::from_str::<crate::error::ApiError>(body)
        .map(|e| e.message)
        .unwrap_or_else(|_| {
            let text = body.trim();
            if text.is_empty() || text.len() > 300 || text.starts_with('<') {
                format!("The upload failed (the server answered {status}).")
            } else {
                text.to_string()
            }
        })
}

/// Bytes per second over a sliding window of a few seconds, so the figure
/// follows the network without jumping at every progress event.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpeedMeter {
    window_start: Option<(f64, u64)>,
    previous: Option<(f64, u64)>,
    rate: f64,
}

impl SpeedMeter {
    const WINDOW_MS: f64 = 3_000.0;

    /// Records that `bytes` were done at `now_ms`; returns the current rate.
    pub(crate) fn record(&mut self, now_ms: f64, bytes: u64) -> f64 {
        let (start_ms, start_bytes) = *self.window_start.get_or_insert((now_ms, bytes));
        let elapsed = now_ms - start_ms;
        if elapsed >= 500.0 && bytes >= start_bytes {
            self.rate = (bytes - start_bytes) as f64 / (elapsed / 1000.0);
        }
        if elapsed >= Self::WINDOW_MS {
            // Slide: the next window starts where the previous sample was.
            self.window_start = self.previous.or(Some((now_ms, bytes)));
        }
        self.previous = Some((now_ms, bytes));
        self.rate
    }

    /// Forget history after a pause or a reconnect.
    pub(crate) fn reset(&mut self) {
        *self = SpeedMeter::default();
    }
}

/// Seconds left at `rate`, when it is known.
pub(crate) fn eta_secs(remaining: u64, rate: f64) -> Option<f64> {
    (rate > 0.0 && rate.is_finite()).then(|| remaining as f64 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_values_are_standard_base64() {
        assert_eq!(
            metadata_header("é", "", Visibility::Public),
            "filename w6k=,visibility cHVibGlj"
        );
    }

    #[test]
    fn metadata_carries_name_and_type() {
        assert_eq!(
            metadata_header("a.mp4", "video/mp4", Visibility::Private),
            "filename YS5tcDQ=,filetype dmlkZW8vbXA0,visibility cHJpdmF0ZQ=="
        );
    }

    #[test]
    fn the_same_file_gets_the_same_key() {
        assert_eq!(
            storage_key("a.mp4", 10, 1.7e12),
            storage_key("a.mp4", 10, 1.7e12)
        );
        assert_ne!(storage_key("a.mp4", 10, 1.0), storage_key("a.mp4", 11, 1.0));
    }

    #[test]
    fn upload_ids_come_from_the_location() {
        assert_eq!(upload_id("/api/tus/abc123"), Some("abc123"));
        assert_eq!(upload_id("http://h/api/tus/abc123/"), Some("abc123"));
        assert_eq!(upload_id(""), None);
    }

    #[test]
    fn patch_answers_map_to_actions() {
        assert_eq!(
            patch_verdict(204, Some("4096"), ""),
            PatchVerdict::Advance(4096)
        );
        assert_eq!(patch_verdict(204, None, ""), PatchVerdict::Resync);
        assert_eq!(patch_verdict(409, None, ""), PatchVerdict::Resync);
        assert_eq!(patch_verdict(423, None, ""), PatchVerdict::Resync);
        assert_eq!(patch_verdict(410, None, ""), PatchVerdict::Restart);
        assert_eq!(patch_verdict(502, None, ""), PatchVerdict::Retry);
        assert_eq!(patch_verdict(0, None, ""), PatchVerdict::Retry);
        assert!(
            matches!(patch_verdict(413, None, ""), PatchVerdict::Fail(m) if m.contains("larger"))
        );
        let json = r#"{"code":"bad-request","message":"Nope."}"#;
        assert_eq!(
            patch_verdict(400, None, json),
            PatchVerdict::Fail("Nope.".to_string())
        );
        assert!(
            matches!(patch_verdict(400, None, "<html>"), PatchVerdict::Fail(m) if m.contains("400"))
        );
    }

    #[test]
    fn speed_follows_recent_progress() {
        let mut meter = SpeedMeter::default();
        assert_eq!(meter.record(0.0, 0), 0.0);
        assert_eq!(meter.record(1_000.0, 1_000_000), 1_000_000.0);
        meter.record(2_000.0, 2_000_000);
        meter.record(3_000.0, 3_000_000);
        // The link slows to 100 KB/s: the figure follows within a window.
        for s in 4..=10 {
            meter.record(s as f64 * 1000.0, 3_000_000 + (s - 3) * 100_000);
        }
        let rate = meter.record(11_000.0, 3_800_000);
        assert!((rate - 100_000.0).abs() < 50_000.0, "{rate}");
        meter.reset();
        assert_eq!(meter.record(20_000.0, 5_000_000), 0.0);
    }

    #[test]
    fn eta_needs_a_rate() {
        assert_eq!(eta_secs(1_000, 0.0), None);
        assert_eq!(eta_secs(1_000, 500.0), Some(2.0));
    }
}
